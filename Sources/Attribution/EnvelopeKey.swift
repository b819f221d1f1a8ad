/// The envelope's keys: the one place their wire names are spelled (docs/formats.md). Every reader and
/// writer of the envelope (the JSON codec, the `Codable` conformance, the header form) and
/// ``AttributionField`` take the names from here; the raw values are the canonical key order.
package enum EnvelopeKey: UInt8, CaseIterable, Sendable {
    case v
    case traceID
    case leafID
    case rootID
    case parentID
    case attempt
    case createdAt
    case userID
    case feature
    case team
    case project
    case taskType
    case tool
    case promptVersion
    case pipeline
    case priority
    case agent
    case tags

    /// The wire name.
    package var name: String {
        switch self {
        case .v: return "v"
        case .traceID: return "trace_id"
        case .leafID: return "leaf_id"
        case .rootID: return "root_id"
        case .parentID: return "parent_id"
        case .attempt: return "attempt"
        case .createdAt: return "created_at"
        case .userID: return "user_id"
        case .feature: return "feature"
        case .team: return "team"
        case .project: return "project"
        case .taskType: return "task_type"
        case .tool: return "tool"
        case .promptVersion: return "prompt_version"
        case .pipeline: return "pipeline"
        case .priority: return "priority"
        case .agent: return "agent"
        case .tags: return "tags"
        }
    }

    /// The business fields (`user_id` … `agent`), in canonical order.
    package static let businessFields: [EnvelopeKey] = Array(allCases[7..<17])

    /// The key whose wire name is `bytes[range]`, if any.
    package init?(utf8 bytes: [UInt8], range: Range<Int>) {
        // One candidate by length and first byte, then compared whole.
        guard range.lowerBound >= 0, range.upperBound <= bytes.count, !range.isEmpty else { return nil }
        let first = bytes[range.lowerBound]
        let candidate: EnvelopeKey
        switch (range.count, first) {
        case (1, _): candidate = .v
        case (4, _):
            switch bytes[range.lowerBound + 1] {
            case UInt8(ascii: "e"): candidate = .team
            case UInt8(ascii: "o"): candidate = .tool
            default: candidate = .tags
            }
        case (5, _): candidate = .agent
        case (7, UInt8(ascii: "l")): candidate = .leafID
        case (7, UInt8(ascii: "r")): candidate = .rootID
        case (7, UInt8(ascii: "a")): candidate = .attempt
        case (7, UInt8(ascii: "u")): candidate = .userID
        case (7, UInt8(ascii: "f")): candidate = .feature
        case (7, _): candidate = .project
        case (8, UInt8(ascii: "t")): candidate = .traceID
        case (8, _): candidate = bytes[range.lowerBound + 1] == UInt8(ascii: "i") ? .pipeline : .priority
        case (9, UInt8(ascii: "p")): candidate = .parentID
        case (9, _): candidate = .taskType
        case (10, _): candidate = .createdAt
        case (14, _): candidate = .promptVersion
        default: return nil
        }
        guard candidate.name.utf8.count == range.count else { return nil }
        var i = range.lowerBound
        for byte in candidate.name.utf8 {
            guard bytes[i] == byte else { return nil }
            i += 1
        }
        self = candidate
    }

    /// The key whose wire name is `name`, if any.
    package init?(name: String) {
        let bytes = Array(name.utf8)
        self.init(utf8: bytes, range: 0..<bytes.count)
    }

    /// The prefix of a tag's baggage key in the header form (`tag.{key}`).
    package static let tagPrefix = "tag."

    /// Whether a baggage key names an envelope value carried in baggage: a business field, `root_id`,
    /// `parent_id`, `attempt`, `created_at` or a `tag.{key}`.
    package static func isBaggageKey(_ key: String) -> Bool {
        if let known = EnvelopeKey(name: key) {
            switch known {
            case .v, .traceID, .leafID, .tags: return false
            default: return true
            }
        }
        return key.utf8.starts(with: tagPrefix.utf8)
    }

    /// Whether a baggage key names an id that only `traceparent` carries.
    package static func isTraceparentKey(_ key: String) -> Bool {
        key == EnvelopeKey.traceID.name || key == EnvelopeKey.leafID.name
    }
}
