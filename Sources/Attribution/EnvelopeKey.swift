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

    /// Every key's UTF-8 name, by raw value.
    private static let utf8Names: [[UInt8]] = allCases.map { Array($0.name.utf8) }

    /// The wire name's UTF-8 bytes.
    package var utf8Name: [UInt8] { Self.utf8Names[Int(rawValue)] }

    /// Whether `bytes[start...]` begins with the wire name (`bytes` holds at least its length from `start`).
    package func nameMatches(_ bytes: [UInt8], at start: Int) -> Bool {
        let name = utf8Name
        for i in 0..<name.count where bytes[start + i] != name[i] { return false }
        return true
    }

    /// The key whose wire name is `bytes`, if any.
    package init?(utf8 bytes: ArraySlice<UInt8>) {
        let count = bytes.count
        guard count >= 1, count <= 14 else { return nil }
        for key in Self.allCases {
            let name = Self.utf8Names[Int(key.rawValue)]
            guard name.count == count else { continue }
            var equal = true
            for i in 0..<count where bytes[bytes.startIndex + i] != name[i] {
                equal = false
                break
            }
            if equal {
                self = key
                return
            }
        }
        return nil
    }

    /// The key whose wire name is `name`, if any.
    package init?(name: String) { self.init(utf8: ArraySlice(name.utf8)) }

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
