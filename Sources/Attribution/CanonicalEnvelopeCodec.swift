/// The fast paths of the envelope's JSON codec, for the canonical form this project writes (docs/formats.md).
///
/// Decoding: ``CanonicalEnvelopeReader`` reads input laid out exactly as ``AttributionEnvelope/canonicalJSON()``
/// writes it (known keys in the format's order, no whitespace, strings without escapes) by matching the keys as
/// byte literals in order, reading ids straight into their integers and building each kept string from its
/// byte range. It throws at the first byte it does not expect (another order, whitespace, an escape, an unknown
/// key, any broken rule), and the caller then runs the reference decoder (``EnvelopeJSONDecoder``) over the
/// whole input: that decoder stays the one source of every error message, and the fast path only ever accepts
/// input the reference decodes to the same value (a test compares the two on the conformance vectors and on
/// random and mutated input).
///
/// Encoding: ``AttributionEnvelope/fastCanonicalJSON()`` checks each rule the canonical form needs as it writes
/// the value into stack memory (nil when any of them needs the reference path's error, which
/// ``AttributionEnvelope/canonicalJSON()`` then gives), and makes the one output array at the size written.
///
/// Both paths are plain Swift over the public API: strings are made with `String(decoding:as:)` from the input's
/// bytes and read through their `utf8` view (``ShortASCII``); the envelope is built with its initializer.
enum CanonicalEnvelopeReader {
    /// Thrown where the input is not canonical: the caller runs the reference decoder.
    struct NotCanonical: Error {}

    /// The envelope held by `buffer` when it is in the canonical form with no unknown keys.
    ///
    /// Every part is read into a local, and the envelope is built from them once the whole input has been
    /// accepted.
    /// - Throws: ``NotCanonical`` at the first byte the fast path does not take.
    @inline(__always)
    static func read(_ buffer: UnsafeBufferPointer<UInt8>) throws(NotCanonical) -> AttributionEnvelope {
        guard let base = buffer.baseAddress else { throw NotCanonical() }
        // Longer input needs the reference path's check of the canonical size.
        guard buffer.count <= AttributionEnvelope.Limits.maxCanonicalBytes &- 8 else { throw NotCanonical() }
        var c = CanonicalCursor(base: base, end: buffer.count)

        guard c.skip("{\"v\":1,\"trace_id\":\""), let high = c.hex64(), let low = c.hex64(),
            let traceID = TraceID(high: high, low: low),
            c.skip("\",\"leaf_id\":\""), let leaf = c.hex64(), let leafID = LeafID(rawValue: leaf),
            c.skip("\",\"root_id\":\""), let root = c.hex64(), let rootID = LeafID(rawValue: root)
        else { throw NotCanonical() }
        var parentID: LeafID?
        if c.skip("\",\"parent_id\":\"") {
            guard let parent = c.hex64(), let id = LeafID(rawValue: parent) else { throw NotCanonical() }
            parentID = id
        } else if rootID != leafID {
            throw NotCanonical()
        }
        guard c.skip("\",\"attempt\":"), let attempt = c.attempt() else { throw NotCanonical() }
        var createdAt: UTCTimestamp?
        if c.skip(",\"created_at\":\"") {
            guard let ms = c.timestamp(), c.skip("\"") else { throw NotCanonical() }
            createdAt = UTCTimestamp(millisecondsSinceEpoch: ms)
        }
        let userID = c.value(after: ",\"user_id\":\"")
        let feature = c.value(after: ",\"feature\":\"")
        let team = c.value(after: ",\"team\":\"")
        let project = c.value(after: ",\"project\":\"")
        let taskType = c.value(after: ",\"task_type\":\"")
        let tool = c.value(after: ",\"tool\":\"")
        let promptVersion = c.value(after: ",\"prompt_version\":\"")
        let pipeline = c.value(after: ",\"pipeline\":\"")
        let priority = c.value(after: ",\"priority\":\"")
        let agent = c.value(after: ",\"agent\":\"")
        var tags: [String: String] = [:]
        if c.skip(",\"tags\":{") {
            guard let read = c.tags() else { throw NotCanonical() }
            tags = read
        }
        guard c.ok, c.skip("}"), c.position == c.end else { throw NotCanonical() }

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

/// ``UTCTimestamp/daysFromCivil(_:_:_:)`` and ``UTCTimestamp/civil(fromDays:)`` (the same algorithm) for the
/// years 0000 to 9999 alone, in unsigned 32-bit arithmetic that cannot overflow there (the general ones check
/// 64-bit arithmetic and handle negative eras). A test compares them over the whole range.
package enum SmallCalendar {
    /// Days from 1970-01-01 to the date; `year` 0…9999, `month` 1…12, `day` 1…31.
    @inline(__always)
    package static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        // Counted from March of year −400, one era early, so that January and February of year 0 stay positive.
        let m = UInt32(truncatingIfNeeded: month)
        let y = UInt32(truncatingIfNeeded: year) &+ 400 &- (m <= 2 ? 1 : 0)
        let era = y / 400
        let yearOfEra = y &- era &* 400
        let dayOfYear = (153 &* (m > 2 ? m &- 3 : m &+ 9) &+ 2) / 5 &+ UInt32(truncatingIfNeeded: day) &- 1
        let dayOfEra = yearOfEra &* 365 &+ yearOfEra / 4 &- yearOfEra / 100 &+ dayOfYear
        return Int64(era &* 146_097 &+ dayOfEra) &- 719_468 &- 146_097
    }

    /// The date of a day count from 1970-01-01 that falls in the years 0000 to 9999 (counted, likewise, from
    /// one era early).
    @inline(__always)
    package static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = UInt32(truncatingIfNeeded: days &+ 719_468 &+ 146_097)
        let era = z / 146_097
        let dayOfEra = z &- era &* 146_097
        let yearOfEra = (dayOfEra &- dayOfEra / 1460 &+ dayOfEra / 36_524 &- dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra &- (365 &* yearOfEra &+ yearOfEra / 4 &- yearOfEra / 100)
        let mp = (5 &* dayOfYear &+ 2) / 153
        let day = dayOfYear &- (153 &* mp &+ 2) / 5 &+ 1
        let month = mp < 10 ? mp &+ 3 : mp &- 9
        let year = yearOfEra &+ era &* 400 &+ (month <= 2 ? 1 : 0) &- 400
        return (Int64(year), Int64(month), Int64(day))
    }
}

/// Short ASCII strings seen as two words: the encoder checks, sorts and writes them a word at a time.
///
/// The words are loaded from the string's UTF-8 (its `utf8` view's contiguous storage), never from the
/// `String` value itself.
struct ShortASCII {
    /// The first eight bytes, the first in the low lane; lanes past ``count`` are zero.
    var low: UInt64
    /// Bytes 8…15, likewise.
    var high: UInt64
    /// 0…15.
    var count: Int

