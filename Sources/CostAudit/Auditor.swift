import Attribution
import CostLedger

/// Runs the audit of SPEC section 6: streams the ledger, deduplicates, prices, resolves lineage, classifies
/// every dollar, reconciles against the providers' usage exports, and reports.
///
/// ```swift
/// let report = try Auditor.run(configuration) { progress in
///     print("\(progress.phase): \(progress.records) records")
/// }
/// print(report.render(.table))
/// ```
public enum Auditor {
    /// Lineage walks stop after this many hops (SPEC section 6).
    public static let maxLineageHops = 64

    /// Runs one audit.
    ///
    /// - Parameters:
    ///   - configuration: what to read and how to price it.
    ///   - progress: called now and then with what the audit is doing, on the calling thread.
    /// - Returns: the report, with exact amounts.
    /// - Throws: ``CostAuditError``: ``CostAuditError/Code/invalidUsageExport`` for an unreadable export,
    ///   ``CostAuditError/Code/io`` for a ledger path that cannot be read or an output that cannot be written,
    ///   ``CostAuditError/Code/invalidConfiguration`` for a contradictory configuration. A ledger's bad lines
    ///   are counted in the report, never thrown.
    public static func run(
        _ configuration: AuditConfiguration,
        progress: ((AuditProgress) -> Void)? = nil
    ) throws(CostAuditError) -> AuditReport {
        var required: [AttributionField] = []
        for field in configuration.required where !required.contains(field) { required.append(field) }
        guard !required.isEmpty else {
            throw CostAuditError(.invalidConfiguration, field: "required", reason: "at least one field is required")
        }
        if let since = configuration.since, let until = configuration.until, since >= until {
            throw CostAuditError(
                .invalidConfiguration,
                field: "until",
                reason: "the window is empty: until (\(until)) is not after since (\(since))"
            )
        }
        var fields = required
        var extras: [AttributionField] = [.agent, .taskType]
        for rule in configuration.rules.rules {
            extras.append(contentsOf: rule.match.keys.compactMap(\.attributionField))
            extras.append(contentsOf: rule.set.keys)
        }
        extras.append(contentsOf: [.team, .project])
        for field in extras where !fields.contains(field) { fields.append(field) }

        var exports = UsageExports()
        for source in configuration.usage { try exports.read(source) }

        let ledger = try LedgerIngest.read(
            configuration.ledger,
            fields: fields,
            configuration: configuration,
            progress: progress
        )
        let recordCount = ledger.store.count
        let bytes = ledger.store.ledgerBytes
        progress?(AuditProgress(phase: .classifying, records: recordCount, bytes: bytes))
        var engine = AuditEngine(
            table: ledger.store,
            fileNames: ledger.fileNames,
            required: required.count,
            configuration: configuration
        )
        engine.classify()
        progress?(AuditProgress(phase: .reconciling, records: recordCount, bytes: bytes))
        let report = engine.reconcileAndReport(exports: exports, requiredFields: required)
        if let path = configuration.attributedOutputPath {
            progress?(AuditProgress(phase: .writing, records: recordCount, bytes: bytes))
            try AttributedWriter.write(
                engine: engine,
                ledger: configuration.ledger,
                fileRows: ledger.fileRows,
                fields: fields,
                to: path
            )
        }
        return report
    }
}

/// The per-record outcome of classification.
struct RecordOutcome {
    /// Index into ``AttributionClass/all``; 255 for records not classified (duplicates, outside the window).
    var classIndex: UInt8 = 255
    /// Index into ``UnknownReason/all`` for unknown records.
    var reasonIndex: UInt8 = 0
}

/// Lineage resolution state of a unit.
enum LineageEnd: UInt8 {
    /// Complete, or the walk reached a root with fields still missing.
    case complete = 0
    case reachedRoot = 1
    /// The walk ended at an id not in the ledger.
    case brokenLink = 2
    /// The walk met a unit twice or ran out of hops.
    case cycle = 3
}

/// Dedupe, units, lineage, classification and reconciliation over a ``LedgerTable``.
struct AuditEngine {
    var table: RecordStore
    let fileNames: [String]
    let required: Int
    let configuration: AuditConfiguration
    var fieldCount: Int { table.fieldCount }

