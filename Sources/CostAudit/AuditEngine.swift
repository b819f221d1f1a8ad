import Attribution
import CostLedger
import Dispatch

/// Runs `body(worker)` for each of `workers` workers, on as many threads at once, and returns when all are done.
func inParallel(_ workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedWork(body: body)
        DispatchQueue.concurrentPerform(iterations: workers) { shared.body($0) }
    }
}

/// A worker body handed to several threads. The phases that use it only read shared state, or write disjoint
/// indices of ``SharedBuffer``s and their own worker's slot.
private struct UncheckedWork: @unchecked Sendable {
    let body: (Int) -> Void
}

/// Worker `worker`'s share of `0..<count` when `workers` split it evenly.
func share(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
    (count * worker / workers)..<(count * (worker + 1) / workers)
}

/// A fixed-size buffer that workers write at disjoint indices (each index by one worker only), then read by
/// all once the writing phase has ended.
final class SharedBuffer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(repeating value: Element, count: Int) {
        self.count = count
        base = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: count)
    }

    subscript(index: Int) -> Element {
        get { base[index] }
        set { base[index] = newValue }
    }

    var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// The contents as an array.
    var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
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

/// Dedupe, units, lineage, classification and reconciliation over a ``RecordStore``. The phases after reading
/// run on ``workers`` threads: dedupe beside unit numbering, then units, lineage walks and classification each
/// split by unit or row ranges.
struct AuditEngine {
    var table: RecordStore
    let fileNames: [String]
    /// The files as planned (empty for records in memory): where each is read again, and its size.
    var files: [LedgerInputs.File] = []
    let required: Int
    let configuration: AuditConfiguration
    let workers: Int
    var fieldCount: Int { table.fieldCount }

    // Dedupe.
    var alive: [Bool] = []
    var duplicates = 0
    var recordIDConflicts = 0
    // Window.
    var inWindow = SharedBuffer<Bool>(repeating: false, count: 0)
    // Units.
    var unitOfRow: [Int32] = []
    /// Per unit: its earliest complete row (`U`), or -1.
    var unitBest = SharedBuffer<Int32>(repeating: -1, count: 0)
    /// Per unit without `U`: its number among those units (which alone need lineage), else -1.
    var unitIncomplete = SharedBuffer<Int32>(repeating: -1, count: 0)
    /// Per unit without `U`, by that number: its required values after lineage, `required` a unit.
    var unitResolved = SharedBuffer<Int32>(repeating: 0, count: 0)
    /// Per unit without `U`, by that number: how its walk ended.
    var unitEnd = SharedBuffer<LineageEnd>(repeating: .complete, count: 0)
    var lineageCycles = 0
    // Classification.
    var outcomes = SharedBuffer<RecordOutcome>(repeating: RecordOutcome(), count: 0)
    /// Per record: the values to write for emission (required fields), row-major, `required` per row.
    var emitted = SharedBuffer<Int32>(repeating: 0, count: 0)
    var totals: ClassTotals

    init(table: RecordStore, fileNames: [String], required: Int, configuration: AuditConfiguration) {
        self.table = table
        self.fileNames = fileNames
        self.required = required
        self.configuration = configuration
        self.workers = max(1, configuration.readerThreads)
        totals = ClassTotals(required: required)
    }

    // MARK: - Deduplication

    /// Each file's rank in bytewise order of the names (the tie-break between copies of a record).
    static func bytewiseRanks(_ names: [String]) -> [Int] {
        let order = names.indices.sorted { Array(names[$0].utf8).lexicographicallyPrecedes(Array(names[$1].utf8)) }
        var rank = [Int](repeating: 0, count: names.count)
        for (position, index) in order.enumerated() { rank[index] = position }
        return rank
    }

    // MARK: - Units and lineage

    /// Whether row `a` comes before row `b` within a unit: attempt, ts, `unit` before `call`, record id.
    func unitOrderLess(_ a: Int, _ b: Int) -> Bool {
        let ra = table[a]
        let rb = table[b]
        if ra.attempt != rb.attempt { return ra.attempt < rb.attempt }
        if ra.ts != rb.ts { return ra.ts < rb.ts }
        if ra.isUnit != rb.isUnit { return ra.isUnit }
        return table.recordIDLess(a, b)
    }

