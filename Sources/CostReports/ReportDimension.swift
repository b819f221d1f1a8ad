import CostAudit
import CostLedger

/// A dimension a report groups by: one of the record's fields, or one of its user tags (`tags.KEY`), as
/// docs/reports.md lists them.
///
/// ```swift
/// let byTeam = try ReportDimension(parsing: "team")
/// let byCustomer = try ReportDimension(parsing: "tags.customer")
/// ```
public struct ReportDimension: Sendable, Hashable, CustomStringConvertible {
    enum Storage: Sendable, Hashable {
        /// Index into ``fieldNames``.
        case field(Int)
        case tag(String)
    }
    let storage: Storage

    /// The record fields a report can group by, in the order docs/reports.md lists them: the ledger line's keys,
    /// and the audit's `attribution_class`.
    public static let fieldNames: [String] =
        [
            LedgerKey.userID, .feature, .team, .project, .taskType, .tool, .promptVersion, .agent, .model, .provider,
            .apiKeyID, .serviceTier,
        ].map(\.name) + [AttributionClass.fieldName]
    /// The fields whose missing value is shown as `(unknown)`: the five every record should carry.
    public static let requiredNames: Set<String> = Set(fieldNames.prefix(5))

    /// The label of a group of records with no value for a required field.
    public static let unknownLabel = "(unknown)"
    /// The label of a group of records with no value for any other dimension.
    public static let noneLabel = "(none)"
    /// The label of the groups `--top` folds together.
    public static let otherLabel = "(other)"
    /// The longest tag key accepted after `tags.`.
    public static let maxTagKeyBytes = 256

    public static let userID = ReportDimension(field: 0)
    public static let feature = ReportDimension(field: 1)
    public static let team = ReportDimension(field: 2)
    public static let project = ReportDimension(field: 3)
    public static let taskType = ReportDimension(field: 4)
    public static let tool = ReportDimension(field: 5)
    public static let promptVersion = ReportDimension(field: 6)
    public static let agent = ReportDimension(field: 7)
    public static let model = ReportDimension(field: 8)
    public static let provider = ReportDimension(field: 9)
    public static let apiKeyID = ReportDimension(field: 10)
    public static let serviceTier = ReportDimension(field: 11)
    public static let attributionClass = ReportDimension(field: 12)

    init(field: Int) { storage = .field(field) }

    /// The dimension of the user tag `key`.
    public static func tag(_ key: String) -> ReportDimension { ReportDimension(storage: .tag(key)) }

    private init(storage: Storage) { self.storage = storage }

    /// Reads a dimension's name: a field of ``fieldNames`` or `tags.KEY`.
    ///
    /// - Throws: ``ReportError`` naming the text, and the names it accepts.
    public init(parsing text: String) throws(ReportError) {
        if let index = Self.fieldNames.firstIndex(of: text) {
            storage = .field(index)
            return
        }
        if text.hasPrefix("tags.") {
            let key = String(text.dropFirst(5))
            guard !key.isEmpty, key.utf8.count <= Self.maxTagKeyBytes else {
                throw ReportError(
                    field: "dimension",
                    value: text,
                    reason: "a tag dimension is tags.KEY with a key of 1 to \(Self.maxTagKeyBytes) bytes"
                )
            }
            storage = .tag(key)
            return
        }
        throw ReportError(
            field: "dimension",
            value: text,
            reason: "expected one of \(Self.fieldNames.joined(separator: ", ")) or tags.KEY"
        )
    }

    /// Reads a comma-separated list of dimensions, without repeats.
    public static func list(parsing text: String) throws(ReportError) -> [ReportDimension] {
        var dimensions: [ReportDimension] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let dimension = try ReportDimension(parsing: String(part))
            guard !dimensions.contains(dimension) else {
                throw ReportError(field: "dimension", value: String(part), reason: "is named twice")
            }
            dimensions.append(dimension)
        }
        return dimensions
    }

    /// The name as written on the command line and in CSV and JSON headers.
    public var name: String {
        switch storage {
        case .field(let index): return Self.fieldNames[index]
        case .tag(let key): return "tags." + key
        }
    }

    public var description: String { name }

    /// The tag key of a `tags.KEY` dimension; nil for a field.
    public var tagKey: String? {
        if case .tag(let key) = storage { return key }
        return nil
    }

    /// `(unknown)` for the five required fields, `(none)` for every other dimension.
    public var missingLabel: String {
        if case .field(let index) = storage, index < 5 { return Self.unknownLabel }
        return Self.noneLabel
    }
}

/// A report's inputs or options that cannot be used: names the field and the value.
public struct ReportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The option or field at fault (`dimension`, `period`, `month`, `weights`…).
    public var field: String
    /// The value given.
    public var value: String
    /// What is wrong.
    public var reason: String

    public init(field: String, value: String, reason: String) {
        self.field = field
        self.value = value
        self.reason = reason
    }

    public var description: String { "\(field): '\(value)' \(reason)" }
}
