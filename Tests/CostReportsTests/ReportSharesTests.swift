import Attribution
import CostAudit
import CostLedger
import Testing

@testable import CostReports

/// Reports over enough rows to be read in two shares on two threads (docs/benchmarks.md): the shares' sums are
/// merged, and a task whose rows fall in both shares still counts once.
@Suite("Reports over rows read in shares")
struct ReportSharesTests {
    /// 140,000 calls, row `i` of team `a`, `b` or `c` by `i mod 3`, costing `i` attodollars, in task
    /// `(i + 5) / 10`: tasks of ten rows, the first and last of five, so that the task of rows 69,995 to 70,004
    /// falls in both halves of the rows.
    static let rows = 140_000

    static func sharedDataset() throws -> SpendDataset {
        let report = try Auditor.attribute(
            AuditConfiguration(ledger: .records([]), prices: try reportPrices())
        ).report
        var records: [AttributedRecord] = []
        records.reserveCapacity(rows)
        let teams = ["a", "b", "c"]
        for i in 0..<rows {
            let record = try modelCall(
                "r\(i)",
                at: "2026-11-02T10:00:00Z",
                attribution: business(team: teams[i % 3], project: "p"),
                root: UInt64((i + 5) / 10 + 1)
            )
            records.append(
                AttributedRecord(record: record, usd: Money(attodollars: Int128(i)), attributionClass: .direct)
            )
        }
        return SpendDataset(report: report, records: records)
    }

    @Test("a report read in two shares sums each group once and counts a task in both shares once")
    func reportInShares() throws {
        #expect(RowShares.count(Self.rows) == 2)
        let dataset = try Self.sharedDataset()
        let report = try SpendReport(dataset, by: [.team])
        // Team a holds rows 0, 3, …, 139,998: 46,667 rows, 3 × (0 + 1 + … + 46,666) = 3 × 46,666 × 46,667 / 2
        // attodollars. Team b: rows 1, 4, …, 139,999, 46,667 rows, that sum plus 46,667. Team c: rows 2, 5, …,
        // 139,997, 46,666 rows, 3 × (0 + … + 46,665) + 2 × 46,666. Tasks (i + 5) / 10 run from 0 to 14,000: the
        // first (rows 0–4) and the last (rows 139,995–139,999) hold a row of every team, as every task of ten
        // rows does, so each team has 14,001 tasks.
        let sumA = Int128(3 * 46_666 * 46_667 / 2)
        let expected: [String: (usd: Int128, calls: Int)] = [
            "a": (sumA, 46_667),
            "b": (sumA + 46_667, 46_667),
            "c": (Int128(3 * 46_665 * 46_666 / 2 + 2 * 46_666), 46_666),
        ]
        // Highest spend first: b, then a (46,666 attodollars above c), then c, then the unknown group, empty.
        #expect(report.groups.map(\.values) == [["b"], ["a"], ["c"], [ReportDimension.unknownLabel]])
        for group in report.groups.prefix(3) {
            let want = try #require(expected[group.values[0]])
            #expect(group.usd == Money(attodollars: want.usd), "team \(group.values[0])")
            #expect(group.calls == want.calls, "team \(group.values[0])")
            #expect(group.tasks == 14_001, "team \(group.values[0])")
        }
        #expect(report.totalUSD == Money(attodollars: Int128(Self.rows - 1) * Int128(Self.rows) / 2))
    }

    @Test("explain read in two shares counts a task in both shares once")
    func explainInShares() throws {
        let dataset = try Self.sharedDataset()
        let explain = try ExplainReport(
            dataset,
            scope: try ExplainReport.Scope(.project, "p"),
            now: try instant("2026-11-20T00:00:00Z")
        )
        // Every row is in the current window ([now − 30 days, now)); rows 0 … 139,999 cost their index, but row 0
        // costs nothing and makes no task, and task 0 keeps rows 1–4: tasks 0 … 14,000.
        #expect(explain.current.tasks == 14_001)
        #expect(explain.current.usd == Money(attodollars: Int128(Self.rows - 1) * Int128(Self.rows) / 2))
        #expect(explain.previous.tasks == 0)
    }
}
