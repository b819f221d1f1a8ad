/// Units (docs/audit.md, "Units and lineage"): every record with the same `leaf_id` is one unit. Per unit,
/// its attribution `U` (its earliest complete record, by attempt, ts, `unit` before `call`, record id) or, for
/// a unit with none, its partial values (each field from its earliest record that has it), its parent and its
/// root: what the lineage walks need.
///
/// Leaf ids are numbered by hash partitions, as deduplication files record ids (see ``DedupePhase``), then
/// renumbered in the order of their first rows, so that units next to each other have their rows near each
/// other.
enum UnitsPhase {
    struct Input {
        var store: RecordStore
        /// Per row: whether it is the copy of its record id that counts (``DedupePhase``).
        var alive: [Bool]
        /// The required fields: the first `required` tracked values of a row.
        var required: Int
        var workers: Int
    }

    struct Output {
        /// Per row with a leaf id: its unit (dropped copies included); -1 for rows without one.
        var unitOfRow: [Int32]
        var unitCount: Int
        /// Per unit: its earliest complete row (`U`), or -1.
        var best: SharedBuffer<Int32>
        /// Per unit without `U`: its number among those units (which alone need lineage); -1 for a unit with `U`.
        var incomplete: SharedBuffer<Int32>
        var incompleteCount: Int
        /// Per unit without `U`, by that number: its partial values, `required` a unit (0 where it has none).
        var partial: SharedBuffer<Int32>
        /// Per unit without `U`, by that number: the parent and root leaf ids it names (0 for none).
        var parentLeaf: SharedBuffer<UInt64>
        var rootLeaf: SharedBuffer<UInt64>
        /// Per unit without `U`, by that number: the units of its parent and root, -1 when not in the ledger (no
        /// deduplicated record carries that leaf id).
        var parentUnit: SharedBuffer<Int32>
        var rootUnit: SharedBuffer<Int32>
    }

    /// Partitions of leaf ids: the top eight bits of the hash.
    static let partitionBits = 8

    static func run(_ input: Input) -> Output {
        let workers = max(1, input.workers)
        let numbering = number(input.store, alive: input.alive, workers: workers)
        let groups = group(numbering, alive: input.alive)
        let units = summarize(groups, store: input.store, required: input.required, workers: workers)
        let parentUnit = unitsWithRows(units.parentLeaf, numbering.leafUnits, groups, workers: workers)
        let rootUnit = unitsWithRows(units.rootLeaf, numbering.leafUnits, groups, workers: workers)
        return Output(
            unitOfRow: numbering.unitOfRow,
            unitCount: numbering.unitCount,
            best: units.best,
            incomplete: units.incomplete,
            incompleteCount: units.incompleteCount,
            partial: units.partial,
            parentLeaf: units.parentLeaf,
            rootLeaf: units.rootLeaf,
            parentUnit: parentUnit,
            rootUnit: rootUnit
        )
    }

    /// Whether row `a` comes before row `b` within a unit: attempt, ts, `unit` before `call`, record id.
    static func orderLess(_ store: RecordStore, _ a: Int, _ b: Int) -> Bool {
        let ra = store[a]
        let rb = store[b]
        if ra.attempt != rb.attempt { return ra.attempt < rb.attempt }
        if ra.ts != rb.ts { return ra.ts < rb.ts }
        if ra.isUnit != rb.isUnit { return ra.isUnit }
        return store.recordIDLess(a, b)
    }

    // MARK: - Numbering

    /// Leaf id → unit number, one map per leaf partition, so that a lookup probes one small map.
    struct LeafUnits {
        var maps: [WordMap]

        /// The unit of `leaf` (any of its rows, dropped copies included); nil for 0 or a leaf not in the ledger.
        func unit(of leaf: UInt64) -> Int32? {
            guard !maps.isEmpty else { return nil }
            return maps[UnitsPhase.leafPartition(leaf)].find(leaf)
        }
    }

    /// The partition of a leaf id. Not the multiplier of `WordMap`'s slots, so a partition's leaves spread over
    /// its map.
    static func leafPartition(_ leaf: UInt64) -> Int {
        Int(truncatingIfNeeded: (leaf &* 0xC2B2_AE3D_27D4_EB4F) >> UInt64(64 - partitionBits))
    }

