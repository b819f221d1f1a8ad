// The call sites an application adopting this package writes, each run as a scenario with the checks that
// show it works. The program uses only the packages' public API (plain imports, nothing `@testable`), as a
// package depending on this one would, so it doubles as a worked example:
//
//   1. an untagged job payload is never billed to the operator whose context is bound around the worker;
//   2. a metered call returns the record it wrote; a provider's error is recorded with its status and thrown;
//   3. every refusal, from tagging or from a metering call, is one error type: `AttributionError`;
//   4. a job's envelope travels in its payload, minted by the one safe enqueue path, to a `Task.detached` worker;
//   5. a retry started under an operator's context keeps the job's user and trace;
//   6. `withAttribution` and `withRetries` from an actor and from `@MainActor`, touching their state;
//   7. fan-out: children minted by name, run concurrently, and a child's error thrown;
//   8. a deterministic test meter in one line;
//   9. an unpriced call is reported at run time;
//  10. no raw user id reaches a provider by default;
//  11. a streamed call, metered as the chunks pass;
//  12. the audit over the ledger the scenarios wrote.
//
//   swift run CallSiteScenarios [directory]
//
// Writes the ledger to DIRECTORY/ledger, every request body the provider was sent to
// DIRECTORY/sent-bodies.jsonl (one per line) and the audit's attributed records to DIRECTORY/attributed.jsonl.
// Prints `ok: <scenario>` or `FAILED: <scenario>: <why>` per scenario and exits 1 when any failed.

import Attribution
import AttributionTesting  // FakeProvider: a stand-in for the provider's HTTP API; the one-line test meter
import CostAudit
import CostLedger
import Foundation
import Synchronization

// MARK: - Scaffolding

/// A check that did not hold, with what was seen.
struct CheckFailed: Error, CustomStringConvertible {
    var description: String
}

func check(_ condition: Bool, _ why: @autoclosure () -> String) throws {
    if !condition { throw CheckFailed(description: why()) }
}

/// The provider's HTTP API, faked: answers as the real one does and keeps every request body it was sent.
final class Provider: Sendable {
    private let sent = Mutex<[[UInt8]]>([])

    /// Sends the meter's tagged request to `api` and returns its status and body.
    func send(_ request: MeteredJSONRequest, to api: FakeProvider) throws -> ProviderResponse {
        sent.withLock { $0.append(request.body) }
        return ProviderResponse(status: api.httpStatus, body: try api.respond(to: request.body))
    }

    /// Every request body sent so far, in order.
    var bodies: [[UInt8]] { sent.withLock { $0 } }
}

/// What the meter's `onIssue` callback received.
final class IssueLog: Sendable {
    private let issues = Mutex<[MeteringIssue]>([])
    func append(_ issue: MeteringIssue) { issues.withLock { $0.append(issue) } }
    var all: [MeteringIssue] { issues.withLock { $0 } }
}

