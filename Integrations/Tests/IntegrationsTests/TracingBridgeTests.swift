import Attribution
import AttributionTesting
import AttributionTracing
import CostLedger
import InMemoryTracing
import Instrumentation
import Synchronization
import Testing
import Tracing

@Suite("Tracing bridge: span trace ids, the header instrument, GenAI span attributes")
struct TracingBridgeTests {
    /// The five fields the default policy requires.
    func tag(ids: any IdentifierSource) throws -> AttributionEnvelope {
        try AttributionEnvelope.tag(
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            ids: ids
        )
    }

    @Test("Tagging inside a span joins the span's trace id, read from the traceparent the instrument writes")
    func tagJoinsSpanTrace() async throws {
        let tracer = hexTracer()
        let instrument = PropagatingTracer(base: tracer, others: [W3CPropagator()])
        let ids = SpanIdentifierSource(fallback: DeterministicIdentifierSource(seed: 7))
        let (envelope, spanTrace, spanID) = try withTracer(instrument) {
            try withSpan("POST /summarize") { span in
                let context = try #require(span.context.inMemorySpanContext)
                return (try tag(ids: ids), context.traceID, context.spanID)
            }
        }
        #expect(envelope.traceID.description == spanTrace)
        // The leaf is the unit's own, not the tracer's span id.
        #expect(envelope.leafID.description != spanID)
        #expect(envelope.rootID == envelope.leafID)
    }

    @Test("Outside a span, or under a tracer that writes no traceparent, tagging mints the fallback's trace id")
    func fallbackOutsideSpan() async throws {
        let expected = DeterministicIdentifierSource(seed: 3).nextTraceID()
        let outside = try tag(ids: SpanIdentifierSource(fallback: DeterministicIdentifierSource(seed: 3)))
        #expect(outside.traceID == expected)

        let tracer = hexTracer()
        let ids = SpanIdentifierSource(fallback: DeterministicIdentifierSource(seed: 3))
        let inside = try withTracer(tracer) {
            try withSpan("no traceparent") { _ in try tag(ids: ids) }
        }
        #expect(inside.traceID == expected)
    }

    @Test("A reader for another tracer's key joins its trace (the in-memory tracer's in-memory-trace-id)")
    func pluggableReader() async throws {
        let tracer = hexTracer()
        let ids = SpanIdentifierSource(traceID: SpanIdentifierSource.injected(key: InMemoryTracer.traceIDKey))
        let (envelope, spanTrace) = try withTracer(tracer) {
            try withSpan("job") { span in
                (try tag(ids: ids), span.context.inMemorySpanContext?.traceID)
            }
        }
        #expect(envelope.traceID.description == spanTrace)
    }

    @Test("The instrument writes the envelope's header form and reads it back with other systems' baggage")
    func instrumentRoundTrip() throws {
        let envelope = try tag(ids: DeterministicIdentifierSource(seed: 1)).child(tool: "web_search")
        var context = InstrumentationContext.topLevel
        context.attributionEnvelope = envelope
        context.foreignBaggage = [try BaggageMember("vendor=acme")]
        var headers: [String: String] = [:]
        AttributionInstrument().inject(context, into: &headers, using: HeaderInjector())
        #expect(headers["traceparent"] == "00-\(envelope.traceID)-\(envelope.leafID)-01")
        #expect(headers["baggage"]?.hasPrefix("user_id=u_42,feature=summarize,") == true)
        #expect(headers["baggage"]?.hasSuffix(",vendor=acme") == true)

        var read = InstrumentationContext.topLevel
        AttributionInstrument().extract(headers, into: &read, using: HeaderExtractor())
        #expect(read.attributionEnvelope == envelope)
        #expect(read.foreignBaggage.map(\.text) == ["vendor=acme"])
    }

