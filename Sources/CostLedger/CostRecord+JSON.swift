import Attribution

// The cost record's JSON Lines codec (docs/ledger.md).
//
// Writing: one compact object per line, keys in the table's order, canonical string escaping (only `"`, `\` and
// U+0000–U+001F), integers in minimal form, `cost_usd` as the exact decimal (never rounded). Default values are
// not written: `kind` only for non-call records, `status` only for `error`, the token subsets only when non-zero.
//
// Reading: two paths with one meaning. A byte-level scanner handles the lines this project writes (known keys,
// strings without escapes, integer counts, a flat `tags` object) without building a JSON tree; anything else —
// escapes, unknown keys, nested values, `null`, any rule broken — goes to the strict path over ``JSONParser``,
// which is the reference and the only source of error messages. Both give identical results; the tests check
// that on random and mutated lines.

extension CostRecord {
    /// The ledger's limits, as named constants.
    public enum LineLimits {
        /// Longest line a reader accepts, newline excluded (64 KiB); longer lines are skipped and counted.
        public static let maxLineBytes = 64 * 1024
        /// Longest string value (record id, provider, model, attribution values, tags), in UTF-8 bytes.
        public static let maxStringBytes = 256
        /// Most entries in `tags`.
        public static let maxTags = 32
        /// Deepest nesting of an unknown key's value.
        public static let maxDepth = 8
        /// The format version this release writes and reads.
        public static let version = 1
    }

    /// The most bytes the record's line can take, newline included: a fixed allowance for the keys, numbers,
    /// timestamps, ids and the amount (under 800 bytes at their widest), and six bytes per string byte (every
    /// byte escaped as `\u00XX`) plus quotes and separators. Cheap: string lengths are stored, not counted.
    public var encodedLineBound: Int {
        var bound = 1026 &+ 6 &* recordID.utf8.count &+ 6 &* kind.name.utf8.count &+ 6 &* status.name.utf8.count
        if let provider { bound &+= 6 &* provider.utf8.count &+ 2 }
        if let model { bound &+= 6 &* model.utf8.count &+ 2 }
        if let apiKeyID { bound &+= 6 &* apiKeyID.utf8.count &+ 2 }
        if let serviceTier { bound &+= 6 &* serviceTier.utf8.count &+ 2 }
        if let priceSource { bound &+= 6 &* priceSource.utf8.count &+ 2 }
        for value in attribution.values { bound &+= 6 &* value.utf8.count &+ 2 }
        for (key, value) in tags { bound &+= 6 &* (key.utf8.count &+ value.utf8.count) &+ 6 }
        return bound
    }

    /// ``validate()`` and ``encodedLineBound`` in one pass over the record, for the ledger writer.
    ///
    /// A call record is checked here against the same rules, reading each string's stored length once for both
    /// answers; anything else (a unit record, or any rule broken) goes through ``validate()``, which names the
    /// field at fault.
    /// - Returns: ``encodedLineBound``.
    /// - Throws: what ``validate()`` throws.
    package func validatedLineBound() throws(CostLedgerError) -> Int {
        guard kind == .call, let provider, let model else {
            try validate()
            return encodedLineBound
        }
        let limit = LineLimits.maxStringBytes
        var valid = true
        func measure(_ value: String) -> Int {
            let count = value.utf8.count
            if count == 0 || count > limit { valid = false }
            return 6 &* count &+ 2
        }
        var bound = 1024 &+ measure(recordID) &+ measure(provider) &+ measure(model)
        bound &+= 6 &* (kind.name.utf8.count &+ status.name.utf8.count)
        if let apiKeyID { bound &+= measure(apiKeyID) }
        if let serviceTier { bound &+= measure(serviceTier) }
        if let priceSource { bound &+= measure(priceSource) }
        let u = usage
        let (cachedAndWrite, o1) = u.cachedInput.addingReportingOverflow(u.cacheWrite)
        let (subsets, o2) = cachedAndWrite.addingReportingOverflow(u.cacheWrite1h)
        if u.input < 0 || u.output < 0 || u.cachedInput < 0 || u.cacheWrite < 0 || u.cacheWrite1h < 0
            || u.reasoning < 0 || o1 || o2 || subsets > u.input || u.reasoning > u.output
        {
            valid = false
        }
        if let attempt, attempt < 1 || attempt > Int(Int32.max) { valid = false }
        if let costUSD, costUSD.attodollars < 0 { valid = false }
        for value in attribution.values { bound &+= measure(value) }
        if tags.count > LineLimits.maxTags { valid = false }
        for (key, value) in tags {
            if !AttributionEnvelope.isTagKey(key.utf8) { valid = false }
            bound &+= measure(value) &+ 6 &* key.utf8.count &+ 4
        }
        if !valid { try validate() }
        return bound
    }

