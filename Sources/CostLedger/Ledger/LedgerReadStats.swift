/// Where a ledger line is: its file and 1-based line number.
public struct LedgerLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as the reader was given it (directory + `/` + name for files found in a directory).
    public var file: String
    /// The line's number in the file, from 1.
    public var line: Int

    /// Creates a location.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// One line a reader skipped, with where and why.
public struct LedgerIssue: Sendable, Hashable, CustomStringConvertible {
    /// Why a line was skipped. A set that may grow.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case skippedLine = "skipped_line"
            case oversizedLine = "oversized_line"
            case invalidRecord = "invalid_record"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not one complete JSON object (a torn last line after a crash, say).
        public static let skippedLine = Kind(.skippedLine)
        /// Longer than ``CostRecord/LineLimits/maxLineBytes``.
        public static let oversizedLine = Kind(.oversizedLine)
        /// A complete object that breaks the ledger format.
        public static let invalidRecord = Kind(.invalidRecord)

        /// The stable snake_case name.
        public var name: String { base.rawValue }
        public var description: String { base.rawValue }
    }

    /// Why the line was skipped.
    public var kind: Kind
    /// Where the line is.
    public var location: LedgerLocation
    /// The field at fault, for an invalid record.
    public var field: String?
    /// What is wrong, naming the value.
    public var reason: String

    /// Creates an issue.
    public init(kind: Kind, location: LedgerLocation, field: String?, reason: String) {
        self.kind = kind
        self.location = location
        self.field = field
        self.reason = reason
    }

    public var description: String {
        "\(location): \(kind)" + (field.map { " \($0)" } ?? "") + ": \(reason)"
    }
}

/// What a ledger read saw: every count exact (never capped), and the first ``maxIssues`` skipped lines in
/// detail.
public struct LedgerReadStats: Sendable, Hashable {
    /// Details kept at most; the counts go on past it.
    public static let maxIssues = 1000

    /// Files read.
    public var files = 0
    /// Non-empty lines seen.
    public var lines = 0
    /// Valid records handed to the caller.
    public var records = 0
    /// Lines that are not one complete JSON object, oversized lines included (`skipped_lines`).
    public var skippedLines = 0
    /// Lines over 64 KiB (also counted in ``skippedLines``).
    public var oversizedLines = 0
    /// Complete objects that break the ledger format (`invalid_records`).
    public var invalidRecords = 0
    /// Records of a kind this version does not read, skipped.
    public var skippedKinds = 0
    /// Bytes read.
    public var bytes: Int64 = 0
    /// The first ``maxIssues`` skipped lines and invalid records, in reading order.
    public var issues: [LedgerIssue] = []
    /// Issues counted but not kept in ``issues``.
    public var issuesOmitted = 0

    /// Empty statistics.
    public init() {}

    mutating func note(_ issue: LedgerIssue) {
        if issues.count < Self.maxIssues {
            issues.append(issue)
        } else {
            issuesOmitted &+= 1
        }
    }

    /// Adds `other`'s counts and details after this one's (merge per-file results in file order to keep the
    /// details in reading order).
    public mutating func merge(_ other: LedgerReadStats) {
        files &+= other.files
        lines &+= other.lines
        records &+= other.records
        skippedLines &+= other.skippedLines
        oversizedLines &+= other.oversizedLines
        invalidRecords &+= other.invalidRecords
        skippedKinds &+= other.skippedKinds
        bytes &+= other.bytes
        for issue in other.issues { note(issue) }
        issuesOmitted &+= other.issuesOmitted
    }
}
