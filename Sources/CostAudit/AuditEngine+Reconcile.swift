import Attribution
import CostLedger

/// A reconciliation cell: (UTC day, provider, model after name matching, api key). Key 0 means none.
struct ReconcileCell: Hashable {
    var day: Int64
    var provider: Int32
    var model: Int32
    var key: Int32
}

extension AuditEngine {
    private static let nanosPerDay: Int64 = 86_400_000_000_000

    private static func day(_ nanoseconds: Int64) -> Int64 {
        UTCTimestamp(nanosecondsSinceEpoch: nanoseconds).utcDay
    }

    /// Prices the usage exports, nets the ledger against them per cell, adds unrecorded spend to the classes,
    /// and assembles the report.
    mutating func reconcileAndReport(exports: UsageExports, requiredFields: [AttributionField]) -> AuditReport {
        let since = configuration.since?.nanosecondsSinceEpoch ?? Int64.min
        let until = configuration.until?.nanosecondsSinceEpoch ?? Int64.max
        let pricing = configuration.prices

        // 1. Usage, priced per cell.
        var usageCells: [ReconcileCell: Int128] = [:]
        var covered: Set<ReconcileCell> = []
        var keyed: Set<ReconcileCell> = []
        var pricedUsage: Int128 = 0
        var pricedUsageByProvider: [Int32: Int128] = [:]
        var unpricedUsageTokens: Int64 = 0
        var unpricedUsage = UnpricedUsage()
        // Both sides per (day, provider, model), for the capture rate.
        var rateCells: [ReconcileCell: RateCellSides] = [:]
        var sawUsage = false
        for bucket in exports.usageBuckets where bucket.start >= since && bucket.start < until {
            sawUsage = true
            let provider = table.strings.id(bucket.provider)
            covered.insert(ReconcileCell(day: Self.day(bucket.start), provider: provider, model: 0, key: 0))
        }
        for row in exports.usageRows where row.start >= since && row.start < until {
            sawUsage = true
            let provider = table.strings.id(row.provider)
            let day = Self.day(row.start)
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
                unpricedUsageTokens &+= tokens
                unpricedUsage.rows += 1
                unpricedUsage.tokens &+= tokens
                guard let model = row.model else {
                    unpricedUsage.modelless[row.provider, default: ([], 0)].days.insert(day)
                    unpricedUsage.modelless[row.provider, default: ([], 0)].tokens &+= tokens
                    continue
                }
                if canonical == nil {
                    unpricedUsage.unknownModels.insert("\(row.provider)/\(model)")
                } else {
                    unpricedUsage.unpricedTiers.insert("\(row.provider)/\(model)")
                }
                let rateCell = ReconcileCell(
                    day: day,
                    provider: provider,
                    model: table.strings.id(canonical ?? model),
                    key: 0
                )
                rateCells[rateCell, default: RateCellSides()].usageUnpricedRows += 1
                rateCells[rateCell, default: RateCellSides()].usageUnpricedTokens &+= tokens
                continue
            }
            let cell = ReconcileCell(
                day: day,
                provider: provider,
                model: table.strings.id(canonical),
                key: row.apiKey.map { table.strings.id($0) } ?? 0
            )
            usageCells[cell, default: 0] &+= quote.cost.attodollars
            let rateCell = ReconcileCell(day: day, provider: provider, model: cell.model, key: 0)
            rateCells[rateCell, default: RateCellSides()].usagePricedRows += 1
            rateCells[rateCell, default: RateCellSides()].usagePricedTokens &+= tokens
            rateCells[rateCell, default: RateCellSides()].usagePricedDollars &+= quote.cost.attodollars
            pricedUsage &+= quote.cost.attodollars
            pricedUsageByProvider[provider, default: 0] &+= quote.cost.attodollars
        }