    private struct Numbering {
        var unitOfRow: [Int32]
        var unitCount: Int
        /// Per unit: its deduplicated rows.
        var unitRows: [Int32]
        var leafUnits: LeafUnits
    }

    /// Per worker, per partition: the leaf ids of its rows that have one, and beside them the rows.
    private struct LeafBuckets {
        var leaves: SharedBuffer<[[UInt64]]>
        var rows: SharedBuffer<[[Int32]]>
    }

    /// Numbers the units (every distinct leaf id, dropped copies included) in the order of their first rows.
    private static func number(_ store: RecordStore, alive: [Bool], workers: Int) -> Numbering {
        let partitions = 1 << partitionBits
        let buckets = bucketLeaves(store, workers: workers)
        let unitOfRow = SharedBuffer<Int32>(repeating: -1, count: store.count)
        let unitsInPartition = SharedBuffer<Int32>(repeating: 0, count: partitions)
        let leafMaps = SharedBuffer<WordMap>(repeating: WordMap(capacity: 0), count: partitions)
        // Leaves numbered from 0 within their partition, in row order.
        inParallel(workers) { worker in
            for p in share(worker, of: workers, count: partitions) {
                var leafCount = 0
                for w in 0..<workers { leafCount += buckets.leaves[w][p].count }
                var units = WordMap(expected: leafCount)
                var next: Int32 = 0
                for w in 0..<workers {
                    let leaves = buckets.leaves[w][p]
                    let rows = buckets.rows[w][p]
                    for k in leaves.indices {
                        let unit = units.insert(leaves[k], next: next)
                        if unit == next { next += 1 }
                        unitOfRow[Int(rows[k])] = unit
                    }
                }
                unitsInPartition[p] = next
                // Kept for the lineage walks' lookups, shrunk to what it holds (it was sized for every row).
                leafMaps[p] = units.compacted()
            }
        }
        // One numbering over all partitions: each partition's units after the previous partition's.
        var total: Int32 = 0
        let unitBase = SharedBuffer<Int32>(repeating: 0, count: partitions)
        for p in 0..<partitions {
            unitBase[p] = total
            total += unitsInPartition[p]
        }
        inParallel(workers) { worker in
            for p in share(worker, of: workers, count: partitions) where unitBase[p] != 0 {
                for w in 0..<workers {
                    for row in buckets.rows[w][p] { unitOfRow[Int(row)] += unitBase[p] }
                }
            }
        }
        let (firstSeen, unitRows) = renumberByFirstRow(unitOfRow, alive: alive, unitCount: Int(total))
        // The leaf maps name the units by these numbers too.
        inParallel(workers) { worker in
            for p in share(worker, of: workers, count: partitions) {
                let base = Int(unitBase[p])
                leafMaps.update(p) { $0.remapValues { firstSeen[base + Int($0)] } }
            }
        }
        return Numbering(
            unitOfRow: unitOfRow.array,
            unitCount: Int(total),
            unitRows: unitRows,
            leafUnits: LeafUnits(maps: leafMaps.array)
        )
    }

    private static func bucketLeaves(_ store: RecordStore, workers: Int) -> LeafBuckets {
        let partitions = 1 << partitionBits
        let buckets = LeafBuckets(
            leaves: SharedBuffer(repeating: [], count: workers),
            rows: SharedBuffer(repeating: [], count: workers)
        )
        inParallel(workers) { worker in
            let rows = share(worker, of: workers, count: store.count)
            let expected = rows.count / partitions + rows.count / (4 * partitions) + 16
            var leaves = [[UInt64]](repeating: [], count: partitions)
            var leafRows = [[Int32]](repeating: [], count: partitions)
            for p in 0..<partitions {
                leaves[p].reserveCapacity(expected)
                leafRows[p].reserveCapacity(expected)
            }
            for index in rows {
                let leaf = store[index].leaf
                guard leaf != 0 else { continue }
                let p = leafPartition(leaf)
                leaves[p].append(leaf)
                leafRows[p].append(Int32(truncatingIfNeeded: index))
            }
            buckets.leaves[worker] = leaves
            buckets.rows[worker] = leafRows
        }
        return buckets
    }

