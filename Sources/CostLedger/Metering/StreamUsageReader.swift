import Attribution
import Synchronization

/// Reads a streamed response's usage incrementally, as the bytes arrive, in constant memory: feed every
/// chunk your HTTP client yields to ``consume(_:)`` while you forward the stream, then call ``finish()``.
///
/// ```swift
/// var reader = StreamUsageReader(.anthropicMessages)
/// for try await chunk in response.body {
///     try reader.consume(chunk)
///     forward(chunk)
/// }
/// let usage = try reader.finish()   // message_start usage updated by the final message_delta
/// ```
///
/// It holds one line and one event at a time, each at most ``UsageExtraction/Limits/maxEventBytes``.
/// The events read are those of ``ProviderAdapter/usage(fromStream:limits:)``.
public struct StreamUsageReader: Sendable {
    /// The provider API whose stream this is.
    public let adapter: ProviderAdapter
    private var decoder: UsageExtraction.EventStreamDecoder
    private var openAI = ProviderUsage(tokens: TokenUsage(), isComplete: false)
    private var anthropic = AnthropicAdapter.StreamState()

    /// Creates a reader for `adapter`'s stream.
    public init(_ adapter: ProviderAdapter, limits: UsageExtraction.Limits = .default) {
        self.adapter = adapter
        self.decoder = UsageExtraction.EventStreamDecoder(limits: limits)
    }

    /// How many events have been read so far.
    public var eventCount: Int { decoder.eventCount }

    /// Reads the next bytes of the stream; chunks may split lines and events anywhere.
    /// - Throws: ``CostLedgerError/Code/invalidResponse`` naming the event when one is malformed or too large.
    public mutating func consume(_ bytes: some Collection<UInt8>) throws(CostLedgerError) {
        var decoder = self.decoder
        defer { self.decoder = decoder }
        try decoder.feed(bytes) { (event, terminated) throws(CostLedgerError) in
            try handle(event, terminated: terminated)
        }
    }

    /// Ends the stream and returns its usage: complete when the final usage event was read, otherwise the
    /// usage known so far with ``ProviderUsage/isComplete`` false. A torn last event is ignored.
    /// - Throws: ``CostLedgerError/Code/invalidResponse`` naming the field.
    public mutating func finish() throws(CostLedgerError) -> ProviderUsage {
        var decoder = self.decoder
        defer { self.decoder = decoder }
        try decoder.finish { (event, terminated) throws(CostLedgerError) in
            try handle(event, terminated: terminated)
        }
        return try usage
    }

    /// The usage read so far.
    public var usage: ProviderUsage {
        get throws(CostLedgerError) {
            adapter == .anthropicMessages ? try anthropic.usage() : openAI
        }
    }

    private mutating func handle(
        _ event: UsageExtraction.ServerSentEvent,
        terminated: Bool
    ) throws(CostLedgerError) {
        guard
            let payload = try UsageExtraction.eventObject(event, terminated: terminated, limits: decoder.limits)
        else { return }
        switch adapter {
        case .openAIChatCompletions:
            try OpenAIAdapter.chatCompletionEvent(payload, index: event.index, into: &openAI)
        case .openAIResponses:
            try OpenAIAdapter.responseEvent(payload, name: event.name, index: event.index, into: &openAI)
        default:
            try anthropic.handle(payload, name: event.name, index: event.index)
        }
    }
}
