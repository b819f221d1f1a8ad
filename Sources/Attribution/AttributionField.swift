/// One business attribution field of the envelope, named as on the wire.
///
/// A set that may grow: compare with `==`; do not switch over it exhaustively.
public struct AttributionField: Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// The wire name (`user_id`, `task_type`).
    public let name: String
    /// Position in the canonical key order.
    package let order: Int

    private init(_ name: String, _ order: Int) {
        self.name = name
        self.order = order
    }

    /// Who the work was for (`user_id`).
    public static let userID = AttributionField("user_id", 0)
    /// The product feature that caused the work (`feature`).
    public static let feature = AttributionField("feature", 1)
    /// The team that owns the feature (`team`).
    public static let team = AttributionField("team", 2)
    /// The project or cost centre (`project`).
    public static let project = AttributionField("project", 3)
    /// The kind of task (`task_type`: summarize, classify, eval).
    public static let taskType = AttributionField("task_type", 4)
    /// The tool a unit runs (`tool`).
    public static let tool = AttributionField("tool", 5)
    /// The prompt's version (`prompt_version`).
    public static let promptVersion = AttributionField("prompt_version", 6)
    /// The pipeline the unit belongs to (`pipeline`).
    public static let pipeline = AttributionField("pipeline", 7)
    /// The scheduling priority (`priority`).
    public static let priority = AttributionField("priority", 8)
    /// The agent that made the call (`agent`).
    public static let agent = AttributionField("agent", 9)

    /// Every field, in canonical order.
    public static let all: [AttributionField] = [
        .userID, .feature, .team, .project, .taskType, .tool, .promptVersion, .pipeline, .priority, .agent,
    ]

    /// Every field, in canonical order: ``all``, for `CaseIterable`.
    public static var allCases: [AttributionField] { all }

    /// The five business fields the default policy requires.
    public static let business: [AttributionField] = [.userID, .feature, .team, .project, .taskType]

    /// The field with this wire name, if it is one.
    public init?(name: String) {
        guard let field = Self.all.first(where: { $0.name == name }) else { return nil }
        self = field
    }

    public var description: String { name }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }
}