    /// Renumbers the units in the order their first rows come (as one pass in row order would number them);
    /// returns the new number of each old one, and each unit's deduplicated rows.
    private static func renumberByFirstRow(
        _ unitOfRow: SharedBuffer<Int32>,
        alive: [Bool],
        unitCount: Int
    ) -> (firstSeen: [Int32], unitRows: [Int32]) {
        var firstSeen = [Int32](repeating: -1, count: unitCount)
        var unitRows = [Int32](repeating: 0, count: unitCount)
        var next: Int32 = 0
        for index in 0..<unitOfRow.count {
            let unit = unitOfRow[index]
            guard unit >= 0 else { continue }
            var number = firstSeen[Int(unit)]
            if number < 0 {
                number = next
                firstSeen[Int(unit)] = number
                next += 1
            }
            unitOfRow[index] = number
            if alive[index] { unitRows[Int(number)] += 1 }
        }
        return (firstSeen, unitRows)
    }

    // MARK: - Grouping

    /// The deduplicated rows grouped by unit: unit u's rows are `rows[start(u)..<end[u]]`.
    private struct Groups {
        var rows: SharedBuffer<Int32>
        var end: [Int32]

        func range(of unit: Int) -> Range<Int> {
            Int(unit == 0 ? 0 : end[unit - 1])..<Int(end[unit])
        }

        /// Whether `unit` has deduplicated rows (a unit seen only on dropped copies has none: absent).
        func hasRows(_ unit: Int) -> Bool {
            !range(of: unit).isEmpty
        }
    }

    /// A counting sort of the deduplicated rows by unit, on the counts the numbering made.
    private static func group(_ numbering: Numbering, alive: [Bool]) -> Groups {
        var end = numbering.unitRows
        var total: Int32 = 0
        for unit in 0..<numbering.unitCount {
            let rows = end[unit]
            end[unit] = total
            total += rows
        }
        let rows = SharedBuffer<Int32>(repeating: 0, count: Int(total))
        for index in numbering.unitOfRow.indices where alive[index] && numbering.unitOfRow[index] >= 0 {
            let unit = Int(numbering.unitOfRow[index])
            rows[Int(end[unit])] = Int32(truncatingIfNeeded: index)
            end[unit] += 1
        }
        return Groups(rows: rows, end: end)
    }

    // MARK: - Attribution of each unit

    /// What one unit's rows, in order, tell: its earliest complete row, else the earliest row with each
    /// required field, and the first parent and root named.
    private struct UnitScan {
        var best: Int32 = -1
        var partialRow = InlineArray<10, Int32>(repeating: -1)
        var parent: UInt64 = 0
        var root: UInt64 = 0
    }

    /// One worker's units without `U`, in unit order, with their partial values and links.
    private struct IncompleteUnits {
        var units = ChunkedList<Int32>()
        var values = ChunkedList<Int32>()
        /// Parent then root, per unit.
        var links = ChunkedList<UInt64>()
    }

    /// What ``summarize(_:store:required:workers:)`` finds.
    private struct Summaries {
        var best: SharedBuffer<Int32>
        var incomplete: SharedBuffer<Int32>
        var incompleteCount: Int
        var partial: SharedBuffer<Int32>
        var parentLeaf: SharedBuffer<UInt64>
        var rootLeaf: SharedBuffer<UInt64>
    }

    /// Per unit, in parallel over unit ranges: orders its rows and finds `U`. Each worker lists, in order, its
    /// units without `U` (only their lineage walks need partial values, parent and root: a walk that reaches a
    /// unit with `U` is complete there); the lists are then gathered in unit order.
    private static func summarize(_ groups: Groups, store: RecordStore, required: Int, workers: Int) -> Summaries {
        let unitCount = groups.end.count
        let best = SharedBuffer<Int32>(repeating: -1, count: unitCount)
        let perWorker = SharedBuffer<IncompleteUnits>(repeating: IncompleteUnits(), count: workers)
        inParallel(workers) { worker in
            var found = IncompleteUnits()
            for unit in share(worker, of: workers, count: unitCount) {
                let range = groups.range(of: unit)
                sortRows(groups.rows, range, store: store)
                let scan = scan(groups.rows, range, store: store, required: required)
                guard scan.best < 0 else {
                    best[unit] = scan.best
                    continue
                }
                found.units.append(Int32(truncatingIfNeeded: unit))
                for f in 0..<required {
                    found.values.append(scan.partialRow[f] >= 0 ? store.value(Int(scan.partialRow[f]), f) : 0)
                }
                found.links.append(scan.parent)
                found.links.append(scan.root)
            }
            perWorker[worker] = found
        }
        return gather(perWorker, best: best, required: required, workers: workers)
    }

