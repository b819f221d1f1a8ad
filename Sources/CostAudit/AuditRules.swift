public import Attribution
import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The key map of docs/audit.md: which team and project each provider API key belongs to.
///
/// File form: a JSON object `{"API_KEY_ID": {"team": "…", "project": "…"}, …}`. Spend that can be tied only to
/// the key that paid (records still incomplete after rules, unrecorded spend) is `key_allocated` on a mapped key.
public struct AuditKeyMap: Sendable, Hashable {
    /// A key's owner.
    public struct Owner: Sendable, Hashable {
        /// The team that owns the key.
        public var team: String
        /// The project the key is for.
        public var project: String

        /// Creates an owner.
        public init(team: String, project: String) {
            self.team = team
            self.project = project
        }
    }

    /// Owners by API key id.
    public var owners: [String: Owner]

    /// An empty map: no spend is key-allocated.
    public static let empty = AuditKeyMap(owners: [:])

    /// Largest key map file read: 16 MiB.
    public static let maxFileBytes = 16 << 20

    /// Creates a map.
    public init(owners: [String: Owner]) { self.owners = owners }

    /// Reads the key map file.
    /// - Throws: ``CostAuditError/Code/invalidKeyMap`` naming the file and the field at fault, or
    ///   ``CostAuditError/Code/io`` when the file cannot be read.
    public init(contentsOfFile path: String) throws(CostAuditError) {
        let bytes = try AuditFiles.read(path, limit: Self.maxFileBytes, code: .invalidKeyMap)
        try self.init(json: bytes, file: path)
    }

    /// Parses the key map from JSON text.
    /// - Parameters:
    ///   - bytes: the key map file's JSON text, UTF-8 encoded.
    ///   - file: the name used in errors.
    /// - Throws: ``CostAuditError/Code/invalidKeyMap`` naming the field at fault.
    public init(json bytes: some Collection<UInt8>, file: String = "key map") throws(CostAuditError) {
        // Read key by key: the file's bytes, one entry's tree and the owners kept (docs/reliability.md).
        var reader = try JSONParser.Stream.reading(
            bytes,
            limits: .init(maxBytes: Self.maxFileBytes, maxDepth: 4),
            field: "key map"
        ) { error in CostAuditError.wrapping(error, .invalidKeyMap, file: file) }
        guard reader.nextIsObject else {
            let type = try reader.skipWhole()
            throw CostAuditError(
                .invalidKeyMap,
                file: file,
                reason: "expected a JSON object of {\"API_KEY_ID\": {\"team\": …, \"project\": …}}, got "
                    + type
            )
        }
        try reader.enter()
        var owners: [String: Owner] = [:]
        while let key = try reader.nextKey() {
            let member = JSONObject.Member(key: key, value: try reader.value())
            guard !key.isEmpty else {
                throw CostAuditError(
                    .invalidKeyMap,
                    file: file,
                    field: "\"\"",
                    reason: "an API key id must not be empty"
                )
            }
            guard let entry = member.value.objectValue else {
                throw CostAuditError(
                    .invalidKeyMap,
                    file: file,
                    field: key,
                    reason: "expected an object {\"team\": …, \"project\": …}, got \(member.value.typeName)"
                )
            }
            var team: String?
            var project: String?
            for field in entry.members {
                switch field.key {
                case "team": team = try Self.value(field.value, field: "\(key).team", file: file, code: .invalidKeyMap)
                case "project":
                    project = try Self.value(field.value, field: "\(key).project", file: file, code: .invalidKeyMap)
                default:
                    throw CostAuditError(
                        .invalidKeyMap,
                        file: file,
                        field: "\(key).\(field.key)",
                        reason: "unknown key: a key map entry has only \"team\" and \"project\""
                    )
                }
            }
            guard let team, let project else {
                throw CostAuditError(
                    .invalidKeyMap,
                    file: file,
                    field: key,
                    reason: "an entry needs both \"team\" and \"project\""
                )
            }
            owners[key] = Owner(team: team, project: project)
        }
        try reader.finish()
        self.owners = owners
    }

