import Attribution
public import CostLedger
import Instrumentation
public import Tracing

/// A `CostSink` decorator that sets the OpenTelemetry GenAI semantic-convention attributes of each metered call
/// on the current span, then passes the record on.
///
/// The meter writes a call's record on the calling task, inside the caller's span, so the span is found from the
/// task's context:
///
/// ```swift
/// let meter = CostMeter(sink: GenAISpanSink(ledger), ids: SpanIdentifierSource())
/// ```
///
/// Attributes (names as in OpenTelemetry's GenAI conventions, swift-otel-semantic-conventions 1.44.0):
/// ``Attribute/providerName``, ``Attribute/requestModel``, ``Attribute/inputTokens``, ``Attribute/outputTokens``,
/// ``Attribute/cacheReadInputTokens``, ``Attribute/cacheCreationInputTokens``, ``Attribute/reasoningOutputTokens``
/// (the last three when non-zero), and ``Attribute/costUSD`` (this package's own, the priced cost as a decimal
/// string) when the call was priced. Unit records (no call) set nothing.
public struct GenAISpanSink: CostSink {
    /// The attribute names set on a span.
    public enum Attribute {
        /// `gen_ai.provider.name`: the record's `provider` (it replaced `gen_ai.system`).
        public static let providerName = "gen_ai.provider.name"
        /// `gen_ai.request.model`: the record's `model`.
        public static let requestModel = "gen_ai.request.model"
        /// `gen_ai.usage.input_tokens`: every input token, cached ones included.
        public static let inputTokens = "gen_ai.usage.input_tokens"
        /// `gen_ai.usage.output_tokens`: every output token, reasoning ones included.
        public static let outputTokens = "gen_ai.usage.output_tokens"
        /// `gen_ai.usage.cache_read.input_tokens`: input tokens read from the provider's cache.
        public static let cacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens"
        /// `gen_ai.usage.cache_creation.input_tokens`: input tokens written to the provider's cache.
        public static let cacheCreationInputTokens = "gen_ai.usage.cache_creation.input_tokens"
        /// `gen_ai.usage.reasoning.output_tokens`: output tokens spent on reasoning.
        public static let reasoningOutputTokens = "gen_ai.usage.reasoning.output_tokens"
        /// `cost_attribution.cost_usd`: the call's priced cost in US dollars, 9 decimals (not an OpenTelemetry
        /// name; absent when the call's model has no price).
        public static let costUSD = "cost_attribution.cost_usd"
    }

    /// Finds the span a record's attributes go on.
    public typealias SpanFinder = @Sendable () -> (any Span)?

    /// Where records go after their attributes are set.
    public let base: any CostSink
    /// Finds the current span.
    public let currentSpan: SpanFinder

    /// Wraps a sink.
    /// - Parameters:
    ///   - base: where records go.
    ///   - currentSpan: how the current span is found; by default the installed tracer's active span for the
    ///     task's context (`Tracer.activeSpan(identifiedBy:)`).
    public init(_ base: any CostSink, currentSpan: @escaping SpanFinder = GenAISpanSink.activeSpan) {
        self.base = base
        self.currentSpan = currentSpan
    }

    /// The installed tracer's active span for the task's context, if it tracks one.
    public static let activeSpan: SpanFinder = {
        InstrumentationContext.current.flatMap { InstrumentationSystem.tracer.activeSpan(identifiedBy: $0) }
    }

    /// Sets the call's attributes on the current span, then writes the record to ``base``.
    /// - Parameter record: the record.
    /// - Throws: what ``base`` throws.
    public func write(_ record: CostRecord) throws(CostLedgerError) {
        if record.kind == .call, let span = currentSpan() {
            span.updateAttributes { Self.apply(record, to: &$0) }
        }
        try base.write(record)
    }

    /// Flushes ``base``.
    /// - Throws: what ``base`` throws.
    public func flush() throws(CostLedgerError) { try base.flush() }

    /// Sets the attributes of `record` in `attributes`.
    /// - Parameters:
    ///   - record: a call's record.
    ///   - attributes: the span's attributes.
    public static func apply(_ record: CostRecord, to attributes: inout SpanAttributes) {
        if let provider = record.provider { attributes.set(Attribute.providerName, value: .string(provider)) }
        if let model = record.model { attributes.set(Attribute.requestModel, value: .string(model)) }
        let usage = record.usage
        attributes.set(Attribute.inputTokens, value: .int64(usage.input))
        attributes.set(Attribute.outputTokens, value: .int64(usage.output))
        if usage.cachedInput != 0 {
            attributes.set(Attribute.cacheReadInputTokens, value: .int64(usage.cachedInput))
        }
        let cacheWrites = usage.cacheWrite &+ usage.cacheWrite1h
        if cacheWrites != 0 { attributes.set(Attribute.cacheCreationInputTokens, value: .int64(cacheWrites)) }
        if usage.reasoning != 0 {
            attributes.set(Attribute.reasoningOutputTokens, value: .int64(usage.reasoning))
        }
        if let cost = record.costUSD { attributes.set(Attribute.costUSD, value: .string(cost.formatted())) }
    }
}
