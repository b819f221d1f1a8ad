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

extension JSONParser {
    /// A document read container by container: the caller enters the outer object or array, takes its members
    /// or elements one at a time (each as a tree with ``value()``, entered in turn with ``enter()``, or
    /// skipped), and lets each go before the next. A file of many small entries is so held as its bytes plus
    /// one entry's tree and what the caller keeps, never as one tree of the whole file (which takes 10-20x the
    /// file's size).
    ///
    /// The same strict reader as ``JSONParser/parse(_:limits:field:)``, with the same limits and the same
    /// errors naming the path of the value at fault; what differs is the order: an entry is handed over before
    /// the text after it is read, so a decoder may refuse an entry before a syntax error further on is met.
    package struct Stream {
        private var parser: Parser
        private var frames: [Frame] = []

        private struct Frame {
            var isObject: Bool
            var count = 0
            /// Keys seen in this object, for the duplicate-key check.
            var keys: Set<String> = []
        }

        /// Starts reading `bytes`, after checking their size.
        /// - Parameters:
        ///   - bytes: UTF-8 input.
        ///   - limits: size and depth bounds.
        ///   - field: the name used for the document in errors.
        package init(_ bytes: [UInt8], limits: Limits, field: String? = nil) throws(AttributionError) {
            if bytes.count > limits.maxBytes {
                throw AttributionError(
                    .tooLarge,
                    field: field,
                    reason: "input of \(bytes.count) bytes exceeds the limit of \(limits.maxBytes) bytes"
                )
            }
            parser = Parser(tokenizer: JSONTokenizer(bytes), limits: limits, rootField: field)
            parser.tokenizer.skipWhitespace()
        }

        /// Whether the next value is an object.
        package var nextIsObject: Bool { parser.tokenizer.peek == UInt8(ascii: "{") }
        /// Whether the next value is an array.
        package var nextIsArray: Bool { parser.tokenizer.peek == UInt8(ascii: "[") }

        /// Reads the next value whole, as a tree.
        package mutating func value() throws(AttributionError) -> JSONValue {
            parser.tokenizer.skipWhitespace()
            return try parser.parseValue(depth: frames.count)
        }

        /// Reads and checks the next value without keeping it.
        /// - Returns: the value's type, as ``JSONValue/typeName`` names it.
        @discardableResult
        package mutating func skip() throws(AttributionError) -> String {
            let depth = frames.count
            let maxDepth = parser.limits.maxDepth
            return try parser.read { (t) throws(JSONSyntaxError) in try t.skipValue(depth: depth, maxDepth: maxDepth) }
                .name
        }

        /// Enters the object or array that is next; its members are then read with ``nextKey()``, its elements
        /// with ``nextElement()``.
        package mutating func enter() throws(AttributionError) {
            parser.tokenizer.skipWhitespace()
            let isObject = nextIsObject
            guard isObject || nextIsArray else { throw parser.failure("expected an object or an array") }
            if frames.count + 1 > parser.limits.maxDepth { throw parser.tooDeep() }
            parser.tokenizer.index += 1
            frames.append(Frame(isObject: isObject))
        }

        /// In an object entered: the next member's key, its value to be read next (by ``value()``,
        /// ``enter()`` or ``skip()``); nil at the object's end, which is then left. A repeated key is an error
        /// (or, where the limits allow repeats, its value is skipped: the first wins).
        package mutating func nextKey() throws(AttributionError) -> String? {
            // The frame is changed where it lies: a copy of its key set would be copied whole on each insert.
            guard frames.last?.isObject == true else { throw parser.failure("not in an object") }
            let top = frames.count - 1
            if frames[top].count > 0 { parser.path.removeLast() }
            while true {
                guard try separator(first: frames[top].count == 0, close: UInt8(ascii: "}"), in: "an object") else {
                    return nil
                }
                parser.tokenizer.skipWhitespace()
                guard parser.tokenizer.peek == UInt8(ascii: "\"") else { throw parser.failure("expected a string key") }
                let key = try parser.parseString()
                parser.tokenizer.skipWhitespace()
                guard parser.tokenizer.peek == UInt8(ascii: ":") else {
                    throw parser.failure("expected ':' after key \(AttributionError.quote(key))")
                }
                parser.tokenizer.index += 1
                parser.tokenizer.skipWhitespace()
                parser.path.append(key)
                frames[top].count += 1
                if frames[top].keys.insert(key).inserted { return key }
                if parser.limits.rejectDuplicateKeys {
                    throw AttributionError(
                        .duplicateKey,
                        field: parser.fieldPath,
                        reason: "the key appears more than once"
                    )
                }
                try skip()
                parser.path.removeLast()
            }
        }

        /// In an array entered: whether another element follows (to be read next); false at the array's end,
        /// which is then left.
        package mutating func nextElement() throws(AttributionError) -> Bool {
            guard let frame = frames.last, !frame.isObject else { throw parser.failure("not in an array") }
            if frame.count > 0 { parser.path.removeLast() }
            guard try separator(first: frame.count == 0, close: UInt8(ascii: "]"), in: "an array") else {
                return false
            }
            parser.tokenizer.skipWhitespace()
            parser.path.append("[\(frame.count)]")
            frames[frames.count - 1].count += 1
            return true
        }

        /// Reads the separator before an entry: true when one follows, false (the container left) at its end.
        private mutating func separator(
            first: Bool,
            close: UInt8,
            in container: String
        ) throws(AttributionError)
            -> Bool
        {
            if first {
                if parser.tokenizer.consume(close) {
                    frames.removeLast()
                    return false
                }
                return true
            }
            parser.tokenizer.skipWhitespace()
            guard let next = parser.tokenizer.peek else {
                throw parser.failure("unexpected end of input in \(container)")
            }
            if next == close {
                parser.tokenizer.index += 1
                frames.removeLast()
                return false
            }
            guard next == UInt8(ascii: ",") else {
                throw parser.failure("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(container)")
            }
            parser.tokenizer.index += 1
            return true
        }

        /// Ends the read: every container left, nothing but whitespace after the value.
        package mutating func finish() throws(AttributionError) {
            guard frames.isEmpty else { throw parser.failure("a container is still open") }
            parser.tokenizer.skipWhitespace()
            if !parser.tokenizer.isAtEnd { throw parser.failure("unexpected text after the JSON value") }
        }
    }
}

