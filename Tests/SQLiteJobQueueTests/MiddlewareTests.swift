import Attribution
import AttributionTesting
import SQLiteJobQueue
import Testing

@Suite("SQLite job queue: with the attribution job middleware")
struct MiddlewareTests {
    private struct Transient: Error, CustomStringConvertible {
        var description: String { "503 from the provider" }
    }

    private func envelope() -> AttributionEnvelope {
        let ids = DeterministicIdentifierSource(seed: 11)
        let leaf = ids.nextLeafID()
        return AttributionEnvelope(
            traceID: ids.nextTraceID(),
            leafID: leaf,
            rootID: leaf,
            userID: "u_7",
            feature: "summarize",
            team: "search",
            project: "assistant",
            taskType: "summary"
        )
    }

    @Test("a payload without an envelope is refused at enqueue when strict, and enqueued when lenient")
    func enqueueChecks() async throws {
        try await withQueue { queue, _ in
            let bare = bytes(#"{"doc":1}"#)
            let error = try #require(throws: AttributionError.self) {
                try queue.enqueue(payload: bare, queue: "q", middleware: AttributionJobMiddleware())
            }
            #expect(error.code == .missingEnvelope)
            #expect(try queue.stats().total == 0)

            let id = try queue.enqueue(payload: bare, queue: "q", middleware: AttributionJobMiddleware(mode: .lenient))
            #expect(try queue.job(id: id)?.payload == bare)
        }
    }

    @Test("failures are retried after the policy's backoff with attempt + 1, and the last one goes dead")
    func retriesWithBackoff() async throws {
        let middleware = AttributionJobMiddleware(
            retryPolicy: RetryPolicy(maxAttempts: 3, initialDelay: .seconds(1), multiplier: 2, jitter: 0)
        )
        try await withQueue { queue, _ in
            let original = envelope()
            let id = try queue.enqueue(
                payload: try original.embed(into: bytes(#"{"doc":1}"#)),
                queue: "q",
                middleware: middleware,
                maxAttempts: 3,
                now: at(0)
            )
            var now: Int64 = 0
            for attempt in 1...3 {
                let job = try #require(
                    try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(30), now: at(now))
                )
                #expect(job.claims == attempt)
                let delivered = try #require(try middleware.willPerform(job.payload, context: job.jobContext))
                #expect(delivered.attempt == attempt)
                #expect(delivered.userID == original.userID)
                #expect(delivered.traceID == original.traceID)
                #expect(delivered.leafID == original.leafID)

                let state = try queue.fail(job, error: Transient(), middleware: middleware, now: at(now + 10))
                if attempt < 3 {
                    #expect(state == .failed)
                    let record = try #require(try queue.job(id: id))
                    // Backoff: 1 s, then 2 s, from the failure.
                    let delay: Int64 = attempt == 1 ? 1000 : 2000
                    #expect(record.availableAt == at(now + 10 + delay))
                    #expect(record.lastError == "503 from the provider")
                    #expect(try AttributionEnvelope.extract(from: record.payload).attempt == attempt + 1)
                    now += 10 + delay
                } else {
                    #expect(state == .dead)
                }
            }
            #expect(try queue.stats() == JobQueueStats(dead: 1))
        }
    }

    @Test("after a redelivery the middleware sees the claim count, and the retry continues from it")
    func redeliveryThenRetry() async throws {
        let middleware = AttributionJobMiddleware(
            retryPolicy: RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(100), multiplier: 1, jitter: 0)
        )
        try await withQueue { queue, _ in
            let original = envelope()
            try queue.enqueue(payload: try original.embed(into: bytes("{}")), queue: "q", now: at(0))
            _ = try #require(try queue.claim(queue: "q", workerID: "killed", leaseDuration: .seconds(1), now: at(0)))
            let redelivered = try #require(
                try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(1000))
            )
            #expect(try middleware.willPerform(redelivered.payload, context: redelivered.jobContext)?.attempt == 2)
            #expect(try queue.fail(redelivered, error: Transient(), middleware: middleware, now: at(1000)) == .failed)
            let retried = try #require(
                try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(1100))
            )
            #expect(retried.claims == 3)
            let delivered = try #require(try middleware.willPerform(retried.payload, context: retried.jobContext))
            var expected = original
            expected.attempt = 3
            #expect(delivered == expected)
        }
    }
}