    /// The words of `string` when its UTF-8 is at most 15 bytes, all ASCII, and contiguous; nil otherwise (the
    /// caller then takes its general path).
    @inline(__always)
    init?(_ string: String) {
        guard
            let found = string.utf8.withContiguousStorageIfAvailable({ utf8 -> ShortASCII? in
                guard utf8.count <= 15 else { return nil }
                guard let start = utf8.baseAddress else { return .empty }
                let (low, high) = Self.load(UnsafeRawPointer(start), count: utf8.count)
                guard (low | high) & SWAR.highs == 0 else { return nil }
                return ShortASCII(low: low, high: high, count: utf8.count)
            }), let words = found
        else { return nil }
        self = words
    }

    private init(low: UInt64, high: UInt64, count: Int) {
        self.low = low
        self.high = high
        self.count = count
    }

    static let empty = ShortASCII(low: 0, high: 0, count: 0)

    /// The `count` (0…16) bytes at `source` as two little-endian words, zero past `count`, read with loads that
    /// stay inside those bytes (the last one overlapping the ones before).
    @inline(__always)
    static func load(_ source: UnsafeRawPointer, count: Int) -> (UInt64, UInt64) {
        @inline(__always) func word(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        if count >= 8 {
            // The last eight bytes, shifted down so that byte 8 lands in the low lane.
            let high = count > 8 ? word(count &- 8) &>> (UInt64(truncatingIfNeeded: 16 &- count) &* 8) : 0
            return (word(0), high)
        }
        if count >= 4 {
            let first = UInt64(UInt32(littleEndian: source.loadUnaligned(as: UInt32.self)))
            let last = UInt64(
                UInt32(littleEndian: source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
            )
            return (first | last &<< (UInt64(truncatingIfNeeded: count &- 4) &* 8), 0)
        }
        var low: UInt64 = 0
        var i = 0
        while i < count {
            low |= UInt64(source.load(fromByteOffset: i, as: UInt8.self)) &<< (UInt64(truncatingIfNeeded: i) &* 8)
            i &+= 1
        }
        return (low, 0)
    }

    /// Whether some used lane holds `"`, `\` or a byte below 0x20 (unused lanes are zero, which would count as
    /// control bytes: only the used lanes are looked at).
    @inline(__always)
    var needsEscapes: Bool {
        SWAR.escapes(low) & SWAR.lanes(count) | SWAR.escapes(high) & SWAR.lanes(max(count &- 8, 0)) != 0
    }

    /// Whether it is 1…15 bytes of `[a-z0-9_.-]`, a tag key.
    @inline(__always)
    var isTagKey: Bool {
        let lowLanes = SWAR.lanes(count)
        let highLanes = SWAR.lanes(max(count &- 8, 0))
        return count >= 1 && SWAR.tagKeyLanes(low) & lowLanes == SWAR.highs & lowLanes
            && SWAR.tagKeyLanes(high) & highLanes == SWAR.highs & highLanes
    }

    /// The bytes as two big-endian integers: integer order is bytewise order (tag keys hold no zero bytes, and
    /// the lanes past the end are zero).
    @inline(__always)
    var sortKey: (UInt64, UInt64) { (low.byteSwapped, high.byteSwapped) }

    /// Stores both words whole at `destination` (16 bytes: those past ``count`` are scratch).
    @inline(__always)
    func store(to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: low.littleEndian, as: UInt64.self)
        destination.storeBytes(of: high.littleEndian, toByteOffset: 8, as: UInt64.self)
    }
}

/// Eight bytes at a time: the byte-parallel arithmetic of the fast paths. Every lane is one byte; no operation
/// here carries from one lane into the next for the values it is given.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The lowercase hex digit of each lane's value (0…15).
    @inline(__always)
    static func hexDigits(_ nibbles: UInt64) -> UInt64 {
        // 10…15 reach 0x80 when 0x76 is added: those lanes get the 39 that takes '9'+1 to 'a'.
        let letters = ((nibbles &+ 0x76 &* ones) >> 7) & ones
        return nibbles &+ 0x30 &* ones &+ letters &* 39
    }

    /// The 16 lowercase hex digits of `value`, most significant first in memory order.
    @inline(__always)
    static func hex(_ value: UInt32) -> UInt64 {
        // Spread the 8 nibbles over 8 lanes, the most significant nibble in the lowest lane (first in memory).
        let v = UInt64(value)
        var x = (v >> 16) | ((v & 0xFFFF) << 32)
        x = ((x & 0x0000_FF00_0000_FF00) >> 8) | ((x & 0x0000_00FF_0000_00FF) << 16)
        x = ((x & 0x00F0_00F0_00F0_00F0) >> 4) | ((x & 0x000F_000F_000F_000F) << 8)
        return hexDigits(x)
    }

    /// The value of 8 lowercase hex digits (the first in memory most significant), or nil when any lane is not
    /// one of `0-9a-f`.
    @inline(__always)
    static func parseHex(_ word: UInt64) -> UInt32? {
        // '0'…'9' hold their value in the low nibble; 'a'…'f' hold 1…6 there and have bit 6 set.
        let nibbles = ((word & (0x0F &* ones)) &+ ((word >> 6) & ones) &* 9) & (0x0F &* ones)
        // A lane is a lowercase hex digit exactly when writing its nibble back gives the same byte.
        guard hexDigits(nibbles) == word else { return nil }
        var x = ((nibbles << 4) | (nibbles >> 8)) & 0x00FF_00FF_00FF_00FF
        x = ((x << 8) | (x >> 16)) & 0x0000_FFFF_0000_FFFF
        x = ((x << 16) | (x >> 32)) & 0xFFFF_FFFF
        return UInt32(truncatingIfNeeded: x)
    }