    /// Dedupes and numbers units side by side, then builds units: each unit's attribution `U` (earliest
    /// complete record) or partial attribution, its parent and root, then resolves every unit through its
    /// ancestors.
    mutating func dedupeAndBuildUnits() {
        let table = self.table
        let fileNames = self.fileNames
        let readPaths = files.isEmpty ? fileNames : files.map(\.readPath)
        var deduped = Self.dedupeAndNumberUnits(table, fileNames: fileNames, workers: workers)
        alive = deduped.alive
        duplicates = deduped.duplicates
        // Copies with different bytes are record id conflicts: both lines read again, on every worker.
        let dropped = deduped.dropped
        let conflicts = SharedBuffer<Int>(repeating: 0, count: workers)
        let source = configuration.ledger
        inParallel(workers) { worker in
            var lines = LineBytes(source: source, readPaths: readPaths)
            for (kept, other) in dropped[share(worker, of: workers, count: dropped.count)]
            where !lines.same(table[kept], table[other]) {
                conflicts[worker] += 1
            }
            lines.closeFiles()
        }
        recordIDConflicts = conflicts.array.reduce(0, +)
        unitOfRow = deduped.unitOfRow
        let unitCount = deduped.unitCount
        var leafUnits = deduped.leafUnits
        // Group the deduplicated rows by unit (a counting sort on the counts numbering made): `groupEnd[u]`
        // ends unit u's rows in `grouped`, which start where unit u − 1's end.
        var groupEnd = deduped.unitRows
        deduped = DedupedUnits(
            alive: [],
            duplicates: 0,
            dropped: [],
            unitOfRow: [],
            unitCount: 0,
            unitRows: [],
            leafUnits: LeafUnits(maps: [])
        )

        var total: Int32 = 0
        for unit in 0..<unitCount {
            let rows = groupEnd[unit]
            groupEnd[unit] = total
            total += rows
        }
        let required = self.required
        let best = SharedBuffer<Int32>(repeating: -1, count: unitCount)
        let incomplete = SharedBuffer<Int32>(repeating: -1, count: unitCount)
        var incompleteCount = 0
        let partial: SharedBuffer<Int32>
        let parentLeaf: SharedBuffer<UInt64>
        let rootLeaf: SharedBuffer<UInt64>
        do {
            var grouped = [Int32](repeating: 0, count: Int(total))
            for index in 0..<table.count where alive[index] && unitOfRow[index] >= 0 {
                let unit = Int(unitOfRow[index])
                grouped[Int(groupEnd[unit])] = Int32(truncatingIfNeeded: index)
                groupEnd[unit] += 1
            }
            // Per unit, in parallel over unit ranges: order its rows and find U. Each worker lists, in order, its
            // units without U with their partial values, parent and root (only their lineage walks need them:
            // a walk that reaches a unit with U is complete there).
            var incompleteUnits = [ChunkedList<Int32>](repeating: ChunkedList(), count: workers)
            var incompleteValues = [ChunkedList<Int32>](repeating: ChunkedList(), count: workers)
            var incompleteLinks = [ChunkedList<UInt64>](repeating: ChunkedList(), count: workers)
            let engine = self
            grouped.withUnsafeMutableBufferPointer { grouped in
                incompleteUnits.withUnsafeMutableBufferPointer { incompleteUnits in
                    incompleteValues.withUnsafeMutableBufferPointer { incompleteValues in
                        incompleteLinks.withUnsafeMutableBufferPointer { incompleteLinks in
                            inParallel(workers) { worker in
                                var myUnits = ChunkedList<Int32>()
                                var myValues = ChunkedList<Int32>()
                                var myLinks = ChunkedList<UInt64>()
                                var partialRow = InlineArray<10, Int32>(repeating: -1)
                                for unit in share(worker, of: workers, count: unitCount) {
                                    let range = Int(unit == 0 ? 0 : groupEnd[unit - 1])..<Int(groupEnd[unit])
                                    engine.sortUnitRows(grouped, range)
                                    for f in 0..<required { partialRow[f] = -1 }
                                    var parent: UInt64 = 0
                                    var root: UInt64 = 0
                                    for position in range {
                                        let index = Int(grouped[position])
                                        let row = table[index]
                                        let values = table.values(index)
                                        var complete = true
                                        for f in 0..<required {
                                            if values[f] == 0 {
                                                complete = false
                                            } else if partialRow[f] < 0 {
                                                partialRow[f] = Int32(truncatingIfNeeded: index)
                                            }
                                        }
                                        if complete {
                                            best[unit] = Int32(truncatingIfNeeded: index)
                                            break
                                        }
                                        if parent == 0 { parent = row.parent }
                                        if root == 0 { root = row.root }
                                    }
                                    if best[unit] < 0 {
                                        myUnits.append(Int32(truncatingIfNeeded: unit))
                                        for f in 0..<required {
                                            myValues.append(
                                                partialRow[f] >= 0 ? table.value(Int(partialRow[f]), f) : 0
                                            )
                                        }
                                        myLinks.append(parent)
                                        myLinks.append(root)
                                    }
                                }
                                incompleteUnits[worker] = myUnits
                                incompleteValues[worker] = myValues
                                incompleteLinks[worker] = myLinks
                            }
                        }
                    }
                }
            }
            // Number the units without U in unit order (the workers' ranges are in order).
            grouped = []
            for worker in 0..<workers {
                incompleteUnits[worker].forEachElement { unit in
                    incomplete[Int(unit)] = Int32(truncatingIfNeeded: incompleteCount)
                    incompleteCount += 1
                }
                incompleteUnits[worker] = ChunkedList()
            }
            // Gathered into one array each, every worker's list freed as soon as it is copied.
            partial = SharedBuffer<Int32>(repeating: 0, count: incompleteCount * required)
            var at = 0
            for worker in 0..<workers {
                incompleteValues[worker].forEachElement { value in
                    partial[at] = value
                    at += 1
                }
                incompleteValues[worker] = ChunkedList()
            }
            parentLeaf = SharedBuffer<UInt64>(repeating: 0, count: incompleteCount)
            rootLeaf = SharedBuffer<UInt64>(repeating: 0, count: incompleteCount)
            at = 0
            for worker in 0..<workers {
                var even = true
                incompleteLinks[worker].forEachElement { leaf in
                    if even {
                        parentLeaf[at] = leaf
                    } else {
                        rootLeaf[at] = leaf
                        at += 1
                    }
                    even.toggle()
                }
                incompleteLinks[worker] = ChunkedList()
            }
        }
        /// A unit's own value of required field `f`.
        @inline(__always) func own(_ unit: Int, _ f: Int) -> Int32 {
            let u = best[unit]
            if u >= 0 { return table.value(Int(u), f) }
            return partial[Int(incomplete[unit]) * required + f]
        }
        /// The parent and root of a unit without U.
        @inline(__always) func parentOf(_ unit: Int) -> UInt64 { parentLeaf[Int(incomplete[unit])] }
        @inline(__always) func rootOf(_ unit: Int) -> UInt64 { rootLeaf[Int(incomplete[unit])] }
        // Their units, looked up in the numbering's leaf maps in parallel; a unit seen only on dropped copies
        // has no rows and counts as absent.
        let parentUnit = SharedBuffer<Int32>(repeating: -1, count: incompleteCount)
        let rootUnit = SharedBuffer<Int32>(repeating: -1, count: incompleteCount)
        do {
            let units = leafUnits
            @inline(__always) func unitWithRows(_ leaf: UInt64) -> Int32 {
                guard leaf != 0, let unit = units.unit(of: leaf) else { return -1 }
                let start = unit == 0 ? 0 : groupEnd[Int(unit) - 1]
                return groupEnd[Int(unit)] > start ? unit : -1
            }
            inParallel(workers) { worker in
                for number in share(worker, of: workers, count: incompleteCount) {
                    parentUnit[number] = unitWithRows(parentLeaf[number])
                    rootUnit[number] = unitWithRows(rootLeaf[number])
                }
            }
            leafUnits = LeafUnits(maps: [])
        }
        /// The unit of the parent, or of the root, of a unit without U, when it has rows.
        @inline(__always) func parentUnitOf(_ unit: Int) -> Int32? {
            let found = parentUnit[Int(incomplete[unit])]
            return found >= 0 ? found : nil
        }
        @inline(__always) func rootUnitOf(_ unit: Int) -> Int32? {
            let found = rootUnit[Int(incomplete[unit])]
            return found >= 0 ? found : nil
        }

        // Lineage walks of the units without U, in parallel over unit ranges.
        let resolved = SharedBuffer<Int32>(repeating: 0, count: incompleteCount * required)
        let ends = SharedBuffer<LineageEnd>(repeating: .complete, count: incompleteCount)
        let cycles = SharedBuffer<Int>(repeating: 0, count: workers)
        inParallel(workers) { worker in
            var visited: [Int32] = []
            for unit in share(worker, of: workers, count: unitCount) where incomplete[unit] >= 0 {
                let number = Int(incomplete[unit])
                let base = number * required
                var missing = 0
                for f in 0..<required {
                    resolved[base + f] = partial[base + f]
                    if partial[base + f] == 0 { missing += 1 }
                }
                if missing == 0 { continue }
                visited.removeAll(keepingCapacity: true)
                visited.append(Int32(unit))
                var current = unit
                var hops = 0
                var usedRoot = false
                var end = LineageEnd.reachedRoot
                while missing > 0 {
                    let parentLeaf = parentOf(current)
                    if parentLeaf == 0 {
                        end = .reachedRoot
                        break
                    }
                    var next = parentUnitOf(current)
                    if next == nil {
                        // The parent is not in the ledger: once per walk, continue from the trace's root.
                        let rootFrom = rootOf(current) != 0 ? current : unit
                        let rootLeaf = rootOf(rootFrom)
                        if !usedRoot, rootLeaf != 0, rootLeaf != parentLeaf, let root = rootUnitOf(rootFrom),
                            !visited.contains(root)
                        {
                            usedRoot = true
                            next = root
                        } else {
                            end = .brokenLink
                            break
                        }
                    }
                    guard let step = next else { break }
                    if visited.contains(step) || hops == Auditor.maxLineageHops {
                        end = .cycle
                        cycles[worker] += 1
                        break
                    }
                    hops += 1
                    visited.append(step)
                    for f in 0..<required where resolved[base + f] == 0 {
                        let value = own(Int(step), f)
                        if value != 0 {
                            resolved[base + f] = value
                            missing -= 1
                        }
                    }
                    current = Int(step)
                }
                ends[number] = missing == 0 ? .complete : end
            }
        }
        unitBest = best
        unitIncomplete = incomplete
        unitResolved = resolved
        unitEnd = ends
        lineageCycles = (0..<workers).reduce(0) { $0 + cycles[$1] }
        // Only the walks look units up by leaf.
    }

