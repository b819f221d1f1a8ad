import Attribution
import AttributionTesting
import CostLedger
import Foundation
import Synchronization

/// The demo's simulated application: requests from many users tagged at the edge, jobs carried through a
/// serialized queue, retries, fan-out into tool calls, metered model calls with simulated usage — and the
/// propagation mistakes real systems make, so the audit has something to find.
///
/// Everything runs through the real toolkit (envelopes in JSON payloads, the job middleware, the call wrapper,
/// the JSON Lines ledger); only the model is simulated. The same seed gives the same ledger and bill.
struct DemoWorkload {
    /// Where the demo writes its ledger, bill, key map and rules.
    struct Files {
        var directory: String
        var ledger: String { directory + "/ledger" }
        var usage: String { directory + "/openai-usage.json" }
        var keys: String { directory + "/keys.json" }
        var rules: String { directory + "/rules.json" }
    }

    /// What the simulation did, for the report's preamble.
    struct Summary {
        var requests = 0
        var users = 0
        var jobs = 0
        var retries = 0
        var toolCalls = 0
        var modelCalls = 0
        var untrackedCalls = 0
    }

    let seed: UInt64
    let requests: Int
    let files: Files

    /// The first simulated instant: every call falls on one of the seven UTC days after it.
    static let start = UTCTimestamp(millisecondsSinceEpoch: 1_793_577_600_000)  // 2026-11-02T00:00:00Z

    static let users = (1...50).map { "u_" + String(1000 + $0) }

    /// One product feature: who owns it and how its work is shaped.
    struct Feature {
        var name: String
        var team: String
        var project: String
        var taskType: String
        var model: String
        var weight: Int
        var inputTokens: ClosedRange<Int64>
        var outputTokens: ClosedRange<Int64>
    }

    static let features: [Feature] = [
        Feature(
            name: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            model: "gpt-4.1",
            weight: 40,
            inputTokens: 1_500...6_000,
            outputTokens: 150...600
        ),
        Feature(
            name: "draft_reply",
            team: "support",
            project: "helpdesk",
            taskType: "generate",
            model: "gpt-4.1",
            weight: 30,
            inputTokens: 800...3_000,
            outputTokens: 200...900
        ),
        Feature(
            name: "code_review",
            team: "devtools",
            project: "review-bot",
            taskType: "review",
            model: "codex-1",
            weight: 20,
            inputTokens: 4_000...20_000,
            outputTokens: 500...2_500
        ),
        Feature(
            name: "deep_research",
            team: "research",
            project: "assistant",
            taskType: "research",
            model: "o3",
            weight: 10,
            inputTokens: 20_000...60_000,
            outputTokens: 4_000...12_000
        ),
    ]

    /// Runs the simulation and writes the demo's files.
    func run() async throws -> Summary {
        let fm = FileManager.default
        try? fm.removeItem(atPath: files.ledger)
        try fm.createDirectory(atPath: files.ledger, withIntermediateDirectories: true)

        let ids = DeterministicIdentifierSource(seed: seed)
        let clock = ManualClock(Self.start)
        var ledgerConfiguration = JSONLinesLedger.Configuration(directory: files.ledger)
        ledgerConfiguration.hostName = "demo-worker"
        ledgerConfiguration.clock = clock
        let ledger = try JSONLinesLedger(configuration: ledgerConfiguration)
        let bill = Bill()
        let recordIDs = DemoRecordIDs(seed: seed)
        let meter = CostMeter(sink: ledger, recordIDs: recordIDs, ids: ids, clock: clock)
        let lenient = CostMeter(sink: ledger, mode: .lenient, recordIDs: recordIDs, ids: ids, clock: clock)
        let middleware = AttributionJobMiddleware(
            retryPolicy: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(500)),
            announcer: meter,
            ids: ids
        )
        var rng = SplitMix64(seed: seed)
        var summary = Summary()
        var queue: [(payload: [UInt8], deliveries: Int)] = []
        var usersSeen: Set<String> = []
        var draftReplies = 0

