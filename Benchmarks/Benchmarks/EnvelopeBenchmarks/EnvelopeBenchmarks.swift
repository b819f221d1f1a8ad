import Attribution
import Benchmark
import Foundation

/// The baseline: the same fields as a plain `Codable` struct through Foundation's JSON coders.
struct FoundationEnvelope: Codable, Equatable {
    var v: Int
    var trace_id: String
    var leaf_id: String
    var root_id: String
    var parent_id: String?
    var attempt: Int
    var created_at: String?
    var user_id: String?
    var feature: String?
    var team: String?
    var project: String?
    var task_type: String?
    var tool: String?
    var prompt_version: String?
    var tags: [String: String]?
}

/// A typical envelope: all five business fields, tool, prompt version, two tags, a parent.
func typicalEnvelope() -> AttributionEnvelope {
    AttributionEnvelope(
        traceID: try! TraceID("4bf92f3577b34da6a3ce929d0e0e4736"),
        leafID: try! LeafID("00f067aa0ba902b7"),
        rootID: try! LeafID("53995c3f42cd8ad8"),
        parentID: try! LeafID("53995c3f42cd8ad8"),
        attempt: 1,
        createdAt: try! UTCTimestamp(rfc3339: "2026-11-24T16:02:00.123Z"),
        userID: "u_42",
        feature: "summarize",
        team: "growth",
        project: "assistant",
        taskType: "summarize",
        tool: "web_search",
        promptVersion: "v7",
        tags: ["env": "prod", "region": "eu-west-1"]
    )
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        // A sample is 1,000 iterations: the codecs take well under a microsecond, and per-sample clock and
        // malloc-statistics reads would otherwise be a large part of what is measured. `--scale` reports the
        // numbers per iteration.
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    let envelope = typicalEnvelope()
    let canonical = try! envelope.canonicalJSON()
    let headers = try! envelope.headerFields()
    let foundationValue = FoundationEnvelope(
        v: 1,
        trace_id: envelope.traceID.description,
        leaf_id: envelope.leafID.description,
        root_id: envelope.rootID.description,
        parent_id: envelope.parentID?.description,
        attempt: 1,
        created_at: "2026-11-24T16:02:00.123Z",
        user_id: "u_42",
        feature: "summarize",
        team: "growth",
        project: "assistant",
        task_type: "summarize",
        tool: "web_search",
        prompt_version: "v7",
        tags: ["env": "prod", "region": "eu-west-1"]
    )

    Benchmark("Envelope JSON round trip (project codec)") { benchmark in
        for _ in benchmark.scaledIterations {
            let bytes = try envelope.canonicalJSON()
            blackHole(try AttributionEnvelope(json: bytes))
        }
    }

    Benchmark("Envelope JSON encode (project codec)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try envelope.canonicalJSON())
        }
    }

    Benchmark("Envelope JSON decode (project codec)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try AttributionEnvelope(json: canonical))
        }
    }

    Benchmark("Envelope header round trip (traceparent + baggage)") { benchmark in
        for _ in benchmark.scaledIterations {
            let fields = try envelope.headerFields()
            blackHole(try AttributionEnvelope(headers: fields))
        }
    }

    Benchmark("Envelope header decode (traceparent + baggage)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try AttributionEnvelope(headers: headers))
        }
    }

    Benchmark("Baseline: Foundation JSONEncoder + JSONDecoder round trip") { benchmark in
        // One encoder and one decoder, made outside the loop: the fair comparison.
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        for _ in benchmark.scaledIterations {
            let data = try encoder.encode(foundationValue)
            blackHole(try decoder.decode(FoundationEnvelope.self, from: data))
        }
    }

    Benchmark("Baseline (secondary): Foundation round trip with fresh coders each time") { benchmark in
        // Not the comparison the target is stated against (that is the reused-coder baseline above): this is
        // what code that makes a JSONEncoder and a JSONDecoder per job pays.
        for _ in benchmark.scaledIterations {
            let data = try JSONEncoder().encode(foundationValue)
            blackHole(try JSONDecoder().decode(FoundationEnvelope.self, from: data))
        }
    }

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
