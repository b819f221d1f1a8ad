package import Attribution

/// The keys of a ledger line (docs/ledger.md), in the order the writer writes them: the one place each key's
/// wire name is spelled. The encoder, the scanner, the strict decoder, the record's validation and the audit
/// all name keys through this type.
///
/// The ten attribution keys (`user_id` … `agent`) are the envelope's field names: their names come from
/// ``AttributionField/name``, in ``AttributionField/all`` order.
@usableFromInline package enum LedgerKey: UInt8, CaseIterable, Sendable {
    case v
    case recordID
    case kind
    case ts
    case startedAt
    case provider
    case model
    case apiKeyID
    case serviceTier
    case inputTokens
    case outputTokens
    case cachedInputTokens
    case cacheWriteTokens
    case cacheWrite1hTokens
    case reasoningTokens
    case costUSD
    case priceSource
    case status
    case traceID
    case leafID
    case parentID
    case rootID
    case attempt
    /// `user_id` … `agent` follow in ``AttributionField/all`` order.
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

    /// How many keys there are.
    package static let count = allCases.count

    /// The key's position (its raw value), for tables indexed by key.
    @inlinable
    package var index: Int { Int(rawValue) }

    /// The key of an attribution field.
    package init(_ field: AttributionField) {
        self = Self(rawValue: Self.userID.rawValue &+ UInt8(truncatingIfNeeded: field.order)) ?? .userID
    }

    /// The attribution field this key carries, if it is one of the ten.
    package var attributionField: AttributionField? {
        let order = Int(rawValue) - Int(Self.userID.rawValue)
        guard order >= 0, order < AttributionField.all.count else { return nil }
        return AttributionField.all[order]
    }

    /// The key as written on the line (`record_id`, `prompt_version`). The keys the line shares with the envelope
    /// (`v`, the ids, `attempt`, the ten attribution fields, `tags`) are the envelope's names.
    package var name: String {
        switch self {
        case .v: return EnvelopeKey.v.name
        case .recordID: return "record_id"
        case .kind: return "kind"
        case .ts: return "ts"
        case .startedAt: return "started_at"
        case .provider: return "provider"
        case .model: return "model"
        case .apiKeyID: return "api_key_id"
        case .serviceTier: return "service_tier"
        case .inputTokens: return "input_tokens"
        case .outputTokens: return "output_tokens"
        case .cachedInputTokens: return "cached_input_tokens"
        case .cacheWriteTokens: return "cache_write_tokens"
        case .cacheWrite1hTokens: return "cache_write_1h_tokens"
        case .reasoningTokens: return "reasoning_tokens"
        case .costUSD: return "cost_usd"
        case .priceSource: return "price_source"
        case .status: return "status"
        case .traceID: return EnvelopeKey.traceID.name
        case .leafID: return EnvelopeKey.leafID.name
        case .parentID: return EnvelopeKey.parentID.name
        case .rootID: return EnvelopeKey.rootID.name
        case .attempt: return EnvelopeKey.attempt.name
        case .tags: return EnvelopeKey.tags.name
        case .userID, .feature, .team, .project, .taskType, .tool, .promptVersion, .pipeline, .priority, .agent:
            return attributionField?.name ?? ""
        }
    }

    /// The key whose name is `bytes`, or nil for a key this version does not know.
    package init?(name bytes: some Sequence<UInt8>) {
        guard let key = Self.allCases.first(where: { $0.name.utf8.elementsEqual(bytes) }) else { return nil }
        self = key
    }
}
