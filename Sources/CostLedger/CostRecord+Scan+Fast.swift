package import Attribution
import WireFormat

// Where the ledger line's fast scanner meets raw memory: the entry points that take a line as the reader's
// `UnsafeBufferPointer` and hand it to the safe scanner (CostRecord+Scan.swift) as a `Span`, the safe view the
// audit reads a scanned line through (``CostRecordFields/subscript(_:)``), and the writer's key table.
//
// Unsafe code, and the invariant that keeps it safe: a line's buffer is one line the caller holds for the
// duration of the call (`scan(_:)` and the reads after it happen inside the reader's per-line callback; the
// line is neither freed nor changed meanwhile), so the `Span` made of it lives only during `scan(_:)` or
// `makeRecord(_:)`, which read it with checked indices. The buffer kept for ``CostRecordFields/subscript(_:)``
// is read only within the ranges the scan stored, all inside that line, and only for keys in `present`
// after a scan of the line being read. The ranges live in memory the value allocates once and frees in
// `deinit`, indexed by a key's index, which is checked to be below ``LedgerKey/count``.

/// A record line's fields as the fast scanner reads them: byte ranges of string values, parsed integers, ids,
/// timestamps and the exact cost — no `String` built. The audit can read lines through this without allocating
/// per record; ``makeRecord(_:)`` builds the ``CostRecord``.
///
/// ``scan(_:)`` accepts only what the strict decoder accepts, with every rule checked; when it returns false
/// the line may still be valid (escapes, unknown keys, nested values), and the strict path decides.
///
/// After a successful ``scan(_:)``, `fields[key]` is the bytes of that key's string value in the line scanned
/// (``LedgerFieldBytes``, a checked view), or nil when the line has no such key: the audit reads lines this
/// way.
///
/// Not copyable: the value ranges live in memory this value owns, so reading them never copies the fields
/// (a copy per record was a measurable part of the audit's reading).
@safe @usableFromInline package struct CostRecordFields: ~Copyable {
    /// Bit `k` set when the key of index `k` (``LedgerKey/index``) is present.
    @usableFromInline package var present: UInt64 = 0
    /// Byte offsets of each string value's content (between the quotes), by key; meaningful only for keys in
    /// ``present``. One allocation holds both, made once per value and reused by every ``scan(_:)``; written
    /// through ``setRange(_:_:_:)`` and read through ``range(_:)``, with a key's index (below
    /// ``LedgerKey/count``). (Fixed-size arrays stored in the value made every audit read of a field slower.)
    @usableFromInline let starts: UnsafeMutablePointer<Int32>
    @usableFromInline let ends: UnsafeMutablePointer<Int32>
    /// The line last scanned: what the ranges are offsets into. Read only through ``subscript(_:)`` inside the
    /// caller's hold on the line (see the invariant at the top of this file).
    @usableFromInline var line = unsafe UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    /// Whether every string value is ASCII.
    package var allASCII = true
    package var kind = CostRecord.Kind.call
    /// Whether ``kind`` is `unit`, as a flag (comparing kinds compares their names).
    package var isUnit = false
    package var status = CostRecord.Status.ok
    package var timestamp = UTCTimestamp(nanosecondsSinceEpoch: 0)
    package var startedAt: UTCTimestamp?
    package var usage = TokenUsage()
    package var costAttodollars: Int128 = 0
    package var traceHigh: UInt64 = 0
    package var traceLow: UInt64 = 0
    /// The unit ids and the attempt: 0 when the line has none (every scan starts from 0).
    package var leaf: UInt64 = 0
    package var parent: UInt64 = 0
    package var root: UInt64 = 0
    package var attempt: Int64 = 0
    /// Number of `tags` entries.
    package var tagCount = 0
    /// Per key read (index: the key + 1; 0: the object's start), the key that followed it the last time the
    /// writer's form matched (-1: none yet): lines of one writer share their shape, so it is tried first. Kept
    /// from line to line.
    var successor = InlineArray<35, Int8>(repeating: -1)
    /// The last writer-form date read (its ten bytes as two words) and its day number: kept from line to line.
    var lastDateHead: UInt64 = 0
    var lastDateTail: UInt16 = 0
    var lastDays: Int64?
    /// When the record id is exactly 32 lowercase hex digits (as this project's writer mints them): its value.
    package var recordIDIsHex = false
    package var recordIDHigh: UInt64 = 0
    package var recordIDLow: UInt64 = 0

    package init() {
        unsafe starts = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * LedgerKey.count)
        unsafe starts.initialize(repeating: 0, count: 2 * LedgerKey.count)
        unsafe ends = unsafe starts + LedgerKey.count
    }

    deinit { unsafe starts.deallocate() }

    /// The byte range of the string value of the key of index `k` (below ``LedgerKey/count``).
    func range(_ key: Int) -> Range<Int> {
        precondition(key >= 0 && key < LedgerKey.count)
        return unsafe Int(starts[key])..<Int(ends[key])
    }

    /// Stores the byte range of the value of the key of index `k` (below ``LedgerKey/count``).
    // Always inlined, as on main before the scanner moved onto the JSON core: left to the optimizer, it was a
    // call per string value of every record (1.1% of the audit's samples on the benchmark ledger).
    @inline(__always)
    mutating func setRange(_ key: Int, _ start: Int, _ end: Int) {
        precondition(UInt(bitPattern: key) < UInt(LedgerKey.count))
        unsafe starts[key] = Int32(truncatingIfNeeded: start)
        unsafe ends[key] = Int32(truncatingIfNeeded: end)
    }

    /// Scans `line` (no newline). Returns true only for a valid record of kind `call` or `unit`.
    package mutating func scan(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        unsafe self.line = unsafe line
        return unsafe scan(span: Span(_unsafeElements: line))
    }

    /// Builds the record from a successful ``scan(_:)`` of the same `line`; nil when a string is not valid
    /// UTF-8 or a tag key repeats (the strict path then names the fault).
    package func makeRecord(_ line: UnsafeBufferPointer<UInt8>) -> CostRecord? {
        unsafe makeRecord(span: Span(_unsafeElements: line))
    }

    /// The bytes of `key`'s string value (between the quotes) in the line last scanned, or nil when that line
    /// has no such key. For `tags`, the object's members between its braces.
    // Inlined into the audit (see ``LedgerFieldBytes``): as a call, 2.9% of the samples of the audit of the
    // benchmark ledger.
    @inlinable
    package subscript(_ key: LedgerKey) -> LedgerFieldBytes? {
        let k = key.index
        guard present & (1 &<< UInt64(k)) != 0, let base = unsafe line.baseAddress else { return nil }
        let lower = unsafe Int(starts[k])
        return unsafe LedgerFieldBytes(
            start: base + lower,
            count: Int(ends[k]) &- lower,
            bytesToLineEnd: line.count &- lower,
            keyIndex: k
        )
    }
}