        // 2. Recorded spend per cell; records without a key (or on a provider-day whose usage has no keys) pool
        // per (day, provider, model). In parallel over row ranges, each worker summing into its own cell map.
        // Per (day, provider): 1 when usage covers it, 3 when keyed usage does; looked up on the packed pair
        // (the days of 64-bit nanosecond timestamps, 1677–2262, fit 32 bits) without `Hasher`.
        var coverage = WordMap()
        for cell in keyed { _ = coverage.insert(Self.dayProvider(cell.day, cell.provider), next: 3) }
        for cell in covered { _ = coverage.insert(Self.dayProvider(cell.day, cell.provider), next: 1) }
        let store = self.table
        let inWindow = self.inWindow
        let workers = self.workers
        var partials = [CellSums](repeating: CellSums(), count: workers)
        partials.withUnsafeMutableBufferPointer { partials in
            inParallel(workers) { worker in
                var sums = CellSums()
                // The (day, provider) of the previous row and whether usage covers it, keyed or not.
                var lastDay = Int64.min
                var lastProvider: Int32 = -1
                var lastCovered = false
                var lastKeyed = false
                for index in share(worker, of: workers, count: store.count) where inWindow[index] {
                    let row = store[index]
                    guard !row.isUnit else { continue }
                    let day = Self.day(row.when)
                    let provider = store.provider(row)
                    if day != lastDay || provider != lastProvider {
                        lastDay = day
                        lastProvider = provider
                        let found = coverage.find(Self.dayProvider(day, provider)) ?? 0
                        lastCovered = found != 0
                        lastKeyed = found == 3
                    }
                    guard lastCovered else {
                        if row.pricing != .unpriced {
                            let cost = store.cost(index, row)
                            sums.notReconciled &+= cost
                            sums.outsideUsage &+= cost
                        }
                        continue
                    }
                    guard row.pricing == .priced else {
                        // Records the table cannot price: the capture rate leaves their cell out.
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
                        continue
                    }
                    let key = lastKeyed ? row.apiKey : 0
                    let cell = ReconcileCell(day: day, provider: provider, model: store.canonicalModel(row), key: key)
                    sums.add(cell, store.cost(index, row), pooled: key == 0)
                }
                partials[worker] = sums
            }
        }
        var recordedCells: [ReconcileCell: Int128] = [:]
        var pools: [ReconcileCell: Int128] = [:]
        var notReconciled: Int128 = 0
        var outsideUsage: Int128 = 0
        for sums in partials {
            notReconciled &+= sums.notReconciled
            outsideUsage &+= sums.outsideUsage
            for (cell, side) in sums.unpricedSides { rateCells[cell, default: RateCellSides()].ledger.add(side) }
            sums.forEachCell { cell, amount, pooled in
                if pooled {
                    pools[cell, default: 0] &+= amount
                } else {
                    recordedCells[cell, default: 0] &+= amount
                }
                let rateCell = ReconcileCell(day: cell.day, provider: cell.provider, model: cell.model, key: 0)
                rateCells[rateCell, default: RateCellSides()].ledgerPricedDollars &+= amount
            }
        }
        let capture = captureFigures(cells: rateCells, recordedOutside: outsideUsage, unpriced: unpricedUsage)

        // 3. Gaps per cell; over-recorded excess never netted across cells.
        var overRecorded: Int128 = 0
        var remaining: [ReconcileCell: Int128] = [:]
        var allCells = Set(usageCells.keys)
        allCells.formUnion(recordedCells.keys)
        for cell in allCells {
            let gap = (usageCells[cell] ?? 0) &- (recordedCells[cell] ?? 0)
            if gap < 0 {
                overRecorded &+= 0 &- gap
            } else if gap > 0 {
                remaining[cell] = gap
            }
        }
        // 4. Keyless records, last, against the remaining positive gaps of their (day, provider, model), keys in
        // bytewise order.
        var gapsByGroup: [ReconcileCell: [ReconcileCell]] = [:]
        for cell in remaining.keys {
            gapsByGroup[ReconcileCell(day: cell.day, provider: cell.provider, model: cell.model, key: 0), default: []]
                .append(cell)
        }
        for (group, pooled) in pools {
            var left = pooled
            let cells = (gapsByGroup[group] ?? []).sorted {
                Array(table.strings[$0.key].utf8).lexicographicallyPrecedes(Array(table.strings[$1.key].utf8))
            }
            for cell in cells where left > 0 {
                let gap = remaining[cell] ?? 0
                let take = min(gap, left)
                remaining[cell] = gap - take
                left -= take
            }
            if left > 0 { overRecorded &+= left }
        }
        // 5. What remains is unrecorded spend.
        var keyOwned: Set<Int32> = []
        for key in configuration.keyMap.owners.keys {
            if let id = table.strings.existingID(key) { keyOwned.insert(id) }
        }
        for (cell, gap) in remaining where gap > 0 {
            if cell.key != 0, keyOwned.contains(cell.key) {
                totals.classDollars[3] &+= gap
            } else {
                totals.classDollars[4] &+= gap
                totals.reasonDollars[3] &+= gap
                totals.topSources[1].add(cell.model, gap)
                if cell.key != 0 { totals.topSources[2].add(cell.key, gap) }
            }
        }

