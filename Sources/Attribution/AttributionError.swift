import WireFormat

/// The one error type of the attribution core.
///
/// Every rejection carries a ``code`` that callers match on and a ``reason`` that names the field and the
/// offending value in plain words, so an engineer reading a log line knows what to fix:
///
/// ```
/// leaf_id: expected 16 lowercase hex characters, got "XYZ"
/// ```
///
/// Two errors are equal when their codes are equal; the reason is for people.
public struct AttributionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. A set that may grow: match with `==`, never exhaustively.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case missingFields = "missing_fields"
            case invalidIdentifier = "invalid_identifier"
            case invalidValue = "invalid_value"
            case invalidType = "invalid_type"
            case duplicateKey = "duplicate_key"
            case unsupportedVersion = "unsupported_version"
            case tooLarge = "too_large"
            case malformedJSON = "malformed_json"
            case malformedHeader = "malformed_header"
            case missingEnvelope = "missing_envelope"
            case invalidLineage = "invalid_lineage"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Fields the policy requires are absent. The reason lists every one of them.
        public static let missingFields = Code(.missingFields)
        /// A trace, leaf, parent or root id is not of its W3C form, or is all zero.
        public static let invalidIdentifier = Code(.invalidIdentifier)
        /// A value breaks a rule: empty, too long, out of range, a bad tag key.
        public static let invalidValue = Code(.invalidValue)
        /// A value has the wrong JSON type (`null`, a number where a string belongs, a non-integer `v`).
        public static let invalidType = Code(.invalidType)
        /// A JSON object names the same key twice.
        public static let duplicateKey = Code(.duplicateKey)
        /// The envelope's `v` is one this reader does not know.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// Input or output exceeds a documented size or count limit.
        public static let tooLarge = Code(.tooLarge)
        /// The bytes are not well-formed JSON, or nest too deeply.
        public static let malformedJSON = Code(.malformedJSON)
        /// A `traceparent` or `baggage` header breaks the W3C rules.
        public static let malformedHeader = Code(.malformedHeader)
        /// No envelope was found where one was required.
        public static let missingEnvelope = Code(.missingEnvelope)
        /// The lineage ids contradict each other (`parent_id` without `root_id`, a root whose root is another unit).
        public static let invalidLineage = Code(.invalidLineage)

        /// The code's stable snake_case name, as conformance vectors spell it.
        public var name: String { base.rawValue }
        public var description: String { base.rawValue }

        /// The code with the given snake_case name, if there is one.
        public init?(name: String) {
            guard let base = Base(rawValue: name) else { return nil }
            self.base = base
        }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The field at fault, as it is spelled on the wire (`leaf_id`, `tags.env`), when one is.
    public let field: String?
    /// A sentence naming the field and the offending value.
    public let reason: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: what kind of failure this is.
    ///   - field: the wire name of the field at fault, if any.
    ///   - reason: what is wrong, naming the offending value.
    public init(_ code: Code, field: String? = nil, reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    /// The field and the reason (`leaf_id: expected 16 lowercase hex characters, got "XYZ"`); for
    /// ``Code/missingFields`` the reason alone, which names each missing field once
    /// (`required attribution missing: team, project`).
    public var description: String {
        if let field, code != .missingFields { return "\(field): \(reason)" }
        return reason
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension AttributionError {
    /// Quotes a value for an error message, escaping control characters and shortening what is long,
    /// so a hostile value cannot flood a log line.
    package static func quote(_ value: some StringProtocol, limit: Int = 80) -> String {
        ErrorText.quote(value, limit: limit)
    }

    /// Quotes raw bytes that may not be UTF-8.
    package static func quote(bytes: some Collection<UInt8>, limit: Int = 80) -> String {
        ErrorText.quote(bytes: bytes, limit: limit)
    }
}
