import Attribution
import WireFormat

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
        ReferenceEncoding.literal(#"{"v":1,"record_id":"#, to: &out)
        ReferenceEncoding.string(recordID, to: &out)
        if kind != .call {
            ReferenceEncoding.literal(#","kind":"#, to: &out)
            ReferenceEncoding.string(kind.name, to: &out)
        }
        ReferenceEncoding.literal(#","ts":""#, to: &out)
        ReferenceEncoding.timestamp(timestamp, to: &out)
        out.append(UInt8(ascii: "\""))
        if let startedAt {
            ReferenceEncoding.literal(#","started_at":""#, to: &out)
            ReferenceEncoding.timestamp(startedAt, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let provider { ReferenceEncoding.member(#","provider":"#, provider, to: &out) }
        if let model { ReferenceEncoding.member(#","model":"#, model, to: &out) }
        if let apiKeyID { ReferenceEncoding.member(#","api_key_id":"#, apiKeyID, to: &out) }
        if let serviceTier { ReferenceEncoding.member(#","service_tier":"#, serviceTier, to: &out) }
        if kind == .call || usage.input != 0 || usage.output != 0 {
            ReferenceEncoding.literal(#","input_tokens":"#, to: &out)
            ReferenceEncoding.integer(usage.input, to: &out)
            ReferenceEncoding.literal(#","output_tokens":"#, to: &out)
            ReferenceEncoding.integer(usage.output, to: &out)
        }
        if usage.cachedInput != 0 {
            ReferenceEncoding.literal(#","cached_input_tokens":"#, to: &out)
            ReferenceEncoding.integer(usage.cachedInput, to: &out)
        }
        if usage.cacheWrite != 0 {
            ReferenceEncoding.literal(#","cache_write_tokens":"#, to: &out)
            ReferenceEncoding.integer(usage.cacheWrite, to: &out)
        }
        if usage.cacheWrite1h != 0 {
            ReferenceEncoding.literal(#","cache_write_1h_tokens":"#, to: &out)
            ReferenceEncoding.integer(usage.cacheWrite1h, to: &out)
        }
        if usage.reasoning != 0 {
            ReferenceEncoding.literal(#","reasoning_tokens":"#, to: &out)
            ReferenceEncoding.integer(usage.reasoning, to: &out)
        }
        if let costUSD {
            ReferenceEncoding.literal(#","cost_usd":"#, to: &out)
            ReferenceEncoding.exactDecimal(costUSD.attodollars, to: &out)
        }
        if let priceSource { ReferenceEncoding.member(#","price_source":"#, priceSource, to: &out) }
        if status != .ok { ReferenceEncoding.member(#","status":"#, status.name, to: &out) }
        if let traceID {
            ReferenceEncoding.literal(#","trace_id":""#, to: &out)
            traceID.appendHex(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let leafID {
            ReferenceEncoding.literal(#","leaf_id":""#, to: &out)
            leafID.appendHex(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let parentID {
            ReferenceEncoding.literal(#","parent_id":""#, to: &out)
            parentID.appendHex(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let rootID {
            ReferenceEncoding.literal(#","root_id":""#, to: &out)
            rootID.appendHex(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let attempt {
            ReferenceEncoding.literal(#","attempt":"#, to: &out)
            ReferenceEncoding.integer(Int64(attempt), to: &out)
        }
        if !attribution.isEmpty {
            // Slot the values by canonical order rather than hashing each field of the table.
            var slots = InlineArray<10, String?>(repeating: nil)
            for (field, value) in attribution where field.order >= 0 && field.order < 10 {
                slots[field.order] = value
            }
            for order in 0..<10 {
                guard let value = slots[order] else { continue }
                ReferenceEncoding.literal(ReferenceEncoding.attributionKeys[order], to: &out)
                ReferenceEncoding.string(value, to: &out)
            }
        }
        if tags.count == 1, let (key, value) = tags.first {
            ReferenceEncoding.literal(#","tags":{"#, to: &out)
            ReferenceEncoding.string(key, to: &out)
            out.append(UInt8(ascii: ":"))
            ReferenceEncoding.string(value, to: &out)
            out.append(UInt8(ascii: "}"))
        } else if !tags.isEmpty, tags.count <= 8 {
            // A few tags: pick each next key in byte order in place, without sorting into a new array.
            ReferenceEncoding.literal(#","tags":{"#, to: &out)
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
                ReferenceEncoding.string(key, to: &out)
                out.append(UInt8(ascii: ":"))
                ReferenceEncoding.string(value, to: &out)
                previous = key
            }
            out.append(UInt8(ascii: "}"))
        } else if !tags.isEmpty {
            ReferenceEncoding.literal(#","tags":{"#, to: &out)
            let pairs = tags.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                ReferenceEncoding.string(pair.key, to: &out)
                out.append(UInt8(ascii: ":"))
                ReferenceEncoding.string(pair.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
    }
}

/// The reference encoder's byte-level writers (kept verbatim from before the pointer-based writer; the keys are
/// spelled out here on purpose, as an independent check of ``LedgerKey``'s names).
enum ReferenceEncoding {
    /// `,"user_id":` … `,"agent":`, in ``AttributionField/all`` order.
    static let attributionKeys: [StaticString] = [
        #","user_id":"#, #","feature":"#, #","team":"#, #","project":"#, #","task_type":"#, #","tool":"#,
        #","prompt_version":"#, #","pipeline":"#, #","priority":"#, #","agent":"#,
    ]

    /// Appends a literal's bytes (no `String` involved).
    @inline(__always)
    static func literal(_ text: StaticString, to out: inout [UInt8]) {
        unsafe out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The wire form of a timestamp (`2026-11-24T16:02:00.123Z`), written without allocating.
    static func timestamp(_ value: UTCTimestamp, to out: inout [UInt8]) {
        let ms = value.millisecondsSinceEpoch
        let (dayQ, dayR) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        let days = dayR < 0 ? dayQ - 1 : dayQ
        let msOfDay = ms - days * 86_400_000
        let (y, m, d) = CivilDate.date(days: days)
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        unsafe withUnsafeMutableBytes(of: &text) { raw in
            func put(_ value: Int64, _ at: Int, _ width: Int) {
                var v = value.magnitude
                var k = at + width - 1
                while k >= at {
                    unsafe raw[k] = UInt8(ascii: "0") &+ UInt8(v % 10)
                    v /= 10
                    k -= 1
                }
            }
            put(y, 0, 4)
            unsafe raw[4] = UInt8(ascii: "-")
            put(m, 5, 2)
            unsafe raw[7] = UInt8(ascii: "-")
            put(d, 8, 2)
            unsafe raw[10] = UInt8(ascii: "T")
            put(msOfDay / 3_600_000, 11, 2)
            unsafe raw[13] = UInt8(ascii: ":")
            put(msOfDay / 60_000 % 60, 14, 2)
            unsafe raw[16] = UInt8(ascii: ":")
            put(msOfDay / 1000 % 60, 17, 2)
            unsafe raw[19] = UInt8(ascii: ".")
            put(msOfDay % 1000, 20, 3)
            unsafe raw[23] = UInt8(ascii: "Z")
            unsafe out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<24]))
        }
    }

    /// `,"key":"value"` with the key given as its literal prefix.
    @inline(__always)
    static func member(_ prefix: StaticString, _ value: String, to out: inout [UInt8]) {
        prefix.withUTF8Buffer { unsafe out.append(contentsOf: $0) }
        string(value, to: &out)
    }

    /// A JSON string with canonical escaping: only `"`, `\` and U+0000–U+001F.
    static func string(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = unsafe utf8[i]
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                if runStart < i { unsafe out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
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
            if runStart < utf8.count { unsafe out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

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
        unsafe withUnsafeMutableBytes(of: &digits) { raw in
            var v = value
            var at = 24
            while v > 0 {
                at -= 1
                unsafe raw[at] = UInt8(ascii: "0") &+ UInt8(v % 10)
                v /= 10
            }
            unsafe out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[at..<24]))
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

    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") &+ v : UInt8(ascii: "a") &+ v &- 10 }
}
