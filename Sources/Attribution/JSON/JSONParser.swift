/// A strict RFC 8259 parser with bounded work: input size is checked before parsing, nesting depth is capped,
/// invalid UTF-8, lone surrogates, control characters in strings, leading zeros and trailing commas are
/// refused, and duplicate keys are refused unless the caller allows them. Every error is an
/// ``AttributionError`` naming the path of the value at fault and the byte offset; nothing traps.
package struct JSONParser {
    /// Bounds on one parse.
    package struct Limits: Sendable {
        /// Larger input is refused before it is parsed.
        package var maxBytes: Int
        /// Deepest nesting of arrays and objects.
        package var maxDepth: Int
        /// Whether a repeated key in one object is an error (otherwise the first wins).
        package var rejectDuplicateKeys: Bool

        package init(maxBytes: Int, maxDepth: Int, rejectDuplicateKeys: Bool = true) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
            self.rejectDuplicateKeys = rejectDuplicateKeys
        }
    }

    /// Parses one JSON document (surrounding whitespace allowed, nothing else).
    /// - Parameters:
    ///   - bytes: UTF-8 input.
    ///   - limits: size and depth bounds.
    ///   - field: the name used for the document in errors (`attribution`, `price file`).
    package static func parse(
        _ bytes: some Collection<UInt8>,
        limits: Limits,
        field: String? = nil
    ) throws(AttributionError) -> JSONValue {
        if bytes.count > limits.maxBytes {
            throw AttributionError(
                .tooLarge,
                field: field,
                reason: "input of \(bytes.count) bytes exceeds the limit of \(limits.maxBytes) bytes"
            )
        }
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buffer) throws(AttributionError) -> JSONValue in
            var parser = Parser(bytes: buffer, limits: limits, rootField: field)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            if parser.index != buffer.count {
                throw parser.failure("unexpected text after the JSON value")
            }
            return value
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let limits: Limits
        let rootField: String?
        var index = 0
        var path: [String] = []

        init(bytes: UnsafeBufferPointer<UInt8>, limits: Limits, rootField: String?) {
            self.bytes = bytes
            self.limits = limits
            self.rootField = rootField
        }

        var fieldPath: String? {
            if path.isEmpty { return rootField }
            return path.joined(separator: ".")
        }

        func failure(_ message: String) -> AttributionError {
            AttributionError(.malformedJSON, field: fieldPath, reason: "\(message) at byte \(index)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(AttributionError) -> JSONValue {
            guard index < bytes.count else { throw failure("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
            case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(try parseNumber())
            default:
                throw failure("unexpected character \(AttributionError.quote(bytes: [bytes[index]]))")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(AttributionError) {
            let count = literal.utf8CodeUnitCount
            guard bytes.count - index >= count else { throw failure("unexpected end of input") }
            let pointer = literal.utf8Start
            for offset in 0..<count where bytes[index + offset] != pointer[offset] {
                throw failure("invalid literal")
            }
            index += count
        }

        mutating func parseObject(depth: Int) throws(AttributionError) -> JSONObject {
            if depth > limits.maxDepth {
                throw AttributionError(
                    .malformedJSON,
                    field: fieldPath,
                    reason: "nesting deeper than \(limits.maxDepth) levels at byte \(index)"
                )
            }
            index += 1  // {
            var members: [JSONObject.Member] = []
            var keys: Set<String> = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return JSONObject(members: members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw failure("expected a string key")
                }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw failure("expected ':' after key \(AttributionError.quote(key))")
                }
                index += 1
                skipWhitespace()
                path.append(key)
                let start = index
                let value = try parseValue(depth: depth)
                let raw = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                path.removeLast()
                if keys.insert(key).inserted {
                    members.append(JSONObject.Member(key: key, value: value, rawText: raw))
                } else if limits.rejectDuplicateKeys {
                    path.append(key)
                    defer { path.removeLast() }
                    throw AttributionError(.duplicateKey, field: fieldPath, reason: "the key appears more than once")
                }
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of input in an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return JSONObject(members: members)
                }
                throw failure("expected ',' or '}' in an object")
            }
        }

        mutating func parseArray(depth: Int) throws(AttributionError) -> [JSONValue] {
            if depth > limits.maxDepth {
                throw AttributionError(
                    .malformedJSON,
                    field: fieldPath,
                    reason: "nesting deeper than \(limits.maxDepth) levels at byte \(index)"
                )
            }
            index += 1  // [
            var values: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return values
            }
            while true {
                skipWhitespace()
                path.append("[\(values.count)]")
                values.append(try parseValue(depth: depth))
                path.removeLast()
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of input in an array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return values
                }
                throw failure("expected ',' or ']' in an array")
            }
        }

        mutating func parseNumber() throws(AttributionError) -> String {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw failure("unexpected end of input in a number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, isDigit(bytes[index]) { throw failure("a number must not have leading zeros") }
            } else if isDigit(bytes[index]) {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            } else {
                throw failure("expected a digit")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw failure("expected a digit after '.'") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard index < bytes.count, isDigit(bytes[index]) else { throw failure("expected an exponent") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

        mutating func parseString() throws(AttributionError) -> String {
            index += 1  // opening quote
            let start = index
            // Fast path: no escapes, ASCII or valid UTF-8 checked by the decoder below.
            var hasEscape = false
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") { break }
                if b == UInt8(ascii: "\\") {
                    hasEscape = true
                    break
                }
                if b < 0x20 { throw failure("control character U+00\(hex2(b)) in a string must be escaped") }
                index += 1
            }
            guard index < bytes.count else { throw failure("unterminated string") }
            if !hasEscape {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw failure("invalid UTF-8 in a string")
                }
                index += 1
                return s
            }
            var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while true {
                guard index < bytes.count else { throw failure("unterminated string") }
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    index += 1
                    break
                }
                if b < 0x20 { throw failure("control character U+00\(hex2(b)) in a string must be escaped") }
                if b != UInt8(ascii: "\\") {
                    out.append(b)
                    index += 1
                    continue
                }
                index += 1
                guard index < bytes.count else { throw failure("unterminated escape") }
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
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw failure("unpaired surrogate in a \\u escape") }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw failure("unpaired surrogate in a \\u escape")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw failure("unpaired surrogate in a \\u escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw failure("invalid escape \\\(String(decoding: [e], as: UTF8.self))")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw failure("invalid UTF-8 in a string") }
            return s
        }

        mutating func parseHex4() throws(AttributionError) -> UInt32 {
            guard bytes.count - index >= 4 else { throw failure("truncated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[index]
                let digit: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw failure("invalid hex digit in a \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        func hex2(_ b: UInt8) -> String {
            let digits = Array("0123456789ABCDEF".utf8)
            return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0xF)]], as: UTF8.self)
        }
    }
}
