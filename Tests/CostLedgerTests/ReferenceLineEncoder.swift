import Attribution

@testable import CostLedger

// The line encoder as it was before the pointer-based one (`CostRecord.encodeLine(into:)`), kept verbatim as the
// reference the fast path must match byte for byte.

extension CostRecord {
    /// The reference encoding of the record's line.
    func referenceJSONLine() -> [UInt8] {
        var out: [UInt8] = []
        referenceAppendJSONLine(to: &out)
        return out
    }

    func referenceAppendJSONLine(to out: inout [UInt8]) {
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
}
