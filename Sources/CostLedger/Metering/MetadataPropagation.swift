public import Attribution

/// How the call wrapper copies an envelope's attribution into a provider request's own metadata, so the
/// provider's dashboards and usage exports can be grouped by it too.
///
/// It works on the raw JSON request body, so any HTTP client can use it (``ProviderAdapter/tag(requestBody:envelope:propagation:limits:)``):
/// - OpenAI (Chat Completions and Responses): the `metadata` object — at most 16 pairs, keys of at most 64
///   characters, values of at most 512 — and the end-user field, `safety_identifier` (the default; the
///   Responses API and newer Chat Completions) or `user` (older endpoints), at most 64 characters. OpenAI
///   accepts `metadata` only on a request that stores its output: a Chat Completions request with
///   `"store": true`, a Responses request without `"store": false`. On any other request the metadata is
///   dropped (``DroppedMetadata/Reason/storeDisabled``) and only the end-user field is written; tagging never
///   sets `store`, since keeping completions at the provider is the application's decision.
/// - Anthropic Messages: `metadata.user_id` (at most 256 characters); Anthropic accepts no other metadata key.
///
/// What does not fit is dropped whole, never truncated, by ``fieldPriority``: the default keeps `user_id`,
/// `feature`, `team`, `project`, `task_type`, `trace_id`, `leaf_id`, `tool`, `prompt_version`, `root_id`
/// (when it differs from `leaf_id`), `parent_id`, `attempt`, `pipeline`, `priority`, `agent`, then tags
/// (`tag.{key}`, by key), and drops from the end. A key the caller already set in the body is kept with the
/// caller's value and takes one of the 16 slots. Everything dropped is reported in
/// ``TaggedRequest/dropped``.
///
/// The user id leaves the process only as ``userID`` says: by default it does not leave at all
/// (``UserIDPolicy/omit``); with a key the application supplies, as the keyed hash
/// HMAC-SHA256(key, user_id) in lowercase hex (``UserIDPolicy/keyedHash(key:)``); as it is only when the
/// application says so (``UserIDPolicy/raw``). The ledger's record keeps the envelope's `user_id` unchanged.
///
/// Fields an attribution policy withholds (``withheld``, and a ``CostMeter``'s own ``CostMeter/policy``) are not
/// written at all: not into `metadata`, and for a
/// withheld `user_id` not into the end-user field either, whatever ``userID`` says (omitted, never hashed).
///
/// ```swift
/// let policy = AttributionPolicy.default.withholding([.userID, .project])
/// let propagation = MetadataPropagation(userID: .keyedHash(key: key), withheld: policy.withheld)
/// // Neither user_id (nor its hash) nor project reaches the provider.
/// ```
public struct MetadataPropagation: Sendable {
    /// What of the envelope's `user_id` is written into a provider request (OpenAI's `metadata.user_id` and
    /// `safety_identifier` / `user`, Anthropic's `metadata.user_id`). A set that may grow.
    ///
    /// ```swift
    /// let key: [UInt8] = secrets.providerUserIDKey   // 32 random bytes, kept by the application
    /// let meter = CostMeter(sink: ledger, propagation: MetadataPropagation(userID: .keyedHash(key: key)))
    /// ```
    public struct UserIDPolicy: Sendable, CustomStringConvertible {
        private enum Base: Sendable {
            case omit
            case raw
            case keyedHash([UInt8])
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The default: no user id leaves the process.
        public static let omit = UserIDPolicy(.omit)
        /// The envelope's `user_id` is sent as it is. An explicit choice: the provider then holds the
        /// application's own user ids.
        public static let raw = UserIDPolicy(.raw)

        /// The keyed hash HMAC-SHA256(`key`, `user_id`) is sent, as 64 lowercase hex characters (which is
        /// exactly OpenAI's 64-character limit). The same user gets the same value on every call, so the
        /// provider's abuse signals and dashboards still group by user, and only a holder of the key can link
        /// the value to the id. An empty key sends nothing (as ``omit``): a hash under a known key is no
        /// protection.
        /// - Parameter key: the application's secret key (32 random bytes, say).
        public static func keyedHash(key: [UInt8]) -> UserIDPolicy { UserIDPolicy(.keyedHash(key)) }

