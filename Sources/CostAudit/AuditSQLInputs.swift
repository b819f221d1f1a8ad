import Attribution
import CostLedger

/// The audit's inputs that do not depend on the ledger, worked out as the audit works them out, for the SQL
/// that `cost-audit sql` prints (docs/scale.md): the usage exports priced per reconciliation cell, the days
/// and providers they cover, their side of the capture rate, and the bill. The SQL carries these as `VALUES`
/// and does the ledger's side itself.
package struct AuditSQLInputs: Sendable {
    /// A priced usage cell: (UTC day, provider, model after name matching, API key or "" for none) → dollars.
    package struct Cell: Sendable, Hashable {
        package var day: Int64
        package var provider: String
        package var model: String
        package var key: String
    }

    /// The usage side of one capture-rate cell (day, provider, model; key "").
    package struct RateSide: Sendable, Hashable {
        package var pricedRows = 0
        package var pricedTokens: Int64 = 0
        package var pricedDollars: Int128 = 0
        package var unpricedRows = 0
        package var unpricedTokens: Int64 = 0
    }

    package var cells: [(cell: Cell, amount: Int128)] = []
    /// Every (day, provider) the usage covers, with whether a row of it names a key.
    package var coverage: [(day: Int64, provider: String, keyed: Bool)] = []
    package var rateCells: [(cell: Cell, side: RateSide)] = []
    /// Usage rows with no model: per (provider, day), their tokens.
    package var modelless: [(provider: String, day: Int64, tokens: Int64)] = []
    package var sawUsage = false
    package var pricedUsage: Int128 = 0
    package var unpricedUsageTokens: Int64 = 0
    package var billed: Int128?
    package var pricingDifference: Int128?
    package var duplicateUsageRows = 0
    /// The "none of the provider usage could be priced" warning, when it applies (it depends on the usage only).
    package var nothingPricedWarning: String?

    /// Reads the configuration's usage exports and works out the usage side.
    package init(_ configuration: AuditConfiguration) throws(CostAuditError) {
        var exports = UsageExports()
        for source in configuration.usage { try exports.read(source) }
        duplicateUsageRows = exports.duplicateRows
        let since = configuration.since?.nanosecondsSinceEpoch ?? Int64.min
        let until = configuration.until?.nanosecondsSinceEpoch ?? Int64.max
        let pricing = configuration.prices
        var covered: [String: Bool] = [:]
        var coveredOrder: [(Int64, String)] = []
        func cover(_ day: Int64, _ provider: String, keyed: Bool) {
            let name = "\(day)\u{0}\(provider)"
            if covered[name] == nil { coveredOrder.append((day, provider)) }
            covered[name] = (covered[name] ?? false) || keyed
        }
        for bucket in exports.usageBuckets where bucket.start >= since && bucket.start < until {
            sawUsage = true
            cover(ReconcilePhase.day(bucket.start), bucket.provider, keyed: false)
        }
        var cellSums: [Cell: Int128] = [:]
        var rates: [Cell: RateSide] = [:]
        var pricedByProvider: [String: Int128] = [:]
        var modellessSums: [Cell: Int64] = [:]
        var unknownModels: Set<String> = []
        var unpricedTiers: Set<String> = []
        var unpricedRows = 0
        var modellessTokens: Int64 = 0
        for row in exports.usageRows where row.start >= since && row.start < until {
            sawUsage = true
            let day = ReconcilePhase.day(row.start)
            cover(day, row.provider, keyed: row.apiKey != nil)
            let tokens = row.usage.input &+ row.usage.output
            let canonical = row.model.flatMap { pricing.canonicalModel(provider: row.provider, model: $0) }
            if let model = row.model, let canonical,
                let quote = pricing.auditQuote(
                    provider: row.provider,
                    model: model,
                    serviceTier: row.serviceTier,
                    usage: row.usage,
                    on: UTCTimestamp(nanosecondsSinceEpoch: row.start)
                )
            {
                let cost = quote.cost.attodollars
                cellSums[
                    Cell(day: day, provider: row.provider, model: canonical, key: row.apiKey ?? ""),
                    default: 0
                ] &+=
                    cost
                let rateCell = Cell(day: day, provider: row.provider, model: canonical, key: "")
                rates[rateCell, default: RateSide()].pricedRows += 1
                rates[rateCell, default: RateSide()].pricedTokens &+= tokens
                rates[rateCell, default: RateSide()].pricedDollars &+= cost
                pricedUsage &+= cost
                pricedByProvider[row.provider, default: 0] &+= cost
                continue
            }
            unpricedUsageTokens &+= tokens
            unpricedRows += 1
            guard let model = row.model else {
                modellessSums[Cell(day: day, provider: row.provider, model: "", key: ""), default: 0] &+= tokens
                modellessTokens &+= tokens
                continue
            }
            if canonical == nil {
                unknownModels.insert("\(row.provider)/\(model)")
            } else {
                unpricedTiers.insert("\(row.provider)/\(model)")
            }
            let rateCell = Cell(day: day, provider: row.provider, model: canonical ?? model, key: "")
            rates[rateCell, default: RateSide()].unpricedRows += 1
            rates[rateCell, default: RateSide()].unpricedTokens &+= tokens
        }
        let order: (Cell, Cell) -> Bool = { a, b in
            if a.day != b.day { return a.day < b.day }
            if a.provider != b.provider { return ReconcilePhase.bytewise(a.provider, b.provider) }
            if a.model != b.model { return ReconcilePhase.bytewise(a.model, b.model) }
            return ReconcilePhase.bytewise(a.key, b.key)
        }
        cells = cellSums.keys.sorted(by: order).map { ($0, cellSums[$0] ?? 0) }
        rateCells = rates.keys.sorted(by: order).map { ($0, rates[$0] ?? RateSide()) }
        modelless = modellessSums.keys.sorted(by: order).map { ($0.provider, $0.day, modellessSums[$0] ?? 0) }
        coverage = coveredOrder.map { ($0.0, $0.1, covered["\($0.0)\u{0}\($0.1)"] ?? false) }
        if unpricedRows > 0, rates.values.allSatisfy({ $0.pricedRows == 0 }) {
            var reasons: [String] = []
            if !modellessSums.isEmpty {
                reasons.append("rows with no model (\(modellessTokens) tokens; export the usage grouped by model)")
            }
            if !unknownModels.isEmpty {
                reasons.append("models the price table lacks: " + ReconcilePhase.listed(unknownModels))
            }
            if !unpricedTiers.isEmpty {
                reasons.append(
                    "models whose service tier or token classes the price table does not price: "
                        + ReconcilePhase.listed(unpricedTiers)
                )
            }
            nothingPricedWarning =
                "none of the provider usage could be priced (\(unpricedUsageTokens) tokens): "
                + reasons.joined(separator: "; ") + "; the capture rate compares no spend"
        }
        var billedByProvider: [String: Int128] = [:]
        for row in exports.costRows where row.start >= since && row.start < until {
            billedByProvider[row.provider, default: 0] &+= row.amount.attodollars
        }
        if !exports.costRows.isEmpty {
            billed = billedByProvider.values.reduce(0, &+)
            pricingDifference = billedByProvider.reduce(0) { $0 &+ $1.value &- (pricedByProvider[$1.key] ?? 0) }
        }
    }
}
