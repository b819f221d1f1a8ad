import WireFormat

/// A W3C trace id: 32 lowercase hex characters, not all zero.
///
/// One trace id names everything an originating request causes, in every process it reaches. The type
/// cannot hold an invalid value: every way in validates.
public struct TraceID: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The high 64 bits.
    public let high: UInt64
    /// The low 64 bits.
    public let low: UInt64

    /// Creates a trace id from its two halves; nil when both are zero (the W3C invalid value).
    public init?(high: UInt64, low: UInt64) {
        guard high != 0 || low != 0 else { return nil }
        self.high = high
        self.low = low
    }

    /// Parses the wire form.
    /// - Throws: ``AttributionError/Code/invalidIdentifier`` naming `trace_id` and the value.
    public init(_ text: some StringProtocol) throws(AttributionError) {
        try self.init(utf8: ArraySlice(text.utf8), field: EnvelopeKey.traceID.name)
    }

    /// Parses the wire form from UTF-8 bytes, naming `field` in any error.
    package init<C: Collection<UInt8>>(utf8 bytes: C, field: String) throws(AttributionError) {
        try self.init(utf8: ArraySlice(bytes), field: field)
    }

    /// Parses the wire form from UTF-8 bytes, naming `field` in any error.
    package init(utf8 bytes: ArraySlice<UInt8>, field: String) throws(AttributionError) {
        guard let (high, low) = Hex.parseUInt128(bytes) else {
            throw AttributionError(
                .invalidIdentifier,
                field: field,
                reason: "expected 32 lowercase hex characters, got \(AttributionError.quote(bytes: bytes))"
            )
        }
        guard let id = TraceID(high: high, low: low) else {
            throw AttributionError(.invalidIdentifier, field: field, reason: "must not be all zero")
        }
        self = id
    }

    /// A random trace id drawn from `generator`.
    public static func random(using generator: inout some RandomNumberGenerator) -> TraceID {
        while true {
            if let id = TraceID(high: generator.next(), low: generator.next()) { return id }
        }
    }

    /// A random trace id from the system's generator.
    public static func random() -> TraceID {
        var rng = SystemRandomNumberGenerator()
        return random(using: &rng)
    }

    /// The wire form: 32 lowercase hex characters.
    public var description: String { Hex.string(high) + Hex.string(low) }

    /// Appends the wire form's bytes.
    package func appendHex(to out: inout [UInt8]) {
        Hex.append(high, to: &out)
        Hex.append(low, to: &out)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try TraceID(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
