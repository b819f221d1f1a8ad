import Foundation

/// `Codable` with the wire's snake_case keys, for queues and frameworks that encode payloads with
/// `JSONEncoder`. The result is semantically equal to the canonical form (a `Codable` encoder may order keys
/// its own way); decoding validates, and refuses what the canonical decoder refuses wherever `Codable` lets
/// it tell: `null`, `""`, wrong types, non-integer `v` or `attempt`, unknown versions, missing keys, bad ids,
/// out-of-range attempts, contradictory lineage and every size limit. Unknown keys are kept (their values
/// re-written as compact JSON, since `Codable` does not expose the original text).
///
/// Prefer ``canonicalJSON()`` and ``init(json:)-(Collection<UInt8>)`` where you hold bytes: they are exact and
/// much faster.
extension AttributionEnvelope: Codable {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Encodes the envelope's keys with their wire names, after validating it.
    /// - Throws: the ``AttributionError`` ``canonicalJSON()`` would throw, or the encoder's error.
    public func encode(to encoder: any Encoder) throws {
        try validate()
        try validateUnknownFields()
        var container = encoder.container(keyedBy: AnyKey.self)
        try container.encode(Self.version, forKey: AnyKey("v"))
        try container.encode(traceID.description, forKey: AnyKey("trace_id"))
        try container.encode(leafID.description, forKey: AnyKey("leaf_id"))
        try container.encode(rootID.description, forKey: AnyKey("root_id"))
        if let parentID { try container.encode(parentID.description, forKey: AnyKey("parent_id")) }
        try container.encode(attempt, forKey: AnyKey("attempt"))
        if let createdAt {
            guard Self.createdAtRange.contains(createdAt.millisecondsSinceEpoch) else {
                throw AttributionError(
                    .invalidValue,
                    field: "created_at",
                    reason: "must fall in the years 0000 to 9999 UTC"
                )
            }
            try container.encode(createdAt.description, forKey: AnyKey("created_at"))
        }
        for field in AttributionField.all {
            if let value = self[field] { try container.encode(value, forKey: AnyKey(field.name)) }
        }
        if !tags.isEmpty { try container.encode(tags, forKey: AnyKey("tags")) }
        for unknown in unknownFields {
            let value = try JSONParser.parse(
                Array(unknown.json.utf8),
                limits: .init(maxBytes: Limits.maxInputBytes, maxDepth: Limits.maxDepth),
                field: unknown.key
            )
            try container.encode(CodableJSON(value), forKey: AnyKey(unknown.key))
        }
    }

