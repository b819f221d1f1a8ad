import Attribution
import CostAudit
import CostLedger
import Foundation
import Testing

/// A fresh directory under the system's temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "cost-audit-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

func lines(_ records: [CostRecord]) -> [UInt8] {
    records.flatMap { $0.jsonLine() }
}

@Suite("Reading ledger files: skipped lines, invalid records, parallel readers, --emit-attributed")
struct LedgerFileTests {
    @Test("a torn last line and an oversized line are skipped lines; a bad record is listed; other kinds are counted")
    func skippedAndInvalid() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var bytes = lines([call("a", input: 500_000, fields: fullAttribution)])
        bytes += Array(#"{"v":1,"record_id":"neg","ts":"2026-11-20T10:00:00.000Z","provider":"openai","#.utf8)
        bytes += Array(#""model":"gpt-4.1","input_tokens":-1,"output_tokens":0}"#.utf8) + [0x0A]
        bytes += Array(#"{"v":1,"record_id":"k","kind":"budget","ts":"2026-11-20T10:00:00.000Z"}"#.utf8) + [0x0A]
        bytes += Array(("{\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}\n").utf8)
        bytes += lines([call("b", input: 250_000)])
        bytes += Array(#"{"v":1,"record_id":"torn","ts":"2026-11-20T1"#.utf8)  // a crash mid-write
        _ = try dir.write("host-1-1700000000000-ab.jsonl", bytes)
        let report = try Auditor.run(AuditConfiguration(ledger: .files([dir.path]), prices: TestPrices()))
        expectInvariant(report)
        #expect(report.skippedLines == 2)
        #expect(report.invalidRecords == 1)
        #expect(report.invalidRecordDetails.first?.line == 2)
        #expect(report.invalidRecordDetails.first?.field == "input_tokens")
        #expect(report.skippedKinds == 1)
        #expect(report.records == 2)
        #expect(classes(report) == ["1.000000000", "0.000000000", "0.000000000", "0.000000000", "0.500000000"])
        #expect(report.ledgerBytes == Int64(bytes.count))
    }

    @Test("copies of a record in files: identical bytes are duplicates, different bytes a record id conflict")
    func duplicateBytesInFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let hexID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let original = call(hexID, input: 500_000, fields: fullAttribution)
        var altered = original
        altered.attribution[.team] = "other-team"
        altered.usage = TokenUsage(input: 1_000_000, output: 0)  // $2 where the original is $1
        var padding: [CostRecord] = []
        for n in 0..<300 { padding.append(call("pad-\(n)", input: 1_000, fields: fullAttribution)) }
        // The copies sit far into their files, past the first read chunk of a re-read.
        _ = try dir.write("host-a-1700000000000-aa.jsonl", lines(padding + [original]))
        _ = try dir.write("host-b-1700000000000-bb.jsonl", lines(padding.reversed() + [original, altered]))
        _ = try dir.write("host-c-1700000000000-cc.jsonl", lines([call("named-id", input: 1_000), altered]))
        for threads in [1, 2] {
            var configuration = AuditConfiguration(ledger: .files([dir.path]), prices: TestPrices())
            configuration.readerThreads = threads
            let report = try Auditor.run(configuration)
            expectInvariant(report)
            #expect(report.records == 302)
            #expect(report.duplicates == 300 + 3)
            // The first copy (file a) is kept: file b's identical copy is a duplicate, the two altered copies
            // are conflicts.
            #expect(report.recordIDConflicts == 2)
            // Which copy counts is seen in the money: 300 paddings at $0.002 and the original's $1 are direct;
            // "named-id" has no envelope ($0.002 unknown). Had an altered copy been kept: $2.60 direct.
            #expect(report[.direct].formatted() == "1.600000000")
            #expect(report[.unknown].formatted() == "0.002000000")
        }
    }

    @Test("two readers give the same report as one, duplicates across files included")
    func parallelEqualsSequential() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var rng = SplitMix(seed: 7)
        var files: [[CostRecord]] = Array(repeating: [], count: 5)
        for n in 0..<2000 {
            let unitID = UInt64(n / 4 + 1)
            var fields: [AttributionField: String] = [:]
            if n % 4 == 0 { fields = fullAttribution }
            if n % 7 == 0 { fields[.userID] = "u_\(n % 13)" }
            if n % 11 == 0 { fields[.agent] = "agent-\(n % 3)" }
            let record = call(
                "r\(n)",
                leaf: n % 9 == 0 ? nil : unitID,
                parent: unitID > 1 && n % 5 == 0 ? unitID - 1 : nil,
                root: 1,
                ts: "2026-11-20T10:\(String(format: "%02d", n % 60)):00.000Z",
                key: n % 3 == 0 ? "key_a" : nil,
                input: Int64(rng.next() % 100_000),
                output: Int64(rng.next() % 10_000),
                fields: fields
            )
            files[Int(rng.next() % 5)].append(record)
            if n % 50 == 0 { files[Int(rng.next() % 5)].append(record) }  // a duplicate in some file
        }
        for (index, records) in files.enumerated() { _ = try dir.write("f\(index).jsonl", lines(records)) }
        let usage = openAIUsagePage([openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 30_000_000)])
        func run(_ threads: Int) throws -> AuditReport {
            try Auditor.run(
                AuditConfiguration(
                    ledger: .files([dir.path]),
                    usage: [.text(usage)],
                    prices: TestPrices(),
                    readerThreads: threads
                )
            )
        }
        let one = try run(1)
        let two = try run(2)
        expectInvariant(two)
        #expect(one == two)
        #expect(two.duplicates == 40)
        #expect(two.records == 2000)
        #expect(two.render(.json) == one.render(.json))
        // The byte-level reader and the in-memory records give the same figures.
        let inMemory = try Auditor.run(
            AuditConfiguration(
                ledger: .recordFiles(files.enumerated().map { (dir.path + "/f\($0.offset).jsonl", $0.element) }),
                usage: [.text(usage)],
                prices: TestPrices()
            )
        )
        #expect(classes(inMemory) == classes(two))
        #expect(inMemory.unknownByReason == two.unknownByReason)
        #expect(inMemory.topUnknownSources == two.topUnknownSources)
        #expect(inMemory.duplicates == two.duplicates)
        #expect(inMemory.overRecordedUSD == two.overRecordedUSD)
    }

