import Attribution
import Foundation
import Testing

@testable import CostLedger

/// What a line decoded to, comparable across the two decoding paths.
private enum Decoded: Equatable, CustomStringConvertible {
    case record(CostRecord)
    case malformed
    case invalid(field: String?)
    case otherKind(String)

    init(_ outcome: CostRecordLineOutcome) {
        switch outcome {
        case .record(let record): self = .record(record)
        case .malformed: self = .malformed
        case .invalid(let error): self = .invalid(field: error.field)
        case .otherKind(let kind): self = .otherKind(kind)
        }
    }

    var description: String {
        switch self {
        case .record(let r): return "record \(r.recordID)"
        case .malformed: return "malformed"
        case .invalid(let field): return "invalid \(field ?? "-")"
        case .otherKind(let kind): return "kind \(kind)"
        }
    }
}

private func outcome(_ line: [UInt8]) -> Decoded {
    unsafe Decoded(line.withUnsafeBufferPointer { unsafe CostRecord.decodeOutcome($0) })
}

private func strictOutcome(_ line: [UInt8]) -> Decoded {
    unsafe Decoded(line.withUnsafeBufferPointer { unsafe CostRecord.decodeStrict($0, location: nil) })
}

private func fastOnly(_ line: [UInt8]) -> CostRecord? {
    unsafe line.withUnsafeBufferPointer { buffer -> CostRecord? in
        let body = unsafe buffer.last == 0x0A ? UnsafeBufferPointer(rebasing: buffer.dropLast()) : buffer
        var fields = CostRecordFields()
        guard unsafe fields.scan(body) else { return nil }
        return unsafe fields.makeRecord(body)
    }
}

