import Attribution
import InMemoryTracing
import Instrumentation
import Synchronization
import Tracing

/// A header dictionary carrier, as an HTTP client's or server's headers, names lowercase.
struct HeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key.lowercased()] = value
    }
}

/// Reads a header dictionary carrier.
struct HeaderExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key.lowercased()] }
}

/// An in-memory tracer whose trace ids are 32 and span ids 16 lowercase hex characters, counting up, so its ids
/// are valid W3C ids.
func hexTracer() -> InMemoryTracer {
    let next = Mutex<UInt64>(0)
    @Sendable func bump() -> UInt64 {
        next.withLock {
            $0 += 1
            return $0
        }
    }
    return InMemoryTracer(
        idGenerator: .init(
            nextTraceID: { "4bf92f3577b34da6" + hex16(0xa3ce_929d_0e0e_0000 + bump()) },
            nextSpanID: { hex16(0xb7ad_6b71_6920_0000 + bump()) }
        )
    )
}

/// `value` as 16 lowercase hex digits.
func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// Stands for a W3C propagator (OpenTelemetry's, say) beside the in-memory tracer: writes the in-memory span's
/// ids as `traceparent` and reads them back, so the tracer "owns traceparent".
struct W3CPropagator: Instrument {
    func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let value = extractor.extract(key: "traceparent", from: carrier) else { return }
        let parts = value.split(separator: "-")
        guard parts.count == 4 else { return }
        context.inMemorySpanContext = InMemorySpanContext(
            traceID: String(parts[1]),
            spanID: String(parts[2]),
            parentSpanID: nil
        )
    }
}

/// The in-memory tracer with more instruments beside it (a W3C propagator, the attribution instrument), as one
/// `Tracer` that `withTracer` installs for a task: spans are the in-memory tracer's, injection and extraction run
/// through all of them in order.
struct PropagatingTracer: Tracer {
    let base: InMemoryTracer
    let others: [any Instrument]

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> InMemorySpan {
        base.startSpan(
            operationName,
            context: context(),
            ofKind: kind,
            at: instant(),
            function: function,
            file: fileID,
            line: line
        )
    }

    func activeSpan(identifiedBy context: InstrumentationContext) -> InMemorySpan? {
        base.activeSpan(identifiedBy: context)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject.Carrier == Carrier {
        base.inject(context, into: &carrier, using: injector)
        for other in others { other.inject(context, into: &carrier, using: injector) }
    }

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract.Carrier == Carrier {
        base.extract(carrier, into: &context, using: extractor)
        for other in others { other.extract(carrier, into: &context, using: extractor) }
    }
}
