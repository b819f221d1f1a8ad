package import Attribution

// Reading ledger lines: the scanner fast path and the strict reference path (see CostRecord+JSON.swift).

/// What one ledger line holds, as a reader counts it (docs/ledger.md).
package enum CostRecordLineOutcome: Sendable {
    /// A valid record.
    case record(CostRecord)
    /// Not one complete JSON object (a torn last line, say): counted in `skipped_lines`.
    case malformed(CostLedgerError)
    /// A complete object that breaks the table: counted in `invalid_records`, with the field named.
    case invalid(CostLedgerError)
    /// A record of a kind this version does not read: skipped and counted.
    case otherKind(String)
}

extension CostRecord {
    /// Decodes one ledger line (with or without its trailing `\n`).
    ///
    /// Validates exactly as docs/ledger.md says: `v` = 1, `record_id` and `ts` required, `provider`, `model`,
    /// `input_tokens` and `output_tokens` required for calls, counts integers ≥ 0 with cached + cache-write ≤
    /// input and reasoning ≤ output, ids in lowercase hex, attribution values non-empty strings of at most 256
    /// bytes, `cost_usd` read exactly. Unknown keys are ignored. Timestamps are read with any offset.
    ///
    /// - Parameters:
    ///   - line: the line's UTF-8 bytes.
    ///   - file: the file the line came from, named in errors.
    ///   - lineNumber: the line's number in that file (1-based), named in errors.
    /// - Returns: the record.
    /// - Throws: ``CostLedgerError/Code/invalidRecord`` naming the field and the value (and `file:line` when
    ///   given), also when the line is not one JSON object or is of a kind this version does not read.
    public static func decode(
        line: some Collection<UInt8>,
        file: String? = nil,
        lineNumber: Int? = nil
    ) throws(CostLedgerError) -> CostRecord {
        let outcome: CostRecordLineOutcome
        if let direct = line.withContiguousStorageIfAvailable({ decodeOutcome($0, file: file, lineNumber: lineNumber) })
        {
            outcome = direct
        } else {
            outcome = Array(line).withUnsafeBufferPointer { decodeOutcome($0, file: file, lineNumber: lineNumber) }
        }
        switch outcome {
        case .record(let record): return record
        case .malformed(let error), .invalid(let error): throw error
        case .otherKind(let kind):
            throw CostLedgerError(
                .invalidRecord,
                field: "kind",
                reason: "\(AttributionError.quote(kind)) is not a kind this version reads (call, unit)"
                    + LineEncoding.suffix(LineEncoding.location(file, lineNumber))
            )
        }
    }

    /// Decodes one line into what a reader counts. The fast scanner first; the strict path when it declines.
    package static func decodeOutcome(
        _ line: UnsafeBufferPointer<UInt8>,
        file: String? = nil,
        lineNumber: Int? = nil
    ) -> CostRecordLineOutcome {
        let body = LineEncoding.trimNewline(line)
        var fields = CostRecordFields()
        if fields.scan(body), let record = fields.makeRecord(body) {
            return .record(record)
        }
        return decodeStrict(body, location: LineEncoding.location(file, lineNumber))
    }

    /// The reference decoder: parses with ``JSONParser`` and checks every rule, naming the field at fault.
    package static func decodeStrict(_ line: UnsafeBufferPointer<UInt8>, location: String?) -> CostRecordLineOutcome {
        let body = LineEncoding.trimNewline(line)
        let suffix = LineEncoding.suffix(location)
        let value: JSONValue
        do {
            value = try JSONParser.parse(
                body,
                limits: JSONParser.Limits(
                    maxBytes: LineLimits.maxLineBytes,
                    maxDepth: LineLimits.maxDepth + 1,
                    rejectDuplicateKeys: true
                )
            )
        } catch {
            if error.code == .duplicateKey {
                return .invalid(CostLedgerError(.invalidRecord, field: error.field, reason: error.reason + suffix))
            }
            return .malformed(
                CostLedgerError(
                    .invalidRecord,
                    field: error.field,
                    reason: "not one complete JSON object: \(error.reason)" + suffix
                )
            )
        }
        guard case .object(let object) = value else {
            return .malformed(
                CostLedgerError(.invalidRecord, reason: "expected one JSON object, got \(value.typeName)" + suffix)
            )
        }
        do {
            return try StrictDecoder(object: object, suffix: suffix, location: location).decode()
        } catch {
            return .invalid(error)
        }
    }
}

/// The strict path's field readers.
private struct StrictDecoder {
    let object: JSONObject
    let suffix: String
    let location: String?

    func fail(_ field: String, _ reason: String) -> CostLedgerError {
        CostLedgerError(.invalidRecord, field: field, reason: reason + suffix)
    }

    func string(_ key: String) throws(CostLedgerError) -> String? {
        guard let value = object[key] else { return nil }
        guard case .string(let text) = value else { throw fail(key, "expected a string, got \(value.typeName)") }
        return text
    }

    func integer(_ key: String) throws(CostLedgerError) -> Int64? {
        guard let value = object[key] else { return nil }
        guard case .number(let text) = value else { throw fail(key, "expected an integer, got \(value.typeName)") }
        guard let int = JSONValue.integer(fromLiteral: text) else {
            throw fail(key, "expected an integer that fits in 64 bits, got \(text)")
        }
        return Int64(int)
    }

    func count(_ key: String, required: Bool) throws(CostLedgerError) -> Int64 {
        guard let value = try integer(key) else {
            if required { throw fail(key, "required for a call record") }
            return 0
        }
        if value < 0 { throw fail(key, "must be ≥ 0, got \(value)") }
        return value
    }

    func timestamp(_ key: String) throws(CostLedgerError) -> UTCTimestamp? {
        guard let text = try string(key) else { return nil }
        do {
            return try UTCTimestamp(rfc3339: text, field: key)
        } catch {
            throw fail(key, error.reason)
        }
    }

