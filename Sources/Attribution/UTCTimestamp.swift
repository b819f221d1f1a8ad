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

    /// The current time from the system clock.
    public static func now() -> UTCTimestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UTCTimestamp(nanosecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
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
        let ms = millisecondsSinceEpoch
        let (dayQ, dayR) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        let days = dayR < 0 ? dayQ - 1 : dayQ
        var msOfDay = ms - days * 86_400_000
        let (y, m, d) = Self.civil(fromDays: days)
        func put(_ value: Int64, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var v = value
            var i = width - 1
            while i >= 0 {
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                i -= 1
            }
            out.append(contentsOf: digits)
        }
        put(y, 4)
        out.append(UInt8(ascii: "-"))
        put(m, 2)
        out.append(UInt8(ascii: "-"))
        put(d, 2)
        out.append(UInt8(ascii: "T"))
        put(msOfDay / 3_600_000, 2)
        msOfDay %= 3_600_000
        out.append(UInt8(ascii: ":"))
        put(msOfDay / 60_000, 2)
        msOfDay %= 60_000
        out.append(UInt8(ascii: ":"))
        put(msOfDay / 1000, 2)
        out.append(UInt8(ascii: "."))
        put(msOfDay % 1000, 3)
        out.append(UInt8(ascii: "Z"))
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`), any offset.
    /// - Throws: ``AttributionError/Code/invalidValue`` naming `field` and the text.
    public init(rfc3339 text: some StringProtocol, field: String = "created_at") throws(AttributionError) {
        try self.init(utf8: Array(text.utf8), field: field)
    }

    /// Parses RFC 3339 from UTF-8 bytes.
    package init<C: Collection<UInt8>>(utf8: C, field: String) throws(AttributionError) where C.Index == Int {
        guard let value = Self.parse(utf8) else {
            throw AttributionError(
                .invalidValue,
                field: field,
                reason: "expected an RFC 3339 timestamp such as 2026-11-24T16:02:00.000Z, got "
                    + AttributionError.quote(bytes: utf8)
            )
        }
        self = value
    }

    private static func parse<C: Collection<UInt8>>(_ b: C) -> UTCTimestamp? where C.Index == Int {
        let s = b.startIndex
        let n = b.count
        guard n >= 20, n <= 64 else { return nil }
        func num(_ at: Int, _ width: Int) -> Int64? {
            var v: Int64 = 0
            for i in at..<(at + width) {
                let c = b[s + i]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                v = v * 10 + Int64(c - UInt8(ascii: "0"))
            }
            return v
        }
        guard let year = num(0, 4), b[s + 4] == UInt8(ascii: "-"), let month = num(5, 2),
            b[s + 7] == UInt8(ascii: "-"), let day = num(8, 2),
            b[s + 10] == UInt8(ascii: "T") || b[s + 10] == UInt8(ascii: "t"),
            let hour = num(11, 2), b[s + 13] == UInt8(ascii: ":"), let minute = num(14, 2),
            b[s + 16] == UInt8(ascii: ":"), let second = num(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month), hour <= 23, minute <= 59,
            second <= 60
        else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if i < n, b[s + i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < n, b[s + i] >= UInt8(ascii: "0"), b[s + i] <= UInt8(ascii: "9") {
                if digits < 9 { nanos = nanos * 10 + Int64(b[s + i] - UInt8(ascii: "0")) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            var pad = digits
            while pad < 9 {
                nanos *= 10
                pad += 1
            }
        }
        guard i < n else { return nil }
        var offsetSeconds: Int64 = 0
        switch b[s + i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = b[s + i] == UInt8(ascii: "+") ? 1 : -1
            guard n - i == 6, let oh = num(i + 1, 2), b[s + i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2),
                oh <= 23, om <= 59
            else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
            i += 6
        default:
            return nil
        }
        guard i == n else { return nil }
        // A leap second is read as the last instant of its minute: nothing here bills by the second.
        let sec = min(second, 59)
        let days = daysFromCivil(year, month, day)
        let total = days * 86_400 + hour * 3600 + minute * 60 + sec - offsetSeconds
        let (ns, overflow) = total.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (sum, overflow2) = ns.addingReportingOverflow(nanos)
        guard !overflow2 else { return nil }
        return UTCTimestamp(nanosecondsSinceEpoch: sum)
    }

    private static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    package static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    package static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
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
