public import Attribution
import Foundation

extension PriceTable {
    /// Price files larger than this are refused before they are read (LiteLLM's file is about 3.5 MiB).
    public static let maximumFileBytes = 64 << 20

    /// Deepest JSON nesting a price file may have.
    static let maximumDepth = 32

    static let jsonLimits = JSONParser.Limits(maxBytes: maximumFileBytes, maxDepth: maximumDepth)

    /// Reads a price file: the project's own format (a top-level `models` object) or LiteLLM's
    /// `model_prices_and_context_window.json`, told apart by content.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - effectiveFrom: the first UTC day of prices that carry no date of their own (all of LiteLLM's);
    ///     nil means they apply to every day. The CLI's `--prices-effective-from DATE`.
    /// - Throws: ``CostLedgerError/Code/io`` when the file cannot be read,
    ///   ``CostLedgerError/Code/invalidPriceFile`` naming the model and field when it is malformed or larger
    ///   than ``maximumFileBytes``.
    public init(contentsOfFile path: String, effectiveFrom: UTCTimestamp? = nil) throws(CostLedgerError) {
        try self.init(priceFileOrLiteLLMJSON: Array(try Self.readFile(path)), effectiveFrom: effectiveFrom)
    }

    /// Reads a price file already in memory: the project's own format (a top-level `models` object) or
    /// LiteLLM's `model_prices_and_context_window.json`, told apart by content.
    ///
    /// - Parameters:
    ///   - bytes: the file's bytes, at most ``maximumFileBytes``.
    ///   - effectiveFrom: as in ``init(contentsOfFile:effectiveFrom:)``.
    /// - Throws: ``CostLedgerError/Code/invalidPriceFile`` naming the model and field when it is malformed.
    public init(
        priceFileOrLiteLLMJSON bytes: some Collection<UInt8>,
        effectiveFrom: UTCTimestamp? = nil
    ) throws(CostLedgerError) {
        let bytes = Array(bytes)
        if Self.hasModelsObject(bytes) {
            try self.init(priceFile: bytes, source: nil, effectiveFrom: effectiveFrom)
        } else {
            try self.init(litellm: bytes, effectiveFrom: effectiveFrom, source: "litellm")
        }
    }

    /// Whether `bytes` are a JSON object whose `models` member is an object (the project's own format), read
    /// without keeping anything.
    static func hasModelsObject(_ bytes: [UInt8]) -> Bool {
        guard var stream = try? JSONParser.Stream(bytes, limits: jsonLimits), stream.nextIsObject,
            (try? stream.enter()) != nil
        else { return false }
        while let key = try? stream.nextKey() {
            if key == "models" { return stream.nextIsObject }
            guard (try? stream.skip()) != nil else { return false }
        }
        return false
    }

    /// A price file read container by container, its errors as ``CostLedgerError/Code/invalidPriceFile``:
    /// what is held is the file's bytes, one model's tree and the prices kept.
    static func stream(_ bytes: [UInt8]) throws(CostLedgerError) -> JSONParser.DecoderStream<CostLedgerError> {
        try JSONParser.Stream.reading(bytes, limits: jsonLimits, field: "price file") { error in
            CostLedgerError(.invalidPriceFile, field: error.field, reason: error.reason)
        }
    }

    /// Reads the project's own price file (see `docs/prices.md`):
    ///
    /// ```json
    /// {"source": "acme-2025-08", "models": {"openai/gpt-4.1": [
    ///   {"effective_from": "2025-04-14", "tier": "default", "input": "2.00", "output": "8.00",
    ///    "cached_input": "0.50"}]}}
    /// ```
    ///
    /// Prices are USD per million tokens, as decimal strings or JSON numbers, both read exactly.
    /// - Parameters:
    ///   - bytes: the file's UTF-8 content.
    ///   - source: the table's name, overriding the file's `source` (default `price-file`).
    ///   - effectiveFrom: the first day of prices without an `effective_from`; nil means every day.
    /// - Throws: ``CostLedgerError/Code/invalidPriceFile`` naming the model and field at fault.
    public init(
        priceFileJSON bytes: some Collection<UInt8>,
        source: String? = nil,
        effectiveFrom: UTCTimestamp? = nil
    ) throws(CostLedgerError) {
        try self.init(priceFile: Array(bytes), source: source, effectiveFrom: effectiveFrom)
    }

