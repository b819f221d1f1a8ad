import Attribution
import CostLedger
import Testing

@testable import CostReports

/// The dashboard's tool shares come from its own pass over the rows: they must be the `tools` report's over the
/// same rows, the rows before the page's end (the hour of `now`) in the last ``Dashboard/maxWeeks`` ISO weeks.
@Suite("html: the dashboard's weekly tool shares are the tools report's, up to the page's end")
struct DashboardToolSharesTests {
    /// The page's tool shares, by tool: one value per week of `page.weekLabels`.
    func shares(_ page: Dashboard) -> [String: [Double]] {
        Dictionary(uniqueKeysWithValues: page.toolShares.map { ($0.name, $0.values) })
    }

    @Test("with every row before the page's end, each week's share of each tool is the tools report's")
    func sameAsToolsReport() throws {
        let data = try ToolsReportTests().weeks()
        let page = Dashboard(data, now: try UTCTimestamp(rfc3339: "2026-12-22T00:00:00Z"))
        let report = ToolsReport(data)
        #expect(page.weekLabels == ["2026-W48", "2026-W49", "2026-W50", "2026-W52"])
        #expect(page.weekLabels == report.weeks.map(\.week))
        let shares = shares(page)
        #expect(Set(shares.keys) == ["web_search", "fetch", "(none)"])
        for row in report.rows {
            let index = try #require(page.weekLabels.firstIndex(of: row.week))
            let text = try #require(row.sharePercent(decimals: 6))
            let expected = try #require(Double(text))
            let values = try #require(shares[row.tool])
            let shown = values[index]
            #expect(abs(shown - expected) < 1e-6, "\(row.week) \(row.tool)")
        }
    }

    @Test("rows from the page's end on are not in the tool shares: the week of now is shown up to its hour")
    func endsAtTheHourOfNow() throws {
        // Rows: W48 web_search 2,000 input tokens, fetch 1,000, no tool 7,000; W49 web_search 1,000 (30 Nov) and
        // 5,000 (2 Dec 10:00), fetch 1,000 (1 Dec), no tool 3,000 (3 Dec), and the bill's 4 Dec; later weeks.
        let page = Dashboard(try ToolsReportTests().weeks(), now: try UTCTimestamp(rfc3339: "2026-12-02T11:00:00Z"))
        #expect(page.weekLabels == ["2026-W48", "2026-W49"])
        let shares = shares(page)
        #expect(Set(shares.keys) == ["web_search", "fetch", "(none)"])
        let expected: [String: [Double]] = [
            "web_search": [20, 6000.0 / 7000 * 100],
            "fetch": [10, 1000.0 / 7000 * 100],
            "(none)": [70, 0],
        ]
        for (tool, values) in expected {
            let shown = try #require(shares[tool])
            #expect(zip(shown, values).allSatisfy { abs($0 - $1) < 1e-9 }, "\(tool): \(shown)")
        }
    }

    @Test("only the last 12 ISO weeks before the page's end are summed, those with spend shown")
    func lastTwelveWeeks() throws {
        // now 2026-12-22: the week of 21 Dec is W52; 12 weeks back is W41 (5 Oct). A row on 4 Oct is older.
        func call(_ id: String, at: String, input: Int64, tool: String?, leaf: UInt64) throws -> CostRecord {
            try modelCall(
                id,
                at: at,
                input: input,
                attribution: business(extra: tool.map { [.tool: $0] } ?? [:]),
                leaf: leaf
            )
        }
        let records = [
            try call("old", at: "2026-10-04T10:00:00Z", input: 1000, tool: "fetch", leaf: 1),
            try call("first", at: "2026-10-05T00:00:00Z", input: 1000, tool: "fetch", leaf: 2),
            try call("last", at: "2026-12-21T23:59:00Z", input: 3000, tool: nil, leaf: 3),
            try call("after", at: "2026-12-22T00:00:00Z", input: 1000, tool: "web_search", leaf: 4),
        ]
        let page = Dashboard(try dataset(records), now: try UTCTimestamp(rfc3339: "2026-12-22T00:00:00Z"))
        #expect(page.weekLabels == ["2026-W41", "2026-W52"])
        #expect(shares(page) == ["fetch": [100, 0], "(none)": [0, 100]])
    }
}