    /// Orders rows `range` of `grouped` (one unit's) by ``unitOrderLess(_:_:)``.
    @inline(__always)
    func sortUnitRows(_ grouped: UnsafeMutableBufferPointer<Int32>, _ range: Range<Int>) {
        if range.count > 16 {
            var slice = UnsafeMutableBufferPointer(rebasing: grouped[range])
            slice.sort { unitOrderLess(Int($0), Int($1)) }
        } else if range.count > 1 {
            // Insertion sort: groups are usually a handful of rows.
            for i in (range.lowerBound + 1)..<range.upperBound {
                let moving = grouped[i]
                var j = i
                while j > range.lowerBound, unitOrderLess(Int(moving), Int(grouped[j - 1])) {
                    grouped[j] = grouped[j - 1]
                    j -= 1
                }
                grouped[j] = moving
            }
        }
    }

    // MARK: - Classification

    struct CompiledRule {
        /// (tracked field index or -1 provider / -2 model / -3 api key, interned value or -1 when never seen).
        var match: [(Int, Int32)]
        /// (tracked field index, interned value).
        var set: [(Int, Int32)]
    }

    mutating func compileRules() -> [CompiledRule] {
        var compiled: [CompiledRule] = []
        for rule in configuration.rules.rules {
            var match: [(Int, Int32)] = []
            for (key, value) in rule.match {
                let slot: Int
                if let field = key.attributionField {
                    slot = table.fields.firstIndex(of: field) ?? -99
                } else if key == .provider {
                    slot = -1
                } else if key == .model {
                    slot = -2
                } else {
                    slot = -3
                }
                match.append((slot, table.strings.existingID(value) ?? -1))
            }
            var set: [(Int, Int32)] = []
            for (field, value) in rule.set.sorted(by: { $0.key < $1.key }) {
                if let slot = table.fields.firstIndex(of: field) { set.append((slot, table.strings.id(value))) }
            }
            compiled.append(CompiledRule(match: match, set: set))
        }
        return compiled
    }