    func readLeafID(_ key: String) throws(CostLedgerError) -> LeafID? {
        guard let text = try string(key) else { return nil }
        do {
            return try LeafID(utf8: Array(text.utf8), field: key)
        } catch {
            throw fail(key, error.reason)
        }
    }

    func decode() throws(CostLedgerError) -> CostRecordLineOutcome {
        guard let version = object["v"] else { throw fail("v", "required") }
        guard case .number(let versionText) = version, let v = JSONValue.integer(fromLiteral: versionText) else {
            throw fail(
                "v",
                "expected an integer, got \(version.typeName == "a number" ? "a non-integer" : version.typeName)"
            )
        }
        guard v == CostRecord.LineLimits.version else {
            throw fail("v", "version \(v) is not one this reader reads (it reads 1)")
        }
        var kind = CostRecord.Kind.call
        if let name = try string("kind") {
            guard let known = CostRecord.Kind(name: name) else { return .otherKind(name) }
            kind = known
        }
        guard let recordID = try string("record_id") else { throw fail("record_id", "required") }
        guard let ts = try timestamp("ts") else { throw fail("ts", "required") }
        let startedAt = try timestamp("started_at")
        let provider = try string("provider")
        let model = try string("model")
        let apiKeyID = try string("api_key_id")
        let serviceTier = try string("service_tier")
        let isCall = kind == .call
        if isCall, provider == nil { throw fail("provider", "required for a call record") }
        if isCall, model == nil { throw fail("model", "required for a call record") }
        let usage = TokenUsage(
            input: try count("input_tokens", required: isCall),
            output: try count("output_tokens", required: isCall),
            cachedInput: try count("cached_input_tokens", required: false),
            cacheWrite: try count("cache_write_tokens", required: false),
            cacheWrite1h: try count("cache_write_1h_tokens", required: false),
            reasoning: try count("reasoning_tokens", required: false)
        )
        var cost: Money?
        if let value = object["cost_usd"] {
            guard case .number(let text) = value else {
                throw fail("cost_usd", "expected a number, got \(value.typeName)")
            }
            guard let money = Money.parse(decimal: text, shift: 0) else {
                throw fail("cost_usd", "expected an exact decimal of at most 18 places that fits, got \(text)")
            }
            // Spend is never negative (docs/ledger.md): such a record is invalid, never a refund.
            if money.attodollars < 0 { throw fail("cost_usd", "must be ≥ 0, got \(text)") }
            cost = money
        }
        let priceSource = try string("price_source")
        var status = CostRecord.Status.ok
        if let name = try string("status") {
            guard let known = CostRecord.Status(name: name) else {
                throw fail("status", "expected \"ok\" or \"error\", got \(AttributionError.quote(name))")
            }
            status = known
        }
        var traceID: TraceID?
        if let text = try string("trace_id") {
            do {
                traceID = try TraceID(utf8: Array(text.utf8), field: "trace_id")
            } catch {
                throw fail("trace_id", error.reason)
            }
        }
        let leafID = try readLeafID("leaf_id")
        let parentID = try readLeafID("parent_id")
        let rootID = try readLeafID("root_id")
        var attempt: Int?
        if let value = try integer("attempt") {
            guard value >= 1, value <= Int64(Int32.max) else {
                throw fail("attempt", "must be an integer from 1 to \(Int32.max), got \(value)")
            }
            attempt = Int(value)
        }
        var attribution: [AttributionField: String] = [:]
        for field in AttributionField.all {
            if let value = try string(field.name) { attribution[field] = value }
        }
        var tags: [String: String] = [:]
        if let value = object["tags"] {
            guard case .object(let tagObject) = value else {
                throw fail("tags", "expected an object, got \(value.typeName)")
            }
            for member in tagObject.members {
                guard case .string(let text) = member.value else {
                    throw fail("tags.\(member.key)", "expected a string, got \(member.value.typeName)")
                }
                tags[member.key] = text
            }
        }
        let record = CostRecord(
            recordID: recordID,
            kind: kind,
            timestamp: ts,
            startedAt: startedAt,
            provider: provider,
            model: model,
            apiKeyID: apiKeyID,
            serviceTier: serviceTier,
            usage: usage,
            costUSD: cost,
            priceSource: priceSource,
            status: status,
            traceID: traceID,
            leafID: leafID,
            parentID: parentID,
            rootID: rootID,
            attempt: attempt,
            attribution: attribution,
            tags: tags
        )
        try record.validate(location: location)
        return .record(record)
    }
}

// MARK: - The fast scanner

