public import Attribution

/// The one error type of the metering layer: prices, records, the call wrapper, sinks and the ledger.
///
/// A ``code`` to match on and a ``reason`` naming the field (or file and line) and the offending value.
/// Equality compares codes only.
public struct CostLedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. A set that may grow: match with `==`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidAmount = "invalid_amount"
            case invalidRecord = "invalid_record"
            case invalidPriceFile = "invalid_price_file"
            case invalidResponse = "invalid_response"
            case invalidRequest = "invalid_request"
            case bufferFull = "buffer_full"
            case io = "io"
            case fileChanged = "file_changed"
            case closed = "closed"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A money amount is not an exact decimal, or does not fit.
        public static let invalidAmount = Code(.invalidAmount)
        /// A cost record breaks the ledger format (docs/ledger.md).
        public static let invalidRecord = Code(.invalidRecord)
        /// A price file cannot be read.
        public static let invalidPriceFile = Code(.invalidPriceFile)
        /// A provider response cannot be read for usage.
        public static let invalidResponse = Code(.invalidResponse)
        /// A provider request body cannot be tagged.
        public static let invalidRequest = Code(.invalidRequest)
        /// The sink's buffer is full and its policy is to refuse.
        public static let bufferFull = Code(.bufferFull)
        /// Reading or writing a file failed.
        public static let io = Code(.io)
        /// A file changed while it was read: it shrank or was replaced (log rotation by copytruncate, say).
        public static let fileChanged = Code(.fileChanged)
        /// The sink was closed.
        public static let closed = Code(.closed)

        /// The code's stable snake_case name.
        public var name: String { base.rawValue }
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The field, file or line at fault, when one is.
    public let field: String?
    /// A sentence naming the offending value.
    public let reason: String
    /// The attribution error behind an invalid record, when there is one (an envelope that cannot be announced).
    public let attributionError: AttributionError?

    /// Creates an error.
    public init(_ code: Code, field: String? = nil, reason: String, attributionError: AttributionError? = nil) {
        self.code = code
        self.field = field
        self.reason = reason
        self.attributionError = attributionError
    }

    public var description: String {
        if let field { return "\(field): \(reason)" }
        return reason
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
