public import Attribution
public import Instrumentation

/// An identifier source whose trace ids come from the current span, so that an envelope tagged inside a span
/// joins that span's trace and its cost records' `trace_id` is the trace's id in the tracing backend.
///
/// Pass it wherever the root package takes `ids:`: `AttributionEnvelope.tag(..., ids:)`, `CostMeter(ids:)`.
/// Outside a span, or under a tracer whose id it cannot read, it mints a new trace id as the fallback does.
/// Leaf ids always come from the fallback: a unit's `leaf_id` is its own, not the tracer's span id
/// (``AttributionInstrument/Traceparent/tracer`` carries it beside the tracer's `traceparent`).
///
/// ```swift
/// let meter = CostMeter(sink: ledger, ids: SpanIdentifierSource())
/// try await tracer.withSpan("POST /summarize") { _ in
///     let envelope = try meter.tag(userID: user, feature: "summarize", team: "growth",
///                                  project: "assistant", taskType: "summarize")
///     // envelope.traceID is the span's trace id
/// }
/// ```
///
/// The default reader is tracer-agnostic: it injects the current context through the installed instrument
/// (`InstrumentationSystem.instrument`, a task-local one from `withTracer` included) into a dictionary and reads
/// the W3C `traceparent` it gets, which OpenTelemetry's and any W3C propagator write. A tracer that propagates
/// under other keys gets a reader of its own: ``injected(key:)`` or any closure.
public struct SpanIdentifierSource: IdentifierSource {
    /// Reads the trace id of the span a context belongs to, or nil when it has none.
    public typealias TraceIDReader = @Sendable (InstrumentationContext) -> TraceID?

    /// Where ids come from when there is no span, and where every leaf id comes from.
    public let fallback: any IdentifierSource
    /// How the current span's trace id is read.
    public let traceIDReader: TraceIDReader

    /// Creates the source.
    /// - Parameters:
    ///   - fallback: ids outside a span, and every leaf id.
    ///   - traceID: how the trace id of a context's span is read; by default, its W3C `traceparent`.
    public init(
        fallback: any IdentifierSource = SystemIdentifierSource(),
        traceID: @escaping TraceIDReader = SpanIdentifierSource.traceparent
    ) {
        self.fallback = fallback
        self.traceIDReader = traceID
    }

    /// The current span's trace id, or the fallback's new one.
    public func nextTraceID() -> TraceID {
        if let context = InstrumentationContext.current, let traceID = traceIDReader(context) {
            return traceID
        }
        return fallback.nextTraceID()
    }

    /// A new leaf id from the fallback.
    public func nextLeafID() -> LeafID { fallback.nextLeafID() }

    /// The trace id of the W3C `traceparent` the installed instrument writes for `context`, if any.
    public static let traceparent: TraceIDReader = { context in
        injectedValue(of: context, key: AttributionHeaders.traceparentName).flatMap { value in
            try? AttributionEnvelope(traceparent: value, baggage: nil).traceID
        }
    }

    /// A reader for a tracer that propagates its trace id as 32 lowercase hex characters under `key`.
    /// - Parameter key: the carrier key the tracer injects its trace id under.
    /// - Returns: the reader.
    public static func injected(key: String) -> TraceIDReader {
        { context in injectedValue(of: context, key: key).flatMap { try? TraceID($0) } }
    }

    /// What the installed instrument injects for `context` under `key`.
    static func injectedValue(of context: InstrumentationContext, key: String) -> String? {
        var carrier = TraceIDProbe()
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: TraceIDProbe.Injector())
        return carrier.values[key]
    }
}

/// The carrier ``SpanIdentifierSource`` injects into to find the tracer's ids. ``AttributionInstrument`` writes
/// nothing into it, so the `traceparent` read is the tracer's own.
struct TraceIDProbe: Sendable {
    var values: [String: String] = [:]

    struct Injector: Instrumentation.Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout TraceIDProbe) {
            carrier.values[key.lowercased()] = value
        }
    }
}
