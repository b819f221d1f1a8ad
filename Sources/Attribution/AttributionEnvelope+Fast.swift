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
/// Plain safe Swift: every byte is read through the input array's bounds-checked subscript; the envelope is
/// built with its initializer.
enum CanonicalEnvelopeReader {
    /// The envelope held by `bytes[range]` when it is in the canonical form with no unknown keys; nil otherwise.
    static func read(_ bytes: [UInt8], range: Range<Int>) -> AttributionEnvelope? {
        // Longer input needs the general decoder's check of the canonical size.
        guard range.count <= AttributionEnvelope.Limits.maxCanonicalBytes - 8 else { return nil }
        var c = CanonicalCursor(bytes: bytes, index: range.lowerBound, end: range.upperBound)

        guard c.key() == .v, c.skip(UInt8(ascii: "1")), c.key() == .traceID, let trace = c.quotedHex(32),
            let traceID = TraceID(high: trace.high, low: trace.low), c.key() == .leafID, let leafID = c.leaf(),
            c.key() == .rootID, let rootID = c.leaf()
        else { return nil }
        var next = c.key()
        var parentID: LeafID?
        if next == .parentID {
            guard let id = c.leaf() else { return nil }
            parentID = id
            next = c.key()
        } else if rootID != leafID {
            return nil
        }
        guard next == .attempt, let attempt = c.attempt() else { return nil }
        var envelope = AttributionEnvelope(
            traceID: traceID,
            leafID: leafID,
            rootID: rootID,
            parentID: parentID,
            attempt: attempt
        )
        // The optional keys, each at most once and in the canonical order.
        var previous = EnvelopeKey.attempt
        while let key = c.key() {
            guard key.rawValue > previous.rawValue else { return nil }
            previous = key
            switch key {
            case .createdAt:
                guard let ms = c.timestamp() else { return nil }
                envelope.createdAt = UTCTimestamp(millisecondsSinceEpoch: ms)
            case .tags:
                guard let tags = c.tags() else { return nil }
                envelope.tags = tags
            default:
                guard let field = AttributionField(key: key), let value = c.value() else { return nil }
                envelope[field] = value
            }
        }
        guard c.skip(UInt8(ascii: "}")), c.index == c.end else { return nil }
        return envelope
    }
}

/// A position in input being read as canonical envelope JSON; every read checks its bounds.
struct CanonicalCursor {
    let bytes: [UInt8]
    let start: Int
    var index: Int
    let end: Int

    init(bytes: [UInt8], index: Int, end: Int) {
        self.bytes = bytes
        self.start = index
        self.index = index
        self.end = end
    }

    /// Consumes `byte` when it is next.
    mutating func skip(_ byte: UInt8) -> Bool {
        guard index < end, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The known key of the member starting here (`{"name":` for the first, `,"name":` for the others),
    /// consumed; nil, consuming nothing, when no known key's member starts here.
    mutating func key() -> EnvelopeKey? {
        guard end - index >= 4, bytes[index] == UInt8(ascii: index == start ? "{" : ","),
            bytes[index + 1] == UInt8(ascii: "\"")
        else { return nil }
        let nameStart = index + 2
        var i = nameStart
        while i < end, bytes[i] != UInt8(ascii: "\"") { i += 1 }
        guard end - i >= 2, bytes[i + 1] == UInt8(ascii: ":"),
            let key = EnvelopeKey(utf8: bytes, range: nameStart..<i)
        else { return nil }
        index = i + 2
        return key
    }

    /// A quoted string of `count` lowercase hex digits, as its high and low 64 bits (high 0 for 16 digits).
    mutating func quotedHex(_ count: Int) -> (high: UInt64, low: UInt64)? {
        guard end - index >= count + 2, bytes[index] == UInt8(ascii: "\""),
            bytes[index + count + 1] == UInt8(ascii: "\"")
        else { return nil }
        let high = count == 32 ? Hex.parseUInt64(bytes, at: index + 1) : 0
        guard let high, let low = Hex.parseUInt64(bytes, at: index + count - 15) else { return nil }
        index += count + 2
        return (high, low)
    }

    /// A quoted unit id.
    mutating func leaf() -> LeafID? {
        quotedHex(16).flatMap { LeafID(rawValue: $0.low) }
    }

    /// An attempt in minimal decimal form, 1 … 2³¹−1 (what follows is checked by the next read).
    mutating func attempt() -> Int? {
        guard index < end, bytes[index] >= UInt8(ascii: "1"), bytes[index] <= UInt8(ascii: "9") else { return nil }
        var value = 0
        var digits = 0
        while index < end, JSONTokenizer.isDigit(bytes[index]), digits < 11 {
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        guard digits <= 10, value <= AttributionEnvelope.Limits.maxAttempt else { return nil }
        return value
    }

    /// A quoted `YYYY-MM-DDTHH:MM:SS.mmmZ` as milliseconds since the epoch: exactly the written form, so the
    /// value reads back as it is (a leap second, which the general decoder moves, is left to it).
    mutating func timestamp() -> Int64? {
        let length = RFC3339.writtenLength
        guard end - index >= length + 2, bytes[index] == UInt8(ascii: "\""),
            bytes[index + length + 1] == UInt8(ascii: "\"")
        else { return nil }
        let text = bytes[(index + 1)..<(index + 1 + length)]
        let s = text.startIndex
        guard text[s + 10] == UInt8(ascii: "T"), text[s + 19] == UInt8(ascii: "."),
            text[s + 23] == UInt8(ascii: "Z"), text[s + 17] <= UInt8(ascii: "5"),
            let nanoseconds = RFC3339.nanoseconds(text)
        else { return nil }
        index += length + 2
        return nanoseconds / 1_000_000
    }

    /// A quoted value: 1 … 256 bytes of valid UTF-8 without escapes or control characters.
    mutating func value() -> String? {
        guard index < end, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var i = start
        var ascii = true
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 || b == UInt8(ascii: "\\") { return nil }
            if b >= 0x80 { ascii = false }
            i += 1
        }
        let count = i - start
        guard i < end, count >= 1, count <= AttributionEnvelope.Limits.maxValueBytes else { return nil }
        let text = bytes[start..<i]
        let string = ascii ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
        guard let string else { return nil }
        index = i + 1
        return string
    }

    /// The `tags` object: 1 … 32 entries, keys `[a-z0-9_.-]{1,64}` each once, values as ``value()`` reads them.
    mutating func tags() -> [String: String]? {
        guard skip(UInt8(ascii: "{")) else { return nil }
        var tags: [String: String] = [:]
        repeat {
            guard let key = value(), AttributionEnvelope.isTagKey(key.utf8), skip(UInt8(ascii: ":")),
                let value = value(), tags.updateValue(value, forKey: key) == nil,
                tags.count <= AttributionEnvelope.Limits.maxTags
            else { return nil }
        } while skip(UInt8(ascii: ","))
        guard skip(UInt8(ascii: "}")) else { return nil }
        return tags
    }
}
