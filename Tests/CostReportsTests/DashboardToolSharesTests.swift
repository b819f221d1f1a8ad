import Attribution
import Testing

@testable import CostReports

/// The dashboard's tool shares come from its own pass over the rows: they must be the `tools` report's, every row
/// included (the charts stop at the hour of `now`, the tool shares do not, as the report does not).
@Suite("html: the dashboard's weekly tool shares are the tools report's")
struct DashboardToolSharesTests {
    @Test("each week's share of each tool, rows after now's hour included, as ToolsReport computes them")
    func sameAsToolsReport() throws {
        let data = try ToolsReportTests().weeks()
        let page = Dashboard(data, now: try UTCTimestamp(rfc3339: "2026-12-08T00:00:00Z"))
        let report = ToolsReport(data)
        #expect(page.weekLabels == ["2026-W48", "2026-W49", "2026-W50", "2026-W52"])
        #expect(page.weekLabels == report.weeks.map(\.week))
        let shares = Dictionary(uniqueKeysWithValues: page.toolShares.map { ($0.name, $0.values) })
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
}
