import Attribution
import AttributionTesting
import CostLedger
import Foundation
import SQLiteJobQueue
import Testing

@Suite("Jobs without an envelope, through the SQLite queue and the meter")
struct LenientJobTests {
    static let untagged = Array(#"{"document":"contract-7.pdf"}"#.utf8)

    @Test("the default policy refuses a job with no envelope at enqueue: nothing is queued")
    func strictRefusesAtEnqueue() async throws {
        try await withQueue { queue, _ in
            let middleware = AttributionJobMiddleware()
            #expect(throws: AttributionError.self) {
                try queue.enqueue(payload: Self.untagged, queue: "llm", middleware: middleware)
            }
            let stats = try queue.stats()
            #expect(stats.total == 0)
        }
    }

    @Test("the lenient policy enqueues and performs it, and its model call is recorded as unattributed")
    func lenientRecordsUnattributed() async throws {
        try await withQueue { queue, directory in
            let ledgerDirectory = directory.url.appendingPathComponent("ledger").path
            let ledger = try JSONLinesLedger(configuration: JSONLinesLedger.Configuration(directory: ledgerDirectory))
            let meter = CostMeter(sink: ledger, mode: .lenient)
            let middleware = AttributionJobMiddleware(mode: .lenient, announcer: meter)

            try queue.enqueue(payload: Self.untagged, queue: "llm", middleware: middleware)
            let job = try #require(
                try queue.claim(
                    queue: "llm",
                    workerID: "worker-1",
                    leaseDuration: .seconds(5),
                    rewritePayload: SQLiteJobQueue.raiseEnvelopeAttemptToClaims
                )
            )
            #expect(job.payload == Self.untagged)
            let envelope = try middleware.willPerform(job.payload, context: job.jobContext)
            #expect(envelope == nil)

            let provider = FakeProvider(.openAIChatCompletions, usage: TokenUsage(input: 500, output: 80))
            let body = Array(#"{"model":"gpt-4.1","messages":[{"role":"user","content":"Summarise."}]}"#.utf8)
            _ = try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: body,
                attribution: .envelope(envelope)
            ) { request in ProviderResponse(status: provider.httpStatus, body: try provider.respond(to: request.body)) }
            try ledger.flush()
            try queue.complete(job)
            try ledger.close()
            let stats = try queue.stats()
            #expect(stats.completed == 1)

            let (records, _) = try LedgerReader(path: ledgerDirectory).readAll()
            try #require(records.count == 1)
            let call = records[0]
            #expect(call.kind == .call)
            #expect(call.status == .ok)
            #expect(call.usage.input == 500)
            #expect(call.attribution.isEmpty)
            #expect(call.attribution[.userID] == nil)
            #expect(call.traceID == nil)
            #expect(call.leafID == nil)
        }
    }
}
