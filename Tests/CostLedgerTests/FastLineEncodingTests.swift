import Attribution
import Testing

@testable import CostLedger

/// Records that push the pointer-based encoder at its edges.
enum FastEncodingFixtures {
    /// Strings whose escapes fall before, on and after an 8-byte word boundary, non-ASCII, every control byte.
    static let strings: [String] = [
        "a", "summarize", "0123456", "01234567", "012345678", "0123456789abcdef", "0123456\"", "01234567\\",
        "\u{7F}delete", "é", "日本語のテキスト", "emoji 🧾 ok", "tab\there", "line\nbreak", "\r\u{8}\u{C}",
        "\u{0}\u{1}\u{1F}", "quote\"in the middle of a long string, past two words", "ends with backslash\\",
        "\"", "\\", String(repeating: "x", count: 256), String(repeating: "\u{1}", count: 40),
        String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }),
    ]

    /// Every string above in every string field, amounts at their edges, ids at their extremes, odd numbers.
    static func edgeRecords() -> [CostRecord] {
        let amounts: [Int128] = [
            0, 1, -1, 10, 1_000_000_000_000_000_000, -1_000_000_000_000_000_000, 1_500_000_000_000_000_000,
            Int128(UInt64.max), Int128(UInt64.max) + 1, -Int128(UInt64.max), 123_456_789_012_345_678,
            100_000_000_000_000_000, Int128.max, Int128.min + 1, Int128.min,
            Int128(10_000_000_000_000_000_000) * 1_000_000_000_000_000_000,
            Int128(10_000_000_000_000_000_000) * 1_000_000_000_000_000_000 + 7,
        ]
        let counts: [Int64] = [0, 1, 9, 10, 99, 100, 999, 1000, 12_345, 99_999_999, 1 << 53, .max, -1, -10, .min]
        let times: [Int64] = [
            0, -1, 1_795_000_000_123, 253_402_300_799_999, 253_402_300_800_000, -62_135_596_800_000,
            -62_135_596_800_001, 4_102_444_800_000, 951_782_400_000, 1_000_000_000_000_000, -1_000_000_000_000_000,
        ]
        var records: [CostRecord] = []
        for (i, text) in strings.enumerated() {
            records.append(
                CostRecord(
                    recordID: text,
                    timestamp: UTCTimestamp(millisecondsSinceEpoch: times[i % times.count]),
                    startedAt: UTCTimestamp(millisecondsSinceEpoch: times[(i + 3) % times.count]),
                    provider: text,
                    model: text,
                    apiKeyID: text,
                    serviceTier: text,
                    usage: TokenUsage(
                        input: counts[i % counts.count],
                        output: counts[(i + 1) % counts.count],
                        cachedInput: counts[(i + 2) % counts.count],
                        cacheWrite: counts[(i + 3) % counts.count],
                        cacheWrite1h: counts[(i + 4) % counts.count],
                        reasoning: counts[(i + 5) % counts.count]
                    ),
                    costUSD: Money(attodollars: amounts[i % amounts.count]),
                    priceSource: text,
                    status: i % 2 == 0 ? .error : .ok,
                    traceID: TraceID(high: UInt64(i), low: UInt64.max - UInt64(i)),
                    leafID: LeafID(rawValue: 0x0123_4567_89AB_CDEF),
                    parentID: LeafID(rawValue: UInt64.max),
                    rootID: LeafID(rawValue: 1),
                    attempt: [1, 9, 10, Int(Int32.max), -5, Int.max, Int.min][i % 7],
                    attribution: Dictionary(uniqueKeysWithValues: AttributionField.all.map { ($0, text) }),
                    tags: ["k": text, "a.b": text, "z-1": "é\"\\"]
                )
            )
        }
        for amount in amounts {
            var record = LedgerFixtures.callRecord("amount")
            record.costUSD = Money(attodollars: amount)
            records.append(record)
        }
        for time in times {
            records.append(LedgerFixtures.callRecord("time", ts: UTCTimestamp(millisecondsSinceEpoch: time)))
        }
        return records
    }
}

