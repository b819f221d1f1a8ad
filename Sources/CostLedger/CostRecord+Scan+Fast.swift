package import Attribution
import WireFormat

// The ledger line's fast scanner: byte-level reading of the lines this project writes, straight from the
// reader's buffer, and the safe view the audit reads a scanned line through (``CostRecordFields/subscript(_:)``).
//
// Unsafe code, and the invariant that keeps it safe: every read goes through a base pointer and a length that
// describe one line the caller holds for the duration of the call (`scan(_:)` and the reads after it happen
// inside the reader's per-line callback; the line is neither freed nor changed meanwhile). Each index is
// checked against that length before the byte is read (`i < n`, `i + width + 2 <= n`, `i + 24 <= n` before a
// three-word load), and every stored range lies within the line it was scanned from. The ranges live in memory
// the scanner allocates once and frees in `deinit`; only keys in `present` are read, and only after a scan of
// the line being read.

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
@safe package struct CostRecordFields: ~Copyable {
    /// Bit `k` set when the key of index `k` (``LedgerKey/index``) is present.
    package var present: UInt64 = 0
    /// Byte offsets of each string value's content (between the quotes), by key; meaningful only for keys in
    /// ``present``. One allocation holds both, made once per value and reused by every ``scan(_:)``.
    let starts: UnsafeMutablePointer<Int32>
    let ends: UnsafeMutablePointer<Int32>
    /// The line last scanned: what the ranges are offsets into. Read only through ``subscript(_:)`` inside the
    /// caller's hold on the line (see the invariant at the top of this file).
    var line = unsafe UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    /// Whether every string value is ASCII (so no UTF-8 validation is needed to build strings).
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
    private var successor = InlineArray<35, Int8>(repeating: -1)
    /// The last writer-form date read (its ten bytes as two words) and its day number: kept from line to line.
    private var lastDateHead: UInt64 = 0
    private var lastDateTail: UInt16 = 0
    private var lastDays: Int64?
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

    /// Forgets the previous line (the ranges need no clearing: only keys in ``present`` are read).
    @inline(__always)
    private mutating func reset() {
        present = 0
        allASCII = true
        kind = .call
        isUnit = false
        status = .ok
        timestamp = UTCTimestamp(nanosecondsSinceEpoch: 0)
        startedAt = nil
        usage = TokenUsage()
        costAttodollars = 0
        traceHigh = 0
        traceLow = 0
        leaf = 0
        parent = 0
        root = 0
        attempt = 0
        tagCount = 0
        recordIDIsHex = false
        recordIDHigh = 0
        recordIDLow = 0
    }

    /// Whether the key of index `k` is present.
    func has(_ key: Int) -> Bool { present & (1 &<< UInt64(key)) != 0 }

    /// Whether `key` is present in the line last scanned.
    package func has(_ key: LedgerKey) -> Bool { present & (1 &<< UInt64(key.index)) != 0 }

    /// The byte range of the string value of the key of index `k`.
    func range(_ key: Int) -> Range<Int> { unsafe Int(starts[key])..<Int(ends[key]) }

    /// The bytes of `key`'s string value (between the quotes) in the line last scanned, or nil when that line
    /// has no such key. For `tags`, the object's members between its braces.
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

    /// Scans `line` (no newline). Returns true only for a valid record of kind `call` or `unit`.
    package mutating func scan(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = line.baseAddress, line.count <= CostRecord.LineLimits.maxLineBytes else { return false }
        reset()
        unsafe self.line = unsafe line
        var s = unsafe Scanner(p: p, n: line.count)
        s.skipWhitespace()
        guard s.consume(UInt8(ascii: "{")) else { return false }
        s.skipWhitespace()
        if s.consume(UInt8(ascii: "}")) { return false }  // no `v`: the strict path names it
        let literals = unsafe KeyLiterals.table
        let kinds = unsafe KeyLiterals.kinds
        var next = 0  // the writer's order: the key after the last one read is the likeliest
        var previous = -1  // the key read last (-1: none yet)
        while true {
            let key: Int
            // Whitespace is looked for only when the writer's form (none) does not match.
            if let predicted = unsafe s.predictedKey(from: next, hint: Int(successor[previous &+ 1]), literals) {
                key = predicted
                successor[previous &+ 1] = Int8(truncatingIfNeeded: key)
            } else {
                s.skipWhitespace()
                guard let (keyStart, keyEnd) = s.simpleString(ascii: &allASCII),
                    let found = unsafe KeyLiterals.key(p + keyStart, keyEnd &- keyStart, from: next, literals)
                else { return false }
                key = found
                s.skipWhitespace()
                guard s.consume(UInt8(ascii: ":")) else { return false }
            }
            next = key &+ 1
            previous = key
            let bit: UInt64 = 1 &<< UInt64(key)
            guard present & bit == 0 else { return false }
            present |= bit
            s.skipWhitespace()
            guard unsafe readValue(key, kinds[key], &s) else { return false }
            if s.consume(UInt8(ascii: ",")) { continue }
            s.skipWhitespace()
            if s.consume(UInt8(ascii: ",")) { continue }
            guard s.consume(UInt8(ascii: "}")) else { return false }
            break
        }
        s.skipWhitespace()
        guard s.i == s.n else { return false }
        return unsafe check(p)
    }

    // Transparent rather than `@inline(__always)`, which the optimizer did not honour here (the call stayed, and
    // with it a prologue and the scanner's state in memory for every value: 4% of the audit's instructions).
    @_transparent
    private mutating func readValue(_ key: Int, _ kind: KeyLiterals.ValueKind, _ s: inout Scanner) -> Bool {
        // On the value's kind, a dense enum (a jump table), rather than on the key through 34 constants.
        switch kind {
        case .version:
            guard let value = s.unsignedInteger(), value == 1 else { return false }
        case .tokens:
            guard let value = s.unsignedInteger() else { return false }
            switch key {
            case LedgerKey.inputTokens.index: usage.input = value
            case LedgerKey.outputTokens.index: usage.output = value
            case LedgerKey.cachedInputTokens.index: usage.cachedInput = value
            case LedgerKey.cacheWriteTokens.index: usage.cacheWrite = value
            case LedgerKey.cacheWrite1hTokens.index: usage.cacheWrite1h = value
            default: usage.reasoning = value
            }
        case .attempt:
            guard let value = s.unsignedInteger(), value >= 1, value <= Int64(Int32.max) else { return false }
            attempt = value
        case .cost:
            // A negative amount goes to the strict decoder, which names it as an invalid record.
            guard let value = s.exactDecimal(), value >= 0 else { return false }
            costAttodollars = value
        case .tags:
            return readTags(&s)
        case .recordID:
            // The writer's ids and timestamps have a fixed width: where the string ends is known, and the digits
            // are checked as they are read (a quote, backslash or control byte inside is no digit).
            if let start = s.fixedWidthString(32), let high = unsafe LowercaseHex.parse16(s.p + start),
                let low = unsafe LowercaseHex.parse16(s.p + (start &+ 16))
            {
                setRange(key, start, 32)
                recordIDHigh = high
                recordIDLow = low
                recordIDIsHex = true
                s.i = start &+ 33
                return true
            }
            return readString(key, &s)
        case .timestamp:
            if let start = s.fixedWidthString(24), let value = unsafe writerTimestamp(s.p + start) {
                setRange(key, start, 24)
                if key == LedgerKey.ts.index { timestamp = value } else { startedAt = value }
                s.i = start &+ 25
                return true
            }
            return readString(key, &s)
        case .traceID:
            if let start = s.fixedWidthString(32), let high = unsafe LowercaseHex.parse16(s.p + start),
                let low = unsafe LowercaseHex.parse16(s.p + (start &+ 16)), high | low != 0
            {
                setRange(key, start, 32)
                traceHigh = high
                traceLow = low
                s.i = start &+ 33
                return true
            }
            return readString(key, &s)
        case .unitID:
            if let start = s.fixedWidthString(16), let value = unsafe LowercaseHex.parse16(s.p + start), value != 0 {
                setRange(key, start, 16)
                if key == LedgerKey.leafID.index {
                    leaf = value
                } else if key == LedgerKey.parentID.index {
                    parent = value
                } else {
                    root = value
                }
                s.i = start &+ 17
                return true
            }
            return readString(key, &s)
        case .named:
            return readString(key, &s)
        case .string:
            // provider, model, api_key_id, service_tier, price_source, attribution values: kept as byte ranges.
            guard let (start, end) = s.simpleString(ascii: &allASCII) else { return false }
            unsafe starts[key] = Int32(truncatingIfNeeded: start)
            unsafe ends[key] = Int32(truncatingIfNeeded: end)
            let length = end &- start
            return length >= 1 && length <= CostRecord.LineLimits.maxStringBytes
        }
        return true
    }

    /// A timestamp in the writer's form at `p` (24 bytes). The day is parsed once for a run of records of the
    /// same day (the common case: a file's lines follow the clock), then only the time of day.
    @inline(__always)
    private mutating func writerTimestamp(_ p: UnsafePointer<UInt8>) -> UTCTimestamp? {
        let first = unsafe LineWords.word(p, 0)  // "YYYY-MM-"
        let second = unsafe LineWords.word(p, 8)  // "DDTHH:MM"
        let tail = UInt16(truncatingIfNeeded: second)  // "DD"
        if lastDays == nil || first != lastDateHead || tail != lastDateTail {
            guard let days = RFC3339.writtenDays(littleEndian: first, second) else { return nil }
            lastDays = days
            lastDateHead = first
            lastDateTail = tail
        }
        return lastDays.flatMap {
            unsafe RFC3339.writtenNanoseconds(days: $0, littleEndian: second, LineWords.word(p, 16))
        }.map(UTCTimestamp.init(nanosecondsSinceEpoch:))
    }

    @inline(__always)
    private func setRange(_ key: Int, _ start: Int, _ width: Int) {
        unsafe starts[key] = Int32(truncatingIfNeeded: start)
        unsafe ends[key] = Int32(truncatingIfNeeded: start &+ width)
    }

    /// A string value in general (any length, any key): what ``readValue(_:_:)`` does when the writer's
    /// fixed-width form does not match, and for the rare `kind` and `status`. Out of line, so that the common
    /// path stays small.
    @inline(never)
    private mutating func readString(_ key: Int, _ s: inout Scanner) -> Bool {
        guard let (start, end) = s.simpleString(ascii: &allASCII) else { return false }
        unsafe starts[key] = Int32(truncatingIfNeeded: start)
        unsafe ends[key] = Int32(truncatingIfNeeded: end)
        let length = end - start
        let p = unsafe s.p + start
        switch key {
        case LedgerKey.kind.index:
            if length == 4, unsafe p[0] == UInt8(ascii: "c"), unsafe p[1] == UInt8(ascii: "a"),
                unsafe p[2] == UInt8(ascii: "l"),
                unsafe p[3] == UInt8(ascii: "l")
            {
                kind = .call
            } else if length == 4, unsafe p[0] == UInt8(ascii: "u"), unsafe p[1] == UInt8(ascii: "n"),
                unsafe p[2] == UInt8(ascii: "i"), unsafe p[3] == UInt8(ascii: "t")
            {
                kind = .unit
                isUnit = true
            } else {
                return false
            }
        case LedgerKey.status.index:
            if length == 2, unsafe p[0] == UInt8(ascii: "o"), unsafe p[1] == UInt8(ascii: "k") {
                status = .ok
            } else if length == 5, unsafe p[0] == UInt8(ascii: "e"), unsafe p[1] == UInt8(ascii: "r"),
                unsafe p[2] == UInt8(ascii: "r"), unsafe p[3] == UInt8(ascii: "o"), unsafe p[4] == UInt8(ascii: "r")
            {
                status = .error
            } else {
                return false
            }
        case LedgerKey.ts.index:
            guard let value = unsafe LineWords.timestamp(p, length) else { return false }
            timestamp = value
        case LedgerKey.startedAt.index:
            guard let value = unsafe LineWords.timestamp(p, length) else { return false }
            startedAt = value
        case LedgerKey.traceID.index:
            guard length == 32, let high = unsafe LowercaseHex.parse16(p),
                let low = unsafe LowercaseHex.parse16(p + 16),
                high | low != 0
            else { return false }
            traceHigh = high
            traceLow = low
        case LedgerKey.leafID.index, LedgerKey.parentID.index, LedgerKey.rootID.index:
            guard length == 16, let value = unsafe LowercaseHex.parse16(p), value != 0 else { return false }
            if key == LedgerKey.leafID.index {
                leaf = value
            } else if key == LedgerKey.parentID.index {
                parent = value
            } else {
                root = value
            }
        default:
            // record_id, provider, model, api_key_id, service_tier, price_source, attribution values.
            guard length >= 1, length <= CostRecord.LineLimits.maxStringBytes else { return false }
        }
        return true
    }

    private mutating func readTags(_ s: inout Scanner) -> Bool {
        guard s.consume(UInt8(ascii: "{")) else { return false }
        unsafe starts[LedgerKey.tags.index] = Int32(truncatingIfNeeded: s.i)
        s.skipWhitespace()
        // The range is the members, between the braces (the closing brace left out).
        if s.consume(UInt8(ascii: "}")) {
            unsafe ends[LedgerKey.tags.index] = Int32(truncatingIfNeeded: s.i &- 1)
            return true
        }
        // Keys of at most 64 bytes from [a-z0-9_.-]; duplicates are found when the dictionary is built.
        while true {
            guard let (keyStart, keyEnd) = s.simpleString(ascii: &allASCII) else { return false }
            guard
                unsafe AttributionEnvelope.isTagKey(
                    UnsafeBufferPointer(start: s.p + keyStart, count: keyEnd - keyStart)
                )
            else {
                return false
            }
            s.skipWhitespace()
            guard s.consume(UInt8(ascii: ":")) else { return false }
            s.skipWhitespace()
            guard let (valueStart, valueEnd) = s.simpleString(ascii: &allASCII) else { return false }
            let length = valueEnd - valueStart
            guard length >= 1, length <= CostRecord.LineLimits.maxStringBytes else { return false }
            tagCount += 1
            guard tagCount <= CostRecord.LineLimits.maxTags else { return false }
            s.skipWhitespace()
            if s.consume(UInt8(ascii: ",")) {
                s.skipWhitespace()
                continue
            }
            guard s.consume(UInt8(ascii: "}")) else { return false }
            unsafe ends[LedgerKey.tags.index] = Int32(truncatingIfNeeded: s.i &- 1)
            return true
        }
    }

    /// The cross-field rules of the table. (`mutating` though it changes nothing: called from ``scan(_:)`` as a
    /// borrowing method, it was handed a copy of the scanner's 300 bytes for every line.)
    private mutating func check(_ p: UnsafePointer<UInt8>) -> Bool {
        guard has(LedgerKey.v.index), has(LedgerKey.recordID.index), has(LedgerKey.ts.index) else { return false }
        if !isUnit {
            guard has(LedgerKey.provider.index), has(LedgerKey.model.index), has(LedgerKey.inputTokens.index),
                has(LedgerKey.outputTokens.index)
            else { return false }
        } else {
            // A unit: `record_id` is exactly "unit:" + its 16-hex leaf id.
            guard has(LedgerKey.leafID.index) else { return false }
            let r = range(LedgerKey.recordID.index)
            guard r.count == 21, unsafe memcmpUnit(p + r.lowerBound),
                unsafe LowercaseHex.parse16(p + r.lowerBound + 5) == leaf
            else { return false }
        }
        let (partial, o1) = usage.cachedInput.addingReportingOverflow(usage.cacheWrite)
        let (subsets, o2) = partial.addingReportingOverflow(usage.cacheWrite1h)
        guard !o1, !o2, subsets <= usage.input, usage.reasoning <= usage.output else { return false }
        return true
    }

    private func memcmpUnit(_ p: UnsafePointer<UInt8>) -> Bool {
        unsafe p[0] == UInt8(ascii: "u") && p[1] == UInt8(ascii: "n") && p[2] == UInt8(ascii: "i")
            && p[3] == UInt8(ascii: "t") && p[4] == UInt8(ascii: ":")
    }

    static func makeString(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, ascii: Bool) -> String? {
        let buffer = unsafe UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        if ascii { return unsafe String(decoding: buffer, as: UTF8.self) }
        return unsafe String(validating: buffer, as: UTF8.self)
    }

    /// Builds the record from a successful ``scan(_:)`` of the same `line`; nil when a string is not valid
    /// UTF-8 or a tag key repeats (the strict path then names the fault).
    package func makeRecord(_ line: UnsafeBufferPointer<UInt8>) -> CostRecord? {
        guard let base = line.baseAddress else { return nil }
        let ascii = allASCII
        func text(_ key: Int) -> String?? {
            guard has(key) else { return .some(nil) }
            guard let s = unsafe Self.makeString(base, range(key), ascii: ascii) else { return nil }
            return .some(s)
        }
        guard let recordID = text(LedgerKey.recordID.index), let recordID,
            let provider = text(LedgerKey.provider.index), let model = text(LedgerKey.model.index),
            let apiKeyID = text(LedgerKey.apiKeyID.index), let serviceTier = text(LedgerKey.serviceTier.index),
            let priceSource = text(LedgerKey.priceSource.index)
        else { return nil }
        var attribution: [AttributionField: String] = [:]
        let attributionBits = present >> UInt64(LedgerKey.userID.index) & 0x3FF
        if attributionBits != 0 {
            attribution.reserveCapacity(attributionBits.nonzeroBitCount)
            for field in AttributionField.all where has(LedgerKey.userID.index + field.order) {
                let r = range(LedgerKey.userID.index + field.order)
                guard let value = unsafe Self.makeString(base, r, ascii: ascii) else { return nil }
                attribution[field] = value
            }
        }
        var tags: [String: String] = [:]
        if tagCount > 0 {
            tags.reserveCapacity(tagCount)
            var s = unsafe Scanner(p: base, n: Int(ends[LedgerKey.tags.index]))
            s.i = unsafe Int(starts[LedgerKey.tags.index])
            var unused = true
            for _ in 0..<tagCount {
                s.skipWhitespace()
                guard let (ks, ke) = s.simpleString(ascii: &unused) else { return nil }
                s.skipWhitespace()
                _ = s.consume(UInt8(ascii: ":"))
                s.skipWhitespace()
                guard let (vs, ve) = s.simpleString(ascii: &unused),
                    let key = unsafe Self.makeString(base, ks..<ke, ascii: ascii),
                    let value = unsafe Self.makeString(base, vs..<ve, ascii: ascii)
                else { return nil }
                guard tags.updateValue(value, forKey: key) == nil else { return nil }
                s.skipWhitespace()
                _ = s.consume(UInt8(ascii: ","))
            }
        }
        return CostRecord(
            recordID: recordID,
            kind: kind,
            timestamp: timestamp,
            startedAt: startedAt,
            provider: provider,
            model: model,
            apiKeyID: apiKeyID,
            serviceTier: serviceTier,
            usage: usage,
            costUSD: has(LedgerKey.costUSD.index) ? Money(attodollars: costAttodollars) : nil,
            priceSource: priceSource,
            status: status,
            traceID: has(LedgerKey.traceID.index) ? TraceID(high: traceHigh, low: traceLow) : nil,
            leafID: has(LedgerKey.leafID.index) ? LeafID(rawValue: leaf) : nil,
            parentID: has(LedgerKey.parentID.index) ? LeafID(rawValue: parent) : nil,
            rootID: has(LedgerKey.rootID.index) ? LeafID(rawValue: root) : nil,
            attempt: has(LedgerKey.attempt.index) ? Int(attempt) : nil,
            attribution: attribution,
            tags: tags
        )
    }
}

