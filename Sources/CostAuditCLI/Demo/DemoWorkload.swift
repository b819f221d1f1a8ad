import Attribution
import CostLedger
import Foundation
import Synchronization

/// The demo's simulated application: requests from many users tagged at the edge, jobs carried through a
/// serialized queue, retries, fan-out into tool calls, metered model calls with simulated usage — and the
/// propagation mistakes real systems make, so the audit has something to find.
///
/// Everything runs through the real toolkit (envelopes in JSON payloads, the job middleware, the call wrapper,
/// the JSON Lines ledger); only the model and time are simulated. Requests follow ``DemoCalendar``'s rhythm
/// over the simulated days, and two events are planted for later commands to find: on the last day one user
/// sends more than half of one hour's calls at five times the usual tokens, and `draft_reply` switches to a
/// prompt version that reads three times the input tokens for the last 20 days. The same seed gives the same
/// files, byte for byte.
struct DemoWorkload {
    /// What the simulation did, for the report's preamble.
    struct Summary {
        var requests = 0
        var users = 0
        var jobs = 0
        var retries = 0
        var toolCalls = 0
        var modelCalls = 0
        var untrackedCalls = 0
        var spikeUser = ""
        var spikeCalls = 0
        var spikeHourCalls = 0
    }

    let seed: UInt64
    /// Requests on an average day.
    let requestsPerDay: Int
    let calendar: DemoCalendar
    let folder: DemoFolder

    /// The feature whose prompt version switches, and the versions before and after.
    static let switchingFeature = "draft_reply"
    static let promptBefore = "reply-v1"
    static let promptAfter = "reply-v2"
    /// How much more input the switched prompt reads.
    static let promptInputFactor: Int64 = 3
    /// How many times the usual tokens the spike's calls use.
    static let spikeTokenFactor: Int64 = 5

    /// The product's users, most active first.
    static let users = (1...120).map { "u_" + String(1000 + $0) }
    /// How often each user sends a request: a few heavy users and a long tail (weight 1 / (rank + 3)),
    /// as running totals for drawing.
    static let userWeights: [Double] = {
        var total = 0.0
        return users.indices.map { rank in
            total += 1 / Double(rank + 4)
            return total
        }
    }()
    /// Deep research is used by the four most active users only.
    static let powerUsers = 4

