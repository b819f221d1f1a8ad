/// The one strict JSON reader core of the package (RFC 8259): whitespace, strings (one UTF-8 validation, one
/// escape decoder), numbers, literals, and skipping whole values within a depth bound. The tree parser and the
/// streaming readers are thin uses of it.
///
/// It reads a byte array (or a range of one, so a large buffer is read in place), checks every index, and
/// reports each failure as a ``JSONSyntaxError`` with the offset from the start of that range. Nothing in it
/// traps on any input.
package struct JSONTokenizer {
    /// The kind of a value.
    package enum Kind: Sendable, Hashable {
        case object
        case array
        case string
        case number
        case bool
        case null

        /// A short name of the kind, for error messages.
        package var name: String {
            switch self {
            case .object: return "an object"
            case .array: return "an array"
            case .string: return "a string"
            case .number: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            }
        }
    }

    /// A string read: its content bytes when it had no escape, or its decoded bytes. Either way valid UTF-8.
    package enum StringToken: Sendable {
        /// The string's content, unescaped, at this range of ``bytes``.
        case raw(Range<Int>)
        /// The string's decoded content (it had escapes).
        case decoded([UInt8])
    }

    /// The input.
    package let bytes: [UInt8]
    /// The first offset read (errors count from here).
    package let start: Int
    /// The offset past the last byte read.
    package let end: Int
    /// The offset of the next byte to read.
    package var index: Int

    /// Reads `bytes[range]` (all of `bytes` by default).
    package init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        let range = range?.clamped(to: 0..<bytes.count) ?? 0..<bytes.count
        self.bytes = bytes
        self.start = range.lowerBound
        self.end = range.upperBound
        self.index = range.lowerBound
    }

    /// Whether every byte has been read.
    package var isAtEnd: Bool { index >= end }

    /// The next byte, if any, without consuming it.
    package var peek: UInt8? { index < end ? bytes[index] : nil }

    /// The offset of the next byte from ``start``, as errors give it.
    package var offset: Int { index - start }

    /// A syntax error at the current offset.
    package func failure(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(message: message, offset: offset)
    }

    /// Skips JSON whitespace.
    package mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` after optional whitespace, or fails with `expected <what>`.
    package mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < end, bytes[index] == byte else { throw failure("expected \(what())") }
        index += 1
    }

    /// Consumes `byte` after optional whitespace when it is next.
    package mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if index < end, bytes[index] == byte {
            index += 1
            return true
        }
        return false
    }

    // MARK: - Strings

    /// Reads a string whose opening quote is the next byte, checking escapes, surrogates and UTF-8.
    package mutating func readString() throws(JSONSyntaxError) -> StringToken {
        index += 1  // the opening quote
        let contentStart = index
        // The common case: no escape up to the closing quote.
        while index < end {
            let b = bytes[index]
            if b == 0x22 {
                index += 1
                return .raw(contentStart..<(index - 1))
            }
            if b == 0x5C { break }
            try checkContentByte(b)
        }
        guard index < end else { throw failure("unterminated string") }
        var out = Array(bytes[contentStart..<index])
        out.reserveCapacity(out.count + 16)
        while true {
            guard index < end else { throw failure("unterminated string") }
            let b = bytes[index]
            if b == 0x22 {
                index += 1
                return .decoded(out)
            }
            if b == 0x5C {
                try decodeEscape(into: &out)
            } else {
                let first = index
                try checkContentByte(b)
                out.append(contentsOf: bytes[first..<index])
            }
        }
    }

    /// Steps over one unescaped content byte or UTF-8 sequence starting with `b` (not `"` or `\`).
    private mutating func checkContentByte(_ b: UInt8) throws(JSONSyntaxError) {
        if b >= 0x20, b < 0x80 {
            index += 1
        } else if b < 0x20 {
            throw failure("control character U+00\(Self.upperHex2(b)) in a string must be escaped")
        } else {
            let length = utf8SequenceLength(at: index)
            guard length > 0 else { throw failure("invalid UTF-8 in a string") }
            index += length
        }
    }

    /// The length of the well-formed UTF-8 sequence of two or more bytes at `at`, or 0: overlongs, surrogates
    /// and values past U+10FFFF are not well-formed. The one UTF-8 validation of the reader.
    private func utf8SequenceLength(at: Int) -> Int {
        func byte(_ offset: Int) -> UInt8? { at + offset < end ? bytes[at + offset] : nil }
        func isContinuation(_ offset: Int) -> Bool { byte(offset).map { $0 & 0xC0 == 0x80 } ?? false }
        func second(in range: ClosedRange<UInt8>) -> Bool { byte(1).map { range.contains($0) } ?? false }
        switch bytes[at] {
        case 0xC2...0xDF:
            return isContinuation(1) ? 2 : 0
        case 0xE0:
            return second(in: 0xA0...0xBF) && isContinuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return isContinuation(1) && isContinuation(2) ? 3 : 0
        case 0xED:
            return second(in: 0x80...0x9F) && isContinuation(2) ? 3 : 0
        case 0xF0:
            return second(in: 0x90...0xBF) && isContinuation(2) && isContinuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return isContinuation(1) && isContinuation(2) && isContinuation(3) ? 4 : 0
        case 0xF4:
            return second(in: 0x80...0x8F) && isContinuation(2) && isContinuation(3) ? 4 : 0
        default:
            return 0
        }
    }

    /// Decodes the escape whose backslash is next and appends its UTF-8: the one escape decoder of the reader.
    private mutating func decodeEscape(into out: inout [UInt8]) throws(JSONSyntaxError) {
        index += 1
        guard index < end else { throw failure("unterminated escape") }
        let e = bytes[index]
        index += 1
        switch e {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if scalar >= 0xD800, scalar <= 0xDBFF {
                guard end - index >= 6, bytes[index] == 0x5C, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("unpaired surrogate in a \\u escape")
                }
                index += 2
                let low = try readHex4()
                guard low >= 0xDC00, low <= 0xDFFF else { throw failure("unpaired surrogate in a \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                throw failure("unpaired surrogate in a \\u escape")
            }
            Self.appendUTF8(scalar, to: &out)
        default:
            index -= 1
            throw failure("invalid escape \\\(String(decoding: [e], as: UTF8.self))")
        }
    }

    private mutating func readHex4() throws(JSONSyntaxError) -> UInt32 {
        guard end - index >= 4 else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Hex.digitValue(anyCase: bytes[index]) else {
                throw failure("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Appends the UTF-8 form of a scalar value known to be valid (not a surrogate, at most U+10FFFF).
    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            out.append(UInt8(truncatingIfNeeded: 0xC0 | (scalar >> 6)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(truncatingIfNeeded: 0xE0 | (scalar >> 12)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(truncatingIfNeeded: 0xF0 | (scalar >> 18)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        }
    }

    /// Two uppercase hex digits, for error messages.
    private static func upperHex2(_ b: UInt8) -> String {
        var out: [UInt8] = []
        Hex.appendUpper(byte: b, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The string a token holds.
    package func string(_ token: StringToken) -> String {
        switch token {
        case .raw(let range): return String(decoding: bytes[range], as: UTF8.self)
        case .decoded(let decoded): return String(decoding: decoded, as: UTF8.self)
        }
    }

    /// The content bytes of a token.
    package func contentBytes(_ token: StringToken) -> ArraySlice<UInt8> {
        switch token {
        case .raw(let range): return bytes[range]
        case .decoded(let decoded): return decoded[...]
        }
    }

    /// The number of content bytes of a token.
    package func count(_ token: StringToken) -> Int {
        switch token {
        case .raw(let range): return range.count
        case .decoded(let decoded): return decoded.count
        }
    }

    // MARK: - Numbers, literals, values

    /// Whether `b` is an ASCII digit.
    package static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Reads a number whose first byte is next and returns its text's range.
    package mutating func readNumber() throws(JSONSyntaxError) -> Range<Int> {
        let first = index
        if index < end, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end else { throw failure("unexpected end of input in a number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < end, Self.isDigit(bytes[index]) { throw failure("a number must not have leading zeros") }
        } else if Self.isDigit(bytes[index]) {
            skipDigits()
        } else {
            throw failure("expected a digit")
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, Self.isDigit(bytes[index]) else { throw failure("expected a digit after '.'") }
            skipDigits()
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, Self.isDigit(bytes[index]) else { throw failure("expected an exponent") }
            skipDigits()
        }
        return first..<index
    }

    private mutating func skipDigits() {
        while index < end, Self.isDigit(bytes[index]) { index += 1 }
    }

    /// Reads a literal (`true`, `false`, `null`) whose first byte is next.
    package mutating func readLiteral(_ literal: String) throws(JSONSyntaxError) {
        let count = literal.utf8.count
        guard end - index >= count else { throw failure("unexpected end of input") }
        let matches = literal.utf8.elementsEqual(bytes[index..<(index + count)])
        guard matches else { throw failure("invalid literal") }
        index += count
    }

    /// Reads and validates any value starting at the next non-whitespace byte, without keeping it.
    /// - Parameters:
    ///   - depth: the nesting depth of the container holding the value (the top-level value's is 0).
    ///   - maxDepth: containers nested deeper than this are refused.
    /// - Returns: the value's kind.
    @discardableResult
    package mutating func skipValue(depth: Int, maxDepth: Int) throws(JSONSyntaxError) -> Kind {
        skipWhitespace()
        guard index < end else { throw failure("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
            index += 1
            if consume(UInt8(ascii: "}")) { return .object }
            while true {
                skipWhitespace()
                guard index < end, bytes[index] == 0x22 else { throw failure("expected a string key") }
                _ = try readString()
                try expect(UInt8(ascii: ":"), "':' after a key")
                try skipValue(depth: depth + 1, maxDepth: maxDepth)
                if consume(UInt8(ascii: ",")) { continue }
                if consume(UInt8(ascii: "}")) { return .object }
                throw failure("expected ',' or '}' in an object")
            }
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
            index += 1
            if consume(UInt8(ascii: "]")) { return .array }
            while true {
                try skipValue(depth: depth + 1, maxDepth: maxDepth)
                if consume(UInt8(ascii: ",")) { continue }
                if consume(UInt8(ascii: "]")) { return .array }
                throw failure("expected ',' or ']' in an array")
            }
        case 0x22:
            _ = try readString()
            return .string
        case UInt8(ascii: "t"):
            try readLiteral("true")
            return .bool
        case UInt8(ascii: "f"):
            try readLiteral("false")
            return .bool
        case UInt8(ascii: "n"):
            try readLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber()
            return .number
        default:
            throw failure("unexpected character \(ErrorText.quote(bytes: bytes[index...index]))")
        }
    }

    /// Whether `bytes[range]` is one JSON value (surrounded by optional whitespace) within `maxDepth`.
    package static func isValidDocument(_ bytes: [UInt8], range: Range<Int>? = nil, maxDepth: Int) -> Bool {
        var tokenizer = JSONTokenizer(bytes, range: range)
        do throws(JSONSyntaxError) {
            try tokenizer.skipValue(depth: 0, maxDepth: maxDepth)
            tokenizer.skipWhitespace()
            return tokenizer.isAtEnd
        } catch {
            return false
        }
    }
}

/// A JSON syntax error: what is wrong and where, counted in bytes from the start of the text read.
package struct JSONSyntaxError: Error, Sendable, Hashable {
    package var message: String
    package var offset: Int

    package init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}
