import Attribution
import Foundation
import Testing

@testable import CostLedger

/// The digit-at-a-time reference the eight-at-a-time hex reader must agree with.
private func referenceHex16(_ bytes: [UInt8]) -> UInt64? {
    guard bytes.count == 16 else { return nil }
    var value: UInt64 = 0
    for b in bytes {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(b - UInt8(ascii: "a") + 10)
        default: return nil
        }
    }
    return value
}

private func scanOutcome(_ line: [UInt8]) -> (record: CostRecord?, hexID: (UInt64, UInt64)?) {
    unsafe line.withUnsafeBufferPointer { buffer in
        var fields = CostRecordFields()
        guard unsafe fields.scan(buffer) else { return (nil, nil) }
        let hex = fields.recordIDIsHex ? (fields.recordIDHigh, fields.recordIDLow) : nil
        return unsafe (fields.makeRecord(buffer), hex)
    }
}

private func strictRecord(_ line: [UInt8]) -> CostRecord? {
    unsafe line.withUnsafeBufferPointer { buffer in
        if case .record(let record) = unsafe CostRecord.decodeStrict(buffer, location: nil) { return record }
        return nil
    }
}

@Suite("The ledger line scanner's fast paths")
struct FastScannerTests {
    @Test("the hex reader agrees with a digit-at-a-time reader for every byte at every position")
    func hexMatchesReference() {
        let valid = Array("0123456789abcdef".utf8)
        var disagreements = 0
        for position in 0..<16 {
            for byte in 0...255 {
                var digits = valid
                digits[position] = UInt8(byte)
                let fast = unsafe digits.withUnsafeBufferPointer { unsafe LowercaseHex.parse16($0.baseAddress!) }
                if fast != referenceHex16(digits) { disagreements += 1 }
            }
        }
        #expect(disagreements == 0)
        let digits = Array("fedcba9876543210".utf8)
        let parsed = unsafe digits.withUnsafeBufferPointer { unsafe LowercaseHex.parse16($0.baseAddress!) }
        #expect(parsed == 0xfedc_ba98_7654_3210)
    }

    @Test("a 32-hex record id is read as its value; any other id is not")
    func hexRecordIDs() throws {
        var record = LedgerFixtures.callRecord("4bf92f3577b34da6a3ce929d0e0e4736")
        var scanned = scanOutcome(record.jsonLine().dropLast())
        #expect(scanned.record == record)
        let hex = try #require(scanned.hexID)
        #expect(hex.0 == 0x4bf9_2f35_77b3_4da6 && hex.1 == 0xa3ce_929d_0e0e_4736)
        for id in [
            "4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e473", "r-1",
            "4bf92f3577b34da6a3ce929d0e0e473g",
        ] {
            record = LedgerFixtures.callRecord(id)
            scanned = scanOutcome(record.jsonLine().dropLast())
            #expect(scanned.record == record)
            #expect(scanned.hexID == nil)
        }
    }