    /// One product feature: who owns it and how its work is shaped.
    struct Feature {
        var name: String
        var team: String
        var project: String
        var taskType: String
        var model: String
        var promptVersion: String
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
            promptVersion: "summarize-v4",
            weight: 34,
            inputTokens: 1_500...6_000,
            outputTokens: 150...600
        ),
        Feature(
            name: switchingFeature,
            team: "support",
            project: "helpdesk",
            taskType: "generate",
            model: "gpt-4.1",
            promptVersion: promptBefore,
            weight: 26,
            inputTokens: 800...3_000,
            outputTokens: 200...900
        ),
        Feature(
            name: "classify_ticket",
            team: "support",
            project: "helpdesk",
            taskType: "classify",
            model: "gpt-4.1",
            promptVersion: "triage-v2",
            weight: 16,
            inputTokens: 300...1_200,
            outputTokens: 5...40
        ),
        Feature(
            name: "code_review",
            team: "devtools",
            project: "review-bot",
            taskType: "review",
            model: "codex-1",
            promptVersion: "review-v3",
            weight: 17,
            inputTokens: 4_000...20_000,
            outputTokens: 500...2_500
        ),
        Feature(
            name: "deep_research",
            team: "research",
            project: "assistant",
            taskType: "research",
            model: "o3",
            promptVersion: "research-v1",
            weight: 7,
            inputTokens: 20_000...60_000,
            outputTokens: 4_000...12_000
        ),
    ]

    /// The ledger's file names, one per simulated day, first day first: one writer's daily files, named as a
    /// writer names them (`{host}-{pid}-{start ms}-{random}.jsonl`) but from the seed.
    static func ledgerFileNames(seed: UInt64, calendar: DemoCalendar) -> [String] {
        var rng = SplitMix64(seed: seed ^ 0xF11E)
        return (0..<calendar.days).map { index in
            let day = calendar.firstDay + Int64(index)
            return LedgerFileName(host: "demo-worker", pid: 1, startMilliseconds: day * 86_400_000, random: rng.next())
                .description
        }
    }

    /// Every file the demo writes, relative to its folder.
    static func files(seed: UInt64, calendar: DemoCalendar) -> [String] {
        ledgerFileNames(seed: seed, calendar: calendar).map { DemoFolder.ledgerName + "/" + $0 }
            + [DemoFolder.usageName, DemoFolder.keysName, DemoFolder.rulesName, DemoFolder.configName]
    }

    /// Runs the simulation and writes the demo's files (the folder must be prepared and its marker written).
    func run() async throws -> Summary {
        try folder.createDirectory(folder.ledger)
        let simulation = DemoSimulation(seed: seed, requestsPerDay: requestsPerDay, calendar: calendar)
        let names = Self.ledgerFileNames(seed: seed, calendar: calendar)
        var counts = simulation.rng
        let perDay = calendar.requestCounts(perDay: requestsPerDay, rng: &counts)
        simulation.rng = counts
        for index in 0..<calendar.days {
            var configuration = JSONLinesLedger.Configuration(directory: folder.ledger)
            configuration.fileName = names[index]
            configuration.rotateDaily = false
            configuration.maxFileBytes = nil
            configuration.hostName = "demo-worker"
            configuration.clock = simulation.clock
            let ledger = try JSONLinesLedger(configuration: configuration)
            try await simulation.simulate(day: calendar.firstDay + Int64(index), requests: perDay[index], into: ledger)
            try ledger.close()
        }
        try folder.writeFile(simulation.bill.openAIUsageExport(), to: DemoFolder.usageName)
        try folder.writeFile(Self.keyMap, to: DemoFolder.keysName)
        try folder.writeFile(Self.rules, to: DemoFolder.rulesName)
        try folder.writeFile(DemoFolder.configuration(requestsPerDay: requestsPerDay), to: DemoFolder.configName)
        simulation.summary.users = simulation.usersSeen.count
        return simulation.summary
    }

    static let keyMap = """
        {"key_batch": {"team": "data-platform", "project": "backfills"}}

        """

    static let rules = """
        [{"match": {"agent": "nightly-eval-agent"}, "set": {"user_id": "system", "feature": "nightly_eval", \
        "team": "ml-platform", "project": "nightly-eval", "task_type": "eval"}}]

        """
}

extension DemoFolder.Failure: CustomStringConvertible {
    var description: String { message }
}

/// One simulated day after another, through one set of id sources, one clock and one bill.
final class DemoSimulation {
    /// Something that happens at a simulated instant.
    enum Event {
        /// A user's request: tagged, enqueued as a job, performed by a worker.
        case request
        /// A translation call site that forgets team and project.
        case translate
        /// A webhook continuing a trace from a service that writes no ledger here.
        case webhook
        /// The nightly evaluation agent, with no user.
        case evaluation
        /// A backfill script calling the model with no envelope, on the batch key.
        case backfill
        /// A call that bypasses the wrapper entirely: on the bill, never in the ledger.
        case untracked
    }