    /// Orders one unit's rows by ``orderLess(_:_:_:)``.
    private static func sortRows(_ rows: SharedBuffer<Int32>, _ range: Range<Int>, store: RecordStore) {
        if range.count > 16 {
            rows.sort(range) { orderLess(store, Int($0), Int($1)) }
            return
        }
        // Insertion sort: units are usually a handful of rows.
        for i in range.dropFirst() {
            let moving = rows[i]
            var j = i
            while j > range.lowerBound, orderLess(store, Int(moving), Int(rows[j - 1])) {
                rows[j] = rows[j - 1]
                j -= 1
            }
            rows[j] = moving
        }
    }

    /// Reads one unit's rows in order, up to its first complete one.
    private static func scan(
        _ rows: SharedBuffer<Int32>,
        _ range: Range<Int>,
        store: RecordStore,
        required: Int
    ) -> UnitScan {
        var scan = UnitScan()
        for position in range {
            let index = Int(rows[position])
            let values = store.values(index)
            var complete = true
            for f in 0..<required {
                if values[f] == 0 {
                    complete = false
                } else if scan.partialRow[f] < 0 {
                    scan.partialRow[f] = Int32(truncatingIfNeeded: index)
                }
            }
            if complete {
                scan.best = Int32(truncatingIfNeeded: index)
                return scan
            }
            let row = store[index]
            if scan.parent == 0 { scan.parent = row.parent }
            if scan.root == 0 { scan.root = row.root }
        }
        return scan
    }

    /// Numbers the units without `U` in unit order (the workers' ranges are in order) and gathers their
    /// values and links into one buffer each, every worker's list freed as soon as it is copied.
    private static func gather(
        _ perWorker: SharedBuffer<IncompleteUnits>,
        best: SharedBuffer<Int32>,
        required: Int,
        workers: Int
    ) -> Summaries {
        let incomplete = SharedBuffer<Int32>(repeating: -1, count: best.count)
        var count = 0
        for worker in 0..<workers {
            perWorker[worker].units.forEachElement { unit in
                incomplete[Int(unit)] = Int32(truncatingIfNeeded: count)
                count += 1
            }
            perWorker[worker].units = ChunkedList()
        }
        let partial = SharedBuffer<Int32>(repeating: 0, count: count * required)
        var at = 0
        for worker in 0..<workers {
            perWorker[worker].values.forEachElement { value in
                partial[at] = value
                at += 1
            }
            perWorker[worker].values = ChunkedList()
        }
        let parentLeaf = SharedBuffer<UInt64>(repeating: 0, count: count)
        let rootLeaf = SharedBuffer<UInt64>(repeating: 0, count: count)
        at = 0
        for worker in 0..<workers {
            var isParent = true
            perWorker[worker].links.forEachElement { leaf in
                if isParent {
                    parentLeaf[at] = leaf
                } else {
                    rootLeaf[at] = leaf
                    at += 1
                }
                isParent.toggle()
            }
            perWorker[worker].links = ChunkedList()
        }
        return Summaries(
            best: best,
            incomplete: incomplete,
            incompleteCount: count,
            partial: partial,
            parentLeaf: parentLeaf,
            rootLeaf: rootLeaf
        )
    }

    /// The unit of each leaf id, looked up in the numbering's leaf maps in parallel; -1 for 0, for a leaf not
    /// in the ledger and for a unit seen only on dropped copies (it has no rows and counts as absent).
    private static func unitsWithRows(
        _ leaves: SharedBuffer<UInt64>,
        _ leafUnits: LeafUnits,
        _ groups: Groups,
        workers: Int
    ) -> SharedBuffer<Int32> {
        let units = SharedBuffer<Int32>(repeating: -1, count: leaves.count)
        inParallel(workers) { worker in
            for number in share(worker, of: workers, count: leaves.count) {
                let leaf = leaves[number]
                guard leaf != 0, let unit = leafUnits.unit(of: leaf), groups.hasRows(Int(unit)) else { continue }
                units[number] = unit
            }
        }
        return units
    }
}