    static func value(
        _ value: JSONValue,
        field: String,
        file: String,
        code: CostAuditError.Code
    ) throws(CostAuditError) -> String {
        guard let text = value.stringValue else {
            throw CostAuditError(code, file: file, field: field, reason: "expected a string, got \(value.typeName)")
        }
        guard !text.isEmpty, text.utf8.count <= 256 else {
            throw CostAuditError(
                code,
                file: file,
                field: field,
                reason: "expected a non-empty string of at most 256 bytes, got \(AttributionError.quote(text))"
            )
        }
        return text
    }
}

/// The mapping rules of docs/audit.md: for spend still incomplete after lineage, the first rule whose `match`
/// fields all equal the record's (resolved) values fills the missing fields from its `set`.
///
/// File form: a JSON array, tried in order, of `{"match": {FIELD: VALUE, …}, "set": {FIELD: VALUE, …}}`.
/// `match` may name any attribution field (section 2) and also `provider`, `model` and `api_key_id`; `set`
/// names attribution fields.
///
/// ```json
/// [{"match": {"agent": "nightly-eval-agent"},
///   "set": {"user_id": "system", "feature": "nightly_eval", "team": "ml-platform",
///           "project": "nightly-eval", "task_type": "eval"}}]
/// ```
public struct AuditRules: Sendable, Hashable {
    /// What a rule may match on besides attribution fields.
    public struct MatchKey: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case field(AttributionField)
            case provider
            case model
            case apiKeyID
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// An attribution field, resolved through lineage.
        public static func field(_ field: AttributionField) -> MatchKey { MatchKey(.field(field)) }
        /// The record's provider.
        public static let provider = MatchKey(.provider)
        /// The record's model, as recorded.
        public static let model = MatchKey(.model)
        /// The key that paid.
        public static let apiKeyID = MatchKey(.apiKeyID)

        /// The key with this wire name, if it is one.
        public init?(name: String) {
            switch name {
            case "provider": self = .provider
            case "model": self = .model
            case "api_key_id": self = .apiKeyID
            default:
                guard let field = AttributionField(name: name) else { return nil }
                self = .field(field)
            }
        }

        /// The attribution field, when the key is one.
        public var attributionField: AttributionField? {
            if case .field(let field) = base { return field }
            return nil
        }

