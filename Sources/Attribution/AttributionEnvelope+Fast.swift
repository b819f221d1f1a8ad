import WireFormat

/// The fast path of the envelope's JSON decoder, for the canonical form this package writes (docs/formats.md):
/// the known keys in the format's order, no whitespace, no escapes, no unknown keys.
///
/// It matches the keys in order, reads the ids, `attempt` and `created_at` in place and makes each kept string
/// from its bytes, and gives up (nil) at the first byte it does not expect or the first rule the value breaks.
/// The general decoder (``EnvelopeJSONDecoder``) then reads the whole input: it stays the one source of every
/// error message, and this path accepts only input the general decoder reads to the same value.
/// `CanonicalFastPathTests` compares the two on the conformance vectors and on random and mutated input.
///
/// Plain safe Swift: the input is read through a `Span`, whose subscript checks its bounds (and which, unlike
/// the array, is not retained and released around each read); the envelope is built with its initializer.
enum CanonicalEnvelopeReader {
    /// The envelope held by `bytes[range]` when it is in the canonical form with no unknown keys; nil otherwise.
    static func read(_ bytes: [UInt8], range: Range<Int>) -> AttributionEnvelope? {
        // Longer input needs the general decoder's check of the canonical size.
        guard range.count <= AttributionEnvelope.Limits.maxCanonicalBytes - 8, range.lowerBound >= 0,
            range.upperBound <= bytes.count
        else { return nil }
        let b = bytes.span.extracting(range)
        var c = CanonicalCursor()
        let names = EnvelopeKeyNames.shared

        guard c.member(.v, b, names), c.skip(UInt8(ascii: "1"), b), c.member(.traceID, b, names),
            let trace = c.quotedHex(32, b),
            let traceID = TraceID(high: trace.high, low: trace.low), c.member(.leafID, b, names),
            let leafID = c.leaf(b),
            c.member(.rootID, b, names), let rootID = c.leaf(b)
        else { return nil }
        var parentID: LeafID?
        if c.member(.parentID, b, names) {
            guard let id = c.leaf(b) else { return nil }
            parentID = id
        } else if rootID != leafID {
            return nil
        }
        guard c.member(.attempt, b, names), let attempt = c.attempt(b) else { return nil }
        // The optional keys, each at most once and in the canonical order: a key out of order, repeated or
        // unknown matches none of those left, and the closing brace is then not where it must be.
        var createdAt: UTCTimestamp?
        if c.member(.createdAt, b, names) {
            guard let ms = c.timestamp(b) else { return nil }
            createdAt = UTCTimestamp(millisecondsSinceEpoch: ms)
        }
        // Each value in a variable of its own, so that the envelope is built once at the end (setting its
        // fields one by one made the optimizer copy it).
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
        for key in EnvelopeKey.businessFields where c.member(key, b, names) {
            guard let value = c.value(b) else { return nil }
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
        var tags: [String: String] = [:]
        if c.member(.tags, b, names) {
            guard let read = c.tags(b) else { return nil }
            tags = read
        }
        guard c.skip(UInt8(ascii: "}"), b), c.index == b.count else { return nil }
        return AttributionEnvelope(
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
            tags: tags
        )
    }
}

/// A position in input being read as canonical envelope JSON (the span each read is given); every read checks
/// its bounds.
struct CanonicalCursor {
    var index = 0

    /// Consumes `byte` when it is next.
    mutating func skip(_ byte: UInt8, _ b: Span<UInt8>) -> Bool {
        guard index < b.count, b[index] == byte else { return false }
        index += 1
        return true
    }

    /// Consumes the start of `key`'s member (`{"v":` for the first, `,"name":` for the others) when it is next;
    /// consumes nothing otherwise.
    mutating func member(_ key: EnvelopeKey, _ b: Span<UInt8>, _ names: EnvelopeKeyNames) -> Bool {
        let name = names.range(of: key)
        // The closing quote first: most keys tried here and not found differ from the one present in length.
        let quote = index + 2 + name.count
        guard quote + 1 < b.count, b[quote] == UInt8(ascii: "\""), b[quote + 1] == UInt8(ascii: ":"),
            b[index] == UInt8(ascii: key == .v ? "{" : ","), b[index + 1] == UInt8(ascii: "\"")
        else { return false }
        var i = index + 2
        for j in name {
            guard b[i] == names.bytes[j] else { return false }
            i += 1
        }
        index = quote + 2
        return true
    }

