public import Attribution

/// What the audit's rows keep beyond what the audit itself reads, for the reports built on them
/// (``Auditor/attribute(_:columns:progress:)``, docs/reports.md): each column costs memory and time on every
/// record, so a report asks only for those it reads. A column not kept reads as none (0 tokens, no value).
///
/// ```swift
/// // A report by team and project, per month: token counts, and the two fields (required by default).
/// let audit = try Auditor.attribute(configuration, columns: [.tokens, .team, .project])
/// ```
public struct AuditReportColumns: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Each record's token counts by class (input, cached input, cache writes, output, reasoning).
    public static let tokens = AuditReportColumns(rawValue: 1 << 0)
    /// Each record's `service_tier` (the audit prices with it, and keeps it only when asked).
    public static let serviceTier = AuditReportColumns(rawValue: 1 << 1)
    /// Each record's tags.
    public static let tags = AuditReportColumns(rawValue: 1 << 2)
    /// Each record's `tool`.
    public static let tool = AuditReportColumns(rawValue: 1 << 3)
    /// Each record's `prompt_version`.
    public static let promptVersion = AuditReportColumns(rawValue: 1 << 4)
    /// An attribution field: the value the audit filled when the field is required, else the record's own.
    public static let userID = AuditReportColumns(rawValue: 1 << 5)
    public static let feature = AuditReportColumns(rawValue: 1 << 6)
    public static let team = AuditReportColumns(rawValue: 1 << 7)
    public static let project = AuditReportColumns(rawValue: 1 << 8)
    public static let taskType = AuditReportColumns(rawValue: 1 << 9)
    public static let agent = AuditReportColumns(rawValue: 1 << 10)

    /// Every column: what ``Auditor/attribute(_:columns:progress:)`` keeps unless told otherwise.
    public static let all: AuditReportColumns = [
        .tokens, .serviceTier, .tags, .tool, .promptVersion, .userID, .feature, .team, .project, .taskType, .agent,
    ]

    /// The column of attribution field `field`; empty for `pipeline` and `priority`, which no report reads.
    public init(_ field: AttributionField) {
        switch field {
        case .userID: self = .userID
        case .feature: self = .feature
        case .team: self = .team
        case .project: self = .project
        case .taskType: self = .taskType
        case .tool: self = .tool
        case .promptVersion: self = .promptVersion
        case .agent: self = .agent
        default: self = []
        }
    }

    /// The attribution fields among the columns that the audit tracks in its tuple of fields (every field here
    /// but `tool` and `prompt_version`, which change from call to call and are kept per row instead).
    var trackedFields: [AttributionField] {
        let fields: [(AuditReportColumns, AttributionField)] = [
            (.userID, .userID), (.feature, .feature), (.team, .team), (.project, .project), (.taskType, .taskType),
            (.agent, .agent),
        ]
        return fields.filter { contains($0.0) }.map(\.1)
    }
}
