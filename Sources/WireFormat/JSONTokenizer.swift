/// The one strict JSON reader core of the package (RFC 8259): whitespace, strings (one UTF-8 validation, one
/// escape decoder), numbers, literals, and skipping whole values within a depth bound. The tree parser and the
/// streaming readers are thin uses of it.
///
/// The reading itself is the static functions, which read a `Span<UInt8>` at an `inout` index: the ledger line's
/// fast scanner calls them on the reader's buffer, and a tokenizer value, which reads a byte array (or a range
/// of one, so a large buffer is read in place), calls them on its array's span. They check every index and
/// report each failure as a ``JSONSyntaxError`` with the offset from the start of the span (for a tokenizer
/// value, of its range). Nothing in it traps on any input.
public struct JSONTokenizer {
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

    // MARK: - The tokenizer value: the core below, on the array's span

    /// Skips JSON whitespace.
    package mutating func skipWhitespace() {
        var at = offset
        Self.skipWhitespace(bytes.span.extracting(start..<end), &at)
        index = start &+ at
    }

    /// Consumes `byte` after optional whitespace, or fails with `expected <what>`.
    package mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws(JSONSyntaxError) {
        var at = offset
        defer { index = start &+ at }
        try Self.expect(byte, what(), bytes.span.extracting(start..<end), &at)
    }

    /// Consumes `byte` after optional whitespace when it is next.
    package mutating func consume(_ byte: UInt8) -> Bool {
        var at = offset
        defer { index = start &+ at }
        return Self.consume(byte, bytes.span.extracting(start..<end), &at)
    }

    /// Reads a string whose opening quote is the next byte, checking escapes, surrogates and UTF-8.
    package mutating func readString() throws(JSONSyntaxError) -> StringToken {
        var at = offset
        defer { index = start &+ at }
        switch try Self.readString(bytes.span.extracting(start..<end), &at) {
        case .raw(let range): return .raw((range.lowerBound &+ start)..<(range.upperBound &+ start))
        case .decoded(let decoded): return .decoded(decoded)
        }
    }

    /// Reads a number whose first byte is next and returns its text's range.
    package mutating func readNumber() throws(JSONSyntaxError) -> Range<Int> {
        var at = offset
        defer { index = start &+ at }
        let range = try Self.readNumber(bytes.span.extracting(start..<end), &at)
        return (range.lowerBound &+ start)..<(range.upperBound &+ start)
    }

    /// Reads a literal (`true`, `false`, `null`) whose first byte is next.
    package mutating func readLiteral(_ literal: String) throws(JSONSyntaxError) {
        var at = offset
        defer { index = start &+ at }
        try Self.readLiteral(literal, bytes.span.extracting(start..<end), &at)
    }

