import Attribution
import CostLedger
import Testing

@testable import CostReports

/// The dashboard sums a large dataset's rows in shares on threads of their own (`DashboardSums`), then merges
/// them: a team, feature, user, tool or active user whose rows fall in several shares must count as in one pass.
@Suite("html: the dashboard summed in shares is the page of one pass")
struct DashboardSharesTests {
    /// Three weeks of calls by many users, teams, features and tools, with rows in the last 24 hours before
    /// 2026-12-01 and on the 7 days before them, and one call without a team.
    func month() throws -> SpendDataset {
        var records: [CostRecord] = []
        for day in 10...30 {
            for hour in [0, 7, 13, 22] {
                for user in 0..<(day % 5 + 2) {
                    let at = "2026-11-\(day)T\(hour < 10 ? "0" : "")\(hour):\(10 + user):00Z"
                    records.append(
                        try modelCall(
                            "c\(day)-\(hour)-\(user)",
                            at: at,
                            input: Int64(1_000 * (user + 1) + day),
                            attribution: business(
                                user: "u_\(user)",
                                feature: "f_\((day + user) % 4)",
                                team: "t_\(user % 3)",
                                extra: [.tool: "tool_\((hour + user) % 3)"]
                            )
                        )
                    )
                }
            }
        }
        records.append(try modelCall("x", at: "2026-11-30T10:00:00Z", input: 5_000, attribution: [.userID: "u_9"]))
        return try dataset(records)
    }

    @Test("the page from 2, 3 or 7 shares is the page from one", arguments: [2, 3, 7])
    func sharesGiveOnePage(shares: Int) throws {
        let now = try instant("2026-12-01T00:00:00Z")
        for data in [try month(), try DashboardTests().week(), try ToolsReportTests().weeks()] {
            let one = Dashboard(data, now: now, alerts: [], days: 30, shares: 1).html()
            let split = Dashboard(data, now: now, alerts: [], days: 30, shares: shares).html()
            #expect(split == one)
        }
    }
}
