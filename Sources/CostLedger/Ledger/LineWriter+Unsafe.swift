import Attribution
import WireFormat

// The ledger line's writer: raw stores into a buffer the caller reserved. The invariant that keeps it safe: every
// caller reserves at least ``CostRecord/encodedLineBound`` bytes (or ``CostRecord/maxCheckedLineBytes`` for a
// checked call line, whose strings are refused before they are written when too long), which bounds everything
// a line can take; each store writes exactly the bytes it advances the cursor over (no store reaches past them).

/// Writes a ledger line's pieces through a raw pointer into memory the caller reserved.
///
/// No bounds are checked here: the caller reserves at least ``CostRecord/encodedLineBound`` bytes, an upper bound
/// of everything the line's encoding can write (every string byte escaped to six, every number at its widest).
/// Each step is allocation-free: keys are copied from words built once from ``LedgerKey/name``, integers go two
/// digits at a time, ids are spread to hex in registers, and a string is copied as one block unless one of its
/// bytes must be escaped.
@safe struct LineWriter {
    /// Where the next byte goes.
    var cursor: UnsafeMutableRawPointer
    /// Whether ``value(_:)`` and tag keys are checked against the format's rules while writing.
    var checking = false
    /// False once a checked string broke a rule (it was not written; the line is to be discarded).
    var valid = true
    /// The last day a timestamp fell on and its civil date: `ts` and `started_at` are usually the same day.
    private var lastDay = Int64.min
    private var lastDate: (year: Int64, month: Int64, day: Int64) = (0, 0, 0)

    /// Each key's `,"name":` form (``KeyLiterals/members``), fetched once per line.
    private let members = unsafe KeyLiterals.members

    init(_ start: UnsafeMutableRawPointer) { unsafe cursor = unsafe start }

    /// `,"name":` for `key`: the name as ``LedgerKey/name`` spells it.
    mutating func member(_ key: LedgerKey) { member(index: key.index) }

    /// `{"name":` for `key`, the line's first member.
    mutating func firstMember(_ key: LedgerKey) {
        let start = unsafe cursor
        member(index: key.index)
        unsafe start.storeBytes(of: UInt8(ascii: "{"), as: UInt8.self)
    }

    /// `,"name":` for the key of index `index` (``LedgerKey/index``): exactly its bytes, copied from the words
    /// the table holds (overlapping stores for the ragged end, so no call to `memcpy` and no loop).
    mutating func member(index: Int) {
        let m = unsafe members[index]
        let n = m.length
        if n >= 8 {
            unsafe cursor.storeBytes(of: m.word0, as: UInt64.self)
            if n > 16 { unsafe cursor.storeBytes(of: m.word1, toByteOffset: 8, as: UInt64.self) }
            if n > 24 { unsafe cursor.storeBytes(of: m.word2, toByteOffset: 16, as: UInt64.self) }
            unsafe cursor.storeBytes(of: m.tail, toByteOffset: n &- 8, as: UInt64.self)
        } else {
            unsafe cursor.storeBytes(of: UInt32(truncatingIfNeeded: m.word0), as: UInt32.self)
            unsafe cursor.storeBytes(of: UInt32(truncatingIfNeeded: m.tail), toByteOffset: n &- 4, as: UInt32.self)
        }
        unsafe cursor += n
    }

    /// One byte.
    mutating func byte(_ value: UInt8) {
        unsafe cursor.storeBytes(of: value, as: UInt8.self)
        unsafe cursor += 1
    }

    /// A JSON string with the canonical escaping: only `"`, `\` and U+0000–U+001F are escaped; every other byte,
    /// non-ASCII included, is copied.
    @inline(__always)
    mutating func string(_ value: String) {
        let start = unsafe cursor
        let end = unsafe value.utf8.withContiguousStorageIfAvailable { utf8 in
            unsafe Self.quoted(UnsafeRawBufferPointer(utf8), at: start)
        }
        if let end = unsafe end {
            unsafe cursor = unsafe end
        } else {
            var copy = value
            unsafe cursor = copy.withUTF8 { unsafe Self.quoted(UnsafeRawBufferPointer($0), at: start) }
        }
    }

    /// A string value of the record: when ``checking``, one that is empty or longer than
    /// ``CostRecord/LineLimits/maxStringBytes`` is not written and marks the line invalid, so a checked line
    /// never takes more than ``CostRecord/maxCheckedLineBytes``.
    @inline(__always)
    mutating func value(_ value: String) {
        if checking {
            let count = value.utf8.count
            guard count > 0, count <= CostRecord.LineLimits.maxStringBytes else {
                valid = false
                return
            }
        }
        string(value)
    }

    /// A tag key: when ``checking``, one that does not match `[a-z0-9_.-]{1,64}` is not written and marks the line
    /// invalid.
    mutating func tagKey(_ key: String) {
        // The key's bytes as a span: the generic `some Collection<UInt8>` form over the UTF-8 view took twice the
        // samples of the old writer's own check in the batched-append benchmark.
        if checking, !AttributionEnvelope.isTagKey(key.utf8.span) {
            valid = false
            return
        }
        string(key)
    }

