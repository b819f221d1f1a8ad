public import Attribution

/// The price of one call: its exact, unrounded cost and where the price came from.
public struct CostQuote: Sendable, Hashable {
    /// The exact cost in USD, unrounded.
    public var cost: Money
    /// The name of the price table that priced it (`price_source` on the record).
    public var priceSource: String
    /// Cached input tokens charged at the input price because the table has no cached price for the model
    /// (an upper bound; the audit reports them as `cached_tokens_at_input_price`).
    public var cachedTokensAtInputPrice: Int64

    /// Creates a quote.
    public init(cost: Money, priceSource: String, cachedTokensAtInputPrice: Int64 = 0) {
        self.cost = cost
        self.priceSource = priceSource
        self.cachedTokensAtInputPrice = cachedTokensAtInputPrice
    }
}

/// Model prices per million tokens, per service tier and effective date (see `docs/prices.md`), and the cost
/// of a call from its tokens.
///
/// A table comes from the dated built-in defaults (``builtIn``), the project's own JSON price file
/// (``init(priceFileJSON:source:effectiveFrom:)``) or LiteLLM's `model_prices_and_context_window.json` as
/// published (``init(litellmJSON:effectiveFrom:source:)``); ``init(contentsOfFile:effectiveFrom:)`` tells the
/// two formats apart by their content, and ``overlaying(_:)`` lets a file extend or correct another table.
///
/// A model the table does not price is never guessed: ``quote(provider:model:serviceTier:usage:on:)``
/// returns nil. Pricing is integer arithmetic on precomputed per-token amounts: no allocation once a model
/// name has been resolved (names are resolved once and remembered).
///
/// ```swift
/// let prices = PriceTable.builtIn.overlaying(try PriceTable(contentsOfFile: "prices.json"))
/// if let quote = prices.quote(for: record) {
///     print(quote.cost.formatted(), quote.priceSource)
/// }
/// ```
public struct PriceTable: Sendable {
    /// The name of the table the prices came from. A merged table names both (`"file+builtin-2026-12-06"`);
    /// each quote names the table of the price it used.
    public var source: String

    /// Whether this is the unmodified built-in table. The audit says so when it prices with it.
    public var isBuiltIn: Bool

    var entries: [ModelEntry]
    var names: [String]
    var index: [String: Int]
    let cache: ResolutionCache

    init(source: String, isBuiltIn: Bool = false, models: [String: ModelEntry]) {
        self.source = source
        self.isBuiltIn = isBuiltIn
        var entries: [ModelEntry] = []
        var names: [String] = []
        var index: [String: Int] = [:]
        entries.reserveCapacity(models.count)
        for name in models.keys.sorted() {
            guard let entry = models[name] else { continue }
            index[name] = entries.count
            entries.append(entry)
            names.append(name)
        }
        self.entries = entries
        self.names = names
        self.index = index
        self.cache = ResolutionCache()
    }

    /// The model names the table prices, sorted.
    public var modelNames: [String] { names }

    /// The number of model names the table prices.
    public var count: Int { entries.count }

    // MARK: Quoting

