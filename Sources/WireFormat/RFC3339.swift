/// RFC 3339 timestamps: read with any offset and fraction, written as UTC with milliseconds
/// (`2026-11-24T16:02:00.123Z`), the wire form of every timestamp in the package (docs/formats.md).
package enum RFC3339 {
    /// The length of the written form.
    package static let writtenLength = 24

    /// Nanoseconds since 1970-01-01T00:00:00Z of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`T` and `Z` in
    /// either case, at most 9 fraction digits kept), or nil when the text is not that form, names no real date
    /// or time, or the instant does not fit `Int64` nanoseconds. A leap second is read as the last instant of
    /// its minute.
    package static func nanoseconds(_ b: ArraySlice<UInt8>) -> Int64? {
        nanoseconds(b.span)
    }

    /// ``nanoseconds(_:)-(ArraySlice<UInt8>)`` of the bytes of a span.
    package static func nanoseconds(_ b: Span<UInt8>) -> Int64? {
        let s = 0
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
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
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
        let days = CivilDate.days(year: year, month: month, day: day)
        let total = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        let (ns, overflow) = total.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (sum, overflow2) = ns.addingReportingOverflow(nanos)
        guard !overflow2 else { return nil }
        return sum
    }

    /// Appends the written form (`YYYY-MM-DDTHH:MM:SS.mmmZ`, 24 bytes) of the instant `milliseconds` after the
    /// epoch. The year is written as its last four digits: callers keep instants within the years 0000 to 9999
    /// where the form must read back.
    package static func append(milliseconds ms: Int64, to out: inout [UInt8]) {
        out.append(addingCapacity: writtenLength) { write(milliseconds: ms, to: &$0) }
    }

    /// Writes the written form of ``append(milliseconds:to:)``; `out` has room for its 24 bytes.
    package static func write(milliseconds ms: Int64, to out: inout OutputSpan<UInt8>) {
        let (days, ofDay) = CivilDate.split(milliseconds: ms)
        let (year, month, day) = CivilDate.date(days: days)
        writeDigits(year, 4, to: &out)
        out.append(UInt8(ascii: "-"))
        writeDigits(month, 2, to: &out)
        out.append(UInt8(ascii: "-"))
        writeDigits(day, 2, to: &out)
        out.append(UInt8(ascii: "T"))
        writeDigits(ofDay / 3_600_000, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        writeDigits(ofDay / 60_000 % 60, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        writeDigits(ofDay / 1000 % 60, 2, to: &out)
        out.append(UInt8(ascii: "."))
        writeDigits(ofDay % 1000, 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// Appends the last `width` decimal digits of `value`'s magnitude, zero-padded.
    package static func appendDigits(_ value: Int64, _ width: Int, to out: inout [UInt8]) {
        out.append(addingCapacity: width) { writeDigits(value, width, to: &$0) }
    }

    /// Writes the last `width` decimal digits of `value`'s magnitude, zero-padded; `out` has room for them.
    package static func writeDigits(_ value: Int64, _ width: Int, to out: inout OutputSpan<UInt8>) {
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor &*= 10 }
        let magnitude = value.magnitude
        while divisor > 0 {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / divisor % 10))
            divisor /= 10
        }
    }
}
