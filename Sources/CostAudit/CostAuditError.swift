import Attribution
import CostLedger

/// The one error type of the audit: usage exports, key maps, rules, price files and ledgers that cannot be read.
///
/// A ``code`` to match on, and a ``reason`` naming the file, line and field at fault with the offending value.
/// Equality compares codes only. ``Code/isBadInputFile`` tells a command-line tool which exit status to use
/// (65, bad input file, versus 1 for any other failure).
public struct CostAuditError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. A set that may grow: match with `==`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidUsageExport = "invalid_usage_export"
            case invalidKeyMap = "invalid_key_map"
            case invalidRules = "invalid_rules"
            case invalidPriceFile = "invalid_price_file"
            case invalidConfiguration = "invalid_configuration"
            case invalidLedger = "invalid_ledger"
            case io = "io"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A usage or cost export cannot be read or is of no kind the audit knows.
        public static let invalidUsageExport = Code(.invalidUsageExport)
        /// The key map is not a JSON object of `{"team": …, "project": …}` objects.
        public static let invalidKeyMap = Code(.invalidKeyMap)
        /// The rules file is not a JSON array of `{"match": …, "set": …}` objects.
        public static let invalidRules = Code(.invalidRules)
        /// A price file cannot be read.
        public static let invalidPriceFile = Code(.invalidPriceFile)
        /// The configuration contradicts itself (`since` not before `until`, no required field).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A ledger input cannot be audited: missing or unreadable, of the wrong kind (neither a directory, a
        /// `*.jsonl` file nor a pipe), holding no cost record, changed while it was read, or with sums past the
        /// largest total the audit supports (docs/audit.md).
        public static let invalidLedger = Code(.invalidLedger)
        /// Reading or writing a file failed (an unwritable output).
        public static let io = Code(.io)

        /// The code's stable snake_case name.
        public var name: String { base.rawValue }

        /// Whether the failure is a bad input file (usage export, key map, rules, prices, ledger): exit status 65.
        public var isBadInputFile: Bool {
            switch base {
            case .invalidUsageExport, .invalidKeyMap, .invalidRules, .invalidPriceFile, .invalidLedger: return true
            case .invalidConfiguration, .io: return false
            }
        }

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The file at fault, when there is one.
    public let file: String?
    /// The 1-based line at fault, when there is one.
    public let line: Int?
    /// The field at fault, when there is one (`data[0].results[3].amount`).
    public let field: String?
    /// A sentence naming the offending value.
    public let reason: String

    /// Creates an error.
    public init(_ code: Code, file: String? = nil, line: Int? = nil, field: String? = nil, reason: String) {
        self.code = code
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
    }

    /// One line: `file:line: field: reason`, leaving out what is unknown.
    public var description: String {
        var text = ""
        if let file {
            text += file
            if let line { text += ":\(line)" }
            text += ": "
        }
        if let field { text += "\(field): " }
        return text + reason
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// Wraps a JSON reader error from the core.
    static func wrapping(_ error: AttributionError, _ code: Code, file: String?, line: Int? = nil) -> CostAuditError {
        CostAuditError(code, file: file, line: line, field: error.field, reason: error.reason)
    }

    /// Wraps a metering error (a bad amount, an unreadable price file).
    static func wrapping(
        _ error: CostLedgerError,
        _ code: Code,
        file: String?,
        line: Int? = nil,
        field: String? = nil
    ) -> CostAuditError {
        CostAuditError(code, file: file, line: line, field: field ?? error.field, reason: error.reason)
    }
}