    /// A mask with the high bit set in some lane when a lane of `word` holds `"`, `\` or a byte below 0x20 (exact
    /// in whether it is zero).
    @inline(__always)
    static func escapes(_ word: UInt64) -> UInt64 {
        let quote = word ^ (0x22 &* ones)
        let backslash = word ^ (0x5C &* ones)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (word &- 0x20 &* ones) & ~word
        return (zeroQuote | zeroBackslash | control) & highs
    }

    /// The high bit of each lane of `word` (ASCII: every lane below 0x80) that holds one of `[a-z0-9_.-]`.
    @inline(__always)
    static func tagKeyLanes(_ word: UInt64) -> UInt64 {
        // For a lane below 0x80, adding 0x80 − lo sets its high bit exactly when it is ≥ lo, and adding
        // 0x7F − hi exactly when it is > hi; no lane carries into the next.
        @inline(__always) func within(_ lo: UInt64, _ hi: UInt64) -> UInt64 {
            (word &+ (0x80 &- lo) &* ones) & ~(word &+ (0x7F &- hi) &* ones)
        }
        let allowed =
            within(0x61, 0x7A) | within(0x30, 0x39) | within(0x5F, 0x5F) | within(0x2E, 0x2E) | within(0x2D, 0x2D)
        return allowed & ~word & highs
    }

    /// The mask of the first `count` (0…8) lanes.
    @inline(__always)
    static func lanes(_ count: Int) -> UInt64 {
        count >= 8 ? ~0 : (1 &<< (UInt64(truncatingIfNeeded: count) &* 8)) &- 1
    }

    /// A mask with the high bit of the first lane (lowest address) holding `"`, `\`, a byte below 0x20 or a byte
    /// of 0x80 and above set; lanes above the first such lane may be set or not.
    @inline(__always)
    static func stringStops(_ word: UInt64) -> UInt64 {
        let quote = word ^ (0x22 &* ones)
        let backslash = word ^ (0x5C &* ones)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (word &- 0x20 &* ones) & ~word
        return (zeroQuote | zeroBackslash | control | word) & highs
    }
}

/// A position in input being read as canonical envelope JSON; every read checks its bounds.
struct CanonicalCursor {
    let base: UnsafePointer<UInt8>
    let end: Int
    private(set) var position = 0
    /// False once a value was present but broke a rule the fast path does not report.
    private(set) var ok = true

    init(base: UnsafePointer<UInt8>, end: Int) {
        self.base = base
        self.end = end
    }

    @inline(__always)
    private func word(at offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
    }

    /// Consumes `literal` when the input continues with it.
    @inline(__always)
    mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard end &- position >= count else { return false }
        let text = UnsafeRawPointer(literal.utf8Start)
        let here = UnsafeRawPointer(base + position)
        @inline(__always) func same<Word: FixedWidthInteger>(_ offset: Int, _: Word.Type) -> Bool {
            here.loadUnaligned(fromByteOffset: offset, as: Word.self)
                == text.loadUnaligned(fromByteOffset: offset, as: Word.self)
        }
        if count >= 8 {
            var i = 0
            while i &+ 8 < count {
                if !same(i, UInt64.self) { return false }
                i &+= 8
            }
            // The last eight bytes, overlapping the ones before when the count is not a multiple of eight.
            if !same(count &- 8, UInt64.self) { return false }
        } else if count >= 4 {
            if !same(0, UInt32.self) || !same(count &- 4, UInt32.self) { return false }
        } else {
            var i = 0
            while i < count {
                if !same(i, UInt8.self) { return false }
                i &+= 1
            }
        }
        position &+= count
        return true
    }

    /// 16 lowercase hex digits.
    @inline(__always)
    mutating func hex64() -> UInt64? {
        guard end &- position >= 16, let high = SWAR.parseHex(word(at: position)),
            let low = SWAR.parseHex(word(at: position &+ 8))
        else { return nil }
        position &+= 16
        return UInt64(high) << 32 | UInt64(low)
    }