    // Dedupe.
    var alive: [Bool] = []
    var duplicates = 0
    var recordIDConflicts = 0
    // Window.
    var inWindow: [Bool] = []
    // Units.
    var unitOfRow: [Int32] = []
    var unitIndex = LeafMap()
    var unitBest: [Int32] = []
    var unitResolved: [Int32] = []
    var unitEnd: [LineageEnd] = []
    var lineageCycles = 0
    // Classification.
    var outcomes: [RecordOutcome] = []
    /// Per record: the values to write for emission (required fields), row-major, `required` per row.
    var emitted: [Int32] = []
    var classDollars = [Int128](repeating: 0, count: AttributionClass.all.count)
    var reasonDollars = [Int128](repeating: 0, count: UnknownReason.all.count)
    var missingFieldDollars: [Int128] = []
    var retryConflicts = 0
    var retryConflictDollars: Int128 = 0
    var records = 0
    var unpricedRecords = 0
    var unpricedTokens: Int64 = 0
    var pricedFromRecord = 0
    var cachedAtInputPrice: Int64 = 0
    var recordedDollars: Int128 = 0
    /// Unknown dollars per dimension value: agent, model, api key, task type (interned ids).
    var topSources: [[Int32: Int128]] = [[:], [:], [:], [:]]

    init(table: RecordStore, fileNames: [String], required: Int, configuration: AuditConfiguration) {
        self.table = table
        self.fileNames = fileNames
        self.required = required
        self.configuration = configuration
        missingFieldDollars = [Int128](repeating: 0, count: required)
    }

    // MARK: - Deduplication

