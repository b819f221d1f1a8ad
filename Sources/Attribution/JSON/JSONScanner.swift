/// A forward-only reader over UTF-8 JSON bytes that validates as it goes and allocates only for what the
/// caller asks to keep.
///
/// The envelope decoder and the payload embedding read their input through it: it checks the same grammar
/// as ``JSONParser`` (RFC 8259, strict: valid UTF-8, no lone surrogates, no raw control characters in strings,
/// no leading zeros, no trailing commas) without building a tree, and reports every failure as an
/// ``AttributionError`` with the byte offset. Nothing in it traps on any input.
package struct JSONScanner {
    /// The kind of a scanned value.
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

    /// A scanned string: its content bytes when it had no escape, or its decoded bytes.
    package enum StringToken {
        /// The string's content, unescaped, at this range of the input.
        case raw(Range<Int>)
        /// The string's decoded content (it had escapes).
        case decoded([UInt8])
    }

    /// The input.
    package let bytes: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    package var index: Int

    /// Creates a scanner at the start of `bytes`.
    package init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    /// Whether every byte has been read.
    @inline(__always)
    package var isAtEnd: Bool { index >= bytes.count }

    /// The next byte, if any, without consuming it.
    @inline(__always)
    package var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// A malformed-JSON error at the current offset.
    package func failure(_ message: String, field: String?) -> AttributionError {
        AttributionError(.malformedJSON, field: field, reason: "\(message) at byte \(index)")
    }

    /// Skips JSON whitespace.
    @inline(__always)
    package mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index &+= 1
            default: return
            }
        }
    }

    /// Consumes `byte` after optional whitespace, or fails naming what was expected.
    package mutating func expect(
        _ byte: UInt8,
        _ what: @autoclosure () -> String,
        field: @autoclosure () -> String?
    ) throws(AttributionError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw failure("expected \(what())", field: field()) }
        index &+= 1
    }

    /// Consumes `byte` after optional whitespace when it is next.
    @inline(__always)
    package mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if index < bytes.count, bytes[index] == byte {
            index &+= 1
            return true
        }
        return false
    }

    /// The bytes of a string token.
    package func withBytes<R>(of token: StringToken, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch token {
        case .raw(let range): return body(UnsafeBufferPointer(rebasing: bytes[range]))
        case .decoded(let decoded): return decoded.withUnsafeBufferPointer(body)
        }
    }

    /// Runs `body` over a string token's bytes. Not generic, so it stays fast in unoptimised builds too.
    package func forBytes(of token: StringToken, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        switch token {
        case .raw(let range): body(UnsafeBufferPointer(rebasing: bytes[range]))
        case .decoded(let decoded): decoded.withUnsafeBufferPointer { body($0) }
        }
    }

    /// The string a token holds (its bytes are valid UTF-8: the scanner checked them).
    package func string(_ token: StringToken) -> String {
        switch token {
        case .raw(let range): return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        case .decoded(let decoded): return String(decoding: decoded, as: UTF8.self)
        }
    }

    /// Whether a token's bytes equal `literal`'s.
    package func equals(_ token: StringToken, _ literal: StaticString) -> Bool {
        var equal = false
        forBytes(of: token) { bytes in
            let count = literal.utf8CodeUnitCount
            guard bytes.count == count else { return }
            let pointer = literal.utf8Start
            var i = 0
            while i < count {
                if bytes[i] != pointer[i] { return }
                i &+= 1
            }
            equal = true
        }
        return equal
    }

    /// The number of content bytes of a token.
    package func count(_ token: StringToken) -> Int {
        switch token {
        case .raw(let range): return range.count
        case .decoded(let decoded): return decoded.count
        }
    }

    /// Reads a string whose opening quote is the next byte, checking escapes, surrogates and UTF-8.
    /// - Parameter field: named in errors.
    package mutating func readString(field: String?) throws(AttributionError) -> StringToken {
        index &+= 1  // the opening quote
        let start = index
        // The common case, plain ASCII up to the closing quote, in a tight loop over a local index.
        var i = index
        let end = bytes.count
        while i < end {
            let b = bytes[i]
            if b >= 0x20, b < 0x80, b != 0x22, b != 0x5C {
                i &+= 1
                continue
            }
            index = i
            if b == 0x22 {
                index = i &+ 1
                return .raw(start..<i)
            }
            if b == 0x5C { break }
            if b < 0x20 {
                throw failure("control character U+00\(Self.hex2(b)) in a string must be escaped", field: field)
            }
            try skipUTF8Sequence(field: field)
            i = index
        }
        if i >= end { index = i }
        guard index < bytes.count else { throw failure("unterminated string", field: field) }
        // Escapes: decode into a buffer.
        var out: [UInt8] = []
        out.reserveCapacity(index &- start &+ 16)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while true {
            guard index < bytes.count else { throw failure("unterminated string", field: field) }
            let b = bytes[index]
            if b == 0x22 {
                index &+= 1
                return .decoded(out)
            }
            if b < 0x20 {
                throw failure("control character U+00\(Self.hex2(b)) in a string must be escaped", field: field)
            }
            if b >= 0x80 {
                let s = index
                try skipUTF8Sequence(field: field)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[s..<index]))
                continue
            }
            if b != 0x5C {
                out.append(b)
                index &+= 1
                continue
            }
            index &+= 1
            guard index < bytes.count else { throw failure("unterminated escape", field: field) }
            let e = bytes[index]
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
                var scalar = try readHex4(field: field)
                if scalar >= 0xD800, scalar <= 0xDBFF {
                    guard bytes.count &- index >= 6, bytes[index] == 0x5C, bytes[index &+ 1] == UInt8(ascii: "u") else {
                        throw failure("unpaired surrogate in a \\u escape", field: field)
                    }
                    index &+= 2
                    let low = try readHex4(field: field)
                    guard low >= 0xDC00, low <= 0xDFFF else {
                        throw failure("unpaired surrogate in a \\u escape", field: field)
                    }
                    scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
                } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                    throw failure("unpaired surrogate in a \\u escape", field: field)
                }
                Self.appendUTF8(scalar, to: &out)
            default:
                index &-= 1
                throw failure("invalid escape \\\(String(decoding: [e], as: UTF8.self))", field: field)
            }
        }
    }

    /// Reads a number whose first byte is next and returns its text's range.
    package mutating func readNumber(field: String?) throws(AttributionError) -> Range<Int> {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index &+= 1 }
        guard index < bytes.count else { throw failure("unexpected end of input in a number", field: field) }
        if bytes[index] == UInt8(ascii: "0") {
            index &+= 1
            if index < bytes.count, Self.isDigit(bytes[index]) {
                throw failure("a number must not have leading zeros", field: field)
            }
        } else if Self.isDigit(bytes[index]) {
            while index < bytes.count, Self.isDigit(bytes[index]) { index &+= 1 }
        } else {
            throw failure("expected a digit", field: field)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index &+= 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else {
                throw failure("expected a digit after '.'", field: field)
            }
            while index < bytes.count, Self.isDigit(bytes[index]) { index &+= 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index &+= 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index &+= 1
            }
            guard index < bytes.count, Self.isDigit(bytes[index]) else {
                throw failure("expected an exponent", field: field)
            }
            while index < bytes.count, Self.isDigit(bytes[index]) { index &+= 1 }
        }
        return start..<index
    }

    /// Reads and validates any value starting at the next non-whitespace byte, without keeping it.
    /// - Parameters:
    ///   - depth: the nesting depth of the container holding the value (the top-level value's is 0).
    ///   - maxDepth: containers nested deeper than this are refused.
    ///   - field: named in errors.
    /// - Returns: the value's kind.
    @discardableResult
    package mutating func skipValue(depth: Int, maxDepth: Int, field: String?) throws(AttributionError) -> Kind {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end of input", field: field) }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels", field: field) }
            index &+= 1
            if consume(UInt8(ascii: "}")) { return .object }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == 0x22 else {
                    throw failure("expected a string key", field: field)
                }
                _ = try readString(field: field)
                try expect(UInt8(ascii: ":"), "':' after a key", field: field)
                try skipValue(depth: depth &+ 1, maxDepth: maxDepth, field: field)
                if consume(UInt8(ascii: ",")) { continue }
                if consume(UInt8(ascii: "}")) { return .object }
                throw failure("expected ',' or '}' in an object", field: field)
            }
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels", field: field) }
            index &+= 1
            if consume(UInt8(ascii: "]")) { return .array }
            while true {
                try skipValue(depth: depth &+ 1, maxDepth: maxDepth, field: field)
                if consume(UInt8(ascii: ",")) { continue }
                if consume(UInt8(ascii: "]")) { return .array }
                throw failure("expected ',' or ']' in an array", field: field)
            }
        case 0x22:
            _ = try readString(field: field)
            return .string
        case UInt8(ascii: "t"):
            try readLiteral("true", field: field)
            return .bool
        case UInt8(ascii: "f"):
            try readLiteral("false", field: field)
            return .bool
        case UInt8(ascii: "n"):
            try readLiteral("null", field: field)
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber(field: field)
            return .number
        default:
            throw failure("unexpected character \(AttributionError.quote(bytes: [bytes[index]]))", field: field)
        }
    }

    /// Reads a literal (`true`, `false`, `null`) whose first byte is next.
    package mutating func readLiteral(_ literal: StaticString, field: String?) throws(AttributionError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count &- index >= count else { throw failure("unexpected end of input", field: field) }
        let pointer = literal.utf8Start
        for offset in 0..<count where bytes[index &+ offset] != pointer[offset] {
            throw failure("invalid literal", field: field)
        }
        index &+= count
    }

    /// Whether the whole input is one JSON value (surrounded by optional whitespace) within `maxDepth`.
    package static func isValidDocument(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Bool {
        var scanner = JSONScanner(bytes)
        do throws(AttributionError) {
            try scanner.skipValue(depth: 0, maxDepth: maxDepth, field: nil)
            scanner.skipWhitespace()
            return scanner.isAtEnd
        } catch {
            return false
        }
    }

    // MARK: - Helpers

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// Skips one multi-byte UTF-8 sequence starting at `index`, refusing overlongs, surrogates and values past
    /// U+10FFFF.
    private mutating func skipUTF8Sequence(field: String?) throws(AttributionError) {
        let b0 = bytes[index]
        let remaining = bytes.count &- index
        @inline(__always) func cont(_ offset: Int) -> UInt8? {
            offset < remaining ? bytes[index &+ offset] : nil
        }
        @inline(__always) func isCont(_ b: UInt8?) -> Bool { b.map { $0 & 0xC0 == 0x80 } ?? false }
        var length = 0
        switch b0 {
        case 0xC2...0xDF:
            if isCont(cont(1)) { length = 2 }
        case 0xE0:
            if let b1 = cont(1), b1 >= 0xA0, b1 <= 0xBF, isCont(cont(2)) { length = 3 }
        case 0xE1...0xEC, 0xEE...0xEF:
            if isCont(cont(1)), isCont(cont(2)) { length = 3 }
        case 0xED:
            if let b1 = cont(1), b1 >= 0x80, b1 <= 0x9F, isCont(cont(2)) { length = 3 }
        case 0xF0:
            if let b1 = cont(1), b1 >= 0x90, b1 <= 0xBF, isCont(cont(2)), isCont(cont(3)) { length = 4 }
        case 0xF1...0xF3:
            if isCont(cont(1)), isCont(cont(2)), isCont(cont(3)) { length = 4 }
        case 0xF4:
            if let b1 = cont(1), b1 >= 0x80, b1 <= 0x8F, isCont(cont(2)), isCont(cont(3)) { length = 4 }
        default:
            break
        }
        guard length > 0 else { throw failure("invalid UTF-8 in a string", field: field) }
        index &+= length
    }

    private mutating func readHex4(field: String?) throws(AttributionError) -> UInt32 {
        guard bytes.count &- index >= 4 else { throw failure("truncated \\u escape", field: field) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b &- UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b &- UInt8(ascii: "a") &+ 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b &- UInt8(ascii: "A") &+ 10)
            default: throw failure("invalid hex digit in a \\u escape", field: field)
            }
            value = value << 4 | digit
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

    static func hex2(_ b: UInt8) -> String {
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0xF)]], as: UTF8.self)
    }
}
