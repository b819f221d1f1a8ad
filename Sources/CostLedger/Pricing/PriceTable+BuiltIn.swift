extension PriceTable {
    /// The `price_source` of prices from the built-in table: `builtin-` and the day its prices were taken.
    public static let builtInSource = "builtin-2026-12-06"

    /// Prices for the OpenAI and Anthropic models a user meets without a price file, default tier only.
    ///
    /// OpenAI: GPT-4.1 (mini, nano), GPT-4o (mini), o1, o3 (with its price cut of 2025-06-10), o4-mini,
    /// codex-1 and their successors (o1-pro, o3-mini, o3-pro, the GPT-5, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 6 and
    /// 6.1 families). Anthropic: every Claude Haiku, Sonnet, Opus, Fable and Mythos generation Anthropic
    /// lists, with cache reads and 5-minute and 1-hour cache writes. Long-context prices (above 272k input
    /// tokens for GPT-5.4 and later, above 100k for Claude Haiku 5.5) are included. Each price, its date and
    /// its source are listed in `docs/prices.md`.
    ///
    /// Names match by the usual rules: `claude-haiku-4-5-20251001` takes `claude-haiku-4-5`'s price and
    /// `anthropic/claude-opus-4-7` takes `claude-opus-4-7`'s; a model not listed stays unpriced.
    ///
    /// Batch, flex and priority calls are unpriced by this table: those tiers cost differently. Load a price
    /// file for them (`PriceTable.builtIn.overlaying(try PriceTable(contentsOfFile: path))`).
    public static let builtIn: PriceTable = {
        var models: [String: ModelEntry] = [:]
        for (provider, prices) in [("openai", BuiltInPrices.openAI), ("anthropic", BuiltInPrices.anthropic)] {
            for price in prices {
                guard let day = price.from.map(ModelNameMatching.parseDay) ?? Int64.min else { continue }
                var entry = models[price.model] ?? ModelEntry(provider: provider, tiers: [:])
                var periods = entry.tiers[defaultTier] ?? []
                let band = PriceBand(aboveInputTokens: price.aboveInputTokens, rates: price.rates)
                if let i = periods.firstIndex(where: { $0.fromDay == day }) {
                    periods[i].bands.append(band)
                    periods[i].bands.sort { $0.aboveInputTokens < $1.aboveInputTokens }
                } else {
                    periods.append(PricePeriod(fromDay: day, source: builtInSource, bands: [band]))
                    periods.sort { $0.fromDay < $1.fromDay }
                }
                entry.tiers[defaultTier] = periods
                models[price.model] = entry
            }
        }
        return PriceTable(source: builtInSource, isBuiltIn: true, models: models)
    }()
}

/// One price of the built-in table: USD per million tokens, default tier, as decimal text.
struct BuiltInPrice: Sendable {
    var model: String
    /// The first UTC day, `YYYY-MM-DD`; nil: from the beginning.
    var from: String?
    /// A long-context band: these prices apply to calls with more input tokens than this.
    var aboveInputTokens: Int64
    var input: String
    var output: String
    var read: String?
    var write: String?
    var write1h: String?

    /// Per-token rates; a text that is not an exact price leaves its class without a price (never a guess;
    /// a test checks that every built-in price reads).
    var rates: TokenRates {
        func perToken(_ text: String?) -> Int128? {
            text.flatMap { Money.parse(decimal: $0, shift: -6)?.attodollars }
        }
        return TokenRates(
            input: perToken(input),
            output: perToken(output),
            cachedInput: perToken(read),
            cacheWrite: perToken(write),
            cacheWrite1h: perToken(write1h)
        )
    }
}

/// The built-in table's prices.
///
/// Source, unless a comment beside a price says otherwise: the entry of the same name in LiteLLM 1.110.2's
/// `model_prices_and_context_window_backup.json` (the file committed as
/// `Tests/CostLedgerTests/Fixtures/litellm-1.110.2/model_prices_and_context_window_backup.json`), taken
/// 2026-12-06, where LiteLLM records the providers' published prices: https://platform.openai.com/docs/pricing
/// and https://docs.anthropic.com/en/docs/about-claude/pricing. A test compares every price here with that
/// file.
enum BuiltInPrices {
    static func price(
        _ model: String,
        from: String? = nil,
        above: Int64 = 0,
        _ input: String,
        _ output: String,
        read: String? = nil,
        write: String? = nil,
        write1h: String? = nil
    ) -> BuiltInPrice {
        BuiltInPrice(
            model: model,
            from: from,
            aboveInputTokens: above,
            input: input,
            output: output,
            read: read,
            write: write,
            write1h: write1h
        )
    }

