import Attribution
import Testing

// These calls did not compile before `withAttribution` and `withRetries` took
// `isolation: isolated (any Actor)? = #isolation`: the closures touch actor-isolated (or main-actor) state,
// and passing them to a nonisolated async function failed with "sending value of non-Sendable type ...
// risks causing data races" (or "sending 'self'-isolated value ..."). Now they run on the caller's actor.

private struct Flaky: Error {}

/// An actor whose methods bind an envelope around work that changes the actor's own state.
private actor Summarizer {
    var log: [String] = []

    func summarize(_ job: AttributionEnvelope) async -> [String] {
        // The closures suspend, so these are the asynchronous forms; the state they change is the actor's.
        await AttributionEnvelope.withAttribution(job) {
            await Task.yield()
            log.append("static " + (AttributionEnvelope.current?.userID ?? "none"))
        }
        await withAttribution(job) {
            await Task.yield()
            log.append("free " + (AttributionEnvelope.current?.userID ?? "none"))
        }
        return log
    }

    func summarizeWithRetries(_ job: AttributionEnvelope) async throws -> [String] {
        try await job.withRetries(policy: RetryPolicy(maxAttempts: 3), sleep: { _ in }) { tryEnvelope in
            log.append("try \(tryEnvelope.attempt) as \(AttributionEnvelope.current?.userID ?? "none")")
            if tryEnvelope.attempt < 3 { throw Flaky() }
            return log
        }
    }
}

/// Main-actor state a view model would hold.
@MainActor private final class ScreenModel {
    var lines: [String] = []
}

@MainActor private var mainActorLog: [String] = []

@Suite("Isolation-aware helpers: the closures run on the caller's actor")
struct IsolationTests {
    func makeJob() throws -> AttributionEnvelope {
        try AttributionEnvelope.tag(
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize"
        )
    }

    @Test("withAttribution from an actor: the closure changes the actor's state under the bound envelope")
    func fromActor() async throws {
        let job = try makeJob()
        let summarizer = Summarizer()
        let log = await summarizer.summarize(job)
        #expect(log == ["static u_42", "free u_42"])
        #expect(AttributionEnvelope.current == nil)
    }

    @Test("withRetries from an actor: every try changes the actor's state under its own attempt's envelope")
    func retriesFromActor() async throws {
        let job = try makeJob()
        let summarizer = Summarizer()
        let log = try await summarizer.summarizeWithRetries(job)
        #expect(log == ["try 1 as u_42", "try 2 as u_42", "try 3 as u_42"])
    }

    @Test("withAttribution and withRetries from @MainActor touch main-actor state, and return non-Sendable values")
    @MainActor
    func fromMainActor() async throws {
        let job = try makeJob()
        let model = ScreenModel()
        mainActorLog = []
        let returned: ScreenModel = await withAttribution(job) {
            await Task.yield()
            model.lines.append(AttributionEnvelope.current?.feature ?? "none")
            mainActorLog.append("bound")
            return model
        }
        let attempts = try await job.withRetries(policy: RetryPolicy(maxAttempts: 2), sleep: { _ in }) {
            tryEnvelope in
            model.lines.append("attempt \(tryEnvelope.attempt)")
            if tryEnvelope.attempt == 1 { throw Flaky() }
            return tryEnvelope.attempt
        }
        #expect(returned === model)
        #expect(attempts == 2)
        #expect(model.lines == ["summarize", "attempt 1", "attempt 2"])
        #expect(mainActorLog == ["bound"])
    }

    @Test("the synchronous withAttribution on the main actor binds the envelope around main-actor state")
    func synchronousFromMainActor() async throws {
        let job = try makeJob()
        let count = await MainActor.run {
            let model = ScreenModel()
            AttributionEnvelope.withAttribution(job) {
                model.lines.append(AttributionEnvelope.current?.team ?? "none")
            }
            return model.lines
        }
        #expect(count == ["growth"])
    }
}