    /// Dedupes, builds units and classifies every deduplicated record in the window, in parallel over row
    /// ranges (each worker adds up its own totals; they are merged at the end).
    mutating func classify() {
        dedupeAndBuildUnits()
        let rules = compileRules()
        var keyOwners: [Int32: (team: Int32, project: Int32)] = [:]
        for (key, owner) in configuration.keyMap.owners {
            guard let id = table.strings.existingID(key) else { continue }
            keyOwners[id] = (table.strings.id(owner.team), table.strings.id(owner.project))
        }
        let table = self.table
        let required = self.required
        let workers = self.workers
        let teamSlot = table.fields.firstIndex(of: .team) ?? -1
        let projectSlot = table.fields.firstIndex(of: .project) ?? -1
        let agentSlot = table.fields.firstIndex(of: .agent) ?? -1
        let taskSlot = table.fields.firstIndex(of: .taskType) ?? -1
        let since = configuration.since?.nanosecondsSinceEpoch ?? Int64.min
        let until = configuration.until?.nanosecondsSinceEpoch ?? Int64.max
        let F = fieldCount
        let emitting = configuration.attributedOutputPath != nil
        let outcomes = SharedBuffer<RecordOutcome>(repeating: RecordOutcome(), count: table.count)
        let inWindow = SharedBuffer<Bool>(repeating: false, count: table.count)
        let emitted = SharedBuffer<Int32>(repeating: 0, count: emitting ? table.count * required : 0)
        var perWorker = [ClassTotals](repeating: ClassTotals(required: required), count: workers)
        let engine = self
        perWorker.withUnsafeMutableBufferPointer { perWorker in
            inParallel(workers) { worker in
                var totals = ClassTotals(required: required)
                var values = InlineArray<10, Int32>(repeating: 0)
                for index in share(worker, of: workers, count: table.count) where engine.alive[index] {
                    let row = table[index]
                    guard row.when >= since, row.when < until else { continue }
                    inWindow[index] = true
                    totals.records += 1
                    var dollars: Int128 = 0
                    if !row.isUnit {
                        switch row.pricing {
                        case .priced:
                            dollars = table.cost(index, row)
                            let (cached, wrapped) = totals.cachedAtInputPrice.addingReportingOverflow(
                                table.tokens(index, row)
                            )
                            totals.cachedAtInputPrice = cached
                            if wrapped { totals.overflow = true }
                        case .fromRecord:
                            dollars = table.cost(index, row)
                            totals.pricedFromRecord += 1
                        case .unpriced:
                            totals.unpricedRecords += 1
                            let (unpriced, wrapped) = totals.unpricedTokens.addingReportingOverflow(
                                table.tokens(index, row)
                            )
                            totals.unpricedTokens = unpriced
                            if wrapped { totals.overflow = true }
                        }
                        totals.recordedDollars &+= dollars
                        if let sum = AuditSums.adding(magnitudeOf: dollars, to: totals.magnitude) {
                            totals.magnitude = sum
                        } else {
                            totals.overflow = true
                        }
                    }
                    let own = table.values(index)
                    for f in 0..<F { values[f] = own[f] }
                    var ownComplete = true
                    for f in 0..<required where values[f] == 0 { ownComplete = false }
                    var classIndex: Int
                    var end = LineageEnd.complete
                    if row.leaf != 0 {
                        let unit = Int(engine.unitOfRow[index])
                        let best = engine.unitBest[unit]
                        if best >= 0 {
                            var equal = ownComplete
                            var disagrees = false
                            let unitValues = table.values(Int(best))
                            for f in 0..<required {
                                let u = unitValues[f]
                                if values[f] != u {
                                    equal = false
                                    if values[f] != 0 { disagrees = true }
                                }
                                values[f] = u
                            }
                            classIndex = equal ? 0 : 1
                            if disagrees {
                                totals.retryConflicts += 1
                                totals.retryConflictDollars &+= dollars
                            }
                        } else {
                            let number = Int(engine.unitIncomplete[unit])
                            for f in 0..<required where values[f] == 0 {
                                values[f] = engine.unitResolved[number * required + f]
                            }
                            end = engine.unitEnd[number]
                            classIndex = 1
                        }
                    } else {
                        classIndex = 0
                    }
                    var complete = true
                    for f in 0..<required where values[f] == 0 { complete = false }
                    var reasonIndex = 0
                    if !complete {
                        // Rules: the first whose match fields all equal the record's resolved values.
                        for rule in rules where engine.matches(rule, values: values, row: row) {
                            for (slot, value) in rule.set where values[slot] == 0 { values[slot] = value }
                            break
                        }
                        complete = true
                        for f in 0..<required where values[f] == 0 { complete = false }
                        if complete {
                            classIndex = 2
                        } else if row.apiKey != 0, let owner = keyOwners[row.apiKey] {
                            classIndex = 3
                            if teamSlot >= 0, values[teamSlot] == 0 { values[teamSlot] = owner.team }
                            if projectSlot >= 0, values[projectSlot] == 0 { values[projectSlot] = owner.project }
                        } else {
                            classIndex = 4
                            if row.leaf == 0 {
                                reasonIndex = 0
                            } else if end == .brokenLink || end == .cycle {
                                reasonIndex = 1
                            } else {
                                reasonIndex = 2
                            }
                        }
                    }
                    outcomes[index] = RecordOutcome(classIndex: UInt8(classIndex), reasonIndex: UInt8(reasonIndex))
                    // What the emitted record carries: filled where its class allows.
                    if emitting {
                        for f in 0..<required {
                            let value: Int32
                            switch classIndex {
                            case 0, 1, 2: value = values[f]
                            case 3: value = (f == teamSlot || f == projectSlot) ? values[f] : own[f]
                            default: value = own[f]
                            }
                            emitted[index * required + f] = value
                        }
                    }
                    totals.classDollars[classIndex] &+= dollars
                    if classIndex == 4, dollars != 0 {
                        totals.reasonDollars[reasonIndex] &+= dollars
                        if reasonIndex == 2 {
                            for f in 0..<required where values[f] == 0 { totals.missingFieldDollars[f] &+= dollars }
                        }
                        if agentSlot >= 0, values[agentSlot] != 0 {
                            totals.topSources[0].add(values[agentSlot], dollars)
                        }
                        let model = table.model(row)
                        if model != 0 { totals.topSources[1].add(model, dollars) }
                        if row.apiKey != 0 { totals.topSources[2].add(row.apiKey, dollars) }
                        if taskSlot >= 0, values[taskSlot] != 0 {
                            totals.topSources[3].add(values[taskSlot], dollars)
                        }
                        for f in 0..<required where values[f] == 0 { totals.missingTop[f] &+= dollars }
                    }
                }
                perWorker[worker] = totals
            }
        }
        for part in perWorker { totals.add(part) }
        self.outcomes = outcomes
        self.inWindow = inWindow
        self.emitted = emitted
    }

