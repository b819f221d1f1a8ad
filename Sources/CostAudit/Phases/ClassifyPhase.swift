import Attribution
import CostLedger

/// Classification (docs/audit.md, "The five classes"): every deduplicated record in the window gets one class
/// (its dollars, priced from its tokens, go there), trying direct, inherited, rule, key_allocated and unknown
/// in that order; an unknown record gets a reason. In parallel over row ranges, each worker adding up its own
/// totals, merged at the end.
enum ClassifyPhase {
    /// The rules, the key map and the window, in interned ids.
    struct Policy {
        var rules: RuleIndex
        /// API key → the team and project the key map gives it.
        var keyOwners: [Int32: (team: Int32, project: Int32)]
        /// Where these fields are among the tracked ones, -1 when not tracked.
        var teamSlot: Int
        var projectSlot: Int
        var agentSlot: Int
        var taskSlot: Int
        /// The window in nanoseconds: `since` inclusive, `until` exclusive.
        var since: Int64
        var until: Int64

        /// The configuration's rules, key map and window over the tracked `fields`; values the rules set and
        /// the key map's teams and projects are interned into `strings`.
        init(_ configuration: AuditConfiguration, fields: [AttributionField], strings: inout Interner) {
            rules = RuleIndex(configuration.rules.rules.map { CompiledRule($0, fields: fields, strings: &strings) })
            keyOwners = [:]
            for (key, owner) in configuration.keyMap.owners {
                guard let id = strings.existingID(key) else { continue }
                keyOwners[id] = (strings.id(owner.team), strings.id(owner.project))
            }
            teamSlot = fields.firstIndex(of: .team) ?? -1
            projectSlot = fields.firstIndex(of: .project) ?? -1
            agentSlot = fields.firstIndex(of: .agent) ?? -1
            taskSlot = fields.firstIndex(of: .taskType) ?? -1
            since = configuration.since?.nanosecondsSinceEpoch ?? Int64.min
            until = configuration.until?.nanosecondsSinceEpoch ?? Int64.max
        }
    }

    /// A mapping rule in interned ids.
    struct CompiledRule {
        /// (tracked field index or -1 provider / -2 model / -3 api key, interned value or -1 when never seen).
        var match: [(Int, Int32)]
        /// (tracked field index, interned value).
        var set: [(Int, Int32)]

        init(match: [(Int, Int32)], set: [(Int, Int32)]) {
            self.match = match
            self.set = set
        }

        init(_ rule: AuditRules.Rule, fields: [AttributionField], strings: inout Interner) {
            match = []
            for (key, value) in rule.match {
                let slot: Int
                if let field = key.attributionField {
                    slot = fields.firstIndex(of: field) ?? -99
                } else if key == .provider {
                    slot = -1
                } else if key == .model {
                    slot = -2
                } else {
                    slot = -3
                }
                match.append((slot, strings.existingID(value) ?? -1))
            }
            set = []
            for (field, value) in rule.set.sorted(by: { $0.key < $1.key }) {
                if let slot = fields.firstIndex(of: field) { set.append((slot, strings.id(value))) }
            }
        }
    }

    struct Input {
        var store: RecordStore
        /// Per row: whether it is the copy that counts (``DedupePhase``).
        var alive: [Bool]
        /// Per row: its unit, -1 without a leaf id (``UnitsPhase``).
        var unitOfRow: [Int32]
        /// Per unit: its `U` row or -1; its number among the units without `U` or -1 (``UnitsPhase``).
        var best: SharedBuffer<Int32>
        var incomplete: SharedBuffer<Int32>
        /// Per unit without `U`: its resolved values and how its walk ended (``LineagePhase``).
        var resolved: SharedBuffer<Int32>
        var ends: SharedBuffer<LineageEnd>
        var required: Int
        var policy: Policy
        /// Whether to keep, per record, the values the attributed output writes.
        var emitting: Bool
        var workers: Int
    }

    struct Output {
        /// Per row: its class and reason (255 for rows not classified: dropped copies, outside the window).
        var outcomes: SharedBuffer<RecordOutcome>
        /// Per row: whether it is a deduplicated record in the window.
        var inWindow: SharedBuffer<Bool>
        /// Per record, when emitting: the required values its emitted line carries, row-major, `required` a row.
        var emitted: SharedBuffer<Int32>
        var totals: ClassTotals
    }

