// The Swift snippets of docs/metering.md, docs/ledger.md, docs/prices.md and docs/audit.md, compiled and run by
// the tests. Each region between `// snippet: NAME` and `// end snippet` is one of the pages' snippets, line for
// line once its indentation is removed (Tests/CostAuditCLITests/DocsSnippetsTests.swift compares them; a
// snippet's `import` lines are this file's imports). The lines around the regions are the stand-ins a snippet
// needs (a fake HTTP client, a folder to write in) and the checks that each snippet did what its page says. It
// works in a fresh temporary folder, removed at the end.
//
//     swift run DocsSnippets
import Attribution
import AttributionTesting
import CostAudit
import CostLedger
import Foundation

/// Stops the example with a message when a snippet did not do what its page says.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    FileHandle.standardError.write(Data("DocsSnippets: \(message())\n".utf8))
    exit(1)
}

// The name is bound first: passed as a temporary, its string is reported as leaked by LeakSanitizer in debug
// builds of this async top-level code (.ci/sanitizers.sh).
let folderName = "docs-snippets-\(ProcessInfo.processInfo.processIdentifier)"
let folder = FileManager.default.temporaryDirectory.appendingPathComponent(folderName).path
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
check(FileManager.default.changeCurrentDirectoryPath(folder), "cannot enter \(folder)")

/// The application's own chat client, standing in for any SDK: its reply reports the usage.
struct ChatReply: CustomStringConvertible {
    var text: String
    var promptTokens: Int64
    var completionTokens: Int64
    var description: String { text }
}
struct ChatClient {
    func chat(_ messages: [String], idempotencyKey: String) async throws -> ChatReply {
        ChatReply(text: "a summary of \(messages.count) message(s)", promptTokens: 1_200, completionTokens: 80)
    }
}

/// An HTTP client standing in for the network: answers with a fake provider's response.
struct FakeHTTP {
    var provider: FakeProvider
    func post(_ url: String, body: [UInt8], headers: [String: String]) async throws -> (Int, [UInt8]) {
        check(headers["Idempotency-Key"]?.isEmpty == false, "no idempotency key sent to \(url)")
        return (provider.httpStatus, try provider.respond(to: body))
    }
}

/// A secret store standing in for the application's.
struct Secrets {
    func load(_ name: String) throws -> [UInt8] { Array(repeating: 7, count: 32) }
}

let ledger = InMemoryCostSink()
let (tagger, _) = try CostMeter.testing(seed: 3, now: "2026-11-30T10:00:00Z")
let job = try tagger.tag(
    userID: "u_42",
    feature: "summarize",
    team: "growth",
    project: "assistant",
    taskType: "summary"
)
let client = ChatClient()
let messages = ["Summarize document 42"]
let json = Array(#"{"model": "gpt-4.1", "input": "Summarize document 42"}"#.utf8)
let http = FakeHTTP(provider: FakeProvider(.openAIResponses, usage: TokenUsage(input: 900, output: 60)))

// snippet: metering-quick-start
let meter = CostMeter(sink: ledger)  // strict, built-in prices, default policy

// Any client: the closure returns its result and the usage it reports.
let reply = try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(job)) { request in
    let reply = try await client.chat(messages, idempotencyKey: request.recordID)
    return (reply, TokenUsage(input: reply.promptTokens, output: reply.completionTokens))
}
print(reply.value, reply.record.costUSD ?? "unpriced")

// Raw HTTP: the meter tags the body and reads the usage itself.
let response = try await meter.callJSON(adapter: .openAIResponses, requestBody: json, attribution: .envelope(job)) {
    request in
    let (status, bytes) = try await http.post(
        "https://api.openai.com/v1/responses",
        body: request.body,
        headers: ["Idempotency-Key": request.idempotencyKey]
    )
    return ProviderResponse(status: status, body: bytes)
}
print(response.status ?? 0, response.record.usage.input, response.record.costUSD ?? "unpriced")
// end snippet

check(reply.record.costUSD != nil && reply.record.usage.input == 1_200, "the call was not priced: \(reply.record)")
check(response.status == 200 && response.record.usage.input == 900, "the JSON call: \(response.record)")
check(ledger.records.count == 2, "\(ledger.records.count) records, not 2")

