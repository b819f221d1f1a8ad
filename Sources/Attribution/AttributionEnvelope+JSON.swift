extension AttributionEnvelope {
    /// The wire names of the known keys, in canonical order.
    package static let knownKeys: [String] = [
        "v", "trace_id", "leaf_id", "root_id", "parent_id", "attempt", "created_at", "user_id", "feature", "team",
        "project", "task_type", "tool", "prompt_version", "pipeline", "priority", "agent", "tags",
    ]

    /// The earliest and latest `created_at` the canonical form can write (years 0000 to 9999, UTC), in ms.
    package static let createdAtRange: ClosedRange<Int64> =
        (UTCTimestamp.daysFromCivil(0, 1, 1) * 86_400_000)...(UTCTimestamp.daysFromCivil(10_000, 1, 1) * 86_400_000 - 1)

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
        if let bytes = fastCanonicalJSON() { return bytes }
        return try referenceCanonicalJSON()
    }

    /// The reference encoder of the canonical form: every check of ``validate()`` and of the unknown fields,
    /// then the write. ``canonicalJSON()`` runs it whenever ``fastCanonicalJSON()`` declines, so it is the one
    /// source of the encoder's errors.
    package func referenceCanonicalJSON() throws(AttributionError) -> [UInt8] {
        try validateForCanonical()
        let size = canonicalSize
        if size > Limits.maxCanonicalBytes { throw Self.canonicalTooLarge(size) }
        let order = TagOrder(tags)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var writer = CanonicalWriter(base, capacity: size)
            writeCanonical(to: &writer, tagOrder: order)
            assert(writer.count == size, "canonicalSize disagrees with the writer")
            initialized = writer.count
        }
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

    /// Every check the canonical form needs before it is written.
    private func validateForCanonical() throws(AttributionError) {
        try validate()
        if let createdAt, !Self.createdAtRange.contains(createdAt.millisecondsSinceEpoch) {
            throw AttributionError(
                .invalidValue,
                field: "created_at",
                reason: "must fall in the years 0000 to 9999 UTC, got \(createdAt.nanosecondsSinceEpoch) ns since 1970"
            )
        }
        try validateUnknownFields()
    }

    /// The exact length of the canonical form, in bytes (the envelope is valid: checked).
    private var canonicalSize: Int {
        // `{"v":` version `,"trace_id":"` 32 `","leaf_id":"` 16 `","root_id":"` 16 `","attempt":` attempt `}`.
        var total = 5 &+ 13 &+ 32 &+ 13 &+ 16 &+ 13 &+ 16 &+ 12 &+ 1
        total &+= CanonicalWriter.decimalLength(Self.version.magnitude)
        total &+= CanonicalWriter.decimalLength(attempt.magnitude)
        if parentID != nil { total &+= 15 &+ 16 }
        if createdAt != nil { total &+= 15 &+ 24 &+ 1 }  // ,"created_at":" … "
        @inline(__always) func add(_ keyLength: Int, _ value: String?) {
            if let value { total &+= keyLength &+ CanonicalWriter.quotedLength(value) }
        }
        add(11, userID)  // ,"user_id":
        add(11, feature)
        add(8, team)
        add(11, project)
        add(13, taskType)
        add(8, tool)
        add(18, promptVersion)
        add(12, pipeline)
        add(12, priority)
        add(9, agent)
        if !tags.isEmpty {
            // `,"tags":{` and `}`, a `:` per entry and the commas between entries.
            total &+= 10 &+ tags.count &+ (tags.count &- 1)
            for (key, value) in tags {
                total &+= CanonicalWriter.quotedLength(key) &+ CanonicalWriter.quotedLength(value)
            }
        }
        for field in unknownFields {
            total &+= 2 &+ CanonicalWriter.quotedLength(field.key) &+ field.json.utf8.count
        }
        return total
    }

    /// Writes the canonical form (``canonicalSize`` bytes) through `out`.
    private func writeCanonical(to out: inout CanonicalWriter, tagOrder: TagOrder) {
        out.put("{\"v\":")
        out.decimal(Self.version)
        out.put(",\"trace_id\":\"")
        out.hex(traceID.high)
        out.hex(traceID.low)
        out.put("\",\"leaf_id\":\"")
        out.hex(leafID.rawValue)
        out.put("\",\"root_id\":\"")
        out.hex(rootID.rawValue)
        if let parentID {
            out.put("\",\"parent_id\":\"")
            out.hex(parentID.rawValue)
        }
        out.put("\",\"attempt\":")
        out.decimal(attempt)
        if let createdAt {
            out.put(",\"created_at\":\"")
            out.timestamp(createdAt)
            out.byte(UInt8(ascii: "\""))
        }
        @inline(__always) func field(_ key: StaticString, _ value: String?, _ out: inout CanonicalWriter) {
            guard let value else { return }
            out.put(key)
            out.string(value)
        }
        field(",\"user_id\":", userID, &out)
        field(",\"feature\":", feature, &out)
        field(",\"team\":", team, &out)
        field(",\"project\":", project, &out)
        field(",\"task_type\":", taskType, &out)
        field(",\"tool\":", tool, &out)
        field(",\"prompt_version\":", promptVersion, &out)
        field(",\"pipeline\":", pipeline, &out)
        field(",\"priority\":", priority, &out)
        field(",\"agent\":", agent, &out)
        if tagOrder.count > 0 {
            out.put(",\"tags\":{")
            for position in 0..<tagOrder.count {
                if position > 0 { out.byte(UInt8(ascii: ",")) }
                let (key, value) = tags[tagOrder[position]]
                out.string(key)
                out.byte(UInt8(ascii: ":"))
                out.string(value)
            }
            out.byte(UInt8(ascii: "}"))
        }
        for unknown in unknownFields {
            out.byte(UInt8(ascii: ","))
            out.string(unknown.key)
            out.byte(UInt8(ascii: ":"))
            out.raw(unknown.json)
        }
        out.byte(UInt8(ascii: "}"))
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
            if Self.knownKeys.contains(field.key) {
                throw AttributionError(
                    .invalidValue,
                    field: field.key,
                    reason: "an unknown field must not reuse a known key"
                )
            }
            if !keys.insert(field.key).inserted {
                throw AttributionError(.duplicateKey, field: field.key, reason: "the key appears more than once")
            }
            var json = field.json
            let verdict = json.withUTF8 { (utf8) -> AttributionError? in
                let first = utf8.first
                guard let first, first != 0x20, first != 0x0A, first != 0x0D, first != 0x09 else {
                    return AttributionError(
                        .invalidValue,
                        field: field.key,
                        reason: "expected one compact JSON value, got \(AttributionError.quote(field.json))"
                    )
                }
                var scanner = JSONScanner(utf8)
                do throws(AttributionError) {
                    let kind = try scanner.skipValue(depth: 1, maxDepth: Limits.maxDepth, field: field.key)
                    guard scanner.isAtEnd else {
                        return AttributionError(
                            .invalidValue,
                            field: field.key,
                            reason: "expected one JSON value, got \(AttributionError.quote(field.json))"
                        )
                    }
                    if kind == .null {
                        return AttributionError(.invalidType, field: field.key, reason: "must not be null")
                    }
                    if kind == .string, utf8.count == 2 {
                        return AttributionError(.invalidValue, field: field.key, reason: "must not be empty")
                    }
                    return nil
                } catch {
                    return error
                }
            }
            if let verdict { throw verdict }
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
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in
                Result { () throws(AttributionError) -> AttributionEnvelope in try EnvelopeJSONDecoder.decode(buffer) }
            }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in
                Result { () throws(AttributionError) -> AttributionEnvelope in try EnvelopeJSONDecoder.decode(buffer) }
            }
        self = try result.get()
    }

    /// Decodes and validates an envelope from JSON text; see ``init(json:)-(Collection<UInt8>)``.
    /// - Throws: ``AttributionError`` naming the field at fault.
    public init(json text: String) throws(AttributionError) {
        var text = text
        let count = text.utf8.count
        guard count <= Limits.maxInputBytes else { throw Self.inputTooLarge(count) }
        let result = text.withUTF8 { buffer in
            Result { () throws(AttributionError) -> AttributionEnvelope in try EnvelopeJSONDecoder.decode(buffer) }
        }
        self = try result.get()
    }

    /// Decodes and validates an envelope from JSON bytes; see ``init(json:)-(Collection<UInt8>)``.
    /// - Throws: ``AttributionError`` naming the field at fault.
    public init(json bytes: [UInt8]) throws(AttributionError) {
        guard bytes.count <= Limits.maxInputBytes else { throw Self.inputTooLarge(bytes.count) }
        self = try bytes.withUnsafeBufferPointer { (buffer) throws(AttributionError) -> AttributionEnvelope in
            try EnvelopeJSONDecoder.decode(buffer)
        }
    }

    /// The reference decoder alone (no fast path), for tests that compare the two.
    package static func referenceDecode(json bytes: [UInt8]) throws(AttributionError) -> AttributionEnvelope {
        guard bytes.count <= Limits.maxInputBytes else { throw Self.inputTooLarge(bytes.count) }
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(AttributionError) -> AttributionEnvelope in
                try EnvelopeJSONDecoder.decodeReference(buffer)
            }
        }
        return try result.get()
    }

    /// The canonical fast path alone: the envelope, or nil where the reference decoder must decide.
    package static func fastDecode(json bytes: [UInt8]) -> AttributionEnvelope? {
        guard bytes.count <= Limits.maxInputBytes else { return nil }
        return bytes.withUnsafeBufferPointer { try? CanonicalEnvelopeReader.read($0) }
    }

    /// Decodes an envelope from an object the project's ``JSONParser`` has already read (the CLI and the
    /// ledger reader use this), applying exactly the rules of ``init(json:)-(Collection<UInt8>)``: the
    /// object's members are laid out again from their original text and read by the one envelope decoder.
    package init(jsonObject object: JSONObject) throws(AttributionError) {
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
        try self.init(json: writer.bytes)
    }

    static func inputTooLarge(_ count: Int) -> AttributionError {
        AttributionError(
            .tooLarge,
            field: nil,
            reason: "input of \(count) bytes exceeds the limit of \(Limits.maxInputBytes) bytes"
        )
    }
}