    /// Decodes and validates an envelope from its keyed form.
    /// - Throws: an ``AttributionError`` naming the field, or the decoder's own error for malformed input.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        func present(_ key: String) throws -> Bool {
            let codingKey = AnyKey(key)
            guard container.contains(codingKey) else { return false }
            if try container.decodeNil(forKey: codingKey) {
                throw AttributionError(.invalidType, field: key, reason: "expected a value, got null")
            }
            return true
        }
        func integer(_ key: String) throws -> Int? {
            guard try present(key) else { return nil }
            // Integers only: `1.0`, `1e0` and `"1"` are refused, as the canonical decoder refuses them.
            if let value = try? container.decode(Int.self, forKey: AnyKey(key)),
                let text = try? container.decode(CodableJSON.self, forKey: AnyKey(key)).text,
                !text.contains("."), !text.lowercased().contains("e")
            {
                return value
            }
            let got = (try? container.decode(CodableJSON.self, forKey: AnyKey(key)).text) ?? "a non-integer"
            throw AttributionError(.invalidType, field: key, reason: "expected an integer, got \(got)")
        }
        func string(_ key: String) throws -> String? {
            guard try present(key) else { return nil }
            guard let value = try? container.decode(String.self, forKey: AnyKey(key)) else {
                let got = (try? container.decode(CodableJSON.self, forKey: AnyKey(key)).text) ?? "a non-string"
                throw AttributionError(.invalidType, field: key, reason: "expected a string, got \(got)")
            }
            if value.isEmpty {
                let code: AttributionError.Code =
                    key.hasSuffix("_id") && key != "user_id" ? .invalidIdentifier : .invalidValue
                throw AttributionError(code, field: key, reason: "must not be empty")
            }
            return value
        }

        if let version = try integer("v"), !Self.supportedVersions.contains(version) {
            let versions = Self.supportedVersions.map(String.init).joined(separator: ", ")
            throw AttributionError(
                .unsupportedVersion,
                field: "v",
                reason: "unsupported version \(version); this reader reads versions \(versions)"
            )
        }
        let version = try present("v")
        let traceID = try string("trace_id").map { (text) throws(AttributionError) in try TraceID(text) }
        let leafID = try string("leaf_id").map { (text) throws(AttributionError) in try LeafID(text) }
        let rootID = try string("root_id").map { (text) throws(AttributionError) in
            try LeafID(utf8: Array(text.utf8), field: "root_id")
        }
        let parentID = try string("parent_id").map { (text) throws(AttributionError) in
            try LeafID(utf8: Array(text.utf8), field: "parent_id")
        }
        let attempt = try integer("attempt")
        if let attempt, !(1...Limits.maxAttempt).contains(attempt) {
            throw AttributionError(
                .invalidValue,
                field: "attempt",
                reason: "must be an integer from 1 to \(Limits.maxAttempt), got \(attempt)"
            )
        }
        let createdAt = try string("created_at").map { (text) throws(AttributionError) -> UTCTimestamp in
            let time = try UTCTimestamp(rfc3339: text)
            guard Self.createdAtRange.contains(time.millisecondsSinceEpoch) else {
                throw AttributionError(
                    .invalidValue,
                    field: "created_at",
                    reason: "must fall in the years 0000 to 9999 UTC, got \(AttributionError.quote(text))"
                )
            }
            return UTCTimestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch)
        }
        var values: [String?] = []
        for field in AttributionField.all {
            let value = try string(field.name)
            if let value { try Self.validateValue(value, field: field.name) }
            values.append(value)
        }
        var tags: [String: String] = [:]
        if try present("tags") {
            guard let decoded = try? container.decode([String: CodableJSON].self, forKey: AnyKey("tags")) else {
                throw AttributionError(.invalidType, field: "tags", reason: "expected an object of strings")
            }
            for (key, value) in decoded {
                guard case .string(let text) = value.value else {
                    throw AttributionError(
                        .invalidType,
                        field: "tags.\(key)",
                        reason: "expected a string, got \(value.text)"
                    )
                }
                try Self.validateTagKey(key)
                try Self.validateValue(text, field: "tags.\(key)")
                tags[key] = text
            }
            if tags.count > Limits.maxTags {
                throw AttributionError(
                    .tooLarge,
                    field: "tags",
                    reason: "at most \(Limits.maxTags) entries, got \(tags.count)"
                )
            }
        }
        var unknown: [UnknownField] = []
        for key in container.allKeys where !Self.knownKeys.contains(key.stringValue) {
            guard try present(key.stringValue) else { continue }
            let value = try container.decode(CodableJSON.self, forKey: key)
            if case .string(let text) = value.value, text.isEmpty {
                throw AttributionError(.invalidValue, field: key.stringValue, reason: "must not be empty")
            }
            guard value.depth < Limits.maxDepth else {
                throw AttributionError(
                    .malformedJSON,
                    field: key.stringValue,
                    reason: "nesting deeper than \(Limits.maxDepth) levels"
                )
            }
            unknown.append(UnknownField(key: key.stringValue, json: value.text))
        }

        if parentID != nil, rootID == nil {
            throw AttributionError(
                .invalidLineage,
                field: "parent_id",
                reason: "parent_id \(parentID?.description ?? "") is present without root_id"
            )
        }
        var missing: [String] = []
        if !version { missing.append("v") }
        if traceID == nil { missing.append("trace_id") }
        if leafID == nil { missing.append("leaf_id") }
        if rootID == nil { missing.append("root_id") }
        if attempt == nil { missing.append("attempt") }
        guard let traceID, let leafID, let rootID, let attempt, missing.isEmpty else {
            throw AttributionError(
                .missingFields,
                field: missing.first,
                reason: "required key\(missing.count == 1 ? "" : "s") missing: \(missing.joined(separator: ", "))"
            )
        }
        self.init(
            traceID: traceID,
            leafID: leafID,
            rootID: rootID,
            parentID: parentID,
            attempt: attempt,
            createdAt: createdAt,
            userID: values[0],
            feature: values[1],
            team: values[2],
            project: values[3],
            taskType: values[4],
            tool: values[5],
            promptVersion: values[6],
            pipeline: values[7],
            priority: values[8],
            agent: values[9],
            tags: tags,
            unknownFields: unknown
        )
        try validate()
        var probe: [UInt8] = []
        try writeCanonical(into: &probe)
    }
}

