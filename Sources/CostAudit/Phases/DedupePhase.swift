/// Deduplication by `record_id` (docs/audit.md, "What the audit does, in order", step 2): per record id, the
/// copy that counts is the first by (`ts`, file path bytewise, line); every other copy counts in `duplicates`,
/// and a copy whose line differs in any byte from the kept one also in `record_id_conflicts`.
///
/// A table of millions of record ids is probed at random, a cache miss a row. So each worker first buckets its
/// share of the rows by the top bits of the id's hash (a sequential pass), then the workers take the
/// partitions, each a table small enough to stay in cache. Every row is in exactly one partition, so the
/// workers write disjoint rows; the result is that of one pass in row order.
enum DedupePhase {
    struct Input {
        var store: RecordStore
        /// File names by the index rows carry (the tie-break between copies is their bytewise order).
        var fileNames: [String]
        /// Where the rows came from, to read two copies' lines again and compare their bytes.
        var ledger: AuditLedgerSource
        /// Where each file is read again (a pipe's copy for a pipe), by the same index.
        var readPaths: [String]
        var workers: Int
    }

    struct Output {
        /// Per row: whether it is the copy of its record id that counts.
        var alive: [Bool]
        var duplicates: Int
        var recordIDConflicts: Int
    }

    /// Partitions: the top eight bits of the hash.
    static let partitionBits = 8

    static func run(_ input: Input) -> Output {
        let workers = max(1, input.workers)
        let buckets = bucketIDs(input.store, workers: workers)
        let kept = keepFirstCopies(
            input.store,
            buckets: buckets,
            fileRank: bytewiseRanks(input.fileNames),
            workers: workers
        )
        let conflicts = countConflicts(
            kept.dropped,
            store: input.store,
            ledger: input.ledger,
            readPaths: input.readPaths,
            workers: workers
        )
        return Output(alive: kept.alive.array, duplicates: kept.duplicates, recordIDConflicts: conflicts)
    }

    /// Each file's rank in bytewise order of the names (the tie-break between copies of a record).
    static func bytewiseRanks(_ names: [String]) -> [Int] {
        let order = names.indices.sorted { Array(names[$0].utf8).lexicographicallyPrecedes(Array(names[$1].utf8)) }
        var rank = [Int](repeating: 0, count: names.count)
        for (position, index) in order.enumerated() { rank[index] = position }
        return rank
    }

    /// Per worker, per partition: its rows' entries, each the record id's 32-bit hash (high half) and the row
    /// (low half), in row order.
    private static func bucketIDs(_ store: RecordStore, workers: Int) -> SharedBuffer<[[UInt64]]> {
        let partitions = 1 << partitionBits
        let shift = UInt64(64 - partitionBits)
        let buckets = SharedBuffer<[[UInt64]]>(repeating: [], count: workers)
        inParallel(workers) { worker in
            let rows = share(worker, of: workers, count: store.count)
            let expected = rows.count / partitions + rows.count / (4 * partitions) + 16
            var ids = [[UInt64]](repeating: [], count: partitions)
            for p in 0..<partitions { ids[p].reserveCapacity(expected) }
            for index in rows {
                let hash = UInt64(store.idHash(index, store[index]))
                ids[Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift)].append(
                    hash << 32 | UInt64(UInt32(truncatingIfNeeded: index))
                )
            }
            buckets[worker] = ids
        }
        return buckets
    }

    /// What keeping the first copies gives: which rows count, how many copies did not, and each dropped copy
    /// beside the kept one (in no particular order: each is compared with its kept copy).
    private struct KeptCopies {
        var alive: SharedBuffer<Bool>
        var duplicates: Int
        var dropped: [(kept: Int, other: Int)]
    }

    private static func keepFirstCopies(
        _ store: RecordStore,
        buckets: SharedBuffer<[[UInt64]]>,
        fileRank: [Int],
        workers: Int
    ) -> KeptCopies {
        let alive = SharedBuffer<Bool>(repeating: false, count: store.count)
        let duplicates = SharedBuffer<Int>(repeating: 0, count: workers)
        let dropped = SharedBuffer<[(kept: Int, other: Int)]>(repeating: [], count: workers)
        inParallel(workers) { worker in
            var slots = IDSlots(store: store, fileRank: fileRank, alive: alive)
            for p in share(worker, of: workers, count: 1 << partitionBits) {
                slots.keepFirst(partition: p, buckets: buckets, workers: workers)
            }
            duplicates[worker] = slots.duplicates
            dropped[worker] = slots.dropped
        }
        return KeptCopies(
            alive: alive,
            duplicates: duplicates.array.reduce(0, +),
            dropped: dropped.array.flatMap { $0 }
        )
    }

    /// Copies with different bytes are record id conflicts: both lines read again, on every worker.
    private static func countConflicts(
        _ dropped: [(kept: Int, other: Int)],
        store: RecordStore,
        ledger: AuditLedgerSource,
        readPaths: [String],
        workers: Int
    ) -> Int {
        let conflicts = SharedBuffer<Int>(repeating: 0, count: workers)
        inParallel(workers) { worker in
            var lines = LineBytes(source: ledger, readPaths: readPaths)
            for (kept, other) in dropped[share(worker, of: workers, count: dropped.count)]
            where !lines.same(store[kept], store[other]) {
                conflicts[worker] += 1
            }
            lines.closeFiles()
        }
        return conflicts.array.reduce(0, +)
    }
}