    /// Reads and validates any value starting at the next non-whitespace byte, without keeping it.
    /// - Parameters:
    ///   - depth: the nesting depth of the container holding the value (the top-level value's is 0).
    ///   - maxDepth: containers nested deeper than this are refused.
    /// - Returns: the value's kind.
    @discardableResult
    package mutating func skipValue(depth: Int, maxDepth: Int) throws(JSONSyntaxError) -> Kind {
        var at = offset
        defer { index = start &+ at }
        return try Self.skipValue(bytes.span.extracting(start..<end), &at, depth: depth, maxDepth: maxDepth)
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

    /// Whether `bytes[range]` is one JSON value (surrounded by optional whitespace) within `maxDepth`.
    package static func isValidDocument(_ bytes: [UInt8], range: Range<Int>? = nil, maxDepth: Int) -> Bool {
        let range = range?.clamped(to: 0..<bytes.count) ?? 0..<bytes.count
        let span = bytes.span.extracting(range)
        var at = 0
        do throws(JSONSyntaxError) {
            try skipValue(span, &at, depth: 0, maxDepth: maxDepth)
            skipWhitespace(span, &at)
            return at == span.count
        } catch {
            return false
        }
    }

    // MARK: - The core: whitespace and punctuation (`skipWhitespace`, `consume`: JSONTokenizer+Fast.swift)

    /// Consumes `byte` after optional whitespace, or fails with `expected <what>`.
    package static func expect(
        _ byte: UInt8,
        _ what: @autoclosure () -> String,
        _ span: Span<UInt8>,
        _ index: inout Int
    ) throws(JSONSyntaxError) {
        guard consume(byte, span, &index) else { throw JSONSyntaxError(message: "expected \(what())", offset: index) }
    }

    // MARK: - The core: strings (the content scan, `scanStringContent`: JSONTokenizer+Fast.swift)

    /// Reads a string whose opening quote is at `index`, checking escapes, surrogates and UTF-8.
    package static func readString(_ span: Span<UInt8>, _ index: inout Int) throws(JSONSyntaxError) -> StringToken {
        index &+= 1  // the opening quote
        let contentStart = index
        var ascii = true
        // The common case: no escape up to the closing quote.
        try scanStringContent(span, &index, ascii: &ascii)
        if span[index] == 0x22 {
            index &+= 1
            return .raw(contentStart..<(index &- 1))
        }
        var out: [UInt8] = []
        out.reserveCapacity(index &- contentStart &+ 16)
        append(span, contentStart..<index, to: &out)
        while true {
            try decodeEscape(span, &index, into: &out)
            let run = index
            try scanStringContent(span, &index, ascii: &ascii)
            append(span, run..<index, to: &out)
            if span[index] == 0x22 {
                index &+= 1
                return .decoded(out)
            }
        }
    }

    private static func append(_ span: Span<UInt8>, _ range: Range<Int>, to out: inout [UInt8]) {
        for k in range { out.append(span[k]) }
    }

    /// Steps over the control byte (refused) or the UTF-8 sequence of two or more bytes at `index`.
    @usableFromInline
    static func stepOverSpecialByte(_ span: Span<UInt8>, _ index: inout Int) throws(JSONSyntaxError) {
        let b = span[index]
        if b < 0x20 {
            throw JSONSyntaxError(
                message: "control character U+00\(upperHex2(b)) in a string must be escaped",
                offset: index
            )
        }
        let length = utf8SequenceLength(span, index)
        guard length > 0 else { throw JSONSyntaxError(message: "invalid UTF-8 in a string", offset: index) }
        index &+= length
    }

    /// The length of the well-formed UTF-8 sequence of two or more bytes at `at`, or 0: overlongs, surrogates
    /// and values past U+10FFFF are not well-formed. The one UTF-8 validation of the reader.
    static func utf8SequenceLength(_ span: Span<UInt8>, _ at: Int) -> Int {
        let end = span.count
        func byte(_ offset: Int) -> UInt8? { at + offset < end ? span[at + offset] : nil }
        func isContinuation(_ offset: Int) -> Bool { byte(offset).map { $0 & 0xC0 == 0x80 } ?? false }
        func second(in range: ClosedRange<UInt8>) -> Bool { byte(1).map { range.contains($0) } ?? false }
        switch span[at] {
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

    /// Decodes the escape whose backslash is at `index` and appends its UTF-8: the one escape decoder of the
    /// reader.
    private static func decodeEscape(
        _ span: Span<UInt8>,
        _ index: inout Int,
        into out: inout [UInt8]
    ) throws(JSONSyntaxError) {
        index &+= 1
        guard index < span.count else { throw JSONSyntaxError(message: "unterminated escape", offset: index) }
        let e = span[index]
        index &+= 1
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
            var scalar = try readHex4(span, &index)
            if scalar >= 0xD800, scalar <= 0xDBFF {
                guard span.count - index >= 6, span[index] == 0x5C, span[index + 1] == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(message: "unpaired surrogate in a \\u escape", offset: index)
                }
                index &+= 2
                let low = try readHex4(span, &index)
                guard low >= 0xDC00, low <= 0xDFFF else {
                    throw JSONSyntaxError(message: "unpaired surrogate in a \\u escape", offset: index)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                throw JSONSyntaxError(message: "unpaired surrogate in a \\u escape", offset: index)
            }
            appendUTF8(scalar, to: &out)
        default:
            index &-= 1
            throw JSONSyntaxError(
                message: "invalid escape \\\(String(decoding: [e], as: UTF8.self))",
                offset: index
            )
        }
    }

    private static func readHex4(_ span: Span<UInt8>, _ index: inout Int) throws(JSONSyntaxError) -> UInt32 {
        guard span.count - index >= 4 else {
            throw JSONSyntaxError(message: "truncated \\u escape", offset: index)
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Hex.digitValue(anyCase: span[index]) else {
                throw JSONSyntaxError(message: "invalid hex digit in a \\u escape", offset: index)
            }
            value = value << 4 | UInt32(digit)
            index &+= 1
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

    // MARK: - The core: numbers (`readNumber`, `scanNumber`: JSONTokenizer+Fast.swift), literals, values

    /// Whether `b` is an ASCII digit.
    @inlinable
    public static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// What is wrong with a number (``scanNumber(_:_:)``).
    public enum NumberFault: UInt8, Sendable {
        /// The input ends before a digit.
        case end
        case leadingZero
        /// No digit where the number starts.
        case digit
        case fractionDigit
        case exponent
    }

    /// A number's syntax error (out of line: the message is built only on failure).
    @usableFromInline
    static func numberFailure(_ fault: NumberFault, _ index: Int) -> JSONSyntaxError {
        let message =
            switch fault {
            case .end: "unexpected end of input in a number"
            case .leadingZero: "a number must not have leading zeros"
            case .digit: "expected a digit"
            case .fractionDigit: "expected a digit after '.'"
            case .exponent: "expected an exponent"
            }
        return JSONSyntaxError(message: message, offset: index)
    }

    /// Reads a literal (`true`, `false`, `null`) whose first byte is at `index`.
    package static func readLiteral(
        _ literal: String,
        _ span: Span<UInt8>,
        _ index: inout Int
    ) throws(JSONSyntaxError) {
        guard span.count - index >= literal.utf8.count else {
            throw JSONSyntaxError(message: "unexpected end of input", offset: index)
        }
        var at = index
        for byte in literal.utf8 {
            guard span[at] == byte else { throw JSONSyntaxError(message: "invalid literal", offset: index) }
            at &+= 1
        }
        index = at
    }

    /// Reads and validates any value starting at the next non-whitespace byte from `index`, without keeping
    /// it; see ``skipValue(depth:maxDepth:)``.
    @discardableResult
    package static func skipValue(
        _ span: Span<UInt8>,
        _ index: inout Int,
        depth: Int,
        maxDepth: Int
    ) throws(JSONSyntaxError) -> Kind {
        func failure(_ message: String) -> JSONSyntaxError { JSONSyntaxError(message: message, offset: index) }
        skipWhitespace(span, &index)
        guard index < span.count else { throw failure("unexpected end of input") }
        switch span[index] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
            index &+= 1
            if consume(UInt8(ascii: "}"), span, &index) { return .object }
            while true {
                skipWhitespace(span, &index)
                guard index < span.count, span[index] == 0x22 else { throw failure("expected a string key") }
                _ = try readString(span, &index)
                try expect(UInt8(ascii: ":"), "':' after a key", span, &index)
                try skipValue(span, &index, depth: depth + 1, maxDepth: maxDepth)
                if consume(UInt8(ascii: ","), span, &index) { continue }
                if consume(UInt8(ascii: "}"), span, &index) { return .object }
                throw failure("expected ',' or '}' in an object")
            }
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
            index &+= 1
            if consume(UInt8(ascii: "]"), span, &index) { return .array }
            while true {
                try skipValue(span, &index, depth: depth + 1, maxDepth: maxDepth)
                if consume(UInt8(ascii: ","), span, &index) { continue }
                if consume(UInt8(ascii: "]"), span, &index) { return .array }
                throw failure("expected ',' or ']' in an array")
            }
        case 0x22:
            _ = try readString(span, &index)
            return .string
        case UInt8(ascii: "t"):
            try readLiteral("true", span, &index)
            return .bool
        case UInt8(ascii: "f"):
            try readLiteral("false", span, &index)
            return .bool
        case UInt8(ascii: "n"):
            try readLiteral("null", span, &index)
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber(span, &index)
            return .number
        default:
            throw failure("unexpected character \(ErrorText.quote(bytes: [span[index]]))")
        }
    }
}

/// A JSON syntax error: what is wrong and where, counted in bytes from the start of the text read.
public struct JSONSyntaxError: Error, Sendable, Hashable {
    public var message: String
    public var offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}
