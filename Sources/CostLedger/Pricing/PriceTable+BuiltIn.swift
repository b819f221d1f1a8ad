extension PriceTable {
    /// The `price_source` of prices from the built-in table.
    public static let builtInSource = "builtin-2025-06-10"

    /// The built-in defaults of SPEC section 5, in USD per million tokens, default tier only:
    ///
    /// | model | input | cached input | output | in effect |
    /// |---|---|---|---|---|
    /// | `o3` | 10.00 | 2.50 | 40.00 | until 2025-06-09 |
    /// | `o3` | 2.00 | 0.50 | 8.00 | from 2025-06-10 |
    /// | `gpt-4.1` | 2.00 | 0.50 | 8.00 | always |
    /// | `codex-1` | 2.50 | — | 10.00 | always |
    ///
    /// Batch, flex and priority calls are unpriced by this table: those tiers cost differently and the
    /// seed's table does not say how much. Load a price file for them.
    public static let builtIn: PriceTable = {
        func rates(inputCents: Int128, outputCents: Int128, cachedCents: Int128?) -> TokenRates {
            // One cent per million tokens is 10⁻⁸ USD per token: 10¹⁰ attodollars.
            let perCent: Int128 = 10_000_000_000
            return TokenRates(
                input: inputCents * perCent,
                output: outputCents * perCent,
                cachedInput: cachedCents.map { $0 * perCent }
            )
        }
        func period(from day: Int64, _ rates: TokenRates) -> PricePeriod {
            PricePeriod(fromDay: day, source: builtInSource, bands: [PriceBand(aboveInputTokens: 0, rates: rates)])
        }
        let always = Int64.min
        // 2025-06-10: days since 1970-01-01.
        let o3PriceCut: Int64 = 20_249
        let models: [String: ModelEntry] = [
            "o3": ModelEntry(
                provider: "openai",
                tiers: [
                    defaultTier: [
                        period(from: always, rates(inputCents: 1000, outputCents: 4000, cachedCents: 250)),
                        period(from: o3PriceCut, rates(inputCents: 200, outputCents: 800, cachedCents: 50)),
                    ]
                ]
            ),
            "gpt-4.1": ModelEntry(
                provider: "openai",
                tiers: [defaultTier: [period(from: always, rates(inputCents: 200, outputCents: 800, cachedCents: 50))]]
            ),
            "codex-1": ModelEntry(
                provider: "openai",
                tiers: [
                    defaultTier: [period(from: always, rates(inputCents: 250, outputCents: 1000, cachedCents: nil))]
                ]
            ),
        ]
        return PriceTable(source: builtInSource, isBuiltIn: true, models: models)
    }()
}
