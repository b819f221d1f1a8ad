public import Attribution
public import Instrumentation

/// The envelope's key in an `InstrumentationContext` (the type `ServiceContext` names).
///
/// ``AttributionInstrument`` reads the envelope from here when it injects and stores the caller's envelope here
/// when it extracts, so the envelope crosses HTTP hops wherever swift-distributed-tracing carries a context.
public enum AttributionEnvelopeKey: InstrumentationContextKey {
    /// The envelope.
    public typealias Value = AttributionEnvelope
    /// The name the key shows in a context's description.
    public static var nameOverride: String? { "attribution-envelope" }
}

/// The baggage members of other systems that arrived beside the envelope, kept so that passing the context on
/// writes them again (a carrier holds one `baggage` value, which ``AttributionInstrument`` writes).
public enum ForeignBaggageKey: InstrumentationContextKey {
    /// The members, in the order they arrived.
    public typealias Value = [BaggageMember]
    /// The name the key shows in a context's description.
    public static var nameOverride: String? { "attribution-foreign-baggage" }
}

extension InstrumentationContext {
    /// The attribution envelope this context carries, if any.
    ///
    /// ```swift
    /// var context = InstrumentationContext.current ?? .topLevel
    /// context.attributionEnvelope = envelope
    /// ```
    public var attributionEnvelope: AttributionEnvelope? {
        get { self[AttributionEnvelopeKey.self] }
        set { self[AttributionEnvelopeKey.self] = newValue }
    }

    /// Baggage members of other systems that arrived with the envelope and are passed on with it.
    public var foreignBaggage: [BaggageMember] {
        get { self[ForeignBaggageKey.self] ?? [] }
        set { self[ForeignBaggageKey.self] = newValue.isEmpty ? nil : newValue }
    }
}