    /// Keeps, per record id, the first copy by (ts, file path bytewise, line); counts the others. An open-
    /// addressing table of row indices, keyed by the record id's bytes in the arena: exact, and 4 bytes a slot.
    mutating func deduplicate() {
        let count = table.count
        let fileRank = Self.bytewiseRanks(fileNames)
        alive = [Bool](repeating: false, count: count)
        var bits = 4
        while 1 << bits < count * 2 { bits += 1 }
        let mask = (1 << bits) - 1
        // Each used slot: the record id's hash in the high half, the row index + 1 in the low half (0 = empty),
        // so a probe passes a different id without loading its row.
        var slots = [UInt64](repeating: 0, count: 1 << bits)
        // Per slot with duplicates: the rows not kept, compared with the kept one's bytes at the end.
        var dropped: [Int: [Int]] = [:]
        func earlier(_ ra: RecordRow, _ rb: RecordRow) -> Bool {
            if ra.ts != rb.ts { return ra.ts < rb.ts }
            let fa = fileRank[Int(ra.file)]
            let fb = fileRank[Int(rb.file)]
            if fa != fb { return fa < fb }
            return ra.line < rb.line
        }
        for index in 0..<count {
            let row = table[index]
            let idHash = table.idHash(index)
            var slot = Int(truncatingIfNeeded: (UInt64(idHash) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
            let tag = UInt64(idHash) << 32
            while true {
                let entry = slots[slot]
                if entry == 0 {
                    slots[slot] = tag | UInt64(index + 1)
                    alive[index] = true
                    break
                }
                let occupant = Int(entry & 0xFFFF_FFFF) - 1
                if entry & 0xFFFF_FFFF_0000_0000 == tag, table.sameID(occupant, index) {
                    let other = table[occupant]
                    duplicates += 1
                    if earlier(row, other) {
                        slots[slot] = tag | UInt64(index + 1)
                        alive[occupant] = false
                        alive[index] = true
                        dropped[slot, default: []].append(occupant)
                    } else {
                        dropped[slot, default: []].append(index)
                    }
                    break
                }
                slot = (slot + 1) & mask
            }
        }
        var lines = LineBytes(source: configuration.ledger, fileNames: fileNames)
        defer { lines.closeFiles() }
        for (slot, rows) in dropped {
            let kept = Int(slots[slot] & 0xFFFF_FFFF) - 1
            for other in rows where !lines.same(table[kept], table[other]) { recordIDConflicts += 1 }
        }
    }

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

    /// Builds units: each unit's attribution `U` (earliest complete record) or partial attribution, its parent
    /// and root, then resolves every unit through its ancestors.
    mutating func buildUnits() {
        unitOfRow = [Int32](repeating: -1, count: table.count)
        // 1. Number the units and count their rows.
        var rowsPerUnit: [Int32] = []
        for index in 0..<table.count where alive[index] {
            let leaf = table[index].leaf
            guard leaf != 0 else { continue }
            let unit = unitIndex.insert(leaf, next: Int32(truncatingIfNeeded: rowsPerUnit.count))
            if Int(unit) == rowsPerUnit.count { rowsPerUnit.append(0) }
            rowsPerUnit[Int(unit)] += 1
            unitOfRow[index] = unit
        }
        let unitCount = rowsPerUnit.count
        // 2. Group the rows by unit (a counting sort), then order each small group.
        var groupStart = [Int](repeating: 0, count: unitCount + 1)
        for unit in 0..<unitCount { groupStart[unit + 1] = groupStart[unit] + Int(rowsPerUnit[unit]) }
        var fill = groupStart
        var grouped = [Int32](repeating: 0, count: groupStart[unitCount])
        for index in 0..<table.count where unitOfRow[index] >= 0 {
            let unit = Int(unitOfRow[index])
            grouped[fill[unit]] = Int32(truncatingIfNeeded: index)
            fill[unit] += 1
        }
        fill = []
        unitBest = [Int32](repeating: -1, count: unitCount)
        var partialBest = [Int32](repeating: -1, count: unitCount * required)
        var parentBest = [Int32](repeating: -1, count: unitCount)
        var rootBest = [Int32](repeating: -1, count: unitCount)
        for unit in 0..<unitCount {
            let range = groupStart[unit]..<groupStart[unit + 1]
            if range.count > 16 {
                let engine = self
                grouped[range].sort { engine.unitOrderLess(Int($0), Int($1)) }
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
            var missing = required
            for position in range {
                let index = Int(grouped[position])
                let row = table[index]
                var complete = true
                for f in 0..<required {
                    if table.value(index, f) == 0 {
                        complete = false
                    } else if partialBest[unit * required + f] < 0 {
                        partialBest[unit * required + f] = Int32(truncatingIfNeeded: index)
                        missing -= 1
                    }
                }
                if complete, unitBest[unit] < 0 { unitBest[unit] = Int32(truncatingIfNeeded: index) }
                if row.parent != 0, parentBest[unit] < 0 { parentBest[unit] = Int32(truncatingIfNeeded: index) }
                if row.root != 0, rootBest[unit] < 0 { rootBest[unit] = Int32(truncatingIfNeeded: index) }
                if unitBest[unit] >= 0, missing == 0, parentBest[unit] >= 0, rootBest[unit] >= 0 { break }
            }
        }
        grouped = []
        // Each unit's own attribution: U when it has one, else its partial values.
        var own = [Int32](repeating: 0, count: unitCount * required)
        for unit in 0..<unitCount {
            for f in 0..<required {
                let source = unitBest[unit] >= 0 ? unitBest[unit] : partialBest[unit * required + f]
                if source >= 0 { own[unit * required + f] = table.value(Int(source), f) }
            }
        }
        let parentOf = parentBest.map { $0 >= 0 ? table[Int($0)].parent : 0 }
        let rootOf = rootBest.map { $0 >= 0 ? table[Int($0)].root : 0 }
        unitResolved = own
        unitEnd = [LineageEnd](repeating: .complete, count: unitCount)
        var visited: [Int32] = []
        for unit in 0..<unitCount {
            let base = unit * required
            var missing = 0
            for f in 0..<required where own[base + f] == 0 { missing += 1 }
            if missing == 0 { continue }
            visited.removeAll(keepingCapacity: true)
            visited.append(Int32(unit))
            var current = unit
            var hops = 0
            var usedRoot = false
            var end = LineageEnd.reachedRoot
            while missing > 0 {
                let parentLeaf = parentOf[current]
                if parentLeaf == 0 {
                    end = .reachedRoot
                    break
                }
                var next = unitIndex.find(parentLeaf)
                if next == nil {
                    // The parent is not in the ledger: once per walk, continue from the trace's root.
                    let rootLeaf = rootOf[current] != 0 ? rootOf[current] : rootOf[unit]
                    if !usedRoot, rootLeaf != 0, rootLeaf != parentLeaf, let root = unitIndex.find(rootLeaf),
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
                    lineageCycles += 1
                    break
                }
                hops += 1
                visited.append(step)
                let stepBase = Int(step) * required
                for f in 0..<required where unitResolved[base + f] == 0 && own[stepBase + f] != 0 {
                    unitResolved[base + f] = own[stepBase + f]
                    missing -= 1
                }
                current = Int(step)
            }
            unitEnd[unit] = missing == 0 ? .complete : end
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

    /// Dedupes, builds units and classifies every deduplicated record in the window.
    mutating func classify() {
        deduplicate()
        buildUnits()
        let rules = compileRules()
        var keyOwners: [Int32: (team: Int32, project: Int32)] = [:]
        for (key, owner) in configuration.keyMap.owners {
            guard let id = table.strings.existingID(key) else { continue }
            keyOwners[id] = (table.strings.id(owner.team), table.strings.id(owner.project))
        }
        let teamSlot = table.fields.firstIndex(of: .team) ?? -1
        let projectSlot = table.fields.firstIndex(of: .project) ?? -1
        let agentSlot = table.fields.firstIndex(of: .agent) ?? -1
        let taskSlot = table.fields.firstIndex(of: .taskType) ?? -1
        let since = configuration.since?.nanosecondsSinceEpoch ?? Int64.min
        let until = configuration.until?.nanosecondsSinceEpoch ?? Int64.max
        let F = fieldCount
        outcomes = [RecordOutcome](repeating: RecordOutcome(), count: table.count)
        inWindow = [Bool](repeating: false, count: table.count)
        let emitting = configuration.attributedOutputPath != nil
        if emitting { emitted = [Int32](repeating: 0, count: table.count * required) }
        var values = [Int32](repeating: 0, count: F)
        for index in 0..<table.count where alive[index] {
            let row = table[index]
            guard row.when >= since, row.when < until else { continue }
            inWindow[index] = true
            records += 1
            var dollars: Int128 = 0
            if !row.isUnit {
                switch row.pricing {
                case .priced:
                    dollars = row.cost
                    cachedAtInputPrice &+= row.tokens
                case .fromRecord:
                    dollars = row.cost
                    pricedFromRecord += 1
                case .unpriced:
                    unpricedRecords += 1
                    unpricedTokens &+= row.tokens
                }
                recordedDollars &+= dollars
            }
            for f in 0..<F { values[f] = table.value(index, f) }
            var ownComplete = true
            for f in 0..<required where values[f] == 0 { ownComplete = false }
            var classIndex: Int
            var end = LineageEnd.complete
            if row.leaf != 0 {
                let unit = Int(unitOfRow[index])
                let best = unitBest[unit]
                if best >= 0 {
                    var equal = ownComplete
                    var disagrees = false
                    for f in 0..<required {
                        let u = table.value(Int(best), f)
                        if values[f] != u {
                            equal = false
                            if values[f] != 0 { disagrees = true }
                        }
                        values[f] = u
                    }
                    classIndex = equal ? 0 : 1
                    if disagrees {
                        retryConflicts += 1
                        retryConflictDollars &+= dollars
                    }
                } else {
                    for f in 0..<required where values[f] == 0 { values[f] = unitResolved[unit * required + f] }
                    end = unitEnd[unit]
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
                for rule in rules where matches(rule, values: values, row: row) {
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
            for f in 0..<required where emitting {
                let own = table.value(index, f)
                switch classIndex {
                case 0, 1, 2: emitted[index * required + f] = values[f]
                case 3:
                    let slot = f
                    emitted[index * required + f] = (slot == teamSlot || slot == projectSlot) ? values[f] : own
                default: emitted[index * required + f] = own
                }
            }
            classDollars[classIndex] &+= dollars
            if classIndex == 4, dollars != 0 {
                reasonDollars[reasonIndex] &+= dollars
                if reasonIndex == 2 {
                    for f in 0..<required where values[f] == 0 { missingFieldDollars[f] &+= dollars }
                }
                if agentSlot >= 0, values[agentSlot] != 0 { topSources[0][values[agentSlot], default: 0] &+= dollars }
                let model = table.model(row)
                if model != 0 { topSources[1][model, default: 0] &+= dollars }
                if row.apiKey != 0 { topSources[2][row.apiKey, default: 0] &+= dollars }
                if taskSlot >= 0, values[taskSlot] != 0 { topSources[3][values[taskSlot], default: 0] &+= dollars }
                for f in 0..<required where values[f] == 0 { missingTop[f, default: 0] &+= dollars }
            }
        }
    }

    /// Unknown dollars lacking each required field, over every unknown record (for the top sources).
    var missingTop: [Int: Int128] = [:]

    func matches(_ rule: CompiledRule, values: [Int32], row: RecordRow) -> Bool {
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

/// Leaf id → unit number: open addressing over a power-of-two table, ids mixed by a multiply (leaf ids are
/// random already). Faster than a `Dictionary` for the hundreds of thousands of units of a large ledger.
struct LeafMap {
    private var keys = [UInt64](repeating: 0, count: 1024)
    private var values = [Int32](repeating: 0, count: 1024)
    private var used = 0

    @inline(__always)
    private func slot(_ leaf: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (leaf &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The unit of `leaf`, inserting `next` when it has none. Leaf 0 is never stored (not a valid id).
    mutating func insert(_ leaf: UInt64, next: Int32) -> Int32 {
        if (used + 1) * 2 > keys.count { grow() }
        let mask = keys.count - 1
        var i = slot(leaf, mask: mask)
        while true {
            if keys[i] == leaf { return values[i] }
            if keys[i] == 0 {
                keys[i] = leaf
                values[i] = next
                used += 1
                return next
            }
            i = (i + 1) & mask
        }
    }

    func find(_ leaf: UInt64) -> Int32? {
        guard leaf != 0 else { return nil }
        let mask = keys.count - 1
        var i = slot(leaf, mask: mask)
        while true {
            if keys[i] == leaf { return values[i] }
            if keys[i] == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [Int32](repeating: 0, count: oldKeys.count * 2)
        let mask = keys.count - 1
        for (index, leaf) in oldKeys.enumerated() where leaf != 0 {
            var i = slot(leaf, mask: mask)
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = leaf
            values[i] = oldValues[index]
        }
    }
}
