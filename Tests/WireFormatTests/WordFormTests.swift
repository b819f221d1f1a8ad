import Testing
import WireFormat

/// The word forms the ledger's writer and scanner use (hex and the written timestamp as 64-bit words) checked
/// against plain per-byte readings of the same formats.
@Suite("Wire formats as words: the ledger's hex and timestamp readers and writers agree with the plain forms")
struct WordFormTests {
    /// A deterministic generator (SplitMix64), so a failure names an input that comes back on every run.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// The eight bytes of `bytes` from `start` as a word, first byte in the least significant bits.
    static func word(_ bytes: [UInt8], _ start: Int) -> UInt64 {
        var w: UInt64 = 0
        for k in 0..<8 { w |= UInt64(bytes[start + k]) << UInt64(8 * k) }
        return w
    }

    /// 16 digits read one at a time with ``Hex/digitValue(_:)``.
    static func perDigit(_ bytes: [UInt8]) -> UInt64? {
        var value: UInt64 = 0
        for byte in bytes {
            guard let digit = Hex.digitValue(byte) else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    @Test("16 hex digits read as two words give the per-digit value, and nil for any byte that is not a digit")
    func hexWordsAgreeWithDigits() {
        var g = Generator(state: 14)
        let alphabet = Array("0123456789abcdefABCDEF/:`g@G \u{7F}".utf8) + [0x00, 0x80, 0xB0, 0xE1, 0xFF]
        for round in 0..<20_000 {
            var bytes = (0..<16).map { _ in Hex.digit(UInt8(g.below(16))) }
            // Half the inputs valid; the rest with one to three bytes from anywhere in 0...255 or the alphabet.
            if round % 2 == 1 {
                for _ in 0..<(1 + g.below(3)) {
                    bytes[g.below(16)] = round % 4 == 1 ? UInt8(g.below(256)) : alphabet[g.below(alphabet.count)]
                }
            }
            let expected = Self.perDigit(bytes)
            #expect(Hex.parse16(littleEndian: Self.word(bytes, 0), Self.word(bytes, 8)) == expected)
            #expect(Hex.parseUInt64(bytes[...]) == expected)
            #expect(Hex.parseUInt64([0x20] + bytes, at: 1) == expected)
        }
        // Every byte value at every position of a valid number.
        let base = Array("0123456789abcdef".utf8)
        for position in 0..<16 {
            for byte in 0...255 {
                var bytes = base
                bytes[position] = UInt8(byte)
                #expect(Hex.parse16(littleEndian: Self.word(bytes, 0), Self.word(bytes, 8)) == Self.perDigit(bytes))
            }
        }
    }

    @Test("hex written as words is the value's 16 lowercase digits, zero-padded")
    func hexWordsAgreeWithRadix() {
        var g = Generator(state: 16)
        var values: [UInt64] = [0, 1, 0xF, 0x10, 0xFFFF_FFFF, 0x1_0000_0000, .max, 0x0123_4567_89AB_CDEF]
        for _ in 0..<20_000 { values.append(g.next() >> UInt64(g.below(64))) }
        for value in values {
            let radix = String(value, radix: 16)
            let expected = String(repeating: "0", count: 16 - radix.count) + radix
            #expect(Hex.string(value) == expected)
            var words: [UInt8] = []
            for word in [Hex.digits8(UInt32(value >> 32)), Hex.digits8(UInt32(truncatingIfNeeded: value))] {
                for k in 0..<8 { words.append(UInt8(truncatingIfNeeded: word >> UInt64(8 * k))) }
            }
            #expect(String(decoding: words, as: UTF8.self) == expected)
            #expect(Hex.parseUInt64(Array(expected.utf8)[...]) == value)
        }
        #expect(Hex.string(bytes: [0x00, 0x0F, 0xA5, 0xFF]) == "000fa5ff")
    }

    /// `value` zero-padded to `width` digits.
    static func padded(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    @Test("the written timestamp is the instant's UTC date and time with milliseconds, and reads back exactly")
    func writtenFormRoundTrips() {
        var g = Generator(state: 3339)
        // Instants from 1678 to 2261 (those whose nanoseconds fit Int64), days' edges included.
        let span: Int64 = 9_200_000_000_000
        var instants: [Int64] = [0, -1, 86_399_999, 86_400_000, -86_400_000, 951_782_400_000, 4_107_542_399_999]
        for _ in 0..<20_000 { instants.append(Int64(g.next() % UInt64(2 * span)) - span) }
        for ms in instants {
            var out: [UInt8] = []
            RFC3339.append(milliseconds: ms, to: &out)
            let (days, ofDay) = CivilDate.split(milliseconds: ms)
            let (y, m, d) = CivilDate.date(days: days)
            let expected =
                "\(Self.padded(y, 4))-\(Self.padded(m, 2))-\(Self.padded(d, 2))T"
                + "\(Self.padded(ofDay / 3_600_000, 2)):\(Self.padded(ofDay / 60_000 % 60, 2)):"
                + "\(Self.padded(ofDay / 1000 % 60, 2)).\(Self.padded(ofDay % 1000, 3))Z"
            #expect(String(decoding: out, as: UTF8.self) == expected)
            #expect(RFC3339.nanoseconds(out[...]) == ms * 1_000_000)
            let written = RFC3339.writtenDays(littleEndian: Self.word(out, 0), Self.word(out, 8)).flatMap {
                RFC3339.writtenNanoseconds(days: $0, littleEndian: Self.word(out, 8), Self.word(out, 16))
            }
            #expect(written == ms * 1_000_000)
            var date: [UInt8] = []
            RFC3339.appendDate(days: days, to: &date)
            #expect(date[...] == out[0..<10])
            #expect(RFC3339.days(date: date[...]) == days)
        }
    }

    @Test("the written form's reader agrees with the full RFC 3339 reader on altered timestamps")
    func writtenFormReaderAgreesWithFullReader() {
        var g = Generator(state: 24)
        let alphabet = Array("0123456789-:.TZtz+ /".utf8)
        let seeds = [
            "2026-11-24T16:02:00.123Z", "2024-02-29T23:59:60.999Z", "2023-02-28T00:00:00.000Z",
            "1999-12-31T23:59:59.999Z", "2000-02-29T12:30:45.500Z", "2262-04-11T23:47:16.854Z",
            "1677-09-21T00:12:43.145Z", "2100-02-28T01:01:01.001Z",
        ].map { Array($0.utf8) }
        var checked = 0
        for round in 0..<40_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + g.below(2)) {
                bytes[g.below(24)] = round % 3 == 0 ? UInt8(g.below(256)) : alphabet[g.below(alphabet.count)]
            }
            let written = RFC3339.writtenDays(littleEndian: Self.word(bytes, 0), Self.word(bytes, 8)).flatMap {
                RFC3339.writtenNanoseconds(days: $0, littleEndian: Self.word(bytes, 8), Self.word(bytes, 16))
            }
            // The full reader also takes a lowercase `t` and `z`, which the written form never has.
            let inWrittenForm = bytes[10] == UInt8(ascii: "T") && bytes[23] == UInt8(ascii: "Z")
            let full = inWrittenForm ? RFC3339.nanoseconds(bytes[...]) : nil
            #expect(written == full, "\(String(decoding: bytes, as: UTF8.self))")
            if full != nil { checked += 1 }
            // The date alone: as the full reader reads it at midnight, or (for years whose nanoseconds do not fit
            // Int64) a date that writes back as the same bytes.
            let date = RFC3339.days(date: bytes[0..<10])
            if let midnight = RFC3339.nanoseconds((bytes[0..<10] + Array("T00:00:00Z".utf8))[...]) {
                #expect(date == midnight / 86_400_000_000_000)
            } else if let date {
                var back: [UInt8] = []
                RFC3339.appendDate(days: date, to: &back)
                #expect(back[...] == bytes[0..<10])
            }
        }
        // Enough of the altered inputs remain valid for the agreement to mean something.
        #expect(checked > 1000)
    }
}