    /// Reads the own format in two passes, so that no tree of the whole file is built: the first reads the
    /// top level (`source`, `description`) and checks the whole text, the second reads the models one at a
    /// time. A syntax error inside `models` is left to the second pass, which names the value's full path.
    init(
        priceFile bytes: [UInt8],
        source sourceOverride: String?,
        effectiveFrom: UTCTimestamp?
    ) throws(CostLedgerError) {
        var top = try Self.stream(bytes)
        guard top.nextIsObject else {
            let type = try top.skipWhole()
            throw CostLedgerError(
                .invalidPriceFile,
                field: "price file",
                reason: "expected a JSON object with \"models\", got \(type)"
            )
        }
        try top.enter()
        var fileSource = "price-file"
        var hasModels = false
        var modelsChecked = true
        topLevel: while let key = try top.nextKey() {
            switch key {
            case "source":
                let member = JSONObject.Member(key: key, value: try top.value())
                guard let text = member.value.stringValue, !text.isEmpty, text.utf8.count <= 256 else {
                    throw CostLedgerError(
                        .invalidPriceFile,
                        field: "source",
                        reason: "expected a non-empty string of at most 256 bytes, got \(Self.describe(member))"
                    )
                }
                fileSource = text
            case "models":
                guard top.nextIsObject else {
                    let type = try top.skip()
                    throw CostLedgerError(
                        .invalidPriceFile,
                        field: "models",
                        reason: "expected an object of model name → prices, got \(type)"
                    )
                }
                hasModels = true
                do throws(CostLedgerError) {
                    try top.skip()
                } catch {
                    modelsChecked = false
                    break topLevel
                }
            case "description":
                let member = JSONObject.Member(key: key, value: try top.value())
                guard member.value.stringValue != nil else {
                    throw CostLedgerError(
                        .invalidPriceFile,
                        field: "description",
                        reason: "expected a string, got \(member.value.typeName)"
                    )
                }
            default:
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: key,
                    reason: "unknown key; a price file has \"source\", \"description\" and \"models\""
                )
            }
        }
        if modelsChecked { try top.finish() }
        guard hasModels else {
            throw CostLedgerError(.invalidPriceFile, field: "models", reason: "missing: the file prices no model")
        }
        let tableSource = sourceOverride ?? fileSource
        let defaultDay = effectiveFrom?.utcDay ?? Int64.min
        var models: [String: ModelEntry] = [:]
        var reader = try Self.stream(bytes)
        try reader.enter()
        while let key = try reader.nextKey(), key != "models" { try reader.skip() }
        try reader.enter()
        while let name = try reader.nextKey() {
            let member = JSONObject.Member(key: name, value: try reader.value())
            let field = "models." + name
            guard !name.isEmpty, name.utf8.count <= 256, !name.unicodeScalars.contains(where: { $0.value < 0x20 })
            else {
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: "models",
                    reason: "model names are 1 to 256 bytes without control characters, got "
                        + AttributionError.quote(name)
                )
            }
            guard let list = member.value.arrayValue, !list.isEmpty else {
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: field,
                    reason: "expected a non-empty array of prices, got \(Self.describe(member))"
                )
            }
            models[name] = try Self.entry(
                list,
                field: field,
                provider: ModelNameMatching.providerPrefix(name),
                source: tableSource,
                defaultDay: defaultDay
            )
        }
        self.init(source: tableSource, models: models)
    }

    private struct PeriodKey: Hashable {
        var tier: String
        var day: Int64
    }

    private static func entry(
        _ list: [JSONValue],
        field: String,
        provider: String?,
        source: String,
        defaultDay: Int64
    ) throws(CostLedgerError) -> ModelEntry {
        var bands: [PeriodKey: [PriceBand]] = [:]
        for (i, item) in list.enumerated() {
            let itemField = "\(field)[\(i)]"
            guard case .object(let object) = item else {
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: itemField,
                    reason: "expected an object of prices, got \(item.typeName)"
                )
            }
            var tier = defaultTier
            var day = defaultDay
            var threshold: Int64 = 0
            var rates = TokenRates.none
            for member in object.members {
                let memberField = itemField + "." + member.key
                switch member.key {
                case "effective_from":
                    guard let text = member.value.stringValue, let parsed = ModelNameMatching.parseDay(text) else {
                        throw CostLedgerError(
                            .invalidPriceFile,
                            field: memberField,
                            reason: "expected a UTC day YYYY-MM-DD, got \(describe(member))"
                        )
                    }
                    day = parsed
                case "tier":
                    guard let text = member.value.stringValue, isTierName(text) else {
                        throw CostLedgerError(
                            .invalidPriceFile,
                            field: memberField,
                            reason: "expected \"default\", \"batch\", \"flex\", \"priority\", \"*\" (every tier) or "
                                + "another tier name of 1 to 32 characters a-z 0-9 _ -, got \(describe(member))"
                        )
                    }
                    tier = normalizedTier(text)
                case "above_input_tokens":
                    guard let value = member.value.integerValue, value >= 1 else {
                        throw CostLedgerError(
                            .invalidPriceFile,
                            field: memberField,
                            reason: "expected a positive integer number of input tokens, got \(describe(member))"
                        )
                    }
                    threshold = Int64(value)
                default:
                    guard let tokenClass = TokenClass.allCases.first(where: { $0.fileField == member.key }) else {
                        throw CostLedgerError(
                            .invalidPriceFile,
                            field: memberField,
                            reason: "unknown key; a price has effective_from, tier, above_input_tokens, input, "
                                + "output, cached_input, cache_write and cache_write_1h"
                        )
                    }
                    rates[tokenClass] = try perTokenRate(member, field: memberField, perMillion: true)
                }
            }
            for required in [TokenClass.input, .output] where rates[required] == nil {
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: itemField + "." + required.fileField,
                    reason: "missing: every price gives input and output (write \"0\" for a free class)"
                )
            }
            let key = PeriodKey(tier: tier, day: day)
            if bands[key, default: []].contains(where: { $0.aboveInputTokens == threshold }) {
                let date = day == Int64.min ? "always" : "from " + ModelNameMatching.formatDay(day)
                let band = threshold == 0 ? "" : " above \(threshold) input tokens"
                throw CostLedgerError(
                    .invalidPriceFile,
                    field: itemField,
                    reason: "a second price for tier \"\(tier)\"\(band), \(date)"
                )
            }
            bands[key, default: []].append(PriceBand(aboveInputTokens: threshold, rates: rates))
        }
        var tiers: [String: [PricePeriod]] = [:]
        for (key, list) in bands {
            let sorted = list.sorted { $0.aboveInputTokens < $1.aboveInputTokens }
            tiers[key.tier, default: []].append(PricePeriod(fromDay: key.day, source: source, bands: sorted))
        }
        for tier in tiers.keys { tiers[tier]?.sort { $0.fromDay < $1.fromDay } }
        return ModelEntry(provider: provider, tiers: tiers)
    }

    static func isTierName(_ text: String) -> Bool {
        if text == anyTier { return true }
        guard !text.isEmpty, text.utf8.count <= 32 else { return false }
        return text.utf8.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
    }

    /// A price's per-token amount in attodollars, from a decimal string or a JSON number.
    /// - Parameters:
    ///   - perMillion: whether the text is USD per million tokens (else USD per token).
    ///   - roundingHalfEven: whether a price finer than 10⁻¹⁸ USD per token is rounded half-even to a whole
    ///     attodollar (LiteLLM's float-written numbers) rather than refused (the project's own file).
    static func perTokenRate(
        _ member: JSONObject.Member,
        field: String,
        perMillion: Bool,
        roundingHalfEven: Bool = false
    ) throws(CostLedgerError) -> Int128 {
        let unit = perMillion ? "USD per million tokens" : "USD per token"
        let text: String
        switch member.value {
        case .number(let n): text = n
        case .string(let s): text = s
        default:
            throw CostLedgerError(
                .invalidPriceFile,
                field: field,
                reason: "expected a price in \(unit) as a decimal string or number, got \(member.value.typeName)"
            )
        }
        let shift = perMillion ? -6 : 0
        let parsed =
            roundingHalfEven
            ? Money.parse(decimalRoundingHalfEven: text, shift: shift) : Money.parse(decimal: text, shift: shift)
        guard let money = parsed else {
            throw CostLedgerError(
                .invalidPriceFile,
                field: field,
                reason: roundingHalfEven
                    ? "expected a decimal number of \(unit), got \(AttributionError.quote(text))"
                    : "expected a decimal number of \(unit) exact to 10⁻¹⁸ USD per token, got "
                        + AttributionError.quote(text)
            )
        }
        guard money.attodollars >= 0 else {
            throw CostLedgerError(
                .invalidPriceFile,
                field: field,
                reason: "a price cannot be negative, got \(AttributionError.quote(text))"
            )
        }
        guard money.attodollars <= TokenRates.maximumPerToken else {
            throw CostLedgerError(
                .invalidPriceFile,
                field: field,
                reason: "a price above $1 per token ($1,000,000 per million) is refused, got "
                    + AttributionError.quote(text)
            )
        }
        return money.attodollars
    }

    static func describe(_ member: JSONObject.Member) -> String {
        switch member.value {
        case .string(let s): return AttributionError.quote(s)
        case .number(let n): return n
        default: return member.value.typeName
        }
    }

    static func parseJSON(_ bytes: some Collection<UInt8>) throws(CostLedgerError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes, limits: jsonLimits, field: "price file")
        } catch {
            throw CostLedgerError(.invalidPriceFile, field: error.field, reason: error.reason)
        }
    }

    static func readFile(_ path: String) throws(CostLedgerError) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CostLedgerError(.io, field: path, reason: "cannot open the price file")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maximumFileBytes + 1) ?? Data()
        } catch {
            throw CostLedgerError(.io, field: path, reason: "cannot read the price file: \(error)")
        }
        guard data.count <= maximumFileBytes else {
            throw CostLedgerError(
                .invalidPriceFile,
                field: path,
                reason: "the price file is larger than the limit of \(maximumFileBytes) bytes"
            )
        }
        return data
    }
}
