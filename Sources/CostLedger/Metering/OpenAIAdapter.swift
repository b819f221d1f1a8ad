import Attribution

/// OpenAI's Chat Completions and Responses APIs: request tagging and usage extraction.
///
/// Usage fields, already in the ledger's convention (input includes cached, output includes reasoning):
/// - Chat Completions: `usage.prompt_tokens`, `usage.completion_tokens`,
///   `usage.prompt_tokens_details.cached_tokens`, `usage.completion_tokens_details.reasoning_tokens`.
/// - Responses: `usage.input_tokens`, `usage.output_tokens`, `usage.input_tokens_details.cached_tokens`,
///   `usage.output_tokens_details.reasoning_tokens`.
/// OpenAI reports no cache-write tokens.
enum OpenAIAdapter {
    // MARK: Requests

    static func tag(
        _ editor: inout TopLevelEditor,
        report: inout TaggedRequest,
        envelope: AttributionEnvelope?,
        propagation: MetadataPropagation,
        chatCompletions: Bool
    ) throws(CostLedgerError) {
        let object = editor.object
        // OpenAI refuses `metadata` on a request that does not store its output (HTTP 400, "The 'metadata'
        // parameter is only allowed when 'store' is enabled"). Chat Completions stores only when the request
        // says `"store": true`; Responses stores unless it says `"store": false`. Whether completions are kept at
        // the provider is the application's decision, so tagging never turns `store` on: without it, the
        // metadata is dropped (reported) and the end-user field, which needs no storage, still carries the user.
        let stores = chatCompletions ? object["store"] == .bool(true) : object["store"] != .bool(false)
        if let envelope, propagation.openAIMetadata, !stores {
            report.dropped += propagation.candidates(for: envelope).map {
                DroppedMetadata(key: "metadata." + $0.key, reason: .storeDisabled)
            }
        } else if let envelope, propagation.openAIMetadata {
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
            let (kept, dropped) = MetadataPropagation.fitOpenAIMetadata(
                propagation.candidates(for: envelope),
                existingKeys: existing.map(\.key)
            )
            report.dropped += dropped.map { DroppedMetadata(key: "metadata." + $0.key, reason: $0.reason) }
            if !kept.isEmpty {
                editor.set("metadata", json: TopLevelEditor.objectJSON(keeping: existing, adding: kept))
                report.propagated = kept
            }
        }
        let field = propagation.openAIEndUserField
        if field != .none, let value = propagation.endUserValue(for: envelope) {
            if let current = object[field.name], current != .null {
                report.dropped.append(DroppedMetadata(key: field.name, reason: .callerValueKept))
            } else if value.isEmpty
                || value.unicodeScalars.count > MetadataPropagation.Limits.openAIMaxEndUserCharacters
            {
                report.dropped.append(DroppedMetadata(key: field.name, reason: .valueTooLong))
            } else {
                editor.set(field.name, json: TopLevelEditor.stringJSON(value))
                report.endUserID = value
            }
        }
        if chatCompletions, propagation.requestStreamUsage, object["stream"] == .bool(true) {
            switch object["stream_options"] {
            case nil, .null?:
                editor.set("stream_options", json: Array(#"{"include_usage":true}"#.utf8))
                report.requestedStreamUsage = true
            case .object(let options)? where options["include_usage"] == nil:
                var json = TopLevelEditor.objectJSON(keeping: options.members, adding: [])
                json.removeLast()  // "}"
                if !options.members.isEmpty { json.append(UInt8(ascii: ",")) }
                json += Array(#""include_usage":true}"#.utf8)
                editor.set("stream_options", json: json)
                report.requestedStreamUsage = true
            default:
                break  // the caller chose; a stream without usage is recorded as incomplete
            }
        }
    }

    // MARK: Chat Completions

    static func chatCompletionUsage(_ object: JSONObject) throws(CostLedgerError) -> ProviderUsage {
        let providerError = providerError(in: object)
        let model = UsageExtraction.string(object, "model")
        let tier = UsageExtraction.normalisedServiceTier(UsageExtraction.string(object, "service_tier"))
        guard let usage = try UsageExtraction.object(object, "usage", path: "") else {
            if let providerError {
                return ProviderUsage(
                    tokens: TokenUsage(),
                    model: model,
                    serviceTier: tier,
                    providerError: providerError
                )
            }
            throw CostLedgerError(.invalidResponse, field: "usage", reason: "missing from the response")
        }
        return ProviderUsage(
            tokens: try chatTokens(usage),
            model: model,
            serviceTier: tier,
            providerError: providerError
        )
    }

    static func chatTokens(_ usage: JSONObject) throws(CostLedgerError) -> TokenUsage {
        guard let prompt = try UsageExtraction.count(usage, "prompt_tokens", path: "usage") else {
            throw CostLedgerError(.invalidResponse, field: "usage.prompt_tokens", reason: "missing")
        }
        guard let completion = try UsageExtraction.count(usage, "completion_tokens", path: "usage") else {
            throw CostLedgerError(.invalidResponse, field: "usage.completion_tokens", reason: "missing")
        }
        var cached: Int64 = 0
        if let details = try UsageExtraction.object(usage, "prompt_tokens_details", path: "usage") {
            cached = try UsageExtraction.count(details, "cached_tokens", path: "usage.prompt_tokens_details") ?? 0
        }
        var reasoning: Int64 = 0
        if let details = try UsageExtraction.object(usage, "completion_tokens_details", path: "usage") {
            reasoning =
                try UsageExtraction.count(details, "reasoning_tokens", path: "usage.completion_tokens_details") ?? 0
        }
        try UsageExtraction.requireSubset(
            cached,
            of: prompt,
            partField: "usage.prompt_tokens_details.cached_tokens",
            totalField: "usage.prompt_tokens"
        )
        try UsageExtraction.requireSubset(
            reasoning,
            of: completion,
            partField: "usage.completion_tokens_details.reasoning_tokens",
            totalField: "usage.completion_tokens"
        )
        return TokenUsage(input: prompt, output: completion, cachedInput: cached, reasoning: reasoning)
    }

    /// Updates a Chat Completions stream's usage from one chunk.
    static func chatCompletionEvent(
        _ chunk: JSONObject,
        index: Int,
        into result: inout ProviderUsage
    ) throws(CostLedgerError) {
        if let error = providerError(in: chunk) { result.providerError = error }
        if result.model == nil, let model = UsageExtraction.string(chunk, "model") { result.model = model }
        if let tier = UsageExtraction.string(chunk, "service_tier") {
            result.serviceTier = UsageExtraction.normalisedServiceTier(tier)
        }
        if let usage = try UsageExtraction.object(chunk, "usage", path: "stream event \(index)") {
            do throws(CostLedgerError) {
                result.tokens = try chatTokens(usage)
            } catch {
                throw CostLedgerError(
                    .invalidResponse,
                    field: "stream event \(index): " + (error.field ?? "usage"),
                    reason: error.reason
                )
            }
            result.isComplete = true
        }
    }

    // MARK: Responses

    static func responseUsage(_ object: JSONObject) throws(CostLedgerError) -> ProviderUsage {
        var providerError = providerError(in: object)
        if providerError == nil, UsageExtraction.string(object, "status") == "failed" {
            providerError = "response failed"
        }
        let model = UsageExtraction.string(object, "model")
        let tier = UsageExtraction.normalisedServiceTier(UsageExtraction.string(object, "service_tier"))
        guard let usage = try UsageExtraction.object(object, "usage", path: "") else {
            if let providerError {
                return ProviderUsage(
                    tokens: TokenUsage(),
                    model: model,
                    serviceTier: tier,
                    providerError: providerError
                )
            }
            throw CostLedgerError(.invalidResponse, field: "usage", reason: "missing from the response")
        }
        return ProviderUsage(
            tokens: try responseTokens(usage, path: "usage"),
            model: model,
            serviceTier: tier,
            providerError: providerError
        )
    }

    static func responseTokens(_ usage: JSONObject, path: String) throws(CostLedgerError) -> TokenUsage {
        guard let input = try UsageExtraction.count(usage, "input_tokens", path: path) else {
            throw CostLedgerError(.invalidResponse, field: path + ".input_tokens", reason: "missing")
        }
        guard let output = try UsageExtraction.count(usage, "output_tokens", path: path) else {
            throw CostLedgerError(.invalidResponse, field: path + ".output_tokens", reason: "missing")
        }
        var cached: Int64 = 0
        if let details = try UsageExtraction.object(usage, "input_tokens_details", path: path) {
            cached = try UsageExtraction.count(details, "cached_tokens", path: path + ".input_tokens_details") ?? 0
        }
        var reasoning: Int64 = 0
        if let details = try UsageExtraction.object(usage, "output_tokens_details", path: path) {
            reasoning =
                try UsageExtraction.count(details, "reasoning_tokens", path: path + ".output_tokens_details") ?? 0
        }
        try UsageExtraction.requireSubset(
            cached,
            of: input,
            partField: path + ".input_tokens_details.cached_tokens",
            totalField: path + ".input_tokens"
        )
        try UsageExtraction.requireSubset(
            reasoning,
            of: output,
            partField: path + ".output_tokens_details.reasoning_tokens",
            totalField: path + ".output_tokens"
        )
        return TokenUsage(input: input, output: output, cachedInput: cached, reasoning: reasoning)
    }

    /// Updates a Responses stream's usage from one event.
    static func responseEvent(
        _ payload: JSONObject,
        name: String?,
        index: Int,
        into result: inout ProviderUsage
    ) throws(CostLedgerError) {
        let type = UsageExtraction.string(payload, "type") ?? name ?? ""
        if type == "error" {
            result.providerError = UsageExtraction.describeError(.object(payload))
            return
        }
        let path = "stream event \(index): response"
        guard let response = try UsageExtraction.object(payload, "response", path: "stream event \(index)") else {
            return
        }
        if let model = UsageExtraction.string(response, "model") { result.model = model }
        if let tier = UsageExtraction.string(response, "service_tier") {
            result.serviceTier = UsageExtraction.normalisedServiceTier(tier)
        }
        switch type {
        case "response.completed", "response.incomplete", "response.failed":
            if type == "response.failed" {
                result.providerError = providerError(in: response) ?? "response failed"
            }
            if let usage = try UsageExtraction.object(response, "usage", path: path) {
                result.tokens = try responseTokens(usage, path: path + ".usage")
                result.isComplete = true
            }
        default:
            break
        }
    }

    // MARK: Errors

    /// The provider's error in a body or chunk: a non-null top-level `error`.
    static func providerError(in object: JSONObject) -> String? {
        guard let error = object["error"], error != .null else { return nil }
        return UsageExtraction.describeError(error)
    }
}
