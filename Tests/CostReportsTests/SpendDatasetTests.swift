import Attribution
import CostAudit
import CostLedger
import CostReports
import Foundation
import Testing

@Suite("The dataset: the audit's rows, read once, equal to the records read again")
struct SpendDatasetTests {
    /// Records with tags (one with a quote and a backslash in a value), cached tokens, a retry, fan-out, a
    /// record with no lineage, and one whose team a rule-less audit cannot fill.
    func records() throws -> [CostRecord] {
        [
            try modelCall(
                "a",
                at: "2026-11-02T10:00:00Z",
                input: 3000,
                output: 500,
                cached: 1000,
                tags: ["env": "prod", "note": "say \"hi\" \\ bye"],
                leaf: 1
            ),
            try modelCall("b", at: "2026-11-02T10:01:00Z", model: "big-1", output: 100, leaf: 1, attempt: 2),
            try modelCall("c", at: "2026-11-02T10:02:00Z", model: "cheap-1", input: 70, leaf: 2, parent: 1, root: 1),
            try modelCall("d", at: "2026-11-03T09:00:00Z", input: 10, attribution: [.feature: "orphan"]),
            try modelCall(
                "e",
                at: "2026-11-03T09:30:00Z",
                input: 10,
                attribution: business(extra: [.tool: "web_search", .promptVersion: "p2"]),
                tags: ["env": "staging"],
                leaf: 3
            ),
            // Tags the fast reader reads (no escapes), two of them.
            try modelCall("f", at: "2026-11-03T10:00:00Z", input: 20, tags: ["env": "prod", "note": "plain"], leaf: 4),
            // No lineage, and a record id written as a leaf id: its task is that leaf's, the next record's.
            try modelCall("00000000000000aa", at: "2026-11-03T11:00:00Z", input: 30),
            try modelCall("g", at: "2026-11-03T11:01:00Z", input: 40, leaf: 0xaa),
            // No lineage, and a 16-byte record id that is no leaf id (uppercase): a task named by it.
            try modelCall("00000000000000AB", at: "2026-11-03T11:02:00Z", input: 50),
        ]
    }

    func groups(_ data: SpendDataset, _ dims: [ReportDimension]) throws -> [SpendReport.Group] {
        try SpendReport(data, by: dims, period: .day).groups
    }

    @Test("rows taken from the audit equal the records the audit filled, read again from the ledger")
    func auditRowsEqualRecordsReadAgain() throws {
        let records = try records()
        let configuration = AuditConfiguration(ledger: .records(records), prices: try reportPrices())
        let audit = try Auditor.attribute(configuration)
        var again: [AttributedRecord] = []
        try audit.forEachRecord { again.append($0) }
        let fromRows = SpendDataset(audit)
        let fromRecords = SpendDataset(report: audit.report, records: again, unrecorded: audit.unrecorded)
        #expect(fromRows.count == 9)
        for dims in [[ReportDimension.team], [.tag("env"), .tag("note")], [.tool, .promptVersion, .model]] {
            #expect(try groups(fromRows, dims) == (try groups(fromRecords, dims)))
        }
        #expect(fromRows.value(.tag("note"), at: 0) == "say \"hi\" \\ bye")
        #expect(fromRows.tokens(at: 0).cachedInput == 1000)
        #expect(fromRows.task(at: 0) == fromRows.task(at: 2))
        #expect(fromRows.task(at: 3) == "d")
        #expect(fromRows.task(at: 6) == "00000000000000aa")
        #expect(fromRows.task(at: 7) == "00000000000000aa")
        #expect(fromRows.task(at: 8) == "00000000000000AB")
        for row in 0..<fromRows.count { #expect(fromRows.task(at: row) == fromRecords.task(at: row)) }
    }

    @Test("a ledger read from a file gives the same rows as the same records in memory, tags included")
    func fileEqualsMemory() throws {
        let records = try records()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("spend-dataset-\(UInt64.random(in: 1...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("ledger.jsonl")
        var text: [UInt8] = []
        for record in records { text += record.jsonLine() }
        try Data(text).write(to: file)
        var configuration = AuditConfiguration(ledger: .files([file.path]), prices: try reportPrices())
        let fromFile = SpendDataset(try Auditor.attribute(configuration))
        configuration.ledger = .records(records)
        let fromMemory = SpendDataset(try Auditor.attribute(configuration))
        for dims in [[ReportDimension.feature], [.tag("env"), .tag("note")], [.userID, .model, .attributionClass]] {
            #expect(try groups(fromFile, dims) == (try groups(fromMemory, dims)))
        }
        #expect(fromFile.totalUSD == fromFile.report.classifiedUSD)
    }
}