    /// An attempt in minimal decimal form, 1 … 2³¹−1 (what follows is checked by the next literal).
    mutating func attempt() -> Int? {
        guard position < end, base[position] &- UInt8(ascii: "1") < 9 else { return nil }
        var value = 0
        var digits = 0
        while position < end, base[position] &- UInt8(ascii: "0") < 10, digits < 11 {
            value = value &* 10 &+ Int(base[position] &- UInt8(ascii: "0"))
            position &+= 1
            digits &+= 1
        }
        guard digits <= 10, value <= AttributionEnvelope.Limits.maxAttempt else { return nil }
        return value
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as milliseconds since the epoch.
    mutating func timestamp() -> Int64? {
        guard end &- position >= 24 else { return nil }
        // Three words: `YYYY-MM-`, `DDTHH:MM`, `:SS.mmmZ` (the first byte in the low lane). Each word's
        // separators are compared at once, and its digit lanes checked at once: a byte is a digit exactly when
        // its high nibble is 3 and its low nibble plus 6 does not reach 16 (no lane carries into the next).
        let w0 = word(at: position)
        let w1 = word(at: position &+ 8)
        let w2 = word(at: position &+ 16)
        @inline(__always) func lane(_ byte: UInt8, _ index: UInt64) -> UInt64 { UInt64(byte) &<< (index &* 8) }
        let dash = UInt8(ascii: "-")
        let colon = UInt8(ascii: ":")
        guard w0 & 0xFF00_00FF_0000_0000 == lane(dash, 4) | lane(dash, 7),
            w1 & 0x0000_FF00_00FF_0000 == lane(UInt8(ascii: "T"), 2) | lane(colon, 5),
            w2 & 0xFF00_0000_FF00_00FF == lane(colon, 0) | lane(UInt8(ascii: "."), 3) | lane(UInt8(ascii: "Z"), 7)
        else { return nil }
        @inline(__always) func digits(_ word: UInt64, _ lanes: UInt64) -> Bool {
            let low = word & 0x0F0F_0F0F_0F0F_0F0F & lanes
            return word & 0xF0F0_F0F0_F0F0_F0F0 & lanes == 0x3030_3030_3030_3030 & lanes
                && (low &+ 0x0606_0606_0606_0606 & lanes) & 0xF0F0_F0F0_F0F0_F0F0 == 0
        }
        guard digits(w0, 0x00FF_FF00_FFFF_FFFF), digits(w1, 0xFFFF_00FF_FF00_FFFF),
            digits(w2, 0x00FF_FFFF_00FF_FF00)
        else { return nil }
        @inline(__always) func digit(_ word: UInt64, _ index: UInt64) -> Int64 {
            Int64(truncatingIfNeeded: (word &>> (index &* 8)) & 0x0F)
        }
        let year = digit(w0, 0) &* 1000 &+ digit(w0, 1) &* 100 &+ digit(w0, 2) &* 10 &+ digit(w0, 3)
        let month = digit(w0, 5) &* 10 &+ digit(w0, 6)
        let day = digit(w1, 0) &* 10 &+ digit(w1, 1)
        let hour = digit(w1, 3) &* 10 &+ digit(w1, 4)
        let minute = digit(w1, 6) &* 10 &+ digit(w1, 7)
        let second = digit(w2, 1) &* 10 &+ digit(w2, 2)
        let ms = digit(w2, 4) &* 100 &+ digit(w2, 5) &* 10 &+ digit(w2, 6)
        // A leap second (60) goes to the reference path, which reads it as the minute's last instant.
        guard month >= 1, month <= 12, day >= 1, day <= Self.daysInMonth(year, month), hour <= 23,
            minute <= 59, second <= 59
        else { return nil }
        // The instant must fit the timestamp's nanoseconds (years 1677 to 2262), as the reference requires.
        let days = SmallCalendar.days(year: year, month: month, day: day)
        let seconds = days &* 86_400 &+ hour &* 3600 &+ minute &* 60 &+ second
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, nanoseconds <= Int64.max &- 999_000_000 else { return nil }
        position &+= 24
        return seconds &* 1000 &+ ms
    }

    private static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The value of the string field whose key and opening quote are `key`, when the input continues with it.
    /// A present value that is empty, longer than 256 bytes, escaped or not valid UTF-8 clears ``ok``.
    @inline(__always)
    mutating func value(after key: StaticString) -> String? {
        guard skip(key) else { return nil }
        guard let value = string() else {
            ok = false
            return nil
        }
        return value
    }

    /// A string value after its opening quote: 1 … 256 bytes of valid UTF-8 without escapes or control bytes.
    @inline(__always)
    mutating func string() -> String? {
        // The usual value: 1…15 ASCII bytes with 16 bytes of input to read, scanned as two words.
        if end &- position >= 16 {
            let low = word(at: position)
            let high = word(at: position &+ 8)
            let lowStops = SWAR.stringStops(low)
            let stop: Int
            if lowStops != 0 {
                stop = lowStops.trailingZeroBitCount >> 3
            } else {
                let highStops = SWAR.stringStops(high)
                stop = highStops != 0 ? 8 &+ highStops.trailingZeroBitCount >> 3 : 16
            }
            if stop >= 1, stop < 16, base[position &+ stop] == UInt8(ascii: "\"") {
                let start = position
                position &+= stop &+ 1
                return asciiString(start, stop)
            }
        }
        return longString()
    }

    /// ``string()`` for any other value: kept out of line, so that the usual case is small enough to inline.
    @inline(never)
    mutating func longString() -> String? {
        // A short ASCII value near the end (the last tag's value usually is): the input's last 16 bytes shifted
        // down to start here, with zeros (which stop a string) shifted in past the end.
        let left = end &- position
        if left > 1, left < 16, end >= 16 {
            let lastLow = word(at: end &- 16)
            let lastHigh = word(at: end &- 8)
            let shift = UInt64(truncatingIfNeeded: 16 &- left) &* 8
            let low = shift < 64 ? lastLow &>> shift | lastHigh &<< (64 &- shift) : lastHigh &>> (shift &- 64)
            let high = shift < 64 ? lastHigh &>> shift : 0
            let lowStops = SWAR.stringStops(low)
            let highStops = SWAR.stringStops(high)
            let stop =
                lowStops != 0 ? lowStops.trailingZeroBitCount >> 3 : 8 &+ highStops.trailingZeroBitCount >> 3
            if stop >= 1, stop < left, base[position &+ stop] == UInt8(ascii: "\"") {
                let start = position
                position &+= stop &+ 1
                return asciiString(start, stop)
            }
        }
        let start = position
        var i = position
        var ascii = true
        while true {
            if end &- i >= 8 {
                let stops = SWAR.stringStops(word(at: i))
                if stops == 0 {
                    i &+= 8
                    continue
                }
                i &+= stops.trailingZeroBitCount >> 3
            }
            guard i < end else { return nil }
            let b = base[i]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 || b == UInt8(ascii: "\\") { return nil }
            if b >= 0x80 { ascii = false }
            i &+= 1
        }
        let count = i &- start
        guard count >= 1, count <= AttributionEnvelope.Limits.maxValueBytes else { return nil }
        position = i &+ 1
        return makeString(start, count, ascii: ascii)
    }

    /// A string from bytes already scanned: ASCII is taken as it is; anything else must be valid UTF-8.
    @inline(__always)
    func makeString(_ start: Int, _ count: Int, ascii isASCII: Bool) -> String? {
        guard isASCII else {
            return String(validating: UnsafeBufferPointer(start: base + start, count: count), as: UTF8.self)
        }
        return asciiString(start, count)
    }

    /// The string of `count` ASCII bytes from `start` (one of up to 15 bytes is stored inline, without an
    /// allocation).
    @inline(__always)
    func asciiString(_ start: Int, _ count: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + start, count: count), as: UTF8.self)
    }

    /// The `tags` object after its `{`, through its `}`: 0 … 32 entries, keys `[a-z0-9_.-]{1,64}` each once,
    /// values as ``string()`` reads them. Counted and checked first, so the dictionary is made once at its size.
    mutating func tags() -> [String: String]? {
        if skip("}") { return [:] }
        let start = position
        // One or two entries (the usual case) go to the dictionary literal initializer, which is specialized
        // here and skips the general insertion's checks (it traps on a repeated key: checked first).
        guard let (key0, value0) = tagEntry() else { return nil }
        if skip("}") { return [key0: value0] }
        guard skip(","), let (key1, value1) = tagEntry() else { return nil }
        if skip("}") {
            guard key0 != key1 else { return nil }
            return [key0: value0, key1: value1]
        }
        position = start
        var entries = 0
        while true {
            guard skipTagKey() != nil, skip(":\""), skipString() else { return nil }
            entries &+= 1
            if skip(",") { continue }
            guard skip("}"), entries <= AttributionEnvelope.Limits.maxTags else { return nil }
            break
        }
        let close = position
        position = start
        var tags = [String: String](minimumCapacity: entries)
        for _ in 0..<entries {
            guard let keyStart = skipTagKey(), skip(":\""),
                let key = makeString(keyStart, position &- 3 &- keyStart, ascii: true),
                let value = string(),
                tags.updateValue(value, forKey: key) == nil
            else { return nil }
            position &+= 1  // the ',' or '}' checked above
        }
        return position == close ? tags : nil
    }

    /// One `"key":"value"` entry of `tags`.
    @inline(__always)
    private mutating func tagEntry() -> (String, String)? {
        // The usual key: 1…15 bytes with 16 bytes of input to read after its opening quote, scanned as two
        // words. Lanes at and past the first one outside `[a-z0-9_.-]` may be wrong (a byte of 0x80 or above
        // carries into the next lane): only the first is used.
        if end &- position >= 17, base[position] == UInt8(ascii: "\"") {
            let low = word(at: position &+ 1)
            let high = word(at: position &+ 9)
            let lowStops = ~SWAR.tagKeyLanes(low) & SWAR.highs
            let stop: Int
            if lowStops != 0 {
                stop = lowStops.trailingZeroBitCount >> 3
            } else {
                let highStops = ~SWAR.tagKeyLanes(high) & SWAR.highs
                stop = highStops != 0 ? 8 &+ highStops.trailingZeroBitCount >> 3 : 16
            }
            if stop >= 1, stop < 16, base[position &+ 1 &+ stop] == UInt8(ascii: "\"") {
                let key = asciiString(position &+ 1, stop)
                position &+= stop &+ 2
                guard skip(":\""), let value = string() else { return nil }
                return (key, value)
            }
        }
        guard let keyStart = skipTagKey(), skip(":\""),
            let key = makeString(keyStart, position &- 3 &- keyStart, ascii: true),
            let value = string()
        else { return nil }
        return (key, value)
    }

    /// Skips a tag key with its quotes; the offset of its first byte, or nil.
    private mutating func skipTagKey() -> Int? {
        guard position < end, base[position] == UInt8(ascii: "\"") else { return nil }
        let start = position &+ 1
        var i = start
        while i < end {
            let b = base[i]
            let allowed =
                b &- UInt8(ascii: "a") < 26 || b &- UInt8(ascii: "0") < 10 || b == UInt8(ascii: "_")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
            if !allowed { break }
            i &+= 1
        }
        let count = i &- start
        guard i < end, base[i] == UInt8(ascii: "\""), count >= 1, count <= AttributionEnvelope.Limits.maxTagKeyBytes
        else { return nil }
        position = i &+ 1
        return start
    }

    /// Checks a string value as ``string()`` does, without making it.
    private mutating func skipString() -> Bool {
        let start = position
        var i = position
        while i < end {
            let b = base[i]
            if b == UInt8(ascii: "\"") {
                let count = i &- start
                guard count >= 1, count <= AttributionEnvelope.Limits.maxValueBytes else { return false }
                position = i &+ 1
                return true
            }
            if b < 0x20 || b == UInt8(ascii: "\\") { return false }
            i &+= 1
        }
        return false
    }
}