/// Any JSON value, as `Codable` can carry it: used for the envelope's unknown fields and for error messages.
struct CodableJSON: Codable {
    var value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    /// The value as compact JSON text.
    var text: String {
        var writer = JSONWriter(capacity: 64)
        writer.value(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// How deeply the value nests (a scalar is 0).
    var depth: Int { Self.depth(of: value) }

    private static func depth(of value: JSONValue) -> Int {
        switch value {
        case .array(let items): return 1 + (items.map(depth(of:)).max() ?? 0)
        case .object(let object): return 1 + (object.members.map { depth(of: $0.value) }.max() ?? 0)
        default: return 0
        }
    }

    init(from decoder: any Decoder) throws {
        value = try Self.read(decoder, depth: 0)
    }

    /// Reads a value, refusing nesting past the envelope's limit before it recurses further.
    private static func read(_ decoder: any Decoder, depth: Int) throws -> JSONValue {
        guard depth <= AttributionEnvelope.Limits.maxDepth else {
            throw AttributionError(
                .malformedJSON,
                reason: "nesting deeper than \(AttributionEnvelope.Limits.maxDepth) levels"
            )
        }
        if let keyed = try? decoder.container(keyedBy: AttributionEnvelope.AnyKey.self) {
            var members: [JSONObject.Member] = []
            for key in keyed.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                let child = try read(try keyed.superDecoder(forKey: key), depth: depth + 1)
                members.append(.init(key: key.stringValue, value: child, rawText: ""))
            }
            return .object(JSONObject(members: members))
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !unkeyed.isAtEnd {
                items.append(try read(try unkeyed.superDecoder(), depth: depth + 1))
            }
            return .array(items)
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { return .null }
        if let bool = try? single.decode(Bool.self) { return .bool(bool) }
        if let int = try? single.decode(Int64.self) { return .number(String(int)) }
        if let uint = try? single.decode(UInt64.self) { return .number(String(uint)) }
        if let decimal = try? single.decode(Decimal.self) { return .number(decimal.description) }
        if let double = try? single.decode(Double.self), double.isFinite { return .number(String(double)) }
        if let string = try? single.decode(String.self) { return .string(string) }
        throw DecodingError.dataCorruptedError(in: single, debugDescription: "not a JSON value")
    }

    func encode(to encoder: any Encoder) throws {
        try Self.write(value, to: encoder)
    }

    private static func write(_ value: JSONValue, to encoder: any Encoder) throws {
        switch value {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let bool):
            var single = encoder.singleValueContainer()
            try single.encode(bool)
        case .number(let text):
            var single = encoder.singleValueContainer()
            if let int = JSONValue.integer(fromLiteral: text) {
                try single.encode(int)
            } else if let decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) {
                try single.encode(decimal)
            } else {
                try single.encode(Double(text) ?? 0)
            }
        case .string(let string):
            var single = encoder.singleValueContainer()
            try single.encode(string)
        case .array(let items):
            var unkeyed = encoder.unkeyedContainer()
            for item in items { try write(item, to: unkeyed.superEncoder()) }
        case .object(let object):
            var keyed = encoder.container(keyedBy: AttributionEnvelope.AnyKey.self)
            for member in object.members {
                try write(member.value, to: keyed.superEncoder(forKey: AttributionEnvelope.AnyKey(member.key)))
            }
        }
    }
}
