public import Attribution
public import CostAudit
public import CostLedger

/// `cost-audit export --focus` as a value: the audit's reconciled dollars as FinOps FOCUS 1.2 cost and usage
/// rows (docs/reports.md, "export --focus").
///
/// One row per UTC day × provider × model × service tier × token class (input, cached input, 5-minute cache
/// write, 1-hour cache write, output) × team and project × attribution class (and unknown reason), so that
/// every row has one unit price. A record's dollars are split by token class with the audit's price table; the
/// parts add up to the record's dollars exactly, or the record is not split (see ``Charge/recordedCost``).
/// Spend the bill holds and no record carries is one row per reconciliation cell (``Charge/unrecorded``).
/// The rows' costs add up to the audit's `classifiedUSD` exactly.
///
/// ```swift
/// let audit = try Auditor.attribute(configuration)
/// let export = try FocusExport(audit, prices: configuration.prices, billingAccount: "acme-prod")
/// print(export.csv(), terminator: "")
/// ```
public struct FocusExport: Sendable {
    /// What a row charges for.
    public enum Charge: Sendable, Hashable, Comparable {
        /// Tokens of one class, priced per 1,000,000 tokens by the price table.
        case tokens(TokenClass)
        /// Calls whose dollars the price table cannot split by class (the audit used the record's stored
        /// `cost_usd`, or a quote that does not match the table's unit prices): priced per US dollar.
        case recordedCost
        /// Spend on the provider's bill that no record carries: known in dollars per day only.
        case unrecorded
    }

    /// The classes of tokens a price distinguishes (docs/prices.md).
    public enum TokenClass: Int, Sendable, Hashable, Comparable, CaseIterable {
        /// Input tokens neither read from nor written to the cache.
        case input
        case cachedInput
        /// Written to the cache for 5 minutes (or an unspecified time).
        case cacheWrite5m
        case cacheWrite1h
        /// Output tokens, reasoning included.
        case output

        /// The name in the `x_TokenClass` column and in SKU ids.
        public var name: String {
            switch self {
            case .input: return "input"
            case .cachedInput: return "cached_input"
            case .cacheWrite5m: return "cache_write_5m"
            case .cacheWrite1h: return "cache_write_1h"
            case .output: return "output"
            }
        }

        /// The `SkuMeter` label.
        var meter: String {
            switch self {
            case .input: return "Input Tokens"
            case .cachedInput: return "Cached Input Tokens"
            case .cacheWrite5m: return "5-Minute Cache Write Tokens"
            case .cacheWrite1h: return "1-Hour Cache Write Tokens"
            case .output: return "Output Tokens"
            }
        }

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// One FOCUS row before it is written.
    public struct Row: Sendable, Hashable {
        /// The UTC day, at midnight: the charge period.
        public var day: UTCTimestamp
        public var provider: String
        /// The model as the price table names it (the recorded name when the table lacks it).
        public var model: String
        /// The tier the calls were billed at (`default` for none); nil for unrecorded spend.
        public var serviceTier: String?
        public var charge: Charge
        /// Whether the calls were priced at the model's long-context price (their input above its threshold).
        public var longContext: Bool
        public var team: String?
        public var project: String?
        public var attributionClass: AttributionClass
        public var unknownReason: UnknownReason?
        /// Tokens of the row's class (for ``Charge/recordedCost``, every input and output token); 0 for
        /// unrecorded spend.
        public var tokens: Int128
        /// USD per 1,000,000 tokens for ``Charge/tokens(_:)`` rows; nil for the rows priced per dollar.
        public var pricePerMillion: Money?
        /// The exact cost.
        public var cost: Money
    }

    /// The rows, by day, provider, model, tier, charge, team, project, class and reason.
    public let rows: [Row]
    /// The sum of every row's cost: the audit's classified total.
    public let totalUSD: Money
    /// The `BillingAccountId` and `BillingAccountName` of every row; nil: each row's provider.
    public let billingAccount: String?

    /// The rows of `audit`: every record (one more pass over the ledger) and its unrecorded spend.
    ///
    /// - Parameters:
    ///   - audit: the audit whose records and unrecorded spend become rows.
    ///   - prices: the audit's price table (`prices`), to split each record's
    ///     dollars by token class; a table that is not a `PriceTable` splits nothing.
    ///   - billingAccount: the billing account of every row; nil uses each row's provider.
    /// - Throws: `CostAuditError` when a ledger file can no longer be read as the audit read it.
    public init(
        _ audit: AttributedAudit,
        prices: any AuditPricing,
        billingAccount: String? = nil
    ) throws(CostAuditError) {
        var builder = Builder(prices: prices)
        try audit.forEachRecord { builder.add($0) }
        for spend in audit.unrecorded { builder.add(spend) }
        self.init(builder, billingAccount: billingAccount)
    }

