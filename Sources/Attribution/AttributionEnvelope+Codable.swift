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
        func key(_ key: EnvelopeKey) -> AnyKey { AnyKey(key.name) }
        try container.encode(Self.version, forKey: key(.v))
        try container.encode(traceID.description, forKey: key(.traceID))
        try container.encode(leafID.description, forKey: key(.leafID))
        try container.encode(rootID.description, forKey: key(.rootID))
        if let parentID { try container.encode(parentID.description, forKey: key(.parentID)) }
        try container.encode(attempt, forKey: key(.attempt))
        if let createdAt {
            guard Self.createdAtRange.contains(createdAt.millisecondsSinceEpoch) else {
                throw AttributionError(
                    .invalidValue,
                    field: EnvelopeKey.createdAt.name,
                    reason: "must fall in the years 0000 to 9999 UTC"
                )
            }
            try container.encode(createdAt.description, forKey: key(.createdAt))
        }
        for field in AttributionField.all {
            if let value = self[field] { try container.encode(value, forKey: key(field.key)) }
        }
        if !tags.isEmpty { try container.encode(tags, forKey: key(.tags)) }
        for unknown in unknownFields {
            let value = try JSONParser.parse(
                Array(unknown.json.utf8),
                limits: .init(maxBytes: Limits.maxInputBytes, maxDepth: Limits.maxDepth),
                field: unknown.key
            )
            try container.encode(CodableJSON(value), forKey: AnyKey(unknown.key))
        }
    }

    /// Decodes and validates an envelope from its keyed form: the value is read as JSON (an internal `CodableJSON`),
    /// written out as JSON text, and read by the one envelope decoder, so every rule and error message is
    /// that of ``init(json:)-(Collection<UInt8>)``. `Codable` does not give the input's text or order: members
    /// are taken in key order and numbers as the decoder gives them.
    /// - Throws: an ``AttributionError`` naming the field, or the decoder's own error for malformed input.
    public init(from decoder: any Decoder) throws {
        let value = try CodableJSON(from: decoder).value
        var writer = JSONWriter(capacity: 512)
        writer.value(value)
        try self.init(json: writer.bytes)
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
