/// Deduplication and unit numbering by hash partitions.
///
/// A table of millions of record ids or leaf ids is probed at random, a cache miss a row. Here each worker first
/// buckets its share of the rows by the top bits of a hash (a sequential pass), then the workers take the
/// partitions, each a table small enough to stay in cache. Every row is in exactly one partition of each kind,
/// so the workers write disjoint rows; the results are those of one pass in row order.
extension AuditEngine {
    /// Partitions of each kind: the top eight bits of the hash.
    static let partitionBits = 8

    /// What deduplication and unit numbering give the later phases.
    struct DedupedUnits {
        /// Per row: whether it is the copy of its record id that counts.
        var alive: [Bool]
        var duplicates: Int
        /// Per dropped copy: (the kept row, the dropped row), to tell duplicates from record id conflicts.
        var dropped: [(kept: Int, other: Int)]
        /// Per row with a leaf id: its unit (dropped copies included; a unit seen only on them is left with no
        /// rows and counts as absent); -1 for rows without one.
        var unitOfRow: [Int32]
        var unitCount: Int
        /// Per unit: its deduplicated rows.
        var unitRows: [Int32]
        /// Every leaf id's unit, for the lineage walks' parent and root lookups.
        var leafUnits: LeafUnits
    }

    /// Leaf id → unit number, one map per leaf partition (those the numbering built), so that a lookup
    /// probes one small map and many run at once.
    struct LeafUnits {
        var maps: [WordMap]

        /// The unit of `leaf` (any of its rows, dropped copies included); nil for 0 or a leaf not in the ledger.
        @inline(__always)
        func unit(of leaf: UInt64) -> Int32? {
            guard !maps.isEmpty else { return nil }
            return maps[AuditEngine.leafPartition(leaf)].find(leaf)
        }
    }

    /// The partition of a leaf id. Not the multiplier of `WordMap`'s slots, so a partition's leaves spread over
    /// its map.
    @inline(__always)
    static func leafPartition(_ leaf: UInt64) -> Int {
        Int(truncatingIfNeeded: (leaf &* 0xC2B2_AE3D_27D4_EB4F) >> UInt64(64 - partitionBits))
    }

    /// Keeps, per record id, the first copy by (ts, file path bytewise, line) and counts the others; numbers
    /// the units (every distinct leaf id) in the order of their first rows.
    static func dedupeAndNumberUnits(_ table: RecordStore, fileNames: [String], workers: Int) -> DedupedUnits {
        let count = table.count
        let partitions = 1 << partitionBits
        let shift = UInt64(64 - partitionBits)
        let fileRank = bytewiseRanks(fileNames)

        // Bucketing: worker w's rows (an ascending range), into its own buckets. An id entry is the record id's
        // 32-bit hash (high half) and the row (low half); a leaf entry is the leaf and, beside it, the row.
        var idBuckets = [[[UInt64]]](repeating: [], count: workers)
        var leafBuckets = [[[UInt64]]](repeating: [], count: workers)
        var leafRows = [[[Int32]]](repeating: [], count: workers)
        idBuckets.withUnsafeMutableBufferPointer { idBuckets in
            leafBuckets.withUnsafeMutableBufferPointer { leafBuckets in
                leafRows.withUnsafeMutableBufferPointer { leafRows in
                    inParallel(workers) { worker in
                        let rows = share(worker, of: workers, count: count)
                        let expected = rows.count / partitions + rows.count / (4 * partitions) + 16
                        var ids = [[UInt64]](repeating: [], count: partitions)
                        var leaves = [[UInt64]](repeating: [], count: partitions)
                        var leafRowsOfWorker = [[Int32]](repeating: [], count: partitions)
                        for p in 0..<partitions {
                            ids[p].reserveCapacity(expected)
                            leaves[p].reserveCapacity(expected)
                            leafRowsOfWorker[p].reserveCapacity(expected)
                        }
                        for index in rows {
                            let row = table[index]
                            let hash = UInt64(table.idHash(index, row))
                            ids[Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift)].append(
                                hash << 32 | UInt64(UInt32(truncatingIfNeeded: index))
                            )
                            guard row.leaf != 0 else { continue }
                            let p = leafPartition(row.leaf)
                            leaves[p].append(row.leaf)
                            leafRowsOfWorker[p].append(Int32(truncatingIfNeeded: index))
                        }
                        idBuckets[worker] = ids
                        leafBuckets[worker] = leaves
                        leafRows[worker] = leafRowsOfWorker
                    }
                }
            }
        }