        /// The wire name.
        public var description: String {
            switch base {
            case .field(let field): return field.name
            case .provider: return "provider"
            case .model: return "model"
            case .apiKeyID: return "api_key_id"
            }
        }
    }

    /// One rule.
    public struct Rule: Sendable, Hashable {
        /// Every one of these must equal the record's value exactly.
        public var match: [MatchKey: String]
        /// Values for the fields the record lacks.
        public var set: [AttributionField: String]

        /// Creates a rule.
        public init(match: [MatchKey: String], set: [AttributionField: String]) {
            self.match = match
            self.set = set
        }
    }

    /// The rules, tried in order.
    public var rules: [Rule]

    /// No rules.
    public static let empty = AuditRules(rules: [])

    /// Largest rules file read: 16 MiB.
    public static let maxFileBytes = 16 << 20

    /// Creates rules.
    public init(rules: [Rule]) { self.rules = rules }

    /// Reads a rules file.
    /// - Throws: ``CostAuditError/Code/invalidRules`` naming the file and field at fault, or
    ///   ``CostAuditError/Code/io``.
    public init(contentsOfFile path: String) throws(CostAuditError) {
        let bytes = try AuditFiles.read(path, limit: Self.maxFileBytes, code: .invalidRules)
        try self.init(json: bytes, file: path)
    }

    /// Parses rules from JSON text.
    /// - Parameters:
    ///   - bytes: the rules file's JSON text, UTF-8 encoded.
    ///   - file: the name used in errors.
    /// - Throws: ``CostAuditError/Code/invalidRules`` naming the field at fault.
    public init(json bytes: some Collection<UInt8>, file: String = "rules") throws(CostAuditError) {
        // Read rule by rule: the file's bytes, one rule's tree and the rules kept (docs/reliability.md).
        var reader = try JSONParser.Stream.reading(
            bytes,
            limits: .init(maxBytes: Self.maxFileBytes, maxDepth: 4),
            field: "rules"
        ) { error in CostAuditError.wrapping(error, .invalidRules, file: file) }
        guard reader.nextIsArray else {
            let type = try reader.skipWhole()
            throw CostAuditError(
                .invalidRules,
                file: file,
                reason: "expected a JSON array of {\"match\": {…}, \"set\": {…}}, got \(type)"
            )
        }
        try reader.enter()
        var rules: [Rule] = []
        while try reader.nextElement() {
            rules.append(try Self.rule(try reader.value(), index: rules.count, file: file))
        }
        try reader.finish()
        self.rules = rules
    }

    /// One rule of the file, the `index`th.
    private static func rule(_ item: JSONValue, index: Int, file: String) throws(CostAuditError) -> Rule {
        let at = "[\(index)]"
        guard let object = item.objectValue else {
            throw CostAuditError(
                .invalidRules,
                file: file,
                field: at,
                reason: "expected an object {\"match\": {…}, \"set\": {…}}, got \(item.typeName)"
            )
        }
        var match: [MatchKey: String]?
        var set: [AttributionField: String]?
        for member in object.members {
            switch member.key {
            case "match":
                match = try fields(
                    of: member.value,
                    at: "\(at).match",
                    file: file,
                    unknown: "unknown field: a rule matches attribution fields, provider, model or api_key_id",
                    MatchKey.init(name:)
                )
            case "set":
                set = try fields(
                    of: member.value,
                    at: "\(at).set",
                    file: file,
                    unknown: "unknown field: a rule sets attribution fields (user_id, feature, team, …)",
                    AttributionField.init(name:)
                )
            default:
                throw CostAuditError(
                    .invalidRules,
                    file: file,
                    field: "\(at).\(member.key)",
                    reason: "unknown key: a rule has only \"match\" and \"set\""
                )
            }
        }
        guard let match, let set else {
            throw CostAuditError(
                .invalidRules,
                file: file,
                field: at,
                reason: "a rule needs both \"match\" and \"set\""
            )
        }
        return Rule(match: match, set: set)
    }

    /// A rule's `match` or `set` object (at `at`): each field named as `key` reads it (`unknown` when it does
    /// not), each value a string.
    private static func fields<Key: Hashable>(
        of value: JSONValue,
        at: String,
        file: String,
        unknown: String,
        _ key: (String) -> Key?
    ) throws(CostAuditError) -> [Key: String] {
        guard let object = value.objectValue else {
            throw CostAuditError(
                .invalidRules,
                file: file,
                field: at,
                reason: "expected an object, got \(value.typeName)"
            )
        }
        var result: [Key: String] = [:]
        for field in object.members {
            guard let name = key(field.key) else {
                throw CostAuditError(.invalidRules, file: file, field: "\(at).\(field.key)", reason: unknown)
            }
            result[name] = try AuditKeyMap.value(
                field.value,
                field: "\(at).\(field.key)",
                file: file,
                code: .invalidRules
            )
        }
        return result
    }
}

/// Whole-file reads with a size bound, for the audit's small inputs (usage exports, key map, rules).
///
/// Read with the system's own calls, as the command line reads its inputs: a regular file, a pipe or FIFO
/// (`<(zcat usage.json.gz)`, a named FIFO: read once, to its end) and a character device are read; a directory
/// or a socket is refused as of the wrong kind, and a failure is told in plain words ("no such file",
/// "permission denied"). Memory: at most `limit` bytes plus one 64 KiB chunk.
enum AuditFiles {
    static func read(_ path: String, limit: Int, code: CostAuditError.Code) throws(CostAuditError) -> [UInt8] {
        let fd = SystemIO.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CostAuditError(.io, file: path, reason: SystemErrorText.words()) }
        defer { close(fd) }
        guard let status = SystemIO.status(descriptor: fd) else {
            throw CostAuditError(.io, file: path, reason: SystemErrorText.words())
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG, S_IFIFO, S_IFCHR:
            break
        case S_IFDIR:
            throw CostAuditError(code, file: path, reason: "is a directory, expected a file")
        default:
            throw CostAuditError(code, file: path, reason: "is not a regular file, a pipe or a FIFO")
        }
        if status.st_mode & S_IFMT == S_IFREG, Int(status.st_size) > limit {
            throw CostAuditError(
                code,
                file: path,
                reason: "file of \(status.st_size) bytes exceeds the limit of \(limit) bytes"
            )
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = SystemIO.read(fd, into: &chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw CostAuditError(.io, file: path, reason: "cannot read the file: " + SystemErrorText.words())
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit {
                throw CostAuditError(code, file: path, reason: "larger than the limit of \(limit) bytes")
            }
        }
    }
}