    /// The cost of a call, or nil when the table has no price for it.
    ///
    /// The model name is matched exactly, then without a trailing `-YYYY-MM-DD` or `-YYYYMMDD` date, then
    /// with a `provider/` prefix added or removed (see `docs/prices.md`). The price is the one in effect on `day`'s UTC day for the
    /// service tier (`nil`, `""` and `"standard"` mean `default`); a tier without its own price uses the
    /// model's `*` price when the source says every tier costs the same, and is otherwise unpriced.
    ///
    /// The cost is `(input − cached − cache_write − cache_write_1h) × input + cached × cached_input +
    /// cache_write × cache_write + cache_write_1h × cache_write_1h + output × output`, exact and unrounded.
    /// Cached tokens without a cached price are charged at the input price and counted in
    /// ``CostQuote/cachedTokensAtInputPrice``; any other class of tokens without a price makes the call
    /// unpriced, as does usage that breaks the ledger's rules (a negative count, cached and cache-write tokens
    /// above the input).
    ///
    /// - Parameters:
    ///   - provider: the provider as the record names it (`openai`), used to add or remove a prefix.
    ///   - model: the model as the provider names it.
    ///   - serviceTier: the tier as billed; nil means `default`.
    ///   - usage: the call's tokens.
    ///   - day: any instant of the UTC day whose price applies.
    /// - Returns: the quote, or nil when the call cannot be priced exactly.
    public func quote(
        provider: String?,
        model: String,
        serviceTier: String?,
        usage: TokenUsage,
        on day: UTCTimestamp
    ) -> CostQuote? {
        guard let entryIndex = resolve(provider: provider, model: model) else { return nil }
        return Self.quote(entry: entries[entryIndex], serviceTier: serviceTier, usage: usage, day: day.utcDay)
    }

    /// The cost of a recorded call, priced on the UTC day of its `started_at` when present, else of its `ts`.
    /// Unit records and records without a model have no price.
    /// - Returns: the quote, or nil when the record cannot be priced.
    public func quote(for record: CostRecord) -> CostQuote? {
        guard record.kind == .call, let model = record.model else { return nil }
        return quote(
            provider: record.provider,
            model: model,
            serviceTier: record.serviceTier,
            usage: record.usage,
            on: record.startedAt ?? record.timestamp
        )
    }

    /// The prices that apply to a call, per million tokens, with the table that gave them; nil when the table
    /// has none. For showing a price; ``quote(provider:model:serviceTier:usage:on:)`` prices a call.
    /// - Parameters:
    ///   - provider: the provider as the record names it (`openai`), used to add or remove a prefix.
    ///   - model: the model as the provider names it.
    ///   - serviceTier: the tier as billed; nil means `default`.
    ///   - inputTokens: the call's input tokens, which choose a long-context price where a model has one.
    ///   - day: any instant of the UTC day whose price applies.
    public func price(
        provider: String?,
        model: String,
        serviceTier: String?,
        inputTokens: Int64 = 0,
        on day: UTCTimestamp
    ) -> (price: ModelPrice, source: String)? {
        guard let entryIndex = resolve(provider: provider, model: model),
            let period = Self.period(entry: entries[entryIndex], serviceTier: serviceTier, day: day.utcDay),
            let band = period.band(forInput: inputTokens)
        else { return nil }
        return (band.rates.perMillion, period.source)
    }

    /// The table's name for a model after the matching rules (`gpt-4.1-2025-04-14` → `gpt-4.1`,
    /// `claude-haiku-4-5-20251001` → `claude-haiku-4-5`), or nil when the table does not price it. Reconciliation groups by this name.
    public func matchedModelName(provider: String?, model: String) -> String? {
        resolve(provider: provider, model: model).map { names[$0] }
    }

    /// The hot path: an exact name needs one hash lookup; every other name is resolved once and remembered.
    func resolve(provider: String?, model: String) -> Int? {
        if let hit = index[model] { return hit }
        let key = ResolutionCache.Key(provider: provider, model: model)
        if let cached = cache.lookup(key) { return cached.value }
        var found: Int?
        for name in ModelNameMatching.candidates(provider: provider, model: model).dropFirst() {
            if let hit = index[name] {
                found = hit
                break
            }
        }
        cache.store(key, found)
        return found
    }

    static func normalizedTier(_ tier: String?) -> String {
        guard let tier, !tier.isEmpty, tier != "standard" else { return defaultTier }
        return tier
    }

    static func period(entry: ModelEntry, serviceTier: String?, day: Int64) -> PricePeriod? {
        // A tier's own price wins; before its first date, or without one, the model's `*` price applies.
        if let periods = entry.tiers[normalizedTier(serviceTier)], let period = latest(periods, onOrBefore: day) {
            return period
        }
        guard let periods = entry.tiers[anyTier] else { return nil }
        return latest(periods, onOrBefore: day)
    }

