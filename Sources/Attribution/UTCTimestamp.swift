import WireFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An instant, read from RFC 3339 text with any offset and written as UTC with milliseconds
/// (`2026-11-24T16:02:00.123Z`).
///
/// Held as nanoseconds since the Unix epoch, so ordering and arithmetic are exact; the wire form keeps
/// milliseconds, as the spec fixes.
public struct UTCTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: Int64

    /// Creates a timestamp from nanoseconds since the epoch.
    public init(nanosecondsSinceEpoch: Int64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }

    /// Creates a timestamp from milliseconds since the epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = millisecondsSinceEpoch.multipliedReportingOverflow(by: 1_000_000).partialValue
    }

    /// Milliseconds since the epoch, rounded toward negative infinity.
    public var millisecondsSinceEpoch: Int64 {
        let (q, r) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000)
        return r < 0 ? q - 1 : q
    }

    /// Days since 1970-01-01 of the UTC calendar day this instant falls on.
    public var utcDay: Int64 {
        let perDay: Int64 = 86_400_000_000_000
        let (q, r) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: perDay)
        return r < 0 ? q - 1 : q
    }

    /// The wire form: UTC, milliseconds, `Z`.
    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        appendRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the wire form's bytes.
    package func appendRFC3339(to out: inout [UInt8]) {
        RFC3339.append(milliseconds: millisecondsSinceEpoch, to: &out)
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`), any offset.
    /// - Throws: ``AttributionError/Code/invalidValue`` naming `field` and the text.
    public init(rfc3339 text: some StringProtocol, field: String) throws(AttributionError) {
        try self.init(utf8: ArraySlice(text.utf8), field: field)
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`), any offset.
    /// - Throws: ``AttributionError/Code/invalidValue`` naming `created_at` and the text.
    public init(rfc3339 text: some StringProtocol) throws(AttributionError) {
        try self.init(utf8: ArraySlice(text.utf8), field: EnvelopeKey.createdAt.name)
    }

    /// Parses RFC 3339 from UTF-8 bytes.
    package init<C: Collection<UInt8>>(utf8: C, field: String) throws(AttributionError) where C.Index == Int {
        try self.init(utf8: ArraySlice(utf8), field: field)
    }

    /// Parses RFC 3339 from UTF-8 bytes.
    package init(utf8: ArraySlice<UInt8>, field: String) throws(AttributionError) {
        guard let nanoseconds = RFC3339.nanoseconds(utf8) else {
            if RFC3339.isOutOfRange(utf8) {
                throw AttributionError(
                    .invalidValue,
                    field: field,
                    reason: AttributionError.quote(bytes: utf8)
                        + " is a valid RFC 3339 time outside the range this reader keeps, 1677-09-21 to 2262-04-11 "
                        + "(nanoseconds in 64 bits)"
                )
            }
            throw AttributionError(
                .invalidValue,
                field: field,
                reason: "expected an RFC 3339 timestamp such as 2026-11-24T16:02:00.000Z, got "
                    + AttributionError.quote(bytes: utf8)
            )
        }
        self.init(nanosecondsSinceEpoch: nanoseconds)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try UTCTimestamp(rfc3339: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
