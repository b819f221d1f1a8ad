import Attribution
import CostLedger

/// Reconciliation with the bill (docs/audit.md, "Reconciliation with the bill"): the usage exports priced per
/// cell (UTC day, provider, model after name matching, API key), the ledger's recorded spend netted against
/// them cell by cell, keyless records last; what the bill holds beyond the ledger is unrecorded spend, what the
/// ledger holds beyond the bill is over-recorded. Also the capture rate's figures and the bill's total.
enum ReconcilePhase {
    struct Input {
        var exports: UsageExports
        var store: RecordStore
        /// Per row: whether it is a deduplicated record in the window (``ClassifyPhase``).
        var inWindow: SharedBuffer<Bool>
        var keyMap: AuditKeyMap
        var pricing: any AuditPricing
        /// The window in nanoseconds: `since` inclusive, `until` exclusive.
        var since: Int64
        var until: Int64
        var workers: Int
    }

    /// Unrecorded spend: the positive gaps left once every record is netted.
    struct UnrecordedSpend {
        /// On keys the key map assigns.
        var keyAllocated: Int128 = 0
        /// On other keys or none (`unknown`, reason `unrecorded`).
        var unknown: Int128 = 0
        /// The unknown part by model and by API key (interned ids), for the top sources.
        var byModel = SumMap()
        var byKey = SumMap()
        /// Every positive gap, with whether the key map assigns its key: what the reports show as spend no
        /// record carries.
        var cells: [(cell: ReconcileCell, amount: Int128, keyAllocated: Bool)] = []
    }

    struct Output {
        /// Whether any usage bucket or row fell in the window.
        var sawUsage: Bool
        var pricedUsage: Int128
        var unpricedUsageTokens: Int64
        /// Recorded spend not netted against usage: on days or providers the usage does not cover, or priced from
        /// a record's stored cost.
        var notReconciled: Int128
        var capture: CaptureFigures
        var overRecorded: Int128
        var unrecorded: UnrecordedSpend
        /// The cost exports' total and its difference from the priced usage, per provider; nil without cost rows.
        var billed: Int128?
        var pricingDifference: Int128?
        /// The store's strings with the exports' providers, models and keys added.
        var strings: Interner
    }

    static func run(_ input: Input) -> Output {
        var strings = input.store.strings
        var usage = priceUsage(input, strings: &strings)
        let recorded = recordedSpend(input, coverage: usage.coverage)
        for (cell, sides) in recorded.rateCells { usage.rateCells[cell, default: RateCellSides()].add(sides) }
        let capture = captureFigures(
            cells: usage.rateCells,
            recordedOutside: recorded.outsideUsage,
            unpriced: usage.unpriced,
            strings: strings
        )
        var (overRecorded, remaining) = gaps(usage: usage.cells, recorded: recorded.cells)
        overRecorded &+= netKeyless(recorded.pools, against: &remaining, strings: strings)
        let unrecorded = unrecordedSpend(remaining, keyMap: input.keyMap, strings: strings)
        let bill = bill(input, pricedByProvider: usage.pricedByProvider, strings: &strings)
        return Output(
            sawUsage: usage.sawUsage,
            pricedUsage: usage.priced,
            unpricedUsageTokens: usage.unpricedTokens,
            notReconciled: recorded.notReconciled,
            capture: capture,
            overRecorded: overRecorded,
            unrecorded: unrecorded,
            billed: bill?.billed,
            pricingDifference: bill?.difference,
            strings: strings
        )
    }

    static func day(_ nanoseconds: Int64) -> Int64 {
        UTCTimestamp(nanosecondsSinceEpoch: nanoseconds).utcDay
    }

