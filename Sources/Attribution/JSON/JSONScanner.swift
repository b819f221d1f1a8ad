package import WireFormat

/// The streaming use of the JSON reader core (``JSONTokenizer``): reads forward through the bytes without
/// building a tree, allocating only for what the caller keeps, and reports every syntax failure as an
/// ``AttributionError`` naming the field being read and the byte offset. The envelope decoder and the payload
/// embedding read their input through it.
package struct JSONScanner {
    package typealias Kind = JSONTokenizer.Kind
    package typealias StringToken = JSONTokenizer.StringToken

    /// The reader core.
    package var tokenizer: JSONTokenizer

    /// Creates a scanner at the start of `bytes[range]` (all of `bytes` by default); offsets in errors count
    /// from the start of the range.
    package init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        tokenizer = JSONTokenizer(bytes, range: range)
    }

    /// The input.
    package var bytes: [UInt8] { tokenizer.bytes }
    /// The index of the next byte to read in ``bytes``.
    package var index: Int {
        get { tokenizer.index }
        set { tokenizer.index = newValue }
    }
    /// Whether every byte has been read.
    package var isAtEnd: Bool { tokenizer.isAtEnd }
    /// The next byte, if any, without consuming it.
    package var peek: UInt8? { tokenizer.peek }

    /// A malformed-JSON error at the current offset.
    package func failure(_ message: String, field: String?) -> AttributionError {
        Self.error(tokenizer.failure(message), field: field)
    }

    /// The ``AttributionError`` of a syntax error met while reading `field`.
    package static func error(_ error: JSONSyntaxError, field: String?) -> AttributionError {
        AttributionError(.malformedJSON, field: field, reason: "\(error.message) at byte \(error.offset)")
    }

    package mutating func skipWhitespace() { tokenizer.skipWhitespace() }

    package mutating func consume(_ byte: UInt8) -> Bool { tokenizer.consume(byte) }

    /// Consumes `byte` after optional whitespace, or fails naming what was expected.
    package mutating func expect(
        _ byte: UInt8,
        _ what: @autoclosure () -> String,
        field: @autoclosure () -> String?
    ) throws(AttributionError) {
        do throws(JSONSyntaxError) {
            try tokenizer.expect(byte, what())
        } catch {
            throw Self.error(error, field: field())
        }
    }

    /// Reads a string whose opening quote is the next byte.
    package mutating func readString(field: String?) throws(AttributionError) -> StringToken {
        do throws(JSONSyntaxError) {
            return try tokenizer.readString()
        } catch {
            throw Self.error(error, field: field)
        }
    }

    /// Reads a number whose first byte is next and returns its text's range in ``bytes``.
    package mutating func readNumber(field: String?) throws(AttributionError) -> Range<Int> {
        do throws(JSONSyntaxError) {
            return try tokenizer.readNumber()
        } catch {
            throw Self.error(error, field: field)
        }
    }

    /// Reads and validates any value, without keeping it; see ``JSONTokenizer/skipValue(depth:maxDepth:)``.
    @discardableResult
    package mutating func skipValue(depth: Int, maxDepth: Int, field: String?) throws(AttributionError) -> Kind {
        do throws(JSONSyntaxError) {
            return try tokenizer.skipValue(depth: depth, maxDepth: maxDepth)
        } catch {
            throw Self.error(error, field: field)
        }
    }

    /// The string a token holds.
    package func string(_ token: StringToken) -> String { tokenizer.string(token) }
    /// The content bytes of a token.
    package func contentBytes(_ token: StringToken) -> ArraySlice<UInt8> { tokenizer.contentBytes(token) }
    /// The number of content bytes of a token.
    package func count(_ token: StringToken) -> Int { tokenizer.count(token) }

    /// Whether a token's bytes equal `literal`'s.
    package func equals(_ token: StringToken, _ literal: String) -> Bool {
        literal.utf8.elementsEqual(contentBytes(token))
    }

    /// Whether `bytes` is one JSON value (surrounded by optional whitespace) within `maxDepth`.
    package static func isValidDocument(_ bytes: [UInt8], maxDepth: Int) -> Bool {
        JSONTokenizer.isValidDocument(bytes, maxDepth: maxDepth)
    }
}