        /// One simulated model call through the wrapper: the fake provider answers with real-shaped JSON
        /// whose usage the wrapper extracts; the same usage goes on the provider's bill.
        func modelCall(
            _ meter: CostMeter,
            model: String,
            envelope: AttributionEnvelope?,
            key: String,
            input: ClosedRange<Int64>,
            output: ClosedRange<Int64>,
            rng: inout SplitMix64
        ) async throws {
            clock.advance(byMilliseconds: rng.int(200...4_000))
            let inputTokens = rng.int(input)
            let cached = model == "codex-1" || !rng.chance(0.4) ? 0 : rng.int(0...(inputTokens / 2))
            let outputTokens = rng.int(output)
            let usage = TokenUsage(
                input: inputTokens,
                output: outputTokens,
                cachedInput: cached,
                reasoning: model == "o3" ? outputTokens / 2 : 0
            )
            let provider = FakeProvider(.openAIChatCompletions, seed: rng.next(), model: model, usage: usage)
            let request = Array(#"{"model":"\#(model)","messages":[{"role":"user","content":"…"}]}"#.utf8)
            _ = try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: request,
                envelope: envelope,
                apiKeyID: key
            ) { tagged in
                clock.advance(byMilliseconds: rng.int(300...9_000))
                return try provider.respond(to: tagged.body)
            }
            bill.add(day: clock.now(), model: model, key: key, usage: usage)
            summary.modelCalls += 1
        }

