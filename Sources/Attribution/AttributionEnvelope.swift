/// The attribution envelope: who a unit of work is for, where it sits in its trace, and which try it is.
///
/// The envelope travels inside a job's payload (under the key `attribution`) or in `traceparent`/`baggage`
/// headers, never only in task-local state, so it reaches whatever process runs the work, whenever.
///
/// ```swift
/// let envelope = try AttributionEnvelope.tag(
///     userID: "u_42", feature: "summarize", team: "growth", project: "assistant", taskType: "summarize")
/// let retry = envelope.retried()              // attempt 2, same user and trace
/// let toolCall = envelope.child(tool: "search") // new leaf, parent = envelope.leafID
/// ```
///
/// Values are validated where they enter: ``validate()`` checks every rule of the format, and every codec
/// validates before it returns an envelope.
public struct AttributionEnvelope: Sendable, Hashable {
    /// The format version this library writes.
    public static let version = 1
    /// The format versions this library reads.
    public static let supportedVersions: [Int] = [1]

    /// The originating request's trace.
    public var traceID: TraceID
    /// This unit of work.
    public var leafID: LeafID
    /// The trace's first unit; equal to ``leafID`` at the root.
    public var rootID: LeafID
    /// The unit that created this one; nil at the root.
    public var parentID: LeafID?
    /// Which try of this unit, from 1. A retry increments it and changes nothing else.
    public var attempt: Int
    /// When the originating request was tagged.
    public var createdAt: UTCTimestamp?

    /// Who the work was for (`user_id`).
    public var userID: String?
    /// The product feature (`feature`).
    public var feature: String?
    /// The owning team (`team`).
    public var team: String?
    /// The project or cost centre (`project`).
    public var project: String?
    /// The kind of task (`task_type`).
    public var taskType: String?
    /// The tool this unit runs (`tool`).
    public var tool: String?
    /// The prompt's version (`prompt_version`).
    public var promptVersion: String?
    /// The pipeline (`pipeline`).
    public var pipeline: String?
    /// The scheduling priority (`priority`).
    public var priority: String?
    /// The agent (`agent`).
    public var agent: String?
    /// Anything else, at most ``Limits/maxTags`` entries.
    public var tags: [String: String]

    /// Keys this version does not know, kept from input in input order with their original JSON text and
    /// written back after the known ones.
    public var unknownFields: [UnknownField]

    /// A key this reader does not know, kept verbatim so a later v1 release's additions survive a round trip.
    public struct UnknownField: Sendable, Hashable {
        /// The key, decoded.
        public var key: String
        /// The value's JSON text exactly as it was read.
        public var json: String

        /// Creates an unknown field.
        public init(key: String, json: String) {
            self.key = key
            self.json = json
        }
    }

    /// Creates an envelope from its parts. Nothing is validated here; call ``validate()`` or let a codec do it.
    public init(
        traceID: TraceID,
        leafID: LeafID,
        rootID: LeafID? = nil,
        parentID: LeafID? = nil,
        attempt: Int = 1,
        createdAt: UTCTimestamp? = nil,
        userID: String? = nil,
        feature: String? = nil,
        team: String? = nil,
        project: String? = nil,
        taskType: String? = nil,
        tool: String? = nil,
        promptVersion: String? = nil,
        pipeline: String? = nil,
        priority: String? = nil,
        agent: String? = nil,
        tags: [String: String] = [:],
        unknownFields: [UnknownField] = []
    ) {
        self.traceID = traceID
        self.leafID = leafID
        self.rootID = rootID ?? leafID
        self.parentID = parentID
        self.attempt = attempt
        self.createdAt = createdAt
        self.userID = userID
        self.feature = feature
        self.team = team
        self.project = project
        self.taskType = taskType
        self.tool = tool
        self.promptVersion = promptVersion
        self.pipeline = pipeline
        self.priority = priority
        self.agent = agent
        self.tags = tags
        self.unknownFields = unknownFields
    }