do {
    /// The provider, overloaded: a 503 error response.
    let overloaded = FakeProvider(
        .openAIResponses,
        usage: TokenUsage(input: 900, output: 0),
        failure: .errorResponse(status: 503, type: "server_error", message: "overloaded")
    )
    func send(_ request: MeteredJSONRequest) async throws -> ProviderResponse {
        ProviderResponse(status: overloaded.httpStatus, body: try overloaded.respond(to: request.body))
    }

    // snippet: metering-provider-error
    do {
        let response = try await meter.callJSON(
            adapter: .openAIResponses,
            requestBody: json,
            attribution: .envelope(job)
        ) { request in try await send(request) }
        print(response.status ?? 0)
    } catch let error as ProviderCallError where error.isRetryable {
        // error.status == 503, error.type == "server_error", error.record.status == .error
        // retry with job.retried() (docs/jobs.md)
    }
    // end snippet

    let recorded = ledger.records.last
    check(recorded?.status == .error && ledger.records.count == 3, "the 503 was not recorded as an error")
}

do {
    let secrets = Secrets()

    // snippet: metering-user-id-key
    let key: [UInt8] = try secrets.load("provider-user-id-key")  // 32 random bytes, the same on every instance
    let meter = CostMeter(sink: ledger, propagation: MetadataPropagation(userID: .keyedHash(key: key)))
    // end snippet

    let sent = try await meter.callJSON(adapter: .openAIResponses, requestBody: json, attribution: .envelope(job)) {
        request in
        let body = String(decoding: request.body, as: UTF8.self)
        check(!body.contains("u_42"), "the raw user id reached the provider: \(body)")
        check(body.contains("safety_identifier"), "no keyed hash sent: \(body)")
        return ProviderResponse(status: 200, body: try http.provider.respond(to: request.body))
    }
    check(sent.record.attribution[.userID] == "u_42", "the ledger lost the user id")
}

do {
    struct User { var id: String }
    let user = User(id: "u_7")
    let before = ledger.records.count

    // snippet: metering-announce
    let envelope = try meter.tag(
        userID: user.id,
        feature: "summarize",
        team: "growth",
        project: "assistant",
        taskType: "summarize"
    )  // announces the root unit
    let search = envelope.child(tool: "search")
    try meter.announce(search)  // a unit without calls
    // end snippet

    let units = ledger.records[before...].filter { $0.kind == .unit }
    check(units.count == 2, "\(units.count) unit records, not 2")
}

do {
    let request = Array(#"{"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": []}"#.utf8)

    // snippet: metering-fake-provider
    let fake = FakeProvider(.anthropicMessages, usage: TokenUsage(input: 1_200, output: 80, cachedInput: 1_000))
    let response = try await meter.callJSON(
        adapter: .anthropicMessages,
        requestBody: request,
        attribution: .envelope(job)
    ) { request in
        // streams when the request says "stream": true; httpStatus is the failure's status, or 200
        ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body))
    }
    // end snippet

    check(response.record.usage == fake.usage, "the fake's usage was not recorded: \(response.record.usage)")
}

let records = ledger.records
let storedRecord = records[0]

do {
    let record = records[0]

    // snippet: ledger-write
    var configuration = JSONLinesLedger.Configuration(directory: "ledger")
    configuration.durability = .fsync
    configuration.bufferPolicy = .dropAndCount
    let ledger = try JSONLinesLedger(configuration: configuration)
    try ledger.write(record)  // encodes into the buffer and returns
    try ledger.close()  // flushes and stops the background flusher
    print(ledger.stats)  // accepted, written, durable, dropped, flushes, syncs, bytes, files, errors
    // end snippet

    check(ledger.stats.durableRecords == 1, "the record is not durable: \(ledger.stats)")
}

do {
    var configuration = JSONLinesLedger.Configuration(directory: "ledger")
    configuration.durability = .fsync
    let ledger = try JSONLinesLedger(configuration: configuration)
    let batches = [Array(records[1..<3]), Array(records[3...])]
    var acknowledged = 0
    func acknowledge(upTo position: Int) { acknowledged = position }

    // snippet: ledger-group-commit
    var previous = 0
    for batch in batches {
        for record in batch { try ledger.write(record) }
        let position = ledger.requestFlush()  // the flusher writes + syncs this batch; no waiting
        try ledger.waitUntilDurable(records: previous)  // the batch before is synced
        acknowledge(upTo: previous)
        previous = position
    }
    // end snippet

    try ledger.close()
    check(acknowledged == 2, "acknowledged up to \(acknowledged), not 2")
}