        // 6. The bill.
        var billed: Int128?
        var pricingDifference: Int128?
        var billedByProvider: [Int32: Int128] = [:]
        for row in exports.costRows where row.start >= since && row.start < until {
            billedByProvider[table.strings.id(row.provider), default: 0] &+= row.amount.attodollars
        }
        if !exports.costRows.isEmpty {
            billed = billedByProvider.values.reduce(0, &+)
            pricingDifference = billedByProvider.reduce(0) { $0 &+ $1.value &- (pricedUsageByProvider[$1.key] ?? 0) }
        }

        // 7. Top sources of unknown spend.
        var top: [UnknownSource] = []
        let names = UnknownSource.dimensions
        for dimension in 0..<4 {
            top.append(
                contentsOf: Self.ranked(
                    totals.topSources[dimension].entries.map { (table.strings[$0.key], $0.value) },
                    dimension: names[dimension]
                )
            )
        }
        top.append(
            contentsOf: Self.ranked(
                requiredFields.indices.map { (requiredFields[$0].name, totals.missingTop[$0]) },
                dimension: names[4]
            )
        )

        var classes: [AttributionClass: Money] = [:]
        for (index, attributionClass) in AttributionClass.all.enumerated() {
            classes[attributionClass] = Money(attodollars: totals.classDollars[index])
        }
        var reasons: [UnknownReason: Money] = [:]
        for (index, reason) in UnknownReason.all.enumerated() {
            reasons[reason] = Money(attodollars: totals.reasonDollars[index])
        }
        var missingFields: [String: Money] = [:]
        for (index, field) in requiredFields.enumerated() {
            missingFields[field.name] = Money(attodollars: totals.missingFieldDollars[index])
        }
        return AuditReport(
            totalUSD: Money(attodollars: pricedUsage &+ notReconciled),
            recordedUSD: Money(attodollars: totals.recordedDollars),
            pricedUsageUSD: sawUsage ? Money(attodollars: pricedUsage) : nil,
            billedUSD: billed.map(Money.init(attodollars:)),
            pricingDifferenceUSD: pricingDifference.map(Money.init(attodollars:)),
            rateRecordedUSD: sawUsage ? Money(attodollars: capture.rateRecorded) : nil,
            rateUsageUSD: sawUsage ? Money(attodollars: capture.rateUsage) : nil,
            recordedOutsideUsageUSD: Money(attodollars: capture.recordedOutside),
            recordedExcludedFromRateUSD: Money(attodollars: capture.recordedExcluded),
            usageExcludedFromRateUSD: Money(attodollars: capture.usageExcluded),
            warnings: capture.warnings,
            classes: classes,
            unknownByReason: reasons,
            unknownMissingFields: missingFields,
            overRecordedUSD: Money(attodollars: overRecorded),
            retryIdentityConflictUSD: Money(attodollars: totals.retryConflictDollars),
            records: totals.records,
            duplicates: duplicates,
            recordIDConflicts: recordIDConflicts,
            skippedLines: table.skippedLines,
            invalidRecords: table.invalidRecordCount,
            invalidRecordDetails: table.invalidRecords,
            skippedKinds: table.skippedKinds,
            unpricedRecords: totals.unpricedRecords,
            unpricedTokens: totals.unpricedTokens,
            unpricedUsageTokens: unpricedUsageTokens,
            retryIdentityConflicts: totals.retryConflicts,
            lineageCycles: lineageCycles,
            pricedFromRecord: totals.pricedFromRecord,
            cachedTokensAtInputPrice: totals.cachedAtInputPrice,
            duplicateUsageRows: exports.duplicateRows,
            topUnknownSources: top,
            priceSource: pricing.source,
            priceTableIsBuiltIn: pricing.isBuiltIn,
            required: requiredFields,
            since: configuration.since,
            until: configuration.until,
            ledgerBytes: table.ledgerBytes
        )
    }

    /// The top values of one dimension: largest first, ties bytewise by value; only positive amounts.
    /// A UTC day and a provider id packed into one word (the day's low 32 bits: exact for every day a timestamp
    /// can name).
    @inline(__always)
    static func dayProvider(_ day: Int64, _ provider: Int32) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: day)) << 32 | UInt64(UInt32(bitPattern: provider))
    }

    static func ranked(_ entries: [(String, Int128)], dimension: String) -> [UnknownSource] {
        entries.filter { $0.1 > 0 }
            .sorted { a, b in
                if a.1 != b.1 { return a.1 > b.1 }
                return Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8))
            }
            .prefix(UnknownSource.perDimension)
            .map { UnknownSource(dimension: dimension, value: $0.0, usd: Money(attodollars: $0.1)) }
    }
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

    @inline(__always)
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
