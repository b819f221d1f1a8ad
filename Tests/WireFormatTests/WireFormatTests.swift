import Testing
import WireFormat

@Suite("Wire formats: hex, RFC 3339, the civil calendar and the JSON reader core")
struct WireFormatTests {
    @Test("lowercase hex reads 16 and 32 digits and refuses uppercase, other lengths and other bytes")
    func hex() {
        #expect(Hex.parseUInt64(Array("00f067aa0ba902b7".utf8)[...]) == 0x00F0_67AA_0BA9_02B7)
        #expect(Hex.parseUInt64(Array("00F067AA0BA902B7".utf8)[...]) == nil)
        #expect(Hex.parseUInt64(Array("00f067aa0ba902b".utf8)[...]) == nil)
        #expect(Hex.parseUInt64(Array("00f067aa0ba902bg".utf8)[...]) == nil)
        let pair = Hex.parseUInt128(Array("4bf92f3577b34da6a3ce929d0e0e4736".utf8)[...])
        #expect(pair?.high == 0x4BF9_2F35_77B3_4DA6 && pair?.low == 0xA3CE_929D_0E0E_4736)
        var out: [UInt8] = []
        Hex.append(0x00F0_67AA_0BA9_02B7, to: &out)
        Hex.append(byte: 0x1F, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "00f067aa0ba902b71f")
        #expect(Hex.string(0) == "0000000000000000")
    }

    @Test("the calendar round-trips every day of the years 0000 to 9999 and knows leap years")
    func calendar() {
        let first = CivilDate.days(year: 0, month: 1, day: 1)
        let last = CivilDate.days(year: 9999, month: 12, day: 31)
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        var mismatches = 0
        for days in first...last {
            let date = CivilDate.date(days: days)
            if CivilDate.days(year: date.year, month: date.month, day: date.day) != days { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(last - first == 3_652_424)
        #expect(CivilDate.date(days: last + 1) == (10_000, 1, 1))
        #expect(CivilDate.daysInMonth(year: 2000, month: 2) == 29)
        #expect(CivilDate.daysInMonth(year: 1900, month: 2) == 28)
        #expect(CivilDate.split(milliseconds: -1) == (-1, 86_399_999))
    }

    @Test("RFC 3339 reads any offset and fraction, refuses impossible dates, and writes UTC milliseconds")
    func rfc3339() {
        func read(_ text: String) -> Int64? { RFC3339.nanoseconds(Array(text.utf8)[...]) }
        #expect(read("1970-01-01T00:00:00Z") == 0)
        #expect(read("1970-01-01T01:00:00.5+01:00") == 500_000_000)
        #expect(read("1970-01-01t00:00:00.123456789123z") == 123_456_789)
        #expect(read("1969-12-31T23:59:60Z") == -1_000_000_000)
        #expect(read("2025-02-29T00:00:00Z") == nil)
        #expect(read("2025-01-01T00:00:00") == nil)
        #expect(read("2025-01-01T00:00:00.Z") == nil)
        #expect(read("9999-12-31T23:59:59Z") == nil)  // past Int64 nanoseconds
        var out: [UInt8] = []
        RFC3339.append(milliseconds: 1_795_536_120_123, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "2026-11-24T16:02:00.123Z")
        out = []
        RFC3339.append(milliseconds: -1, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "1969-12-31T23:59:59.999Z")
    }

    @Test("the tokenizer reads strings, decoding escapes and checking UTF-8, with the offset of each failure")
    func strings() throws {
        var tokenizer = JSONTokenizer(Array(#""a\u00e9\ud83d\ude00\n" "plain""#.utf8))
        let escaped = try tokenizer.readString()
        #expect(tokenizer.string(escaped) == "aé😀\n")
        tokenizer.skipWhitespace()
        let plain = try tokenizer.readString()
        guard case .raw(let range) = plain else {
            Issue.record("a string without escapes is read in place")
            return
        }
        #expect(range == 25..<30)
        for (text, message, offset) in [
            ("\"ab\u{1}\"", "control character U+0001 in a string must be escaped", 3),
            ("\"a\\x\"", "invalid escape \\x", 3),
            ("\"\\ud800\"", "unpaired surrogate in a \\u escape", 7),
            ("\"abc", "unterminated string", 4),
        ] {
            var t = JSONTokenizer(Array(text.utf8))
            #expect(throws: JSONSyntaxError(message: message, offset: offset)) { try t.readString() }
        }
        var invalid = JSONTokenizer([0x22, 0x61, 0xC0, 0x80, 0x22])
        #expect(throws: JSONSyntaxError(message: "invalid UTF-8 in a string", offset: 2)) {
            try invalid.readString()
        }
    }

    @Test("a range of a larger buffer is read in place, offsets counted from its start")
    func ranges() throws {
        let bytes = Array(#"xx{"a":[1,true,null]}yy"#.utf8)
        #expect(JSONTokenizer.isValidDocument(bytes, range: 2..<21, maxDepth: 2))
        #expect(!JSONTokenizer.isValidDocument(bytes, range: 2..<21, maxDepth: 1))
        #expect(!JSONTokenizer.isValidDocument(bytes, maxDepth: 4))
        var tokenizer = JSONTokenizer(bytes, range: 2..<10)
        #expect(throws: JSONSyntaxError(message: "unexpected end of input", offset: 8)) {
            try tokenizer.skipValue(depth: 0, maxDepth: 4)
        }
    }

    @Test("canonical JSON text escapes only quote, backslash and control characters")
    func text() {
        var out: [UInt8] = []
        JSONText.appendString("a\"\\/\u{0}\u{8}\u{1B}é\u{7F}", to: &out)
        JSONText.appendInteger(-120, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"\\/\u0000\b\u001bé"# + "\u{7F}\"-120")
        #expect(JSONText.quotedLength("a\"\u{1B}") == 2 + 3 + 1 + 5)
    }
}

@Suite("RFC 3339 instants outside 64-bit nanoseconds")
struct RFC3339RangeTests {
    @Test("a real date past 2262 or before 1677 is well formed but out of range; a malformed text is neither")
    func outOfRange() {
        #expect(RFC3339.nanoseconds(ArraySlice("9999-12-31T23:59:59.000Z".utf8)) == nil)
        #expect(RFC3339.isOutOfRange(ArraySlice("9999-12-31T23:59:59.000Z".utf8)))
        #expect(RFC3339.isOutOfRange(ArraySlice("1600-01-01T00:00:00Z".utf8)))
        #expect(!RFC3339.isOutOfRange(ArraySlice("2262-04-11T23:47:16.854Z".utf8)))
        #expect(!RFC3339.isOutOfRange(ArraySlice("2026-11-24T16:02:00.000Z".utf8)))
        #expect(!RFC3339.isOutOfRange(ArraySlice("9999-02-30T00:00:00Z".utf8)))
        #expect(!RFC3339.isOutOfRange(ArraySlice("not a time at all, no".utf8)))
    }
}
