public import Attribution
public import Instrumentation

/// An `Instrument` that carries the attribution envelope in its header form (`traceparent` and `baggage`, see
/// docs/formats.md), so any framework that propagates context with swift-distributed-tracing carries the envelope
/// over HTTP without code of its own.
///
/// Install it beside the tracer:
///
/// ```swift
/// InstrumentationSystem.bootstrap(MultiplexInstrument([tracer, AttributionInstrument(traceparent: .tracer)]))
/// ```
///
/// Injecting writes the envelope in the context (``AttributionEnvelopeKey``) and the other systems' baggage that
/// arrived with it; a context without an envelope writes nothing. Extracting reads the caller's envelope into the
/// context when the `baggage` carries at least one envelope member (a bare `traceparent` is the tracer's business,
/// not an envelope); the callee starts its own unit as a child of it (`envelope.child(...)`). A header that cannot
/// be read, or an envelope that cannot be written, is reported to `onError` and leaves the carrier or context as
/// it was: propagation never fails a request.
public struct AttributionInstrument: Instrument {
    /// Who writes `traceparent`.
    public enum Traceparent: Sendable, Hashable {
        /// No tracer does: the envelope writes `traceparent: 00-{trace_id}-{leaf_id}-01` itself.
        case envelope
        /// A tracer does (its span id is the parent-id there): the envelope writes only `baggage`, with its own
        /// `leaf_id` first, which a reader prefers to the traceparent's parent-id. The `trace_id` is shared with
        /// the tracer when the envelope was tagged with ``SpanIdentifierSource``.
        case tracer
    }

    /// Who writes `traceparent`.
    public let traceparent: Traceparent
    /// Called with each header that could not be read and each envelope that could not be written.
    public let onError: (@Sendable (AttributionError) -> Void)?

    /// Creates the instrument.
    /// - Parameters:
    ///   - traceparent: ``Traceparent/envelope`` without a tracer, ``Traceparent/tracer`` beside one.
    ///   - onError: called with each header that could not be read or envelope that could not be written.
    public init(traceparent: Traceparent = .envelope, onError: (@Sendable (AttributionError) -> Void)? = nil) {
        self.traceparent = traceparent
        self.onError = onError
    }

    /// Writes the context's envelope into `carrier`: `traceparent` (under ``Traceparent/envelope``) and `baggage`.
    /// - Parameters:
    ///   - context: the context whose envelope is written.
    ///   - carrier: the headers written to.
    ///   - injector: how a value goes into `carrier`.
    public func inject<Carrier, Inject>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject: Injector, Inject.Carrier == Carrier {
        // The span id probe asks for the tracer's own ids only.
        if injector is TraceIDProbe.Injector { return }
        guard let envelope = context.attributionEnvelope else { return }
        let headers = AttributionHeaders(envelope: envelope, foreignBaggage: context.foreignBaggage)
        do {
            switch traceparent {
            case .envelope:
                let baggage = try headers.baggage()
                injector.inject(headers.traceparent, forKey: AttributionHeaders.traceparentName, into: &carrier)
                injector.inject(baggage, forKey: AttributionHeaders.baggageName, into: &carrier)
            case .tracer:
                let baggage = try headers.baggage(carryingLeafID: true)
                injector.inject(baggage, forKey: AttributionHeaders.baggageName, into: &carrier)
            }
        } catch {
            onError?(error)
        }
    }

    /// Reads the caller's envelope from `carrier` into `context`, with the other systems' baggage beside it.
    /// - Parameters:
    ///   - carrier: the headers read.
    ///   - context: the context the envelope is stored in.
    ///   - extractor: how a value is read from `carrier`.
    public func extract<Carrier, Extract>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract: Extractor, Extract.Carrier == Carrier {
        guard let traceparent = extractor.extract(key: AttributionHeaders.traceparentName, from: carrier),
            let baggage = extractor.extract(key: AttributionHeaders.baggageName, from: carrier)
        else { return }
        do {
            let headers = try AttributionHeaders(traceparent: traceparent, baggage: baggage)
            // Baggage values cannot hold a comma (it is percent-encoded), so the commas count the members.
            let members = baggage.split(separator: ",").filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
            guard members.count > headers.foreignBaggage.count else { return }
            context.attributionEnvelope = headers.envelope
            context.foreignBaggage = headers.foreignBaggage
        } catch {
            onError?(error)
        }
    }
}