extension JSONParser.Stream {
    /// A stream whose errors are told as the decoder's own (`wrap` names the file and the error's code).
    package static func reading<Failure: Error>(
        _ bytes: some Collection<UInt8>,
        limits: JSONParser.Limits,
        field: String,
        wrap: @escaping (AttributionError) -> Failure
    ) throws(Failure) -> JSONParser.DecoderStream<Failure> {
        do throws(AttributionError) {
            return JSONParser.DecoderStream(
                stream: try JSONParser.Stream(Array(bytes), limits: limits, field: field),
                wrap: wrap
            )
        } catch {
            throw wrap(error)
        }
    }
}

extension JSONParser {
    /// A ``Stream`` whose errors are told as a decoder's own.
    package struct DecoderStream<Failure: Error> {
        private var stream: Stream
        private let wrap: (AttributionError) -> Failure

        fileprivate init(stream: Stream, wrap: @escaping (AttributionError) -> Failure) {
            self.stream = stream
            self.wrap = wrap
        }

        /// Whether the next value is an object.
        package var nextIsObject: Bool { stream.nextIsObject }
        /// Whether the next value is an array.
        package var nextIsArray: Bool { stream.nextIsArray }

        private mutating func step<T>(_ body: (inout Stream) throws(AttributionError) -> T) throws(Failure) -> T {
            do throws(AttributionError) {
                return try body(&stream)
            } catch {
                throw wrap(error)
            }
        }

        /// See ``Stream/enter()``.
        package mutating func enter() throws(Failure) { try step { (s) throws(AttributionError) in try s.enter() } }
        /// See ``Stream/nextKey()``.
        package mutating func nextKey() throws(Failure) -> String? {
            try step { (s) throws(AttributionError) in try s.nextKey() }
        }
        /// See ``Stream/nextElement()``.
        package mutating func nextElement() throws(Failure) -> Bool {
            try step { (s) throws(AttributionError) in try s.nextElement() }
        }
        /// See ``Stream/value()``.
        package mutating func value() throws(Failure) -> JSONValue {
            try step { (s) throws(AttributionError) in try s.value() }
        }
        /// See ``Stream/skip()``.
        @discardableResult
        package mutating func skip() throws(Failure) -> String {
            try step { (s) throws(AttributionError) in try s.skip() }
        }
        /// See ``Stream/finish()``.
        package mutating func finish() throws(Failure) { try step { (s) throws(AttributionError) in try s.finish() } }

        /// Reads a document that is not of the kind expected to its end without keeping it (a syntax error in
        /// it is told first), and gives its type for the error the caller makes.
        package mutating func skipWhole() throws(Failure) -> String {
            try step { (s) throws(AttributionError) in
                let type = try s.skip()
                try s.finish()
                return type
            }
        }
    }
}