    @Test(
        "files read in pieces of any size, on any number of readers, give the whole-file report, listing and emitted ledger",
        arguments: [1, 2, 3]
    )
    func piecesEqualWholeFiles(threads: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let bad =
            Array(#"{"v":1,"record_id":"neg","ts":"2026-11-20T10:00:00.000Z","provider":"openai","#.utf8)
            + Array(#""model":"gpt-4.1","input_tokens":-1,"output_tokens":0}"#.utf8) + [0x0A]
        let oversized = Array(("{\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}\n").utf8)
        var expectedInvalid: [(file: String, line: Int)] = []
        var fileNames: [String] = []
        for f in 0..<3 {
            var bytes: [UInt8] = []
            var line = 0
            let name = "host-\(f)-1700000000000-ab.jsonl"
            fileNames.append(name)
            for n in 0..<120 {
                let unitID = UInt64(f * 1000 + n / 3 + 1)
                var fields = n % 3 == 0 ? fullAttribution : [:]
                if n % 5 == 0 { fields[.agent] = "agent-\(n % 4)" }
                bytes += call(
                    "f\(f)-r\(n)",
                    leaf: n % 10 == 9 ? nil : unitID,
                    parent: n % 3 == 1 ? unitID - 1 : nil,
                    root: UInt64(f * 1000 + 1),
                    key: n % 4 == 0 ? "key_a" : nil,
                    input: Int64(1_000 * (n + 1)),
                    output: Int64(n),
                    fields: fields
                ).jsonLine()
                line += 1
                switch n % 17 {
                case 3:
                    bytes += bad
                    line += 1
                    expectedInvalid.append((dir.path + "/" + name, line))
                case 7:
                    bytes += [0x0A]
                    line += 1  // an empty line
                case 11:
                    bytes += oversized
                    line += 1
                default: break
                }
            }
            if f == 2 { bytes += Array(#"{"v":1,"record_id":"torn","ts":"2026-11"#.utf8) }  // a crash mid-write
            _ = try dir.write(name, bytes)
        }
        let keys = AuditKeyMap(owners: ["key_a": .init(team: "team-a", project: "proj-a")])
        func run(pieceBytes: Int64, threads: Int) throws -> (AuditReport, String) {
            let out = dir.path + "/attributed-\(pieceBytes)-\(threads).out"
            var configuration = AuditConfiguration(ledger: .files([dir.path]), keyMap: keys, prices: TestPrices())
            configuration.readerThreads = threads
            configuration.readPieceBytes = pieceBytes
            configuration.attributedOutputPath = out
            let report = try Auditor.run(configuration)
            return (report, try String(contentsOfFile: out, encoding: .utf8))
        }
        let (whole, wholeEmitted) = try run(pieceBytes: .max, threads: 1)
        expectInvariant(whole)
        #expect(whole.invalidRecords == expectedInvalid.count)
        // The first ten are listed, in file order; all are counted.
        let listed = expectedInvalid.prefix(InvalidRecord.maxListed)
        #expect(whole.invalidRecordDetails.map(\.file) == listed.map(\.file))
        #expect(whole.invalidRecordDetails.map(\.line) == listed.map(\.line))
        // Skipped lines likewise: the oversized lines of the first files, then the torn last line is past ten.
        #expect(whole.skippedLineDetails.count == SkippedLine.maxListed)
        #expect(whole.skippedLineDetails.first?.file == dir.path + "/" + fileNames[0])
        #expect(whole.skippedLineDetails.allSatisfy { $0.reason.contains("longer than") })
        // The location is in `file` and `line`, not repeated in the reason (the table prints FILE:LINE: reason).
        #expect(whole.invalidRecordDetails.allSatisfy { !$0.reason.contains("(at ") })
        #expect(whole.render(.table).contains("\(listed[0].file):\(listed[0].line): "))
        #expect(whole.skippedLines == 3 * 7 + 1)  // the oversized lines and the torn one
        #expect(wholeEmitted.split(separator: "\n").count == 360)
        for pieceBytes: Int64 in [1, 97, 600, 5_000, 71_000] {
            let (report, emitted) = try run(pieceBytes: pieceBytes, threads: threads)
            #expect(report == whole, "pieces of \(pieceBytes) bytes")
            #expect(report.render(.json) == whole.render(.json))
            #expect(emitted == wholeEmitted, "pieces of \(pieceBytes) bytes")
        }
    }

    @Test("--emit-attributed writes every deduplicated record with its filled fields and class")
    func emitAttributed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let keys = AuditKeyMap(owners: ["key_a": .init(team: "team-a", project: "proj-a")])
        let records = [
            unit(1, fields: fullAttribution),
            call("inherit", leaf: 2, parent: 1, root: 1, input: 500_000, fields: [.agent: "bot"]),
            call("keyed", key: "key_a", input: 500_000, fields: [.feature: "f"]),
            call("lost", input: 500_000),
        ]
        let ledger = try dir.write("a.jsonl", lines(records + [records[1]]))
        for source in [AuditLedgerSource.files([ledger]), .records(records + [records[1]])] {
            let out = dir.path + "/attributed.jsonl"
            var configuration = AuditConfiguration(ledger: source, keyMap: keys, prices: TestPrices())
            configuration.attributedOutputPath = out
            let report = try Auditor.run(configuration)
            expectInvariant(report)
            let written = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(written.count == 4)
            let byID = Dictionary(
                uniqueKeysWithValues: try written.map { line -> (String, [String: Any]) in
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    return (object["record_id"] as? String ?? "", object)
                }
            )
            #expect(byID["unit:0000000000000001"]?["attribution_class"] as? String == "direct")
            let inherited = try #require(byID["inherit"])
            #expect(inherited["attribution_class"] as? String == "inherited")
            #expect(inherited["user_id"] as? String == "u_42")
            #expect(inherited["task_type"] as? String == "summary")
            #expect(inherited["agent"] as? String == "bot")
            let keyed = try #require(byID["keyed"])
            #expect(keyed["attribution_class"] as? String == "key_allocated")
            #expect(keyed["team"] as? String == "team-a")
            #expect(keyed["project"] as? String == "proj-a")
            #expect(keyed["user_id"] == nil)
            let lost = try #require(byID["lost"])
            #expect(lost["attribution_class"] as? String == "unknown")
            #expect(lost["unknown_reason"] as? String == "no_envelope")
            // Each emitted line reads back as a ledger record.
            for line in written { _ = try CostRecord.decode(line: Array(line.utf8)) }
        }
    }

    @Test("a ledger path that does not exist is a bad input naming it")
    func missingLedger() throws {
        let path = "/nonexistent/ledger-\(UUID().uuidString)"
        let error = try #require(throws: CostAuditError.self) {
            try Auditor.run(AuditConfiguration(ledger: .files([path]), prices: TestPrices()))
        }
        #expect(error.code == .invalidLedger)
        #expect(error.code.isBadInputFile)
        #expect(error.file == path)
    }

    @Test("recorded amounts whose sum would pass the largest supported total are an error naming the file")
    func overflowingTokens() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // Ten records of Int64.max input and output tokens at $1 per token: each about 1.8 × 10¹⁹ USD.
        let records = (0..<10).map { call("huge-\($0)", input: .max, output: .max, fields: fullAttribution) }
        let path = try dir.write("huge.jsonl", lines(records))
        let error = try #require(throws: CostAuditError.self) {
            try Auditor.run(AuditConfiguration(ledger: .files([dir.path]), prices: DollarPerToken()))
        }
        #expect(error.code == .invalidLedger)
        #expect(error.file == path)
        #expect(error.reason.contains(AuditSums.maxTotal.formatted()))
        // Unpriced tokens are counted, never wrapped either.
        let unpriced = (0..<2).map { call("unpriced-\($0)", model: "no-such-model", input: .max, output: 0) }
        let tokens = try #require(throws: CostAuditError.self) {
            try Auditor.run(AuditConfiguration(ledger: .records(unpriced), prices: TestPrices()))
        }
        #expect(tokens.code == .invalidLedger)
        #expect(tokens.reason.contains("unpriced tokens"))
        // Two of them fit: the total is exact, not wrapped.
        let fits = try Auditor.run(
            AuditConfiguration(ledger: .records(Array(records.prefix(2))), prices: DollarPerToken())
        )
        #expect(fits.totalUSD.attodollars == 2 * 2 * Int128(Int64.max) * 1_000_000_000_000_000_000)
    }
}

/// $1 a token, input and output alike, for every model.
private struct DollarPerToken: AuditPricing {
    var source: String { "dollar-per-token" }
    var isBuiltIn: Bool { false }
    func auditQuote(
        provider: String,
        model: String,
        serviceTier: String?,
        usage: TokenUsage,
        on date: UTCTimestamp
    ) -> AuditQuote? {
        let tokens = Int128(usage.input) + Int128(usage.output)
        return AuditQuote(cost: Money(attodollars: tokens * 1_000_000_000_000_000_000))
    }
    func canonicalModel(provider: String, model: String) -> String? { model }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
