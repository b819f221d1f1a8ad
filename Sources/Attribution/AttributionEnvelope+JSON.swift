import WireFormat

extension AttributionEnvelope {
    /// The wire names of the known keys, in canonical order (``EnvelopeKey``).
    package static let knownKeys: [String] = EnvelopeKey.allCases.map(\.name)

    /// The earliest and latest `created_at` the canonical form can write (years 0000 to 9999, UTC), in ms.
    package static let createdAtRange: ClosedRange<Int64> = {
        let first = CivilDate.days(year: 0, month: 1, day: 1) * 86_400_000
        let end = CivilDate.days(year: 10_000, month: 1, day: 1) * 86_400_000
        return first...(end - 1)
    }()

    // MARK: - Encoding

    /// The envelope's canonical JSON form, byte for byte as docs/formats.md fixes it.
    ///
    /// Compact UTF-8; the known keys in the format's order (`v`, `trace_id`, `leaf_id`, `root_id`, `parent_id`,
    /// `attempt`, `created_at`, the business fields, `tags`); `tags` sorted bytewise; only `"`, `\` and
    /// U+0000–U+001F escaped; then the ``unknownFields`` in their order, as their original JSON text.
    ///
    /// ```swift
    /// let bytes = try envelope.canonicalJSON()
    /// let again = try AttributionEnvelope(json: bytes)   // == envelope
    /// ```
    ///
    /// - Returns: the UTF-8 bytes, at most ``Limits/maxCanonicalBytes``.
    /// - Throws: the first validation error (``validate()``), an ``AttributionError/Code/invalidValue`` for an
    ///   unknown field that is not valid JSON or reuses a known key, or ``AttributionError/Code/tooLarge`` when
    ///   the form would exceed ``Limits/maxCanonicalBytes``.
    public func canonicalJSON() throws(AttributionError) -> [UInt8] {
        // Tag keys are `[a-z0-9_.-]` (checked below), so String order is bytewise order.
        let sortedTags = tags.count > 1 ? tags.sorted { $0.key < $1.key } : Array(tags)
        let names = EnvelopeKeyNames.shared
        let size = try checkRules(tags: sortedTags, measuring: names)
        try validateForCanonical()
        if size > Limits.maxCanonicalBytes { throw Self.canonicalTooLarge(size) }
        // Written once into an array of exactly its size.
        return [UInt8](capacity: size) { out in writeCanonical(to: &out, sortedTags: sortedTags, names: names) }
    }

    /// The canonical JSON form (``canonicalJSON()``) as a string.
    /// - Throws: as ``canonicalJSON()``.
    public func canonicalJSONString() throws(AttributionError) -> String {
        String(decoding: try canonicalJSON(), as: UTF8.self)
    }

    /// Validates, then appends the canonical form to `out`; on failure `out` is left as it was.
    package func writeCanonical(into out: inout [UInt8]) throws(AttributionError) {
        out.append(contentsOf: try canonicalJSON())
    }

    /// The checks the canonical form needs besides ``validate()``.
    private func validateForCanonical() throws(AttributionError) {
        if let createdAt, !Self.createdAtRange.contains(createdAt.millisecondsSinceEpoch) {
            throw AttributionError(
                .invalidValue,
                field: EnvelopeKey.createdAt.name,
                reason: "must fall in the years 0000 to 9999 UTC, got \(createdAt.nanosecondsSinceEpoch) ns since 1970"
            )
        }
        try validateUnknownFields()
    }

