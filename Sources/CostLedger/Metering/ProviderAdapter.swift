public import Attribution

/// Reads and writes one provider API's raw JSON: writes attribution into a request body's metadata fields
/// and reads usage from a response body or a server-sent event stream, normalised to the ledger's convention.
///
/// A set that may grow: compare with `==`.
///
/// ```swift
/// let tagged = try ProviderAdapter.openAIResponses.tag(requestBody: body, envelope: envelope)
/// let usage = try ProviderAdapter.openAIResponses.usage(from: responseBytes)
/// print(usage.tokens.input, usage.tokens.cachedInput, usage.model ?? "?")
/// ```
public struct ProviderAdapter: Sendable, Hashable, CustomStringConvertible {
    private enum Base: Sendable, Hashable {
        case openAIChatCompletions
        case openAIResponses
        case anthropicMessages
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// OpenAI Chat Completions (`POST /v1/chat/completions`).
    public static let openAIChatCompletions = ProviderAdapter(.openAIChatCompletions)
    /// OpenAI Responses (`POST /v1/responses`).
    public static let openAIResponses = ProviderAdapter(.openAIResponses)
    /// Anthropic Messages (`POST /v1/messages`).
    public static let anthropicMessages = ProviderAdapter(.anthropicMessages)

    /// The provider's name as ledger records spell it: `openai` or `anthropic`.
    public var provider: String {
        switch base {
        case .openAIChatCompletions, .openAIResponses: return "openai"
        case .anthropicMessages: return "anthropic"
        }
    }

    /// The API's stable name (`openai.chat_completions`, `openai.responses`, `anthropic.messages`).
    public var name: String {
        switch base {
        case .openAIChatCompletions: return "openai.chat_completions"
        case .openAIResponses: return "openai.responses"
        case .anthropicMessages: return "anthropic.messages"
        }
    }

    public var description: String { name }

    /// Writes `envelope`'s attribution into the request body's metadata fields, as ``MetadataPropagation``
    /// describes, and asks a streaming Chat Completions request for its usage.
    ///
    /// - Parameters:
    ///   - requestBody: the JSON request body, a top-level object.
    ///   - envelope: the attribution to write; nil writes none (lenient, unattributed calls).
    ///   - propagation: what to write, and what of the user id leaves the process (nothing by default).
    ///   - limits: size and depth bounds.
    /// - Returns: the body to send and a report of what was written and dropped.
    /// - Throws: ``CostLedgerError/Code/invalidRequest`` naming the field when the body is not a JSON object,
    ///   is too large, or has a `metadata` that is not an object.
    public func tag(
        requestBody: some Collection<UInt8>,
        envelope: AttributionEnvelope?,
        propagation: MetadataPropagation = .default,
        limits: UsageExtraction.Limits = .default
    ) throws(CostLedgerError) -> TaggedRequest {
        let object = try UsageExtraction.parseObject(
            requestBody,
            limits: limits,
            field: "request",
            code: .invalidRequest
        )
        var editor = TopLevelEditor(object)
        var report = TaggedRequest(body: [])
        switch base {
        case .openAIChatCompletions, .openAIResponses:
            try OpenAIAdapter.tag(
                &editor,
                report: &report,
                envelope: envelope,
                propagation: propagation,
                chatCompletions: base == .openAIChatCompletions
            )
        case .anthropicMessages:
            try AnthropicAdapter.tag(&editor, report: &report, envelope: envelope, propagation: propagation)
        }
        report.body = editor.isEdited ? editor.serialized() : Array(requestBody)
        return report
    }

    /// Reads usage from a response body: one JSON document, or a server-sent event stream (detected by its
    /// first line, see ``UsageExtraction/looksLikeEventStream(_:)``).
    ///
    /// An error response (`{"error": …}`, Anthropic's `{"type": "error", …}`) is not an error here: it gives
    /// zero tokens and ``ProviderUsage/providerError``.
    /// - Throws: ``CostLedgerError/Code/invalidResponse`` naming the field and value when the body is
    ///   malformed, too large, lacks `usage`, or holds a count that is not a non-negative integer
    ///   (`usage.prompt_tokens: expected a non-negative integer, got -3`).
    public func usage(
        from body: some Collection<UInt8>,
        limits: UsageExtraction.Limits = .default
    ) throws(CostLedgerError) -> ProviderUsage {
        if UsageExtraction.looksLikeEventStream(body) {
            return try usage(fromStream: body, limits: limits)
        }
        return try usage(fromResponse: body, limits: limits)
    }

    /// Reads usage from a non-streaming JSON response body.
    /// - Throws: as ``usage(from:limits:)``.
    public func usage(
        fromResponse body: some Collection<UInt8>,
        limits: UsageExtraction.Limits = .default
    ) throws(CostLedgerError) -> ProviderUsage {
        let object = try UsageExtraction.parseObject(body, limits: limits, field: "response")
        switch base {
        case .openAIChatCompletions: return try OpenAIAdapter.chatCompletionUsage(object)
        case .openAIResponses: return try OpenAIAdapter.responseUsage(object)
        case .anthropicMessages: return try AnthropicAdapter.messageUsage(object)
        }
    }

    /// Reads usage from a streamed response (`text/event-stream`): the final usage event of OpenAI Chat
    /// Completions (sent when `stream_options.include_usage` is true), OpenAI Responses'
    /// `response.completed` (or `response.incomplete` / `response.failed`), or Anthropic's `message_start`
    /// usage updated by its `message_delta` events (whose counts are cumulative).
    ///
    /// A stream that ends before its usage gives ``ProviderUsage/isComplete`` false and the usage known so far.
    /// To read a stream as it arrives, without holding it, use ``StreamUsageReader``.
    /// - Throws: as ``usage(from:limits:)``.
    public func usage(
        fromStream stream: some Collection<UInt8>,
        limits: UsageExtraction.Limits = .default
    ) throws(CostLedgerError) -> ProviderUsage {
        if stream.count > limits.maxBodyBytes {
            throw CostLedgerError(
                .invalidResponse,
                field: "stream",
                reason: "\(stream.count) bytes exceed the limit of \(limits.maxBodyBytes) bytes"
            )
        }
        var reader = StreamUsageReader(self, limits: limits)
        try reader.consume(stream)
        return try reader.finish()
    }
}