@Suite("Pointer-based line encoding matches the reference encoder")
struct FastLineEncodingTests {
    @Test("random records of every shape encode byte for byte as the reference does")
    func randomRecords() {
        var rng = LedgerRNG(seed: 0x5EED_1E06)
        var mismatches = 0
        for _ in 0..<20_000 {
            let record = LedgerFixtures.randomRecord(&rng)
            let line = record.jsonLine()
            if line != record.referenceJSONLine() {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("differs: \(String(decoding: line, as: UTF8.self))")
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("escapes at word boundaries, non-ASCII, extreme amounts, counts, ids and timestamps encode as the reference")
    func edgeRecords() {
        for record in FastEncodingFixtures.edgeRecords() {
            let line = record.jsonLine()
            let reference = record.referenceJSONLine()
            #expect(
                line == reference,
                "\(String(decoding: line, as: UTF8.self)) != \(String(decoding: reference, as: UTF8.self))"
            )
            #expect(line.count <= record.encodedLineBound)
        }
    }

    @Test("tags are ordered by key bytes for every count", arguments: [0, 1, 2, 3, 7, 8, 9, 32, 40])
    func tagCounts(count: Int) {
        var record = LedgerFixtures.callRecord("tags")
        record.tags = Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\(($0 * 13) % 41)_\($0)", "v\($0)") })
        #expect(record.jsonLine() == record.referenceJSONLine())
        var shuffled = record
        shuffled.tags = Dictionary(uniqueKeysWithValues: record.tags.map { ($0.key + "é", $0.value + "\n") })
        #expect(shuffled.jsonLine() == shuffled.referenceJSONLine())
    }

    @Test("unit records, error records and records without optional fields encode as the reference")
    func sparseRecords() throws {
        let leaf = try #require(LeafID(rawValue: 0xABC))
        let unit = CostRecord(
            recordID: "unit:\(leaf)",
            kind: .unit,
            timestamp: LedgerFixtures.ts,
            usage: TokenUsage(),
            leafID: leaf,
            attribution: [.team: "growth"]
        )
        var error = LedgerFixtures.callRecord("err")
        error.status = .error
        error.costUSD = nil
        let bare = CostRecord(recordID: "r", timestamp: LedgerFixtures.ts, usage: TokenUsage())
        for record in [unit, error, bare] {
            #expect(record.jsonLine() == record.referenceJSONLine())
            var appended: [UInt8] = [1, 2, 3]
            record.appendJSONLine(to: &appended)
            #expect(appended == [1, 2, 3] + record.referenceJSONLine())
        }
    }

    @Test("a line over 64 KiB is encoded whole within its bound")
    func hugeLine() {
        var record = LedgerFixtures.callRecord("huge")
        record.tags = Dictionary(
            uniqueKeysWithValues: (0..<32).map { ("k\($0)", String(repeating: "\u{1}\"", count: 1200)) }
        )
        let line = record.jsonLine()
        #expect(line.count > 64 * 1024)
        #expect(line.count <= record.encodedLineBound)
        #expect(line == record.referenceJSONLine())
    }
}

@Suite("The writer's fused check and bound")
struct FusedValidationTests {
    @Test("valid records get the same bound as encodedLineBound, invalid ones the same error as validate()")
    func sameAnswers() {
        var rng = LedgerRNG(seed: 0xB0B)
        var records = (0..<2_000).map { _ in LedgerFixtures.randomRecord(&rng) }
        var broken = LedgerFixtures.callRecord("broken")
        broken.provider = nil
        records.append(broken)
        broken = LedgerFixtures.callRecord("")
        records.append(broken)
        broken = LedgerFixtures.callRecord("r")
        broken.attempt = 0
        records.append(broken)
        broken = LedgerFixtures.callRecord("r")
        broken.tags = ["Bad Key": "v"]
        records.append(broken)
        broken = LedgerFixtures.callRecord("r")
        broken.tags = ["ok": ""]
        records.append(broken)
        broken = LedgerFixtures.callRecord("r")
        broken.attribution[.team] = String(repeating: "t", count: 257)
        records.append(broken)
        broken = LedgerFixtures.callRecord("r")
        broken.usage = TokenUsage(input: 10, output: 5, cachedInput: 11)
        records.append(broken)
        broken = LedgerFixtures.callRecord("r")
        broken.tags = Dictionary(uniqueKeysWithValues: (0..<33).map { ("k\($0)", "v") })
        records.append(broken)
        var invalid = 0
        for record in records {
            let expected: Result<Int, CostLedgerError> = Result { () throws(CostLedgerError) in
                try record.validate()
                return record.encodedLineBound
            }
            let fused: Result<Int, CostLedgerError> = Result { () throws(CostLedgerError) in
                try record.validatedLineBound()
            }
            #expect(fused == expected)
            if case .failure = expected { invalid += 1 }
        }
        #expect(invalid >= 8)
    }
}

@Suite("Encoding into a caller's buffer")
struct EncodeIntoBufferTests {
    @Test("a buffer of the bound's size gets the line's bytes; a smaller one is refused untouched")
    func intoBuffer() {
        var rng = LedgerRNG(seed: 77)
        for _ in 0..<200 {
            let record = LedgerFixtures.randomRecord(&rng)
            let bound = record.encodedLineBound
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bound, alignment: 1)
            defer { unsafe buffer.deallocate() }
            unsafe buffer.initializeMemory(as: UInt8.self, repeating: 0xEE)
            let count = unsafe record.encodeJSONLine(into: buffer)
            let written = count.map { unsafe Array(buffer[..<$0]) }
            #expect(written == record.referenceJSONLine())
            let small = unsafe UnsafeMutableRawBufferPointer(rebasing: buffer[..<(bound - 1)])
            unsafe small.initializeMemory(as: UInt8.self, repeating: 0xEE)
            unsafe #expect(record.encodeJSONLine(into: small) == nil)
            unsafe #expect(small.allSatisfy { $0 == 0xEE })
        }
    }
}

@Suite("Checking a call record while encoding it")
struct CheckedEncodingTests {
    /// Records of every shape, and call records each breaking one rule.
    static func records() -> [CostRecord] {
        var rng = LedgerRNG(seed: 0xC4EC)
        var records = (0..<3_000).map { _ in LedgerFixtures.randomRecord(&rng) }
        func broken(_ change: (inout CostRecord) -> Void) {
            var record = LedgerFixtures.callRecord("r")
            change(&record)
            records.append(record)
        }
        broken { $0.recordID = "" }
        broken { $0.recordID = String(repeating: "r", count: 257) }
        broken { $0.provider = nil }
        broken { $0.model = "" }
        broken { $0.apiKeyID = String(repeating: "k", count: 300) }
        broken { $0.serviceTier = "" }
        broken { $0.priceSource = String(repeating: "\u{1}", count: 257) }
        broken { $0.attempt = 0 }
        broken { $0.attempt = Int(Int32.max) + 1 }
        broken { $0.usage = TokenUsage(input: 10, output: 5, cachedInput: 8, cacheWrite: 3) }
        broken { $0.usage = TokenUsage(input: 10, output: 5, reasoning: 6) }
        broken { $0.usage = TokenUsage(input: -1, output: 5) }
        broken { $0.attribution[.agent] = "" }
        broken { $0.attribution[.tool] = String(repeating: "t", count: 257) }
        broken { $0.tags = ["Upper": "v"] }
        broken { $0.tags = [String(repeating: "k", count: 65): "v"] }
        broken { $0.tags = ["ok": String(repeating: "v", count: 257)] }
        broken { $0.tags = Dictionary(uniqueKeysWithValues: (0..<33).map { ("k\($0)", "v") }) }
        broken { $0.attribution[.team] = String(repeating: "t", count: 256) }  // at the limit: valid
        broken { $0.tags = [String(repeating: "k", count: 64): "v"] }  // at the limit: valid
        return records
    }

