import Attribution

/// One model's prices for one service tier on one UTC day, looked up once: quoting from it needs no name
/// matching and no dictionary lookups. The audit keeps one per (model, tier, day) it meets and prices millions
/// of records from them; the result is exactly ``PriceTable/quote(provider:model:serviceTier:usage:on:)``'s.
package struct ResolvedPrices: Sendable {
    let period: PricePeriod

    /// The exact cost of `usage` in attodollars, and the cached tokens charged at the input price because the
    /// model has no cached price; nil when the call cannot be priced (see ``PriceTable/quote(provider:model:serviceTier:usage:on:)``).
    package func quote(_ usage: TokenUsage) -> (attodollars: Int128, cachedTokensAtInputPrice: Int64)? {
        PriceTable.cost(period: period, usage: usage)
    }

    /// The rates, when one band prices every call (no surcharge for long prompts, the common case), as a plain
    /// value that is copied without reference counting; nil when the price has input-size bands (or a rate
    /// outside what a table accepts, which only the general path handles).
    package var singleBand: SingleBandPrices? {
        guard period.bands.count == 1, period.bands[0].aboveInputTokens == 0 else { return nil }
        return SingleBandPrices(rates: period.bands[0].rates)
    }
}

/// A model's prices for one tier and day when one band covers every call: ``ResolvedPrices/quote(_:)``'s
/// result from plain integers, for the audit's per-record hot path.
///
/// Each rate is held as an `Int64` (a table's rates are at most 10¹⁸ attodollars per token), −1 when the
/// table has none, so that a quote multiplies 64-bit words into 128-bit products and the value is five words
/// that a cache reads in place.
package struct SingleBandPrices: Sendable, BitwiseCopyable {
    let input: Int64
    let output: Int64
    let cachedInput: Int64
    let cacheWrite: Int64
    let cacheWrite1h: Int64

    /// Nil when a rate is negative or above ``TokenRates/maximumPerToken``.
    init?(rates: TokenRates) {
        // −1 for a missing rate; nil for one out of bounds.
        func word(_ rate: Int128?) -> Int64? {
            guard let rate else { return -1 }
            guard rate >= 0, rate <= TokenRates.maximumPerToken else { return nil }
            return Int64(rate)
        }
        guard let input = word(rates.input), let output = word(rates.output),
            let cachedInput = word(rates.cachedInput), let cacheWrite = word(rates.cacheWrite),
            let cacheWrite1h = word(rates.cacheWrite1h)
        else { return nil }
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
    }

    /// Prices with no rate at all: a placeholder for a cache slot that holds none (it quotes nothing).
    package static var free: SingleBandPrices { SingleBandPrices(rates: .none)! }

    /// The same result as the ``ResolvedPrices`` this came from (``PriceTable/cost(rates:usage:uncached:)``'s
    /// rules, rate by rate).
    package func quote(_ usage: TokenUsage) -> (attodollars: Int128, cachedTokensAtInputPrice: Int64)? {
        guard let uncachedWide = PriceTable.uncachedInput(usage) else { return nil }
        // Below the input count, so below 2⁶³.
        let uncached = Int64(truncatingIfNeeded: uncachedWide)
        // Rates below 2⁶⁰ times counts below 2⁶³, five times: the total stays below 2¹²⁶.
        var total: Int128 = 0
        if uncached > 0 {
            guard input >= 0 else { return nil }
            total &+= Int128(input) &* Int128(uncached)
        }
        var atInputPrice: Int64 = 0
        let cached = usage.cachedInput
        if cached > 0 {
            if cachedInput >= 0 {
                total &+= Int128(cachedInput) &* Int128(cached)
            } else if input >= 0 {
                total &+= Int128(input) &* Int128(cached)
                atInputPrice = cached
            } else {
                return nil
            }
        }
        if usage.cacheWrite > 0 {
            guard cacheWrite >= 0 else { return nil }
            total &+= Int128(cacheWrite) &* Int128(usage.cacheWrite)
        }
        if usage.cacheWrite1h > 0 {
            guard cacheWrite1h >= 0 else { return nil }
            total &+= Int128(cacheWrite1h) &* Int128(usage.cacheWrite1h)
        }
        if usage.output > 0 {
            guard output >= 0 else { return nil }
            total &+= Int128(output) &* Int128(usage.output)
        }
        return (total, atInputPrice)
    }
}

extension PriceTable {
    /// The prices that apply to `model` (matched by the rules in `docs/prices.md`) in `serviceTier` on UTC day `day`
    /// (days since 1970-01-01), or nil when the table has none.
    package func resolvedPrices(provider: String?, model: String, serviceTier: String?, day: Int64) -> ResolvedPrices? {
        guard let entryIndex = resolve(provider: provider, model: model),
            let period = Self.period(entry: entries[entryIndex], serviceTier: serviceTier, day: day)
        else { return nil }
        return ResolvedPrices(period: period)
    }
}