    static func run(_ input: Input) -> Output {
        let workers = max(1, input.workers)
        let count = input.store.count
        let output = Output(
            outcomes: SharedBuffer(repeating: RecordOutcome(), count: count),
            inWindow: SharedBuffer(repeating: false, count: count),
            emitted: SharedBuffer(repeating: 0, count: input.emitting ? count * input.required : 0, workers: workers),
            totals: ClassTotals(required: input.required)
        )
        let perWorker = SharedBuffer<ClassTotals>(repeating: ClassTotals(required: input.required), count: workers)
        inParallel(workers) { worker in
            var classifier = RecordClassifier(input: input, output: output)
            for index in share(worker, of: workers, count: count) where input.alive[index] {
                classifier.classify(index)
            }
            perWorker[worker] = classifier.totals
        }
        var totals = output.totals
        for worker in 0..<workers { totals.add(perWorker[worker]) }
        return Output(outcomes: output.outcomes, inWindow: output.inWindow, emitted: output.emitted, totals: totals)
    }

    /// What passed its bound and the file of the record at which it did, adding in row order (after ``run(_:)``
    /// found that something did): recorded spend past ``AuditSums/maxTotal``, or a count of tokens past
    /// `Int64.max`.
    static func overflowSite(
        _ store: RecordStore,
        alive: [Bool],
        inWindow: SharedBuffer<Bool>,
        fileNames: [String]
    ) -> (what: String, file: String) {
        var sum: Int128 = 0
        var unpriced: Int64 = 0
        var cached: Int64 = 0
        for index in 0..<store.count where alive[index] && inWindow[index] {
            let row = store[index]
            guard !row.isUnit else { continue }
            let file = fileNames[Int(row.file)]
            if row.pricing == .unpriced {
                let (next, wrapped) = unpriced.addingReportingOverflow(store.tokens(index, row))
                if wrapped { return ("the count of unpriced tokens", file) }
                unpriced = next
                continue
            }
            if row.pricing == .priced {
                let (next, wrapped) = cached.addingReportingOverflow(store.tokens(index, row))
                if wrapped { return ("the count of cached tokens priced at the input price", file) }
                cached = next
            }
            guard let next = AuditSums.adding(magnitudeOf: store.cost(index, row), to: sum) else {
                return ("the sum of recorded spend", file)
            }
            sum = next
        }
        return ("the sum of recorded spend", fileNames.last ?? "ledger")
    }
}

/// One worker's classification: each record's class, reason and emitted values into the shared outputs (its
/// own rows only), its sums into its own totals.
private struct RecordClassifier {
    let input: ClassifyPhase.Input
    let output: ClassifyPhase.Output
    /// The input's store and policy, held directly: read for every record.
    private let store: RecordStore
    private let policy: ClassifyPhase.Policy
    /// The policy's rules, with this worker's cache of answers per distinct attribution tuple.
    private var rules: RuleMatcher
    var totals: ClassTotals

    init(input: ClassifyPhase.Input, output: ClassifyPhase.Output) {
        self.input = input
        self.output = output
        store = input.store
        policy = input.policy
        rules = RuleMatcher(input.policy.rules)
        totals = ClassTotals(required: input.required)
    }

    @inline(__always)
    mutating func classify(_ index: Int) {
        let row = store[index]
        guard row.when >= policy.since, row.when < policy.until else { return }
        output.inWindow[index] = true
        totals.records += 1
        let dollars = price(index, row)
        let own = store.values(index)
        var values = own
        var (classIndex, end) = resolve(index, row, &values, dollars: dollars)
        var reasonIndex = 0
        if !isComplete(values) { (classIndex, reasonIndex) = fillMissing(row, &values, end: end) }
        output.outcomes[index] = RecordOutcome(classIndex: UInt8(classIndex), reasonIndex: UInt8(reasonIndex))
        if input.emitting { emit(index, classIndex: classIndex, values: values, own: own) }
        tally(row, classIndex: classIndex, reasonIndex: reasonIndex, values: values, dollars: dollars)
    }

    @inline(__always)
    private func isComplete(_ values: InlineArray<10, Int32>) -> Bool {
        for f in 0..<input.required where values[f] == 0 { return false }
        return true
    }

