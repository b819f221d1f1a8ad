import Attribution
import Instrumentation
import Logging
import Synchronization
import Tracing

/// A minimal W3C Trace Context tracer, standing in for a real one (swift-otel's, say) so the example builds in
/// seconds: it continues the trace of an incoming `traceparent`, gives each span a new span id, writes
/// `traceparent` on the way out, and logs each span when it ends, with its attributes (the GenAI ones included).
struct W3CTracer: Tracer {
    /// Where ended spans are logged.
    let logger: Logger
    /// The spans started and not yet ended, by span id, for `activeSpan(identifiedBy:)`.
    let active = ActiveSpans()

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> W3CSpan {
        var context = context()
        let traceID = context.w3cSpan?.traceID ?? TraceID.random()
        let spanID = LeafID.random()
        context.w3cSpan = W3CSpanContext(traceID: traceID, spanID: spanID)
        let span = W3CSpan(operationName: operationName, context: context, tracer: self)
        active.spans.withLock { $0[spanID] = span }
        return span
    }

    func activeSpan(identifiedBy context: InstrumentationContext) -> W3CSpan? {
        guard let id = context.w3cSpan?.spanID else { return nil }
        return active.spans.withLock { $0[id] }
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let span = context.w3cSpan else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract.Carrier == Carrier {
        // The header form's reader parses traceparent; its leaf id is the caller's span id.
        guard let value = extractor.extract(key: "traceparent", from: carrier),
            let parent = try? AttributionEnvelope(traceparent: value, baggage: nil)
        else { return }
        context.w3cSpan = W3CSpanContext(traceID: parent.traceID, spanID: parent.leafID)
    }
}

/// The spans a tracer has started and not ended.
final class ActiveSpans: Sendable {
    let spans = Mutex<[LeafID: W3CSpan]>([:])
}

/// A span's W3C ids.
struct W3CSpanContext: Sendable, Hashable {
    var traceID: TraceID
    var spanID: LeafID
}

/// The W3C ids' key in a context.
enum W3CSpanContextKey: InstrumentationContextKey {
    typealias Value = W3CSpanContext
}

extension InstrumentationContext {
    var w3cSpan: W3CSpanContext? {
        get { self[W3CSpanContextKey.self] }
        set { self[W3CSpanContextKey.self] = newValue }
    }
}

/// A span of ``W3CTracer``.
final class W3CSpan: Span {
    struct State {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var status: SpanStatus?
        var ended = false
    }

    let context: InstrumentationContext
    let tracer: W3CTracer
    let state: Mutex<State>

    init(operationName: String, context: InstrumentationContext, tracer: W3CTracer) {
        self.context = context
        self.tracer = tracer
        self.state = Mutex(State(operationName: operationName))
    }

    var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { $0.operationName = newValue } }
    }

    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    var isRecording: Bool { state.withLock { !$0.ended } }

    func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }

    func addEvent(_ event: SpanEvent) {}

    func recordError<Instant: TracerInstant>(
        _ error: any Error,
        attributes: SpanAttributes,
        at instant: @autoclosure () -> Instant
    ) {
        state.withLock { $0.status = SpanStatus(code: .error, message: "\(error)") }
    }

    func addLink(_ link: SpanLink) {}

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let ended = state.withLock { state -> State? in
            guard !state.ended else { return nil }
            state.ended = true
            return state
        }
        guard let ended, let ids = context.w3cSpan else { return }
        _ = tracer.active.spans.withLock { $0.removeValue(forKey: ids.spanID) }
        var metadata: Logger.Metadata = [
            "span_trace_id": .string(ids.traceID.description), "span_id": .string(ids.spanID.description),
        ]
        func add(_ name: String, _ value: SpanAttribute) { metadata[name] = .string(plainText(value)) }
        ended.attributes.forEach(add)
        tracer.logger.info("span ended: \(ended.operationName)", metadata: metadata)
    }
}

/// A span attribute's value as a log shows it: `1200`, `gpt-4.1`, not `int64(1200)`.
func plainText(_ value: SpanAttribute) -> String {
    switch value {
    case .string(let text): text
    case .int64(let number): String(number)
    case .int32(let number): String(number)
    case .double(let number): String(number)
    case .bool(let flag): String(flag)
    default: "\(value)"
    }
}
