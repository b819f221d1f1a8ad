/// One list member of a W3C `baggage` header: `key=value;property;property=value`.
///
/// The header form hands back the members of other systems as `BaggageMember`s beside the envelope, in the order
/// they arrived, each with its properties and its original text, so that passing the same headers on writes them
/// again unchanged.
///
/// ```swift
/// let member = try BaggageMember(key: "region", value: "eu west")   // region=eu%20west
/// let parsed = try BaggageMember("serverNode=DF%2028;ttl=60")
/// parsed.value       // "DF 28"
/// parsed.properties  // [Property(key: "ttl", encodedValue: "60")]
/// ```
public struct BaggageMember: Sendable, Hashable, CustomStringConvertible {
    /// The key. Baggage keys are RFC 7230 tokens and are not percent-decoded.
    public let key: String
    /// The value as it appears on the wire, still percent-encoded; possibly empty.
    public let encodedValue: String
    /// The properties in order (`ttl=60`, `red`). Their meaning is opaque to the W3C spec and to this library.
    public let properties: [Property]
    /// The member as it is written: exactly the received text with the whitespace around it trimmed.
    public let text: String

    /// The value, percent-decoded; nil when it is not valid percent-encoded UTF-8 (such a member is still passed on
    /// as it came).
    public var value: String? {
        switch PercentEncoding.decode(Array(encodedValue.utf8)[...]) {
        case .success(let decoded): return decoded
        case .failure: return nil
        }
    }

    /// Parses one list member.
    ///
    /// - Parameter text: `key OWS "=" OWS value *( OWS ";" OWS property )`, optionally surrounded by spaces or tabs.
    /// - Throws: ``AttributionError/Code/malformedHeader`` naming `baggage` when the text is not one W3C list member.
    public init(_ text: String) throws(AttributionError) {
        let bytes = Array(text.utf8)
        self = try BaggageGrammar.parseMember(bytes[...])
    }

    /// Creates a member, percent-encoding `value`.
    ///
    /// - Parameters:
    ///   - key: an RFC 7230 token.
    ///   - value: any string; it is percent-encoded as this library writes every value (`%20` for a space, `%2B` for
    ///     a `+`).
    /// - Throws: ``AttributionError/Code/malformedHeader`` naming `baggage` when `key` is not a token.
    public init(key: String, value: String) throws(AttributionError) {
        guard BaggageGrammar.isToken(Array(key.utf8)[...]) else {
            throw AttributionError(
                .malformedHeader,
                field: "baggage",
                reason: "a member key must be an RFC 7230 token, got \(AttributionError.quote(key))"
            )
        }
        let encoded = PercentEncoding.encode(value)
        self.init(key: key, encodedValue: encoded, properties: [], text: key + "=" + encoded)
    }

    init(key: String, encodedValue: String, properties: [Property], text: String) {
        self.key = key
        self.encodedValue = encodedValue
        self.properties = properties
        self.text = text
    }

    /// The member's text, as it is written.
    public var description: String { text }

    /// One property of a member: `key` or `key=value`, whitespace around its parts trimmed.
    public struct Property: Sendable, Hashable {
        /// The property's key, an RFC 7230 token.
        public let key: String
        /// The value as it appears on the wire, still percent-encoded; nil for a key-only property.
        public let encodedValue: String?

        /// The value, percent-decoded; nil for a key-only property or when it is not valid percent-encoded UTF-8.
        public var value: String? {
            guard let encodedValue else { return nil }
            switch PercentEncoding.decode(Array(encodedValue.utf8)[...]) {
            case .success(let decoded): return decoded
            case .failure: return nil
            }
        }

        init(key: String, encodedValue: String?) {
            self.key = key
            self.encodedValue = encodedValue
        }
    }
}

/// The W3C Baggage grammar (`baggage-string`, `list-member`, `property`, `token`, `baggage-octet`, `OWS`).
enum BaggageGrammar {
    /// Optional whitespace: a space or a horizontal tab.
    static func isOWS(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// `baggage-octet`: `%x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`; US-ASCII without controls, whitespace, `"`,
    /// `,`, `;` and `\`.
    static func isValueOctet(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21, 0x23...0x2B, 0x2D...0x3A, 0x3C...0x5B, 0x5D...0x7E: return true
        default: return false
        }
    }