    @Test("every byte of the fixed-width fields, replaced by any byte, reads the same as the strict decoder")
    func fixedWidthMutations() {
        var rng = LedgerRNG(seed: 11)
        var record = LedgerFixtures.randomRecord(&rng)
        record.kind = .call
        record.recordID = "00f067aa0ba902b700f067aa0ba902b7"
        record.provider = "openai"
        record.model = "gpt-4.1"
        record.traceID = TraceID.random(using: &rng)
        record.leafID = LeafID.random(using: &rng)
        record.parentID = LeafID.random(using: &rng)
        record.rootID = LeafID.random(using: &rng)
        record.startedAt = record.timestamp
        record.attribution = [.userID: "u_1"]
        record.tags = [:]
        let line = Array(record.jsonLine().dropLast())
        let text = String(decoding: line, as: UTF8.self)
        var positions: [Int] = []
        for key in ["record_id", "ts", "started_at", "trace_id", "leaf_id", "parent_id", "root_id"] {
            let range = text.utf8.firstRange(of: "\"\(key)\":\"".utf8)!
            let start = text.utf8.distance(from: text.utf8.startIndex, to: range.upperBound) - 1
            positions.append(contentsOf: start...(start + (key.hasSuffix("_at") || key == "ts" ? 25 : 33)))
        }
        var disagreements: [String] = []
        for position in positions where position < line.count {
            for byte in [0x00, 0x22, 0x5C, 0x2F, 0x30, 0x39, 0x3A, 0x41, 0x5A, 0x61, 0x66, 0x67, 0x7F, 0x80, 0xFF] {
                var mutated = line
                mutated[position] = UInt8(byte)
                let strict = strictRecord(mutated)
                let fast = scanOutcome(mutated).record
                if fast != nil, fast != strict, disagreements.count < 5 {
                    disagreements.append("\(position) \(byte): \(String(decoding: mutated, as: UTF8.self))")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    @Test("a non-ASCII byte anywhere in a string is noticed, whatever its place in the eight-byte words")
    func nonASCIIAnywhere() {
        for length in 1...20 {
            for position in 0..<length {
                var value = Array(repeating: UInt8(ascii: "a"), count: length)
                value[position] = 0xC3
                value.insert(0xA9, at: position + 1)  // "é"
                var record = LedgerFixtures.callRecord("r-1")
                record.attribution[.userID] = String(decoding: value, as: UTF8.self)
                let line = Array(record.jsonLine().dropLast())
                let ascii = unsafe line.withUnsafeBufferPointer { buffer -> Bool? in
                    var fields = CostRecordFields()
                    return unsafe fields.scan(buffer) ? fields.allASCII : nil
                }
                #expect(ascii == false, "length \(length), position \(position)")
                #expect(scanOutcome(line).record == record)
            }
            var record = LedgerFixtures.callRecord("r-1")
            record.attribution[.userID] = String(repeating: "a", count: length)
            let line = Array(record.jsonLine().dropLast())
            let ascii = unsafe line.withUnsafeBufferPointer { buffer -> Bool? in
                var fields = CostRecordFields()
                return unsafe fields.scan(buffer) ? fields.allASCII : nil
            }
            #expect(ascii == true)
        }
    }

    @Test("one scanner reused line after line reads every line as a fresh scanner and the strict decoder do")
    func reusedScannerRemembersNothingWrong() {
        // The scanner keeps, from line to line, the key order it last saw and the last date it parsed: a line
        // that differs from the one before (another day, a broken date or time, other keys) must still read
        // exactly as on its own.
        var rng = LedgerRNG(seed: 23)
        var base = LedgerFixtures.callRecord("r-1")
        base.startedAt = base.timestamp
        let day = Array(base.jsonLine().dropLast())
        let text = String(decoding: day, as: UTF8.self)
        let tsStart = text.utf8.distance(
            from: text.utf8.startIndex,
            to: text.utf8.firstRange(of: #""ts":""#.utf8)!.upperBound
        )
        var lines: [[UInt8]] = []
        for n in 0..<3000 {
            switch n % 6 {
            case 0: lines.append(day)
            case 1:
                // The same date, a byte of the time or the date replaced.
                var mutated = day
                let at = tsStart + Int(rng.next() % 24)
                mutated[at] = [0x30, 0x32, 0x39, 0x3A, 0x2D, 0x54, 0x5A, 0x2E, 0x20, 0x41][Int(rng.next() % 10)]
                lines.append(mutated)
            case 2: lines.append(Array(LedgerFixtures.randomRecord(&rng).jsonLine().dropLast()))
            case 3:
                // Another day of the same month and year, then back.
                var other = day
                other[tsStart + 9] = other[tsStart + 9] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
                lines.append(other)
            case 4:
                var record = LedgerFixtures.randomRecord(&rng)
                record.attribution = [:]
                record.parentID = nil
                lines.append(Array(record.jsonLine().dropLast()))
            default:
                var spaced = day
                spaced.insert(UInt8(ascii: " "), at: tsStart - 6)
                lines.append(spaced)
            }
        }
        var reused = CostRecordFields()
        var disagreements: [String] = []
        for line in lines {
            let alone = scanOutcome(line).record
            let again: CostRecord? = unsafe line.withUnsafeBufferPointer { buffer in
                unsafe reused.scan(buffer) ? reused.makeRecord(buffer) : nil
            }
            let strict = strictRecord(line)
            if again != alone || (again != nil && again != strict), disagreements.count < 5 {
                disagreements.append(String(decoding: line, as: UTF8.self))
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    @Test("keys out of the writer's order, or spaced, still read through the general path")
    func keysInAnyOrder() {
        let canonical = String(decoding: LedgerFixtures.callRecord("r-7").jsonLine().dropLast(), as: UTF8.self)
        let reordered =
            #"{"output_tokens":20,"model":"gpt-4.1","v":1,"ts":"2026-11-24T16:02:00.123Z","provider":"openai","#
            + #""input_tokens":100,"record_id":"r-7","cost_usd":0.00036,"user_id":"u_1","feature":"chat","team":"t","#
            + #""project":"p","task_type":"qa"}"#
        let spaced = canonical.replacingOccurrences(of: "\":", with: "\" : ")
        let expected = strictRecord(Array(canonical.utf8))
        #expect(expected != nil)
        #expect(scanOutcome(Array(reordered.utf8)).record == expected)
        #expect(scanOutcome(Array(spaced.utf8)).record == expected)
    }

    @Test(
        "cost_usd in every decimal form reads to the strict decoder's exact amount, or is refused by both",
        arguments: [
            "0", "5", "0.1", "0.0267125", "12.5", "999999999999999999", "0.000000000000000001",
            "123456789012345678.123456789012345678", "1.000000000000000000", "-0.5", "-12.25",
            "0.1234567890123456789", "1234567890123456789", "01", "1.", ".5", "-", "1e-5", "1E2", "0.5e1", "+1",
            "00.5", "-0", "1.5.5",
        ]
    )
    func costDecimals(cost: String) {
        let canonical = String(decoding: LedgerFixtures.callRecord("r-9").jsonLine().dropLast(), as: UTF8.self)
        let line = canonical.replacingOccurrences(of: #""cost_usd":0.00036"#, with: #""cost_usd":"# + cost)
        #expect(line != canonical || cost == "0.00036")
        let strict = strictRecord(Array(line.utf8))
        let fast = scanOutcome(Array(line.utf8))
        // The fast path either reads exactly what the strict decoder reads or declines (the strict path decides).
        if let record = fast.record {
            #expect(record == strict, "\(cost)")
            #expect(record.costUSD == strict?.costUSD, "\(cost)")
        }
        if ["0", "5", "0.1", "12.5", "123456789012345678.123456789012345678"].contains(cost) {
            #expect(fast.record != nil, "\(cost) is in the writer's form")
            #expect(strict != nil)
        }
        // A negative amount is an invalid record on both paths, never spend.
        if cost.hasPrefix("-"), cost != "-0" {
            #expect(fast.record == nil, "\(cost)")
            #expect(strict == nil, "\(cost)")
        }
    }
}

@Suite("The ledger line's one key schema and the scanned line's view")
struct LedgerKeySchemaTests {
    /// A unit record with every key of the line set (a unit, so that `kind` is written; `status` error).
    private static func everyKeyRecord() -> CostRecord {
        let leaf = LeafID(rawValue: 0x0123_4567_89ab_cdef)!
        var attribution: [AttributionField: String] = [:]
        for field in AttributionField.all { attribution[field] = "value-of-\(field.name)" }
        return CostRecord(
            recordID: "unit:\(leaf)",
            kind: .unit,
            timestamp: LedgerFixtures.ts,
            startedAt: LedgerFixtures.ts,
            provider: "openai",
            model: "gpt-4.1",
            apiKeyID: "key_prod_a",
            serviceTier: "flex",
            usage: TokenUsage(input: 100, output: 20, cachedInput: 10, cacheWrite: 5, cacheWrite1h: 1, reasoning: 3),
            costUSD: Money(attodollars: 360_000_000_000_000),
            priceSource: "builtin-2026-12-06",
            status: .error,
            traceID: TraceID(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736),
            leafID: leaf,
            parentID: LeafID(rawValue: 0x1111_2222_3333_4444),
            rootID: LeafID(rawValue: 0x5555_6666_7777_8888),
            attempt: 2,
            attribution: attribution,
            tags: ["env": "prod"]
        )
    }

    @Test(
        "the writer writes every key under its schema name, in the schema's order; attribution keys are the envelope's"
    )
    func writerUsesTheSchema() throws {
        let line = Self.everyKeyRecord().jsonLine()
        let value = try JSONParser.parse(
            line.dropLast(),
            limits: JSONParser.Limits(maxBytes: 1 << 16, maxDepth: 4, rejectDuplicateKeys: true)
        )
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object.members.map(\.key) == LedgerKey.allCases.map(\.name))
        for field in AttributionField.all { #expect(LedgerKey(field).name == field.name) }
        #expect(LedgerKey(name: Array("prompt_version".utf8)) == .promptVersion)
        #expect(LedgerKey(name: Array("no_such_key".utf8)) == nil)
        // The reference encoder spells every key out on its own: the two agree byte for byte.
        #expect(line == Self.everyKeyRecord().referenceJSONLine())
    }

    @Test("line[key] is the value's bytes as written, nil for a key the line lacks; a reused scanner forgets it")
    func scannedView() {
        var record = LedgerFixtures.callRecord("r-view")
        record.attribution[.promptVersion] = "reply-v2-with-a-long-version-name"
        let first = Array(record.jsonLine().dropLast())
        var fields = CostRecordFields()
        unsafe first.withUnsafeBufferPointer { buffer in
            let scanned = unsafe fields.scan(buffer)
            #expect(scanned)
            func text(_ key: LedgerKey) -> String? {
                fields[key].map { value in String(decoding: (0..<value.count).map { value[$0] }, as: UTF8.self) }
            }
            #expect(text(.provider) == "openai")
            #expect(text(.model) == "gpt-4.1")
            #expect(text(.recordID) == "r-view")
            #expect(text(.promptVersion) == "reply-v2-with-a-long-version-name")
            #expect(text(.userID) == "u_1")
            let apiKeyID = fields[.apiKeyID]
            let agent = fields[.agent]
            #expect(apiKeyID == nil)
            #expect(agent == nil)
            let hasCost = fields.has(.costUSD)
            let hasTrace = fields.has(.traceID)
            #expect(hasCost)
            #expect(!hasTrace)
            let model = fields[.model]
            #expect(model?.count == 7)
            #expect(model?.keyIndex == LedgerKey.model.index)
            let modelBytes = model.map { unsafe Array($0.unsafeBytes) }
            #expect(modelBytes == Array("gpt-4.1".utf8))
        }
        var other = LedgerFixtures.callRecord("r-other")
        other.attribution[.promptVersion] = nil
        other.apiKeyID = "key_b"
        let second = Array(other.jsonLine().dropLast())
        unsafe second.withUnsafeBufferPointer { buffer in
            let scanned = unsafe fields.scan(buffer)
            #expect(scanned)
            let promptVersion = fields[.promptVersion]
            let apiKeyID = fields[.apiKeyID].map { value in (0..<value.count).map { value[$0] } }
            #expect(promptVersion == nil)
            #expect(apiKeyID == Array("key_b".utf8))
        }
    }
}

@Test("every ledger key's index is its raw value and its place in allCases")
func ledgerKeyIndexIsItsRawValue() {
    for (position, key) in LedgerKey.allCases.enumerated() {
        #expect(key.index == Int(key.rawValue))
        #expect(key.index == position)
    }
    #expect(LedgerKey.count == 34)
}
