/// Where new trace and leaf ids come from.
///
/// Production code uses ``SystemIdentifierSource``; tests inject a deterministic source (the
/// `AttributionTesting` product has one) so envelopes are reproducible.
public protocol IdentifierSource: Sendable {
    /// A new random trace id.
    func nextTraceID() -> TraceID
    /// A new random leaf id.
    func nextLeafID() -> LeafID
}

/// Ids from the system's cryptographically secure generator.
public struct SystemIdentifierSource: IdentifierSource {
    /// Creates the source.
    public init() {}
    public func nextTraceID() -> TraceID { TraceID.random() }
    public func nextLeafID() -> LeafID { LeafID.random() }
}

/// Where the current time comes from.
public protocol AttributionClock: Sendable {
    /// The current instant.
    func now() -> UTCTimestamp
}

/// The system's real-time clock.
public struct SystemAttributionClock: AttributionClock {
    /// Creates the clock.
    public init() {}
    public func now() -> UTCTimestamp { UTCTimestamp.now() }
}