    @Test("a line is produced exactly for the call records validate() accepts, and it is the reference line")
    func sameAsValidate() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: CostRecord.maxCheckedLineBytes, alignment: 8)
        defer { unsafe buffer.deallocate() }
        var accepted = 0
        var refused = 0
        for record in Self.records() {
            let valid = record.kind == .call && (try? record.validate()) != nil
            let count = unsafe record.encodeCheckedCallLine(into: buffer)
            #expect((count != nil) == valid, "\(record)")
            if let count {
                unsafe #expect(Array(UnsafeRawBufferPointer(start: buffer, count: count)) == record.referenceJSONLine())
                accepted += 1
            } else if record.kind == .call {
                refused += 1
            }
        }
        #expect(accepted > 500)
        #expect(refused >= 18)
    }

    @Test("the largest valid call record fits the room reserved for a checked line")
    func largestRecordFits() throws {
        let long = String(repeating: "\u{1}", count: 256)
        var record = LedgerFixtures.callRecord(long)
        record.provider = long
        record.model = long
        record.apiKeyID = long
        record.serviceTier = long
        record.priceSource = long
        record.status = .error
        record.attempt = Int(Int32.max)
        record.usage = TokenUsage(
            input: .max,
            output: .max,
            cachedInput: .max / 4,
            cacheWrite: .max / 4,
            cacheWrite1h: .max / 4,
            reasoning: .max
        )
        record.costUSD = Money(attodollars: .max)
        record.attribution = Dictionary(uniqueKeysWithValues: AttributionField.all.map { ($0, long) })
        record.tags = Dictionary(
            uniqueKeysWithValues: (0..<32).map { (String(repeating: "k", count: 62) + "\($0 + 10)", long) }
        )
        try record.validate()
        #expect(record.encodedLineBound <= CostRecord.maxCheckedLineBytes)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: CostRecord.maxCheckedLineBytes, alignment: 8)
        defer { unsafe buffer.deallocate() }
        let count = unsafe try #require(record.encodeCheckedCallLine(into: buffer))
        #expect(count <= CostRecord.maxCheckedLineBytes)
        unsafe #expect(Array(UnsafeRawBufferPointer(start: buffer, count: count)) == record.referenceJSONLine())
    }
}