extension AttributionEnvelope {
    /// The canonical form written without the reference path's separate checks, or nil when the envelope
    /// needs them: any rule broken (so that ``canonicalJSON()`` reports it as the reference path does), unknown
    /// fields (their JSON text must be checked), or a form over ``Limits/maxCanonicalBytes``.
    ///
    /// One pass checks each value as it writes it, into memory on the stack, then the array is made once at
    /// the size written. The output is byte for byte the reference writer's (a test compares them).
    package func fastCanonicalJSON() -> [UInt8]? {
        guard unknownFields.isEmpty, attempt >= 1, attempt <= Limits.maxAttempt else { return nil }
        if parentID == nil, rootID != leafID { return nil }
        var createdMS: Int64 = 0
        if let createdAt {
            createdMS = createdAt.millisecondsSinceEpoch
            guard Self.createdAtRange.contains(createdMS) else { return nil }
        }
        guard tags.count <= Limits.maxTags else { return nil }
        // A typical envelope fits 1 KiB; a larger one is written again into room for the largest canonical form.
        switch write(createdMS: createdMS, capacity: 1024) {
        case .written(let bytes): return bytes
        case .refused: return nil
        case .needsRoom:
            if case .written(let bytes) = write(createdMS: createdMS, capacity: Limits.maxCanonicalBytes &+ 1024) {
                return bytes
            }
            return nil
        }
    }

    private enum CanonicalWrite {
        case written([UInt8])
        /// A value breaks a rule, or the form exceeds ``Limits/maxCanonicalBytes``: the reference path reports it.
        case refused
        /// The form did not fit `capacity` bytes.
        case needsRoom
    }

    /// Writes the canonical form into `capacity` bytes on the stack, checking each value as it goes.
    private func write(createdMS: Int64, capacity: Int) -> CanonicalWrite {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer -> CanonicalWrite in
            guard let base = buffer.baseAddress else { return .refused }
            // The tags are checked and put in order first; their member's size is known from then on. (Made
            // here rather than passed in, the plan is not copied.)
            var plan = CanonicalTagPlan()
            guard plan.add(tags) else { return .refused }
            var out = CanonicalOutput(base, capacity: capacity)
            // At most 203 bytes up to the business fields.
            out.put("{\"v\":1,\"trace_id\":\"")
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
            if createdAt != nil {
                out.put(",\"created_at\":\"")
                out.timestamp(createdMS)
                out.byte(UInt8(ascii: "\""))
            }
            guard out.field(",\"user_id\":", userID), out.field(",\"feature\":", feature),
                out.field(",\"team\":", team), out.field(",\"project\":", project),
                out.field(",\"task_type\":", taskType), out.field(",\"tool\":", tool),
                out.field(",\"prompt_version\":", promptVersion), out.field(",\"pipeline\":", pipeline),
                out.field(",\"priority\":", priority), out.field(",\"agent\":", agent)
            else { return out.needsRoom ? .needsRoom : .refused }
            if plan.count > 0 {
                // The member, the closing brace and 16 bytes of scratch past the last value.
                guard out.room >= plan.size &+ 17 else { return .needsRoom }
                out.put(",\"tags\":{")
                if plan.small.complete {
                    out.tags(plan.small)
                } else if plan.order.complete {
                    out.tags(tags, order: plan.order, escaped: plan.escaped)
                } else {
                    out.tags(tags, escaped: plan.escaped)
                }
                out.byte(UInt8(ascii: "}"))
            }
            out.byte(UInt8(ascii: "}"))
            guard out.count <= Limits.maxCanonicalBytes else { return .refused }
            return .written(Array(UnsafeBufferPointer(start: base, count: out.count)))
        }
    }
}

