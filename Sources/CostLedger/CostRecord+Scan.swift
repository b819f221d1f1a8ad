import Attribution
import WireFormat

// The ledger line's fast scanner, in safe code over a `Span` of the line: what knows the ledger's schema (which
// key is which, the writer's key order and fixed-width values, the date cache, building ids, timestamps and
// the exact cost) on top of the JSON reader core (``JSONTokenizer``'s span functions), which does every lexical
// read: whitespace, strings (their one UTF-8 validation, escapes), numbers. The record's storage and the entry
// points that take the reader's buffer are in CostRecord+Scan+Fast.swift.

extension CostRecordFields {
    /// Forgets the previous line (the ranges need no clearing: only keys in ``present`` are read).
    @inline(__always)
    mutating func reset() {
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

    /// Scans `line` (no newline). Returns true only for a valid record of kind `call` or `unit`.
    mutating func scan(span line: Span<UInt8>) -> Bool {
        guard line.count <= CostRecord.LineLimits.maxLineBytes else { return false }
        reset()
        var i = 0
        guard JSONTokenizer.consume(UInt8(ascii: "{"), line, &i) else { return false }
        if JSONTokenizer.consume(UInt8(ascii: "}"), line, &i) { return false }  // no `v`: the strict path names it
        let literals = KeyLiterals.literals
        let kinds = KeyLiterals.kinds
        var next = 0  // the writer's order: the key after the last one read is the likeliest
        var previous = -1  // the key read last (-1: none yet)
        while true {
            let key: Int
            // Whitespace is looked for only when the writer's form (none) does not match.
            if let predicted = Self.predictedKey(
                line,
                &i,
                from: next,
                hint: Int(successor[previous &+ 1]),
                literals
            ) {
                key = predicted
                successor[previous &+ 1] = Int8(truncatingIfNeeded: key)
            } else {
                JSONTokenizer.skipWhitespace(line, &i)
                guard let (keyStart, keyEnd) = simpleString(line, &i),
                    let found = KeyLiterals.key(line, keyStart..<keyEnd, from: next, literals),
                    JSONTokenizer.consume(UInt8(ascii: ":"), line, &i)
                else { return false }
                key = found
            }
            next = key &+ 1
            previous = key
            let bit: UInt64 = 1 &<< UInt64(key)
            guard present & bit == 0 else { return false }
            present |= bit
            JSONTokenizer.skipWhitespace(line, &i)
            guard readValue(key, kinds[key], line, &i) else { return false }
            if JSONTokenizer.consume(UInt8(ascii: ","), line, &i) { continue }
            guard JSONTokenizer.consume(UInt8(ascii: "}"), line, &i) else { return false }
            break
        }
        JSONTokenizer.skipWhitespace(line, &i)
        guard i == line.count else { return false }
        return check(line)
    }

    // Transparent: called once per value, and its switch is the scanner's inner loop.
    @_transparent
    private mutating func readValue(
        _ key: Int,
        _ kind: KeyLiterals.ValueKind,
        _ line: Span<UInt8>,
        _ i: inout Int
    ) -> Bool {
        // On the value's kind, a dense enum (a jump table), rather than on the key through 34 constants.
        switch kind {
        case .version:
            guard let value = Self.unsignedInteger(line, &i), value == 1 else { return false }
        case .tokens:
            guard let value = Self.unsignedInteger(line, &i) else { return false }
            switch key {
            case LedgerKey.inputTokens.index: usage.input = value
            case LedgerKey.outputTokens.index: usage.output = value
            case LedgerKey.cachedInputTokens.index: usage.cachedInput = value
            case LedgerKey.cacheWriteTokens.index: usage.cacheWrite = value
            case LedgerKey.cacheWrite1hTokens.index: usage.cacheWrite1h = value
            default: usage.reasoning = value
            }
        case .attempt:
            guard let value = Self.unsignedInteger(line, &i), value >= 1, value <= Int64(Int32.max) else {
                return false
            }
            attempt = value
        case .cost:
            // A negative amount goes to the strict decoder, which names it as an invalid record.
            guard let value = Self.exactDecimal(line, &i), value >= 0 else { return false }
            costAttodollars = value
        case .tags:
            return readTags(line, &i)
        case .recordID:
            // The writer's ids and timestamps have a fixed width: where the string ends is known, and the digits
            // are checked as they are read (a quote, backslash or control byte inside is no digit).
            if let start = Self.fixedWidthString(32, line, i), let high = Self.hex16(line, start),
                let low = Self.hex16(line, start &+ 16)
            {
                setRange(key, start, start &+ 32)
                recordIDHigh = high
                recordIDLow = low
                recordIDIsHex = true
                i = start &+ 33
                return true
            }
            return readString(key, line, &i)
        case .timestamp:
            if let start = Self.fixedWidthString(24, line, i), let value = writerTimestamp(line, start) {
                setRange(key, start, start &+ 24)
                if key == LedgerKey.ts.index { timestamp = value } else { startedAt = value }
                i = start &+ 25
                return true
            }
            return readString(key, line, &i)
        case .traceID:
            if let start = Self.fixedWidthString(32, line, i), let high = Self.hex16(line, start),
                let low = Self.hex16(line, start &+ 16), high | low != 0
            {
                setRange(key, start, start &+ 32)
                traceHigh = high
                traceLow = low
                i = start &+ 33
                return true
            }
            return readString(key, line, &i)
        case .unitID:
            if let start = Self.fixedWidthString(16, line, i), let value = Self.hex16(line, start), value != 0 {
                setRange(key, start, start &+ 16)
                if key == LedgerKey.leafID.index {
                    leaf = value
                } else if key == LedgerKey.parentID.index {
                    parent = value
                } else {
                    root = value
                }
                i = start &+ 17
                return true
            }
            return readString(key, line, &i)
        case .named:
            return readString(key, line, &i)
        case .string:
            // provider, model, api_key_id, service_tier, price_source, attribution values: kept as byte ranges.
            guard let (start, end) = simpleString(line, &i) else { return false }
            setRange(key, start, end)
            let length = end &- start
            return length >= 1 && length <= CostRecord.LineLimits.maxStringBytes
        }
        return true
    }

    /// A timestamp in the writer's form at `start` (24 bytes, inside the line). The day is parsed once for a
    /// run of records of the same day (the common case: a file's lines follow the clock), then only the time
    /// of day.
    @_transparent
    private mutating func writerTimestamp(_ line: Span<UInt8>, _ start: Int) -> UTCTimestamp? {
        let first = SpanWords.word(line, start)  // "YYYY-MM-"
        let second = SpanWords.word(line, start &+ 8)  // "DDTHH:MM"
        let tail = UInt16(truncatingIfNeeded: second)  // "DD"
        if lastDays == nil || first != lastDateHead || tail != lastDateTail {
            guard let days = RFC3339.writtenDays(littleEndian: first, second) else { return nil }
            lastDays = days
            lastDateHead = first
            lastDateTail = tail
        }
        return lastDays.flatMap {
            RFC3339.writtenNanoseconds(days: $0, littleEndian: second, SpanWords.word(line, start &+ 16))
        }.map(UTCTimestamp.init(nanosecondsSinceEpoch:))
    }

    /// A string value in general (any length, any key): what ``readValue(_:_:_:_:)`` does when the writer's
    /// fixed-width form does not match, and for the rare `kind` and `status`. Out of line, so that the common
    /// path stays small.
    @inline(never)
    private mutating func readString(_ key: Int, _ line: Span<UInt8>, _ i: inout Int) -> Bool {
        guard let (start, end) = simpleString(line, &i) else { return false }
        setRange(key, start, end)
        let length = end &- start
        switch key {
        case LedgerKey.kind.index:
            if length == 4, line[start] == UInt8(ascii: "c"), line[start &+ 1] == UInt8(ascii: "a"),
                line[start &+ 2] == UInt8(ascii: "l"), line[start &+ 3] == UInt8(ascii: "l")
            {
                kind = .call
            } else if length == 4, line[start] == UInt8(ascii: "u"), line[start &+ 1] == UInt8(ascii: "n"),
                line[start &+ 2] == UInt8(ascii: "i"), line[start &+ 3] == UInt8(ascii: "t")
            {
                kind = .unit
                isUnit = true
            } else {
                return false
            }
        case LedgerKey.status.index:
            if length == 2, line[start] == UInt8(ascii: "o"), line[start &+ 1] == UInt8(ascii: "k") {
                status = .ok
            } else if length == 5, line[start] == UInt8(ascii: "e"), line[start &+ 1] == UInt8(ascii: "r"),
                line[start &+ 2] == UInt8(ascii: "r"), line[start &+ 3] == UInt8(ascii: "o"),
                line[start &+ 4] == UInt8(ascii: "r")
            {
                status = .error
            } else {
                return false
            }
        case LedgerKey.ts.index:
            guard let value = Self.timestamp(line, start, length) else { return false }
            timestamp = value
        case LedgerKey.startedAt.index:
            guard let value = Self.timestamp(line, start, length) else { return false }
            startedAt = value
        case LedgerKey.traceID.index:
            guard length == 32, let high = Self.hex16(line, start), let low = Self.hex16(line, start &+ 16),
                high | low != 0
            else { return false }
            traceHigh = high
            traceLow = low
        case LedgerKey.leafID.index, LedgerKey.parentID.index, LedgerKey.rootID.index:
            guard length == 16, let value = Self.hex16(line, start), value != 0 else { return false }
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

    private mutating func readTags(_ line: Span<UInt8>, _ i: inout Int) -> Bool {
        guard JSONTokenizer.consume(UInt8(ascii: "{"), line, &i) else { return false }
        let members = i
        // The range is the members, between the braces (the closing brace left out).
        if JSONTokenizer.consume(UInt8(ascii: "}"), line, &i) {
            setRange(LedgerKey.tags.index, members, i &- 1)
            return true
        }
        // Keys of at most 64 bytes from [a-z0-9_.-]; duplicates are found when the dictionary is built.
        while true {
            JSONTokenizer.skipWhitespace(line, &i)
            guard let (keyStart, keyEnd) = simpleString(line, &i),
                AttributionEnvelope.isTagKey(line.extracting(keyStart..<keyEnd)),
                JSONTokenizer.consume(UInt8(ascii: ":"), line, &i)
            else { return false }
            JSONTokenizer.skipWhitespace(line, &i)
            guard let (valueStart, valueEnd) = simpleString(line, &i) else { return false }
            let length = valueEnd &- valueStart
            guard length >= 1, length <= CostRecord.LineLimits.maxStringBytes else { return false }
            tagCount &+= 1
            guard tagCount <= CostRecord.LineLimits.maxTags else { return false }
            if JSONTokenizer.consume(UInt8(ascii: ","), line, &i) { continue }
            guard JSONTokenizer.consume(UInt8(ascii: "}"), line, &i) else { return false }
            setRange(LedgerKey.tags.index, members, i &- 1)
            return true
        }
    }

    /// The cross-field rules of the table. (`mutating` though it changes nothing: called from a `mutating`
    /// method as a borrowing one, it was handed a copy of the scanner's fields for every line.)
    private mutating func check(_ line: Span<UInt8>) -> Bool {
        guard has(LedgerKey.v.index), has(LedgerKey.recordID.index), has(LedgerKey.ts.index) else { return false }
        if !isUnit {
            guard has(LedgerKey.provider.index), has(LedgerKey.model.index), has(LedgerKey.inputTokens.index),
                has(LedgerKey.outputTokens.index)
            else { return false }
        } else {
            // A unit: `record_id` is exactly "unit:" + its 16-hex leaf id.
            guard has(LedgerKey.leafID.index) else { return false }
            let r = range(LedgerKey.recordID.index)
            guard r.count == 21, line[r.lowerBound] == UInt8(ascii: "u"),
                line[r.lowerBound &+ 1] == UInt8(ascii: "n"), line[r.lowerBound &+ 2] == UInt8(ascii: "i"),
                line[r.lowerBound &+ 3] == UInt8(ascii: "t"), line[r.lowerBound &+ 4] == UInt8(ascii: ":"),
                Self.hex16(line, r.lowerBound &+ 5) == leaf
            else { return false }
        }
        let (partial, o1) = usage.cachedInput.addingReportingOverflow(usage.cacheWrite)
        let (subsets, o2) = partial.addingReportingOverflow(usage.cacheWrite1h)
        guard !o1, !o2, subsets <= usage.input, usage.reasoning <= usage.output else { return false }
        return true
    }

    // MARK: - Values, read through the JSON core

    /// A string with no escapes, read by the core (``JSONTokenizer/scanStringContent(_:_:ascii:)``, which
    /// validates its UTF-8 and refuses control characters): its content's byte range, with ``allASCII``
    /// cleared when a byte ≥ 0x80 appears. Nil for anything else (an escape: the strict path decodes it).
    @inline(__always)
    private mutating func simpleString(_ line: Span<UInt8>, _ i: inout Int) -> (Int, Int)? {
        guard i < line.count, line[i] == UInt8(ascii: "\"") else { return nil }
        let start = i &+ 1
        var at = start
        do throws(JSONSyntaxError) {
            try JSONTokenizer.scanStringContent(line, &at, ascii: &allASCII)
        } catch {
            return nil
        }
        guard line[at] == UInt8(ascii: "\"") else { return nil }
        i = at &+ 1
        return (start, at)
    }

    /// A non-negative JSON integer (read by the core) of at most 18 digits, with no fraction or exponent.
    @_transparent
    private static func unsignedInteger(_ line: Span<UInt8>, _ i: inout Int) -> Int64? {
        let first = i
        guard JSONTokenizer.scanNumber(line, &i) == nil, i &- first <= 18 else { return nil }
        var value: Int64 = 0
        for k in first..<i {
            let digit = line[k] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }  // a sign, a fraction or an exponent
            value = value &* 10 &+ Int64(digit)
        }
        return value
    }

    /// A JSON number (read by the core) without exponent, with at most 18 integer and 18 fraction digits, in
    /// attodollars.
    private static func exactDecimal(_ line: Span<UInt8>, _ i: inout Int) -> Int128? {
        let first = i
        guard JSONTokenizer.scanNumber(line, &i) == nil else { return nil }
        let range = first..<i
        var k = range.lowerBound
        let negative = line[k] == UInt8(ascii: "-")
        if negative { k &+= 1 }
        var whole: Int64 = 0
        var digits = 0
        while k < range.upperBound, JSONTokenizer.isDigit(line[k]) {
            digits &+= 1
            guard digits <= 18 else { return nil }
            whole = whole &* 10 &+ Int64(line[k] &- UInt8(ascii: "0"))
            k &+= 1
        }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if k < range.upperBound, line[k] == UInt8(ascii: ".") {
            k &+= 1
            while k < range.upperBound, JSONTokenizer.isDigit(line[k]) {
                fractionDigits &+= 1
                guard fractionDigits <= 18 else { return nil }
                fraction = fraction &* 10 &+ Int64(line[k] &- UInt8(ascii: "0"))
                k &+= 1
            }
        }
        guard k == range.upperBound else { return nil }  // an exponent
        // Both parts are below 10¹⁸: the fraction scaled to 18 places stays below 10¹⁸ (an Int64), and the
        // whole part times 10¹⁸ below 10³⁶ (a product of two words).
        let scaled = fraction &* powersOfTen[18 &- fractionDigits]
        let value = Int128(whole) &* 1_000_000_000_000_000_000 &+ Int128(scaled)
        return negative ? 0 &- value : value
    }

    /// 10⁰ through 10¹⁸.
    private static let powersOfTen: [Int64] = (0...18).map { (0..<$0).reduce(Int64(1)) { value, _ in value &* 10 } }

    /// When the string at `i` is exactly `width` bytes long (a quote that far on): where its content starts.
    @inline(__always)
    private static func fixedWidthString(_ width: Int, _ line: Span<UInt8>, _ i: Int) -> Int? {
        guard i &+ width &+ 2 <= line.count, line[i] == UInt8(ascii: "\""),
            line[i &+ width &+ 1] == UInt8(ascii: "\"")
        else { return nil }
        return i &+ 1
    }

    /// Sixteen lowercase hex digits at `start` as a number, or nil when any byte is not one (or the line ends).
    @inline(__always)
    static func hex16(_ line: Span<UInt8>, _ start: Int) -> UInt64? {
        guard start >= 0, start <= line.count &- 16 else { return nil }
        return Hex.parse16(littleEndian: SpanWords.word(line, start), SpanWords.word(line, start &+ 8))
    }

    /// The timestamp of the `length` bytes at `start`: the writer's form (``RFC3339/writtenDays(littleEndian:_:)``)
    /// read directly, other forms through ``UTCTimestamp``'s full RFC 3339 parser, to the whole millisecond.
    private static func timestamp(_ line: Span<UInt8>, _ start: Int, _ length: Int) -> UTCTimestamp? {
        if length == RFC3339.writtenLength,
            let days = RFC3339.writtenDays(
                littleEndian: SpanWords.word(line, start),
                SpanWords.word(line, start &+ 8)
            ),
            let nanoseconds = RFC3339.writtenNanoseconds(
                days: days,
                littleEndian: SpanWords.word(line, start &+ 8),
                SpanWords.word(line, start &+ 16)
            )
        {
            return UTCTimestamp(nanosecondsSinceEpoch: nanoseconds)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for k in start..<(start &+ length) { bytes.append(line[k]) }
        let parsed = try? UTCTimestamp(utf8: bytes[...], field: LedgerKey.ts.name)
        // Kept to the millisecond, as the strict decoder keeps it.
        return parsed?.ledgerMillisecond
    }

    /// At a key: when it is `"name":` for one of the keys from `first` on in the writer's order, consumes it
    /// and returns that key. Compares eight bytes at a time against the keys' literal forms: the line's next 24
    /// bytes are loaded once, as three words, for all the keys tried.
    /// `hint` (the key that followed the previous one on an earlier line, -1 for none) is tried first.
    // Transparent, as are `unsignedInteger` and `writerTimestamp`: with `@inline(__always)` the optimizer left
    // this a call per key (9.8% of the audit's samples on the benchmark ledger).
    @_transparent
    private static func predictedKey(
        _ line: Span<UInt8>,
        _ i: inout Int,
        from first: Int,
        hint: Int,
        _ literals: [KeyLiterals.Literal]
    ) -> Int? {
        guard i >= 0, i <= line.count &- 24 else { return nil }
        let w0 = SpanWords.word(line, i)
        let w1 = SpanWords.word(line, i &+ 8)
        let w2 = SpanWords.word(line, i &+ 16)
        // Indices below `literals.count`, so that the optimizer can drop the array's bounds checks.
        if hint >= first, hint < literals.count, literals[hint].matches(w0, w1, w2) {
            i &+= literals[hint].length
            return hint
        }
        var k = max(first, 0)
        while k < literals.count {
            if literals[k].matches(w0, w1, w2) {
                i &+= literals[k].length
                return k
            }
            k &+= 1
        }
        return nil
    }

    // MARK: - Building the record

    /// A string of the line's bytes in `range`, or nil when they are not valid UTF-8.
    static func makeString(_ line: Span<UInt8>, _ range: Range<Int>) -> String? {
        guard let text = try? UTF8Span(validating: line.extracting(range)) else { return nil }
        return String(copying: text)
    }

    /// Builds the record from a successful scan of the same `line`; nil when a string is not valid UTF-8 or a
    /// tag key repeats (the strict path then names the fault).
    func makeRecord(span line: Span<UInt8>) -> CostRecord? {
        func text(_ key: Int) -> String?? {
            guard has(key) else { return .some(nil) }
            guard let s = Self.makeString(line, range(key)) else { return nil }
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
                guard let value = Self.makeString(line, range(LedgerKey.userID.index + field.order)) else {
                    return nil
                }
                attribution[field] = value
            }
        }
        var tags: [String: String] = [:]
        if tagCount > 0 {
            tags.reserveCapacity(tagCount)
            // The members, between the braces, as the scan checked them.
            let tagRange = range(LedgerKey.tags.index)
            let members = line.extracting(0..<tagRange.upperBound)
            var i = tagRange.lowerBound
            for _ in 0..<tagCount {
                JSONTokenizer.skipWhitespace(members, &i)
                guard i < members.count, members[i] == UInt8(ascii: "\""),
                    case .raw(let keyRange) = try? JSONTokenizer.readString(members, &i),
                    JSONTokenizer.consume(UInt8(ascii: ":"), members, &i)
                else { return nil }
                JSONTokenizer.skipWhitespace(members, &i)
                guard i < members.count, members[i] == UInt8(ascii: "\""),
                    case .raw(let valueRange) = try? JSONTokenizer.readString(members, &i),
                    let key = Self.makeString(members, keyRange), let value = Self.makeString(members, valueRange)
                else { return nil }
                guard tags.updateValue(value, forKey: key) == nil else { return nil }
                _ = JSONTokenizer.consume(UInt8(ascii: ","), members, &i)
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

/// Every known key's written forms, built from ``LedgerKey/name`` at first use: `"name":` for the scanner's
/// key prediction, `,"name":` for the writer (``members``, CostRecord+Scan+Fast.swift).
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

    /// Each key's ``ValueKind``, by ``LedgerKey/index``.
    static let kinds: [ValueKind] = LedgerKey.allCases.map { key in
        switch key {
        case .v: return .version
        case .inputTokens, .outputTokens, .cachedInputTokens, .cacheWriteTokens, .cacheWrite1hTokens,
            .reasoningTokens:
            return .tokens
        case .attempt: return .attempt
        case .costUSD: return .cost
        case .tags: return .tags
        case .recordID: return .recordID
        case .ts, .startedAt: return .timestamp
        case .traceID: return .traceID
        case .leafID, .parentID, .rootID: return .unitID
        case .kind, .status: return .named
        default: return .string
        }
    }

    /// A key's `"name":` form (at most 24 bytes) as three little-endian words with masks.
    struct Literal {
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        var word2: UInt64 = 0
        var mask0: UInt64 = 0
        var mask1: UInt64 = 0
        var mask2: UInt64 = 0
        var length = 0

        /// Whether the literal is the start of the 24 bytes `w0`, `w1`, `w2`.
        func matches(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64) -> Bool {
            (w0 & mask0 ^ word0) | (w1 & mask1 ^ word1) | (w2 & mask2 ^ word2) == 0
        }

        /// The literal's byte at `offset` (below ``length``).
        func byte(_ offset: Int) -> UInt8 {
            let word = offset < 8 ? word0 : offset < 16 ? word1 : word2
            return UInt8(truncatingIfNeeded: word >> UInt64(8 &* (offset & 7)))
        }
    }

    /// `bytes` as little-endian words, zero-padded.
    static func words(_ bytes: [UInt8], _ count: Int) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: count)
        for (offset, byte) in bytes.enumerated() { words[offset / 8] |= UInt64(byte) << UInt64(8 * (offset % 8)) }
        return words
    }

    /// Every key's ``Literal``, by ``LedgerKey/index``, made from ``LedgerKey/name``.
    static let literals: [Literal] = LedgerKey.allCases.map { key in
        let bytes = Array("\"\(key.name)\":".utf8)
        let words = words(bytes, 3)
        let masks = Self.words([UInt8](repeating: 0xFF, count: bytes.count), 3)
        var literal = Literal()
        literal.length = bytes.count
        (literal.word0, literal.word1, literal.word2) = (words[0], words[1], words[2])
        (literal.mask0, literal.mask1, literal.mask2) = (masks[0], masks[1], masks[2])
        return literal
    }

    /// The index of the key whose name is the bytes of `line` in `name`, or nil for a key this version does not
    /// know: for lines the predicted order misses (spaced, reordered, or a key too near the line's end for the
    /// word compare). Tried in the writer's order from `first` (the key after the last one read), then from the
    /// start, so that a writer's line finds its key at once.
    static func key(_ line: Span<UInt8>, _ name: Range<Int>, from first: Int, _ literals: [Literal]) -> Int? {
        func matches(_ k: Int) -> Bool {
            let literal = literals[k]
            guard literal.length == name.count &+ 3 else { return false }
            for j in 0..<name.count where literal.byte(j &+ 1) != line[name.lowerBound &+ j] { return false }
            return true
        }
        for k in first..<LedgerKey.count where matches(k) { return k }
        for k in 0..<min(first, LedgerKey.count) where matches(k) { return k }
        return nil
    }
}