    /// The record's dollars (none for a `unit` record or an unpriced call), counted by how they were priced.
    @inline(__always)
    private mutating func price(_ index: Int, _ row: RecordRow) -> Int128 {
        guard !row.isUnit else { return 0 }
        var dollars: Int128 = 0
        switch row.pricing {
        case .priced:
            dollars = store.cost(index, row)
            let (cached, wrapped) = totals.cachedAtInputPrice.addingReportingOverflow(store.tokens(index, row))
            totals.cachedAtInputPrice = cached
            if wrapped { totals.overflow = true }
        case .fromRecord:
            dollars = store.cost(index, row)
            totals.pricedFromRecord += 1
        case .unpriced:
            totals.unpricedRecords += 1
            let (unpriced, wrapped) = totals.unpricedTokens.addingReportingOverflow(store.tokens(index, row))
            totals.unpricedTokens = unpriced
            if wrapped { totals.overflow = true }
        }
        totals.recordedDollars &+= dollars
        if let sum = AuditSums.adding(magnitudeOf: dollars, to: totals.magnitude) {
            totals.magnitude = sum
        } else {
            totals.overflow = true
        }
        return dollars
    }

    /// Direct or inherited, by the record's unit: a unit with `U` gives every required field outright (a value
    /// that differs is a retry identity conflict); a unit without gives its resolved values where the record
    /// lacks one. Returns the class so far and how the unit's lineage walk ended.
    @inline(__always)
    private mutating func resolve(
        _ index: Int,
        _ row: RecordRow,
        _ values: inout InlineArray<10, Int32>,
        dollars: Int128
    ) -> (classIndex: Int, end: LineageEnd) {
        guard row.leaf != 0 else { return (0, .complete) }
        let required = input.required
        let unit = Int(input.unitOfRow[index])
        let best = input.best[unit]
        guard best >= 0 else {
            let number = Int(input.incomplete[unit])
            for f in 0..<required where values[f] == 0 { values[f] = input.resolved[number * required + f] }
            return (1, input.ends[number])
        }
        var equal = isComplete(values)
        var disagrees = false
        let unitValues = store.values(Int(best))
        for f in 0..<required {
            let u = unitValues[f]
            if values[f] != u {
                equal = false
                if values[f] != 0 { disagrees = true }
            }
            values[f] = u
        }
        if disagrees {
            totals.retryConflicts += 1
            totals.retryConflictDollars &+= dollars
        }
        return (equal ? 0 : 1, .complete)
    }

    /// Rule, key_allocated or unknown for a record still incomplete after its unit: the first matching rule
    /// fills what it sets; else the key map fills team and project; else unknown, with its reason.
    private mutating func fillMissing(
        _ row: RecordRow,
        _ values: inout InlineArray<10, Int32>,
        end: LineageEnd
    ) -> (classIndex: Int, reasonIndex: Int) {
        if !policy.rules.isEmpty {
            let subject = RuleIndex.Subject(
                values: values,
                provider: store.provider(row),
                model: store.model(row),
                apiKey: row.apiKey
            )
            var probes = 0
            if let number = rules.firstMatch(subject, probes: &probes) {
                for (slot, value) in policy.rules.rules[number].set where values[slot] == 0 { values[slot] = value }
            }
        }
        if isComplete(values) { return (2, 0) }
        if row.apiKey != 0, let owner = policy.keyOwners[row.apiKey] {
            if policy.teamSlot >= 0, values[policy.teamSlot] == 0 { values[policy.teamSlot] = owner.team }
            if policy.projectSlot >= 0, values[policy.projectSlot] == 0 { values[policy.projectSlot] = owner.project }
            return (3, 0)
        }
        if row.leaf == 0 { return (4, 0) }
        return (4, end == .brokenLink || end == .cycle ? 1 : 2)
    }

    /// What the emitted record carries: filled where its class allows.
    @inline(__always)
    private func emit(_ index: Int, classIndex: Int, values: InlineArray<10, Int32>, own: InlineArray<10, Int32>) {
        let required = input.required
        for f in 0..<required {
            let value: Int32
            switch classIndex {
            case 0, 1, 2: value = values[f]
            case 3: value = (f == policy.teamSlot || f == policy.projectSlot) ? values[f] : own[f]
            default: value = own[f]
            }
            output.emitted[index * required + f] = value
        }
    }