        /// The value written into a provider request for `userID`, or nil when none is.
        ///
        /// With ``keyedHash(key:)``, this is how the application links a provider's per-user figures back to
        /// its users: hash its own ids with the same key and join.
        public func outgoingValue(for userID: String) -> String? {
            switch base {
            case .omit: return nil
            case .raw: return userID
            case .keyedHash(let key): return key.isEmpty ? nil : HMACSHA256.hex(key: key, message: userID)
            }
        }

        /// `omit`, `raw` or `keyed_hash` (never the key).
        public var description: String {
            switch base {
            case .omit: return "omit"
            case .raw: return "raw"
            case .keyedHash: return "keyed_hash"
            }
        }
    }

    /// Which OpenAI request field carries the end user's id. A set that may grow.
    public struct EndUserField: Sendable, Hashable, CustomStringConvertible {
        /// The request field's name; empty for ``none``.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// `safety_identifier`: the Responses API and newer Chat Completions.
        public static let safetyIdentifier = EndUserField("safety_identifier")
        /// `user`: older endpoints (deprecated by OpenAI in favour of `safety_identifier`).
        public static let user = EndUserField("user")
        /// No end-user field is written.
        public static let none = EndUserField("")
        public var description: String { name.isEmpty ? "none" : name }
    }

    /// The providers' documented bounds, as named constants.
    public enum Limits {
        /// Most pairs in OpenAI's `metadata`.
        public static let openAIMaxPairs = 16
        /// Longest key of OpenAI's `metadata`, in characters.
        public static let openAIMaxKeyCharacters = 64
        /// Longest value of OpenAI's `metadata`, in characters.
        public static let openAIMaxValueCharacters = 512
        /// Longest OpenAI `safety_identifier` / `user`, in characters.
        public static let openAIMaxEndUserCharacters = 64
        /// Longest Anthropic `metadata.user_id`, in characters.
        public static let anthropicMaxUserIDCharacters = 256
    }

    /// The default order of ``fieldPriority``: kept first, dropped last.
    public static let defaultFieldPriority: [String] = [
        LedgerKey.userID, .feature, .team, .project, .taskType, .traceID, .leafID, .tool, .promptVersion, .rootID,
        .parentID, .attempt, .pipeline, .priority, .agent,
    ].map(\.name)

    /// Whether OpenAI's `metadata` object is filled.
    public var openAIMetadata: Bool
    /// Which OpenAI field carries the user id's outgoing value (see ``userID``).
    public var openAIEndUserField: EndUserField
    /// Whether Anthropic's `metadata.user_id` is filled.
    public var anthropicUserID: Bool
    /// Whether a streaming OpenAI Chat Completions request is given `stream_options.include_usage: true`
    /// (when the caller has not set it), so the stream ends with its usage.
    public var requestStreamUsage: Bool
    /// Envelope keys in the order they are kept; keys not listed follow in the default order, then tags.
    public var fieldPriority: [String]
    /// What of the user id leaves the process: nothing (``UserIDPolicy/omit``, the default), its keyed hash,
    /// or the raw id. Never applied to the ledger's record, which keeps the envelope's `user_id`.
    public var userID: UserIDPolicy
    /// Fields written into no request: an attribution policy's withheld fields (`AttributionPolicy.withheld`).
    /// A withheld `user_id` is not sent in any form, ``userID`` notwithstanding. Never applied to the ledger's
    /// record.
    public var withheld: [AttributionField]

    /// Creates propagation settings; the defaults fill every field the provider has, except the user id,
    /// which leaves the process only as `userID` says, and any field in `withheld`, which never does.
    public init(
        openAIMetadata: Bool = true,
        openAIEndUserField: EndUserField = .safetyIdentifier,
        anthropicUserID: Bool = true,
        requestStreamUsage: Bool = true,
        fieldPriority: [String] = MetadataPropagation.defaultFieldPriority,
        userID: UserIDPolicy = .omit,
        withheld: [AttributionField] = []
    ) {
        self.openAIMetadata = openAIMetadata
        self.openAIEndUserField = openAIEndUserField
        self.anthropicUserID = anthropicUserID
        self.requestStreamUsage = requestStreamUsage
        self.fieldPriority = fieldPriority
        self.userID = userID
        self.withheld = withheld
    }

    /// Every field the provider has a place for; no user id (``UserIDPolicy/omit``).
    public static var `default`: MetadataPropagation { MetadataPropagation() }