    /// The rows of records and unrecorded spend given in memory (a test, or a caller that built them itself).
    public init(
        records: [AttributedRecord],
        unrecorded: [UnrecordedSpend] = [],
        prices: any AuditPricing,
        billingAccount: String? = nil
    ) {
        var builder = Builder(prices: prices)
        for record in records { builder.add(record) }
        for spend in unrecorded { builder.add(spend) }
        self.init(builder, billingAccount: billingAccount)
    }

    private init(_ builder: Builder, billingAccount: String?) {
        var rows: [Row] = []
        rows.reserveCapacity(builder.sums.count)
        var total: Int128 = 0
        for (key, sum) in builder.sums {
            total &+= sum.cost
            rows.append(
                Row(
                    day: UTCTimestamp(nanosecondsSinceEpoch: key.day &* 86_400_000_000_000),
                    provider: key.provider,
                    model: key.model,
                    serviceTier: key.tier,
                    charge: key.charge,
                    longContext: key.longContext,
                    team: key.team,
                    project: key.project,
                    attributionClass: key.attributionClass,
                    unknownReason: key.reason,
                    tokens: sum.tokens,
                    pricePerMillion: key.ratePerToken.map { Money(attodollars: $0 * 1_000_000) },
                    cost: Money(attodollars: sum.cost)
                )
            )
        }
        rows.sort(by: Self.order)
        self.rows = rows
        totalUSD = Money(attodollars: total)
        self.billingAccount = billingAccount.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func order(_ a: Row, _ b: Row) -> Bool {
        if a.day != b.day { return a.day < b.day }
        func bytewise(_ x: String?, _ y: String?) -> Bool? {
            guard x != y else { return nil }
            guard let x else { return true }
            guard let y else { return false }
            return Array(x.utf8).lexicographicallyPrecedes(y.utf8)
        }
        if let p = bytewise(a.provider, b.provider) { return p }
        if let p = bytewise(a.model, b.model) { return p }
        if let p = bytewise(a.serviceTier, b.serviceTier) { return p }
        if a.charge != b.charge { return a.charge < b.charge }
        if a.longContext != b.longContext { return !a.longContext }
        if let p = bytewise(a.team, b.team) { return p }
        if let p = bytewise(a.project, b.project) { return p }
        if a.attributionClass != b.attributionClass { return a.attributionClass < b.attributionClass }
        if a.unknownReason != b.unknownReason {
            guard let x = a.unknownReason else { return true }
            guard let y = b.unknownReason else { return false }
            return x < y
        }
        return (a.pricePerMillion?.attodollars ?? -1) < (b.pricePerMillion?.attodollars ?? -1)
    }

    // MARK: - Building

    struct Key: Hashable {
        var day: Int64
        var provider: String
        var model: String
        var tier: String?
        var charge: Charge
        var longContext: Bool
        var team: String?
        var project: String?
        var attributionClass: AttributionClass
        var reason: UnknownReason?
        /// Attodollars per token of a ``Charge/tokens(_:)`` row: part of the key, so a row has one price.
        var ratePerToken: Int128?
    }

    struct Sum {
        var tokens: Int128 = 0
        var cost: Int128 = 0
    }

    /// Sums records and unrecorded cells into rows.
    struct Builder {
        let table: PriceTable?
        var sums: [Key: Sum] = [:]

        init(prices: any AuditPricing) { table = prices as? PriceTable }

        mutating func add(_ attributed: AttributedRecord) {
            // A record the audit counts at $0 (a `unit` record, an unpriced call) is no charge: writing it would
            // put a placeholder 0 where the cost is unknown.
            guard attributed.usd != .zero else { return }
            let record = attributed.record
            let when = record.startedAt ?? record.timestamp
            var key = Key(
                day: Self.day(when),
                provider: Self.text(record.provider) ?? Self.unknown,
                model: Self.text(attributed.pricedModel) ?? Self.unknown,
                tier: Self.tier(record.serviceTier),
                charge: .recordedCost,
                longContext: false,
                team: Self.text(record.attribution[.team]),
                project: Self.text(record.attribution[.project]),
                attributionClass: attributed.attributionClass,
                reason: attributed.unknownReason,
                ratePerToken: nil
            )
            if let split = split(attributed) {
                key.longContext = split.longContext
                for part in split.parts {
                    key.charge = .tokens(part.tokenClass)
                    key.ratePerToken = part.rate
                    sums[key, default: Sum()].add(tokens: Int128(part.tokens), cost: part.rate * Int128(part.tokens))
                }
            } else {
                let tokens = record.kind == .call ? Int128(record.usage.input) + Int128(record.usage.output) : 0
                sums[key, default: Sum()].add(tokens: tokens, cost: attributed.usd.attodollars)
            }
        }

        mutating func add(_ spend: UnrecordedSpend) {
            guard spend.usd != .zero else { return }
            let key = Key(
                day: Self.day(spend.day),
                provider: Self.text(spend.provider) ?? Self.unknown,
                model: Self.text(spend.model) ?? Self.unknown,
                tier: nil,
                charge: .unrecorded,
                longContext: false,
                team: Self.text(spend.owner?.team),
                project: Self.text(spend.owner?.project),
                attributionClass: spend.attributionClass,
                reason: spend.owner == nil ? .unrecorded : nil,
                ratePerToken: nil
            )
            sums[key, default: Sum()].add(tokens: 0, cost: spend.usd.attodollars)
        }

        struct Part {
            var tokenClass: TokenClass
            var tokens: Int64
            var rate: Int128
        }

        /// The record's dollars by token class at the table's unit prices, or nil when the table cannot split
        /// them so that the parts add up to the audit's dollars exactly.
        func split(_ attributed: AttributedRecord) -> (parts: [Part], longContext: Bool)? {
            let record = attributed.record
            guard let table, record.kind == .call, let model = record.model else { return nil }
            let usage = record.usage
            let when = record.startedAt ?? record.timestamp
            guard usage.input >= 0, usage.output >= 0, usage.cachedInput >= 0, usage.cacheWrite >= 0,
                usage.cacheWrite1h >= 0,
                let price = table.price(
                    provider: record.provider,
                    model: model,
                    serviceTier: record.serviceTier,
                    inputTokens: usage.input,
                    on: when
                )?.price
            else { return nil }
            let subsets = Int128(usage.cachedInput) + Int128(usage.cacheWrite) + Int128(usage.cacheWrite1h)
            guard subsets <= Int128(usage.input) else { return nil }
            let base = table.price(
                provider: record.provider,
                model: model,
                serviceTier: record.serviceTier,
                inputTokens: 0,
                on: when
            )?.price
            let classes: [(TokenClass, Int64, Money?)] = [
                (.input, usage.input - usage.cachedInput - usage.cacheWrite - usage.cacheWrite1h, price.input),
                // Cached tokens of a model with no cached price are charged at the input price (docs/prices.md).
                (.cachedInput, usage.cachedInput, price.cachedInput ?? price.input),
                (.cacheWrite5m, usage.cacheWrite, price.cacheWrite),
                (.cacheWrite1h, usage.cacheWrite1h, price.cacheWrite1h),
                (.output, usage.output, price.output),
            ]
            var parts: [Part] = []
            var total: Int128 = 0
            for (tokenClass, tokens, perMillion) in classes where tokens > 0 {
                guard let perMillion else { return nil }
                let (rate, remainder) = perMillion.attodollars.quotientAndRemainder(dividingBy: 1_000_000)
                guard remainder == 0, rate >= 0 else { return nil }
                parts.append(Part(tokenClass: tokenClass, tokens: tokens, rate: rate))
                total += rate * Int128(tokens)
            }
            guard !parts.isEmpty, total == attributed.usd.attodollars else { return nil }
            return (parts, base != nil && base != price)
        }

        static let unknown = "(unknown)"

        static func text(_ value: String?) -> String? {
            guard let value, !value.isEmpty else { return nil }
            return value
        }

        /// The tier as the price table reads it: none, `""` and `standard` are `default`.
        static func tier(_ value: String?) -> String {
            guard let value, !value.isEmpty, value != "standard" else { return "default" }
            return value
        }

        static func day(_ instant: UTCTimestamp) -> Int64 {
            let (q, r) = instant.nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: 86_400_000_000_000)
            return r < 0 ? q - 1 : q
        }
    }
}

extension FocusExport.Sum {
    mutating func add(tokens: Int128, cost: Int128) {
        self.tokens &+= tokens
        self.cost &+= cost
    }
}

extension FocusExport.Charge {
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    var rank: Int {
        switch self {
        case .tokens(let tokenClass): return tokenClass.rawValue
        case .recordedCost: return 10
        case .unrecorded: return 11
        }
    }
}
