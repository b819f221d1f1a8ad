public import Attribution

extension PriceTable {
    /// Reads LiteLLM's `model_prices_and_context_window.json` as it is published.
    ///
    /// Each entry's per-token prices are read exactly: `input_cost_per_token`, `output_cost_per_token`,
    /// `cache_read_input_token_cost`, `cache_creation_input_token_cost` and
    /// `cache_creation_input_token_cost_above_1hr`, each optionally followed by a long-context suffix
    /// `_above_{N}k_tokens` (the whole call is priced at that rate once its input exceeds N thousand tokens)
    /// and a tier suffix `_batches`, `_flex` or `_priority`. Other fields (images, audio, characters,
    /// capabilities) are ignored; `sample_spec` and entries without token prices are skipped.
    ///
    /// The file carries no dates: its prices apply to every day, or from `effectiveFrom`'s UTC day on.
    /// - Parameters:
    ///   - bytes: the file's UTF-8 content (at most ``maximumFileBytes``).
    ///   - effectiveFrom: the first UTC day the prices apply to; nil means every day.
    ///   - source: the table's name, written as `price_source` (default `litellm`).
    /// - Throws: ``CostLedgerError/Code/invalidPriceFile`` naming the model and field of a price that is not
    ///   an exact, non-negative number, or when the file is not a JSON object.
    public init(
        litellmJSON bytes: some Collection<UInt8>,
        effectiveFrom: UTCTimestamp? = nil,
        source: String = "litellm"
    ) throws(CostLedgerError) {
        try self.init(litellm: try Self.parseJSON(bytes), effectiveFrom: effectiveFrom, source: source)
    }

    init(litellm value: JSONValue, effectiveFrom: UTCTimestamp?, source: String) throws(CostLedgerError) {
        guard case .object(let top) = value else {
            throw CostLedgerError(
                .invalidPriceFile,
                field: "price file",
                reason: "expected a JSON object of model name → prices, got \(value.typeName)"
            )
        }
        let day = effectiveFrom?.utcDay ?? Int64.min
        var models: [String: ModelEntry] = [:]
        for member in top.members where member.key != "sample_spec" {
            guard case .object(let object) = member.value else {
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: member.key,
                    reason: "expected an object of prices, got \(member.value.typeName)"
                )
            }
            if let entry = try Self.litellmEntry(object, name: member.key, day: day, source: source) {
                models[member.key] = entry
            }
        }
        self.init(source: source, models: models)
    }

    private struct RateKey: Hashable {
        var tier: String
        var threshold: Int64
    }

    private static func litellmEntry(
        _ object: JSONObject,
        name: String,
        day: Int64,
        source: String
    ) throws(CostLedgerError) -> ModelEntry? {
        var provider: String?
        var rates: [RateKey: TokenRates] = [:]
        var thresholds: Set<Int64> = [0]
        for member in object.members {
            if member.key == "litellm_provider" {
                provider = member.value.stringValue
                continue
            }
            guard let field = LiteLLMField(member.key) else { continue }
            if case .null = member.value { continue }
            let rate = try perTokenRate(member, field: name + "." + member.key, perMillion: false)
            rates[RateKey(tier: field.tier, threshold: field.threshold), default: .none][field.tokenClass] = rate
            thresholds.insert(field.threshold)
        }
        guard !rates.isEmpty else { return nil }
        let ordered = thresholds.sorted()
        var tiers: [String: [PricePeriod]] = [:]
        for tier in Set(rates.keys.map(\.tier)) {
            // Every long-context threshold of the model applies to every tier: a tier without a price above a
            // threshold leaves calls above it unpriced rather than charging them the lower rate.
            let bands = ordered.map { threshold in
                PriceBand(aboveInputTokens: threshold, rates: rates[RateKey(tier: tier, threshold: threshold)] ?? .none)
            }
            tiers[tier] = [PricePeriod(fromDay: day, source: source, bands: bands)]
        }
        return ModelEntry(provider: provider ?? ModelNameMatching.providerPrefix(name), tiers: tiers)
    }
}

/// A LiteLLM price field name decoded: `{class}[_above_{N}k_tokens][_batches|_flex|_priority]`.
struct LiteLLMField: Hashable {
    var tokenClass: TokenClass
    var threshold: Int64
    var tier: String

    /// Longest names first, so `cache_creation_input_token_cost_above_1hr` is not read as a 5-minute write.
    private static let classes: [(String, TokenClass)] = [
        ("cache_creation_input_token_cost_above_1hr", .cacheWrite1h),
        ("cache_creation_input_token_cost", .cacheWrite),
        ("cache_read_input_token_cost", .cachedInput),
        ("output_cost_per_token", .output),
        ("input_cost_per_token", .input),
    ]

    private static let tiers: [(String, String)] = [
        ("_batches", "batch"), ("_flex", "flex"), ("_priority", "priority"),
    ]

    init?(_ key: String) {
        var rest = Substring(key)
        guard let (prefix, tokenClass) = Self.classes.first(where: { rest.hasPrefix($0.0) }) else { return nil }
        rest = rest.dropFirst(prefix.count)
        var threshold: Int64 = 0
        if rest.hasPrefix("_above_") {
            let afterAbove = rest.dropFirst("_above_".count)
            let digits = afterAbove.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, digits.count <= 9, let count = Int64(digits) else { return nil }
            var unitRest = afterAbove.dropFirst(digits.count)
            let multiplier: Int64
            if unitRest.hasPrefix("k_tokens") {
                multiplier = 1000
                unitRest = unitRest.dropFirst("k_tokens".count)
            } else if unitRest.hasPrefix("m_tokens") {
                multiplier = 1_000_000
                unitRest = unitRest.dropFirst("m_tokens".count)
            } else {
                return nil
            }
            guard count > 0 else { return nil }
            threshold = count * multiplier
            rest = unitRest
        }
        var tier = PriceTable.defaultTier
        if let (suffix, name) = Self.tiers.first(where: { rest.hasPrefix($0.0) }) {
            tier = name
            rest = rest.dropFirst(suffix.count)
        }
        guard rest.isEmpty else { return nil }
        self.tokenClass = tokenClass
        self.threshold = threshold
        self.tier = tier
    }
}