/// One string value of a scanned ledger line: its bytes, read where they lie in the line (no copy), with every
/// safe access checked against the value's length.
///
/// Four words, all stored. The type, ``CostRecordFields`` and ``LedgerKey`` are `@usableFromInline`: with
/// Swift 6.3.1 a `package` type's `@inlinable` members are inlined into another module (the audit reads a value
/// for every field of every record) only when the type itself is; otherwise each read was a call.
@safe @usableFromInline package struct LedgerFieldBytes {
    /// Where the value's bytes start in the line (valid while the line is: the reader's callback).
    @usableFromInline package let unsafeStart: UnsafePointer<UInt8>
    /// The value's length in bytes.
    @usableFromInline package let count: Int
    /// How many bytes of the line there are from ``unsafeStart`` on (at least ``count``): word loads may read
    /// this far.
    @usableFromInline package let bytesToLineEnd: Int
    /// The index of the value's key (``LedgerKey/index``).
    @usableFromInline package let keyIndex: Int

    @usableFromInline
    init(start: UnsafePointer<UInt8>, count: Int, bytesToLineEnd: Int, keyIndex: Int) {
        unsafe self.unsafeStart = unsafe start
        self.count = count
        self.bytesToLineEnd = bytesToLineEnd
        self.keyIndex = keyIndex
    }

    /// The byte at `offset` (0 ..< ``count``).
    package subscript(offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < count, "offset out of the value")
        return unsafe unsafeStart[offset]
    }

    /// The value's bytes, for stores that copy or hash them: valid only while the line is (the reader's
    /// callback), and never to be kept.
    @inlinable package var unsafeBytes: UnsafeBufferPointer<UInt8> {
        unsafe UnsafeBufferPointer(start: unsafeStart, count: count)
    }
}

/// Lowercase hex of a line's bytes, read by ``Hex`` (WireFormat) from the words loaded here.
package enum LowercaseHex {
    /// Sixteen lowercase hex digits at `p` as a number, or nil when any byte is not one. The caller keeps
    /// `p ..< p + 16` inside the line's buffer.
    @inlinable @inline(__always)
    package static func parse16(_ p: UnsafePointer<UInt8>) -> UInt64? {
        let raw = unsafe UnsafeRawPointer(p)
        return unsafe Hex.parse16(
            littleEndian: UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)),
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        )
    }
}

/// The writer's key table (LineWriter+Unsafe.swift copies each key's form as words).
extension KeyLiterals {
    /// A key's `,"name":` form (at most 25 bytes), as the writer copies it: the words from the start, and the
    /// last eight bytes (the last four for a form shorter than eight) as one word, so that a copy of exactly
    /// ``length`` bytes takes a few stores and no loop.
    struct Member {
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        var word2: UInt64 = 0
        var tail: UInt64 = 0
        var length = 0
    }

    /// Every key's ``Member``, by ``LedgerKey/index``, made from ``LedgerKey/name``: built once, never freed.
    nonisolated(unsafe) static let members: UnsafePointer<Member> = {
        let table = UnsafeMutablePointer<Member>.allocate(capacity: LedgerKey.count)
        for key in LedgerKey.allCases {
            let bytes = Array(",\"\(key.name)\":".utf8)
            let words = words(bytes, 4)
            let tailBytes = Array(bytes.suffix(bytes.count >= 8 ? 8 : 4))
            var member = Member()
            member.length = bytes.count
            (member.word0, member.word1, member.word2) = (words[0], words[1], words[2])
            member.tail = Self.words(tailBytes, 1)[0]
            unsafe (table + key.index).initialize(to: member)
        }
        return unsafe UnsafePointer(table)
    }()
}
