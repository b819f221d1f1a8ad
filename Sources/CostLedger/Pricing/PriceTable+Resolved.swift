import Attribution

/// One model's prices for one service tier on one UTC day, looked up once: quoting from it needs no name
/// matching and no dictionary lookups. The audit keeps one per (model, tier, day) it meets and prices millions
/// of records from them; the result is exactly ``PriceTable/quote(provider:model:serviceTier:usage:on:)``'s.
package struct ResolvedPrices: Sendable {
    let period: PricePeriod

    /// The exact cost of `usage` in attodollars, and the cached tokens charged at the input price because the
    /// model has no cached price; nil when the call cannot be priced (see ``PriceTable/quote(provider:model:serviceTier:usage:on:)``).
    @inline(__always)
    package func quote(_ usage: TokenUsage) -> (attodollars: Int128, cachedTokensAtInputPrice: Int64)? {
        PriceTable.cost(period: period, usage: usage)
    }

    /// The rates, when one band prices every call (no surcharge for long prompts, the common case), as a plain
    /// value that is copied without reference counting; nil when the price has input-size bands.
    package var singleBand: SingleBandPrices? {
        guard period.bands.count == 1, period.bands[0].aboveInputTokens == 0 else { return nil }
        return SingleBandPrices(rates: period.bands[0].rates)
    }
}

/// A model's prices for one tier and day when one band covers every call: ``ResolvedPrices/quote(_:)``'s
/// result from plain integers, for the audit's per-record hot path.
package struct SingleBandPrices: Sendable, BitwiseCopyable {
    let rates: TokenRates

    /// The same result as the ``ResolvedPrices`` this came from.
    @inline(__always)
    package func quote(_ usage: TokenUsage) -> (attodollars: Int128, cachedTokensAtInputPrice: Int64)? {
        guard let uncached = PriceTable.uncachedInput(usage) else { return nil }
        return PriceTable.cost(rates: rates, usage: usage, uncached: uncached)
    }
}

extension PriceTable {
    /// The prices that apply to `model` (matched as SPEC section 5 says) in `serviceTier` on UTC day `day`
    /// (days since 1970-01-01), or nil when the table has none.
    package func resolvedPrices(provider: String?, model: String, serviceTier: String?, day: Int64) -> ResolvedPrices? {
        guard let entryIndex = resolve(provider: provider, model: model),
            let period = Self.period(entry: entries[entryIndex], serviceTier: serviceTier, day: day)
        else { return nil }
        return ResolvedPrices(period: period)
    }
}