/// The one decoder of the envelope's JSON form: a single pass over the bytes that validates the JSON grammar
/// and every rule of the format as it reads, allocating only the strings and tags it keeps.
enum EnvelopeJSONDecoder {
    /// Index into ``AttributionEnvelope/knownKeys`` of a key's bytes. Plain loops over the buffer: no
    /// generic code, so the decoder stays fast in unoptimised builds (the fuzz test runs in them).
    @inline(__always)
    private static func knownKeyIndex(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = key.count
        guard count >= 1, count <= 14 else { return nil }
        // Pick the one candidate by length and a byte or two, then compare it whole.
        let b0 = key[0]
        let b1 = count > 1 ? key[1] : 0
        let candidate: Int
        switch count {
        case 1: candidate = 0
        case 4: candidate = b1 == UInt8(ascii: "e") ? 9 : b1 == UInt8(ascii: "o") ? 12 : 17
        case 5: candidate = 16
        case 7:
            switch b0 {
            case UInt8(ascii: "l"): candidate = 2
            case UInt8(ascii: "r"): candidate = 3
            case UInt8(ascii: "a"): candidate = 5
            case UInt8(ascii: "u"): candidate = 7
            case UInt8(ascii: "f"): candidate = 8
            default: candidate = 10
            }
        case 8: candidate = b0 == UInt8(ascii: "t") ? 1 : b1 == UInt8(ascii: "i") ? 14 : 15
        case 9: candidate = b0 == UInt8(ascii: "p") ? 4 : 11
        case 10: candidate = 6
        case 14: candidate = 13
        default: return nil
        }
        let expected = keyText(candidate)
        guard expected.utf8CodeUnitCount == count else { return nil }
        let pointer = expected.utf8Start
        var i = 0
        while i < count {
            if pointer[i] != key[i] { return nil }
            i &+= 1
        }
        return candidate
    }