    /// What passed its bound and the file of the record at which it did, adding in row order (after
    /// ``classify()`` found that something did): recorded spend past ``AuditSums/maxTotal``, or a count of
    /// tokens past `Int64.max`.
    func overflow() -> (what: String, file: String) {
        var sum: Int128 = 0
        var unpriced: Int64 = 0
        var cached: Int64 = 0
        for index in 0..<table.count where alive[index] && inWindow[index] {
            let row = table[index]
            guard !row.isUnit else { continue }
            let file = fileNames[Int(row.file)]
            if row.pricing == .unpriced {
                let (next, wrapped) = unpriced.addingReportingOverflow(table.tokens(index, row))
                if wrapped { return ("the count of unpriced tokens", file) }
                unpriced = next
                continue
            }
            if row.pricing == .priced {
                let (next, wrapped) = cached.addingReportingOverflow(table.tokens(index, row))
                if wrapped { return ("the count of cached tokens priced at the input price", file) }
                cached = next
            }
            guard let next = AuditSums.adding(magnitudeOf: table.cost(index, row), to: sum) else {
                return ("the sum of recorded spend", file)
            }
            sum = next
        }
        return ("the sum of recorded spend", fileNames.last ?? "ledger")
    }

    func matches(_ rule: CompiledRule, values: InlineArray<10, Int32>, row: RecordRow) -> Bool {
        for (slot, value) in rule.match {
            let actual: Int32
            switch slot {
            case -1: actual = table.provider(row)
            case -2: actual = table.model(row)
            case -3: actual = row.apiKey
            case 0...: actual = values[slot]
            default: return false
            }
            if value < 0 || actual != value { return false }
        }
        return true
    }
}

