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

// The provider sees a user only as HMAC-SHA256(key, user_id); without a key no user id leaves the process.
// In production the key is a secret the application keeps (32 random bytes), the same on every instance.
let userIDKey = Array("demo key: keep the real one in your secret store".utf8)

let ledger = try JSONLinesLedger(configuration: JSONLinesLedger.Configuration(directory: directory))
let meter = CostMeter(
    sink: ledger,
    propagation: MetadataPropagation(userID: .keyedHash(key: userIDKey)),
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
let chatResponse = try await meter.callJSON(
    adapter: .openAIChatCompletions,
    requestBody: chatBody,
    attribution: .envelope(request)
) { call in
    print("POST /v1/chat/completions  Idempotency-Key: \(call.idempotencyKey)")
    print("  body sent: \(String(decoding: call.body, as: UTF8.self))")
    return ProviderResponse(status: openAI.httpStatus, body: try openAI.respond(to: call.body))
}
let chatCost = chatResponse.record.costUSD.map { "\($0) USD" } ?? "unpriced"
print("  response: \(chatResponse.body.count) bytes, HTTP \(chatResponse.status ?? 0), recorded \(chatCost)\n")

// 2. A streamed Anthropic call in a child unit (a tool call), metered chunk by chunk.
let review = request.child(tool: "clause-extractor")
try meter.announce(review)
let anthropic = FakeProvider(
    .anthropicMessages,
    seed: 2,
    usage: TokenUsage(input: 9_000, output: 420, cachedInput: 6_000, cacheWrite: 2_000, cacheWrite1h: 500)
)
let streamBody = Array(#"{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[]}"#.utf8)
let forwarded = try await meter.callStreaming(
    adapter: .anthropicMessages,
    requestBody: streamBody,
    attribution: .envelope(review)
) { call, recorder in
    recorder.record(status: anthropic.httpStatus)
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
print("streamed Anthropic reply: \(forwarded.value) chunks forwarded, \(forwarded.record.usage.input) input tokens\n")

// 3. A Responses call the provider rejects: recorded with status: error, then thrown with the HTTP status.
let failing = FakeProvider(.openAIResponses, failure: .errorResponse(status: 429, type: "rate_limit_exceeded"))
do {
    _ = try await meter.callJSON(
        adapter: .openAIResponses,
        requestBody: Array(#"{"model":"o3","input":"Draft a reply."}"#.utf8),
        attribution: .envelope(request)
    ) { call in ProviderResponse(status: failing.httpStatus, body: try failing.respond(to: call.body)) }
} catch let error as ProviderCallError {
    print("\(error); retryable: \(error.isRetryable)\n")
}

// 4. A call without attribution is refused before anything is sent.
do {
    _ = try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .current) { _ in
        ("never sent", TokenUsage())
    }
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
