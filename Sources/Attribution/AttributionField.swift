/// One business attribution field of the envelope, named as on the wire.
///
/// A set that may grow: compare with `==`; do not switch over it exhaustively.
public struct AttributionField: Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// The wire name (`user_id`, `task_type`).
    public let name: String
    /// Position in the canonical key order.
    package let order: Int

    /// The envelope key it is.
    package let key: EnvelopeKey

    private init(_ key: EnvelopeKey) {
        self.key = key
        self.name = key.name
        self.order = Int(key.rawValue - EnvelopeKey.userID.rawValue)
    }

    /// Who the work was for (`user_id`).
    public static let userID = AttributionField(.userID)
    /// The product feature that caused the work (`feature`).
    public static let feature = AttributionField(.feature)
    /// The team that owns the feature (`team`).
    public static let team = AttributionField(.team)
    /// The project or cost centre (`project`).
    public static let project = AttributionField(.project)
    /// The kind of task (`task_type`: summarize, classify, eval).
    public static let taskType = AttributionField(.taskType)
    /// The tool a unit runs (`tool`).
    public static let tool = AttributionField(.tool)
    /// The prompt's version (`prompt_version`).
    public static let promptVersion = AttributionField(.promptVersion)
    /// The pipeline the unit belongs to (`pipeline`).
    public static let pipeline = AttributionField(.pipeline)
    /// The scheduling priority (`priority`).
    public static let priority = AttributionField(.priority)
    /// The agent that made the call (`agent`).
    public static let agent = AttributionField(.agent)

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
        guard let key = EnvelopeKey(name: name) else { return nil }
        self.init(key: key)
    }

    /// The field that is `key`, when `key` is a business field.
    package init?(key: EnvelopeKey) {
        guard key.rawValue >= EnvelopeKey.userID.rawValue, key.rawValue <= EnvelopeKey.agent.rawValue else {
            return nil
        }
        self.init(key)
    }

    public var description: String { name }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }
}
