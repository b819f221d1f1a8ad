// Meters three model calls into a JSON Lines ledger and prints it:
//   - an OpenAI Chat Completions call through an HTTP client of your own (here a fake one),
//   - a streamed Anthropic Messages call whose usage is read as the chunks pass,
//   - an OpenAI Responses call that fails with the provider's error,
// plus the announcement of the request's root unit, and a call refused for missing attribution.
//
//   swift run MeteredCalls [ledger-directory]
//
// Without an argument the ledger goes to a new temporary directory.

import Attribution
import AttributionTesting
import CostLedger
import Foundation

let directory: String
if CommandLine.arguments.count > 1 {
    directory = CommandLine.arguments[1]
} else {
    directory =
        FileManager.default.temporaryDirectory
        .appendingPathComponent("metered-calls-\(ProcessInfo.processInfo.processIdentifier)").path
}
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

/// A stable stand-in for a keyed hash (use an HMAC with a secret key in production): FNV-1a, 64 bits.
@Sendable func pseudonym(_ userID: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in userID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return "anon-" + String(hash, radix: 16)
}

let ledger = try JSONLinesLedger(configuration: JSONLinesLedger.Configuration(directory: directory))
let meter = CostMeter(
    sink: ledger,
    pseudonymize: pseudonym,
    onIssue: { issue in print("metering issue: \(issue)") }
)

// Tag the originating request: a root envelope, announced as a `unit` record.
let request = try meter.tag(
    userID: "u_42",
    feature: "contract-review",
    team: "legal-tools",
    project: "assistant",
    taskType: "summarize",
    tags: ["env": "demo"]
)

// 1. OpenAI Chat Completions over raw HTTP: the meter tags the body and reads the usage from the response.
let openAI = FakeProvider(
    .openAIChatCompletions,
    seed: 1,
    usage: TokenUsage(input: 2_400, output: 310, cachedInput: 2_048, reasoning: 0)
)
let chatBody = Array(#"{"model":"gpt-4.1","messages":[{"role":"user","content":"Summarise the contract."}]}"#.utf8)
let chatResponse = try await meter.callJSON(adapter: .openAIChatCompletions, requestBody: chatBody, envelope: request) {
    call in
    print("POST /v1/chat/completions  Idempotency-Key: \(call.idempotencyKey)")
    print("  body sent: \(String(decoding: call.body, as: UTF8.self))")
    return try openAI.respond(to: call.body)
}
print("  response: \(chatResponse.count) bytes\n")

// 2. A streamed Anthropic call in a child unit (a tool call), metered chunk by chunk.
let review = request.child(tool: "clause-extractor")
try meter.announce(review)
let anthropic = FakeProvider(
    .anthropicMessages,
    seed: 2,
    usage: TokenUsage(input: 9_000, output: 420, cachedInput: 6_000, cacheWrite: 2_000, cacheWrite1h: 500)
)
let streamBody = Array(#"{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[]}"#.utf8)
let forwarded = try await meter.callStreaming(adapter: .anthropicMessages, requestBody: streamBody, envelope: review) {
    call,
    recorder in
    let stream = try anthropic.respond(to: call.body)
    var chunks = 0
    var offset = 0
    while offset < stream.count {
        let chunk = stream[offset..<min(stream.count, offset + 256)]
        recorder.consume(chunk)  // ...and forward the chunk to the user
        chunks += 1
        offset += 256
    }
    return chunks
}
print("streamed Anthropic reply: \(forwarded) chunks forwarded\n")

// 3. A Responses call the provider rejects: the body is returned, the record says status: error.
let failing = FakeProvider(.openAIResponses, failure: .errorResponse(status: 429, type: "rate_limit_exceeded"))
_ = try await meter.callJSON(
    adapter: .openAIResponses,
    requestBody: Array(#"{"model":"o3","input":"Draft a reply."}"#.utf8),
    envelope: request
) { call in try failing.respond(to: call.body) }

// 4. A call without attribution is refused before anything is sent.
do {
    _ = try await meter.call(provider: "openai", model: "gpt-4.1") { _ in ("never sent", TokenUsage()) }
} catch let error as CostLedgerError {
    print("refused: \(error)\n")
}

try ledger.close()

// Print the ledger as written.
let (records, stats) = try LedgerReader(path: directory).readAll()
for file in try LedgerReader(path: directory).files() {
    print("== \(file)")
    print(String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self), terminator: "")
}
var total = Money.zero
var unpriced = 0
for record in records where record.kind == .call {
    if let cost = record.costUSD { total += cost } else { unpriced += 1 }
}
print("\n\(records.count) records, \(stats.skippedLines) skipped lines, priced total $\(total.formatted())")
// The built-in table prices current OpenAI and Anthropic models: other models are recorded unpriced, never guessed.
print("\(unpriced) unpriced calls (load a price file with PriceTable(contentsOfFile:) to price them)")
print("statistics: \(meter.statistics)")