/// A valid call line with `extra` members inserted after `v`, and `drop` keys removed.
private func callLine(_ extra: String = "", dropping drop: Set<String> = []) -> String {
    let members: [(String, String)] = [
        ("record_id", #""r1""#), ("ts", #""2026-11-24T16:02:00.123Z""#), ("provider", #""openai""#),
        ("model", #""gpt-4.1""#), ("input_tokens", "100"), ("output_tokens", "20"),
    ]
    var text = #"{"v":1"# + extra
    for (key, value) in members where !drop.contains(key) { text += #",""# + key + #"":"# + value }
    return text + "}"
}

private let invalidCases: [(String, String, String)] = {
    var cases: [(String, String, String)] = []
    cases.append((#"{"record_id":"r1"}"#, "v", "required"))
    cases.append((callLine().replacingOccurrences(of: #""v":1"#, with: #""v":2"#), "v", "version 2"))
    cases.append((callLine().replacingOccurrences(of: #""v":1"#, with: #""v":"1""#), "v", "a string"))
    cases.append((callLine().replacingOccurrences(of: #""v":1"#, with: #""v":1.0"#), "v", "integer"))
    cases.append((callLine(dropping: ["record_id"]), "record_id", "required"))
    cases.append((callLine().replacingOccurrences(of: #""r1""#, with: #""""#), "record_id", "empty"))
    cases.append((callLine(dropping: ["ts"]), "ts", "required"))
    cases.append((callLine().replacingOccurrences(of: "16:02:00.123Z", with: "16:02:00"), "ts", "2026-11-24T16:02:00"))
    cases.append((callLine(#","started_at":"yesterday""#), "started_at", "yesterday"))
    cases.append((callLine(dropping: ["provider"]), "provider", "required"))
    cases.append((callLine(dropping: ["model"]), "model", "required"))
    cases.append((callLine().replacingOccurrences(of: #""gpt-4.1""#, with: "null"), "model", "null"))
    cases.append((callLine(dropping: ["input_tokens"]), "input_tokens", "required"))
    cases.append((callLine(dropping: ["output_tokens"]), "output_tokens", "required"))
    cases.append((callLine().replacingOccurrences(of: ":100", with: ":-1"), "input_tokens", "-1"))
    cases.append((callLine().replacingOccurrences(of: ":100", with: ":1.5"), "input_tokens", "1.5"))
    cases.append((callLine().replacingOccurrences(of: ":100", with: ":\"100\""), "input_tokens", "a string"))
    cases.append((callLine().replacingOccurrences(of: ":100", with: ":99999999999999999999"), "input_tokens", "999"))
    cases.append((callLine(#","cached_input_tokens":-3"#), "cached_input_tokens", "-3"))
    cases.append((callLine(#","cached_input_tokens":80,"cache_write_tokens":30"#), "cached_input_tokens", "100"))
    cases.append((callLine(#","cache_write_1h_tokens":101"#), "cached_input_tokens", "101"))
    cases.append((callLine(#","reasoning_tokens":21"#), "reasoning_tokens", "21"))
    cases.append((callLine(#","cost_usd":"0.5""#), "cost_usd", "a string"))
    cases.append((callLine(#","cost_usd":1e-19"#), "cost_usd", "1e-19"))
    cases.append((callLine(#","status":"maybe""#), "status", "maybe"))
    cases.append((callLine(#","trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736""#), "trace_id", "4BF92F"))
    cases.append((callLine(#","trace_id":"00000000000000000000000000000000""#), "trace_id", "zero"))
    cases.append((callLine(#","leaf_id":"xyz""#), "leaf_id", "xyz"))
    cases.append((callLine(#","parent_id":"00f067aa0ba902b""#), "parent_id", "00f067aa0ba902b"))
    cases.append((callLine(#","root_id":"0000000000000000""#), "root_id", "zero"))
    cases.append((callLine(#","attempt":0"#), "attempt", "0"))
    cases.append((callLine(#","attempt":2147483648"#), "attempt", "2147483648"))
    cases.append((callLine(#","user_id":"""#), "user_id", "empty"))
    cases.append((callLine(#","feature":7"#), "feature", "a number"))
    cases.append((callLine(#","team":""# + String(repeating: "t", count: 257) + #"""#), "team", "257"))
    cases.append((callLine(#","tags":["a"]"#), "tags", "an array"))
    cases.append((callLine(#","tags":{"Env":"prod"}"#), "tags", "Env"))
    cases.append((callLine(#","tags":{"env":1}"#), "tags.env", "a number"))
    cases.append((callLine(#","tags":{"env":""}"#), "tags.env", "empty"))
    cases.append((callLine(#","tags":{"env":"a","env":"b"}"#), "tags.env", "more than once"))
    cases.append((callLine(#","model":"o3""#), "model", "more than once"))
    cases.append((callLine(#","kind":5"#), "kind", "a number"))
    return cases
}()

@Suite("Cost record JSON Lines codec")
struct CostRecordCodecTests {
    @Test("a record with every field writes the table's keys in order, compact, with exact money")
    func goldenLine() {
        let expected =
            #"{"v":1,"record_id":"r-0001","ts":"2026-11-24T16:02:00.123Z","started_at":"2026-11-24T16:01:58.000Z","#
            + #""provider":"openai","model":"gpt-4.1","api_key_id":"key_prod","service_tier":"flex","#
            + #""input_tokens":1200,"output_tokens":300,"cached_input_tokens":200,"cache_write_tokens":100,"#
            + #""cache_write_1h_tokens":50,"reasoning_tokens":120,"cost_usd":0.00441,"#
            + #""price_source":"builtin-2025-06-10","status":"error","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","#
            + #""leaf_id":"00f067aa0ba902b7","parent_id":"1111222233334444","root_id":"5555666677778888","attempt":2,"#
            + #""user_id":"u_42","feature":"summarize","team":"search","project":"atlas","task_type":"summarize","#
            + #""tool":"web","prompt_version":"v3","pipeline":"nightly","priority":"high","agent":"planner","#
            + #""tags":{"env":"prod","region":"eu-west-1"}}"# + "\n"
        #expect(LedgerFixtures.line(LedgerFixtures.fullRecord()) == expected)
    }

    @Test("every field survives a round trip through one line")
    func fullRoundTrip() throws {
        let record = LedgerFixtures.fullRecord()
        let decoded = try CostRecord.decode(line: record.jsonLine())
        #expect(decoded == record)
    }

    @Test("defaults and empty optional fields are not written, and read back as absent")
    func minimalRecord() throws {
        let record = CostRecord(
            recordID: "r1",
            timestamp: LedgerFixtures.ts,
            provider: "openai",
            model: "o3",
            usage: TokenUsage(input: 0, output: 0)
        )
        let line = LedgerFixtures.line(record)
        #expect(
            line
                == #"{"v":1,"record_id":"r1","ts":"2026-11-24T16:02:00.123Z","provider":"openai","model":"o3","#
                + #""input_tokens":0,"output_tokens":0}"# + "\n"
        )
        let decoded = try CostRecord.decode(line: Array(line.utf8))
        #expect(decoded == record)
        #expect(decoded.costUSD == nil)
        #expect(decoded.status == .ok)
        #expect(decoded.kind == .call)
        #expect(decoded.attribution.isEmpty)
    }

    @Test(
        "cost_usd is written as the exact decimal, never rounded, and read back exactly",
        arguments: [
            (Int128(2_500_000_000_000), "0.0000025"),
            (Int128(12_000_000_000_000_000_000), "12"),
            (Int128(1), "0.000000000000000001"),
            (Int128(0), "0"),
            (Int128(123_456_789_012_345_678_901_234), "123456.789012345678901234"),
        ]
    )
    func exactMoney(attodollars: Int128, text: String) throws {
        var record = LedgerFixtures.callRecord("m")
        record.costUSD = Money(attodollars: attodollars)
        let line = LedgerFixtures.line(record)
        #expect(line.contains(#""cost_usd":"# + text + ","))
        #expect(try CostRecord.decode(line: Array(line.utf8)).costUSD == Money(attodollars: attodollars))
    }

    @Test("a negative cost_usd is never spend: the writer refuses it and a reader counts the line invalid")
    func negativeCost() throws {
        var record = LedgerFixtures.callRecord("refund")
        record.costUSD = Money(attodollars: -10_000_000_000_000_000_000)
        let refused = try #require(throws: CostLedgerError.self) { try record.validate() }
        #expect(refused.field == "cost_usd")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let ledger = try JSONLinesLedger(configuration: .init(directory: dir.path))
        #expect(throws: CostLedgerError.self) { try ledger.write(record) }
        try ledger.close()
        let line = LedgerFixtures.line(LedgerFixtures.callRecord("refund")).replacingOccurrences(
            of: #""cost_usd":0.00036"#,
            with: #""cost_usd":-10"#
        )
        let error = try #require(throws: CostLedgerError.self) { try CostRecord.decode(line: Array(line.utf8)) }
        #expect(error.field == "cost_usd")
        #expect(error.reason.contains("-10"))
    }

    @Test("cost_usd in exponent form or with trailing zeros reads exactly")
    func moneyForms() throws {
        let a = try CostRecord.decode(line: Array(callLine(#","cost_usd":2.5e-6"#).utf8))
        let b = try CostRecord.decode(line: Array(callLine(#","cost_usd":0.00000250000000000000000"#).utf8))
        #expect(a.costUSD == Money(attodollars: 2_500_000_000_000))
        #expect(b.costUSD == Money(attodollars: 2_500_000_000_000))
    }

    @Test("a unit record writes its kind, carries no tokens, and needs its leaf id")
    func unitRecord() throws {
        let leaf = try #require(LeafID(rawValue: 0xabc))
        let record = CostRecord(
            recordID: "unit:\(leaf)",
            kind: .unit,
            timestamp: LedgerFixtures.ts,
            leafID: leaf,
            rootID: leaf,
            attempt: 1,
            attribution: [.feature: "chat"]
        )
        let line = LedgerFixtures.line(record)
        #expect(line.contains(#""kind":"unit""#))
        #expect(!line.contains("input_tokens"))
        #expect(try CostRecord.decode(line: Array(line.utf8)) == record)

        let noLeaf = #"{"v":1,"record_id":"unit:0000000000000abc","kind":"unit","ts":"2026-11-24T16:02:00.123Z"}"#
        #expect(outcome(Array(noLeaf.utf8)) == .invalid(field: "leaf_id"))
        let wrongID =
            #"{"v":1,"record_id":"r9","kind":"unit","ts":"2026-11-24T16:02:00.123Z","leaf_id":"0000000000000abc"}"#
        #expect(outcome(Array(wrongID.utf8)) == .invalid(field: "record_id"))
    }

    @Test("timestamps with an offset are read as the same instant")
    func offsetTimestamps() throws {
        let line = callLine().replacingOccurrences(
            of: "2026-11-24T16:02:00.123Z",
            with: "2026-11-24T18:02:00.123+02:00"
        )
        let record = try CostRecord.decode(line: Array(line.utf8))
        #expect(record.timestamp == LedgerFixtures.ts)
        #expect(LedgerFixtures.line(record).contains(#""ts":"2026-11-24T16:02:00.123Z""#))
        let started = try CostRecord.decode(line: Array(callLine(#","started_at":"2026-11-24T11:02:00-05:00""#).utf8))
        #expect(started.startedAt == UTCTimestamp(millisecondsSinceEpoch: 1_795_536_120_000))
    }

    @Test("unknown keys, nested or not, are ignored and the record is kept")
    func unknownKeys() throws {
        let line = callLine(#","future":{"a":[1,2,{"b":null}]},"note":"x","flag":true"#)
        let record = try CostRecord.decode(line: Array(line.utf8))
        #expect(record.recordID == "r1")
        #expect(record.usage.input == 100)
    }

    @Test("strings with escapes and non-ASCII text round-trip")
    func escapes() throws {
        var record = LedgerFixtures.callRecord("id \"quoted\" \\ \u{1}")
        record.attribution[.userID] = "ünïcödé 日本 \n\t"
        record.tags = ["note": "a/b\u{7f}"]
        let line = record.jsonLine()
        #expect(try CostRecord.decode(line: line) == record)
        #expect(String(decoding: line, as: UTF8.self).contains(#"id \"quoted\" \\ \u0001"#))
        // Escapes that our writer never uses still read.
        let escaped = callLine(#","user_id":"\u0041\/b\ud83d\ude00""#)
        #expect(try CostRecord.decode(line: Array(escaped.utf8)).attribution[.userID] == "A/b😀")
    }

    @Test(
        "a complete object that breaks the table is invalid, naming the field and the value",
        arguments: invalidCases
    )
    func invalidRecords(line: String, field: String, mentions: String) {
        let result = unsafe Array(line.utf8).withUnsafeBufferPointer {
            unsafe CostRecord.decodeOutcome($0, file: "ledger/a.jsonl", lineNumber: 7)
        }
        guard case .invalid(let error) = result else {
            Issue.record("expected an invalid record, got \(Decoded(result)) for \(line)")
            return
        }
        #expect(error.code == .invalidRecord)
        #expect(error.field == field)
        #expect(error.reason.contains(mentions), "\(error)")
        #expect(error.reason.hasSuffix("(at ledger/a.jsonl:7)"), "\(error)")
    }

    @Test(
        "a line that is not one complete JSON object is malformed, not invalid",
        arguments: [
            #"{"v":1,"record_id":"r1","ts":"2026-11-24T16:0"#,
            #"[1,2]"#,
            #""just a string""#,
            "   ",
            #"{"v":1,}"#,
            callLine() + "x",
            callLine() + callLine(),
            #"{"v":1,"record_id":"r\u12"}"#,
            "{\"v\":1,\"record_id\":\"a\u{1}b\"}",
        ]
    )
    func malformed(line: String) {
        #expect(outcome(Array(line.utf8)) == .malformed)
    }

    @Test("invalid UTF-8 inside a string makes the line malformed on both paths")
    func invalidUTF8() {
        var bytes = Array(callLine(#","user_id":"ab""#).utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "b"))!
        bytes[at] = 0xFF
        #expect(outcome(bytes) == .malformed)
        #expect(fastOnly(bytes) == nil)
    }

    @Test("records of other kinds are set apart, whatever else they hold")
    func otherKinds() throws {
        #expect(outcome(Array(#"{"v":1,"kind":"budget_alert","whatever":[1]}"#.utf8)) == .otherKind("budget_alert"))
        #expect(throws: CostLedgerError.self) { try CostRecord.decode(line: Array(#"{"v":1,"kind":"x"}"#.utf8)) }
    }

    @Test("lines over 64 KiB are refused by the decoder")
    func oversized() {
        let line = callLine(#","note":""# + String(repeating: "x", count: 70_000) + #"""#)
        #expect(outcome(Array(line.utf8)) == .malformed)
    }

    @Test("the fast scanner and the strict decoder agree on 1,000 random records")
    func fastMatchesStrictOnRandomRecords() throws {
        var rng = LedgerRNG(seed: 42)
        var fastHits = 0
        for _ in 0..<1000 {
            let record = LedgerFixtures.randomRecord(&rng)
            let line = record.jsonLine()
            #expect(strictOutcome(line) == .record(record))
            #expect(outcome(line) == .record(record))
            let fast = fastOnly(line)
            if let fast {
                fastHits += 1
                #expect(fast == record)
            }
            // Every line our writer produces without an escape takes the fast path.
            #expect((fast != nil) == !line.contains(UInt8(ascii: "\\")))
        }
        #expect(fastHits > 30)
    }

    @Test("the fast scanner and the strict decoder agree on 5,000 mutated lines")
    func fastMatchesStrictOnMutations() {
        var rng = LedgerRNG(seed: 7)
        let alphabet = Array(#"{}[]":,.-+eE0123456789 \tabcdefkinu_"#.utf8) + [0x00, 0x7F, 0xC3, 0xFF]
        var disagreements: [String] = []
        for round in 0..<5000 {
            var line = LedgerFixtures.randomRecord(&rng).jsonLine()
            line.removeLast()
            for _ in 0..<Int(rng.next() % 3) + 1 {
                let at = Int(rng.next() % UInt64(line.count))
                switch rng.next() % 4 {
                case 0: line[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: line.remove(at: at)
                case 2: line.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: line.removeSubrange(at...)
                }
                if line.isEmpty { line = [UInt8(ascii: "{")] }
            }
            let strict = strictOutcome(line)
            let combined = outcome(line)
            if strict != combined, disagreements.count < 5 {
                disagreements.append(
                    "round \(round): \(String(decoding: line, as: UTF8.self)) strict=\(strict) got=\(combined)"
                )
            }
            if let fast = fastOnly(line), strict != .record(fast), disagreements.count < 5 {
                disagreements.append("fast accepted \(String(decoding: line, as: UTF8.self)), strict=\(strict)")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    @Test("validate() refuses what a reader would refuse, so a writer never writes an unreadable line")
    func validateMatchesReader() {
        var record = LedgerFixtures.callRecord("r")
        record.attribution[.team] = ""
        #expect(throws: CostLedgerError.self) { try record.validate() }
        #expect(outcome(record.jsonLine()) == .invalid(field: "team"))
        var noModel = LedgerFixtures.callRecord("r")
        noModel.model = nil
        #expect(throws: CostLedgerError.self) { try noModel.validate() }
        #expect(outcome(noModel.jsonLine()) == .invalid(field: "model"))
        #expect(throws: Never.self) { try LedgerFixtures.fullRecord().validate() }
    }
}