do {
    // snippet: ledger-concurrent-syncs
    var configuration = JSONLinesLedger.Configuration(directory: "ledger")
    configuration.durability = .fsync(concurrentSyncs: 8)
    configuration.batchRecords = 64
    let ledger = try JSONLinesLedger(configuration: configuration)
    for record in records { try ledger.write(record) }  // batches of 64 go out as they complete
    try ledger.waitUntilDurable(records: ledger.requestFlush())
    // end snippet

    try ledger.close()
    check(ledger.stats.durableRecords == records.count, "durable \(ledger.stats.durableRecords) of \(records.count)")
}

do {
    // snippet: ledger-read
    let stats = try LedgerReader(paths: ["ledger"]).read { record, location in
        print(location, record.recordID, record.costUSD?.exactDecimal ?? "unpriced")
    }
    print(stats.records, stats.skippedLines, stats.invalidRecords, stats.skippedKinds)
    // end snippet

    check(stats.records == 2 * records.count, "read \(stats.records) records, not \(2 * records.count)")
}

try #"{"source": "acme-prices", "models": {"openai/gpt-4.1": [{"input": "1.00", "output": "4.00"}]}}"#
    .write(toFile: "prices.json", atomically: true, encoding: .utf8)
try
    #"{"gpt-4.1": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 3e-06, "output_cost_per_token": 1.2e-05}}"#
    .write(toFile: "model_prices_and_context_window.json", atomically: true, encoding: .utf8)

do {
    // snippet: prices-overlay
    let prices = PriceTable.builtIn.overlaying(try PriceTable(contentsOfFile: "prices.json"))
    let record = prices.repriced(storedRecord)  // a corrected price fixes history
    // end snippet

    check(record.costUSD != nil && record.costUSD != storedRecord.costUSD, "the record was not repriced")
}

do {
    // snippet: prices-litellm
    let prices = PriceTable.builtIn.overlaying(
        try PriceTable(
            contentsOfFile: "model_prices_and_context_window.json",
            effectiveFrom: try UTCTimestamp(rfc3339: "2025-08-01T00:00:00Z")
        )
    )
    // end snippet

    let repriced = prices.repriced(storedRecord)
    check(repriced.costUSD != nil && repriced.costUSD != storedRecord.costUSD, "LiteLLM's price did not apply")
}

let usageDay = 1_764_460_800  // 2025-11-30T00:00:00Z
try #"""
{"object": "page", "data": [{"object": "bucket", "start_time": \#(usageDay), "end_time": \#(usageDay + 86_400), "results": [{"object": "organization.usage.completions.result", "input_tokens": 4100, "input_cached_tokens": 0, "output_tokens": 260, "num_model_requests": 4, "model": "gpt-4.1", "api_key_id": "key_openai", "batch": false}]}], "has_more": false, "next_page": null}
"""#.write(toFile: "openai-usage.json", atomically: true, encoding: .utf8)
try #"""
{"data": [{"starting_at": "2025-11-30T00:00:00Z", "ending_at": "2025-12-01T00:00:00Z", "results": [{"uncached_input_tokens": 200, "cache_read_input_tokens": 1000, "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}, "output_tokens": 80, "model": "claude-sonnet-4-5", "api_key_id": "key_anthropic", "workspace_id": null, "service_tier": "standard"}]}], "has_more": false, "next_page": null}
"""#.write(toFile: "anthropic-usage.jsonl", atomically: true, encoding: .utf8)
try #"{"key_openai": {"team": "growth", "project": "assistant"}}"#
    .write(toFile: "keys.json", atomically: true, encoding: .utf8)
try
    #"[{"match": {"agent": "nightly-eval-agent"}, "set": {"user_id": "system", "feature": "nightly_eval", "team": "ml-platform", "project": "nightly-eval", "task_type": "eval"}}]"#
    .write(toFile: "rules.json", atomically: true, encoding: .utf8)

// snippet: audit
var configuration = AuditConfiguration(ledger: .files(["ledger"]), prices: PriceTable.builtIn)
configuration.usage = [.file("openai-usage.json"), .file("anthropic-usage.jsonl")]
configuration.keyMap = try AuditKeyMap(contentsOfFile: "keys.json")
configuration.rules = try AuditRules(contentsOfFile: "rules.json")
let report = try Auditor.run(configuration)
print(report.render(.table))  // or .json (docs/audit.md), .csv, .markdown
// end snippet

check(report[.direct] > .zero, "the audit found no direct spend")
try FileManager.default.removeItem(atPath: folder)
print("docs snippets: ok")