    /// `"`, the bytes (escaped where needed), `"`; returns the position after the closing quote.
    static func quoted(_ bytes: UnsafeRawBufferPointer, at start: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        unsafe start.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        let count = bytes.count
        guard let source = bytes.baseAddress, count > 0 else {
            unsafe (start + 1).storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
            return unsafe start + 2
        }
        if unsafe copiedWithoutEscapes(source, count, to: start + 1) {
            unsafe (start + 1 + count).storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
            return unsafe start + 2 + count
        }
        var out = unsafe start + 1
        var runStart = 0
        for i in 0..<count {
            let b = unsafe source.load(fromByteOffset: i, as: UInt8.self)
            guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
            if runStart < i {
                unsafe out.copyMemory(from: source + runStart, byteCount: i - runStart)
                unsafe out += i - runStart
            }
            runStart = i + 1
            unsafe out.storeBytes(of: UInt8(ascii: "\\"), as: UInt8.self)
            let escaped: UInt8
            switch b {
            case 0x22: escaped = 0x22
            case 0x5C: escaped = 0x5C
            case 0x08: escaped = UInt8(ascii: "b")
            case 0x0C: escaped = UInt8(ascii: "f")
            case 0x0A: escaped = UInt8(ascii: "n")
            case 0x0D: escaped = UInt8(ascii: "r")
            case 0x09: escaped = UInt8(ascii: "t")
            default:
                unsafe (out + 1).storeBytes(of: UInt8(ascii: "u"), as: UInt8.self)
                unsafe (out + 2).storeBytes(of: UInt8(ascii: "0"), as: UInt8.self)
                unsafe (out + 3).storeBytes(of: UInt8(ascii: "0"), as: UInt8.self)
                unsafe (out + 4).storeBytes(of: Hex.digit(b >> 4), as: UInt8.self)
                unsafe (out + 5).storeBytes(of: Hex.digit(b & 0xF), as: UInt8.self)
                unsafe out += 6
                continue
            }
            unsafe (out + 1).storeBytes(of: escaped, as: UInt8.self)
            unsafe out += 2
        }
        if runStart < count {
            unsafe out.copyMemory(from: source + runStart, byteCount: count - runStart)
            unsafe out += count - runStart
        }
        unsafe out.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        return unsafe out + 1
    }

    /// Copies `count` bytes to `target` a word at a time (overlapping words for the ragged end, so no call to
    /// `memmove` and no byte loop) while checking them; false, with the copy unfinished, when a byte is `"`, `\`
    /// or below 0x20 and the string needs escaping.
    @inline(__always)
    static func copiedWithoutEscapes(
        _ source: UnsafeRawPointer,
        _ count: Int,
        to target: UnsafeMutableRawPointer
    ) -> Bool {
        if count >= 8 {
            var flagged: UInt64 = 0
            var i = 0
            while i &+ 8 < count {
                let word = unsafe source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                flagged |= escapeFlags(word)
                unsafe target.storeBytes(of: word, toByteOffset: i, as: UInt64.self)
                i &+= 8
            }
            let last = unsafe source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            flagged |= escapeFlags(last)
            unsafe target.storeBytes(of: last, toByteOffset: count &- 8, as: UInt64.self)
            return flagged == 0
        }
        if count >= 4 {
            let first = unsafe source.loadUnaligned(as: UInt32.self)
            let last = unsafe source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            // Both halves in one word: the same test covers them.
            guard escapeFlags(UInt64(first) | UInt64(last) << 32) == 0 else { return false }
            unsafe target.storeBytes(of: first, as: UInt32.self)
            unsafe target.storeBytes(of: last, toByteOffset: count &- 4, as: UInt32.self)
            return true
        }
        for i in 0..<count {
            let b = unsafe source.load(fromByteOffset: i, as: UInt8.self)
            if b < 0x20 || b == 0x22 || b == 0x5C { return false }
            unsafe target.storeBytes(of: b, toByteOffset: i, as: UInt8.self)
        }
        return true
    }

