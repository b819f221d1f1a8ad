import Attribution
import AttributionTesting
import SQLiteJobQueue
import Testing

@Suite("SQLite job queue: the envelope's attempt follows the claim count")
struct EnvelopeAttemptTests {
    private func envelope() -> AttributionEnvelope {
        let ids = DeterministicIdentifierSource(seed: 7)
        let leaf = ids.nextLeafID()
        return AttributionEnvelope(
            traceID: ids.nextTraceID(),
            leafID: leaf,
            rootID: leaf,
            userID: "u_42",
            feature: "summarize",
            team: "search",
            project: "assistant",
            taskType: "summary"
        )
    }

    @Test("a redelivered job's envelope gets attempt = claims; identity and the rest of the payload stay")
    func redeliveryRaisesAttempt() async throws {
        try await withQueue { queue, _ in
            let original = envelope()
            let payload = try original.embed(into: bytes(#"{"doc": 42, "text": "a  b"}"#))
            let id = try queue.enqueue(payload: payload, queue: "q", now: at(0))
            let hook = SQLiteJobQueue.raiseEnvelopeAttemptToClaims

            let first = try #require(
                try queue.claim(queue: "q", workerID: "a", leaseDuration: .seconds(1), now: at(0), rewritePayload: hook)
            )
            #expect(first.payload == payload)

            // Worker a is killed: no failure hook. The lease expires and b takes the job.
            let second = try #require(
                try queue.claim(
                    queue: "q",
                    workerID: "b",
                    leaseDuration: .seconds(1),
                    now: at(1000),
                    rewritePayload: hook
                )
            )
            #expect(second.claims == 2)
            let delivered = try AttributionEnvelope.extract(from: second.payload)
            var expected = original
            expected.attempt = 2
            #expect(delivered == expected)
            #expect(String(decoding: second.payload, as: UTF8.self).hasSuffix(#","doc": 42, "text": "a  b"}"#))
            #expect(try queue.job(id: id)?.payload == second.payload)

            // b fails; the retry middleware's payload is the same envelope with attempt + 1.
            let retried = try delivered.retried().embed(into: second.payload)
            try queue.fail(second, error: "timeout", retryAt: at(2000), retryPayload: retried, now: at(1001))
            let third = try #require(
                try queue.claim(
                    queue: "q",
                    workerID: "c",
                    leaseDuration: .seconds(1),
                    now: at(2000),
                    rewritePayload: hook
                )
            )
            #expect(third.claims == 3)
            #expect(third.payload == retried)
            #expect(try AttributionEnvelope.extract(from: third.payload).attempt == 3)
        }
    }

    @Test("a payload without an envelope is delivered unchanged")
    func unattributedPayload() async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: bytes(#"{"doc":42}"#), queue: "q", now: at(0))
            _ = try #require(try queue.claim(queue: "q", workerID: "a", leaseDuration: .seconds(1), now: at(0)))
            let again = try #require(
                try queue.claim(
                    queue: "q",
                    workerID: "b",
                    leaseDuration: .seconds(1),
                    now: at(1000),
                    rewritePayload: SQLiteJobQueue.raiseEnvelopeAttemptToClaims
                )
            )
            #expect(again.payload == bytes(#"{"doc":42}"#))
        }
    }

    @Test("a payload whose envelope is invalid goes dead with the decoder's reason")
    func invalidEnvelope() async throws {
        try await withQueue { queue, _ in
            let id = try queue.enqueue(
                payload: bytes(#"{"attribution":{"v":1,"leaf_id":"XYZ"}}"#),
                queue: "q",
                now: at(0)
            )
            let job = try queue.claim(
                queue: "q",
                workerID: "a",
                leaseDuration: .seconds(1),
                now: at(0),
                rewritePayload: SQLiteJobQueue.raiseEnvelopeAttemptToClaims
            )
            #expect(job == nil)
            let record = try #require(try queue.job(id: id))
            #expect(record.state == .dead)
            #expect(record.lastError?.hasPrefix("payload rewrite failed: ") == true)
        }
    }
}
