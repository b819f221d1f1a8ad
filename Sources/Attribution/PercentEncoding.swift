import WireFormat

/// Percent-encoding of W3C Baggage values.
///
/// Writing encodes every byte that is not a baggage-octet, and also `%` (so decoding is unambiguous), `+` (some
/// readers, OpenTelemetry Python's among them, decode `+` as a space) and `=` (some readers split on it). A space
/// becomes `%20`, never `+`. Escapes are written with uppercase hex digits, as RFC 3986 recommends.
///
/// Reading is strict: every `%` must start a `%XX` escape (hex digits of either case) and the decoded bytes must be
/// UTF-8. A `+` is read literally, as the W3C spec says.
enum PercentEncoding {
    /// Whether `byte` is written as itself: a baggage-octet other than `%`, `+` and `=`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        guard BaggageGrammar.isValueOctet(byte) else { return false }
        return byte != UInt8(ascii: "%") && byte != UInt8(ascii: "+") && byte != UInt8(ascii: "=")
    }

    /// Appends the encoded form of `value` to `out`.
    static func encode(_ value: some StringProtocol, into out: inout [UInt8]) {
        for byte in value.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                Hex.appendUpper(byte: byte, to: &out)
            }
        }
    }

    /// The encoded form of `value`.
    static func encode(_ value: some StringProtocol) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        encode(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Why a value could not be decoded.
    enum DecodingFailure: Error, Equatable {
        /// A `%` not followed by two hex digits, at this byte offset.
        case badEscape(offset: Int)
        /// The decoded bytes are not UTF-8.
        case notUTF8
    }

    /// Decodes `bytes` strictly.
    static func decode(_ bytes: ArraySlice<UInt8>) -> Result<String, DecodingFailure> {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                guard bytes.endIndex - i >= 3, let high = Hex.digitValue(anyCase: bytes[i + 1]),
                    let low = Hex.digitValue(anyCase: bytes[i + 2])
                else {
                    return .failure(.badEscape(offset: i - bytes.startIndex))
                }
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(byte)
                i += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { return .failure(.notUTF8) }
        return .success(text)
    }
}
