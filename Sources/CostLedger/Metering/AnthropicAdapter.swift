import Attribution

/// Anthropic's Messages API: request tagging and usage extraction.
///
/// Anthropic's `usage.input_tokens` counts only the uncached input; cache reads and writes come apart. The
/// ledger's `input_tokens` is their sum:
///
///     input_tokens        = input_tokens + cache_read_input_tokens + cache_creation_input_tokens
///     cached_input_tokens = cache_read_input_tokens
///     cache_write_1h      = cache_creation.ephemeral_1h_input_tokens
///     cache_write         = cache_creation_input_tokens − cache_write_1h   (5-minute or unspecified)
///
/// Thinking tokens are inside `output_tokens` and not reported apart, so `reasoning_tokens` stays 0.
enum AnthropicAdapter {
    // MARK: Requests

    static func tag(
        _ editor: inout TopLevelEditor,
        report: inout TaggedRequest,
        envelope: AttributionEnvelope?,
        propagation: MetadataPropagation
    ) throws(CostLedgerError) {
        guard propagation.anthropicUserID, envelope?.userID != nil else { return }
        let object = editor.object
        var existing: [JSONObject.Member] = []
        switch object["metadata"] {
        case nil, .null?: break
        case .object(let metadata)?: existing = metadata.members
        case let other?:
            throw CostLedgerError(
                .invalidRequest,
                field: "metadata",
                reason: "expected an object, got \(other.typeName)"
            )
        }
        guard let value = propagation.endUserValue(for: envelope) else { return }
        if let current = existing.first(where: { $0.key == "user_id" }), current.value != .null {
            report.dropped.append(DroppedMetadata(key: "metadata.user_id", reason: .callerValueKept))
        } else if value.isEmpty
            || value.unicodeScalars.count > MetadataPropagation.Limits.anthropicMaxUserIDCharacters
        {
            report.dropped.append(DroppedMetadata(key: "metadata.user_id", reason: .valueTooLong))
        } else {
            let pair = MetadataPair(key: "user_id", value: value)
            let kept = existing.filter { $0.key != "user_id" }
            editor.set("metadata", json: TopLevelEditor.objectJSON(keeping: kept, adding: [pair]))
            report.propagated = [pair]
            report.endUserID = value
        }
    }

    // MARK: Responses

    /// The raw counts of an Anthropic `usage` object; a stream updates them field by field.
    struct RawUsage: Sendable {
        var input: Int64?
        var output: Int64?
        var cacheRead: Int64?
        var cacheCreation: Int64?
        var ephemeral5m: Int64?
        var ephemeral1h: Int64?
        var serviceTier: String?

        /// Overwrites every field `usage` carries (stream deltas are cumulative).
        mutating func update(from usage: JSONObject, path: String) throws(CostLedgerError) {
            if let value = try UsageExtraction.count(usage, "input_tokens", path: path) { input = value }
            if let value = try UsageExtraction.count(usage, "output_tokens", path: path) { output = value }
            if let value = try UsageExtraction.count(usage, "cache_read_input_tokens", path: path) {
                cacheRead = value
            }
            if let value = try UsageExtraction.count(usage, "cache_creation_input_tokens", path: path) {
                cacheCreation = value
            }
            if let split = try UsageExtraction.object(usage, "cache_creation", path: path) {
                let splitPath = path + ".cache_creation"
                if let value = try UsageExtraction.count(split, "ephemeral_5m_input_tokens", path: splitPath) {
                    ephemeral5m = value
                }
                if let value = try UsageExtraction.count(split, "ephemeral_1h_input_tokens", path: splitPath) {
                    ephemeral1h = value
                }
            }
            if let tier = UsageExtraction.string(usage, "service_tier") { serviceTier = tier }
        }

