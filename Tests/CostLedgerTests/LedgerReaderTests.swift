import Attribution
import CostLedger
import Foundation
import Testing

@Suite("Ledger reader")
struct LedgerReaderTests {
    @Test("reads every *.jsonl file of a directory in bytewise path order, with file and line")
    func directoryOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "b.jsonl",
            LedgerFixtures.line(LedgerFixtures.callRecord("b1")) + LedgerFixtures.line(LedgerFixtures.callRecord("b2"))
        )
        try dir.write("B.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("B1")))
        try dir.write("a.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("a1")))
        try dir.write("notes.txt", LedgerFixtures.line(LedgerFixtures.callRecord("ignored")))
        try dir.write(".hidden.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("hidden")))
        var seen: [String] = []
        let stats = try LedgerReader(path: dir.path).read { record, location in
            seen.append("\(record.recordID)@\((location.file as NSString).lastPathComponent):\(location.line)")
        }
        #expect(seen == ["B1@B.jsonl:1", "a1@a.jsonl:1", "b1@b.jsonl:1", "b2@b.jsonl:2"])
        #expect(stats.files == 3)
        #expect(stats.records == 4)
        #expect(stats.skippedLines == 0)
    }

    @Test("day partitions (dt=YYYY-MM-DD subdirectories) are read beside top-level files; other folders are not")
    func dayPartitions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        for folder in ["dt=2026-11-29", "dt=2026-11-30", "archive", "dt=2026-11-3x", "dt=2026-11-300"] {
            try FileManager.default.createDirectory(atPath: dir.file(folder), withIntermediateDirectories: false)
        }
        try dir.write("top.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("top")))
        try dir.write("dt=2026-11-29/w1.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("d29")))
        try dir.write("dt=2026-11-30/w1.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("d30a")))
        try dir.write("dt=2026-11-30/w2.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("d30b")))
        try dir.write("dt=2026-11-30/notes.txt", LedgerFixtures.line(LedgerFixtures.callRecord("txt")))
        try dir.write("archive/old.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("archived")))
        try dir.write("dt=2026-11-3x/w.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("not-a-day")))
        try dir.write("dt=2026-11-300/w.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("too-long")))
        let (records, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(records.map(\.recordID) == ["d29", "d30a", "d30b", "top"])
        #expect(stats.files == 4)
    }

    @Test("several directories and files are merged into one bytewise order, each file once")
    func severalPaths() throws {
        let one = try TemporaryDirectory()
        defer { one.cleanup() }
        try one.write("x.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("x")))
        try one.write("other.log", LedgerFixtures.line(LedgerFixtures.callRecord("log")))
        let reader = LedgerReader(paths: [one.path, one.file("other.log"), one.file("x.jsonl")])
        let (records, stats) = try reader.readAll()
        #expect(records.map(\.recordID) == ["log", "x"])
        #expect(stats.files == 2)
    }

    @Test("a torn last line is skipped and counted with its location, and the records before it are read")
    func tornLastLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let whole = LedgerFixtures.line(LedgerFixtures.callRecord("r1"))
        let torn = String(LedgerFixtures.line(LedgerFixtures.callRecord("r2")).prefix(40))
        try dir.write("w.jsonl", whole + torn)
        let (records, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(records.map(\.recordID) == ["r1"])
        #expect(stats.skippedLines == 1)
        #expect(stats.invalidRecords == 0)
        let issue = try #require(stats.issues.first)
        #expect(issue.kind == .skippedLine)
        #expect(issue.location.line == 2)
        #expect(issue.location.file == dir.file("w.jsonl"))
    }

    @Test("a whole last record without its newline is read")
    func lastLineWithoutNewline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var text =
            LedgerFixtures.line(LedgerFixtures.callRecord("r1")) + LedgerFixtures.line(LedgerFixtures.callRecord("r2"))
        text.removeLast()
        try dir.write("w.jsonl", text)
        let (records, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(records.map(\.recordID) == ["r1", "r2"])
        #expect(stats.skippedLines == 0)
    }

    @Test("lines over 64 KiB are skipped and counted, and reading goes on after them")
    func oversizedLines() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var record = LedgerFixtures.callRecord("big")
        record.attribution[.agent] = "a"
        let bigLine = LedgerFixtures.line(record).replacingOccurrences(
            of: #""agent":"a""#,
            with: #""padding":""# + String(repeating: "p", count: 70_000) + #"","agent":"a""#
        )
        // Exactly at the limit: kept (unknown key padding the line to 65,536 bytes before the newline).
        let base = LedgerFixtures.line(LedgerFixtures.callRecord("edge")).dropLast()
        let pad = 64 * 1024 - base.utf8.count - #","pad":"""#.utf8.count
        let edgeLine = base.dropLast() + #","pad":""# + String(repeating: "q", count: pad) + "\"}\n"
        #expect(edgeLine.utf8.count == 64 * 1024 + 1)
        try dir.write(
            "w.jsonl",
            LedgerFixtures.line(LedgerFixtures.callRecord("r1")) + bigLine
                + LedgerFixtures.line(LedgerFixtures.callRecord("r2")) + edgeLine
                + String(repeating: "z", count: 200_000)
        )
        let (records, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(records.map(\.recordID) == ["r1", "r2", "edge"])
        #expect(stats.oversizedLines == 2)
        #expect(stats.skippedLines == 2)
        #expect(stats.issues.map(\.location.line) == [2, 5])
        #expect(stats.issues.allSatisfy { $0.kind == .oversizedLine })
    }

    @Test("records spread over many read chunks are all read, in order, in constant memory")
    func chunkBoundaries() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var rng = LedgerRNG(seed: 3)
        var expected: [CostRecord] = []
        var bytes: [UInt8] = []
        while bytes.count < 3 * LedgerReader.chunkSize {
            let record = LedgerFixtures.randomRecord(&rng)
            expected.append(record)
            bytes += record.jsonLine()
        }
        try dir.write("w.jsonl", bytes)
        let (records, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(records == expected)
        #expect(stats.lines == expected.count)
        #expect(stats.bytes == Int64(bytes.count))
    }

    @Test("invalid records and other kinds are counted apart; the count goes past the detail limit")
    func invalidCounts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var text = ""
        for i in 0..<1500 {
            var record = LedgerFixtures.callRecord("bad\(i)")
            record.usage.reasoning = 99  // above output_tokens (20)
            text += LedgerFixtures.line(record)
        }
        text += #"{"v":1,"kind":"budget","record_id":"k1"}"# + "\n"
        text += "\n" + LedgerFixtures.line(LedgerFixtures.callRecord("good"))
        try dir.write("w.jsonl", text)
        let (records, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(records.map(\.recordID) == ["good"])
        #expect(stats.invalidRecords == 1500)
        #expect(stats.skippedKinds == 1)
        #expect(stats.issues.count == LedgerReadStats.maxIssues)
        #expect(stats.issuesOmitted == 500)
        #expect(stats.issues[0].field == "reasoning_tokens")
        #expect(stats.issues[0].location.line == 1)
        #expect(stats.issues[0].description.contains("w.jsonl:1"))
    }

    @Test("a missing path is an I/O error naming it")
    func missingPath() {
        let read = #expect(throws: CostLedgerError.self) {
            try LedgerReader(path: "/nonexistent/ledger").read { _, _ in }
        }
        #expect(read?.code == .io)
        #expect(read?.field == "/nonexistent/ledger")
        let listed = #expect(throws: CostLedgerError.self) { try LedgerReader(path: "/nonexistent/ledger").files() }
        #expect(listed?.code == .io)
        #expect(listed?.field == "/nonexistent/ledger")
    }

    @Test("statistics of files read separately merge into those of one read")
    func mergeStats() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("a.jsonl", LedgerFixtures.line(LedgerFixtures.callRecord("a")) + "{torn\n")
        try dir.write("b.jsonl", "[]\n" + LedgerFixtures.line(LedgerFixtures.callRecord("b")))
        let reader = LedgerReader(path: dir.path)
        let whole = try reader.read { _, _ in }
        var merged = LedgerReadStats()
        for file in try reader.files() {
            let part = try LedgerReader(path: file).read { _, _ in }
            merged.merge(part)
        }
        #expect(merged == whole)
        #expect(whole.skippedLines == 2)
        #expect(whole.issues.map(\.location.line) == [2, 1])
    }
}