    /// The known key at `index` of ``AttributionEnvelope/knownKeys``, as static text (no reference counting).
    @inline(__always)
    private static func keyText(_ index: Int) -> StaticString {
        switch index {
        case 0: return "v"
        case 1: return "trace_id"
        case 2: return "leaf_id"
        case 3: return "root_id"
        case 4: return "parent_id"
        case 5: return "attempt"
        case 6: return "created_at"
        case 7: return "user_id"
        case 8: return "feature"
        case 9: return "team"
        case 10: return "project"
        case 11: return "task_type"
        case 12: return "tool"
        case 13: return "prompt_version"
        case 14: return "pipeline"
        case 15: return "priority"
        case 16: return "agent"
        default: return "tags"
        }
    }

    /// Parses 16 lowercase hex digits at `offset` of `bytes`.
    @inline(__always)
    private static func hex64(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt64? {
        var value: UInt64 = 0
        var i = offset
        let end = offset &+ 16
        while i < end {
            let b = bytes[i]
            let digit: UInt8
            if b &- UInt8(ascii: "0") < 10 {
                digit = b &- UInt8(ascii: "0")
            } else if b &- UInt8(ascii: "a") < 6 {
                digit = b &- UInt8(ascii: "a") &+ 10
            } else {
                return nil
            }
            value = value << 4 | UInt64(digit)
            i &+= 1
        }
        return value
    }

    static func traceID(_ bytes: UnsafeBufferPointer<UInt8>) -> TraceID? {
        guard bytes.count == 32, let high = hex64(bytes, 0), let low = hex64(bytes, 16) else { return nil }
        return TraceID(high: high, low: low)
    }

    static func leafID(_ bytes: UnsafeBufferPointer<UInt8>) -> LeafID? {
        guard bytes.count == 16, let value = hex64(bytes, 0) else { return nil }
        return LeafID(rawValue: value)
    }

    private enum Key {
        static let v = 0
        static let traceID = 1
        static let leafID = 2
        static let rootID = 3
        static let parentID = 4
        static let attempt = 5
        static let createdAt = 6
        static let firstField = 7
        static let tags = 17
    }

    /// Decodes one envelope that must fill the whole of `buffer` (surrounding whitespace allowed): the
    /// canonical fast path (``CanonicalEnvelopeReader``) when it accepts the input, the reference decoder
    /// otherwise.
    static func decode(_ buffer: UnsafeBufferPointer<UInt8>) throws(AttributionError) -> AttributionEnvelope {
        do throws(CanonicalEnvelopeReader.NotCanonical) {
            return try CanonicalEnvelopeReader.read(buffer)
        } catch {
            return try decodeReference(buffer)
        }
    }

    /// The reference decoder: reads any JSON form, checks every rule and gives every error.
    static func decodeReference(_ buffer: UnsafeBufferPointer<UInt8>) throws(AttributionError) -> AttributionEnvelope {
        var state = State(scanner: JSONScanner(buffer))
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

        @inline(__always)
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
            scanner.index &+= 1
            if !scanner.consume(UInt8(ascii: "}")) {
                while true {
                    scanner.skipWhitespace()
                    guard scanner.peek == 0x22 else { throw scanner.failure("expected a string key", field: nil) }
                    let keyToken = try scanner.readString(field: nil)
                    var known: Int?
                    scanner.forBytes(of: keyToken) { known = EnvelopeJSONDecoder.knownKeyIndex($0) }
                    if let known {
                        let name = AttributionEnvelope.knownKeys[known]
                        try scanner.expect(UInt8(ascii: ":"), "':' after key \"\(name)\"", field: name)
                        scanner.skipWhitespace()
                        let bit: UInt32 = 1 << UInt32(known)
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
        mutating func readKnown(_ key: Int, name: String) throws(AttributionError) {
            switch key {
            case Key.v, Key.attempt:
                // A bad `v` wins over every other rule, wherever it stands: collect its error apart.
                let earlier = pending
                if key == Key.v { pending = nil }
                let read = try readInteger(name: name)
                if key == Key.v {
                    if let error = pending { versionError = error }
                    pending = earlier
                }
                guard let integer = read else { return }
                if key == Key.v {
                    if let value = integer.value, AttributionEnvelope.supportedVersions.contains(value) {
                        version = value
                    } else {
                        let versions = AttributionEnvelope.supportedVersions.map(String.init).joined(separator: ", ")
                        versionError = AttributionError(
                            .unsupportedVersion,
                            field: "v",
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
            case Key.tags:
                try readTags()
            default:
                guard let token = try readStringValue(name: name) else { return }
                switch key {
                case Key.traceID:
                    var id: TraceID?
                    scanner.forBytes(of: token) { id = EnvelopeJSONDecoder.traceID($0) }
                    if let id {
                        traceID = id
                    } else {
                        note(
                            idError(token) { (bytes) throws(AttributionError) in
                                _ = try TraceID(utf8: bytes, field: name)
                            }
                        )
                    }
                case Key.leafID, Key.rootID, Key.parentID:
                    var id: LeafID?
                    scanner.forBytes(of: token) { id = EnvelopeJSONDecoder.leafID($0) }
                    guard let id else {
                        note(
                            idError(token) { (bytes) throws(AttributionError) in
                                _ = try LeafID(utf8: bytes, field: name)
                            }
                        )
                        return
                    }
                    if key == Key.leafID {
                        leafID = id
                    } else if key == Key.rootID {
                        rootID = id
                    } else {
                        parentID = id
                    }
                case Key.createdAt:
                    let result = scanner.withBytes(of: token) { bytes in
                        Result { () throws(AttributionError) -> UTCTimestamp in
                            try UTCTimestamp(utf8: bytes, field: name)
                        }
                    }
                    switch result {
                    case .success(let time):
                        let ms = time.millisecondsSinceEpoch
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
                    case .failure(let error): note(error)
                    }
                default:
                    guard let value = checkedValue(token, name: name) else { return }
                    switch key &- Key.firstField {
                    case 0: userID = value
                    case 1: feature = value
                    case 2: team = value
                    case 3: project = value
                    case 4: taskType = value
                    case 5: tool = value
                    case 6: promptVersion = value
                    case 7: pipeline = value
                    case 8: priority = value
                    default: agent = value
                    }
                }
            }
        }

        /// The error the identifier types give for the bytes of `token` (the fast parse already failed).
        func idError(
            _ token: JSONScanner.StringToken,
            _ parse: ([UInt8]) throws(AttributionError) -> Void
        ) -> AttributionError {
            var bytes: [UInt8] = []
            scanner.forBytes(of: token) { bytes = Array($0) }
            do throws(AttributionError) {
                try parse(bytes)
            } catch {
                return error
            }
            return AttributionError(.invalidIdentifier, reason: "invalid identifier")
        }

        /// Reads a value that must be a non-empty string; notes the rule it breaks otherwise.
        mutating func readStringValue(name: String) throws(AttributionError) -> JSONScanner.StringToken? {
            guard scanner.peek == 0x22 else {
                typeError(expected: "a string", name: name, kind: try skipForError(name: name))
                return nil
            }
            let token = try scanner.readString(field: name)
            if scanner.count(token) == 0 {
                let code: AttributionError.Code =
                    name.hasSuffix("_id") && name != "user_id" ? .invalidIdentifier : .invalidValue
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
            guard let b = scanner.peek, b == UInt8(ascii: "-") || JSONScanner.isDigit(b) else {
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
                guard JSONScanner.isDigit(c) else {
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
            guard scanner.peek == UInt8(ascii: "{") else {
                typeError(expected: "an object of strings", name: "tags", kind: try skipForError(name: "tags"))
                return
            }
            scanner.index &+= 1
            if scanner.consume(UInt8(ascii: "}")) { return }
            var entries = 0
            while true {
                scanner.skipWhitespace()
                guard scanner.peek == 0x22 else { throw scanner.failure("expected a string key", field: "tags") }
                let keyToken = try scanner.readString(field: "tags")
                let key = scanner.string(keyToken)
                try scanner.expect(UInt8(ascii: ":"), "':' after a key", field: "tags")
                scanner.skipWhitespace()
                entries &+= 1
                var keyOK = false
                scanner.forBytes(of: keyToken) { bytes in
                    guard bytes.count >= 1, bytes.count <= AttributionEnvelope.Limits.maxTagKeyBytes else { return }
                    for b in bytes {
                        let allowed =
                            (b &- UInt8(ascii: "a") < 26) || JSONScanner.isDigit(b) || b == UInt8(ascii: "_")
                            || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
                        if !allowed { return }
                    }
                    keyOK = true
                }
                if !keyOK {
                    note(
                        AttributionError(
                            .invalidValue,
                            field: "tags",
                            reason: "keys must match [a-z0-9_.-]{1,64}, got \(AttributionError.quote(key))"
                        )
                    )
                }
                if scanner.peek == 0x22 {
                    let token = try scanner.readString(field: "tags")
                    if scanner.count(token) == 0 {
                        note(AttributionError(.invalidValue, field: "tags.\(key)", reason: "must not be empty"))
                    } else if let value = checkedValue(token, name: "tags.\(key)") {
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
                                    field: "tags.\(key)",
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
                        field: "tags"
                    )
                    typeError(expected: "a string", name: "tags.\(key)", kind: (kind, start..<scanner.index))
                }
                if scanner.consume(UInt8(ascii: ",")) { continue }
                if scanner.consume(UInt8(ascii: "}")) { break }
                throw scanner.failure("expected ',' or '}' in an object", field: "tags")
            }
            if entries > AttributionEnvelope.Limits.maxTags {
                note(
                    AttributionError(
                        .tooLarge,
                        field: "tags",
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
            let json = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[range]), as: UTF8.self)
            unknown.append(AttributionEnvelope.UnknownField(key: key, json: json))
        }

        mutating func finish() throws(AttributionError) -> AttributionEnvelope {
            if let versionError { throw versionError }
            if let pending { throw pending }
            if seen & (1 << UInt32(Key.parentID)) != 0, seen & (1 << UInt32(Key.rootID)) == 0 {
                throw AttributionError(
                    .invalidLineage,
                    field: "parent_id",
                    reason: "parent_id \(parentID.map(\.description) ?? "") is present without root_id"
                )
            }
            var missing: [String] = []
            if version == nil { missing.append("v") }
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
            if parentID == nil, rootID != leafID {
                throw AttributionError(
                    .invalidLineage,
                    field: "root_id",
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
            if scanner.bytes.count > AttributionEnvelope.Limits.maxCanonicalBytes &- 8 {
                var probe: [UInt8] = []
                probe.reserveCapacity(scanner.bytes.count &+ 8)
                try envelope.writeCanonical(into: &probe)
            }
            return envelope
        }

        /// The input text of `range`, shortened, for an error message.
        func excerpt(_ range: Range<Int>) -> String {
            let limit = 80
            let cut = range.count > limit
            let slice = UnsafeBufferPointer(
                rebasing: scanner.bytes[range.lowerBound..<(range.lowerBound &+ min(range.count, limit))]
            )
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

/// Writes the canonical form into memory sized beforehand by ``AttributionEnvelope/canonicalSize``: no
/// bounds growth, no intermediate buffers.
private struct CanonicalWriter {
    private let base: UnsafeMutablePointer<UInt8>
    /// The size reserved; writing past it is a bug in ``AttributionEnvelope/canonicalSize`` (debug builds check).
    private let capacity: Int
    private(set) var count = 0

    init(_ base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        assert(count < capacity)
        base[count] = b
        count &+= 1
    }

    @inline(__always)
    mutating func put(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        (base + count).update(from: text.utf8Start, count: length)
        count &+= length
    }

    mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            guard let source = utf8.baseAddress else { return }
            (base + count).update(from: source, count: utf8.count)
            count &+= utf8.count
        }
    }

    /// 16 lowercase hex digits.
    @inline(__always)
    mutating func hex(_ value: UInt64) {
        var shift: UInt64 = 60
        var i = count
        while true {
            let nibble = UInt8(truncatingIfNeeded: value >> shift) & 0xF
            base[i] = nibble < 10 ? nibble &+ UInt8(ascii: "0") : nibble &+ (UInt8(ascii: "a") &- 10)
            i &+= 1
            if shift == 0 { break }
            shift &-= 4
        }
        count = i
    }

    /// The number of decimal digits of `value`.
    static func decimalLength(_ value: UInt) -> Int {
        var value = value
        var length = 1
        while value >= 10 {
            value /= 10
            length &+= 1
        }
        return length
    }

    /// A non-negative integer in decimal (the envelope's integers are positive: checked).
    mutating func decimal(_ value: Int) {
        var magnitude = value.magnitude
        let length = Self.decimalLength(magnitude)
        var i = count &+ length &- 1
        while true {
            base[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
            if magnitude == 0 { break }
            i &-= 1
        }
        count &+= length
    }

    /// `width` decimal digits of `value` (0 ≤ value < 10^width).
    @inline(__always)
    mutating func digits(_ value: Int64, _ width: Int) {
        var v = value
        var i = count &+ width &- 1
        while i >= count {
            base[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            i &-= 1
        }
        count &+= width
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 bytes; the year is within 0000…9999: checked).
    mutating func timestamp(_ time: UTCTimestamp) {
        let ms = time.millisecondsSinceEpoch
        let (dayQ, dayR) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        let days = dayR < 0 ? dayQ &- 1 : dayQ
        let msOfDay = ms &- days &* 86_400_000
        let (year, month, day) = UTCTimestamp.civil(fromDays: days)
        digits(year, 4)
        byte(UInt8(ascii: "-"))
        digits(month, 2)
        byte(UInt8(ascii: "-"))
        digits(day, 2)
        byte(UInt8(ascii: "T"))
        digits(msOfDay / 3_600_000, 2)
        byte(UInt8(ascii: ":"))
        digits(msOfDay / 60_000 % 60, 2)
        byte(UInt8(ascii: ":"))
        digits(msOfDay / 1000 % 60, 2)
        byte(UInt8(ascii: "."))
        digits(msOfDay % 1000, 3)
        byte(UInt8(ascii: "Z"))
    }

    /// The length of a string in the canonical form, quotes and escapes included.
    static func quotedLength(_ value: String) -> Int {
        var value = value
        return value.withUTF8 { utf8 in
            var length = 2 &+ utf8.count
            for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
                switch b {
                case 0x22, 0x5C, 0x08, 0x0C, 0x0A, 0x0D, 0x09: length &+= 1
                default: length &+= 5
                }
            }
            return length
        }
    }

    /// A quoted string: only `"`, `\` and U+0000–U+001F escaped, as ``JSONWriter`` does.
    mutating func string(_ value: String) {
        var value = value
        byte(UInt8(ascii: "\""))
        value.withUTF8 { utf8 in
            count = JSONEscaping.write(utf8, to: base, at: count)
        }
        byte(UInt8(ascii: "\""))
    }
}

/// The indices of an envelope's tags in bytewise key order: held inline (no heap allocation) for up to four
/// tags, the usual case, and in a sorted array beyond.
private struct TagOrder {
    typealias Index = [String: String].Index
    private var first: Index?
    private var second: Index?
    private var third: Index?
    private var fourth: Index?
    private var more: [Index] = []
    let count: Int

    /// Sorts the keys of `tags`: they are `[a-z0-9_.-]` (``AttributionEnvelope/validate()`` checked), so
    /// String order is bytewise order.
    init(_ tags: [String: String]) {
        count = tags.count
        guard count <= 4 else {
            more = tags.indices.sorted { tags[$0].key < tags[$1].key }
            return
        }
        var index = tags.startIndex
        var filled = 0
        while index != tags.endIndex {
            // Insertion sort over the inline slots.
            var slot = filled
            let key = tags[index].key
            while slot > 0, let previous = self[optional: slot &- 1], key < tags[previous].key {
                self[optional: slot] = previous
                slot &-= 1
            }
            self[optional: slot] = index
            filled &+= 1
            tags.formIndex(after: &index)
        }
    }

    private subscript(optional position: Int) -> Index? {
        get {
            switch position {
            case 0: return first
            case 1: return second
            case 2: return third
            default: return fourth
            }
        }
        set {
            switch position {
            case 0: first = newValue
            case 1: second = newValue
            case 2: third = newValue
            default: fourth = newValue
            }
        }
    }

    /// The index of the tag at `position` (0 ..< count) in key order.
    subscript(position: Int) -> Index {
        if count > 4 { return more[position] }
        // Every inline slot below `count` was filled by init.
        return self[optional: position] ?? more[position]
    }
}