    static func latest(_ periods: [PricePeriod], onOrBefore day: Int64) -> PricePeriod? {
        var chosen: PricePeriod?
        for period in periods {
            if period.fromDay > day { break }
            chosen = period
        }
        return chosen
    }

    static func quote(entry: ModelEntry, serviceTier: String?, usage: TokenUsage, day: Int64) -> CostQuote? {
        guard let period = period(entry: entry, serviceTier: serviceTier, day: day),
            let (cost, atInputPrice) = cost(period: period, usage: usage)
        else { return nil }
        return CostQuote(
            cost: Money(attodollars: cost),
            priceSource: period.source,
            cachedTokensAtInputPrice: atInputPrice
        )
    }

    /// The exact cost of `usage` at `period`'s prices, and the cached tokens charged at the input price; nil
    /// when the usage breaks the ledger's rules or a token class it uses has no price.
    static func cost(period: PricePeriod, usage: TokenUsage) -> (Int128, Int64)? {
        guard let uncached = uncachedInput(usage), let band = period.band(forInput: usage.input) else { return nil }
        return cost(rates: band.rates, usage: usage, uncached: uncached)
    }

    /// Input tokens less the cached and cache-write ones; nil when a count is negative or the subsets exceed
    /// the input (the ledger's rules).
    static func uncachedInput(_ usage: TokenUsage) -> Int128? {
        let input = usage.input
        guard input >= 0, usage.output >= 0, usage.cachedInput >= 0, usage.cacheWrite >= 0, usage.cacheWrite1h >= 0
        else { return nil }
        // Each count is below 2⁶³, so the sum of three fits in Int128 without overflow.
        let subsets = Int128(usage.cachedInput) + Int128(usage.cacheWrite) + Int128(usage.cacheWrite1h)
        guard subsets <= Int128(input) else { return nil }
        return Int128(input) - subsets
    }

    /// ``cost(period:usage:)`` once the band is chosen: `uncached` is input less its checked subsets.
    static func cost(rates: TokenRates, usage: TokenUsage, uncached: Int128) -> (Int128, Int64)? {
        let cached = usage.cachedInput
        let write = usage.cacheWrite
        let write1h = usage.cacheWrite1h
        let output = usage.output
        // Rates are at most 10¹⁸ attodollars per token and counts below 2⁶³: the total stays below 2¹²⁶.
        var total: Int128 = 0
        if uncached > 0 {
            guard let rate = rates.input else { return nil }
            total += rate * uncached
        }
        var atInputPrice: Int64 = 0
        if cached > 0 {
            if let rate = rates.cachedInput {
                total += rate * Int128(cached)
            } else if let rate = rates.input {
                total += rate * Int128(cached)
                atInputPrice = cached
            } else {
                return nil
            }
        }
        if write > 0 {
            guard let rate = rates.cacheWrite else { return nil }
            total += rate * Int128(write)
        }
        if write1h > 0 {
            guard let rate = rates.cacheWrite1h else { return nil }
            total += rate * Int128(write1h)
        }
        if output > 0 {
            guard let rate = rates.output else { return nil }
            total += rate * Int128(output)
        }
        return (total, atInputPrice)
    }
}

/// Model names resolved by the matching rules, remembered so each distinct name is resolved once.
///
/// Bounded: a ledger with more distinct unmatched names than ``limit`` resolves the rest every time, which
/// is slower but still correct.
final class ResolutionCache: Sendable {
    struct Key: Hashable, Sendable {
        var provider: String?
        var model: String
    }

    struct Resolved: Sendable {
        var value: Int?
    }

    static let limit = 65_536

    private let state = Lock<[Key: Resolved]>([:])

    func lookup(_ key: Key) -> Resolved? {
        state.withLock { $0[key] }
    }

    func store(_ key: Key, _ value: Int?) {
        state.withLock { map in
            if map.count < Self.limit { map[key] = Resolved(value: value) }
        }
    }
}