/// One string value of a scanned ledger line: its bytes, read where they lie in the line (no copy), with every
/// safe access checked against the value's length.
///
/// Four words, returned in registers, and all stored: calls into this module from another are not inlined,
/// so the audit, which reads a value for every field of every record, reads these properties directly.
@safe package struct LedgerFieldBytes {
    /// Where the value's bytes start in the line (valid while the line is: the reader's callback).
    package let unsafeStart: UnsafePointer<UInt8>
    /// The value's length in bytes.
    package let count: Int
    /// How many bytes of the line there are from ``unsafeStart`` on (at least ``count``): word loads may read
    /// this far.
    package let bytesToLineEnd: Int
    /// The index of the value's key (``LedgerKey/index``).
    package let keyIndex: Int

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
    package var unsafeBytes: UnsafeBufferPointer<UInt8> { unsafe UnsafeBufferPointer(start: unsafeStart, count: count) }
}

/// A cursor over one line's bytes.
@safe private struct Scanner {
    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0

    init(p: UnsafePointer<UInt8>, n: Int) {
        unsafe self.p = unsafe p
        self.n = n
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < n {
            let b = unsafe p[i]
            // Every byte above the space is not whitespace: one comparison for the writer's form.
            guard b <= 0x20, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else { return }
            i += 1
        }
    }

    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        guard i < n, unsafe p[i] == byte else { return false }
        i += 1
        return true
    }

    /// When the string here is exactly `width` bytes long (a quote that far on): where its content starts.
    @inline(__always)
    func fixedWidthString(_ width: Int) -> Int? {
        guard i &+ width &+ 2 <= n, unsafe p[i] == UInt8(ascii: "\""), unsafe p[i &+ width &+ 1] == UInt8(ascii: "\"")
        else {
            return nil
        }
        return i &+ 1
    }

    /// At a key: when it is `"name":` for one of the keys from `first` on in the writer's order, consumes it
    /// and returns that key. Compares eight bytes at a time against the keys' literal forms.
    /// `hint` (the key that followed the previous one on an earlier line, -1 for none) is tried first.
    @inline(__always)
    mutating func predictedKey(
        from first: Int,
        hint: Int,
        _ literals: UnsafePointer<KeyLiterals.Literal>
    ) -> Int? {
        guard i &+ 24 <= n else { return nil }
        let raw = unsafe UnsafeRawPointer(p + i)
        let w0 = unsafe raw.loadUnaligned(as: UInt64.self)
        if hint >= first, unsafe literal(hint, w0, raw, literals) { return hint }
        var k = first
        while k < LedgerKey.count {
            if unsafe literal(k, w0, raw, literals) { return k }
            k &+= 1
        }
        return nil
    }

    /// Whether key `k`'s literal `"name":` is at the cursor (whose first word is `w0`); consumed when it is.
    @inline(__always)
    private mutating func literal(
        _ k: Int,
        _ w0: UInt64,
        _ raw: UnsafeRawPointer,
        _ literals: UnsafePointer<KeyLiterals.Literal>
    ) -> Bool {
        let literal = unsafe literals[k]
        guard w0 & literal.mask0 == literal.word0 else { return false }
        if literal.length > 8 {
            guard unsafe raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & literal.mask1 == literal.word1 else {
                return false
            }
            if literal.length > 16 {
                guard unsafe raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self) & literal.mask2 == literal.word2
                else {
                    return false
                }
            }
        }
        i &+= literal.length
        return true
    }

    /// A string with no escapes and no control characters: returns its content's byte range and clears
    /// `ascii` when a byte ≥ 0x80 appears. Nil for anything else.
    @inline(__always)
    mutating func simpleString(ascii: inout Bool) -> (Int, Int)? {
        guard i < n, unsafe p[i] == UInt8(ascii: "\"") else { return nil }
        let start = i + 1
        var j = start
        var high: UInt64 = 0
        // Eight bytes at a time while none is a quote, a backslash or a control character (SWAR zero-byte tests;
        // a false alarm only hands the word to the byte loop).
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        while j &+ 8 <= n {
            let x = unsafe UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self)
            let quote = x ^ (ones &* 0x22)
            let backslash = x ^ (ones &* 0x5C)
            let stop =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((x &- ones &* 0x20) & ~x)
            let found = stop & tops
            if found != 0 {
                // The lowest flagged byte is a true hit (a borrow can only flag bytes above it).
                let at = found.trailingZeroBitCount >> 3
                guard unsafe p[j &+ at] == UInt8(ascii: "\"") else { return nil }
                let before = at == 0 ? 0 : x & (UInt64.max >> UInt64(64 &- 8 &* at))
                if (high | before) & tops != 0 { ascii = false }
                i = j &+ at &+ 1
                return (start, j &+ at)
            }
            high |= x
            j &+= 8
        }
        while j < n {
            let b = unsafe p[j]
            if b == UInt8(ascii: "\"") {
                if high & tops != 0 { ascii = false }
                i = j + 1
                return (start, j)
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
            high |= UInt64(b)
            j += 1
        }
        return nil
    }

    /// A non-negative JSON integer in minimal form of at most 18 digits, followed by no fraction or exponent.
    @inline(__always)
    mutating func unsignedInteger() -> Int64? {
        guard i < n else { return nil }
        let first = unsafe p[i]
        guard first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        var value = Int64(first &- UInt8(ascii: "0"))
        i += 1
        if first == UInt8(ascii: "0") {
            guard unsafe i >= n || !isNumberByte(p[i]) else { return nil }
            return 0
        }
        var digits = 1
        while i < n, unsafe p[i] >= UInt8(ascii: "0"), unsafe p[i] <= UInt8(ascii: "9") {
            digits += 1
            guard digits <= 18 else { return nil }
            value = unsafe value &* 10 &+ Int64(p[i] &- UInt8(ascii: "0"))
            i += 1
        }
        guard unsafe i >= n || !isNumberByte(p[i]) else { return nil }
        return value
    }

    @inline(__always)
    func isNumberByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e")
            || b == UInt8(ascii: "E") || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
    }

    /// A JSON number without exponent, at most 18 integer and 18 fraction digits, in attodollars.
    mutating func exactDecimal() -> Int128? {
        guard i < n else { return nil }
        var negative = false
        if unsafe p[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < n, unsafe p[i] >= UInt8(ascii: "0"), unsafe p[i] <= UInt8(ascii: "9") else { return nil }
        var whole: Int64 = 0
        if unsafe p[i] == UInt8(ascii: "0") {
            i += 1
            if i < n, unsafe p[i] >= UInt8(ascii: "0"), unsafe p[i] <= UInt8(ascii: "9") { return nil }
        } else {
            var digits = 0
            while i < n, unsafe p[i] >= UInt8(ascii: "0"), unsafe p[i] <= UInt8(ascii: "9") {
                digits += 1
                guard digits <= 18 else { return nil }
                whole = unsafe whole &* 10 &+ Int64(p[i] &- UInt8(ascii: "0"))
                i += 1
            }
        }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if i < n, unsafe p[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, unsafe p[i] >= UInt8(ascii: "0"), unsafe p[i] <= UInt8(ascii: "9") {
                fractionDigits += 1
                guard fractionDigits <= 18 else { return nil }
                fraction = unsafe fraction &* 10 &+ Int64(p[i] &- UInt8(ascii: "0"))
                i += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        guard unsafe i >= n || !isNumberByte(p[i]) else { return nil }
        // Both parts are below 10¹⁸: the fraction scaled to 18 places stays below 10¹⁸ (an Int64), and the
        // whole part times 10¹⁸ below 10³⁶ (a product of two words).
        let scaled = fraction &* Self.powersOfTen[18 &- fractionDigits]
        let value = Int128(whole) &* 1_000_000_000_000_000_000 &+ Int128(scaled)
        return negative ? 0 &- value : value
    }

    /// 10⁰ through 10¹⁸.
    private static let powersOfTen: [Int64] = (0...18).map { (0..<$0).reduce(Int64(1)) { value, _ in value &* 10 } }
}

/// Every known key's written forms, built from ``LedgerKey/name`` at first use: `"name":` for the scanner's
/// ``Scanner/predictedKey(from:hint:_:)``, `,"name":` for the writer.
enum KeyLiterals {
    /// How a key's value is read.
    enum ValueKind: UInt8 {
        /// `v`.
        case version
        /// The token counts.
        case tokens
        case attempt
        /// `cost_usd`.
        case cost
        case tags
        case recordID
        /// `ts`, `started_at`.
        case timestamp
        case traceID
        /// `leaf_id`, `parent_id`, `root_id`.
        case unitID
        /// `kind`, `status`: one of a few names.
        case named
        /// Any other string: provider, model, key, tier, price source, attribution.
        case string
    }

    /// Each key's ``ValueKind``, by ``LedgerKey/index`` (built once, never freed).
    nonisolated(unsafe) static let kinds: UnsafePointer<ValueKind> = {
        let kinds = UnsafeMutablePointer<ValueKind>.allocate(capacity: LedgerKey.count)
        for key in LedgerKey.allCases {
            let kind: ValueKind
            switch key {
            case .v: kind = .version
            case .inputTokens, .outputTokens, .cachedInputTokens, .cacheWriteTokens, .cacheWrite1hTokens,
                .reasoningTokens:
                kind = .tokens
            case .attempt: kind = .attempt
            case .costUSD: kind = .cost
            case .tags: kind = .tags
            case .recordID: kind = .recordID
            case .ts, .startedAt: kind = .timestamp
            case .traceID: kind = .traceID
            case .leafID, .parentID, .rootID: kind = .unitID
            case .kind, .status: kind = .named
            default: kind = .string
            }
            unsafe (kinds + key.index).initialize(to: kind)
        }
        return unsafe UnsafePointer(kinds)
    }()

    /// A key's `"name":` form (at most 24 bytes) as three little-endian words with masks.
    struct Literal {
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        var word2: UInt64 = 0
        var mask0: UInt64 = 0
        var mask1: UInt64 = 0
        var mask2: UInt64 = 0
        var length = 0

        /// The literal's byte at `offset` (below ``length``).
        func byte(_ offset: Int) -> UInt8 {
            let word = offset < 8 ? word0 : offset < 16 ? word1 : word2
            return UInt8(truncatingIfNeeded: word >> UInt64(8 &* (offset & 7)))
        }
    }

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

    /// `bytes` as little-endian words, zero-padded.
    private static func words(_ bytes: [UInt8], _ count: Int) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: count)
        for (offset, byte) in bytes.enumerated() { words[offset / 8] |= UInt64(byte) << UInt64(8 * (offset % 8)) }
        return words
    }

    /// Every key's ``Literal``, by ``LedgerKey/index``, made from ``LedgerKey/name``: built once, never freed.
    nonisolated(unsafe) static let table: UnsafePointer<Literal> = {
        let table = UnsafeMutablePointer<Literal>.allocate(capacity: LedgerKey.count)
        for key in LedgerKey.allCases {
            let bytes = Array("\"\(key.name)\":".utf8)
            let words = words(bytes, 3)
            let masks = Self.words([UInt8](repeating: 0xFF, count: bytes.count), 3)
            var literal = Literal()
            literal.length = bytes.count
            (literal.word0, literal.word1, literal.word2) = (words[0], words[1], words[2])
            (literal.mask0, literal.mask1, literal.mask2) = (masks[0], masks[1], masks[2])
            unsafe (table + key.index).initialize(to: literal)
        }
        return unsafe UnsafePointer(table)
    }()

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

    /// The index of the key whose name is the `length` bytes at `p`, or nil for a key this version does not
    /// know: for lines the predicted order misses (spaced, reordered, or a key too near the line's end for the
    /// word compare). Tried in the writer's order from `first` (the key after the last one read), then from the
    /// start, so that a writer's line finds its key at once.
    static func key(
        _ p: UnsafePointer<UInt8>,
        _ length: Int,
        from first: Int,
        _ literals: UnsafePointer<Literal>
    ) -> Int? {
        func matches(_ k: Int) -> Bool {
            let literal = unsafe literals[k]
            guard literal.length == length &+ 3 else { return false }
            for j in 0..<length where unsafe literal.byte(j &+ 1) != p[j] { return false }
            return true
        }
        for k in first..<LedgerKey.count where matches(k) { return k }
        for k in 0..<min(first, LedgerKey.count) where matches(k) { return k }
        return nil
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

/// A line's bytes loaded as words for WireFormat's readers; the caller keeps every word loaded inside the line.
private enum LineWords {
    /// The eight bytes at `p + offset`, first byte in the least significant bits.
    static func word(_ p: UnsafePointer<UInt8>, _ offset: Int) -> UInt64 {
        unsafe UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The timestamp of the `length` bytes at `p`: the writer's form (``RFC3339/writtenDays(littleEndian:_:)``)
    /// read directly, other forms through ``UTCTimestamp``'s full RFC 3339 parser, to the whole millisecond.
    static func timestamp(_ p: UnsafePointer<UInt8>, _ length: Int) -> UTCTimestamp? {
        if length == RFC3339.writtenLength, let days = unsafe RFC3339.writtenDays(littleEndian: word(p, 0), word(p, 8)),
            let nanoseconds = unsafe RFC3339.writtenNanoseconds(days: days, littleEndian: word(p, 8), word(p, 16))
        {
            return UTCTimestamp(nanosecondsSinceEpoch: nanoseconds)
        }
        let parsed = unsafe try? UTCTimestamp(
            utf8: UnsafeBufferPointer(start: p, count: length),
            field: LedgerKey.ts.name
        )
        // Kept to the millisecond, as the strict decoder keeps it.
        return parsed?.ledgerMillisecond
    }
}