    @Test("A bare traceparent is not an envelope; a malformed header is reported and leaves the context alone")
    func extractRefusals() {
        let errors = Mutex<[String]>([])
        let instrument = AttributionInstrument(onError: { error in errors.withLock { $0.append(error.field ?? "") } })
        var context = InstrumentationContext.topLevel
        let bare = [
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "baggage": "vendor=acme",
        ]
        instrument.extract(bare, into: &context, using: HeaderExtractor())
        #expect(context.attributionEnvelope == nil)

        let broken = ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "baggage": "attempt=0"]
        instrument.extract(broken, into: &context, using: HeaderExtractor())
        #expect(context.attributionEnvelope == nil)
        #expect(errors.withLock { $0 } == ["attempt"])
    }

    @Test("Beside a tracer that owns traceparent, the leaf id rides in baggage and survives the tracer's span ids")
    func tracerOwnsTraceparent() async throws {
        let tracer = hexTracer()
        let instrument = PropagatingTracer(
            base: tracer,
            others: [W3CPropagator(), AttributionInstrument(traceparent: .tracer)]
        )
        let ids = SpanIdentifierSource(fallback: DeterministicIdentifierSource(seed: 9))
        let (sent, headers, spanID) = try withTracer(instrument) {
            try withSpan("client call") { span in
                var context = span.context
                let envelope = try tag(ids: ids)
                context.attributionEnvelope = envelope
                var headers: [String: String] = [:]
                InstrumentationSystem.instrument.inject(context, into: &headers, using: HeaderInjector())
                return (envelope, headers, span.context.inMemorySpanContext?.spanID ?? "")
            }
        }
        // The tracer's traceparent: the shared trace id and the tracer's span id.
        #expect(headers["traceparent"] == "00-\(sent.traceID)-\(spanID)-01")
        #expect(headers["baggage"]?.hasPrefix("leaf_id=\(sent.leafID),user_id=u_42,") == true)

        // The callee, with the same instruments, reads the caller's envelope: its own leaf id, the shared trace.
        var callee = InstrumentationContext.topLevel
        instrument.extract(headers, into: &callee, using: HeaderExtractor())
        #expect(callee.attributionEnvelope == sent)
        #expect(callee.inMemorySpanContext?.spanID == spanID)
    }

    @Test("A metered call inside a span sets the GenAI semantic-convention attributes on it")
    func genAIAttributes() async throws {
        let tracer = hexTracer()
        let records = InMemoryCostSink()
        let meter = CostMeter(sink: GenAISpanSink(records), ids: SpanIdentifierSource())
        try await withTracer(tracer) {
            try await withSpan("summarize") { _ in
                let envelope = try meter.tag(
                    userID: "u_42",
                    feature: "summarize",
                    team: "growth",
                    project: "assistant",
                    taskType: "summarize"
                )
                _ = try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(envelope)) {
                    _ in ((), TokenUsage(input: 1200, output: 300, cachedInput: 200, reasoning: 50))
                }
            }
        }
        let span = try #require(tracer.finishedSpans.first)
        #expect(span.attributes.get("gen_ai.provider.name") == .string("openai"))
        #expect(span.attributes.get("gen_ai.request.model") == .string("gpt-4.1"))
        #expect(span.attributes.get("gen_ai.usage.input_tokens") == .int64(1200))
        #expect(span.attributes.get("gen_ai.usage.output_tokens") == .int64(300))
        #expect(span.attributes.get("gen_ai.usage.cache_read.input_tokens") == .int64(200))
        #expect(span.attributes.get("gen_ai.usage.reasoning.output_tokens") == .int64(50))
        // gpt-4.1: 1000 uncached input at $2/M, 200 cached at $0.50/M, 300 output at $8/M = $0.0045.
        #expect(span.attributes.get("cost_attribution.cost_usd") == .string("0.004500000"))
        // The records still reach the sink: the unit's announcement and the call.
        #expect(records.records.map(\.kind) == [.unit, .call])
    }
}
