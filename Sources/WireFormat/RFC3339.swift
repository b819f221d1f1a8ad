/// RFC 3339 timestamps: read with any offset and fraction, written as UTC with milliseconds
/// (`2026-11-24T16:02:00.123Z`), the wire form of every timestamp in the package (docs/formats.md).
public enum RFC3339 {
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
        guard let (seconds, nanos) = secondsAndNanoseconds(b) else { return nil }
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (sum, overflow2) = ns.addingReportingOverflow(nanos)
        guard !overflow2 else { return nil }
        return sum
    }

    /// Whether `b` is a well-formed RFC 3339 instant of a real date and time that nonetheless does not fit
    /// `Int64` nanoseconds (before 1677-09-21T00:12:43.145224192Z or after 2262-04-11T23:47:16.854775807Z), so a
    /// reader can say so instead of calling it malformed.
    package static func isOutOfRange(_ b: ArraySlice<UInt8>) -> Bool {
        secondsAndNanoseconds(b.span) != nil && nanoseconds(b.span) == nil
    }

    /// The whole seconds since the epoch and the fraction's nanoseconds of a well-formed instant (years 0000 to
    /// 9999 fit whole seconds in `Int64` with room to spare), or nil when the text is not that form or names no
    /// real date or time.
    private static func secondsAndNanoseconds(_ b: Span<UInt8>) -> (Int64, Int64)? {
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
        return (days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds, nanos)
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
        let words = writtenWords(date: CivilDate.date(days: days), millisecondOfDay: ofDay)
        writeBytes(of: words, count: writtenLength, to: &out)
    }

    /// Days since 1970-01-01 of exactly a date in the written form's first ten bytes (`YYYY-MM-DD`), or nil when
    /// the bytes are not a real date in that form.
    package static func days(date bytes: ArraySlice<UInt8>) -> Int64? {
        guard bytes.count == 10 else { return nil }
        var first: UInt64 = 0
        var second: UInt64 = 0
        for (k, byte) in bytes.enumerated() {
            if k < 8 { first |= UInt64(byte) << UInt64(8 * k) } else { second |= UInt64(byte) << UInt64(8 * (k - 8)) }
        }
        return writtenDays(littleEndian: first, second)
    }

    /// Appends the date of the written form (`YYYY-MM-DD`, its first ten bytes) of the UTC day `days` after
    /// 1970-01-01, the year written as its last four digits.
    package static func appendDate(days: Int64, to out: inout [UInt8]) {
        let words = writtenWords(date: CivilDate.date(days: days), millisecondOfDay: 0)
        out.append(addingCapacity: 10) { writeBytes(of: words, count: 10, to: &$0) }
    }

    /// Writes the first `count` bytes of the written form held in its three words.
    private static func writeBytes(of words: (UInt64, UInt64, UInt64), count: Int, to out: inout OutputSpan<UInt8>) {
        for position in 0..<count {
            let word = position < 8 ? words.0 : position < 16 ? words.1 : words.2
            out.append(UInt8(truncatingIfNeeded: word >> UInt64(8 * (position & 7))))
        }
    }

    /// The written form (`YYYY-MM-DDTHH:MM:SS.mmmZ`) of the instant `millisecondOfDay` (0 ..< 86,400,000) into
    /// the UTC day `date`, as three words of eight bytes (bytes 0–7, 8–15, 16–23), first byte in the least
    /// significant bits: their little-endian stores are the text. The year is written as the last four digits of
    /// its magnitude.
    @inlinable
    public static func writtenWords(
        date: (year: Int64, month: Int64, day: Int64),
        millisecondOfDay: Int64
    ) -> (UInt64, UInt64, UInt64) {
        let year = date.year.magnitude % 10_000
        let month = UInt64(truncatingIfNeeded: date.month)
        let day = UInt64(truncatingIfNeeded: date.day)
        let ofDay = UInt64(truncatingIfNeeded: millisecondOfDay)
        let hour = ofDay / 3_600_000
        let minute = ofDay / 60_000 % 60
        let second = ofDay / 1000 % 60
        let millis = ofDay % 1000
        // The separators and a `0` in every digit's place; each digit (0…9) is added to its `0`, never carrying.
        let word0: UInt64 = 0x2D30_302D_3030_3030  // "0000-00-"
        let word1: UInt64 = 0x3030_3A30_3054_3030  // "00T00:00"
        let word2: UInt64 = 0x5A30_3030_2E30_303A  // ":00.000Z"
        return (
            word0 &+ (year / 1000) &+ (year / 100 % 10) << 8 &+ (year / 10 % 10) << 16 &+ (year % 10) << 24
                &+ (month / 10) << 40 &+ (month % 10) << 48,
            word1 &+ (day / 10) &+ (day % 10) << 8 &+ (hour / 10) << 24 &+ (hour % 10) << 32
                &+ (minute / 10) << 48 &+ (minute % 10) << 56,
            word2 &+ (second / 10) << 8 &+ (second % 10) << 16 &+ (millis / 100) << 32
                &+ (millis / 10 % 10) << 40 &+ (millis % 10) << 48
        )
    }

    /// The value of the decimal digit in byte `index` of `word` (first byte in the least significant bits), or
    /// nil when that byte is not one.
    @inlinable
    static func digit(_ word: UInt64, _ index: UInt64) -> Int64? {
        let value = UInt8(truncatingIfNeeded: word >> (8 &* index)) &- UInt8(ascii: "0")
        return value <= 9 ? Int64(value) : nil
    }

    /// Whether byte `index` of `word` is `byte`.
    @inlinable
    static func byte(_ word: UInt64, _ index: UInt64, is byte: UInt8) -> Bool {
        UInt8(truncatingIfNeeded: word >> (8 &* index)) == byte
    }

    /// Days since 1970-01-01 of the date (`YYYY-MM-DD`) that starts the written form, given as its first two
    /// words of eight bytes, first byte in the least significant bits (the third through eighth bytes of the
    /// second word are not read), or nil when the bytes are not a real date in that form. With
    /// ``writtenNanoseconds(days:littleEndian:_:)``, the reader of exactly the written form; any other form
    /// goes through ``nanoseconds(_:)``.
    @inlinable
    public static func writtenDays(littleEndian first: UInt64, _ second: UInt64) -> Int64? {
        guard byte(first, 4, is: UInt8(ascii: "-")), byte(first, 7, is: UInt8(ascii: "-")),
            let y0 = digit(first, 0), let y1 = digit(first, 1), let y2 = digit(first, 2), let y3 = digit(first, 3),
            let m0 = digit(first, 5), let m1 = digit(first, 6), let d0 = digit(second, 0), let d1 = digit(second, 1)
        else { return nil }
        let year = y0 &* 1000 &+ y1 &* 100 &+ y2 &* 10 &+ y3
        let month = m0 &* 10 &+ m1
        let day = d0 &* 10 &+ d1
        guard month >= 1, month <= 12, day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else {
            return nil
        }
        return CivilDate.days(year: year, month: month, day: day)
    }

    /// Nanoseconds since the epoch of the written form whose date is day number `days`: its time of day
    /// (`THH:MM:SS.mmmZ`, bytes 10 to 23, read from the form's second and third words of eight bytes, first byte
    /// in the least significant bits) checked and added, or nil when those bytes are not that form or the
    /// instant does not fit `Int64` nanoseconds. A leap second is read as the last instant of its minute.
    @inlinable
    public static func writtenNanoseconds(days: Int64, littleEndian second: UInt64, _ third: UInt64) -> Int64? {
        guard byte(second, 2, is: UInt8(ascii: "T")), byte(second, 5, is: UInt8(ascii: ":")),
            byte(third, 0, is: UInt8(ascii: ":")), byte(third, 3, is: UInt8(ascii: ".")),
            byte(third, 7, is: UInt8(ascii: "Z")), let h0 = digit(second, 3), let h1 = digit(second, 4),
            let n0 = digit(second, 6), let n1 = digit(second, 7), let s0 = digit(third, 1), let s1 = digit(third, 2),
            let f0 = digit(third, 4), let f1 = digit(third, 5), let f2 = digit(third, 6)
        else { return nil }
        let hour = h0 &* 10 &+ h1
        let minute = n0 &* 10 &+ n1
        let second = s0 &* 10 &+ s1
        guard hour <= 23, minute <= 59, second <= 60 else { return nil }
        let seconds = days &* 86_400 &+ hour &* 3600 &+ minute &* 60 &+ min(second, 59)
        let millis = f0 &* 100 &+ f1 &* 10 &+ f2
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflow2) = nanoseconds.addingReportingOverflow(millis &* 1_000_000)
        guard !overflow, !overflow2 else { return nil }
        return sum
    }
}
