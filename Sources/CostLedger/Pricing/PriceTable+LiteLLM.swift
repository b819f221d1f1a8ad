public import Attribution

extension PriceTable {
    /// Reads LiteLLM's `model_prices_and_context_window.json` as it is published, every entry.
    ///
    /// Each entry's per-token prices are read from `input_cost_per_token`, `output_cost_per_token`,
    /// `cache_read_input_token_cost`, `cache_creation_input_token_cost` and
    /// `cache_creation_input_token_cost_above_1hr`, each optionally followed by a long-context suffix
    /// `_above_{N}k_tokens` (the whole call is priced at that rate once its input exceeds N thousand tokens)
    /// and a tier suffix `_batches`, `_flex` or `_priority`. A `tiered_pricing` list of input-token `range`s
    /// prices the default tier by the range the call's input falls in, as LiteLLM does. An entry with no
    /// token price of its own that is an `alias_of` another entry takes that entry's prices.
    ///
    /// The file's numbers are written by Python from binary floats, so some carry noise below 10⁻¹⁸ USD
    /// (`2.9999900000000002e-06`): each price is read from its decimal text exactly, then rounded half-even to
    /// a whole number of attodollars. Other fields (images, audio, seconds, characters, capabilities) are
    /// ignored; `sample_spec`, entries that are not objects and entries without token prices are skipped,
    /// and a model they name stays unpriced.
    ///
    /// The file carries no dates: its prices apply to every day, or from `effectiveFrom`'s UTC day on.
    /// - Parameters:
    ///   - bytes: the file's UTF-8 content (at most ``maximumFileBytes``).
    ///   - effectiveFrom: the first UTC day the prices apply to; nil means every day.
    ///   - source: the table's name, written as `price_source` (default `litellm`).
    /// - Throws: ``CostLedgerError/Code/invalidPriceFile`` naming the model and field of a price that is not
    ///   a non-negative number of at most $1 per token, or when the file is not a JSON object or prices no
    ///   model at all.
    public init(
        litellmJSON bytes: some Collection<UInt8>,
        effectiveFrom: UTCTimestamp? = nil,
        source: String = "litellm"
    ) throws(CostLedgerError) {
        try self.init(litellm: Array(bytes), effectiveFrom: effectiveFrom, source: source)
    }

