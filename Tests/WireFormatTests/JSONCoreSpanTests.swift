import Testing
import WireFormat

@Suite("The JSON reader core's span functions, which the ledger line scanner calls directly")
struct JSONCoreSpanTests {
    /// What the core's string scan must do, one byte at a time: where it stops (the first quote or backslash),
    /// whether it saw a byte ≥ 0x80, or the offset and message it fails with.
    private enum Expected: Equatable {
        case stop(at: Int, ascii: Bool)
        case failure(JSONSyntaxError)
    }

    private static func scan(_ bytes: [UInt8]) -> Expected {
        var index = 0
        var ascii = true
        do throws(JSONSyntaxError) {
            try JSONTokenizer.scanStringContent(bytes.span, &index, ascii: &ascii)
            return .stop(at: index, ascii: ascii)
        } catch {
            return .failure(error)
        }
    }

    @Test(
        "the string scan stops at the first quote or backslash, notices é and refuses control bytes and bad UTF-8 at every place in its eight-byte words"
    )
    func stringScanAtEveryPosition() {
        for length in 1...20 {
            for position in 0..<length {
                var plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                plain.append(0x22)
                #expect(Self.scan(plain) == .stop(at: length, ascii: true))
                for stop in [UInt8(ascii: "\""), UInt8(ascii: "\\")] {
                    var bytes = plain
                    bytes[position] = stop
                    #expect(Self.scan(bytes) == .stop(at: position, ascii: true), "\(stop) at \(position)")
                }
                var delete = plain
                delete[position] = 0x7F  // not a control character in JSON
                #expect(Self.scan(delete) == .stop(at: length, ascii: true))
                var control = plain
                control[position] = 0x1F
                #expect(
                    Self.scan(control)
                        == .failure(
                            JSONSyntaxError(
                                message: "control character U+001F in a string must be escaped",
                                offset: position
                            )
                        )
                )
                var accented = plain
                accented.replaceSubrange(position..<(position + 1), with: [0xC3, 0xA9])
                #expect(Self.scan(accented) == .stop(at: length + 1, ascii: false), "é at \(position)")
                var overlong = plain
                overlong.replaceSubrange(position..<(position + 1), with: [0xC0, 0x80])
                #expect(
                    Self.scan(overlong)
                        == .failure(JSONSyntaxError(message: "invalid UTF-8 in a string", offset: position))
                )
            }
            let open = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            #expect(Self.scan(open) == .failure(JSONSyntaxError(message: "unterminated string", offset: length)))
        }
    }

    @Test("a tokenizer over a range of an array reads what the span functions read on that range, offsets shifted")
    func tokenizerValueIsTheSpanCore() throws {
        let bytes = Array(#"xx "a\nb" "plain" -12.5e3 true yy"#.utf8)
        var tokenizer = JSONTokenizer(bytes, range: 3..<31)
        let slice = Array(bytes[3..<31])
        var index = 0
        guard case .decoded(let escaped) = try JSONTokenizer.readString(slice.span, &index),
            case .decoded(let fromValue) = try tokenizer.readString()
        else {
            Issue.record("a string with an escape is decoded")
            return
        }
        #expect(escaped == Array("a\nb".utf8))
        #expect(fromValue == escaped)
        #expect(tokenizer.index == index + 3)
        tokenizer.skipWhitespace()
        JSONTokenizer.skipWhitespace(slice.span, &index)
        guard case .raw(let range) = try tokenizer.readString(),
            case .raw(let spanRange) = try JSONTokenizer.readString(slice.span, &index)
        else {
            Issue.record("an unescaped string is read in place")
            return
        }
        #expect(range == spanRange.lowerBound + 3..<spanRange.upperBound + 3)
        #expect(String(decoding: bytes[range], as: UTF8.self) == "plain")
        tokenizer.skipWhitespace()
        JSONTokenizer.skipWhitespace(slice.span, &index)
        let number = try tokenizer.readNumber()
        let spanNumber = try JSONTokenizer.readNumber(slice.span, &index)
        #expect(number == spanNumber.lowerBound + 3..<spanNumber.upperBound + 3)
        #expect(String(decoding: bytes[number], as: UTF8.self) == "-12.5e3")
        #expect(try tokenizer.skipValue(depth: 0, maxDepth: 1) == .bool)
        #expect(try JSONTokenizer.skipValue(slice.span, &index, depth: 0, maxDepth: 1) == .bool)
        #expect(tokenizer.index == index + 3)
        tokenizer.skipWhitespace()
        #expect(tokenizer.isAtEnd)
    }

    /// `text`'s first `count` bytes as a span of an array that goes on with `rest`: the core's unchecked reads
    /// (JSONTokenizer+Fast.swift) must stop at the span's end, whatever lies after it.
    private static func prefix(_ text: String, _ count: Int, then rest: String, _ body: (Span<UInt8>) -> Void) {
        let bytes = Array(text.utf8) + Array(rest.utf8)
        body(bytes.span.extracting(0..<count))
    }

    @Test("the core reads nothing past the end of the span it is given, at any length, nor before its start")
    func coreStaysInsideItsSpan() {
        let text = #"abcdefghijklmnopqrstuvwxyz0123456789"#
        for count in 0...text.utf8.count {
            // A closing quote right after the span: a scan that looked past the end would stop there.
            Self.prefix(text, count, then: #"""#) { span in
                var index = 0
                var ascii = true
                do throws(JSONSyntaxError) {
                    try JSONTokenizer.scanStringContent(span, &index, ascii: &ascii)
                    Issue.record("a string cut at \(count) bytes is unterminated")
                } catch {
                    #expect(error == JSONSyntaxError(message: "unterminated string", offset: count))
                }
                for offset in -1...(count + 1) {
                    let word = SpanWords.word(span, offset)
                    if offset >= 0, offset + 8 <= count {
                        let expected = (0..<8).reduce(UInt64(0)) { $0 | UInt64(span[offset + $1]) << (8 * $1) }
                        #expect(word == expected, "the word at \(offset) of \(count)")
                    } else {
                        #expect(word == 0, "no word at \(offset) of \(count)")
                    }
                }
            }
            // Digits after the span's end are not the number's.
            let digits = String(repeating: "7", count: count)
            Self.prefix(digits, count, then: "1") { span in
                var index = 0
                let fault = JSONTokenizer.scanNumber(span, &index)
                #expect(fault == (count == 0 ? .end : nil))
                #expect(index == count)
            }
            // Whitespace after the span's end is not skipped, nor a byte there consumed.
            Self.prefix(String(repeating: " ", count: count), count, then: " ,") { span in
                var index = 0
                JSONTokenizer.skipWhitespace(span, &index)
                #expect(index == count)
                #expect(!JSONTokenizer.consume(UInt8(ascii: ","), span, &index))
                #expect(index == count)
            }
        }
        // An index before the start reads nothing and fails or returns at once.
        let bytes = Array(#" "a" 1"#.utf8)
        var index = -1
        JSONTokenizer.skipWhitespace(bytes.span, &index)
        #expect(index == -1)
        #expect(!JSONTokenizer.consume(UInt8(ascii: " "), bytes.span, &index))
        #expect(JSONTokenizer.scanNumber(bytes.span, &index) == .end)
        var ascii = true
        #expect(throws: JSONSyntaxError.self) { try JSONTokenizer.scanStringContent(bytes.span, &index, ascii: &ascii) }
    }

    @Test("the number scan names each fault where the tree parser's message says it is")
    func numberFaults() {
        let cases: [(String, JSONTokenizer.NumberFault?, Int, String?)] = [
            ("-", .end, 1, "unexpected end of input in a number"),
            ("012", .leadingZero, 1, "a number must not have leading zeros"),
            ("-x", .digit, 1, "expected a digit"),
            ("1.e5", .fractionDigit, 2, "expected a digit after '.'"),
            ("1e+", .exponent, 3, "expected an exponent"),
            ("-0.25E-3,", nil, 8, nil),
        ]
        for (text, fault, offset, message) in cases {
            let bytes = Array(text.utf8)
            var index = 0
            #expect(JSONTokenizer.scanNumber(bytes.span, &index) == fault, "\(text)")
            #expect(index == offset, "\(text)")
            var at = 0
            do throws(JSONSyntaxError) {
                let range = try JSONTokenizer.readNumber(bytes.span, &at)
                #expect(message == nil && range == 0..<offset, "\(text)")
            } catch {
                #expect(error == JSONSyntaxError(message: message ?? "", offset: offset), "\(text)")
            }
        }
    }
}