    /// The format's rules, stated once: ``validate()`` and ``canonicalJSON()`` both call this.
    ///
    /// One walk over the fields, checking in this order: the attempt, the lineage, each business field's value,
    /// the number of tags, then each tag's key and value in the order `tags` gives them.
    ///
    /// - Parameters:
    ///   - tags: the envelope's tags (``canonicalJSON()`` passes them sorted, as it writes them).
    ///   - names: the key table, to measure the canonical form on the way; `nil` to only check.
    /// - Returns: with `names`, the length of what ``writeCanonical(to:sortedTags:names:)`` writes for these
    ///   tags; without, 0.
    /// - Throws: the first rule broken, as an ``AttributionError`` naming the field.
    func checkRules(
        tags: some Collection<(key: String, value: String)>,
        measuring names: EnvelopeKeyNames?
    ) throws(AttributionError) -> Int {
        guard (1...Limits.maxAttempt).contains(attempt) else {
            throw AttributionError(
                .invalidValue,
                field: EnvelopeKey.attempt.name,
                reason: "must be an integer from 1 to \(Limits.maxAttempt), got \(attempt)"
            )
        }
        if parentID == nil, rootID != leafID {
            throw AttributionError(
                .invalidLineage,
                field: EnvelopeKey.rootID.name,
                reason: "a root unit (no parent_id) must have root_id equal to leaf_id \(leafID), got \(rootID)"
            )
        }
        let measuring = names != nil
        func key(_ key: EnvelopeKey) -> Int { names.map { (key == .v ? 3 : 4) + $0.range(of: key).count } ?? 0 }
        var size = 0
        if measuring {
            let id = 18  // a quoted unit id
            size = 2 + key(.v) + JSONText.integerLength(Self.version) + key(.traceID) + 34
            size += key(.leafID) + id + key(.rootID) + id + key(.attempt) + JSONText.integerLength(attempt)
            if parentID != nil { size += key(.parentID) + id }
            if createdAt != nil { size += key(.createdAt) + RFC3339.writtenLength + 2 }
        }
        for field in AttributionField.all {
            guard let value = self[field] else { continue }
            try Self.validateValue(value, field: field.name)
            if measuring { size += key(field.key) + JSONText.quotedLength(value) }
        }
        guard tags.count <= Limits.maxTags else {
            throw AttributionError(
                .tooLarge,
                field: EnvelopeKey.tags.name,
                reason: "at most \(Limits.maxTags) entries, got \(tags.count)"
            )
        }
        // `{`, `}`, a `:` per entry and a `,` between entries.
        if measuring, !tags.isEmpty { size += key(.tags) + 1 + 2 * tags.count }
        for (tagKey, value) in tags {
            try Self.validateTagKey(tagKey)
            try Self.validateValue(value, field: "\(EnvelopeKey.tags.name).\(tagKey)")
            if measuring { size += JSONText.quotedLength(tagKey) + JSONText.quotedLength(value) }
        }
        if measuring {
            for unknown in unknownFields {
                size += 2 + JSONText.quotedLength(unknown.key) + unknown.json.utf8.count
            }
        }
        return size
    }