/// The tags, checked and put in order before the writing starts, with the size of their member.
private struct CanonicalTagPlan {
    /// The size of the `,"tags":{…}` member.
    var size = 0
    var count = 0
    /// Whether some tag value needs escapes.
    var escaped = false

    /// Adds the `tags` member (when there are tags); false when a key or value breaks a rule.
    mutating func add(_ tags: [String: String]) -> Bool {
        count = tags.count
        guard count > 0 else { return true }
        // `,"tags":{` and `}`, a `:` per entry and the commas between entries.
        size = 10 &+ count &+ (count &- 1)
        if count <= InlineTags.capacity, small.add(tags) {
            size &+= small.size
            return true
        }
        var index = tags.startIndex
        while index != tags.endIndex {
            let (key, value) = tags[index]
            let keyLength = CanonicalOutput.tagKeyLength(key)
            let valueLength = CanonicalOutput.quotedLength(value)
            guard keyLength > 0, valueLength > 0 else { return false }
            if valueLength != value.utf8.count &+ 2 { escaped = true }
            size &+= keyLength &+ valueLength
            order.insert(index, key: key)
            tags.formIndex(after: &index)
        }
        return true
    }

    /// The tags in key order when there are at most four of them with inline keys (the usual case).
    var order = SmallTagOrder()
    /// The tags themselves when they are short ASCII strings needing no escapes (``InlineTags/complete``);
    /// ``order`` is then not used.
    var small = InlineTags()
}

/// Up to four tags whose keys and values are short ASCII strings that need no escapes (the usual case), held
/// as the strings' words in key order: checked, measured and sorted in one pass over the dictionary, and
/// written from the words without looking the entries up again.
struct InlineTags {
    static let capacity = 4
    /// Key then value, per entry, in key order (the first ``count``).
    private var entries = InlineArray<4, Entry>(repeating: .zero)
    private(set) var count = 0
    /// The bytes of the entries: each `"key":"value"`, without the commas between them.
    private(set) var size = 0
    /// Whether every tag was added.
    private(set) var complete = false

    struct Entry {
        var key: ShortASCII
        var value: ShortASCII
        static let zero = Entry(key: .empty, value: .empty)
    }

    /// Adds the tags to an empty instance; false when there are more than four or one of them is not such a
    /// string or breaks a rule (the general path then decides).
    @inline(__always)
    mutating func add(_ tags: [String: String]) -> Bool {
        guard tags.count <= Self.capacity else { return false }
        for (key, value) in tags {
            // The key 1…15 bytes of `[a-z0-9_.-]`; the value 1…15 bytes without `"`, `\` or a control byte.
            guard let k = ShortASCII(key), let v = ShortASCII(value), k.isTagKey, v.count > 0, !v.needsEscapes
            else { return false }
            insert(Entry(key: k, value: v))
            size &+= k.count &+ v.count &+ 5
        }
        complete = true
        return true
    }

    @inline(__always)
    private mutating func insert(_ entry: Entry) {
        let sortKey = entry.key.sortKey
        var slot = count
        while slot > 0, sortKey < entries[slot &- 1].key.sortKey {
            entries[slot] = entries[slot &- 1]
            slot &-= 1
        }
        entries[slot] = entry
        count &+= 1
    }

    /// The entry at `position` (0 ..< ``count``) in key order.
    @inline(__always)
    subscript(position: Int) -> Entry { entries[position] }
}

/// The indices of up to four tags in bytewise key order, sorted as they are measured, held inline (no heap
/// allocation). Keys of at most 15 bytes compare as two integers; with more tags or longer keys it gives up
/// and the writer sorts.
struct SmallTagOrder {
    typealias Index = [String: String].Index
    private var indices: (Index?, Index?, Index?, Index?) = (nil, nil, nil, nil)
    /// Each key's bytes as two big-endian integers: integer order is bytewise order (keys hold no zero bytes,
    /// and the bytes past a key's end are zero).
    private var keys: ((UInt64, UInt64), (UInt64, UInt64), (UInt64, UInt64), (UInt64, UInt64)) =
        ((0, 0), (0, 0), (0, 0), (0, 0))
    private(set) var count = 0
    /// False once a tag could not be placed: the writer sorts instead.
    private(set) var complete = true

    @inline(__always)
    mutating func insert(_ index: Index, key: String) {
        guard complete, count < 4, let words = ShortASCII(key) else {
            complete = false
            return
        }
        let sortKey = words.sortKey
        var slot = count
        while slot > 0, sortKey < self[key: slot &- 1] {
            self[key: slot] = self[key: slot &- 1]
            self[index: slot] = self[index: slot &- 1]
            slot &-= 1
        }
        self[key: slot] = sortKey
        self[index: slot] = index
        count &+= 1
    }

    /// The index of the tag at `position` (0 ..< ``count``) in key order.
    @inline(__always)
    subscript(position: Int) -> Index? { self[index: position] }

    private subscript(index position: Int) -> Index? {
        get {
            switch position {
            case 0: return indices.0
            case 1: return indices.1
            case 2: return indices.2
            default: return indices.3
            }
        }
        set {
            switch position {
            case 0: indices.0 = newValue
            case 1: indices.1 = newValue
            case 2: indices.2 = newValue
            default: indices.3 = newValue
            }
        }
    }

    private subscript(key position: Int) -> (UInt64, UInt64) {
        get {
            switch position {
            case 0: return keys.0
            case 1: return keys.1
            case 2: return keys.2
            default: return keys.3
            }
        }
        set {
            switch position {
            case 0: keys.0 = newValue
            case 1: keys.1 = newValue
            case 2: keys.2 = newValue
            default: keys.3 = newValue
            }
        }
    }
}