/// A map from nonzero 64-bit keys to `Int32` values (leaf id → unit number, (provider, model) → model key, ...):
/// open addressing, keys mixed by a multiply. Faster than a `Dictionary` both for the hundreds of thousands of
/// units of a large ledger and for the small maps asked once per record.
struct WordMap {
    private var keys: [UInt64]
    private var values: [Int32]
    private var used = 0

    /// A map sized for `expected` leaves at a load of at most 0.7 (any size, not a power of two: a slot is
    /// the high half of hash × capacity), so a large ledger's map is not twice what it holds.
    init(expected: Int = 0) {
        self.init(capacity: max(1024, expected * 10 / 7 + 1))
    }

    /// An empty map of `capacity` slots (0: a placeholder that grows on its first insert).
    init(capacity: Int) {
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Int32](repeating: 0, count: capacity)
    }

    /// The same entries in a map sized for what it holds.
    func compacted() -> WordMap {
        var map = WordMap(capacity: max(16, used * 10 / 7 + 1))
        for i in keys.indices where keys[i] != 0 { _ = map.insert(keys[i], next: values[i]) }
        return map
    }

    /// Replaces every value `v` with `transform(v)`.
    mutating func remapValues(_ transform: (Int32) -> Int32) {
        for i in keys.indices where keys[i] != 0 { values[i] = transform(values[i]) }
    }

    @inline(__always)
    private static func slot(_ leaf: UInt64, capacity: Int) -> Int {
        Int(truncatingIfNeeded: (leaf &* 0x9E37_79B9_7F4A_7C15).multipliedFullWidth(by: UInt64(capacity)).high)
    }

    /// The value of `leaf`, inserting `next` when it has none. Key 0 is never stored (not a valid leaf id).
    mutating func insert(_ leaf: UInt64, next: Int32) -> Int32 {
        if (used + 1) * 10 > keys.count * 7 { grow() }
        let capacity = keys.count
        var i = Self.slot(leaf, capacity: capacity)
        while true {
            if keys[i] == leaf { return values[i] }
            if keys[i] == 0 {
                keys[i] = leaf
                values[i] = next
                used += 1
                return next
            }
            i += 1
            if i == capacity { i = 0 }
        }
    }

    func find(_ leaf: UInt64) -> Int32? {
        guard leaf != 0, !keys.isEmpty else { return nil }
        let capacity = keys.count
        var i = Self.slot(leaf, capacity: capacity)
        while true {
            if keys[i] == leaf { return values[i] }
            if keys[i] == 0 { return nil }
            i += 1
            if i == capacity { i = 0 }
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let capacity = max(16, oldKeys.count * 2)
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Int32](repeating: 0, count: capacity)
        for (index, leaf) in oldKeys.enumerated() where leaf != 0 {
            var i = Self.slot(leaf, capacity: capacity)
            while keys[i] != 0 {
                i += 1
                if i == capacity { i = 0 }
            }
            keys[i] = leaf
            values[i] = oldValues[index]
        }
    }
}