        // 1. Requests arrive: tagged at the edge, their work enqueued as JSON jobs.
        let totalWeight = Self.features.reduce(0) { $0 + $1.weight }
        for _ in 0..<requests {
            clock.advance(byMilliseconds: rng.int(60_000...1_500_000))
            var pick = Int(rng.int(0...Int64(totalWeight - 1)))
            var feature = Self.features[0]
            for candidate in Self.features {
                if pick < candidate.weight {
                    feature = candidate
                    break
                }
                pick -= candidate.weight
            }
            // Deep research is used by two power users (4% of users).
            let user =
                feature.name == "deep_research"
                ? Self.users[Int(rng.int(0...1))] : Self.users[Int(rng.int(2...Int64(Self.users.count - 1)))]
            usersSeen.insert(user)
            let request = try meter.tag(
                userID: user,
                feature: feature.name,
                team: feature.team,
                project: feature.project,
                taskType: feature.taskType,
                agent: feature.name == "deep_research" ? "researcher" : "assistant"
            )
            summary.requests += 1
            let body = Array(#"{"job":"\#(feature.name)","document_id":"d_\#(rng.int(1...99_999))"}"#.utf8)
            let payload = try middleware.prepare(body, parent: request)
            queue.append((try middleware.willEnqueue(payload, context: JobContext(jobName: feature.name)), 0))
        }

        // 2. Workers drain the queue: decode the envelope from the payload, call the model, retry, fan out.
        var index = 0
        while index < queue.count {
            var (payload, deliveries) = queue[index]
            index += 1
            deliveries += 1
            let context = JobContext(jobName: "job", deliveryCount: deliveries)
            guard let job = try middleware.willPerform(payload, context: context),
                let feature = Self.features.first(where: { $0.name == job.feature })
            else { continue }
            summary.jobs += 1
            let key = rng.chance(0.5) ? "key_prod_a" : "key_prod_b"
            if feature.name == "draft_reply" { draftReplies += 1 }
            switch feature.name {
            case "summarize" where rng.chance(0.3):
                // The legacy summarizer builds its own envelope and keeps only the lineage: the business
                // fields are lost, and only lineage can recover them.
                var legacy = job.child(ids: ids)
                for field in AttributionField.business { legacy[field] = nil }
                try await modelCall(
                    lenient,
                    model: feature.model,
                    envelope: legacy,
                    key: key,
                    input: feature.inputTokens,
                    output: feature.outputTokens,
                    rng: &rng
                )
            case "draft_reply" where deliveries == 1 && rng.chance(0.25):
                // A transient failure after the call was billed: the middleware retries with the same
                // envelope, attempt + 1.
                try await modelCall(
                    meter,
                    model: feature.model,
                    envelope: job,
                    key: key,
                    input: feature.inputTokens,
                    output: feature.outputTokens,
                    rng: &rng
                )
                let decision = middleware.didFail(payload, error: DemoTransientError(), context: context)
                if let retry = decision.retry {
                    queue.append((retry.payload, deliveries))
                    summary.retries += 1
                }
            case "draft_reply" where deliveries == 1 && draftReplies % 12 == 5:
                // The operator-retry bug: a re-run clicked in an admin tool re-stamps the job with the
                // operator's identity. The audit counts it as a retry identity conflict.
                var restamped = job.retried()
                restamped.userID = "ops-admin"
                try await modelCall(
                    lenient,
                    model: feature.model,
                    envelope: restamped,
                    key: key,
                    input: feature.inputTokens,
                    output: feature.outputTokens,
                    rng: &rng
                )
            case "deep_research":
                // Fan-out: a planner call, then tool calls, some of which fan out again.
                try await modelCall(
                    meter,
                    model: feature.model,
                    envelope: job,
                    key: key,
                    input: feature.inputTokens,
                    output: feature.outputTokens,
                    rng: &rng
                )
                let tools = ["web_search", "fetch", "read_pdf", "rank", "synthesize"]
                for child in job.fanOut(tools.count, ids: ids, customize: { i, c in c.tool = tools[i] }) {
                    try meter.announce(child)
                    summary.toolCalls += 1
                    // One in five tool runners forgets to pass the envelope's business fields on.
                    var callEnvelope = child
                    if rng.chance(0.2) {
                        callEnvelope = child.child(ids: ids)
                        for field in AttributionField.business { callEnvelope[field] = nil }
                    }
                    try await modelCall(
                        callEnvelope == child ? meter : lenient,
                        model: "gpt-4.1",
                        envelope: callEnvelope,
                        key: key,
                        input: 8_000...30_000,
                        output: 500...2_000,
                        rng: &rng
                    )
                    if child.tool == "fetch" {
                        for grandchild in child.fanOut(2, ids: ids) {
                            try meter.announce(grandchild)
                            summary.toolCalls += 1
                            try await modelCall(
                                meter,
                                model: "gpt-4.1",
                                envelope: grandchild,
                                key: key,
                                input: 4_000...12_000,
                                output: 200...800,
                                rng: &rng
                            )
                        }
                    }
                }
            default:
                try await modelCall(
                    meter,
                    model: feature.model,
                    envelope: job,
                    key: key,
                    input: feature.inputTokens,
                    output: feature.outputTokens,
                    rng: &rng
                )
            }
        }

        // 3. Call sites that never had an envelope, or lost it.
        for _ in 0..<max(1, requests / 20) {
            // The nightly evaluation agent runs with no user: a mapping rule attributes it.
            let eval = try AttributionEnvelope.tag(agent: "nightly-eval-agent", policy: .none, ids: ids, clock: clock)
            try await modelCall(
                lenient,
                model: "gpt-4.1",
                envelope: eval,
                key: "key_prod_a",
                input: 2_000...8_000,
                output: 100...400,
                rng: &rng
            )
            // A backfill script calls the model directly on the batch key, with no envelope at all.
            try await modelCall(
                lenient,
                model: "gpt-4.1",
                envelope: nil,
                key: "key_batch",
                input: 5_000...20_000,
                output: 100...300,
                rng: &rng
            )
            // A webhook handler continues a trace started by a service that writes no ledger here, and
            // drops the business fields: its lineage ends at a unit nobody recorded.
            let foreignRoot = AttributionEnvelope(traceID: ids.nextTraceID(), leafID: ids.nextLeafID())
            var webhook = foreignRoot.child(ids: ids)
            webhook.taskType = "webhook"
            try await modelCall(
                lenient,
                model: "gpt-4.1",
                envelope: webhook,
                key: "key_prod_b",
                input: 1_000...4_000,
                output: 100...500,
                rng: &rng
            )
            // A translation call site tags the user and feature but forgets team and project.
            var translate = try AttributionEnvelope.tag(
                userID: Self.users[Int(rng.int(2...49))],
                feature: "translate",
                taskType: "translate",
                policy: .none,
                ids: ids,
                clock: clock
            )
            translate.agent = "translator"
            try await modelCall(
                lenient,
                model: "gpt-4.1",
                envelope: translate,
                key: "key_prod_b",
                input: 500...2_000,
                output: 300...1_200,
                rng: &rng
            )
        }
        // 4. Spend that bypasses the wrapper entirely: on the bill, never in the ledger.
        for _ in 0..<max(1, requests / 25) {
            clock.advance(byMilliseconds: rng.int(60_000...600_000))
            let key = rng.chance(0.5) ? "key_batch" : "key_legacy"
            bill.add(
                day: clock.now(),
                model: "gpt-4.1",
                key: key,
                usage: TokenUsage(input: rng.int(10_000...80_000), output: rng.int(1_000...8_000))
            )
            summary.untrackedCalls += 1
        }

        try ledger.close()
        summary.users = usersSeen.count
        try Data(bill.openAIUsageExport().utf8).write(to: URL(fileURLWithPath: files.usage))
        try Data(Self.keyMap.utf8).write(to: URL(fileURLWithPath: files.keys))
        try Data(Self.rules.utf8).write(to: URL(fileURLWithPath: files.rules))
        return summary
    }