/// Writes the canonical form into memory of the size measured beforehand.
private struct CanonicalOutput {
    private let base: UnsafeMutablePointer<UInt8>
    /// The size measured beforehand: every byte below it is written, in order, exactly once more than any
    /// scratch store past ``count`` (such stores are overwritten by the writes that follow them).
    private let capacity: Int
    private(set) var count = 0
    /// Set when a value did not fit the room left.
    private(set) var needsRoom = false

    /// The bytes left.
    var room: Int { capacity &- count }

    init(_ base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Copies `length` bytes from `source` with 8-byte moves (the last one overlapping), never reading or
    /// writing outside either range.
    @inline(__always)
    mutating func copy(_ source: UnsafeRawPointer, _ length: Int) {
        Self.copy(UnsafeMutableRawPointer(base + count), source, length)
        count &+= length
    }

    /// Copies `length` bytes with 8-byte moves (the last one overlapping), never outside either range.
    @inline(__always)
    static func copy(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ length: Int) {
        if length >= 8 {
            var i = 0
            while i &+ 8 < length {
                destination.storeBytes(
                    of: source.loadUnaligned(fromByteOffset: i, as: UInt64.self),
                    toByteOffset: i,
                    as: UInt64.self
                )
                i &+= 8
            }
            destination.storeBytes(
                of: source.loadUnaligned(fromByteOffset: length &- 8, as: UInt64.self),
                toByteOffset: length &- 8,
                as: UInt64.self
            )
        } else if length >= 4 {
            destination.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
            destination.storeBytes(
                of: source.loadUnaligned(fromByteOffset: length &- 4, as: UInt32.self),
                toByteOffset: length &- 4,
                as: UInt32.self
            )
        } else {
            var i = 0
            while i < length {
                destination.storeBytes(
                    of: source.load(fromByteOffset: i, as: UInt8.self),
                    toByteOffset: i,
                    as: UInt8.self
                )
                i &+= 1
            }
        }
    }

    /// The length of a value in the canonical form, quotes and escapes included; 0 when the value is empty or
    /// longer than ``AttributionEnvelope/Limits/maxValueBytes``.
    @inline(__always)
    static func quotedLength(_ value: String) -> Int {
        if let words = ShortASCII(value), words.count > 0, !words.needsEscapes { return words.count &+ 2 }
        let length = value.utf8.count
        guard length >= 1, length <= AttributionEnvelope.Limits.maxValueBytes else { return 0 }
        return withUTF8(value) { utf8 in
            var total = 2 &+ utf8.count
            for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
                switch b {
                case 0x22, 0x5C, 0x08, 0x0C, 0x0A, 0x0D, 0x09: total &+= 1
                default: total &+= 5
                }
            }
            return total
        }
    }

    /// The quoted length of a tag key, which needs no escapes; 0 when it does not match `[a-z0-9_.-]{1,64}`.
    @inline(__always)
    static func tagKeyLength(_ key: String) -> Int {
        if let words = ShortASCII(key) { return words.isTagKey ? words.count &+ 2 : 0 }
        let length = key.utf8.count
        guard length >= 1, length <= AttributionEnvelope.Limits.maxTagKeyBytes else { return 0 }
        return withUTF8(key) { utf8 in
            for b in utf8 {
                let allowed =
                    b &- UInt8(ascii: "a") < 26 || b &- UInt8(ascii: "0") < 10 || b == UInt8(ascii: "_")
                    || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
                if !allowed { return 0 }
            }
            return length &+ 2
        }
    }

    /// Runs `body` over a string's UTF-8 without copying a native string's storage.
    @inline(__always)
    static func withUTF8<R>(_ value: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = value.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = value
        return copy.withUTF8(body)
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        base[count] = b
        count &+= 1
    }

    @inline(__always)
    mutating func put(_ text: StaticString) {
        copy(UnsafeRawPointer(text.utf8Start), text.utf8CodeUnitCount)
    }

    /// 16 lowercase hex digits, in two 8-byte stores.
    @inline(__always)
    mutating func hex(_ value: UInt64) {
        let raw = UnsafeMutableRawPointer(base + count)
        raw.storeBytes(of: SWAR.hex(UInt32(truncatingIfNeeded: value >> 32)).littleEndian, as: UInt64.self)
        raw.storeBytes(
            of: SWAR.hex(UInt32(truncatingIfNeeded: value)).littleEndian,
            toByteOffset: 8,
            as: UInt64.self
        )
        count &+= 16
    }