    /// Non-zero when some byte of `word` is below 0x20, `"` or `\` (exact as a whole-word test).
    static func escapeFlags(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & high
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        return control | ((quote &- ones) & ~quote & high) | ((backslash &- ones) & ~backslash & high)
    }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s (the order of tag keys), comparing stored bytes directly.
    static func precedes(_ a: String, _ b: String) -> Bool {
        let result = unsafe a.utf8.withContiguousStorageIfAvailable { x in
            unsafe b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let common = min(x.count, y.count)
                var i = 0
                while i < common {
                    if unsafe x[i] != y[i] { return unsafe x[i] < y[i] }
                    i &+= 1
                }
                return x.count < y.count
            }
        }
        if let result, let result { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// "00" through "99".
    static var digitPairs: StaticString {
        """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
    }

    /// Two decimal digits of `value` (0...99) at `at`.
    static func pair(_ value: Int, at: UnsafeMutableRawPointer) {
        unsafe at.copyMemory(from: digitPairs.utf8Start + value &* 2, byteCount: 2)
    }

    /// An integer in minimal form.
    @inline(__always)
    mutating func integer(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        unsigned(value.magnitude)
    }

    /// An unsigned integer in minimal form: digit count first, then two digits per step from the end.
    mutating func unsigned(_ value: UInt64) {
        if value < 10 {
            byte(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits = 2
        var limit: UInt64 = 100
        while digits < 20 && value >= limit {
            digits &+= 1
            limit = limit &* 10
        }
        var v = value
        var end = unsafe cursor + digits
        unsafe cursor = unsafe end
        while v >= 100 {
            let (q, r) = v.quotientAndRemainder(dividingBy: 100)
            unsafe end -= 2
            unsafe Self.pair(Int(truncatingIfNeeded: r), at: end)
            v = q
        }
        if v >= 10 {
            unsafe Self.pair(Int(truncatingIfNeeded: v), at: end - 2)
        } else {
            unsafe (end - 1).storeBytes(of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v), as: UInt8.self)
        }
    }

    /// The exact decimal of an amount in attodollars, without trailing zeros (`0.0000025`, `12`).
    mutating func exactDecimal(_ attodollars: Int128) {
        if attodollars < 0 { byte(UInt8(ascii: "-")) }
        let magnitude = attodollars.magnitude
        let whole: UInt128
        let fraction: UInt64
        if magnitude <= UInt128(UInt64.max) {
            // Below $18.4: 64-bit division by a constant (a multiplication), not a 128-bit division.
            let (w, f) = UInt64(truncatingIfNeeded: magnitude).quotientAndRemainder(
                dividingBy: 1_000_000_000_000_000_000
            )
            whole = UInt128(w)
            fraction = f
        } else {
            let (w, f) = magnitude.quotientAndRemainder(dividingBy: 1_000_000_000_000_000_000)
            whole = w
            fraction = UInt64(truncatingIfNeeded: f)
        }
        if whole <= UInt128(UInt64.max) {
            unsigned(UInt64(truncatingIfNeeded: whole))
        } else {
            // Only amounts above 1.8e19 dollars reach here.
            let (high, low) = whole.quotientAndRemainder(dividingBy: 10_000_000_000_000_000_000)
            unsigned(UInt64(truncatingIfNeeded: high))
            fixedDigits(UInt64(truncatingIfNeeded: low), count: 19)
        }
        guard fraction != 0 else { return }
        byte(UInt8(ascii: "."))
        fixedDigits(fraction, count: 18)
        while unsafe (cursor - 1).load(as: UInt8.self) == UInt8(ascii: "0") { unsafe cursor -= 1 }
    }

    /// Exactly `count` digits of `value` (below 10^count), leading zeros included.
    @inline(__always)
    mutating func fixedDigits(_ value: UInt64, count: Int) {
        var v = value
        var end = unsafe cursor + count
        unsafe cursor = unsafe end
        var left = count
        while left >= 2 {
            let (q, r) = v.quotientAndRemainder(dividingBy: 100)
            unsafe end -= 2
            unsafe Self.pair(Int(truncatingIfNeeded: r), at: end)
            v = q
            left &-= 2
        }
        if left == 1 {
            unsafe (end - 1).storeBytes(of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10), as: UInt8.self)
        }
    }

    /// The wire form of a timestamp (`2026-11-24T16:02:00.123Z`), ``RFC3339``'s written form stored as its
    /// three words.
    mutating func timestamp(_ value: UTCTimestamp) {
        let (days, millisecondOfDay) = CivilDate.split(milliseconds: value.millisecondsSinceEpoch)
        if days != lastDay {
            lastDate = CivilDate.date(days: days)
            lastDay = days
        }
        let words = RFC3339.writtenWords(date: lastDate, millisecondOfDay: millisecondOfDay)
        unsafe cursor.storeBytes(of: words.0.littleEndian, as: UInt64.self)
        unsafe cursor.storeBytes(of: words.1.littleEndian, toByteOffset: 8, as: UInt64.self)
        unsafe cursor.storeBytes(of: words.2.littleEndian, toByteOffset: 16, as: UInt64.self)
        unsafe cursor += RFC3339.writtenLength
    }

    /// 16 lowercase hex digits (``Hex/digits8(_:)``), stored as two words.
    @inline(__always)
    mutating func hex(_ value: UInt64) {
        unsafe cursor.storeBytes(of: Hex.digits8(UInt32(truncatingIfNeeded: value >> 32)).littleEndian, as: UInt64.self)
        unsafe cursor.storeBytes(
            of: Hex.digits8(UInt32(truncatingIfNeeded: value)).littleEndian,
            toByteOffset: 8,
            as: UInt64.self
        )
        unsafe cursor += 16
    }
}