        let alive = SharedBuffer<Bool>(repeating: false, count: count)
        let unitOfRow = SharedBuffer<Int32>(repeating: -1, count: count)
        let unitsInPartition = SharedBuffer<Int32>(repeating: 0, count: partitions)
        let leafMaps = SharedBuffer<WordMap>(repeating: WordMap(capacity: 0), count: partitions)
        var duplicates = [Int](repeating: 0, count: workers)
        var dropped = [[(kept: Int, other: Int)]](repeating: [], count: workers)
        func earlier(_ ra: RecordRow, _ rb: RecordRow) -> Bool {
            if ra.ts != rb.ts { return ra.ts < rb.ts }
            let fa = fileRank[Int(ra.file)]
            let fb = fileRank[Int(rb.file)]
            if fa != fb { return fa < fb }
            return ra.position < rb.position
        }
        duplicates.withUnsafeMutableBufferPointer { duplicates in
            dropped.withUnsafeMutableBufferPointer { dropped in
                inParallel(workers) { worker in
                    var slots: [UInt64] = []
                    var myDuplicates = 0
                    var myDropped: [(kept: Int, other: Int)] = []
                    for p in share(worker, of: workers, count: partitions) {
                        // Record ids: at most 0.7 full; a used slot holds the hash and the row + 1.
                        var n = 0
                        for w in 0..<workers { n += idBuckets[w][p].count }
                        let capacity = max(16, n * 10 / 7 + 1)
                        if slots.count < capacity {
                            slots = [UInt64](repeating: 0, count: capacity)
                        } else {
                            for s in 0..<capacity { slots[s] = 0 }
                        }
                        var droppedBySlot: [Int: [Int]] = [:]
                        for w in 0..<workers {
                            for entry in idBuckets[w][p] {
                                let index = Int(entry & 0xFFFF_FFFF)
                                let tag = entry & 0xFFFF_FFFF_0000_0000
                                // Another multiplier than the partition's, whose top bits all entries here share.
                                var slot = Int(
                                    truncatingIfNeeded: ((entry >> 32) &* 0xFF51_AFD7_ED55_8CCD)
                                        .multipliedFullWidth(by: UInt64(capacity)).high
                                )
                                while true {
                                    let occupied = slots[slot]
                                    if occupied == 0 {
                                        slots[slot] = tag | UInt64(index + 1)
                                        alive[index] = true
                                        break
                                    }
                                    let occupant = Int(occupied & 0xFFFF_FFFF) - 1
                                    if occupied & 0xFFFF_FFFF_0000_0000 == tag, table.sameID(occupant, index) {
                                        myDuplicates += 1
                                        if earlier(table[index], table[occupant]) {
                                            slots[slot] = tag | UInt64(index + 1)
                                            alive[occupant] = false
                                            alive[index] = true
                                            droppedBySlot[slot, default: []].append(occupant)
                                        } else {
                                            droppedBySlot[slot, default: []].append(index)
                                        }
                                        break
                                    }
                                    slot += 1
                                    if slot == capacity { slot = 0 }
                                }
                            }
                        }
                        for (slot, rows) in droppedBySlot {
                            let kept = Int(slots[slot] & 0xFFFF_FFFF) - 1
                            for other in rows { myDropped.append((kept, other)) }
                        }
                        // Leaves: numbered from 0 within the partition, in row order.
                        var leafCount = 0
                        for w in 0..<workers { leafCount += leafBuckets[w][p].count }
                        var units = WordMap(expected: leafCount)
                        var next: Int32 = 0
                        for w in 0..<workers {
                            let leaves = leafBuckets[w][p]
                            let rows = leafRows[w][p]
                            for k in leaves.indices {
                                let unit = units.insert(leaves[k], next: next)
                                if unit == next { next += 1 }
                                unitOfRow[Int(rows[k])] = unit
                            }
                        }
                        unitsInPartition[p] = next
                        // Kept for the lineage walks, shrunk to what it holds (it was sized for every row).
                        leafMaps[p] = units.compacted()
                    }
                    duplicates[worker] = myDuplicates
                    dropped[worker] = myDropped
                }
            }
        }
        idBuckets = []

        // Units renumbered in the order their first rows come (as one pass in row order numbers them), so that
        // units next to each other have their rows near each other, for the phases that walk units in order.
        var total: Int32 = 0
        var firstSeen = [Int32](repeating: -1, count: Int((0..<partitions).reduce(0) { $0 + unitsInPartition[$1] }))
        let unitBase = SharedBuffer<Int32>(repeating: 0, count: partitions)
        for p in 0..<partitions {
            unitBase[p] = total
            total += unitsInPartition[p]
        }
        inParallel(workers) { worker in
            for p in share(worker, of: workers, count: partitions) where unitBase[p] != 0 {
                for w in 0..<workers {
                    for row in leafRows[w][p] { unitOfRow[Int(row)] += unitBase[p] }
                }
            }
        }
        leafBuckets = []
        leafRows = []
        var next: Int32 = 0
        // Counted on the way: each unit's deduplicated rows.
        var unitRows = [Int32](repeating: 0, count: Int(total))
        for index in 0..<count {
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
        // The leaf maps name the units by these numbers too.
        inParallel(workers) { worker in
            for p in share(worker, of: workers, count: partitions) {
                let base = Int(unitBase[p])
                leafMaps[p].remapValues { firstSeen[base + Int($0)] }
            }
        }
        // The order of the dropped copies does not matter: each is compared with its kept copy.
        return DedupedUnits(
            alive: alive.array,
            duplicates: duplicates.reduce(0, +),
            dropped: dropped.flatMap { $0 },
            unitOfRow: unitOfRow.array,
            unitCount: Int(total),
            unitRows: unitRows,
            leafUnits: LeafUnits(maps: leafMaps.array)
        )
    }
}