    static let keyMap = """
        {"key_batch": {"team": "data-platform", "project": "backfills"}}

        """

    static let rules = """
        [{"match": {"agent": "nightly-eval-agent"}, "set": {"user_id": "system", "feature": "nightly_eval", \
        "team": "ml-platform", "project": "nightly-eval", "task_type": "eval"}}]

        """
}

/// The transient failure the demo's draft-reply jobs hit.
struct DemoTransientError: Error {}

/// Record ids for the demo: deterministic, unique, 32 hex characters.
final class DemoRecordIDs: RecordIDSource {
    private let state: Mutex<SplitMix64>
    init(seed: UInt64) { state = Mutex(SplitMix64(seed: seed ^ 0x5EED)) }
    func nextRecordID() -> String {
        state.withLock { rng in
            let a = rng.next()
            let b = rng.next()
            let hex = String(a, radix: 16) + String(b, radix: 16)
            return String(repeating: "0", count: max(0, 32 - hex.count)) + hex
        }
    }
}

/// The provider's side of the story: what it billed, per UTC day, model and key, as its usage export says.
final class Bill: Sendable {
    private struct Cell: Hashable, Comparable {
        var day: Int64
        var model: String
        var key: String
        static func < (a: Cell, b: Cell) -> Bool { (a.day, a.model, a.key) < (b.day, b.model, b.key) }
    }
    private let cells = Mutex<[Cell: (input: Int64, cached: Int64, output: Int64, requests: Int)]>([:])

    func add(day: UTCTimestamp, model: String, key: String, usage: TokenUsage) {
        cells.withLock { cells in
            let cell = Cell(day: day.utcDay, model: model, key: key)
            var value = cells[cell] ?? (0, 0, 0, 0)
            value.input += usage.input
            value.cached += usage.cachedInput
            value.output += usage.output
            value.requests += 1
            cells[cell] = value
        }
    }

    /// The bill as OpenAI's organization usage endpoint pages it: one bucket per UTC day.
    func openAIUsageExport() -> String {
        let all = cells.withLock { $0 }
        var byDay: [Int64: [(Cell, (input: Int64, cached: Int64, output: Int64, requests: Int))]] = [:]
        for (cell, value) in all { byDay[cell.day, default: []].append((cell, value)) }
        var buckets: [String] = []
        for day in byDay.keys.sorted() {
            let start = day * 86_400
            let results = (byDay[day] ?? []).sorted { $0.0 < $1.0 }.map { cell, v in
                """
                {"object":"organization.usage.completions.result","input_tokens":\(v.input),\
                "output_tokens":\(v.output),"input_cached_tokens":\(v.cached),"input_audio_tokens":0,\
                "output_audio_tokens":0,"num_model_requests":\(v.requests),"project_id":null,"user_id":null,\
                "api_key_id":"\(cell.key)","model":"\(cell.model)","batch":null}
                """
            }
            buckets.append(
                #"{"object":"bucket","start_time":\#(start),"end_time":\#(start + 86_400),"results":["#
                    + results.joined(separator: ",") + "]}"
            )
        }
        return #"{"object":"page","data":["# + buckets.joined(separator: ",")
            + #"],"has_more":false,"next_page":null}"# + "\n"
    }
}