    /// OpenAI (https://platform.openai.com/docs/pricing), standard tier: input, output, cached input; the GPT-5.6
    /// and GPT-6 families also price cache writes.
    static let openAI: [BuiltInPrice] = [
        // Each price: LiteLLM 1.110.2's entry of the same name, taken 2026-12-06, unless a comment says otherwise.
        price("gpt-4.1", "2.00", "8.00", read: "0.50"),
        price("gpt-4.1-mini", "0.40", "1.60", read: "0.10"),
        price("gpt-4.1-nano", "0.10", "0.40", read: "0.025"),
        price("gpt-4o", "2.50", "10.00", read: "1.25"),
        // A snapshot priced apart from its model: the dated name is matched exactly, before `gpt-4o`.
        price("gpt-4o-2024-05-13", "5.00", "15.00"),
        price("gpt-4o-mini", "0.15", "0.60", read: "0.075"),
        price("o1", "15.00", "60.00", read: "7.50"),
        price("o1-pro", "150.00", "600.00"),
        // o3 before OpenAI's price cut of 2025-06-10: the project's first built-in table (OpenAI's pricing
        // page until that day); from that day on, LiteLLM's.
        price("o3", "10.00", "40.00", read: "2.50"),
        price("o3", from: "2025-06-10", "2.00", "8.00", read: "0.50"),
        price("o3-mini", "1.10", "4.40", read: "0.55"),
        price("o3-pro", "20.00", "80.00"),
        price("o4-mini", "1.10", "4.40", read: "0.275"),
        // LiteLLM 1.110.2 has no codex-1: the project's first built-in table (2025-06-10), no cached price.
        price("codex-1", "2.50", "10.00"),
        price("gpt-5", "1.25", "10.00", read: "0.125"),
        price("gpt-5-mini", "0.25", "2.00", read: "0.025"),
        price("gpt-5-nano", "0.05", "0.40", read: "0.005"),
        price("gpt-5-pro", "15.00", "120.00"),
        price("gpt-5-codex", "1.25", "10.00", read: "0.125"),
        price("gpt-5.1", "1.25", "10.00", read: "0.125"),
        price("gpt-5.1-codex", "1.25", "10.00", read: "0.125"),
        price("gpt-5.1-codex-mini", "0.25", "2.00", read: "0.025"),
        price("gpt-5.1-codex-max", "1.25", "10.00", read: "0.125"),
        price("gpt-5.2", "1.75", "14.00", read: "0.175"),
        price("gpt-5.2-pro", "21.00", "168.00"),
        price("gpt-5.2-codex", "1.75", "14.00", read: "0.175"),
        price("gpt-5.3-codex", "1.75", "14.00", read: "0.175"),
        price("gpt-5.4", "2.50", "15.00", read: "0.25"),
        price("gpt-5.4", above: 272_000, "5.00", "22.50", read: "0.50"),
        price("gpt-5.4-mini", "0.75", "4.50", read: "0.075"),
        price("gpt-5.4-nano", "0.20", "1.25", read: "0.02"),
        price("gpt-5.4-pro", "30.00", "180.00"),
        price("gpt-5.4-pro", above: 272_000, "60.00", "270.00"),
        price("gpt-5.5", "5.00", "30.00", read: "0.50"),
        price("gpt-5.5", above: 272_000, "10.00", "45.00", read: "1.00"),
        price("gpt-5.5-pro", "30.00", "180.00"),
        price("gpt-5.5-pro", above: 272_000, "60.00", "270.00"),
        price("gpt-5.6", "4.00", "20.00", read: "0.40", write: "5.00"),
        price("gpt-5.6", above: 272_000, "8.00", "30.00", read: "0.80", write: "10.00"),
        price("gpt-5.6-sol", "4.00", "20.00", read: "0.40", write: "5.00"),
        price("gpt-5.6-sol", above: 272_000, "8.00", "30.00", read: "0.80", write: "10.00"),
        price("gpt-5.6-terra", "2.00", "12.00", read: "0.20", write: "2.50"),
        price("gpt-5.6-terra", above: 272_000, "4.00", "18.00", read: "0.40", write: "5.00"),
        price("gpt-5.6-luna", "0.20", "1.20", read: "0.02", write: "0.25"),
        price("gpt-5.6-luna", above: 272_000, "0.40", "1.80", read: "0.04", write: "0.50"),
        price("gpt-6-astra", "10.00", "50.00", read: "1.00", write: "12.50"),
        price("gpt-6-astra", above: 272_000, "20.00", "75.00", read: "2.00", write: "25.00"),
        price("gpt-6-sol", "2.00", "10.00", read: "0.20", write: "2.50"),
        price("gpt-6-sol", above: 272_000, "4.00", "15.00", read: "0.40", write: "5.00"),
        price("gpt-6-luna", "0.10", "0.50", read: "0.01", write: "0.125"),
        price("gpt-6-luna", above: 272_000, "0.20", "0.75", read: "0.02", write: "0.25"),
        price("gpt-6.1-sol", "2.00", "10.00", read: "0.10", write: "2.50"),
        price("gpt-6.1-sol", above: 272_000, "4.00", "15.00", read: "0.20", write: "5.00"),
        price("gpt-6.1-terra", "1.00", "5.00", read: "0.05", write: "1.25"),
        price("gpt-6.1-terra", above: 272_000, "2.00", "7.50", read: "0.10", write: "2.50"),
    ]