    /// The value of a business field.
    public subscript(field: AttributionField) -> String? {
        get {
            switch field.order {
            case 0: return userID
            case 1: return feature
            case 2: return team
            case 3: return project
            case 4: return taskType
            case 5: return tool
            case 6: return promptVersion
            case 7: return pipeline
            case 8: return priority
            default: return agent
            }
        }
        set {
            switch field.order {
            case 0: userID = newValue
            case 1: feature = newValue
            case 2: team = newValue
            case 3: project = newValue
            case 4: taskType = newValue
            case 5: tool = newValue
            case 6: promptVersion = newValue
            case 7: pipeline = newValue
            case 8: priority = newValue
            default: agent = newValue
            }
        }
    }

    /// Whether this unit is its trace's root.
    public var isRoot: Bool { parentID == nil }
}

extension AttributionEnvelope {
    /// The limits of the format, as named constants.
    public enum Limits {
        /// Largest value, in UTF-8 bytes.
        public static let maxValueBytes = 256
        /// Most entries in `tags`.
        public static let maxTags = 32
        /// Longest tag key, in bytes; keys match `[a-z0-9_.-]{1,64}`.
        public static let maxTagKeyBytes = 64
        /// Input larger than this is refused before it is parsed.
        public static let maxInputBytes = 16 * 1024
        /// Largest canonical form.
        public static let maxCanonicalBytes = 8192
        /// Deepest nesting of the JSON form, the envelope object counting as level 1 (`tags` is level 2).
        public static let maxDepth = 8
        /// Largest attempt (2³¹−1).
        public static let maxAttempt = Int(Int32.max)
    }

    /// Checks every rule of the format that a value can break.
    /// - Throws: the first ``AttributionError`` found, naming the field.
    public func validate() throws(AttributionError) {
        _ = try checkRules(tags: tags, measuring: nil)
    }

    /// Checks one attribution value: non-empty UTF-8 of at most ``Limits/maxValueBytes`` bytes.
    package static func validateValue(_ value: String, field: @autoclosure () -> String) throws(AttributionError) {
        if value.isEmpty {
            throw AttributionError(.invalidValue, field: field(), reason: "must not be empty")
        }
        let count = value.utf8.count
        if count > Limits.maxValueBytes {
            throw AttributionError(
                .tooLarge,
                field: field(),
                reason: "at most \(Limits.maxValueBytes) bytes, got \(count): \(AttributionError.quote(value))"
            )
        }
    }

    /// Checks a tag key against `[a-z0-9_.-]{1,64}`.
    package static func validateTagKey(_ key: String) throws(AttributionError) {
        if !isTagKey(key.utf8) {
            throw AttributionError(
                .invalidValue,
                field: EnvelopeKey.tags.name,
                reason: "keys must match [a-z0-9_.-]{1,64}, got \(AttributionError.quote(key))"
            )
        }
    }

    /// Whether `bytes` match `[a-z0-9_.-]{1,64}`, a tag key.
    ///
    /// The one statement of the rule: the envelope's codec and validation, and the ledger line's writer, strict
    /// decoder and fast scanner all call it (a ledger line's tags are the envelope's). Inlinable so the
    /// ledger's hot paths in another module inline it.
    @inlinable
    package static func isTagKey(_ bytes: some Collection<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= Limits.maxTagKeyBytes else { return false }
        for b in bytes where !isTagKeyByte(b) { return false }
        return true
    }

    /// ``isTagKey(_:)`` of a span's bytes (the ledger line's fast scanner reads the line as one).
    @inlinable
    package static func isTagKey(_ bytes: Span<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= Limits.maxTagKeyBytes else { return false }
        for k in bytes.indices where !isTagKeyByte(bytes[k]) { return false }
        return true
    }

    /// Whether `b` may appear in a tag key: `[a-z0-9_.-]`.
    @inlinable
    package static func isTagKeyByte(_ b: UInt8) -> Bool {
        let letter = b &- UInt8(ascii: "a") < 26
        let digit = b &- UInt8(ascii: "0") < 10
        return letter || digit || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
    }
}
