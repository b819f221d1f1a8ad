import Attribution
import Benchmark

let benchmarks: @Sendable () -> Void = {
    Benchmark("Tagging a request (ids, clock, policy check)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                try AttributionEnvelope.tag(
                    userID: "u_42",
                    feature: "summarize",
                    team: "growth",
                    project: "assistant",
                    taskType: "summarize"
                )
            )
        }
    }
}
