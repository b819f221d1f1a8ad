import Attribution

// The cost record's JSON Lines codec (SPEC section 4).
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

    /// The record as one ledger line: a compact JSON object followed by `\n`.
    ///
    /// ```swift
    /// let line = record.jsonLine()   // {"v":1,"record_id":"r1","ts":"2026-11-24T16:02:00.123Z",…}\n
    /// ```
    /// - Returns: the line's UTF-8 bytes, newline included.
    public func jsonLine() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)  // a typical priced, attributed call record is 600–800 bytes: one allocation
        appendJSONLine(to: &out)
        return out
    }

    /// Appends ``jsonLine()`` to `out` without an intermediate allocation (the ledger writer encodes straight
    /// into its buffer).
    package func appendJSONLine(to out: inout [UInt8]) {
        LineEncoding.literal(#"{"v":1,"record_id":"#, to: &out)
        LineEncoding.string(recordID, to: &out)
        if kind != .call {
            LineEncoding.literal(#","kind":"#, to: &out)
            LineEncoding.string(kind.name, to: &out)
        }
        LineEncoding.literal(#","ts":""#, to: &out)
        LineEncoding.timestamp(timestamp, to: &out)
        out.append(UInt8(ascii: "\""))
        if let startedAt {
            LineEncoding.literal(#","started_at":""#, to: &out)
            LineEncoding.timestamp(startedAt, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let provider { LineEncoding.member(#","provider":"#, provider, to: &out) }
        if let model { LineEncoding.member(#","model":"#, model, to: &out) }
        if let apiKeyID { LineEncoding.member(#","api_key_id":"#, apiKeyID, to: &out) }
        if let serviceTier { LineEncoding.member(#","service_tier":"#, serviceTier, to: &out) }
        if kind == .call || usage.input != 0 || usage.output != 0 {
            LineEncoding.literal(#","input_tokens":"#, to: &out)
            LineEncoding.integer(usage.input, to: &out)
            LineEncoding.literal(#","output_tokens":"#, to: &out)
            LineEncoding.integer(usage.output, to: &out)
        }
        if usage.cachedInput != 0 {
            LineEncoding.literal(#","cached_input_tokens":"#, to: &out)
            LineEncoding.integer(usage.cachedInput, to: &out)
        }
        if usage.cacheWrite != 0 {
            LineEncoding.literal(#","cache_write_tokens":"#, to: &out)
            LineEncoding.integer(usage.cacheWrite, to: &out)
        }
        if usage.cacheWrite1h != 0 {
            LineEncoding.literal(#","cache_write_1h_tokens":"#, to: &out)
            LineEncoding.integer(usage.cacheWrite1h, to: &out)
        }
        if usage.reasoning != 0 {
            LineEncoding.literal(#","reasoning_tokens":"#, to: &out)
            LineEncoding.integer(usage.reasoning, to: &out)
        }
        if let costUSD {
            LineEncoding.literal(#","cost_usd":"#, to: &out)
            LineEncoding.exactDecimal(costUSD.attodollars, to: &out)
        }
        if let priceSource { LineEncoding.member(#","price_source":"#, priceSource, to: &out) }
        if status != .ok { LineEncoding.member(#","status":"#, status.name, to: &out) }
        if let traceID {
            LineEncoding.literal(#","trace_id":""#, to: &out)
            traceID.appendHex(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let leafID {
            LineEncoding.literal(#","leaf_id":""#, to: &out)
            leafID.appendHex(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let parentID {
            LineEncoding.literal(#","parent_id":""#, to: &out)
            parentID.appendHex(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let rootID {
            LineEncoding.literal(#","root_id":""#, to: &out)
            rootID.appendHex(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let attempt {
            LineEncoding.literal(#","attempt":"#, to: &out)
            LineEncoding.integer(Int64(attempt), to: &out)
        }
        if !attribution.isEmpty {
            // Slot the values by canonical order rather than hashing each field of the table.
            var slots = InlineArray<10, String?>(repeating: nil)
            for (field, value) in attribution where field.order >= 0 && field.order < 10 {
                slots[field.order] = value
            }
            for order in 0..<10 {
                guard let value = slots[order] else { continue }
                LineEncoding.literal(LineEncoding.attributionKeys[order], to: &out)
                LineEncoding.string(value, to: &out)
            }
        }
        if tags.count == 1, let (key, value) = tags.first {
            LineEncoding.literal(#","tags":{"#, to: &out)
            LineEncoding.string(key, to: &out)
            out.append(UInt8(ascii: ":"))
            LineEncoding.string(value, to: &out)
            out.append(UInt8(ascii: "}"))
        } else if !tags.isEmpty, tags.count <= 8 {
            // A few tags: pick each next key in byte order in place, without sorting into a new array.
            LineEncoding.literal(#","tags":{"#, to: &out)
            var previous: String?
            for i in 0..<tags.count {
                var next: Dictionary<String, String>.Index?
                var index = tags.startIndex
                while index != tags.endIndex {
                    let key = tags[index].key
                    let afterPrevious = previous.map { $0.utf8.lexicographicallyPrecedes(key.utf8) } ?? true
                    if afterPrevious, next.map({ key.utf8.lexicographicallyPrecedes(tags[$0].key.utf8) }) ?? true {
                        next = index
                    }
                    index = tags.index(after: index)
                }
                guard let next else { break }
                if i > 0 { out.append(UInt8(ascii: ",")) }
                let (key, value) = tags[next]
                LineEncoding.string(key, to: &out)
                out.append(UInt8(ascii: ":"))
                LineEncoding.string(value, to: &out)
                previous = key
            }
            out.append(UInt8(ascii: "}"))
        } else if !tags.isEmpty {
            LineEncoding.literal(#","tags":{"#, to: &out)
            let pairs = tags.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                LineEncoding.string(pair.key, to: &out)
                out.append(UInt8(ascii: ":"))
                LineEncoding.string(pair.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
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
        try check(recordID, "record_id")
        if kind == .call {
            if provider == nil { throw fail("provider", "required for a call record") }
            if model == nil { throw fail("model", "required for a call record") }
        }
        try check(provider, "provider")
        try check(model, "model")
        try check(apiKeyID, "api_key_id")
        try check(serviceTier, "service_tier")
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
        try check(priceSource, "price_source")
        if let attempt, !(1...Int(Int32.max)).contains(attempt) {
            throw fail("attempt", "must be an integer from 1 to \(Int32.max), got \(attempt)")
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
            throw fail("tags", "at most \(LineLimits.maxTags) entries, got \(tags.count)")
        }
        var tagsOK = true
        for (key, value) in tags
        where !LineEncoding.isTagKey(key.utf8) || value.isEmpty || value.utf8.count > LineLimits.maxStringBytes {
            tagsOK = false
        }
        if !tagsOK {
            for key in tags.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                if !LineEncoding.isTagKey(key.utf8) {
                    throw fail("tags", "keys must match [a-z0-9_.-]{1,64}, got \(AttributionError.quote(key))")
                }
                try check(tags[key], "tags.\(key)")
            }
        }
        if kind == .unit {
            guard let leafID else { throw fail("leaf_id", "required for a unit record") }
            let expected = "unit:\(leafID)"
            if recordID != expected {
                throw fail(
                    "record_id",
                    "a unit record's id must be \(AttributionError.quote(expected)), got \(AttributionError.quote(recordID))"
                )
            }
        }
    }
}