    /// A UTC day and a provider id packed into one word (the day's low 32 bits: exact for every day a timestamp
    /// can name).
    static func dayProvider(_ day: Int64, _ provider: Int32) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: day)) << 32 | UInt64(UInt32(bitPattern: provider))
    }

    // MARK: - The usage side

    /// The usage in the window, priced per cell.
    private struct UsageSide {
        var cells: [ReconcileCell: Int128] = [:]
        /// (day, provider) pairs the usage covers, and those of them with a keyed row (key 0, model 0).
        var covered: Set<ReconcileCell> = []
        var keyed: Set<ReconcileCell> = []
        var priced: Int128 = 0
        var pricedByProvider: [Int32: Int128] = [:]
        var unpricedTokens: Int64 = 0
        var unpriced = UnpricedUsage()
        /// Both sides per (day, provider, model), for the capture rate.
        var rateCells: [ReconcileCell: RateCellSides] = [:]
        var sawUsage = false

        /// Per (day, provider): 1 when usage covers it, 3 when keyed usage does; looked up on the packed pair
        /// (the days of 64-bit nanosecond timestamps, 1677–2262, fit 32 bits) without `Hasher`.
        var coverage: WordMap {
            var coverage = WordMap()
            for cell in keyed { _ = coverage.insert(ReconcilePhase.dayProvider(cell.day, cell.provider), next: 3) }
            for cell in covered { _ = coverage.insert(ReconcilePhase.dayProvider(cell.day, cell.provider), next: 1) }
            return coverage
        }

        /// Adds one usage row: priced into its cell, or counted as unpriced and why.
        mutating func add(_ row: UsageRow, pricing: any AuditPricing, strings: inout Interner) {
            let provider = strings.id(row.provider)
            let day = ReconcilePhase.day(row.start)
            let providerDay = ReconcileCell(day: day, provider: provider, model: 0, key: 0)
            covered.insert(providerDay)
            if row.apiKey != nil { keyed.insert(providerDay) }
            let tokens = row.usage.input &+ row.usage.output
            let canonical = row.model.flatMap { pricing.canonicalModel(provider: row.provider, model: $0) }
            guard let model = row.model, let canonical,
                let quote = pricing.auditQuote(
                    provider: row.provider,
                    model: model,
                    serviceTier: row.serviceTier,
                    usage: row.usage,
                    on: UTCTimestamp(nanosecondsSinceEpoch: row.start)
                )
            else {
                addUnpriced(row, day: day, provider: provider, canonical: canonical, tokens: tokens, strings: &strings)
                return
            }
            let cell = ReconcileCell(
                day: day,
                provider: provider,
                model: strings.id(canonical),
                key: row.apiKey.map { strings.id($0) } ?? 0
            )
            let cost = quote.cost.attodollars
            cells[cell, default: 0] &+= cost
            let rateCell = ReconcileCell(day: day, provider: provider, model: cell.model, key: 0)
            rateCells[rateCell, default: RateCellSides()].usagePricedRows += 1
            rateCells[rateCell, default: RateCellSides()].usagePricedTokens &+= tokens
            rateCells[rateCell, default: RateCellSides()].usagePricedDollars &+= cost
            priced &+= cost
            pricedByProvider[provider, default: 0] &+= cost
        }

        private mutating func addUnpriced(
            _ row: UsageRow,
            day: Int64,
            provider: Int32,
            canonical: String?,
            tokens: Int64,
            strings: inout Interner
        ) {
            unpricedTokens &+= tokens
            unpriced.rows += 1
            unpriced.tokens &+= tokens
            guard let model = row.model else {
                unpriced.modelless[row.provider, default: ([], 0)].days.insert(day)
                unpriced.modelless[row.provider, default: ([], 0)].tokens &+= tokens
                return
            }
            if canonical == nil {
                unpriced.unknownModels.insert("\(row.provider)/\(model)")
            } else {
                unpriced.unpricedTiers.insert("\(row.provider)/\(model)")
            }
            let rateCell = ReconcileCell(day: day, provider: provider, model: strings.id(canonical ?? model), key: 0)
            rateCells[rateCell, default: RateCellSides()].usageUnpricedRows += 1
            rateCells[rateCell, default: RateCellSides()].usageUnpricedTokens &+= tokens
        }
    }

    private static func priceUsage(_ input: Input, strings: inout Interner) -> UsageSide {
        var usage = UsageSide()
        for bucket in input.exports.usageBuckets where bucket.start >= input.since && bucket.start < input.until {
            usage.sawUsage = true
            let provider = strings.id(bucket.provider)
            usage.covered.insert(ReconcileCell(day: day(bucket.start), provider: provider, model: 0, key: 0))
        }
        for row in input.exports.usageRows where row.start >= input.since && row.start < input.until {
            usage.sawUsage = true
            usage.add(row, pricing: input.pricing, strings: &strings)
        }
        return usage
    }

    // MARK: - The ledger side

    /// Recorded spend per cell, merged over the workers.
    private struct RecordedSide {
        var cells: [ReconcileCell: Int128] = [:]
        /// Records without a key, or on a (day, provider) whose usage has no keys: per (day, provider, model).
        var pools: [ReconcileCell: Int128] = [:]
        var notReconciled: Int128 = 0
        var outsideUsage: Int128 = 0
        /// The ledger's side of the capture rate's cells.
        var rateCells: [ReconcileCell: RateCellSides] = [:]
    }

    /// Recorded spend per cell, in parallel over row ranges, each worker summing into its own cell map.
    private static func recordedSpend(_ input: Input, coverage: WordMap) -> RecordedSide {
        let workers = max(1, input.workers)
        let partials = SharedBuffer<CellSums>(repeating: CellSums(), count: workers)
        inParallel(workers) { worker in
            var sums = RecordedSums(store: input.store, coverage: coverage)
            for index in share(worker, of: workers, count: input.store.count) where input.inWindow[index] {
                sums.add(index)
            }
            partials[worker] = sums.sums
        }
        var recorded = RecordedSide()
        for worker in 0..<workers {
            let sums = partials[worker]
            recorded.notReconciled &+= sums.notReconciled
            recorded.outsideUsage &+= sums.outsideUsage
            for (cell, side) in sums.unpricedSides {
                recorded.rateCells[cell, default: RateCellSides()].ledger.add(side)
            }
            sums.forEachCell { cell, amount, pooled in
                if pooled {
                    recorded.pools[cell, default: 0] &+= amount
                } else {
                    recorded.cells[cell, default: 0] &+= amount
                }
                let rateCell = ReconcileCell(day: cell.day, provider: cell.provider, model: cell.model, key: 0)
                recorded.rateCells[rateCell, default: RateCellSides()].ledgerPricedDollars &+= amount
            }
        }
        return recorded
    }

    /// One worker's sums of recorded spend, remembering whether the previous row's (day, provider) is covered.
    private struct RecordedSums {
        let store: RecordStore
        let coverage: WordMap
        var sums = CellSums()
        private var lastDay = Int64.min
        private var lastProvider: Int32 = -1
        private var lastCovered = false
        private var lastKeyed = false

        init(store: RecordStore, coverage: WordMap) {
            self.store = store
            self.coverage = coverage
        }

        mutating func add(_ index: Int) {
            let row = store[index]
            guard !row.isUnit else { return }
            let day = ReconcilePhase.day(row.when)
            let provider = store.provider(row)
            if day != lastDay || provider != lastProvider {
                lastDay = day
                lastProvider = provider
                let found = coverage.find(ReconcilePhase.dayProvider(day, provider)) ?? 0
                lastCovered = found != 0
                lastKeyed = found == 3
            }
            guard lastCovered else {
                if row.pricing != .unpriced {
                    let cost = store.cost(index, row)
                    sums.notReconciled &+= cost
                    sums.outsideUsage &+= cost
                }
                return
            }
            guard row.pricing == .priced else {
                addUnpriced(index, row, day: day, provider: provider)
                return
            }
            let key = lastKeyed ? row.apiKey : 0
            let cell = ReconcileCell(day: day, provider: provider, model: store.canonicalModel(row), key: key)
            sums.add(cell, store.cost(index, row), pooled: key == 0)
        }

        /// A record the table cannot price, on a covered day: the capture rate leaves its cell out.
        private mutating func addUnpriced(_ index: Int, _ row: RecordRow, day: Int64, provider: Int32) {
            let cell = ReconcileCell(day: day, provider: provider, model: store.canonicalModel(row), key: 0)
            var side = LedgerRateSide()
            if row.pricing == .fromRecord {
                let cost = store.cost(index, row)
                sums.notReconciled &+= cost
                side.fromRecordDollars = cost
                side.fromRecordTokens = store.tokens(index, row)
                side.fromRecordRecords = 1
            } else {
                side.unpricedTokens = store.tokens(index, row)
                side.unpricedRecords = 1
            }
            sums.unpricedSides[cell, default: LedgerRateSide()].add(side)
        }
    }

    // MARK: - Netting

    /// The gap of every cell: the over-recorded excess (never netted across cells), and the positive gaps.
    static func gaps(
        usage: [ReconcileCell: Int128],
        recorded: [ReconcileCell: Int128]
    ) -> (overRecorded: Int128, remaining: [ReconcileCell: Int128]) {
        var overRecorded: Int128 = 0
        var remaining: [ReconcileCell: Int128] = [:]
        var allCells = Set(usage.keys)
        allCells.formUnion(recorded.keys)
        for cell in allCells {
            let gap = (usage[cell] ?? 0) &- (recorded[cell] ?? 0)
            if gap < 0 {
                overRecorded &+= 0 &- gap
            } else if gap > 0 {
                remaining[cell] = gap
            }
        }
        return (overRecorded, remaining)
    }

    /// Nets the keyless records, last, against the remaining positive gaps of their (day, provider, model),
    /// the cells taken in bytewise order of their key (the keyless cell first); returns what they exceed.
    static func netKeyless(
        _ pools: [ReconcileCell: Int128],
        against remaining: inout [ReconcileCell: Int128],
        strings: Interner
    ) -> Int128 {
        var overRecorded: Int128 = 0
        var gapsByGroup: [ReconcileCell: [ReconcileCell]] = [:]
        for cell in remaining.keys {
            gapsByGroup[ReconcileCell(day: cell.day, provider: cell.provider, model: cell.model, key: 0), default: []]
                .append(cell)
        }
        for (group, pooled) in pools {
            var left = pooled
            let cells = (gapsByGroup[group] ?? []).sorted {
                Array(strings[$0.key].utf8).lexicographicallyPrecedes(Array(strings[$1.key].utf8))
            }
            for cell in cells where left > 0 {
                let gap = remaining[cell] ?? 0
                let take = min(gap, left)
                remaining[cell] = gap - take
                left -= take
            }
            if left > 0 { overRecorded &+= left }
        }
        return overRecorded
    }

    /// What remains is unrecorded spend: `key_allocated` on a key the key map assigns, else unknown.
    static func unrecordedSpend(
        _ remaining: [ReconcileCell: Int128],
        keyMap: AuditKeyMap,
        strings: Interner
    ) -> UnrecordedSpend {
        var keyOwned: Set<Int32> = []
        for key in keyMap.owners.keys {
            if let id = strings.existingID(key) { keyOwned.insert(id) }
        }
        var unrecorded = UnrecordedSpend()
        for (cell, gap) in remaining where gap > 0 {
            let allocated = cell.key != 0 && keyOwned.contains(cell.key)
            unrecorded.cells.append((cell, gap, allocated))
            if allocated {
                unrecorded.keyAllocated &+= gap
            } else {
                unrecorded.unknown &+= gap
                unrecorded.byModel.add(cell.model, gap)
                if cell.key != 0 { unrecorded.byKey.add(cell.key, gap) }
            }
        }
        return unrecorded
    }

    /// The bill: the cost rows in the window, and their difference from the priced usage, per provider.
    private static func bill(
        _ input: Input,
        pricedByProvider: [Int32: Int128],
        strings: inout Interner
    ) -> (billed: Int128, difference: Int128)? {
        var billedByProvider: [Int32: Int128] = [:]
        for row in input.exports.costRows where row.start >= input.since && row.start < input.until {
            billedByProvider[strings.id(row.provider), default: 0] &+= row.amount.attodollars
        }
        guard !input.exports.costRows.isEmpty else { return nil }
        return (
            billedByProvider.values.reduce(0, &+),
            billedByProvider.reduce(0) { $0 &+ $1.value &- (pricedByProvider[$1.key] ?? 0) }
        )
    }
}