    /// Reads the file entry by entry: what is held is the file's bytes, one entry's tree and the prices kept.
    init(litellm bytes: [UInt8], effectiveFrom: UTCTimestamp?, source: String) throws(CostLedgerError) {
        var reader = try Self.stream(bytes)
        guard reader.nextIsObject else {
            let type = try reader.skipWhole()
            throw CostLedgerError(
                .invalidPriceFile,
                field: "price file",
                reason: "expected a JSON object of model name → prices, got \(type)"
            )
        }
        try reader.enter()
        let day = effectiveFrom?.utcDay ?? Int64.min
        var models: [String: ModelEntry] = [:]
        var aliases: [(name: String, target: String, provider: String?)] = []
        // Entries that are not an object of fields price nothing and are skipped, as is `sample_spec`, which
        // documents the format.
        while let name = try reader.nextKey() {
            guard name != "sample_spec", reader.nextIsObject, case .object(let object) = try reader.value() else {
                try reader.skip()
                continue
            }
            if let entry = try Self.litellmEntry(object, name: name, day: day, source: source) {
                models[name] = entry
            } else if let target = object["alias_of"]?.stringValue {
                aliases.append((name, target, object["litellm_provider"]?.stringValue))
            }
        }
        try reader.finish()
        // An alias is served as the entry it names, when that entry has prices of its own (LiteLLM drops an
        // alias of an alias, and so does this).
        let ownPrices = models
        for alias in aliases {
            guard let target = ownPrices[alias.target] else { continue }
            models[alias.name] = ModelEntry(
                provider: alias.provider ?? ModelNameMatching.providerPrefix(alias.name) ?? target.provider,
                tiers: target.tiers
            )
        }
        guard !models.isEmpty else {
            throw CostLedgerError(
                .invalidPriceFile,
                field: "price file",
                reason: "no entry has a token price (input_cost_per_token, output_cost_per_token, …): this is "
                    + "neither LiteLLM's price file nor the project's (a top-level \"models\" object)"
            )
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
        var tiered: JSONObject.Member?
        for member in object.members {
            if member.key == "litellm_provider" {
                provider = member.value.stringValue
                continue
            }
            if member.key == "tiered_pricing" {
                tiered = member
                continue
            }
            guard let field = LiteLLMField(member.key) else { continue }
            if case .null = member.value { continue }
            let rate = try litellmRate(member, field: name + "." + member.key)
            rates[RateKey(tier: field.tier, threshold: field.threshold), default: .none][field.tokenClass] = rate
            thresholds.insert(field.threshold)
        }
        if let tiered, let ranges = try litellmRanges(tiered, name: name) {
            // LiteLLM prices a model with ranges by its ranges alone: they replace the flat default prices.
            for key in rates.keys where key.tier == defaultTier { rates[key] = nil }
            for (start, range) in ranges {
                rates[RateKey(tier: defaultTier, threshold: start)] = range
                thresholds.insert(start)
            }
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

    /// A LiteLLM price in attodollars per token: read exactly, rounded half-even to a whole attodollar.
    static func litellmRate(_ member: JSONObject.Member, field: String) throws(CostLedgerError) -> Int128 {
        try perTokenRate(member, field: field, perMillion: false, roundingHalfEven: true)
    }

    /// The default-tier prices of a `tiered_pricing` list, by the input-token count each range starts above;
    /// nil when no element prices tokens (search entries price queries by result count there).
    ///
    /// A range `[start, end]` prices calls with `start < input ≤ end`; a call above the last range is priced
    /// by the last range, as LiteLLM does.
    private static func litellmRanges(
        _ member: JSONObject.Member,
        name: String
    ) throws(CostLedgerError) -> [(Int64, TokenRates)]? {
        let field = name + "." + member.key
        guard let list = member.value.arrayValue else {
            throw CostLedgerError(
                .invalidPriceFile,
                field: field,
                reason: "expected a list of priced input-token ranges, got \(member.value.typeName)"
            )
        }
        var ranges: [(Int64, TokenRates)] = []
        for (i, item) in list.enumerated() {
            let itemField = "\(field)[\(i)]"
            guard case .object(let object) = item else {
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: itemField,
                    reason: "expected an object with a range and prices, got \(item.typeName)"
                )
            }
            var rates = TokenRates.none
            for price in object.members {
                guard let priceField = LiteLLMField(price.key), priceField.threshold == 0,
                    priceField.tier == defaultTier
                else { continue }
                if case .null = price.value { continue }
                rates[priceField.tokenClass] = try litellmRate(price, field: itemField + "." + price.key)
            }
            if rates.isEmpty { continue }
            guard let bounds = object["range"]?.arrayValue, bounds.count == 2,
                let start = tokenCount(bounds[0]), let end = tokenCount(bounds[1]), start < end
            else {
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: itemField + ".range",
                    reason: "expected [start, end] whole input-token counts with start < end, got "
                        + (object["range"]?.typeName ?? "no range")
                )
            }
            guard !ranges.contains(where: { $0.0 == start }) else {
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: itemField + ".range",
                    reason: "a second range starting at \(start) input tokens"
                )
            }
            ranges.append((start, rates))
        }
        return ranges.isEmpty ? nil : ranges.sorted { $0.0 < $1.0 }
    }

    /// A whole, non-negative token count written as a JSON number (`256000` or `256000.0`).
    private static func tokenCount(_ value: JSONValue) -> Int64? {
        guard let text = value.numberText, let whole = Money.parse(decimal: text, shift: -Money.scale),
            whole.attodollars >= 0, whole.attodollars <= Int128(Int64.max)
        else { return nil }
        return Int64(whole.attodollars)
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