    /// The most bytes a call record that passes ``validate()`` can take as a line: the fixed allowance of
    /// ``encodedLineBound``, six strings and ten attribution values of at most 256 bytes, and 32 tags of at most
    /// 64 + 256 bytes, every byte escaped to six.
    package static let maxCheckedLineBytes =
        1026 + 6 * 10 + 16 * (6 * LineLimits.maxStringBytes + 2)
        + LineLimits.maxTags * (6 * (64 + LineLimits.maxStringBytes) + 6)

    /// The line's members, through `w` (checking strings when `w.checking`).
    func encodeLine(_ w: inout LineWriter) {
        w.firstMember(.v)
        w.byte(UInt8(ascii: "1"))
        w.member(.recordID)
        w.value(recordID)
        if kind != .call {
            w.member(.kind)
            w.string(kind.name)
        }
        w.member(.ts)
        w.byte(UInt8(ascii: "\""))
        w.timestamp(timestamp)
        w.byte(UInt8(ascii: "\""))
        if let startedAt {
            w.member(.startedAt)
            w.byte(UInt8(ascii: "\""))
            w.timestamp(startedAt)
            w.byte(UInt8(ascii: "\""))
        }
        if let provider {
            w.member(.provider)
            w.value(provider)
        }
        if let model {
            w.member(.model)
            w.value(model)
        }
        if let apiKeyID {
            w.member(.apiKeyID)
            w.value(apiKeyID)
        }
        if let serviceTier {
            w.member(.serviceTier)
            w.value(serviceTier)
        }
        if kind == .call || usage.input != 0 || usage.output != 0 {
            w.member(.inputTokens)
            w.integer(usage.input)
            w.member(.outputTokens)
            w.integer(usage.output)
        }
        if usage.cachedInput != 0 {
            w.member(.cachedInputTokens)
            w.integer(usage.cachedInput)
        }
        if usage.cacheWrite != 0 {
            w.member(.cacheWriteTokens)
            w.integer(usage.cacheWrite)
        }
        if usage.cacheWrite1h != 0 {
            w.member(.cacheWrite1hTokens)
            w.integer(usage.cacheWrite1h)
        }
        if usage.reasoning != 0 {
            w.member(.reasoningTokens)
            w.integer(usage.reasoning)
        }
        if let costUSD {
            w.member(.costUSD)
            w.exactDecimal(costUSD.attodollars)
        }
        if let priceSource {
            w.member(.priceSource)
            w.value(priceSource)
        }
        if status != .ok {
            w.member(.status)
            w.string(status.name)
        }
        if let traceID {
            w.member(.traceID)
            w.byte(UInt8(ascii: "\""))
            w.hex(traceID.high)
            w.hex(traceID.low)
            w.byte(UInt8(ascii: "\""))
        }
        if let leafID {
            w.member(.leafID)
            w.byte(UInt8(ascii: "\""))
            w.hex(leafID.rawValue)
            w.byte(UInt8(ascii: "\""))
        }
        if let parentID {
            w.member(.parentID)
            w.byte(UInt8(ascii: "\""))
            w.hex(parentID.rawValue)
            w.byte(UInt8(ascii: "\""))
        }
        if let rootID {
            w.member(.rootID)
            w.byte(UInt8(ascii: "\""))
            w.hex(rootID.rawValue)
            w.byte(UInt8(ascii: "\""))
        }
        if let attempt {
            w.member(.attempt)
            w.integer(Int64(attempt))
        }
        if !attribution.isEmpty { Self.encodeAttribution(attribution, &w) }
        if !tags.isEmpty {
            w.member(.tags)
            w.byte(UInt8(ascii: "{"))
            Self.encodeTags(tags, &w)
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "}"))
        w.byte(UInt8(ascii: "\n"))
    }

    /// The tags' members in byte order of their keys.
    private static func encodeTags(_ tags: [String: String], _ w: inout LineWriter) {
        func member(_ key: String, _ value: String) {
            w.tagKey(key)
            w.byte(UInt8(ascii: ":"))
            w.value(value)
        }
        switch tags.count {
        case 1:
            for (key, value) in tags { member(key, value) }
        case 2:
            var entries = tags.makeIterator()
            guard let first = entries.next(), let second = entries.next() else { return }
            if LineWriter.precedes(second.key, first.key) {
                member(second.key, second.value)
                w.byte(UInt8(ascii: ","))
                member(first.key, first.value)
            } else {
                member(first.key, first.value)
                w.byte(UInt8(ascii: ","))
                member(second.key, second.value)
            }
        case 3...8:
            // A few tags: pick each next key in byte order in place, without sorting into a new array.
            var previous: String?
            for i in 0..<tags.count {
                var next: Dictionary<String, String>.Index?
                var index = tags.startIndex
                while index != tags.endIndex {
                    let key = tags[index].key
                    let afterPrevious = previous.map { LineWriter.precedes($0, key) } ?? true
                    if afterPrevious, next.map({ LineWriter.precedes(key, tags[$0].key) }) ?? true {
                        next = index
                    }
                    index = tags.index(after: index)
                }
                guard let next else { break }
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                let (key, value) = tags[next]
                member(key, value)
                previous = key
            }
        default:
            let pairs = tags.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (i, pair) in pairs.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                member(pair.key, pair.value)
            }
        }
    }

    /// Checks the rules of the ledger format that a record value can break, so that a writer never writes a
    /// line its readers would reject: string values non-empty and at most
    /// ``LineLimits/maxStringBytes`` bytes, `provider` and `model` present on calls, token counts (see
    /// ``TokenUsage/validate()``), `attempt` from 1 to 2³¹−1, tag keys matching `[a-z0-9_.-]{1,64}` and at most
    /// ``LineLimits/maxTags`` of them, and a unit record's `leaf_id` present with `record_id` = `unit:` + it.
    /// - Throws: ``CostLedgerError/Code/invalidRecord`` naming the first field at fault.
    public func validate() throws(CostLedgerError) {
        try validate(location: nil)
    }

    func validate(location: String?) throws(CostLedgerError) {
        func fail(_ field: String, _ reason: String) -> CostLedgerError {
            CostLedgerError(.invalidRecord, field: field, reason: reason + LineEncoding.suffix(location))
        }
        func check(_ value: String?, _ field: String) throws(CostLedgerError) {
            guard let value else { return }
            if value.isEmpty { throw fail(field, "must not be empty") }
            let count = value.utf8.count
            if count > LineLimits.maxStringBytes {
                throw fail(
                    field,
                    "at most \(LineLimits.maxStringBytes) bytes, got \(count): \(AttributionError.quote(value))"
                )
            }
        }
        try check(recordID, LedgerKey.recordID.name)
        if kind == .call {
            if provider == nil { throw fail(LedgerKey.provider.name, "required for a call record") }
            if model == nil { throw fail(LedgerKey.model.name, "required for a call record") }
        }
        try check(provider, LedgerKey.provider.name)
        try check(model, LedgerKey.model.name)
        try check(apiKeyID, LedgerKey.apiKeyID.name)
        try check(serviceTier, LedgerKey.serviceTier.name)
        // The same rules as ``TokenUsage/validate()``, checked inline; only a record at fault pays for the
        // error (and the table of fields the full check builds).
        let u = usage
        let (cachedAndWrite, o1) = u.cachedInput.addingReportingOverflow(u.cacheWrite)
        let (subsets, o2) = cachedAndWrite.addingReportingOverflow(u.cacheWrite1h)
        let usageOK =
            u.input >= 0 && u.output >= 0 && u.cachedInput >= 0 && u.cacheWrite >= 0 && u.cacheWrite1h >= 0
            && u.reasoning >= 0 && !o1 && !o2 && subsets <= u.input && u.reasoning <= u.output
        if !usageOK {
            do {
                try usage.validate()
            } catch {
                throw CostLedgerError(
                    .invalidRecord,
                    field: error.field,
                    reason: error.reason + LineEncoding.suffix(location)
                )
            }
        }
        if let costUSD, costUSD.attodollars < 0 {
            // Spend is never negative: readers count such a line as an invalid record (docs/ledger.md).
            throw fail(LedgerKey.costUSD.name, "must be ≥ 0, got \(costUSD)")
        }
        try check(priceSource, LedgerKey.priceSource.name)
        if let attempt, !(1...Int(Int32.max)).contains(attempt) {
            throw fail(LedgerKey.attempt.name, "must be an integer from 1 to \(Int32.max), got \(attempt)")
        }
        // One pass without sorting or hashing; only a record at fault pays for naming its first field in order.
        var attributionOK = true
        for (_, value) in attribution where value.isEmpty || value.utf8.count > LineLimits.maxStringBytes {
            attributionOK = false
        }
        if !attributionOK {
            for field in AttributionField.all {
                try check(attribution[field], field.name)
            }
        }
        if tags.count > LineLimits.maxTags {
            throw fail(LedgerKey.tags.name, "at most \(LineLimits.maxTags) entries, got \(tags.count)")
        }
        var tagsOK = true
        for (key, value) in tags
        where !AttributionEnvelope.isTagKey(key.utf8) || value.isEmpty || value.utf8.count > LineLimits.maxStringBytes {
            tagsOK = false
        }
        if !tagsOK {
            for key in tags.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                if !AttributionEnvelope.isTagKey(key.utf8) {
                    throw fail(
                        LedgerKey.tags.name,
                        "keys must match [a-z0-9_.-]{1,64}, got \(AttributionError.quote(key))"
                    )
                }
                try check(tags[key], "\(LedgerKey.tags.name).\(key)")
            }
        }
        if kind == .unit {
            guard let leafID else { throw fail(LedgerKey.leafID.name, "required for a unit record") }
            let expected = "unit:\(leafID)"
            if recordID != expected {
                throw fail(
                    LedgerKey.recordID.name,
                    "a unit record's id must be \(AttributionError.quote(expected)), got \(AttributionError.quote(recordID))"
                )
            }
        }
    }
}