    /// Anthropic (https://docs.anthropic.com/en/docs/about-claude/pricing): input, output, cache reads,
    /// 5-minute and 1-hour cache writes.
    static let anthropic: [BuiltInPrice] = [
        // Each price: LiteLLM 1.110.2's entry of the same name, taken 2026-12-06.
        price("claude-haiku-4-5", "1.00", "5.00", read: "0.10", write: "1.25", write1h: "2.00"),
        price("claude-haiku-5-5", "0.10", "0.50", read: "0.01", write: "0.125", write1h: "0.20"),
        price("claude-haiku-5-5", above: 100_000, "0.50", "2.50", read: "0.05", write: "0.625", write1h: "1.00"),
        price("claude-sonnet-4-5", "3.00", "15.00", read: "0.30", write: "3.75", write1h: "6.00"),
        price("claude-sonnet-4-6", "3.00", "15.00", read: "0.30", write: "3.75", write1h: "6.00"),
        price("claude-sonnet-5", "2.00", "10.00", read: "0.20", write: "2.50", write1h: "4.00"),
        price("claude-sonnet-5-5", "2.00", "10.00", read: "0.10", write: "2.50", write1h: "4.00"),
        price("claude-opus-4-5", "5.00", "25.00", read: "0.50", write: "6.25", write1h: "10.00"),
        price("claude-opus-4-6", "5.00", "25.00", read: "0.50", write: "6.25", write1h: "10.00"),
        price("claude-opus-4-7", "5.00", "25.00", read: "0.50", write: "6.25", write1h: "10.00"),
        price("claude-opus-4-8", "5.00", "25.00", read: "0.50", write: "6.25", write1h: "10.00"),
        price("claude-opus-5", "5.00", "25.00", read: "0.50", write: "6.25", write1h: "10.00"),
        price("claude-opus-5-5", "4.00", "20.00", read: "0.20", write: "5.00", write1h: "8.00"),
        price("claude-fable-5", "10.00", "50.00", read: "1.00", write: "12.50", write1h: "20.00"),
        price("claude-fable-5-1", "10.00", "50.00", read: "0.25", write: "12.50", write1h: "20.00"),
        price("claude-mythos-5", "10.00", "50.00", read: "1.00", write: "12.50", write1h: "20.00"),
        price("claude-mythos-5-1", "10.00", "50.00", read: "0.25", write: "12.50", write1h: "20.00"),
    ]
}