/// A Chat Completions request body.
func chat(_ prompt: String, stream: Bool = false) -> [UInt8] {
    let streaming = stream ? #","stream":true"# : ""
    return Array(#"{"model":"gpt-4.1","messages":[{"role":"user","content":"\#(prompt)"}]\#(streaming)}"#.utf8)
}

/// The job a request enqueues.
struct SummarizeJob: Codable, Sendable {
    var documentID: Int
}

// MARK: - The application's set-up

let directory =
    CommandLine.arguments.count > 1
    ? CommandLine.arguments[1] : FileManager.default.temporaryDirectory.path + "/call-site-scenarios-\(UUID())"
let ledgerDirectory = directory + "/ledger"
try FileManager.default.createDirectory(atPath: ledgerDirectory, withIntermediateDirectories: true)

let ledger = try JSONLinesLedger(configuration: .init(directory: ledgerDirectory))
let issues = IssueLog()
// Strict (fail closed), built-in prices, the default policy, and no user id sent to providers.
let meter = CostMeter(sink: ledger, onIssue: { issues.append($0) })

/// Everything the scenarios share: the meter and ledger, the fake provider, the tagged request being served,
/// and an operator's envelope from the admin console (another service: never announced into this ledger).
struct Scenarios: Sendable {
    let meter: CostMeter
    let ledger: JSONLinesLedger
    let provider: Provider
    let issues: IssueLog
    let directory: String
    let request: AttributionEnvelope
    let admin: AttributionEnvelope
    /// The job middleware: mints, checks and announces every job unit.
    let middleware: AttributionJobMiddleware
    /// A provider that answers every call.
    let openAI = FakeProvider(.openAIChatCompletions)
    /// A provider that answers with an overloaded 529 (retryable).
    let overloaded = FakeProvider(
        .openAIChatCompletions,
        failure: .errorResponse(status: 529, type: "overloaded_error", message: "Overloaded.")
    )

    init(meter: CostMeter, ledger: JSONLinesLedger, provider: Provider, issues: IssueLog, directory: String) throws {
        self.meter = meter
        self.ledger = ledger
        self.provider = provider
        self.issues = issues
        self.directory = directory
        // At the request: tagged with the five required fields (`meter.tag()` does not compile), root announced.
        request = try meter.tag(
            userID: "u_alice",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summary"
        )
        admin = try AttributionEnvelope.tag(
            userID: "ops_admin",
            feature: "admin-console",
            team: "platform",
            project: "ops",
            taskType: "retry"
        )
        middleware = AttributionJobMiddleware(announcer: meter)
    }

    // MARK: 1

    /// A worker decodes its job with `try?` and gets nil (the payload was enqueued untagged), while the
    /// operator's envelope is bound around it. `.envelope(nil)` means "no envelope", never the task-local one.
    func untaggedPayloadIsNeverBilledToTheOperator() async throws {
        let payload = Array(#"{"documentID":7}"#.utf8)  // enqueued by old code, without an envelope
        let sentBefore = provider.bodies.count
        do {
            try await withAttribution(admin) {
                let job = try? AttributionEnvelope.extract(from: payload)  // nil
                _ = try await meter.callJSON(
                    adapter: .openAIChatCompletions,
                    requestBody: chat("Summarize document 7"),
                    attribution: .envelope(job)
                ) { try provider.send($0, to: openAI) }
            }
            throw CheckFailed(description: "strict mode made the call")
        } catch let error as AttributionError {
            try check(error.code == .missingEnvelope, "refused with \(error.code), expected missing_envelope")
        }
        try check(provider.bodies.count == sentBefore, "the refused call reached the provider")

        // Lenient mode (a migration measuring first) makes the call and records it unattributed.
        let lenient = CostMeter(sink: ledger, mode: .lenient)
        let response = try await withAttribution(admin) {
            let job = try? AttributionEnvelope.extract(from: payload)
            return try await lenient.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: chat("Summarize document 7"),
                attribution: .envelope(job)
            ) { try provider.send($0, to: openAI) }
        }
        try check(response.record.attribution.isEmpty, "recorded with \(response.record.attribution)")
        try check(response.record.traceID == nil, "recorded under trace \(String(describing: response.record.traceID))")
        try check(lenient.statistics.unattributed == 1, "unattributed calls: \(lenient.statistics.unattributed)")
    }

    // MARK: 2

    /// The call returns its record and the HTTP status; a provider's 503 is recorded with `status: error`
    /// and thrown as `ProviderCallError`, which says a retry may succeed.
    func providerErrorIsRecordedAndThrown() async throws {
        let response = try await meter.callJSON(
            adapter: .openAIChatCompletions,
            requestBody: chat("Summarize document 1"),
            attribution: .envelope(request)
        ) { try provider.send($0, to: openAI) }
        try check(response.status == 200, "status \(String(describing: response.status))")
        try check(response.record.status == .ok, "record status \(response.record.status)")
        try check(response.record.usage == openAI.usage, "usage \(response.record.usage)")
        try check((response.record.costUSD ?? .zero) > .zero, "cost \(String(describing: response.record.costUSD))")

        let unavailable = FakeProvider(
            .openAIChatCompletions,
            failure: .errorResponse(status: 503, type: "server_error", message: "The server is unavailable.")
        )
        do {
            _ = try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: chat("Summarize document 2"),
                attribution: .envelope(request)
            ) { try provider.send($0, to: unavailable) }
            throw CheckFailed(description: "the 503 came back as a normal return")
        } catch let error as ProviderCallError where error.isRetryable {
            try check(error.status == 503, "status \(String(describing: error.status))")
            try check(error.type == "server_error", "type \(String(describing: error.type))")
            try check(error.record.status == .error, "record status \(error.record.status)")
            try check(error.record.attribution[.userID] == "u_alice", "billed to \(error.record.attribution)")
        }
    }

    // MARK: 3

    /// A tag refusal, a metering-call refusal and an enqueue refusal, caught by the same
    /// `catch let error as AttributionError`, each naming every missing field once.
    func everyRefusalIsOneErrorType() async throws {
        var partial = request
        partial.team = nil
        let refusals: [(entry: String, attempt: () async throws -> Void)] = [
            ("meter.tag", { _ = try meter.tag(fields: [.userID: "u_alice", .feature: "summarize"]) }),
            (
                "AttributionEnvelope.tag",
                { _ = try AttributionEnvelope.tag(fields: [.team: "growth"], policy: .default) }
            ),
            (
                "meter.callJSON",
                {
                    _ = try await meter.callJSON(
                        adapter: .openAIChatCompletions,
                        requestBody: chat("Summarize document 3"),
                        attribution: .unattributed
                    ) { try provider.send($0, to: openAI) }
                }
            ),
            (
                "meter.call",
                {
                    _ = try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(partial)) {
                        _ in ("never sent", TokenUsage())
                    }
                }
            ),
            (
                "middleware.prepare",
                { _ = try middleware.prepare(payload: SummarizeJob(documentID: 3), parent: partial) }
            ),
        ]
        for (entry, attempt) in refusals {
            do {
                try await attempt()
                throw CheckFailed(description: "\(entry) was not refused")
            } catch let error as AttributionError {
                let message = error.description
                for field in AttributionField.allCases {
                    let mentions = message.components(separatedBy: field.name).count - 1
                    try check(mentions <= 1, "\(entry): \(field) named \(mentions) times in \"\(message)\"")
                }
                try check(
                    error.code == .missingFields || error.code == .missingEnvelope,
                    "\(entry): refused with \(error.code): \(message)"
                )
            }
        }
        let message = try refusalMessage { _ = try meter.tag(fields: [.userID: "u_alice", .feature: "summarize"]) }
        try check(message == "required attribution missing: team, project, task_type", "message \"\(message)\"")
    }

    /// The message of the `AttributionError` `body` throws.
    private func refusalMessage(_ body: () throws -> Void) throws -> String {
        do {
            try body()
        } catch let error as AttributionError {
            return error.description
        }
        throw CheckFailed(description: "not refused")
    }

    // MARK: 4

    /// The request enqueues a job through the one safe path (minted, checked, announced); a worker in a
    /// detached task, where no task-local reaches, takes the envelope from the payload.
    func envelopeInPayloadReachesADetachedWorker() async throws {
        let unitsBefore = meter.statistics.unitsAnnounced
        let job = try middleware.prepare(payload: SummarizeJob(documentID: 42), parent: request) {
            $0.taskType = "summarize"
        }
        let bytes = try JSONEncoder().encode(job)  // {"attribution":{…},"documentID":42}
        try check(meter.statistics.unitsAnnounced == unitsBefore + 1, "the job's unit was not announced")

        let record = try await withAttribution(admin) {
            try await Task.detached { [meter, provider, openAI] in
                let delivered = try JSONDecoder().decode(AttributedPayload<SummarizeJob>.self, from: bytes)
                let response = try await meter.callJSON(
                    adapter: .openAIChatCompletions,
                    requestBody: chat("Summarize document \(delivered.payload.documentID)"),
                    attribution: .envelope(delivered.attribution)
                ) { try provider.send($0, to: openAI) }
                return response.record
            }.value
        }
        try check(record.attribution[.userID] == "u_alice", "billed to \(record.attribution)")
        try check(record.attribution[.taskType] == "summarize", "task type \(record.attribution)")
        try check(record.leafID == job.attribution.leafID, "recorded under another unit")
        try check(record.parentID == request.leafID, "parent \(String(describing: record.parentID))")
        try check(record.traceID == request.traceID, "trace \(String(describing: record.traceID))")
    }

    // MARK: 5

    /// An operator clicks "retry" in the admin console: the retries run under the job's own envelope
    /// (`attempt` + 1), bound as the task-local one, so even `.current` bills the job's user.
    func retryUnderAnOperatorKeepsTheJobsIdentity() async throws {
        let job = try middleware.jobEnvelope(parent: request) { $0.taskType = "summarize" }
        let policy = RetryPolicy(maxAttempts: 3) { ($0 as? ProviderCallError)?.isRetryable == true }
        var records: [CostRecord] = []
        let summary = try await withAttribution(admin) {
            try await job.withRetries(policy: policy, sleep: { _ in }) { tryEnvelope in
                let api = records.isEmpty ? overloaded : openAI  // the first try meets an overloaded provider
                do {
                    let response = try await meter.callJSON(
                        adapter: .openAIChatCompletions,
                        requestBody: chat("Summarize document 5"),
                        attribution: .current
                    ) { try provider.send($0, to: api) }
                    records.append(response.record)
                    return String(decoding: response.body, as: UTF8.self)
                } catch let error as ProviderCallError {
                    records.append(error.record)
                    throw error
                }
            }
        }
        try check(!summary.isEmpty, "no summary")
        try check(records.map(\.status) == [.error, .ok], "statuses \(records.map(\.status))")
        try check(records.map(\.attempt) == [1, 2], "attempts \(records.map(\.attempt))")
        for record in records {
            try check(record.attribution[.userID] == "u_alice", "try billed to \(record.attribution)")
            try check(record.traceID == request.traceID, "try recorded under another trace")
            try check(record.leafID == job.leafID, "try recorded under another unit")
        }
    }

    // MARK: 6

    /// `withAttribution` and `withRetries` run their closures on the caller's actor, so the closures may
    /// touch its state.
    func helpersRunOnTheCallersActor() async throws {
        let summarizer = Summarizer(meter: meter, provider: provider, api: openAI)
        let job = try middleware.jobEnvelope(parent: request) { $0.tool = "summarizer" }
        let record = try await summarizer.summarize(job)
        let retried = try await summarizer.summarizeWithRetries(job)
        let calls = await summarizer.calls
        let users = await summarizer.users
        try check(calls == 2, "the actor counted \(calls) calls")
        try check(users == ["u_alice", "u_alice"], "the actor saw \(users)")
        try check(record.attribution[.tool] == "summarizer", "tool \(record.attribution)")
        try check(retried.leafID == job.leafID, "the retried call was recorded under another unit")

        let screen = SummaryScreen()
        let shown = try await screen.show(job, meter: meter, provider: provider, api: openAI)
        try check(shown.count == 1 && shown[0].hasPrefix("u_alice: "), "the screen shows \(shown)")
    }

    // MARK: 7

    /// `children` only mints; `mapChildren` mints, announces and runs, and throws the first child error.
    func fanOutThrowsAChildsError() async throws {
        let shards = request.children(count: 3) { index, child in child.tags["shard"] = String(index) }
        let tools = request.children(for: ["web_search", "fetch"], setting: \.tool)
        try check(Set(shards.map(\.leafID)).count == 3, "shards share a leaf")
        try check((shards + tools).allSatisfy { $0.parentID == request.leafID }, "a child has another parent")
        try check(tools.map(\.tool) == ["web_search", "fetch"], "tools \(tools.map(\.tool))")

        let unitsBefore = meter.statistics.unitsAnnounced
        let pages = try await request.mapChildren(["d_1", "d_2"], announcer: meter) { document, child in
            try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: chat("Fetch \(document)"),
                attribution: .envelope(child)
            ) { try provider.send($0, to: openAI) }.record
        }
        try check(meter.statistics.unitsAnnounced == unitsBefore + 2, "children not announced")
        try check(pages.allSatisfy { $0.parentID == request.leafID }, "a child's call has another parent")
        try check(Set(pages.map(\.leafID)).count == 2, "two children share a leaf")

        let tooLong = FakeProvider(
            .openAIChatCompletions,
            failure: .errorResponse(status: 400, type: "invalid_request_error", message: "The document is too long.")
        )
        do {
            // One at a time, so every run writes the same records: d_3, then d_huge fails and d_5 never starts.
            _ = try await request.mapChildren(["d_3", "d_huge", "d_5"], maxConcurrency: 1, announcer: meter) {
                document,
                child in
                try await meter.callJSON(
                    adapter: .openAIChatCompletions,
                    requestBody: chat("Fetch \(document)"),
                    attribution: .envelope(child)
                ) { try provider.send($0, to: document == "d_huge" ? tooLong : openAI) }.record
            }
            throw CheckFailed(description: "the failing child's error was swallowed")
        } catch let error as ProviderCallError {
            try check(error.status == 400, "status \(String(describing: error.status))")
            try check(!error.isRetryable, "a 400 said to be retryable")
            try check(error.record.parentID == request.leafID, "the failed child has another parent")
        }
    }

    // MARK: 8

    /// One line makes a meter whose ids, record ids and timestamps are fixed by a seed and a time.
    func deterministicTestMeterInOneLine() async throws {
        func run(seed: UInt64) async throws -> [CostRecord] {
            let (meter, sink) = try CostMeter.testing(seed: seed, now: "2026-11-30T10:00:00Z")
            let job = try meter.tag(
                userID: "u_alice",
                feature: "summarize",
                team: "growth",
                project: "assistant",
                taskType: "summary"
            )
            _ = try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: chat("Summarize document 8"),
                attribution: .envelope(job)
            ) { try provider.send($0, to: openAI) }
            return sink.records
        }
        let first = try await run(seed: 7)
        let again = try await run(seed: 7)
        let other = try await run(seed: 8)
        try check(first.count == 2, "\(first.count) records, expected the root unit and the call")
        try check(first == again, "two runs with one seed differ")
        try check(first != other, "two seeds gave the same records")
        let call = first[1]
        try check(call.timestamp == (try UTCTimestamp(rfc3339: "2026-11-30T10:00:00Z")), "ts \(call.timestamp)")
        let recordIDs = DeterministicRecordIDSource(seed: 7)  // on its own, for a meter of your own
        try check(call.recordID == recordIDs.nextRecordID(), "record id \(call.recordID)")
        try check(call.attribution[.feature] == "summarize", "feature \(call.attribution)")
    }

    // MARK: 9

    /// A model the price table lacks is recorded without `cost_usd`, reported to `onIssue` and counted.
    func unpricedCallIsReported() async throws {
        let unpricedBefore = meter.statistics.unpricedCalls
        let future = FakeProvider(.anthropicMessages, model: "claude-opus-9")
        let response = try await meter.callJSON(
            adapter: .anthropicMessages,
            requestBody: Array(
                #"{"model":"claude-opus-9","max_tokens":256,"messages":[{"role":"user","content":"Summarize"}]}"#.utf8
            ),
            attribution: .envelope(request)
        ) { try provider.send($0, to: future) }
        try check(response.record.costUSD == nil, "priced at \(String(describing: response.record.costUSD))")
        try check(meter.statistics.unpricedCalls == unpricedBefore + 1, "unpriced calls not counted")
        let issue = issues.all.last { $0.record.recordID == response.record.recordID }
        try check(issue?.kind == .unpriced, "issue \(String(describing: issue))")
        try check(issue?.detail?.contains("claude-opus-9") == true, "detail \(String(describing: issue?.detail))")
    }

    // MARK: 10

    /// By default the request carries the attribution but no user id; a keyed hash is sent only when the
    /// application gives a key. The ledger keeps the envelope's id.
    func noRawUserIDReachesTheProvider() async throws {
        let body = Array(#"{"model":"gpt-4.1","input":"Summarize document 10"}"#.utf8)
        let response = try await meter.callJSON(
            adapter: .openAIResponses,
            requestBody: body,
            attribution: .envelope(request)
        ) {
            try provider.send($0, to: FakeProvider(.openAIResponses))
        }
        let sent = try json(provider.bodies.last ?? [])
        let metadata = sent["metadata"] as? [String: String] ?? [:]
        try check(metadata["feature"] == "summarize", "metadata \(metadata)")
        try check(metadata["user_id"] == nil, "metadata sent user_id \(metadata["user_id"] ?? "")")
        try check(sent["safety_identifier"] == nil, "safety_identifier sent")
        try check(response.record.attribution[.userID] == "u_alice", "the ledger lost the user id")

        let key = Array("the application's secret, 32 random bytes in production".utf8)
        let hashing = CostMeter(sink: ledger, propagation: MetadataPropagation(userID: .keyedHash(key: key)))
        _ = try await hashing.callJSON(
            adapter: .anthropicMessages,
            requestBody: Array(
                #"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#.utf8
            ),
            attribution: .envelope(request)
        ) { try provider.send($0, to: FakeProvider(.anthropicMessages)) }
        let hashed = (try json(provider.bodies.last ?? [])["metadata"] as? [String: String])?["user_id"]
        let expected = MetadataPropagation.UserIDPolicy.keyedHash(key: key).outgoingValue(for: "u_alice")
        try check(hashed != nil && hashed == expected, "metadata.user_id \(hashed ?? "absent")")
        try check(hashed != "u_alice", "the raw id was sent")
    }

    private func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] ?? [:]
    }

    // MARK: 11

    /// A streamed call: the status and each chunk go to the recorder as they pass (here in 64-byte pieces
    /// that split lines and events); the stream's final usage is recorded.
    func streamedCallIsMeteredAsItPasses() async throws {
        let api = FakeProvider(.openAIChatCompletions, usage: TokenUsage(input: 1_500, output: 200))
        var forwarded: [UInt8] = []
        let result = try await meter.callStreaming(
            adapter: .openAIChatCompletions,
            requestBody: chat("Summarize document 11", stream: true),
            attribution: .envelope(request)
        ) { request, recorder in
            let response = try provider.send(request, to: api)  // the meter asked for the usage chunk
            recorder.record(status: response.status ?? 200)
            var chunks = 0
            for start in stride(from: 0, to: response.body.count, by: 64) {
                let chunk = response.body[start..<min(start + 64, response.body.count)]
                recorder.consume(chunk)
                forwarded += chunk  // to the app's own client
                chunks += 1
            }
            return chunks
        }
        try check(result.value > 1, "the stream came in \(result.value) chunk")
        try check(result.record.status == .ok, "record status \(result.record.status)")
        try check(result.record.usage == api.usage, "usage \(result.record.usage)")
        try check(result.record.costUSD != nil, "the streamed call was not priced")
        try check(String(decoding: forwarded, as: UTF8.self).contains("data: [DONE]"), "the stream was not forwarded")
    }

    // MARK: 12

    /// The audit reads the ledger the scenarios wrote and classifies every dollar; the lenient call of
    /// scenario 1 shows up as unknown spend.
    func auditOverTheLedger() throws {
        try ledger.flush()
        let report = try Auditor.run(
            AuditConfiguration(
                ledger: .files([directory + "/ledger"]),
                prices: PriceTable.builtIn,
                attributedOutputPath: directory + "/attributed.jsonl"
            )
        )
        var millionths: Int64 = 0
        for attributionClass in AttributionClass.allCases {
            let share = report.share(of: attributionClass)
            print("  \(attributionClass): \(report[attributionClass]), \(share.percent)")
            try check(share.percent.hasSuffix("%"), "share \(share.percent)")
            millionths += share.millionths
        }
        try check(report[.direct] > .zero, "no direct spend")
        try check(report[.unknown] > .zero, "the unattributed call is not unknown spend")
        try check(report[.noEnvelope] > .zero, "the unattributed call is not counted as no_envelope")
        let classes = Int64(AttributionClass.allCases.count)
        try check(abs(millionths - 1_000_000) <= classes, "the shares add up to \(millionths) millionths")
        try check(report.unpricedRecords >= 1, "the unpriced call is not in the report")
        let attributed = try String(contentsOfFile: directory + "/attributed.jsonl", encoding: .utf8)
        try check(attributed.contains(#""attribution_class":"direct""#), "no direct record in attributed.jsonl")
    }
}

/// An actor that meters calls from inside `withAttribution` and `withRetries`, changing its own state there.
actor Summarizer {
    let meter: CostMeter
    let provider: Provider
    let api: FakeProvider
    var calls = 0
    var users: [String] = []

    init(meter: CostMeter, provider: Provider, api: FakeProvider) {
        self.meter = meter
        self.provider = provider
        self.api = api
    }

    func summarize(_ job: AttributionEnvelope) async throws -> CostRecord {
        try await withAttribution(job) {
            calls += 1  // the actor's state, inside the closure
            let response = try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: chat("Summarize document 6"),
                attribution: .current
            ) { try provider.send($0, to: api) }
            users.append(response.record.attribution[.userID] ?? "-")
            return response.record
        }
    }

    func summarizeWithRetries(_ job: AttributionEnvelope) async throws -> CostRecord {
        try await job.withRetries(policy: RetryPolicy(maxAttempts: 2), sleep: { _ in }) { tryEnvelope in
            calls += 1
            let response = try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: chat("Summarize document 6 again"),
                attribution: .envelope(tryEnvelope)
            ) { try provider.send($0, to: api) }
            users.append(response.record.attribution[.userID] ?? "-")
            return response.record
        }
    }
}