    /// The outgoing value of `envelope`'s user id for an end-user field: none when `user_id` is withheld,
    /// else its value under ``userID``.
    func endUserValue(for envelope: AttributionEnvelope?) -> String? {
        guard !withheld.contains(.userID), let user = envelope?.userID else { return nil }
        return userID.outgoingValue(for: user)
    }

    /// Nothing is written into requests (stream usage is still requested).
    public static var disabled: MetadataPropagation {
        MetadataPropagation(openAIMetadata: false, openAIEndUserField: .none, anthropicUserID: false)
    }

    /// The envelope's metadata candidates, most important first: business fields, lineage, then tags as
    /// `tag.{key}` sorted by key. The user id is its outgoing value under ``userID`` (absent by default); a
    /// ``withheld`` field is absent.
    public func candidates(for envelope: AttributionEnvelope) -> [MetadataPair] {
        var values: [String: String] = [:]
        for field in AttributionField.all where !withheld.contains(field) {
            if let value = envelope[field] { values[field.name] = value }
        }
        let user = AttributionField.userID.name
        values[user] = values[user].flatMap { userID.outgoingValue(for: $0) }
        values[LedgerKey.traceID.name] = envelope.traceID.description
        values[LedgerKey.leafID.name] = envelope.leafID.description
        if envelope.rootID != envelope.leafID { values[LedgerKey.rootID.name] = envelope.rootID.description }
        if let parent = envelope.parentID { values[LedgerKey.parentID.name] = parent.description }
        values[LedgerKey.attempt.name] = String(envelope.attempt)

        var order: [String] = []
        var seen: Set<String> = []
        for key in fieldPriority + Self.defaultFieldPriority where seen.insert(key).inserted {
            order.append(key)
        }
        var pairs: [MetadataPair] = []
        for key in order {
            if let value = values[key] { pairs.append(MetadataPair(key: key, value: value)) }
        }
        for key in envelope.tags.keys.sorted() {
            if let value = envelope.tags[key] { pairs.append(MetadataPair(key: "tag." + key, value: value)) }
        }
        return pairs
    }

    /// Fits `candidates` (most important first) into OpenAI's `metadata` beside the caller's `existingKeys`.
    ///
    /// A candidate is dropped whole when the caller already set its key (the caller's value is kept), when its
    /// key is longer than 64 characters or its value longer than 512, or when the 16 pairs are taken. Nothing
    /// is truncated. Characters are Unicode scalars, as the provider counts them.
    /// - Returns: the pairs to add, in order, and what was dropped, in candidate order.
    public static func fitOpenAIMetadata(
        _ candidates: [MetadataPair],
        existingKeys: [String]
    ) -> (kept: [MetadataPair], dropped: [DroppedMetadata]) {
        let existing = Set(existingKeys)
        var kept: [MetadataPair] = []
        var dropped: [DroppedMetadata] = []
        var used = existing.count
        var keys: Set<String> = []
        for pair in candidates {
            if existing.contains(pair.key) {
                dropped.append(DroppedMetadata(key: pair.key, reason: .callerValueKept))
            } else if !keys.insert(pair.key).inserted {
                dropped.append(DroppedMetadata(key: pair.key, reason: .duplicateKey))
            } else if pair.key.isEmpty || pair.key.unicodeScalars.count > Limits.openAIMaxKeyCharacters {
                dropped.append(DroppedMetadata(key: pair.key, reason: .keyTooLong))
            } else if pair.value.unicodeScalars.count > Limits.openAIMaxValueCharacters {
                dropped.append(DroppedMetadata(key: pair.key, reason: .valueTooLong))
            } else if used >= Limits.openAIMaxPairs {
                dropped.append(DroppedMetadata(key: pair.key, reason: .countLimit))
            } else {
                kept.append(pair)
                used += 1
            }
        }
        return (kept, dropped)
    }
}

/// One metadata key and value.
public struct MetadataPair: Sendable, Hashable, CustomStringConvertible {
    /// The key (`feature`, `tag.env`).
    public var key: String
    /// The value.
    public var value: String