/// A reconciliation cell: (UTC day, provider, model after name matching, api key). Key 0 means none.
struct ReconcileCell: Hashable {
    var day: Int64
    var provider: Int32
    var model: Int32
    var key: Int32
}

/// Exact sums per reconciliation cell, in an open-addressing table with a multiply-xorshift hash: one probe a
/// row instead of `Hasher`'s SipHash on four fields. Keyed and pooled sums are kept apart.
struct CellSums {
    private var cells: [ReconcileCell] = []
    private var pooled: [Bool] = []
    private var amounts: [Int128] = []
    /// Index + 1 into the arrays, 0 when free.
    private var slots = [Int32](repeating: 0, count: 256)
    var notReconciled: Int128 = 0
    /// Recorded spend on days or providers the usage does not cover.
    var outsideUsage: Int128 = 0
    /// Records on covered days the table could not price (stored cost or none), per (day, provider, model).
    var unpricedSides: [ReconcileCell: LedgerRateSide] = [:]

    private static func hash(_ cell: ReconcileCell, _ pooled: Bool) -> UInt64 {
        var h = UInt64(bitPattern: cell.day) &* 0x9E37_79B9_7F4A_7C15
        h ^=
            (UInt64(UInt32(bitPattern: cell.provider)) << 32 | UInt64(UInt32(bitPattern: cell.model)))
            &* 0xC2B2_AE3D_27D4_EB4F
        h ^= (UInt64(UInt32(bitPattern: cell.key)) << 1 | (pooled ? 1 : 0)) &* 0x1656_67B1_9E37_79F9
        return h ^ (h >> 29)
    }

    mutating func add(_ cell: ReconcileCell, _ amount: Int128, pooled isPooled: Bool) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(cell, isPooled)) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 {
                cells.append(cell)
                pooled.append(isPooled)
                amounts.append(amount)
                slots[slot] = Int32(truncatingIfNeeded: cells.count)
                if cells.count * 2 > slots.count { grow() }
                return
            }
            if cells[entry - 1] == cell, pooled[entry - 1] == isPooled {
                amounts[entry - 1] &+= amount
                return
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for index in cells.indices {
            var slot = Int(truncatingIfNeeded: Self.hash(cells[index], pooled[index])) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(truncatingIfNeeded: index + 1)
        }
    }

    func forEachCell(_ body: (ReconcileCell, Int128, Bool) -> Void) {
        for index in cells.indices { body(cells[index], amounts[index], pooled[index]) }
    }
}