    /// Writes the canonical form of a valid envelope (checked) to `out`, which has room for it
    /// (``checkRules(tags:measuring:)``); `sortedTags` are the tags in bytewise order of their keys.
    private func writeCanonical(
        to out: inout OutputSpan<UInt8>,
        sortedTags: [(key: String, value: String)],
        names: EnvelopeKeyNames
    ) {
        out.append(UInt8(ascii: "{"))
        Self.writeKey(names, .v, to: &out)
        JSONText.writeInteger(Self.version, to: &out)
        Self.writeKey(names, .traceID, to: &out)
        out.append(UInt8(ascii: "\""))
        Hex.write(traceID.high, to: &out)
        Hex.write(traceID.low, to: &out)
        out.append(UInt8(ascii: "\""))
        Self.writeID(names, .leafID, leafID, to: &out)
        Self.writeID(names, .rootID, rootID, to: &out)
        if let parentID { Self.writeID(names, .parentID, parentID, to: &out) }
        Self.writeKey(names, .attempt, to: &out)
        JSONText.writeInteger(attempt, to: &out)
        if let createdAt {
            Self.writeKey(names, .createdAt, to: &out)
            out.append(UInt8(ascii: "\""))
            RFC3339.write(milliseconds: createdAt.millisecondsSinceEpoch, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        for field in AttributionField.all {
            guard let value = self[field] else { continue }
            Self.writeKey(names, field.key, to: &out)
            JSONText.writeString(value, to: &out)
        }
        if !sortedTags.isEmpty {
            Self.writeKey(names, .tags, to: &out)
            out.append(UInt8(ascii: "{"))
            for (position, (tagKey, value)) in sortedTags.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.writeString(tagKey, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONText.writeString(value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        for unknown in unknownFields {
            out.append(UInt8(ascii: ","))
            JSONText.writeString(unknown.key, to: &out)
            out.append(UInt8(ascii: ":"))
            let json = unknown.json.utf8.span
            for i in json.indices { out.append(json[i]) }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Writes `"key":`, after a comma unless it is the first key (`v`, which the brace opening the object
    /// comes before).
    private static func writeKey(_ names: EnvelopeKeyNames, _ key: EnvelopeKey, to out: inout OutputSpan<UInt8>) {
        if key != .v { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        for i in names.range(of: key) { out.append(names.bytes[i]) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    /// Writes `,"key":"{16 hex digits}"`.
    private static func writeID(
        _ names: EnvelopeKeyNames,
        _ key: EnvelopeKey,
        _ id: LeafID,
        to out: inout OutputSpan<UInt8>
    ) {
        writeKey(names, key, to: &out)
        out.append(UInt8(ascii: "\""))
        Hex.write(id.rawValue, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    static func canonicalTooLarge(_ size: Int) -> AttributionError {
        AttributionError(
            .tooLarge,
            field: nil,
            reason: "the canonical form of \(size) bytes exceeds the limit of \(Limits.maxCanonicalBytes) bytes"
        )
    }

    /// Checks that each unknown field has a key no known field uses, appears once, and holds one JSON value
    /// (not `null`, not `""`) that nests within the format's depth limit.
    package func validateUnknownFields() throws(AttributionError) {
        guard !unknownFields.isEmpty else { return }
        var keys: Set<String> = []
        for field in unknownFields {
            if EnvelopeKey(name: field.key) != nil {
                throw AttributionError(
                    .invalidValue,
                    field: field.key,
                    reason: "an unknown field must not reuse a known key"
                )
            }
            if !keys.insert(field.key).inserted {
                throw AttributionError(.duplicateKey, field: field.key, reason: "the key appears more than once")
            }
            let utf8 = Array(field.json.utf8)
            guard let first = utf8.first, first != 0x20, first != 0x0A, first != 0x0D, first != 0x09 else {
                throw AttributionError(
                    .invalidValue,
                    field: field.key,
                    reason: "expected one compact JSON value, got \(AttributionError.quote(field.json))"
                )
            }
            var scanner = JSONScanner(utf8)
            let kind = try scanner.skipValue(depth: 1, maxDepth: Limits.maxDepth, field: field.key)
            guard scanner.isAtEnd else {
                throw AttributionError(
                    .invalidValue,
                    field: field.key,
                    reason: "expected one JSON value, got \(AttributionError.quote(field.json))"
                )
            }
            if kind == .null {
                throw AttributionError(.invalidType, field: field.key, reason: "must not be null")
            }
            if kind == .string, utf8.count == 2 {
                throw AttributionError(.invalidValue, field: field.key, reason: "must not be empty")
            }
        }
    }

    // MARK: - Decoding

    /// Decodes and validates an envelope from its JSON form (canonical or not).
    ///
    /// Every rule of docs/formats.md is enforced: input over ``Limits/maxInputBytes`` is refused before it is
    /// read; nesting deeper than ``Limits/maxDepth``, duplicate keys, `null`, `""`, a non-integer `v` or
    /// `attempt`, an unknown `v`, a missing required key, a bad id, an attempt outside 1…2³¹−1 and
    /// contradictory lineage are refused, each with an error naming the field and the value. Unknown keys
    /// are kept, with their original text, in ``unknownFields``. `created_at` is read with any offset and
    /// kept to the millisecond, as the canonical form writes it.
    ///
    /// ```swift
    /// let envelope = try AttributionEnvelope(json: Array(#"{"v":1,...}"#.utf8))
    /// ```
    ///
    /// - Parameter bytes: UTF-8 JSON text holding one object.
    /// - Throws: ``AttributionError`` naming the field at fault.
    public init(json bytes: some Collection<UInt8>) throws(AttributionError) {
        let count = bytes.count
        guard count <= Limits.maxInputBytes else { throw Self.inputTooLarge(count) }
        self = try EnvelopeJSONDecoder.decode(Array(bytes))
    }

    /// Decodes and validates an envelope from JSON text; see ``init(json:)-(Collection<UInt8>)``.
    /// - Throws: ``AttributionError`` naming the field at fault.
    public init(json text: String) throws(AttributionError) {
        let count = text.utf8.count
        guard count <= Limits.maxInputBytes else { throw Self.inputTooLarge(count) }
        self = try EnvelopeJSONDecoder.decode(Array(text.utf8))
    }

    /// Decodes and validates an envelope from JSON bytes; see ``init(json:)-(Collection<UInt8>)``.
    /// - Throws: ``AttributionError`` naming the field at fault.
    public init(json bytes: [UInt8]) throws(AttributionError) {
        guard bytes.count <= Limits.maxInputBytes else { throw Self.inputTooLarge(bytes.count) }
        self = try EnvelopeJSONDecoder.decode(bytes)
    }

    /// The general decoder alone (no fast path), for tests that compare the two.
    package static func generalDecode(json bytes: [UInt8]) throws(AttributionError) -> AttributionEnvelope {
        guard bytes.count <= Limits.maxInputBytes else { throw Self.inputTooLarge(bytes.count) }
        return try EnvelopeJSONDecoder.decodeGeneral(bytes, range: 0..<bytes.count)
    }

    /// The canonical fast path alone: the envelope, or nil where the general decoder must decide.
    package static func fastDecode(json bytes: [UInt8]) -> AttributionEnvelope? {
        guard bytes.count <= Limits.maxInputBytes else { return nil }
        return CanonicalEnvelopeReader.read(bytes, range: 0..<bytes.count)
    }

    /// Decodes an envelope from an object the project's ``JSONParser`` has already read (the CLI and the
    /// ledger reader use this), applying exactly the rules of ``init(json:)-(Collection<UInt8>)``: the
    /// object's members are laid out again from their original text and read by the one envelope decoder.
    package init(jsonObject object: JSONObject) throws(AttributionError) {
        try self.init(json: Self.jsonText(of: object))
    }

    /// An object's text for the envelope decoder: each member's original text where it has one, else the
    /// value written in canonical style.
    static func jsonText(of object: JSONObject) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.raw(UInt8(ascii: "{"))
        for (i, member) in object.members.enumerated() {
            if i > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.key(member.key)
            if member.rawText.isEmpty {
                writer.value(member.value)
            } else {
                writer.raw(member.rawText)
            }
        }
        writer.raw(UInt8(ascii: "}"))
        return writer.bytes
    }

    static func inputTooLarge(_ count: Int) -> AttributionError {
        AttributionError(
            .tooLarge,
            field: nil,
            reason: "input of \(count) bytes exceeds the limit of \(Limits.maxInputBytes) bytes"
        )
    }
}

/// The one decoder of the envelope's JSON form: a single pass over the bytes, through the reader core
/// (``JSONScanner``), that validates the JSON grammar and every rule of the format as it reads, allocating
/// only the strings and tags it keeps. Every error message of the format comes from here.
enum EnvelopeJSONDecoder {
    /// Decodes one envelope that must fill the whole of `bytes[range]` (surrounding whitespace allowed): the
    /// canonical fast path (``CanonicalEnvelopeReader``) when it accepts the input, the general decoder
    /// otherwise.
    static func decode(_ bytes: [UInt8], range: Range<Int>? = nil) throws(AttributionError) -> AttributionEnvelope {
        let range = range ?? 0..<bytes.count
        if let envelope = CanonicalEnvelopeReader.read(bytes, range: range) { return envelope }
        return try decodeGeneral(bytes, range: range)
    }

    /// The general decoder: reads any JSON form, checks every rule and gives every error.
    static func decodeGeneral(_ bytes: [UInt8], range: Range<Int>) throws(AttributionError) -> AttributionEnvelope {
        var state = State(scanner: JSONScanner(bytes, range: range))
        return try state.run()
    }

    private struct State {
        var scanner: JSONScanner
        var version: Int?
        var traceID: TraceID?
        var leafID: LeafID?
        var rootID: LeafID?
        var parentID: LeafID?
        var attempt: Int?
        var createdAt: UTCTimestamp?
        var userID: String?
        var feature: String?
        var team: String?
        var project: String?
        var taskType: String?
        var tool: String?
        var promptVersion: String?
        var pipeline: String?
        var priority: String?
        var agent: String?
        var tags: [String: String] = [:]
        var unknown: [AttributionEnvelope.UnknownField] = []
        var seen: UInt32 = 0
        /// The first rule broken, in input order; reported after the version check.
        var pending: AttributionError?
        var versionError: AttributionError?

        init(scanner: JSONScanner) { self.scanner = scanner }

        mutating func note(_ error: AttributionError) {
            if pending == nil { pending = error }
        }

        mutating func run() throws(AttributionError) -> AttributionEnvelope {
            scanner.skipWhitespace()
            guard let first = scanner.peek else {
                throw scanner.failure("expected a JSON object, got no input", field: nil)
            }
            guard first == UInt8(ascii: "{") else {
                let start = scanner.index
                let kind = try scanner.skipValue(depth: 0, maxDepth: AttributionEnvelope.Limits.maxDepth, field: nil)
                throw AttributionError(
                    .invalidType,
                    field: nil,
                    reason: "the envelope must be a JSON object, got \(kind.name) \(excerpt(start..<scanner.index))"
                )
            }
            scanner.index += 1
            if !scanner.consume(UInt8(ascii: "}")) {
                while true {
                    scanner.skipWhitespace()
                    guard scanner.peek == 0x22 else { throw scanner.failure("expected a string key", field: nil) }
                    let keyToken = try scanner.readString(field: nil)
                    let known: EnvelopeKey?
                    switch keyToken {
                    case .raw(let range): known = EnvelopeKey(utf8: scanner.bytes, range: range)
                    case .decoded(let decoded): known = EnvelopeKey(utf8: decoded, range: 0..<decoded.count)
                    }
                    if let known {
                        let name = known.name
                        try scanner.expect(UInt8(ascii: ":"), "':' after key \"\(name)\"", field: name)
                        scanner.skipWhitespace()
                        let bit: UInt32 = 1 << UInt32(known.rawValue)
                        if seen & bit != 0 {
                            note(AttributionError(.duplicateKey, field: name, reason: "the key appears more than once"))
                            try scanner.skipValue(depth: 1, maxDepth: AttributionEnvelope.Limits.maxDepth, field: name)
                        } else {
                            seen |= bit
                            try readKnown(known, name: name)
                        }
                    } else {
                        let key = scanner.string(keyToken)
                        try scanner.expect(
                            UInt8(ascii: ":"),
                            "':' after key \(AttributionError.quote(key))",
                            field: key
                        )
                        scanner.skipWhitespace()
                        try readUnknown(key)
                    }
                    if scanner.consume(UInt8(ascii: ",")) { continue }
                    if scanner.consume(UInt8(ascii: "}")) { break }
                    throw scanner.failure("expected ',' or '}' in an object", field: nil)
                }
            }
            scanner.skipWhitespace()
            guard scanner.isAtEnd else { throw scanner.failure("unexpected text after the JSON object", field: nil) }
            return try finish()
        }

        /// Reads the value of a known key; a rule it breaks is noted and reading goes on.
        mutating func readKnown(_ key: EnvelopeKey, name: String) throws(AttributionError) {
            switch key {
            case .v, .attempt:
                // A bad `v` wins over every other rule, wherever it stands: collect its error apart.
                let earlier = pending
                if key == .v { pending = nil }
                let read = try readInteger(name: name)
                if key == .v {
                    if let error = pending { versionError = error }
                    pending = earlier
                }
                guard let integer = read else { return }
                if key == .v {
                    if let value = integer.value, AttributionEnvelope.supportedVersions.contains(value) {
                        version = value
                    } else {
                        let versions = AttributionEnvelope.supportedVersions.map(String.init).joined(separator: ", ")
                        versionError = AttributionError(
                            .unsupportedVersion,
                            field: EnvelopeKey.v.name,
                            reason:
                                "unsupported version \(excerpt(integer.range)); this reader reads versions \(versions)"
                        )
                    }
                } else if let value = integer.value, value >= 1, value <= AttributionEnvelope.Limits.maxAttempt {
                    attempt = value
                } else {
                    note(
                        AttributionError(
                            .invalidValue,
                            field: name,
                            reason:
                                "must be an integer from 1 to \(AttributionEnvelope.Limits.maxAttempt), got \(excerpt(integer.range))"
                        )
                    )
                }
            case .tags:
                try readTags()
            default:
                guard let token = try readStringValue(key) else { return }
                let bytes = scanner.contentBytes(token)
                switch key {
                case .traceID:
                    do throws(AttributionError) {
                        traceID = try TraceID(utf8: bytes, field: name)
                    } catch {
                        note(error)
                    }
                case .leafID, .rootID, .parentID:
                    let id: LeafID
                    do throws(AttributionError) {
                        id = try LeafID(utf8: bytes, field: name)
                    } catch {
                        note(error)
                        return
                    }
                    if key == .leafID {
                        leafID = id
                    } else if key == .rootID {
                        rootID = id
                    } else {
                        parentID = id
                    }
                case .createdAt:
                    do throws(AttributionError) {
                        let ms = try UTCTimestamp(utf8: bytes, field: name).millisecondsSinceEpoch
                        if AttributionEnvelope.createdAtRange.contains(ms) {
                            createdAt = UTCTimestamp(millisecondsSinceEpoch: ms)
                        } else {
                            note(
                                AttributionError(
                                    .invalidValue,
                                    field: name,
                                    reason: "must fall in the years 0000 to 9999 UTC, got \(excerpt(token))"
                                )
                            )
                        }
                    } catch {
                        note(error)
                    }
                default:
                    guard let value = checkedValue(token, name: name) else { return }
                    switch key {
                    case .userID: userID = value
                    case .feature: feature = value
                    case .team: team = value
                    case .project: project = value
                    case .taskType: taskType = value
                    case .tool: tool = value
                    case .promptVersion: promptVersion = value
                    case .pipeline: pipeline = value
                    case .priority: priority = value
                    default: agent = value
                    }
                }
            }
        }

        /// Reads a value that must be a non-empty string; notes the rule it breaks otherwise.
        mutating func readStringValue(_ key: EnvelopeKey) throws(AttributionError) -> JSONScanner.StringToken? {
            let name = key.name
            guard scanner.peek == 0x22 else {
                typeError(expected: "a string", name: name, kind: try skipForError(name: name))
                return nil
            }
            let token = try scanner.readString(field: name)
            if scanner.count(token) == 0 {
                let isIdentifier = key == .traceID || key == .leafID || key == .rootID || key == .parentID
                let code: AttributionError.Code = isIdentifier ? .invalidIdentifier : .invalidValue
                note(AttributionError(code, field: name, reason: "must not be empty"))
                return nil
            }
            return token
        }

        /// A business or tag value: at most ``AttributionEnvelope/Limits/maxValueBytes`` bytes.
        mutating func checkedValue(_ token: JSONScanner.StringToken, name: @autoclosure () -> String) -> String? {
            let count = scanner.count(token)
            if count > AttributionEnvelope.Limits.maxValueBytes {
                note(
                    AttributionError(
                        .tooLarge,
                        field: name(),
                        reason:
                            "at most \(AttributionEnvelope.Limits.maxValueBytes) bytes, got \(count): \(excerpt(token))"
                    )
                )
                return nil
            }
            return scanner.string(token)
        }

        struct Integer {
            var range: Range<Int>
            var value: Int?
        }

        /// Reads a value that must be an integer literal; `value` is nil when it does not fit an `Int`.
        mutating func readInteger(name: String) throws(AttributionError) -> Integer? {
            guard let b = scanner.peek, b == UInt8(ascii: "-") || JSONTokenizer.isDigit(b) else {
                typeError(expected: "an integer", name: name, kind: try skipForError(name: name))
                return nil
            }
            let range = try scanner.readNumber(field: name)
            var negative = false
            var value = 0
            var overflow = false
            for i in range {
                let c = scanner.bytes[i]
                if c == UInt8(ascii: "-") {
                    negative = true
                    continue
                }
                guard JSONTokenizer.isDigit(c) else {
                    note(
                        AttributionError(
                            .invalidType,
                            field: name,
                            reason: "expected an integer, got \(excerpt(range))"
                        )
                    )
                    return nil
                }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int(c &- UInt8(ascii: "0")))
                if o1 || o2 { overflow = true }
                value = s
            }
            return Integer(range: range, value: overflow ? nil : (negative ? 0 &- value : value))
        }

        /// Skips a value of the wrong type, returning its kind and text for the error.
        mutating func skipForError(name: String) throws(AttributionError) -> (JSONScanner.Kind, Range<Int>) {
            let start = scanner.index
            let kind = try scanner.skipValue(depth: 1, maxDepth: AttributionEnvelope.Limits.maxDepth, field: name)
            return (kind, start..<scanner.index)
        }

        mutating func typeError(expected: String, name: String, kind: (JSONScanner.Kind, Range<Int>)) {
            let got = kind.0 == .null ? "null" : "\(kind.0.name) \(excerpt(kind.1))"
            note(AttributionError(.invalidType, field: name, reason: "expected \(expected), got \(got)"))
        }

        mutating func readTags() throws(AttributionError) {
            let name = EnvelopeKey.tags.name
            guard scanner.peek == UInt8(ascii: "{") else {
                typeError(expected: "an object of strings", name: name, kind: try skipForError(name: name))
                return
            }
            scanner.index += 1
            if scanner.consume(UInt8(ascii: "}")) { return }
            var entries = 0
            while true {
                scanner.skipWhitespace()
                guard scanner.peek == 0x22 else { throw scanner.failure("expected a string key", field: name) }
                let keyToken = try scanner.readString(field: name)
                let key = scanner.string(keyToken)
                try scanner.expect(UInt8(ascii: ":"), "':' after a key", field: name)
                scanner.skipWhitespace()
                entries += 1
                let keyOK = AttributionEnvelope.isTagKey(scanner.contentBytes(keyToken))
                if !keyOK {
                    note(
                        AttributionError(
                            .invalidValue,
                            field: name,
                            reason: "keys must match [a-z0-9_.-]{1,64}, got \(AttributionError.quote(key))"
                        )
                    )
                }
                if scanner.peek == 0x22 {
                    let token = try scanner.readString(field: name)
                    if scanner.count(token) == 0 {
                        note(AttributionError(.invalidValue, field: "\(name).\(key)", reason: "must not be empty"))
                    } else if let value = checkedValue(token, name: "\(name).\(key)") {
                        // One hash per entry: a duplicate overwrites, but the error noted fails the decode.
                        let duplicate: Bool
                        if keyOK, tags.count < AttributionEnvelope.Limits.maxTags {
                            if tags.isEmpty { tags.reserveCapacity(4) }
                            duplicate = tags.updateValue(value, forKey: key) != nil
                        } else {
                            duplicate = tags[key] != nil
                        }
                        if duplicate {
                            note(
                                AttributionError(
                                    .duplicateKey,
                                    field: "\(name).\(key)",
                                    reason: "the key appears more than once"
                                )
                            )
                        }
                    }
                } else {
                    let start = scanner.index
                    let kind = try scanner.skipValue(
                        depth: 2,
                        maxDepth: AttributionEnvelope.Limits.maxDepth,
                        field: name
                    )
                    typeError(expected: "a string", name: "\(name).\(key)", kind: (kind, start..<scanner.index))
                }
                if scanner.consume(UInt8(ascii: ",")) { continue }
                if scanner.consume(UInt8(ascii: "}")) { break }
                throw scanner.failure("expected ',' or '}' in an object", field: name)
            }
            if entries > AttributionEnvelope.Limits.maxTags {
                note(
                    AttributionError(
                        .tooLarge,
                        field: name,
                        reason: "at most \(AttributionEnvelope.Limits.maxTags) entries, got \(entries)"
                    )
                )
            }
        }

        mutating func readUnknown(_ key: String) throws(AttributionError) {
            let start = scanner.index
            let kind = try scanner.skipValue(depth: 1, maxDepth: AttributionEnvelope.Limits.maxDepth, field: key)
            let range = start..<scanner.index
            if kind == .null {
                note(AttributionError(.invalidType, field: key, reason: "expected a value, got null"))
                return
            }
            if kind == .string, range.count == 2 {
                note(AttributionError(.invalidValue, field: key, reason: "must not be empty"))
                return
            }
            if unknown.contains(where: { $0.key == key }) {
                note(AttributionError(.duplicateKey, field: key, reason: "the key appears more than once"))
                return
            }
            let json = String(decoding: scanner.bytes[range], as: UTF8.self)
            unknown.append(AttributionEnvelope.UnknownField(key: key, json: json))
        }

        mutating func finish() throws(AttributionError) -> AttributionEnvelope {
            if let versionError { throw versionError }
            if let pending { throw pending }
            if seen & (1 << UInt32(EnvelopeKey.parentID.rawValue)) != 0,
                seen & (1 << UInt32(EnvelopeKey.rootID.rawValue)) == 0
            {
                throw AttributionError(
                    .invalidLineage,
                    field: EnvelopeKey.parentID.name,
                    reason: "parent_id \(parentID.map(\.description) ?? "") is present without root_id"
                )
            }
            var missing: [String] = []
            if version == nil { missing.append(EnvelopeKey.v.name) }
            if traceID == nil { missing.append(EnvelopeKey.traceID.name) }
            if leafID == nil { missing.append(EnvelopeKey.leafID.name) }
            if rootID == nil { missing.append(EnvelopeKey.rootID.name) }
            if attempt == nil { missing.append(EnvelopeKey.attempt.name) }
            guard let traceID, let leafID, let rootID, let attempt, missing.isEmpty else {
                throw AttributionError(
                    .missingFields,
                    field: missing.first,
                    reason: "required key\(missing.count == 1 ? "" : "s") missing: \(missing.joined(separator: ", "))"
                )
            }
            if parentID == nil, rootID != leafID {
                throw AttributionError(
                    .invalidLineage,
                    field: EnvelopeKey.rootID.name,
                    reason: "a root unit (no parent_id) must have root_id equal to leaf_id \(leafID), got \(rootID)"
                )
            }
            let envelope = AttributionEnvelope(
                traceID: traceID,
                leafID: leafID,
                rootID: rootID,
                parentID: parentID,
                attempt: attempt,
                createdAt: createdAt,
                userID: userID,
                feature: feature,
                team: team,
                project: project,
                taskType: taskType,
                tool: tool,
                promptVersion: promptVersion,
                pipeline: pipeline,
                priority: priority,
                agent: agent,
                tags: tags,
                unknownFields: unknown
            )
            // The canonical form is never longer than the input plus the 4 bytes a `created_at` without
            // milliseconds gains, so only long input needs the check.
            let inputLength = scanner.tokenizer.end - scanner.tokenizer.start
            if inputLength > AttributionEnvelope.Limits.maxCanonicalBytes - 8 {
                _ = try envelope.canonicalJSON()
            }
            return envelope
        }

        /// The input text of `range`, shortened, for an error message.
        func excerpt(_ range: Range<Int>) -> String {
            let limit = 80
            let cut = range.count > limit
            let slice = scanner.bytes[range.lowerBound..<(range.lowerBound + min(range.count, limit))]
            var text = String(decoding: slice, as: UTF8.self)
            text = String(text.unicodeScalars.map { $0.value < 0x20 ? " " : Character($0) })
            return cut ? text + "…" : text
        }

        /// A string token's content, quoted and shortened, for an error message.
        func excerpt(_ token: JSONScanner.StringToken) -> String {
            AttributionError.quote(scanner.string(token))
        }
    }
}

/// The wire names of the envelope's keys (``EnvelopeKey/name``) as bytes, one after another in key order: the
/// canonical writer and the fast reader compare and copy them without making a `String` per key.
struct EnvelopeKeyNames: Sendable {
    static let shared = EnvelopeKeyNames()

    /// Every name's UTF-8 bytes.
    let bytes: [UInt8]
    /// Where each key's name starts in ``bytes``, by raw value, then the end of the last.
    let starts: [Int]

    private init() {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        for key in EnvelopeKey.allCases {
            starts.append(bytes.count)
            bytes.append(contentsOf: key.name.utf8)
        }
        starts.append(bytes.count)
        self.bytes = bytes
        self.starts = starts
    }

    /// The positions of `key`'s name in ``bytes``.
    func range(of key: EnvelopeKey) -> Range<Int> {
        starts[Int(key.rawValue)]..<starts[Int(key.rawValue) + 1]
    }
}