/// One worker's table of the record ids of one partition at a time: open addressing, at most 0.7 full; a used
/// slot holds the id's hash (high half) and the row + 1 of the copy kept so far.
private struct IDSlots {
    let store: RecordStore
    let fileRank: [Int]
    let alive: SharedBuffer<Bool>
    private var slots: [UInt64] = []
    private var capacity = 0
    private(set) var duplicates = 0
    private(set) var dropped: [(kept: Int, other: Int)] = []

    init(store: RecordStore, fileRank: [Int], alive: SharedBuffer<Bool>) {
        self.store = store
        self.fileRank = fileRank
        self.alive = alive
    }

    /// Keeps the first copy of each record id in partition `p` (every worker's bucket of it, in row order).
    mutating func keepFirst(partition p: Int, buckets: SharedBuffer<[[UInt64]]>, workers: Int) {
        var n = 0
        for w in 0..<workers { n += buckets[w][p].count }
        reset(capacity: max(16, n * 10 / 7 + 1))
        // Per slot holding a duplicated id: its dropped copies (the kept one is known only at the end).
        var droppedBySlot: [Int: [Int]] = [:]
        for w in 0..<workers {
            for entry in buckets[w][p] {
                if let found = insert(entry) { droppedBySlot[found.slot, default: []].append(found.dropped) }
            }
        }
        for (slot, rows) in droppedBySlot {
            let kept = Int(slots[slot] & 0xFFFF_FFFF) - 1
            for other in rows { dropped.append((kept, other)) }
        }
    }

    private mutating func reset(capacity: Int) {
        self.capacity = capacity
        if slots.count < capacity {
            slots = [UInt64](repeating: 0, count: capacity)
        } else {
            for s in 0..<capacity { slots[s] = 0 }
        }
    }

    /// Files the row of `entry`; when its id is already filed, keeps the earlier copy and returns the slot and
    /// the copy dropped.
    private mutating func insert(_ entry: UInt64) -> (slot: Int, dropped: Int)? {
        let index = Int(entry & 0xFFFF_FFFF)
        let tag = entry & 0xFFFF_FFFF_0000_0000
        // Another multiplier than the partition's, whose top bits all entries here share.
        var slot = Int(
            truncatingIfNeeded: ((entry >> 32) &* 0xFF51_AFD7_ED55_8CCD).multipliedFullWidth(by: UInt64(capacity)).high
        )
        while true {
            let occupied = slots[slot]
            if occupied == 0 {
                slots[slot] = tag | UInt64(index + 1)
                alive[index] = true
                return nil
            }
            let occupant = Int(occupied & 0xFFFF_FFFF) - 1
            if occupied & 0xFFFF_FFFF_0000_0000 == tag, store.sameID(occupant, index) {
                duplicates += 1
                guard earlier(store[index], store[occupant]) else { return (slot, index) }
                slots[slot] = tag | UInt64(index + 1)
                alive[occupant] = false
                alive[index] = true
                return (slot, occupant)
            }
            slot += 1
            if slot == capacity { slot = 0 }
        }
    }

    /// Whether copy `a` counts before copy `b`: by ts, then file path bytewise, then line.
    private func earlier(_ a: RecordRow, _ b: RecordRow) -> Bool {
        if a.ts != b.ts { return a.ts < b.ts }
        let fa = fileRank[Int(a.file)]
        let fb = fileRank[Int(b.file)]
        if fa != fb { return fa < fb }
        return a.position < b.position
    }
}