    /// A positive integer in decimal.
    @inline(__always)
    mutating func decimal(_ value: Int) {
        var digits = 1
        var power = 10
        while value >= power, digits < 19 {
            digits &+= 1
            power &*= 10
        }
        var rest = value
        var i = count &+ digits
        while i > count {
            i &-= 1
            base[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        count &+= digits
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (the year is within 0000…9999: checked), as three 8-byte stores.
    mutating func timestamp(_ ms: Int64) {
        let (dayQ, dayR) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        let days = dayR < 0 ? dayQ &- 1 : dayQ
        // 0 ..< 86,400,000: 32-bit arithmetic from here.
        let msOfDay = UInt32(truncatingIfNeeded: ms &- days &* 86_400_000)
        let (year, month, day) = SmallCalendar.civil(days: days)
        let secondOfDay = msOfDay / 1000
        let millis = msOfDay &- secondOfDay &* 1000
        let hour = secondOfDay / 3600
        let secondOfHour = secondOfDay &- hour &* 3600
        let minute = secondOfHour / 60
        let second = secondOfHour &- minute &* 60
        let y = UInt32(truncatingIfNeeded: year)
        let century = y / 100
        let hundredths = millis / 10
        // Each pair of digits in memory order, as the low 16 bits.
        @inline(__always) func pair(_ value: UInt32) -> UInt64 { UInt64(Self.digitPairs(value)) }
        @inline(__always) func byte(_ value: UInt8) -> UInt64 { UInt64(value) }
        let first =
            pair(century) | pair(y &- century &* 100) << 16 | byte(UInt8(ascii: "-")) << 32
            | pair(UInt32(truncatingIfNeeded: month)) << 40 | byte(UInt8(ascii: "-")) << 56
        let second8 =
            pair(UInt32(truncatingIfNeeded: day)) | byte(UInt8(ascii: "T")) << 16 | pair(hour) << 24
            | byte(UInt8(ascii: ":")) << 40 | pair(minute) << 48
        let third =
            byte(UInt8(ascii: ":")) | pair(second) << 8 | byte(UInt8(ascii: ".")) << 24 | pair(hundredths) << 32
            | byte(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: millis &- hundredths &* 10)) << 48
            | byte(UInt8(ascii: "Z")) << 56
        let raw = UnsafeMutableRawPointer(base + count)
        raw.storeBytes(of: first.littleEndian, as: UInt64.self)
        raw.storeBytes(of: second8.littleEndian, toByteOffset: 8, as: UInt64.self)
        raw.storeBytes(of: third.littleEndian, toByteOffset: 16, as: UInt64.self)
        count &+= 24
    }

    /// The two ASCII digits of `value` (0…99), the first in the low byte.
    @inline(__always)
    static func digitPairs(_ value: UInt32) -> UInt16 {
        let table: StaticString = """
            00010203040506070809101112131415161718192021222324252627282930313233343536373839\
            40414243444546474849505152535455565758596061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899
            """
        return UInt16(
            littleEndian: UnsafeRawPointer(table.utf8Start).loadUnaligned(
                fromByteOffset: Int(truncatingIfNeeded: min(value, 99)) &* 2,
                as: UInt16.self
            )
        )
    }

    /// `key` (with its quotes and colon) and the quoted value, when there is a value; false when the value is
    /// empty or longer than ``AttributionEnvelope/Limits/maxValueBytes``, or does not fit (``needsRoom``).
    @inline(__always)
    mutating func field(_ key: StaticString, _ value: String?) -> Bool {
        guard let value else { return true }
        let keyLength = key.utf8CodeUnitCount
        if let words = ShortASCII(value), words.count > 0, !words.needsEscapes {
            // Room for the key, the quotes, both words whole and the closing brace.
            if room >= keyLength &+ 19 {
                put(key)
                base[count] = UInt8(ascii: "\"")
                words.store(to: UnsafeMutableRawPointer(base + (count &+ 1)))
                count &+= words.count &+ 1
                base[count] = UInt8(ascii: "\"")
                count &+= 1
                return true
            }
        }
        return longField(key, value)
    }

    /// ``field(_:_:)`` for a value that is not a short ASCII string needing no escapes: kept out of line, so
    /// that the usual case is small enough to be inlined where the key is a constant.
    @inline(never)
    mutating func longField(_ key: StaticString, _ value: String) -> Bool {
        let keyLength = key.utf8CodeUnitCount
        let quoted = Self.quotedLength(value)
        guard quoted > 0 else { return false }
        guard room >= keyLength &+ quoted &+ 1 else {
            needsRoom = true
            return false
        }
        put(key)
        string(value, quoted != value.utf8.count &+ 2)
        return true
    }

    /// A quoted string: copied as it is unless `escaped`, then only `"`, `\` and U+0000–U+001F escaped.
    @inline(__always)
    mutating func string(_ value: String, _ escaped: Bool) {
        base[count] = UInt8(ascii: "\"")
        count &+= 1
        if !escaped, capacity &- count >= 16, let words = ShortASCII(value) {
            // Both words go out whole; the bytes past the string's end are scratch, overwritten next.
            words.store(to: UnsafeMutableRawPointer(base + count))
            count &+= words.count
            base[count] = UInt8(ascii: "\"")
            count &+= 1
            return
        }
        count = Self.withUTF8(value) { utf8 in
            var i = count
            if !escaped {
                if let source = utf8.baseAddress { Self.copy(UnsafeMutableRawPointer(base + i), source, utf8.count) }
                i &+= utf8.count
            } else {
                i = JSONEscaping.write(utf8, to: base, at: i)
            }
            base[i] = UInt8(ascii: "\"")
            return i &+ 1
        }
    }

    /// The entries of tags held as words, each in two stores (the bytes past a string's end are scratch,
    /// overwritten next; room for them was checked with the member's size).
    @inline(__always)
    mutating func tags(_ tags: InlineTags) {
        for position in 0..<tags.count {
            let entry = tags[position]
            let raw = UnsafeMutableRawPointer(base + count)
            // `,"` (or just `"` for the first), the key, `":"`, the value, `"`.
            raw.storeBytes(of: UInt8(ascii: ","), as: UInt8.self)
            let first = position == 0 ? 0 : 1
            raw.storeBytes(of: UInt8(ascii: "\""), toByteOffset: first, as: UInt8.self)
            var at = first &+ 1
            entry.key.store(to: raw + at)
            at &+= entry.key.count
            // `":"` as one 4-byte store (its fourth byte is scratch).
            raw.storeBytes(of: UInt32(0x0022_3A22).littleEndian, toByteOffset: at, as: UInt32.self)
            at &+= 3
            entry.value.store(to: raw + at)
            at &+= entry.value.count
            raw.storeBytes(of: UInt8(ascii: "\""), toByteOffset: at, as: UInt8.self)
            count &+= at &+ 1
        }
    }

    /// The tags' entries in the order measured.
    mutating func tags(_ tags: [String: String], order: SmallTagOrder, escaped: Bool) {
        for position in 0..<order.count {
            guard let index = order[position] else { continue }
            if position > 0 { byte(UInt8(ascii: ",")) }
            let (key, value) = tags[index]
            string(key, false)
            byte(UInt8(ascii: ":"))
            string(value, escaped)
        }
    }

    /// The tags' entries in bytewise key order (the keys are `[a-z0-9_.-]`, checked, so String order is
    /// bytewise order), sorted by index on the stack.
    mutating func tags(_ tags: [String: String], escaped: Bool) {
        let count = tags.count
        withUnsafeTemporaryAllocation(of: [String: String].Index.self, capacity: count) { order in
            guard let slots = order.baseAddress else { return }
            var filled = 0
            var index = tags.startIndex
            while index != tags.endIndex {
                // Insertion sort: few tags, usually.
                let key = tags.keys[index]
                var slot = filled
                while slot > 0, key < tags.keys[slots[slot &- 1]] { slot &-= 1 }
                (slots + slot + 1).moveInitialize(from: slots + slot, count: filled &- slot)
                (slots + slot).initialize(to: index)
                filled &+= 1
                tags.formIndex(after: &index)
            }
            for position in 0..<filled {
                if position > 0 { byte(UInt8(ascii: ",")) }
                let (key, value) = tags[slots[position]]
                string(key, false)
                byte(UInt8(ascii: ":"))
                string(value, escaped)
            }
            slots.deinitialize(count: filled)
        }
    }
}