/// The known keys of a record line, as indices into ``CostRecordFields``.
package enum CostRecordKey {
    // Computed and inlinable, so that other modules (the audit) see constants rather than globals.
    @inlinable package static var v: Int { 0 }
    @inlinable package static var recordID: Int { 1 }
    @inlinable package static var kind: Int { 2 }
    @inlinable package static var ts: Int { 3 }
    @inlinable package static var startedAt: Int { 4 }
    @inlinable package static var provider: Int { 5 }
    @inlinable package static var model: Int { 6 }
    @inlinable package static var apiKeyID: Int { 7 }
    @inlinable package static var serviceTier: Int { 8 }
    @inlinable package static var inputTokens: Int { 9 }
    @inlinable package static var outputTokens: Int { 10 }
    @inlinable package static var cachedInputTokens: Int { 11 }
    @inlinable package static var cacheWriteTokens: Int { 12 }
    @inlinable package static var cacheWrite1hTokens: Int { 13 }
    @inlinable package static var reasoningTokens: Int { 14 }
    @inlinable package static var costUSD: Int { 15 }
    @inlinable package static var priceSource: Int { 16 }
    @inlinable package static var status: Int { 17 }
    @inlinable package static var traceID: Int { 18 }
    @inlinable package static var leafID: Int { 19 }
    @inlinable package static var parentID: Int { 20 }
    @inlinable package static var rootID: Int { 21 }
    @inlinable package static var attempt: Int { 22 }
    /// `user_id` … `agent` follow in ``AttributionField/all`` order: `firstAttribution + field.order`.
    @inlinable package static var firstAttribution: Int { 23 }
    @inlinable package static var tags: Int { 33 }
    @inlinable package static var count: Int { 34 }

    /// Which key the `length` bytes at `p` name, or nil for an unknown one. A switch over literals: no tables,
    /// no reference counting on the hot path.
    @inline(__always)
    static func index(_ p: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        @inline(__always) func eq(_ literal: StaticString) -> Bool {
            let q = literal.utf8Start
            for k in 0..<length where p[k] != q[k] { return false }
            return true
        }
        let a = firstAttribution
        switch length {
        case 1: return p[0] == UInt8(ascii: "v") ? v : nil
        case 2: return eq("ts") ? ts : nil
        case 4:
            switch p[0] {
            case UInt8(ascii: "k"): return eq("kind") ? kind : nil
            case UInt8(ascii: "t"):
                if eq("team") { return a + 2 }
                if eq("tool") { return a + 5 }
                return eq("tags") ? tags : nil
            default: return nil
            }
        case 5:
            if eq("model") { return model }
            return eq("agent") ? a + 9 : nil
        case 6: return eq("status") ? status : nil
        case 7:
            switch p[0] {
            case UInt8(ascii: "l"): return eq("leaf_id") ? leafID : nil
            case UInt8(ascii: "r"): return eq("root_id") ? rootID : nil
            case UInt8(ascii: "a"): return eq("attempt") ? attempt : nil
            case UInt8(ascii: "u"): return eq("user_id") ? a + 0 : nil
            case UInt8(ascii: "f"): return eq("feature") ? a + 1 : nil
            case UInt8(ascii: "p"): return eq("project") ? a + 3 : nil
            default: return nil
            }
        case 8:
            switch p[0] {
            case UInt8(ascii: "c"): return eq("cost_usd") ? costUSD : nil
            case UInt8(ascii: "t"): return eq("trace_id") ? traceID : nil
            case UInt8(ascii: "p"):
                if eq("provider") { return provider }
                if eq("pipeline") { return a + 7 }
                return eq("priority") ? a + 8 : nil
            default: return nil
            }
        case 9:
            if eq("record_id") { return recordID }
            if eq("parent_id") { return parentID }
            return eq("task_type") ? a + 4 : nil
        case 10:
            if eq("started_at") { return startedAt }
            return eq("api_key_id") ? apiKeyID : nil
        case 12:
            if eq("input_tokens") { return inputTokens }
            if eq("service_tier") { return serviceTier }
            return eq("price_source") ? priceSource : nil
        case 13: return eq("output_tokens") ? outputTokens : nil
        case 14: return eq("prompt_version") ? a + 6 : nil
        case 16: return eq("reasoning_tokens") ? reasoningTokens : nil
        case 18: return eq("cache_write_tokens") ? cacheWriteTokens : nil
        case 19: return eq("cached_input_tokens") ? cachedInputTokens : nil
        case 21: return eq("cache_write_1h_tokens") ? cacheWrite1hTokens : nil
        default: return nil
        }
    }
}

