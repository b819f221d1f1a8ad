import WireFormat

/// A unit id in W3C parent-id form: 16 lowercase hex characters, not all zero.
///
/// Used for `leaf_id` (this unit), `parent_id` (the unit that created it) and `root_id` (the trace's first
/// unit). Random 64-bit values, so one id names one unit across a whole ledger.
public struct LeafID: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The id as an integer.
    public let rawValue: UInt64

    /// Creates an id; nil for zero (the W3C invalid value).
    public init?(rawValue: UInt64) {
        guard rawValue != 0 else { return nil }
        self.rawValue = rawValue
    }

    /// Parses the wire form.
    /// - Throws: ``AttributionError/Code/invalidIdentifier`` naming `leaf_id` and the value.
    public init(_ text: some StringProtocol) throws(AttributionError) {
        try self.init(utf8: ArraySlice(text.utf8), field: EnvelopeKey.leafID.name)
    }

    /// Parses the wire form from UTF-8 bytes, naming `field` in any error.
    package init<C: Collection<UInt8>>(utf8 bytes: C, field: String) throws(AttributionError) {
        try self.init(utf8: ArraySlice(bytes), field: field)
    }

    /// Parses the wire form from UTF-8 bytes, naming `field` in any error.
    package init(utf8 bytes: ArraySlice<UInt8>, field: String) throws(AttributionError) {
        guard let value = Hex.parseUInt64(bytes) else {
            throw AttributionError(
                .invalidIdentifier,
                field: field,
                reason: "expected 16 lowercase hex characters, got \(AttributionError.quote(bytes: bytes))"
            )
        }
        guard let id = LeafID(rawValue: value) else {
            throw AttributionError(.invalidIdentifier, field: field, reason: "must not be all zero")
        }
        self = id
    }

    /// A random id drawn from `generator`.
    public static func random(using generator: inout some RandomNumberGenerator) -> LeafID {
        while true {
            if let id = LeafID(rawValue: generator.next()) { return id }
        }
    }

    /// A random id from the system's generator.
    public static func random() -> LeafID {
        var rng = SystemRandomNumberGenerator()
        return random(using: &rng)
    }

    /// The wire form: 16 lowercase hex characters.
    public var description: String { Hex.string(rawValue) }

    /// Appends the wire form's bytes.
    package func appendHex(to out: inout [UInt8]) { Hex.append(rawValue, to: &out) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try LeafID(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