        /// The counts in the ledger's convention.
        func tokens(path: String) throws(CostLedgerError) -> TokenUsage {
            guard let input else {
                throw CostLedgerError(.invalidResponse, field: path + ".input_tokens", reason: "missing")
            }
            let read = cacheRead ?? 0
            let hasSplit = ephemeral5m != nil || ephemeral1h != nil
            let oneHour = ephemeral1h ?? 0
            let split = try UsageExtraction.add(
                ephemeral5m ?? 0,
                oneHour,
                field: path + ".cache_creation"
            )
            let creation = cacheCreation ?? (hasSplit ? split : 0)
            if split > creation {
                throw CostLedgerError(
                    .invalidResponse,
                    field: path + ".cache_creation",
                    reason: "ephemeral_5m_input_tokens + ephemeral_1h_input_tokens (\(split)) exceed "
                        + "\(path).cache_creation_input_tokens (\(creation))"
                )
            }
            let total = try UsageExtraction.add(
                try UsageExtraction.add(input, read, field: path + ".cache_read_input_tokens"),
                creation,
                field: path + ".cache_creation_input_tokens"
            )
            return TokenUsage(
                input: total,
                output: output ?? 0,
                cachedInput: read,
                cacheWrite: creation - oneHour,
                cacheWrite1h: oneHour
            )
        }
    }

    static func messageUsage(_ object: JSONObject) throws(CostLedgerError) -> ProviderUsage {
        let model = UsageExtraction.string(object, "model")
        let providerError: String? =
            UsageExtraction.string(object, "type") == "error" || (object["error"].map { $0 != .null } ?? false)
            ? UsageExtraction.describeError(object["error"]) : nil
        guard let usage = try UsageExtraction.object(object, "usage", path: "") else {
            if let providerError {
                return ProviderUsage(tokens: TokenUsage(), model: model, providerError: providerError)
            }
            throw CostLedgerError(.invalidResponse, field: "usage", reason: "missing from the response")
        }
        var raw = RawUsage()
        try raw.update(from: usage, path: "usage")
        if raw.output == nil {
            throw CostLedgerError(.invalidResponse, field: "usage.output_tokens", reason: "missing")
        }
        return ProviderUsage(
            tokens: try raw.tokens(path: "usage"),
            model: model,
            serviceTier: UsageExtraction.normalisedServiceTier(raw.serviceTier),
            providerError: providerError
        )
    }

    /// A Messages stream's usage so far: `message_start` usage updated by each `message_delta`.
    struct StreamState: Sendable {
        var raw = RawUsage()
        var sawStart = false
        var sawFinalDelta = false
        var model: String?
        var providerError: String?
        var lastPath = "usage"

        mutating func handle(_ payload: JSONObject, name: String?, index: Int) throws(CostLedgerError) {
            let prefix = "stream event \(index)"
            switch UsageExtraction.string(payload, "type") ?? name ?? "" {
            case "message_start":
                guard let message = try UsageExtraction.object(payload, "message", path: prefix) else {
                    throw CostLedgerError(.invalidResponse, field: prefix + ": message", reason: "missing")
                }
                model = UsageExtraction.string(message, "model") ?? model
                if let usage = try UsageExtraction.object(message, "usage", path: prefix + ": message") {
                    lastPath = prefix + ": message.usage"
                    try raw.update(from: usage, path: lastPath)
                    sawStart = true
                }
            case "message_delta":
                if let usage = try UsageExtraction.object(payload, "usage", path: prefix) {
                    lastPath = prefix + ": usage"
                    try raw.update(from: usage, path: lastPath)
                    sawFinalDelta = true
                }
            case "error":
                providerError = UsageExtraction.describeError(payload["error"])
            default:
                break
            }
        }

        func usage() throws(CostLedgerError) -> ProviderUsage {
            let tokens = sawStart || sawFinalDelta ? try raw.tokens(path: lastPath) : TokenUsage()
            return ProviderUsage(
                tokens: tokens,
                model: model,
                serviceTier: UsageExtraction.normalisedServiceTier(raw.serviceTier),
                isComplete: sawStart && sawFinalDelta,
                providerError: providerError
            )
        }
    }
}