    /// A quoted string of `count` lowercase hex digits, as its high and low 64 bits (high 0 for 16 digits).
    mutating func quotedHex(_ count: Int, _ b: Span<UInt8>) -> (high: UInt64, low: UInt64)? {
        guard b.count - index >= count + 2, b[index] == UInt8(ascii: "\""), b[index + count + 1] == UInt8(ascii: "\"")
        else { return nil }
        let high = count == 32 ? Hex.parseUInt64(b, at: index + 1) : 0
        guard let high, let low = Hex.parseUInt64(b, at: index + count - 15) else { return nil }
        index += count + 2
        return (high, low)
    }

    /// A quoted unit id.
    mutating func leaf(_ b: Span<UInt8>) -> LeafID? {
        quotedHex(16, b).flatMap { LeafID(rawValue: $0.low) }
    }

    /// An attempt in minimal decimal form, 1 … 2³¹−1 (what follows is checked by the next read).
    mutating func attempt(_ b: Span<UInt8>) -> Int? {
        guard index < b.count, b[index] >= UInt8(ascii: "1"), b[index] <= UInt8(ascii: "9") else { return nil }
        var value = 0
        var digits = 0
        while index < b.count, JSONTokenizer.isDigit(b[index]), digits < 11 {
            value = value * 10 + Int(b[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        guard digits <= 10, value <= AttributionEnvelope.Limits.maxAttempt else { return nil }
        return value
    }

    /// A quoted `YYYY-MM-DDTHH:MM:SS.mmmZ` as milliseconds since the epoch: exactly the written form, so the
    /// value reads back as it is (a leap second, which the general decoder moves, is left to it).
    mutating func timestamp(_ b: Span<UInt8>) -> Int64? {
        let length = RFC3339.writtenLength
        guard b.count - index >= length + 2, b[index] == UInt8(ascii: "\""),
            b[index + length + 1] == UInt8(ascii: "\"")
        else { return nil }
        let s = index + 1
        guard b[s + 10] == UInt8(ascii: "T"), b[s + 19] == UInt8(ascii: "."), b[s + 23] == UInt8(ascii: "Z"),
            b[s + 17] <= UInt8(ascii: "5"), let nanoseconds = RFC3339.nanoseconds(b.extracting(s..<(s + length)))
        else { return nil }
        index += length + 2
        return nanoseconds / 1_000_000
    }

    /// A quoted value: 1 … 256 bytes of valid UTF-8 without escapes or control characters.
    mutating func value(_ b: Span<UInt8>) -> String? {
        guard index < b.count, b[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var i = start
        while i < b.count {
            let byte = b[i]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 || byte == UInt8(ascii: "\\") { return nil }
            i += 1
        }
        let count = i - start
        guard i < b.count, count >= 1, count <= AttributionEnvelope.Limits.maxValueBytes,
            let text = try? UTF8Span(validating: b.extracting(start..<i))
        else { return nil }
        index = i + 1
        return String(copying: text)
    }

    /// The `tags` object: 1 … 32 entries, keys `[a-z0-9_.-]{1,64}` each once, values as ``value(_:)`` reads them.
    mutating func tags(_ b: Span<UInt8>) -> [String: String]? {
        guard skip(UInt8(ascii: "{"), b) else { return nil }
        var tags = [String: String](minimumCapacity: 4)
        repeat {
            guard let key = value(b), AttributionEnvelope.isTagKey(key.utf8), skip(UInt8(ascii: ":"), b),
                let value = value(b), tags.updateValue(value, forKey: key) == nil,
                tags.count <= AttributionEnvelope.Limits.maxTags
            else { return nil }
        } while skip(UInt8(ascii: ","), b)
        guard skip(UInt8(ascii: "}"), b) else { return nil }
        return tags
    }
}
