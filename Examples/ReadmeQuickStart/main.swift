import Attribution
import AttributionTesting  // FakeProvider: a stand-in for the provider's HTTP API
import CostLedger
import Foundation

let directory = NSTemporaryDirectory() + "ledger-\(UUID())"  // in production a durable path, e.g. /var/ledger
let ledger = try JSONLinesLedger(configuration: .init(directory: directory))
let meter = CostMeter(sink: ledger)
// At the request: tag it. Fails closed, listing every missing field; announces the root unit.
let request = try meter.tag(userID: "u_42", feature: "summarize", team: "growth", project: "app", taskType: "summary")
// Into the job's payload, not task-local state: a child unit minted at enqueue.
let payload = try AttributionJobMiddleware(announcer: meter).prepare(Array(#"{"doc":"d_9"}"#.utf8), parent: request)
// In the worker, in another process, later: the envelope comes out of the payload, and the call is metered.
let job = try AttributionEnvelope.extract(from: payload)
let http = FakeProvider(.openAIChatCompletions)  // your HTTP client, POSTing to api.openai.com/v1/chat/completions
let chat = Array(#"{"model":"gpt-4.1","messages":[{"role":"user","content":"Summarize d_9"}]}"#.utf8)
let reply = try await meter.callJSON(adapter: .openAIChatCompletions, requestBody: chat, attribution: .envelope(job)) {
    ProviderResponse(status: http.httpStatus, body: try http.respond(to: $0.body))  // send $0.body, return the reply
}
try ledger.flush()  // before acknowledging the job: every record so far is written
try ledger.close()  // at shutdown: flushes and stops the writer
print("\(ledger.stats.writtenRecords) records in \(directory)")