    /// `tchar` of RFC 7230: `!#$%&'*+-.^_`|~`, digits and letters.
    static func isTokenChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Whether `bytes` is a non-empty token.
    static func isToken(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return false }
        // Index loops rather than allSatisfy: unspecialized generics dominate debug builds, where tests run.
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard isTokenChar(bytes[index]) else { return false }
            index += 1
        }
        return true
    }

    /// Whether every byte of `bytes` is a baggage-octet (an empty value is valid).
    static func isValue(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard isValueOctet(bytes[index]) else { return false }
            index += 1
        }
        return true
    }

    /// `bytes` without the spaces and tabs at either end.
    static func trimmingOWS(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isOWS(bytes[start]) { start += 1 }
        while end > start, isOWS(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    private static func malformed(_ why: String, _ bytes: ArraySlice<UInt8>) -> AttributionError {
        AttributionError(
            .malformedHeader,
            field: "baggage",
            reason: "\(why): \(AttributionError.quote(bytes: bytes))"
        )
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Parses a `baggage-string`; a value holding only whitespace has no members.
    /// - Throws: ``AttributionError/Code/malformedHeader`` naming the first offending member.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(AttributionError) -> [BaggageMember] {
        let whole = trimmingOWS(bytes)
        if whole.isEmpty { return [] }
        var members: [BaggageMember] = []
        var start = whole.startIndex
        while true {
            let end = whole[start...].firstIndex(of: UInt8(ascii: ",")) ?? whole.endIndex
            members.append(try parseMember(whole[start..<end]))
            if end == whole.endIndex { break }
            start = end + 1
        }
        return members
    }

    /// Parses one `list-member`, whitespace around it allowed.
    static func parseMember(_ raw: ArraySlice<UInt8>) throws(AttributionError) -> BaggageMember {
        let member = trimmingOWS(raw)
        guard !member.isEmpty else { throw malformed("empty list member", raw) }
        var parts: [ArraySlice<UInt8>] = []
        var start = member.startIndex
        while true {
            let end = member[start...].firstIndex(of: UInt8(ascii: ";")) ?? member.endIndex
            parts.append(member[start..<end])
            if end == member.endIndex { break }
            start = end + 1
        }
        guard let equals = parts[0].firstIndex(of: UInt8(ascii: "=")) else {
            throw malformed("a list member needs key=value", member)
        }
        let key = trimmingOWS(parts[0][..<equals])
        guard isToken(key) else { throw malformed("a member key must be an RFC 7230 token", member) }
        let value = trimmingOWS(parts[0][(equals + 1)...])
        guard isValue(value) else {
            throw malformed("a member value may hold only baggage-octets (percent-encode the rest)", member)
        }
        var properties: [BaggageMember.Property] = []
        properties.reserveCapacity(parts.count - 1)
        for part in parts.dropFirst() {
            let property = trimmingOWS(part)
            guard !property.isEmpty else { throw malformed("empty property", member) }
            let propertyKey: ArraySlice<UInt8>
            var propertyValue: ArraySlice<UInt8>?
            if let propertyEquals = property.firstIndex(of: UInt8(ascii: "=")) {
                propertyKey = trimmingOWS(property[..<propertyEquals])
                propertyValue = trimmingOWS(property[(propertyEquals + 1)...])
            } else {
                propertyKey = property
            }
            guard isToken(propertyKey) else { throw malformed("a property key must be an RFC 7230 token", member) }
            if let propertyValue, !isValue(propertyValue) {
                throw malformed("a property value may hold only baggage-octets", member)
            }
            properties.append(.init(key: string(propertyKey), encodedValue: propertyValue.map(string)))
        }
        return BaggageMember(
            key: string(key),
            encodedValue: string(value),
            properties: properties,
            text: string(member)
        )
    }
}