/// A `@MainActor` view model doing the same.
@MainActor final class SummaryScreen {
    var lines: [String] = []

    func show(
        _ job: AttributionEnvelope,
        meter: CostMeter,
        provider: Provider,
        api: FakeProvider
    ) async throws
        -> [String]
    {
        try await withAttribution(job) {
            let response = try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: chat("Summarize for the screen"),
                attribution: .current
            ) { try provider.send($0, to: api) }
            lines.append("\(response.record.attribution[.userID] ?? "-"): \(response.record.costUSD ?? .zero)")
        }
        return lines
    }
}

// MARK: - Run every scenario in order

let provider = Provider()
let scenarios = try Scenarios(meter: meter, ledger: ledger, provider: provider, issues: issues, directory: directory)
let steps: [(name: String, run: () async throws -> Void)] = [
    ("an untagged payload is never billed to the operator", scenarios.untaggedPayloadIsNeverBilledToTheOperator),
    ("a provider error is recorded with its status and thrown", scenarios.providerErrorIsRecordedAndThrown),
    ("every refusal is an AttributionError", scenarios.everyRefusalIsOneErrorType),
    ("an envelope in a job payload reaches a Task.detached worker", scenarios.envelopeInPayloadReachesADetachedWorker),
    (
        "a retry under an operator's context keeps the job's user and trace",
        scenarios.retryUnderAnOperatorKeepsTheJobsIdentity
    ),
    ("withAttribution and withRetries run on the caller's actor", scenarios.helpersRunOnTheCallersActor),
    ("fan-out throws a child's error", scenarios.fanOutThrowsAChildsError),
    ("a deterministic test meter in one line", scenarios.deterministicTestMeterInOneLine),
    ("an unpriced call is reported", scenarios.unpricedCallIsReported),
    ("no raw user id reaches the provider", scenarios.noRawUserIDReachesTheProvider),
    ("a streamed call is metered as it passes", scenarios.streamedCallIsMeteredAsItPasses),
    ("the audit classifies the ledger the scenarios wrote", scenarios.auditOverTheLedger),
]
var failed = 0
for step in steps {
    do {
        try await step.run()
        print("ok: \(step.name)")
    } catch {
        print("FAILED: \(step.name): \(error)")
        failed += 1
    }
}

let sentBodies = provider.bodies.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
try Data(sentBodies.utf8).write(to: URL(fileURLWithPath: directory + "/sent-bodies.jsonl"))
try ledger.close()
print("\(steps.count - failed) of \(steps.count) scenarios passed; ledger in \(ledgerDirectory)")
if failed > 0 { exit(1) }