/// A record line's fields as the fast scanner reads them: byte ranges of string values, parsed integers, ids,
/// timestamps and the exact cost — no `String` built. The audit can read lines through this without allocating
/// per record; ``makeRecord(_:)`` builds the ``CostRecord``.
///
/// ``scan(_:)`` accepts only what the strict decoder accepts, with every rule checked; when it returns false
/// the line may still be valid (escapes, unknown keys, nested values), and the strict path decides.
///
/// Not copyable: the value ranges live in memory this value owns, so reading them never copies the fields
/// (a copy per record was a measurable part of the audit's reading).
package struct CostRecordFields: ~Copyable {
    /// Bit `k` set when key `k` (``CostRecordKey``) is present.
    package var present: UInt64 = 0
    /// Byte offsets of each string value's content (between the quotes), by key; meaningful only for keys in
    /// ``present``. One allocation holds both, made once per value and reused by every ``scan(_:)``.
    package let starts: UnsafeMutablePointer<Int32>
    package let ends: UnsafeMutablePointer<Int32>
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
        starts = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * CostRecordKey.count)
        starts.initialize(repeating: 0, count: 2 * CostRecordKey.count)
        ends = starts + CostRecordKey.count
    }

    deinit { starts.deallocate() }

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

    /// Whether key `k` is present.
    @inlinable @inline(__always)
    package func has(_ key: Int) -> Bool { present & (1 &<< UInt64(key)) != 0 }

    /// The byte range of key `k`'s string value.
    @inlinable @inline(__always)
    package func range(_ key: Int) -> Range<Int> { Int(starts[key])..<Int(ends[key]) }

    /// Scans `line` (no newline). Returns true only for a valid record of kind `call` or `unit`.
    package mutating func scan(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = line.baseAddress, line.count <= CostRecord.LineLimits.maxLineBytes else { return false }
        reset()
        var s = Scanner(p: p, n: line.count)
        s.skipWhitespace()
        guard s.consume(UInt8(ascii: "{")) else { return false }
        s.skipWhitespace()
        if s.consume(UInt8(ascii: "}")) { return false }  // no `v`: the strict path names it
        let literals = KeyLiterals.table
        let kinds = KeyLiterals.kinds
        var next = 0  // the writer's order: the key after the last one read is the likeliest
        var previous = -1  // the key read last (-1: none yet)
        while true {
            let key: Int
            // Whitespace is looked for only when the writer's form (none) does not match.
            if let predicted = s.predictedKey(from: next, hint: Int(successor[previous &+ 1]), literals) {
                key = predicted
                successor[previous &+ 1] = Int8(truncatingIfNeeded: key)
            } else {
                s.skipWhitespace()
                guard let (keyStart, keyEnd) = s.simpleString(ascii: &allASCII),
                    let found = CostRecordKey.index(p + keyStart, keyEnd - keyStart)
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
            guard readValue(key, kinds[key], &s) else { return false }
            if s.consume(UInt8(ascii: ",")) { continue }
            s.skipWhitespace()
            if s.consume(UInt8(ascii: ",")) { continue }
            guard s.consume(UInt8(ascii: "}")) else { return false }
            break
        }
        s.skipWhitespace()
        guard s.i == s.n else { return false }
        return check(p)
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
            case CostRecordKey.inputTokens: usage.input = value
            case CostRecordKey.outputTokens: usage.output = value
            case CostRecordKey.cachedInputTokens: usage.cachedInput = value
            case CostRecordKey.cacheWriteTokens: usage.cacheWrite = value
            case CostRecordKey.cacheWrite1hTokens: usage.cacheWrite1h = value
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
            if let start = s.fixedWidthString(32), let high = LowercaseHex.parse16(s.p + start),
                let low = LowercaseHex.parse16(s.p + (start &+ 16))
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
            if let start = s.fixedWidthString(24), let value = writerTimestamp(s.p + start) {
                setRange(key, start, 24)
                if key == CostRecordKey.ts { timestamp = value } else { startedAt = value }
                s.i = start &+ 25
                return true
            }
            return readString(key, &s)
        case .traceID:
            if let start = s.fixedWidthString(32), let high = LowercaseHex.parse16(s.p + start),
                let low = LowercaseHex.parse16(s.p + (start &+ 16)), high | low != 0
            {
                setRange(key, start, 32)
                traceHigh = high
                traceLow = low
                s.i = start &+ 33
                return true
            }
            return readString(key, &s)
        case .unitID:
            if let start = s.fixedWidthString(16), let value = LowercaseHex.parse16(s.p + start), value != 0 {
                setRange(key, start, 16)
                if key == CostRecordKey.leafID {
                    leaf = value
                } else if key == CostRecordKey.parentID {
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
            starts[key] = Int32(truncatingIfNeeded: start)
            ends[key] = Int32(truncatingIfNeeded: end)
            let length = end &- start
            return length >= 1 && length <= CostRecord.LineLimits.maxStringBytes
        }
        return true
    }

    /// A timestamp in the writer's form at `p`. The day is parsed once for a run of records of the same day (the
    /// common case: a file's lines follow the clock), then only the time of day.
    @inline(__always)
    private mutating func writerTimestamp(_ p: UnsafePointer<UInt8>) -> UTCTimestamp? {
        let raw = UnsafeRawPointer(p)
        let head = raw.loadUnaligned(as: UInt64.self)  // "YYYY-MM-"
        let tail = raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)  // "DD"
        if lastDays == nil || head != lastDateHead || tail != lastDateTail {
            guard let days = FastTimestamp.date(p) else { return nil }
            lastDays = days
            lastDateHead = head
            lastDateTail = tail
        }
        return lastDays.flatMap { FastTimestamp.time(p, days: $0) }
    }

    @inline(__always)
    private func setRange(_ key: Int, _ start: Int, _ width: Int) {
        starts[key] = Int32(truncatingIfNeeded: start)
        ends[key] = Int32(truncatingIfNeeded: start &+ width)
    }

    /// A string value in general (any length, any key): what ``readValue(_:_:)`` does when the writer's
    /// fixed-width form does not match, and for the rare `kind` and `status`. Out of line, so that the common
    /// path stays small.
    @inline(never)
    private mutating func readString(_ key: Int, _ s: inout Scanner) -> Bool {
        guard let (start, end) = s.simpleString(ascii: &allASCII) else { return false }
        starts[key] = Int32(truncatingIfNeeded: start)
        ends[key] = Int32(truncatingIfNeeded: end)
        let length = end - start
        let p = s.p + start
        switch key {
        case CostRecordKey.kind:
            if length == 4, p[0] == UInt8(ascii: "c"), p[1] == UInt8(ascii: "a"), p[2] == UInt8(ascii: "l"),
                p[3] == UInt8(ascii: "l")
            {
                kind = .call
            } else if length == 4, p[0] == UInt8(ascii: "u"), p[1] == UInt8(ascii: "n"),
                p[2] == UInt8(ascii: "i"), p[3] == UInt8(ascii: "t")
            {
                kind = .unit
                isUnit = true
            } else {
                return false
            }
        case CostRecordKey.status:
            if length == 2, p[0] == UInt8(ascii: "o"), p[1] == UInt8(ascii: "k") {
                status = .ok
            } else if length == 5, p[0] == UInt8(ascii: "e"), p[1] == UInt8(ascii: "r"),
                p[2] == UInt8(ascii: "r"), p[3] == UInt8(ascii: "o"), p[4] == UInt8(ascii: "r")
            {
                status = .error
            } else {
                return false
            }
        case CostRecordKey.ts:
            guard let value = FastTimestamp.parse(p, length) else { return false }
            timestamp = value
        case CostRecordKey.startedAt:
            guard let value = FastTimestamp.parse(p, length) else { return false }
            startedAt = value
        case CostRecordKey.traceID:
            guard length == 32, let high = LowercaseHex.parse16(p), let low = LowercaseHex.parse16(p + 16),
                high | low != 0
            else { return false }
            traceHigh = high
            traceLow = low
        case CostRecordKey.leafID, CostRecordKey.parentID, CostRecordKey.rootID:
            guard length == 16, let value = LowercaseHex.parse16(p), value != 0 else { return false }
            if key == CostRecordKey.leafID {
                leaf = value
            } else if key == CostRecordKey.parentID {
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
        starts[CostRecordKey.tags] = Int32(truncatingIfNeeded: s.i)
        s.skipWhitespace()
        if s.consume(UInt8(ascii: "}")) {
            ends[CostRecordKey.tags] = Int32(truncatingIfNeeded: s.i)
            return true
        }
        // Keys of at most 64 bytes from [a-z0-9_.-]; duplicates are found when the dictionary is built.
        while true {
            guard let (keyStart, keyEnd) = s.simpleString(ascii: &allASCII) else { return false }
            guard LineEncoding.isTagKey(UnsafeBufferPointer(start: s.p + keyStart, count: keyEnd - keyStart)) else {
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
            ends[CostRecordKey.tags] = Int32(truncatingIfNeeded: s.i)
            return true
        }
    }

    /// The cross-field rules of the table. (`mutating` though it changes nothing: called from ``scan(_:)`` as a
    /// borrowing method, it was handed a copy of the scanner's 300 bytes for every line.)
    private mutating func check(_ p: UnsafePointer<UInt8>) -> Bool {
        guard has(CostRecordKey.v), has(CostRecordKey.recordID), has(CostRecordKey.ts) else { return false }
        if !isUnit {
            guard has(CostRecordKey.provider), has(CostRecordKey.model), has(CostRecordKey.inputTokens),
                has(CostRecordKey.outputTokens)
            else { return false }
        } else {
            // A unit: `record_id` is exactly "unit:" + its 16-hex leaf id.
            guard has(CostRecordKey.leafID) else { return false }
            let r = range(CostRecordKey.recordID)
            guard r.count == 21, memcmpUnit(p + r.lowerBound),
                LowercaseHex.parse16(p + r.lowerBound + 5) == leaf
            else { return false }
        }
        let (partial, o1) = usage.cachedInput.addingReportingOverflow(usage.cacheWrite)
        let (subsets, o2) = partial.addingReportingOverflow(usage.cacheWrite1h)
        guard !o1, !o2, subsets <= usage.input, usage.reasoning <= usage.output else { return false }
        return true
    }

    private func memcmpUnit(_ p: UnsafePointer<UInt8>) -> Bool {
        p[0] == UInt8(ascii: "u") && p[1] == UInt8(ascii: "n") && p[2] == UInt8(ascii: "i")
            && p[3] == UInt8(ascii: "t") && p[4] == UInt8(ascii: ":")
    }

    /// The string value of key `k`, if present (nil also when its bytes are not valid UTF-8).
    @inline(__always)
    package func string(_ key: Int, in line: UnsafeBufferPointer<UInt8>) -> String? {
        guard has(key), let base = line.baseAddress else { return nil }
        return Self.makeString(base, range(key), ascii: allASCII)
    }

    @inline(__always)
    static func makeString(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, ascii: Bool) -> String? {
        let buffer = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        if ascii { return String(decoding: buffer, as: UTF8.self) }
        return String(validating: buffer, as: UTF8.self)
    }

    /// Builds the record from a successful ``scan(_:)`` of the same `line`; nil when a string is not valid
    /// UTF-8 or a tag key repeats (the strict path then names the fault).
    package func makeRecord(_ line: UnsafeBufferPointer<UInt8>) -> CostRecord? {
        guard let base = line.baseAddress else { return nil }
        let ascii = allASCII
        func text(_ key: Int) -> String?? {
            guard has(key) else { return .some(nil) }
            guard let s = Self.makeString(base, range(key), ascii: ascii) else { return nil }
            return .some(s)
        }
        guard let recordID = text(CostRecordKey.recordID), let recordID,
            let provider = text(CostRecordKey.provider), let model = text(CostRecordKey.model),
            let apiKeyID = text(CostRecordKey.apiKeyID), let serviceTier = text(CostRecordKey.serviceTier),
            let priceSource = text(CostRecordKey.priceSource)
        else { return nil }
        var attribution: [AttributionField: String] = [:]
        let attributionBits = present >> UInt64(CostRecordKey.firstAttribution) & 0x3FF
        if attributionBits != 0 {
            attribution.reserveCapacity(attributionBits.nonzeroBitCount)
            for field in AttributionField.all where has(CostRecordKey.firstAttribution + field.order) {
                let r = range(CostRecordKey.firstAttribution + field.order)
                guard let value = Self.makeString(base, r, ascii: ascii) else { return nil }
                attribution[field] = value
            }
        }
        var tags: [String: String] = [:]
        if tagCount > 0 {
            tags.reserveCapacity(tagCount)
            var s = Scanner(p: base, n: Int(ends[CostRecordKey.tags]))
            s.i = Int(starts[CostRecordKey.tags])
            var unused = true
            for _ in 0..<tagCount {
                s.skipWhitespace()
                guard let (ks, ke) = s.simpleString(ascii: &unused) else { return nil }
                s.skipWhitespace()
                _ = s.consume(UInt8(ascii: ":"))
                s.skipWhitespace()
                guard let (vs, ve) = s.simpleString(ascii: &unused),
                    let key = Self.makeString(base, ks..<ke, ascii: ascii),
                    let value = Self.makeString(base, vs..<ve, ascii: ascii)
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
            costUSD: has(CostRecordKey.costUSD) ? Money(attodollars: costAttodollars) : nil,
            priceSource: priceSource,
            status: status,
            traceID: has(CostRecordKey.traceID) ? TraceID(high: traceHigh, low: traceLow) : nil,
            leafID: has(CostRecordKey.leafID) ? LeafID(rawValue: leaf) : nil,
            parentID: has(CostRecordKey.parentID) ? LeafID(rawValue: parent) : nil,
            rootID: has(CostRecordKey.rootID) ? LeafID(rawValue: root) : nil,
            attempt: has(CostRecordKey.attempt) ? Int(attempt) : nil,
            attribution: attribution,
            tags: tags
        )
    }
}

/// A cursor over one line's bytes.
private struct Scanner {
    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0

    init(p: UnsafePointer<UInt8>, n: Int) {
        self.p = p
        self.n = n
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < n {
            let b = p[i]
            // Every byte above the space is not whitespace: one comparison for the writer's form.
            guard b <= 0x20, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else { return }
            i += 1
        }
    }

    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        guard i < n, p[i] == byte else { return false }
        i += 1
        return true
    }

    /// When the string here is exactly `width` bytes long (a quote that far on): where its content starts.
    @inline(__always)
    func fixedWidthString(_ width: Int) -> Int? {
        guard i &+ width &+ 2 <= n, p[i] == UInt8(ascii: "\""), p[i &+ width &+ 1] == UInt8(ascii: "\"") else {
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
        let raw = UnsafeRawPointer(p + i)
        let w0 = raw.loadUnaligned(as: UInt64.self)
        if hint >= first, literal(hint, w0, raw, literals) { return hint }
        var k = first
        while k < CostRecordKey.count {
            if literal(k, w0, raw, literals) { return k }
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
        let literal = literals[k]
        guard w0 & literal.mask0 == literal.word0 else { return false }
        if literal.length > 8 {
            guard raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & literal.mask1 == literal.word1 else {
                return false
            }
            if literal.length > 16 {
                guard raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self) & literal.mask2 == literal.word2 else {
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
        guard i < n, p[i] == UInt8(ascii: "\"") else { return nil }
        let start = i + 1
        var j = start
        var high: UInt64 = 0
        // Eight bytes at a time while none is a quote, a backslash or a control character (SWAR zero-byte tests;
        // a false alarm only hands the word to the byte loop).
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        while j &+ 8 <= n {
            let x = UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self)
            let quote = x ^ (ones &* 0x22)
            let backslash = x ^ (ones &* 0x5C)
            let stop =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((x &- ones &* 0x20) & ~x)
            let found = stop & tops
            if found != 0 {
                // The lowest flagged byte is a true hit (a borrow can only flag bytes above it).
                let at = found.trailingZeroBitCount >> 3
                guard p[j &+ at] == UInt8(ascii: "\"") else { return nil }
                let before = at == 0 ? 0 : x & (UInt64.max >> UInt64(64 &- 8 &* at))
                if (high | before) & tops != 0 { ascii = false }
                i = j &+ at &+ 1
                return (start, j &+ at)
            }
            high |= x
            j &+= 8
        }
        while j < n {
            let b = p[j]
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
        let first = p[i]
        guard first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        var value = Int64(first &- UInt8(ascii: "0"))
        i += 1
        if first == UInt8(ascii: "0") {
            guard i >= n || !isNumberByte(p[i]) else { return nil }
            return 0
        }
        var digits = 1
        while i < n, p[i] >= UInt8(ascii: "0"), p[i] <= UInt8(ascii: "9") {
            digits += 1
            guard digits <= 18 else { return nil }
            value = value &* 10 &+ Int64(p[i] &- UInt8(ascii: "0"))
            i += 1
        }
        guard i >= n || !isNumberByte(p[i]) else { return nil }
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
        if p[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < n, p[i] >= UInt8(ascii: "0"), p[i] <= UInt8(ascii: "9") else { return nil }
        var whole: Int64 = 0
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i < n, p[i] >= UInt8(ascii: "0"), p[i] <= UInt8(ascii: "9") { return nil }
        } else {
            var digits = 0
            while i < n, p[i] >= UInt8(ascii: "0"), p[i] <= UInt8(ascii: "9") {
                digits += 1
                guard digits <= 18 else { return nil }
                whole = whole &* 10 &+ Int64(p[i] &- UInt8(ascii: "0"))
                i += 1
            }
        }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, p[i] >= UInt8(ascii: "0"), p[i] <= UInt8(ascii: "9") {
                fractionDigits += 1
                guard fractionDigits <= 18 else { return nil }
                fraction = fraction &* 10 &+ Int64(p[i] &- UInt8(ascii: "0"))
                i += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        guard i >= n || !isNumberByte(p[i]) else { return nil }
        // Both parts are below 10¹⁸: the fraction scaled to 18 places stays below 10¹⁸ (an Int64), and the
        // whole part times 10¹⁸ below 10³⁶ (a product of two words).
        let scaled = fraction &* Self.powersOfTen[18 &- fractionDigits]
        let value = Int128(whole) &* 1_000_000_000_000_000_000 &+ Int128(scaled)
        return negative ? 0 &- value : value
    }

    /// 10⁰ through 10¹⁸.
    private static let powersOfTen: [Int64] = (0...18).map { (0..<$0).reduce(Int64(1)) { value, _ in value &* 10 } }
}

/// Every known key's `"name":` form as three little-endian words with masks, for ``Scanner/predictedKey(from:_:)``.
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

    /// Each key's ``ValueKind``, by ``CostRecordKey`` (built once, never freed).
    nonisolated(unsafe) static let kinds: UnsafePointer<ValueKind> = {
        let kinds = UnsafeMutablePointer<ValueKind>.allocate(capacity: CostRecordKey.count)
        for key in 0..<CostRecordKey.count {
            let kind: ValueKind
            switch key {
            case CostRecordKey.v: kind = .version
            case CostRecordKey.inputTokens...CostRecordKey.reasoningTokens: kind = .tokens
            case CostRecordKey.attempt: kind = .attempt
            case CostRecordKey.costUSD: kind = .cost
            case CostRecordKey.tags: kind = .tags
            case CostRecordKey.recordID: kind = .recordID
            case CostRecordKey.ts, CostRecordKey.startedAt: kind = .timestamp
            case CostRecordKey.traceID: kind = .traceID
            case CostRecordKey.leafID, CostRecordKey.parentID, CostRecordKey.rootID: kind = .unitID
            case CostRecordKey.kind, CostRecordKey.status: kind = .named
            default: kind = .string
            }
            (kinds + key).initialize(to: kind)
        }
        return UnsafePointer(kinds)
    }()

    struct Literal {
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        var word2: UInt64 = 0
        var mask0: UInt64 = 0
        var mask1: UInt64 = 0
        var mask2: UInt64 = 0
        var length = 0
    }

    /// Built once, never freed (34 entries).
    nonisolated(unsafe) static let table: UnsafePointer<Literal> = {
        let names: [StaticString] = [
            "v", "record_id", "kind", "ts", "started_at", "provider", "model", "api_key_id", "service_tier",
            "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens",
            "reasoning_tokens", "cost_usd", "price_source", "status", "trace_id", "leaf_id", "parent_id", "root_id",
            "attempt", "user_id", "feature", "team", "project", "task_type", "tool", "prompt_version", "pipeline",
            "priority", "agent", "tags",
        ]
        let table = UnsafeMutablePointer<Literal>.allocate(capacity: names.count)
        for (k, name) in names.enumerated() {
            var bytes: [UInt8] = [UInt8(ascii: "\"")]
            bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
            var literal = Literal()
            literal.length = bytes.count
            var words: [UInt64] = [0, 0, 0]
            var masks: [UInt64] = [0, 0, 0]
            for (offset, byte) in bytes.enumerated() {
                words[offset / 8] |= UInt64(byte) << UInt64(8 * (offset % 8))
                masks[offset / 8] |= 0xFF << UInt64(8 * (offset % 8))
            }
            (literal.word0, literal.word1, literal.word2) = (words[0], words[1], words[2])
            (literal.mask0, literal.mask1, literal.mask2) = (masks[0], masks[1], masks[2])
            table.advanced(by: k).initialize(to: literal)
        }
        return UnsafePointer(table)
    }()
}

/// Lowercase hex digits read eight at a time, without branches on the digits (random hex makes a per-digit
/// branch mispredict a third of the time).
package enum LowercaseHex {
    /// Sixteen lowercase hex digits at `p` as a number, or nil when any byte is not one.
    @inlinable @inline(__always)
    package static func parse16(_ p: UnsafePointer<UInt8>) -> UInt64? {
        guard let high = parse8(UnsafeRawPointer(p)), let low = parse8(UnsafeRawPointer(p + 8)) else { return nil }
        return high << 32 | low
    }

    /// Eight lowercase hex digits at `p` as a number below 2³², or nil.
    @inlinable @inline(__always)
    package static func parse8(_ p: UnsafeRawPointer) -> UInt64? {
        let x = p.loadUnaligned(as: UInt64.self)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        guard x & tops == 0 else { return nil }
        // With every byte below 0x80, adding a constant below 0x80 to each never carries into the next byte, and
        // sets a byte's top bit exactly when the byte is at least (0x80 − constant).
        let atLeast0 = x &+ ones &* (0x80 - 0x30)
        let above9 = x &+ ones &* (0x7F - 0x39)
        let atLeastA = x &+ ones &* (0x80 - 0x61)
        let aboveF = x &+ ones &* (0x7F - 0x66)
        guard ((atLeast0 & ~above9) | (atLeastA & ~aboveF)) & tops == tops else { return nil }
        // '0'…'9' → 0…9; 'a'…'f' (bit 6 set, low nibble 1…6) → 10…15.
        let v = (x & (ones &* 0x0F)) &+ ((x >> 6) & ones) &* 9
        // Bytes hold digits first-to-last from the low end: pack them into one number, first digit highest.
        let pairs = ((v & 0x000F_000F_000F_000F) << 4) | ((v >> 8) & 0x000F_000F_000F_000F)
        let quads = ((pairs & 0x0000_00FF_0000_00FF) << 8) | ((pairs >> 16) & 0x0000_00FF_0000_00FF)
        return ((quads & 0xFFFF) << 16) | ((quads >> 32) & 0xFFFF)
    }
}

/// The writer's timestamp form (`YYYY-MM-DDTHH:MM:SS.mmmZ`) read directly; other forms go through
/// ``UTCTimestamp``'s full RFC 3339 parser.
private enum FastTimestamp {
    static func parse(_ p: UnsafePointer<UInt8>, _ length: Int) -> UTCTimestamp? {
        if length == 24, let value = parseWriterForm(p) { return value }
        return try? UTCTimestamp(utf8: UnsafeBufferPointer(start: p, count: length), field: "ts")
    }

    /// The 24 bytes at `p` in exactly the writer's form, or nil.
    @inline(__always)
    static func parseWriterForm(_ p: UnsafePointer<UInt8>) -> UTCTimestamp? {
        guard let days = date(p) else { return nil }
        return time(p, days: days)
    }

    @inline(__always)
    private static func digits(_ p: UnsafePointer<UInt8>, _ at: Int, _ width: Int) -> Int64? {
        var v: Int64 = 0
        for k in at..<(at + width) {
            let c = p[k] &- UInt8(ascii: "0")
            guard c <= 9 else { return nil }
            v = v &* 10 &+ Int64(c)
        }
        return v
    }

    /// The day number of the writer's form's date (`YYYY-MM-DD`, the first ten bytes at `p`), or nil.
    static func date(_ p: UnsafePointer<UInt8>) -> Int64? {
        guard p[4] == UInt8(ascii: "-"), p[7] == UInt8(ascii: "-"), let year = digits(p, 0, 4),
            let month = digits(p, 5, 2), let day = digits(p, 8, 2), month >= 1, month <= 12, day >= 1,
            day <= daysInMonth(year, month)
        else { return nil }
        return UTCTimestamp.daysFromCivil(year, month, day)
    }

    /// The instant of the writer's form at `p` whose date is day number `days`: the time of day
    /// (`THH:MM:SS.mmmZ`, bytes 10 to 23) checked and added, or nil.
    @inline(__always)
    static func time(_ p: UnsafePointer<UInt8>, days: Int64) -> UTCTimestamp? {
        guard p[10] == UInt8(ascii: "T"), p[13] == UInt8(ascii: ":"), p[16] == UInt8(ascii: ":"),
            p[19] == UInt8(ascii: "."), p[23] == UInt8(ascii: "Z"), let hour = digits(p, 11, 2),
            let minute = digits(p, 14, 2), let second = digits(p, 17, 2), let millis = digits(p, 20, 3),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        let seconds = days &* 86_400 &+ hour &* 3600 &+ minute &* 60 &+ min(second, 59)
        // Years outside 1677–2262 do not fit in nanoseconds: refused, as the strict parser refuses them.
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflow2) = nanoseconds.addingReportingOverflow(millis &* 1_000_000)
        guard !overflow, !overflow2 else { return nil }
        return UTCTimestamp(nanosecondsSinceEpoch: sum)
    }

    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// Byte-level writing helpers and shared rules.
enum LineEncoding {
    /// `,"user_id":` … `,"agent":`, in ``AttributionField/all`` order.
    static let attributionKeys: [StaticString] = [
        #","user_id":"#, #","feature":"#, #","team":"#, #","project":"#, #","task_type":"#, #","tool":"#,
        #","prompt_version":"#, #","pipeline":"#, #","priority":"#, #","agent":"#,
    ]

    /// Appends a literal's bytes (no `String` involved).
    @inline(__always)
    static func literal(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The wire form of a timestamp (`2026-11-24T16:02:00.123Z`), written without allocating.
    static func timestamp(_ value: UTCTimestamp, to out: inout [UInt8]) {
        let ms = value.millisecondsSinceEpoch
        let (dayQ, dayR) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        let days = dayR < 0 ? dayQ - 1 : dayQ
        let msOfDay = ms - days * 86_400_000
        let (y, m, d) = UTCTimestamp.civil(fromDays: days)
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &text) { raw in
            func put(_ value: Int64, _ at: Int, _ width: Int) {
                var v = value.magnitude
                var k = at + width - 1
                while k >= at {
                    raw[k] = UInt8(ascii: "0") &+ UInt8(v % 10)
                    v /= 10
                    k -= 1
                }
            }
            put(y, 0, 4)
            raw[4] = UInt8(ascii: "-")
            put(m, 5, 2)
            raw[7] = UInt8(ascii: "-")
            put(d, 8, 2)
            raw[10] = UInt8(ascii: "T")
            put(msOfDay / 3_600_000, 11, 2)
            raw[13] = UInt8(ascii: ":")
            put(msOfDay / 60_000 % 60, 14, 2)
            raw[16] = UInt8(ascii: ":")
            put(msOfDay / 1000 % 60, 17, 2)
            raw[19] = UInt8(ascii: ".")
            put(msOfDay % 1000, 20, 3)
            raw[23] = UInt8(ascii: "Z")
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<24]))
        }
    }

    /// `,"key":"value"` with the key given as its literal prefix.
    @inline(__always)
    static func member(_ prefix: StaticString, _ value: String, to out: inout [UInt8]) {
        prefix.withUTF8Buffer { out.append(contentsOf: $0) }
        string(value, to: &out)
    }

    /// A JSON string with canonical escaping: only `"`, `\` and U+0000–U+001F.
    static func string(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                out.append(UInt8(ascii: "\\"))
                switch b {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hexDigit(b >> 4), hexDigit(b & 0xF)])
                }
            }
            if runStart < utf8.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") &+ v : UInt8(ascii: "a") &+ v &- 10 }

    /// An integer in minimal form, without allocating.
    static func integer(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        unsigned(value.magnitude, to: &out)
    }

    static func unsigned(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, filled from the end
        withUnsafeMutableBytes(of: &digits) { raw in
            var v = value
            var at = 24
            while v > 0 {
                at -= 1
                raw[at] = UInt8(ascii: "0") &+ UInt8(v % 10)
                v /= 10
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[at..<24]))
        }
    }

    /// The exact decimal of an amount in attodollars, without trailing zeros (`0.0000025`, `12`, `-0.5`).
    static func exactDecimal(_ attodollars: Int128, to out: inout [UInt8]) {
        if attodollars < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = attodollars.magnitude
        let (whole, fraction) = magnitude.quotientAndRemainder(dividingBy: 1_000_000_000_000_000_000)
        if whole <= UInt128(UInt64.max) {
            unsigned(UInt64(whole), to: &out)
        } else {
            out.append(contentsOf: String(whole).utf8)
        }
        guard fraction != 0 else { return }
        out.append(UInt8(ascii: "."))
        var f = UInt64(fraction)
        var places = 18
        while f % 10 == 0 {
            f /= 10
            places -= 1
        }
        var divisor: UInt64 = 1
        for _ in 1..<places { divisor &*= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") &+ UInt8(f / divisor % 10))
            divisor /= 10
        }
    }

    /// `[a-z0-9_.-]{1,64}`.
    static func isTagKey(_ bytes: some Collection<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 64 else { return false }
        for b in bytes {
            let ok =
                (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
            if !ok { return false }
        }
        return true
    }

    static func trimNewline(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let last = line.last, last == UInt8(ascii: "\n") else { return line }
        return UnsafeBufferPointer(rebasing: line[0..<(line.count - 1)])
    }

    static func location(_ file: String?, _ line: Int?) -> String? {
        switch (file, line) {
        case (let file?, let line?): return "\(file):\(line)"
        case (let file?, nil): return file
        case (nil, let line?): return "line \(line)"
        case (nil, nil): return nil
        }
    }

    static func suffix(_ location: String?) -> String {
        location.map { " (at \($0))" } ?? ""
    }
}