    /// Creates a pair.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    public var description: String { "\(key)=\(value)" }
}

/// A metadata entry that was not written into a request, and why.
public struct DroppedMetadata: Sendable, Hashable, CustomStringConvertible {
    /// Why an entry was dropped. A set that may grow.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        /// The stable snake_case name.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// The provider's limit on the number of pairs was reached by entries of higher priority.
        public static let countLimit = Reason("count_limit")
        /// The key is longer than the provider allows.
        public static let keyTooLong = Reason("key_too_long")
        /// The value is longer than the provider allows (values are never truncated).
        public static let valueTooLong = Reason("value_too_long")
        /// The caller's request already sets this key; the caller's value is kept.
        public static let callerValueKept = Reason("caller_value_kept")
        /// An earlier candidate had the same key.
        public static let duplicateKey = Reason("duplicate_key")
        /// The request does not store its output, and OpenAI accepts `metadata` only on a stored request (Chat
        /// Completions without `"store": true`, Responses with `"store": false`). Tagging never enables storage.
        public static let storeDisabled = Reason("store_disabled")
        public var description: String { name }
    }

    /// The key as it would have been written (`tag.env`, `safety_identifier`, `metadata.user_id`).
    public var key: String
    /// Why it was dropped.
    public var reason: Reason

    /// Creates a report entry.
    public init(key: String, reason: Reason) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(key) (\(reason))" }
}

/// A request body with attribution written into the provider's metadata fields, and what did not fit.
public struct TaggedRequest: Sendable, Hashable {
    /// The body to send. Byte for byte the input when nothing was added; otherwise the input's top-level
    /// members in their order with their original text, the edited ones in place, new ones at the end.
    public var body: [UInt8]
    /// The metadata pairs written (OpenAI's `metadata`; for Anthropic, `user_id`).
    public var propagated: [MetadataPair]
    /// The end-user value (see ``MetadataPropagation/userID``) written to `safety_identifier`, `user` or `metadata.user_id`.
    public var endUserID: String?
    /// What was not written, and why.
    public var dropped: [DroppedMetadata]
    /// Whether `stream_options.include_usage: true` was added to a streaming request.
    public var requestedStreamUsage: Bool

    /// Creates a tagged request.
    public init(
        body: [UInt8],
        propagated: [MetadataPair] = [],
        endUserID: String? = nil,
        dropped: [DroppedMetadata] = [],
        requestedStreamUsage: Bool = false
    ) {
        self.body = body
        self.propagated = propagated
        self.endUserID = endUserID
        self.dropped = dropped
        self.requestedStreamUsage = requestedStreamUsage
    }
}

/// Rewrites a JSON object's top-level members while keeping every other member's original text.
struct TopLevelEditor {
    private(set) var object: JSONObject
    private var replacements: [String: [UInt8]] = [:]
    private var additions: [(String, [UInt8])] = []

    init(_ object: JSONObject) { self.object = object }

    var isEdited: Bool { !replacements.isEmpty || !additions.isEmpty }

    /// Sets `key` to the JSON text `json`: in place when present, at the end otherwise.
    mutating func set(_ key: String, json: [UInt8]) {
        if object[key] != nil {
            replacements[key] = json
        } else if let index = additions.firstIndex(where: { $0.0 == key }) {
            additions[index].1 = json
        } else {
            additions.append((key, json))
        }
    }

    /// The edited object as compact-at-the-top JSON; nested values keep their original text.
    func serialized() -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.raw(UInt8(ascii: "{"))
        var first = true
        for member in object.members {
            if !first { writer.raw(UInt8(ascii: ",")) }
            first = false
            writer.key(member.key)
            if let replacement = replacements[member.key] {
                writer.bytes.append(contentsOf: replacement)
            } else {
                writer.raw(member.rawText)
            }
        }
        for (key, json) in additions {
            if !first { writer.raw(UInt8(ascii: ",")) }
            first = false
            writer.key(key)
            writer.bytes.append(contentsOf: json)
        }
        writer.raw(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// JSON text of an object: `members` (raw text) followed by string `pairs`.
    static func objectJSON(keeping members: [JSONObject.Member], adding pairs: [MetadataPair]) -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.raw(UInt8(ascii: "{"))
        var first = true
        for member in members {
            if !first { writer.raw(UInt8(ascii: ",")) }
            first = false
            writer.key(member.key)
            writer.raw(member.rawText)
        }
        for pair in pairs {
            if !first { writer.raw(UInt8(ascii: ",")) }
            first = false
            writer.key(pair.key)
            writer.string(pair.value)
        }
        writer.raw(UInt8(ascii: "}"))
        return writer.bytes
    }

    static func stringJSON(_ value: String) -> [UInt8] {
        var writer = JSONWriter(capacity: value.utf8.count + 2)
        writer.string(value)
        return writer.bytes
    }
}