    /// Adds the record's dollars to its class and, for unknown spend, to its reason, the fields it lacks and
    /// the top sources.
    @inline(__always)
    private mutating func tally(
        _ row: RecordRow,
        classIndex: Int,
        reasonIndex: Int,
        values: InlineArray<10, Int32>,
        dollars: Int128
    ) {
        totals.classDollars[classIndex] &+= dollars
        guard classIndex == 4, dollars != 0 else { return }
        let required = input.required
        totals.reasonDollars[reasonIndex] &+= dollars
        if reasonIndex == 2 {
            for f in 0..<required where values[f] == 0 { totals.missingFieldDollars[f] &+= dollars }
        }
        if policy.agentSlot >= 0, values[policy.agentSlot] != 0 {
            totals.topSources[0].add(values[policy.agentSlot], dollars)
        }
        let model = store.model(row)
        if model != 0 { totals.topSources[1].add(model, dollars) }
        if row.apiKey != 0 { totals.topSources[2].add(row.apiKey, dollars) }
        if policy.taskSlot >= 0, values[policy.taskSlot] != 0 {
            totals.topSources[3].add(values[policy.taskSlot], dollars)
        }
        for f in 0..<required where values[f] == 0 { totals.missingTop[f] &+= dollars }
    }
}

/// The per-record outcome of classification.
struct RecordOutcome {
    /// Index into ``AttributionClass/all``; 255 for records not classified (duplicates, outside the window).
    var classIndex: UInt8 = 255
    /// Index into ``UnknownReason/all`` for unknown records.
    var reasonIndex: UInt8 = 0
}

/// What classification adds up; each worker keeps its own, merged at the end (exact sums, so the order of
/// merging does not matter).
///
/// The per-class, per-reason and per-field sums are inline (no copy-on-write check on each record's addition).
struct ClassTotals {
    var classDollars = InlineArray<5, Int128>(repeating: 0)
    var reasonDollars = InlineArray<4, Int128>(repeating: 0)
    /// By required field (at most the ten attribution fields).
    var missingFieldDollars = InlineArray<10, Int128>(repeating: 0)
    var retryConflicts = 0
    var retryConflictDollars: Int128 = 0
    var records = 0
    var unpricedRecords = 0
    var unpricedTokens: Int64 = 0
    var pricedFromRecord = 0
    var cachedAtInputPrice: Int64 = 0
    var recordedDollars: Int128 = 0
    /// The magnitudes of the recorded amounts, summed while at most ``AuditSums/maxTotal``, which bounds every
    /// other sum here (see ``AuditSums``).
    var magnitude: Int128 = 0
    /// Whether ``magnitude`` would have passed the bound, or a token count `Int64.max`.
    var overflow = false
    /// Unknown dollars per dimension value: agent, model, api key, task type (interned ids).
    var topSources = [SumMap](repeating: SumMap(), count: 4)
    /// Unknown dollars lacking each required field, over every unknown record (for the top sources).
    var missingTop = InlineArray<10, Int128>(repeating: 0)

    init(required: Int) {
        precondition(
            AttributionClass.all.count == classDollars.count && UnknownReason.all.count == reasonDollars.count
                && required <= missingFieldDollars.count,
            "ClassTotals holds one sum per class, reason and required field"
        )
    }

    mutating func add(_ other: ClassTotals) {
        for i in classDollars.indices { classDollars[i] &+= other.classDollars[i] }
        for i in reasonDollars.indices { reasonDollars[i] &+= other.reasonDollars[i] }
        for i in missingFieldDollars.indices { missingFieldDollars[i] &+= other.missingFieldDollars[i] }
        retryConflicts &+= other.retryConflicts
        retryConflictDollars &+= other.retryConflictDollars
        records &+= other.records
        unpricedRecords &+= other.unpricedRecords
        let (unpriced, o1) = unpricedTokens.addingReportingOverflow(other.unpricedTokens)
        unpricedTokens = unpriced
        pricedFromRecord &+= other.pricedFromRecord
        let (cached, o2) = cachedAtInputPrice.addingReportingOverflow(other.cachedAtInputPrice)
        cachedAtInputPrice = cached
        recordedDollars &+= other.recordedDollars
        if let sum = AuditSums.adding(magnitudeOf: other.magnitude, to: magnitude), !overflow, !other.overflow, !o1, !o2
        {
            magnitude = sum
        } else {
            overflow = true
        }
        for d in topSources.indices {
            for (key, value) in other.topSources[d].entries { topSources[d].add(key, value) }
        }
        for i in missingTop.indices { missingTop[i] &+= other.missingTop[i] }
    }
}