/// An append-only list in chunks of 64 Ki elements: growing never copies what is stored, so a list's memory
/// stays what it holds plus at most one chunk.
struct ChunkedList<Element> {
    private var chunks: [[Element]] = []
    private static var chunkSize: Int { 1 << 16 }

    @inline(__always)
    mutating func append(_ element: Element) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
    }

    func forEachElement(_ body: (Element) -> Void) {
        for chunk in chunks {
            for element in chunk { body(element) }
        }
    }
}

/// Exact sums by interned id (the top sources of unknown spend), indexed by a ``WordMap``: added to for every
/// unknown record, where `Dictionary`'s hashing cost more than the sum.
struct SumMap {
    private var index = WordMap()
    private var keys: [Int32] = []
    private var sums: [Int128] = []

    mutating func add(_ key: Int32, _ amount: Int128) {
        // The high bit keeps the map's key nonzero whatever the id.
        let next = Int32(truncatingIfNeeded: keys.count)
        let found = Int(index.insert(1 << 32 | UInt64(UInt32(bitPattern: key)), next: next))
        if found == keys.count {
            keys.append(key)
            sums.append(amount)
        } else {
            sums[found] &+= amount
        }
    }

    /// The ids and their sums, in the order first added.
    var entries: [(key: Int32, value: Int128)] { (0..<keys.count).map { (keys[$0], sums[$0]) } }
}
