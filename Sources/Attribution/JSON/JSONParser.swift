import WireFormat

/// A strict RFC 8259 parser with bounded work: input size is checked before parsing, nesting depth is capped,
/// invalid UTF-8, lone surrogates, control characters in strings, leading zeros and trailing commas are
/// refused, and duplicate keys are refused unless the caller allows them. Every error is an
/// ``AttributionError`` naming the path of the value at fault and the byte offset; nothing traps. The tree use
/// of the reader core (``JSONTokenizer``), which reads every token.
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
        var parser = Parser(tokenizer: JSONTokenizer(Array(bytes)), limits: limits, rootField: field)
        parser.tokenizer.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.tokenizer.skipWhitespace()
        if !parser.tokenizer.isAtEnd {
            throw parser.failure("unexpected text after the JSON value")
        }
        return value
    }

    /// Builds the tree over the reader core (``JSONTokenizer``), which reads every string, number and literal.
    private struct Parser {
        var tokenizer: JSONTokenizer
        let limits: Limits
        let rootField: String?
        var path: [String] = []

        var fieldPath: String? {
            if path.isEmpty { return rootField }
            return path.joined(separator: ".")
        }

        func failure(_ message: String) -> AttributionError {
            JSONScanner.error(tokenizer.failure(message), field: fieldPath)
        }

        /// Runs one read of the core, naming the value's path in its error.
        mutating func read<T>(_ body: (inout JSONTokenizer) throws(JSONSyntaxError) -> T) throws(AttributionError) -> T
        {
            do throws(JSONSyntaxError) {
                return try body(&tokenizer)
            } catch {
                throw JSONScanner.error(error, field: fieldPath)
            }
        }

        func text(_ range: Range<Int>) -> String { String(decoding: tokenizer.bytes[range], as: UTF8.self) }

        mutating func parseValue(depth: Int) throws(AttributionError) -> JSONValue {
            guard let first = tokenizer.peek else { throw failure("unexpected end of input") }
            switch first {
            case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
            case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try read { (t) throws(JSONSyntaxError) in try t.readLiteral("true") }
                return .bool(true)
            case UInt8(ascii: "f"):
                try read { (t) throws(JSONSyntaxError) in try t.readLiteral("false") }
                return .bool(false)
            case UInt8(ascii: "n"):
                try read { (t) throws(JSONSyntaxError) in try t.readLiteral("null") }
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(text(try read { (t) throws(JSONSyntaxError) in try t.readNumber() }))
            default:
                throw failure("unexpected character \(AttributionError.quote(bytes: [first]))")
            }
        }

        mutating func parseString() throws(AttributionError) -> String {
            let token = try read { (t) throws(JSONSyntaxError) in try t.readString() }
            return tokenizer.string(token)
        }

        func tooDeep() -> AttributionError {
            AttributionError(
                .malformedJSON,
                field: fieldPath,
                reason: "nesting deeper than \(limits.maxDepth) levels at byte \(tokenizer.offset)"
            )
        }

        mutating func parseObject(depth: Int) throws(AttributionError) -> JSONObject {
            if depth > limits.maxDepth { throw tooDeep() }
            tokenizer.index += 1  // {
            var members: [JSONObject.Member] = []
            var keys: Set<String> = []
            if tokenizer.consume(UInt8(ascii: "}")) { return JSONObject(members: members) }
            while true {
                tokenizer.skipWhitespace()
                guard tokenizer.peek == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                let key = try parseString()
                tokenizer.skipWhitespace()
                guard tokenizer.peek == UInt8(ascii: ":") else {
                    throw failure("expected ':' after key \(AttributionError.quote(key))")
                }
                tokenizer.index += 1
                tokenizer.skipWhitespace()
                path.append(key)
                let start = tokenizer.index
                let value = try parseValue(depth: depth)
                let raw = text(start..<tokenizer.index)
                path.removeLast()
                if keys.insert(key).inserted {
                    members.append(JSONObject.Member(key: key, value: value, rawText: raw))
                } else if limits.rejectDuplicateKeys {
                    path.append(key)
                    defer { path.removeLast() }
                    throw AttributionError(.duplicateKey, field: fieldPath, reason: "the key appears more than once")
                }
                tokenizer.skipWhitespace()
                guard let next = tokenizer.peek else { throw failure("unexpected end of input in an object") }
                tokenizer.index += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "}") { return JSONObject(members: members) }
                tokenizer.index -= 1
                throw failure("expected ',' or '}' in an object")
            }
        }

        mutating func parseArray(depth: Int) throws(AttributionError) -> [JSONValue] {
            if depth > limits.maxDepth { throw tooDeep() }
            tokenizer.index += 1  // [
            var values: [JSONValue] = []
            if tokenizer.consume(UInt8(ascii: "]")) { return values }
            while true {
                tokenizer.skipWhitespace()
                path.append("[\(values.count)]")
                values.append(try parseValue(depth: depth))
                path.removeLast()
                tokenizer.skipWhitespace()
                guard let next = tokenizer.peek else { throw failure("unexpected end of input in an array") }
                tokenizer.index += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "]") { return values }
                tokenizer.index -= 1
                throw failure("expected ',' or ']' in an array")
            }
        }
    }
}