    let seed: UInt64
    let requestsPerDay: Int
    let calendar: DemoCalendar
    let ids: DemoIdentifierSource
    let recordIDs: DemoRecordIDs
    let clock: DemoClock
    let bill = Bill()
    let retryPolicy = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(500))
    var rng: SplitMix64
    var summary = DemoWorkload.Summary()
    var usersSeen: Set<String> = []
    var draftReplies = 0
    /// Calls started in the spike's hour of the last day, before the spike.
    var spikeHourCalls = 0
    let spikeUser: String

    init(seed: UInt64, requestsPerDay: Int, calendar: DemoCalendar) {
        self.seed = seed
        self.requestsPerDay = requestsPerDay
        self.calendar = calendar
        ids = DemoIdentifierSource(seed: seed)
        recordIDs = DemoRecordIDs(seed: seed)
        clock = DemoClock(UTCTimestamp(millisecondsSinceEpoch: calendar.firstDay * 86_400_000))
        rng = SplitMix64(seed: seed)
        // An ordinary user, not one of the heaviest.
        spikeUser = DemoWorkload.users[Int(rng.int(20...59))]
        summary.spikeUser = spikeUser
    }

    /// The meters and middleware of one day's ledger file.
    struct Writers {
        var meter: CostMeter
        var lenient: CostMeter
        var middleware: AttributionJobMiddleware
    }

    /// Simulates `day`: `requests` user requests in the day's rhythm and the scheduled and unattributed
    /// traffic around them, all written to `ledger`; on the last day, the spike after the rest.
    func simulate(day: Int64, requests: Int, into ledger: JSONLinesLedger) async throws {
        let meter = CostMeter(sink: ledger, recordIDs: recordIDs, ids: ids, clock: clock)
        let writers = Writers(
            meter: meter,
            lenient: CostMeter(sink: ledger, mode: .lenient, recordIDs: recordIDs, ids: ids, clock: clock),
            middleware: AttributionJobMiddleware(
                retryPolicy: retryPolicy,
                announcer: meter,
                ids: ids
            )
        )
        let dayStart = day * 86_400_000
        var events: [(time: Int64, event: Event)] = []
        for time in DemoCalendar.times(on: day, count: requests, rng: &rng) { events.append((time, .request)) }
        for time in DemoCalendar.times(on: day, count: max(1, requests / 20), rng: &rng) {
            events.append((time, .translate))
        }
        for time in DemoCalendar.times(on: day, count: max(1, requests / 25), rng: &rng) {
            events.append((time, .webhook))
        }
        for time in DemoCalendar.batch(
            from: dayStart + 2 * 3_600_000,
            count: max(1, requestsPerDay / 20),
            spacing: 90_000,
            rng: &rng
        ) {
            events.append((time, .evaluation))
        }
        for time in DemoCalendar.batch(
            from: dayStart + 3 * 3_600_000,
            count: max(1, requestsPerDay / 25),
            spacing: 120_000,
            rng: &rng
        ) {
            events.append((time, .backfill))
        }
        for time in DemoCalendar.times(on: day, count: max(1, requests / 25), rng: &rng) {
            events.append((time, .untracked))
        }
        // Stable: events at the same millisecond keep the order above.
        let ordered = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
        for (_, (time, event)) in ordered {
            clock.set(UTCTimestamp(millisecondsSinceEpoch: time))
            switch event {
            case .request:
                let feature = pickFeature()
                let user =
                    feature.name == "deep_research"
                    ? DemoWorkload.users[Int(rng.int(0...Int64(DemoWorkload.powerUsers - 1)))] : pickUser()
                try await request(feature: feature, user: user, day: day, tokenFactor: 1, writers)
            case .translate: try await translate(writers)
            case .webhook: try await webhook(writers)
            case .evaluation: try await evaluation(writers)
            case .backfill: try await backfill(writers)
            case .untracked: untracked()
            }
        }
        if day == DemoCalendar.lastDay { try await spike(day: day, writers) }
    }

    /// The planted spike: in one hour of the last day, one user sends more calls than everyone else together,
    /// each at ``DemoWorkload/spikeTokenFactor`` times the feature's usual tokens.
    private func spike(day: Int64, _ writers: Writers) async throws {
        let others = spikeHourCalls
        // More than everyone else together, and enough calls to stand out in a small simulation.
        let count = max(6, others + max(2, others / 8))
        let hourStart = day * 86_400_000 + Int64(DemoCalendar.spikeHour) * 3_600_000
        // The last minute is left free, so every call starts within the hour.
        let times = (0..<count).map { _ in hourStart + rng.int(0...3_540_000) }.sorted()
        let feature = DemoWorkload.features[0]
        for time in times {
            clock.set(UTCTimestamp(millisecondsSinceEpoch: time))
            try await request(
                feature: feature,
                user: spikeUser,
                day: day,
                tokenFactor: DemoWorkload.spikeTokenFactor,
                writers
            )
        }
        summary.spikeCalls = count
        summary.spikeHourCalls = others + count
    }

    private func pickFeature() -> DemoWorkload.Feature {
        let total = DemoWorkload.features.reduce(0) { $0 + $1.weight }
        var pick = Int(rng.int(0...Int64(total - 1)))
        for candidate in DemoWorkload.features {
            if pick < candidate.weight { return candidate }
            pick -= candidate.weight
        }
        return DemoWorkload.features[0]
    }

    private func pickUser() -> String {
        let weights = DemoWorkload.userWeights
        let pick = Double.random(in: 0..<weights[weights.count - 1], using: &rng)
        var low = 0
        var high = weights.count - 1
        while low < high {
            let middle = (low + high) / 2
            if weights[middle] > pick { high = middle } else { low = middle + 1 }
        }
        return DemoWorkload.users[low]
    }

    /// One user request: tagged at the edge, its job enqueued with the envelope in the payload, then performed
    /// (and retried) by a worker. A `tokenFactor` above 1 is the spike: its calls go straight through.
    private func request(
        feature: DemoWorkload.Feature,
        user: String,
        day: Int64,
        tokenFactor: Int64,
        _ writers: Writers
    ) async throws {
        var feature = feature
        if feature.name == DemoWorkload.switchingFeature, day >= calendar.promptSwitchDay {
            feature.promptVersion = DemoWorkload.promptAfter
            feature.inputTokens = Self.scale(feature.inputTokens, DemoWorkload.promptInputFactor)
        }
        feature.inputTokens = Self.scale(feature.inputTokens, tokenFactor)
        feature.outputTokens = Self.scale(feature.outputTokens, tokenFactor)
        usersSeen.insert(user)
        let request = try writers.meter.tag(
            userID: user,
            feature: feature.name,
            team: feature.team,
            project: feature.project,
            taskType: feature.taskType,
            promptVersion: feature.promptVersion,
            agent: feature.name == "deep_research" ? "researcher" : "assistant"
        )
        summary.requests += 1
        let body = Array(#"{"job":"\#(feature.name)","document_id":"d_\#(rng.int(1...99_999))"}"#.utf8)
        var payload: [UInt8]? = try writers.middleware.willEnqueue(
            try writers.middleware.prepare(body, parent: request),
            context: JobContext(jobName: feature.name)
        )
        var deliveries = 0
        while let current = payload {
            payload = nil
            deliveries += 1
            // The queue's latency before a worker picks the job up.
            clock.advance(byMilliseconds: rng.int(50...3_000))
            payload = try await perform(
                current,
                feature: feature,
                deliveries: deliveries,
                plain: tokenFactor > 1,
                writers
            )
        }
    }

    /// A worker performs one delivery of a job: decodes the envelope from the payload, calls the model,
    /// retries, fans out. Returns the payload of the retry the middleware scheduled, if any.
    private func perform(
        _ payload: [UInt8],
        feature: DemoWorkload.Feature,
        deliveries: Int,
        plain: Bool,
        _ writers: Writers
    ) async throws -> [UInt8]? {
        let context = JobContext(jobName: feature.name, deliveryCount: deliveries)
        guard let job = try writers.middleware.willPerform(payload, context: context) else { return nil }
        summary.jobs += 1
        let key = rng.chance(0.5) ? "key_prod_a" : "key_prod_b"
        if feature.name == DemoWorkload.switchingFeature { draftReplies += 1 }
        switch feature.name {
        case _ where plain:
            try await modelCall(writers.meter, model: feature.model, envelope: job, key: key, feature: feature)
        case "summarize" where rng.chance(0.3):
            // The legacy summarizer builds its own envelope and keeps only the lineage: the business
            // fields are lost, and only lineage can recover them.
            var legacy = job.child(ids: ids)
            for field in AttributionField.business { legacy[field] = nil }
            try await modelCall(writers.lenient, model: feature.model, envelope: legacy, key: key, feature: feature)
        case DemoWorkload.switchingFeature where deliveries == 1 && rng.chance(0.25):
            // A transient failure after the call was billed: the middleware retries with the same
            // envelope, attempt + 1.
            try await modelCall(writers.meter, model: feature.model, envelope: job, key: key, feature: feature)
            let decision = writers.middleware.didFail(payload, error: DemoTransientError(), context: context)
            if let retry = decision.retry {
                summary.retries += 1
                // The policy's backoff, its jitter drawn from the seed rather than the system (the
                // middleware's own `retry.delay` is not reproducible).
                let delay = retryPolicy.delay(after: job.attempt, using: &rng)
                let (seconds, attoseconds) = delay.components
                clock.advance(byMilliseconds: seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
                return retry.payload
            }
        case DemoWorkload.switchingFeature where deliveries == 1 && draftReplies % 12 == 5:
            // The operator-retry bug: a re-run clicked in an admin tool re-stamps the job with the
            // operator's identity. The audit counts it as a retry identity conflict.
            var restamped = job.retried()
            restamped.userID = "ops-admin"
            try await modelCall(writers.lenient, model: feature.model, envelope: restamped, key: key, feature: feature)
        case "deep_research":
            try await research(job, feature: feature, key: key, writers)
        default:
            try await modelCall(writers.meter, model: feature.model, envelope: job, key: key, feature: feature)
        }
        return nil
    }

    /// Fan-out: a planner call, then tool calls, some of which fan out again.
    private func research(
        _ job: AttributionEnvelope,
        feature: DemoWorkload.Feature,
        key: String,
        _ writers: Writers
    ) async throws {
        try await modelCall(writers.meter, model: feature.model, envelope: job, key: key, feature: feature)
        let tools = ["web_search", "fetch", "read_pdf", "rank", "synthesize"]
        for child in job.children(for: tools, setting: \.tool, ids: ids) {
            try writers.meter.announce(child)
            summary.toolCalls += 1
            // One in five tool runners forgets to pass the envelope's business fields on.
            var callEnvelope = child
            if rng.chance(0.2) {
                callEnvelope = child.child(ids: ids)
                for field in AttributionField.business { callEnvelope[field] = nil }
            }
            try await modelCall(
                callEnvelope == child ? writers.meter : writers.lenient,
                model: "gpt-4.1",
                envelope: callEnvelope,
                key: key,
                input: 8_000...30_000,
                output: 500...2_000
            )
            if child.tool == "fetch" {
                for grandchild in child.children(count: 2, ids: ids) {
                    try writers.meter.announce(grandchild)
                    summary.toolCalls += 1
                    try await modelCall(
                        writers.meter,
                        model: "gpt-4.1",
                        envelope: grandchild,
                        key: key,
                        input: 4_000...12_000,
                        output: 200...800
                    )
                }
            }
        }
    }

    /// A translation call site tags the user and feature but forgets team and project.
    private func translate(_ writers: Writers) async throws {
        var translate = try AttributionEnvelope.tag(
            fields: [.userID: pickUser(), .feature: "translate", .taskType: "translate"],
            policy: .none,
            ids: ids,
            clock: clock
        )
        translate.agent = "translator"
        try await modelCall(
            writers.lenient,
            model: "gpt-4.1",
            envelope: translate,
            key: "key_prod_b",
            input: 500...2_000,
            output: 300...1_200
        )
    }

    /// A webhook handler continues a trace started by a service that writes no ledger here, and drops the
    /// business fields: its lineage ends at a unit nobody recorded.
    private func webhook(_ writers: Writers) async throws {
        let foreignRoot = AttributionEnvelope(traceID: ids.nextTraceID(), leafID: ids.nextLeafID())
        var webhook = foreignRoot.child(ids: ids)
        webhook.taskType = "webhook"
        try await modelCall(
            writers.lenient,
            model: "gpt-4.1",
            envelope: webhook,
            key: "key_prod_b",
            input: 1_000...4_000,
            output: 100...500
        )
    }

    /// The nightly evaluation agent runs with no user: a mapping rule attributes it.
    private func evaluation(_ writers: Writers) async throws {
        let eval = try AttributionEnvelope.tag(
            fields: [.agent: "nightly-eval-agent"],
            policy: .none,
            ids: ids,
            clock: clock
        )
        try await modelCall(
            writers.lenient,
            model: "gpt-4.1",
            envelope: eval,
            key: "key_prod_a",
            input: 2_000...8_000,
            output: 100...400
        )
    }

    /// A backfill script calls the model directly on the batch key, with no envelope at all.
    private func backfill(_ writers: Writers) async throws {
        try await modelCall(
            writers.lenient,
            model: "gpt-4.1",
            envelope: nil,
            key: "key_batch",
            input: 5_000...20_000,
            output: 100...300
        )
    }

    /// Spend that bypasses the wrapper entirely: on the bill, never in the ledger.
    private func untracked() {
        let key = rng.chance(0.5) ? "key_batch" : "key_legacy"
        bill.add(
            day: clock.now(),
            model: "gpt-4.1",
            key: key,
            usage: TokenUsage(input: rng.int(10_000...80_000), output: rng.int(1_000...8_000))
        )
        summary.untrackedCalls += 1
    }

    private func modelCall(
        _ meter: CostMeter,
        model: String,
        envelope: AttributionEnvelope?,
        key: String,
        feature: DemoWorkload.Feature
    ) async throws {
        try await modelCall(
            meter,
            model: model,
            envelope: envelope,
            key: key,
            input: feature.inputTokens,
            output: feature.outputTokens
        )
    }

    /// One simulated model call through the wrapper: the fake provider answers with real-shaped JSON whose
    /// usage the wrapper extracts; the same usage goes on the provider's bill, on the day the call started.
    private func modelCall(
        _ meter: CostMeter,
        model: String,
        envelope: AttributionEnvelope?,
        key: String,
        input: ClosedRange<Int64>,
        output: ClosedRange<Int64>
    ) async throws {
        clock.advance(byMilliseconds: rng.int(200...4_000))
        let started = clock.now()
        if started.utcDay == DemoCalendar.lastDay,
            started.millisecondsSinceEpoch % 86_400_000 / 3_600_000 == Int64(DemoCalendar.spikeHour)
        {
            spikeHourCalls += 1
        }
        let inputTokens = rng.int(input)
        let cached = model == "codex-1" || !rng.chance(0.4) ? 0 : rng.int(0...(inputTokens / 2))
        let outputTokens = rng.int(output)
        let usage = TokenUsage(
            input: inputTokens,
            output: outputTokens,
            cachedInput: cached,
            reasoning: model == "o3" ? outputTokens / 2 : 0
        )
        let response = DemoProvider.chatCompletion(model: model, usage: usage, seed: rng.next())
        let request = Array(#"{"model":"\#(model)","messages":[{"role":"user","content":"…"}]}"#.utf8)
        let latency = rng.int(300...9_000)
        _ = try await meter.callJSON(
            adapter: .openAIChatCompletions,
            requestBody: request,
            attribution: .envelope(envelope),
            apiKeyID: key
        ) { _ in
            clock.advance(byMilliseconds: latency)
            return ProviderResponse(body: response)
        }
        bill.add(day: started, model: model, key: key, usage: usage)
        summary.modelCalls += 1
    }

    private static func scale(_ range: ClosedRange<Int64>, _ factor: Int64) -> ClosedRange<Int64> {
        (range.lowerBound * factor)...(range.upperBound * factor)
    }
}

/// The transient failure the demo's draft-reply jobs hit.
struct DemoTransientError: Error {}
