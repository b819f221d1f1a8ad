import Attribution
import CostAudit
import CostLedger
import Testing

@testable import CostReports

/// The numbers each chart of the page is drawn from, worked by hand (docs/dashboard.md). The page of
/// 2026-12-01T00:00Z: daily charts over 1-30 Nov, hourly ones over 30 Nov. mid-1 input: 1,000 tokens = $0.01.
/// - 10 Nov 12:00: alpha, search, u1, $0.10.
/// - 20 Nov 08:00: beta, chat, u2, $0.20.
/// - 30 Nov 03:00: alpha, chat, u1, $0.05.
/// - 30 Nov 05:00: u3 only (no team, feature, project or task type), $0.05: unknown.
/// - 30 Nov 05:30: beta, search, no user, $0.03: unknown too (a required field is missing).
/// Total $0.43.
@Suite("html: the values of the page's charts and lists")
struct DashboardValuesTests {
    func page() throws -> Dashboard {
        let records = [
            try modelCall(
                "a",
                at: "2026-11-10T12:00:00Z",
                input: 10_000,
                attribution: business(user: "u1", feature: "search", team: "alpha")
            ),
            try modelCall(
                "b",
                at: "2026-11-20T08:00:00Z",
                input: 20_000,
                attribution: business(user: "u2", feature: "chat", team: "beta")
            ),
            try modelCall(
                "c",
                at: "2026-11-30T03:00:00Z",
                input: 5_000,
                attribution: business(user: "u1", feature: "chat", team: "alpha")
            ),
            try modelCall("d", at: "2026-11-30T05:00:00Z", input: 5_000, attribution: [.userID: "u3"]),
            try modelCall(
                "e",
                at: "2026-11-30T05:30:00Z",
                input: 3_000,
                attribution: [.feature: "search", .team: "beta", .project: "assistant", .taskType: "answer"]
            ),
        ]
        return Dashboard(try dataset(records), now: try instant("2026-12-01T00:00:00Z"))
    }

    /// `values` with the days (or hours) that have spend, as "index=dollars".
    func nonzero(_ values: [Double]) -> [String] {
        values.enumerated().filter { $0.element != 0 }.map { "\($0.offset)=\(($0.element * 100).rounded() / 100)" }
    }

    func chart(_ series: [Dashboard.Series]) -> [String] {
        series.map { "\($0.name): " + nonzero($0.values).joined(separator: " ") }
    }

    @Test("daily spend by team and by feature, largest first, (unknown) where no value")
    func daily() throws {
        let page = try page()
        #expect(page.dayLabels.first == "2026-11-01")
        #expect(page.dayLabels.last == "2026-11-30")
        #expect(chart(page.teamDaily) == ["beta: 19=0.2 29=0.03", "alpha: 9=0.1 29=0.05", "(unknown): 29=0.05"])
        #expect(chart(page.featureDaily) == ["chat: 19=0.2 29=0.05", "search: 9=0.1 29=0.03", "(unknown): 29=0.05"])
    }

    @Test("the last 24 hours by team and by feature, hour by hour")
    func hourly() throws {
        let page = try page()
        #expect(page.hourLabels.first == "2026-11-30T00")
        #expect(chart(page.teamHourly) == ["(unknown): 5=0.05", "alpha: 3=0.05", "beta: 5=0.03"])
        #expect(chart(page.featureHourly) == ["(unknown): 5=0.05", "chat: 3=0.05", "search: 5=0.03"])
    }

    @Test("the unknown share of each day's spend; a day without spend has none")
    func unknownShare() throws {
        let shares = try page().unknownShare
        #expect(shares.count == 30)
        #expect(shares[9] == 0)
        #expect(shares[19] == 0)
        #expect(abs(try #require(shares[29]) - 8.0 / 13.0 * 100) < 1e-9)
        #expect(shares[0] == nil)
    }

    @Test("cost per active user counts the hour's whole recorded spend, rows without a user included")
    func hourSpend() throws {
        let hours = try page().hours
        let five = try #require(hours.first { $0.label == "2026-11-30T05" })
        #expect(five.activeUsers == 1)
        #expect(abs(try #require(five.value) - 0.08) < 1e-12)
        let three = try #require(hours.first { $0.label == "2026-11-30T03" })
        #expect(abs(try #require(three.value) - 0.05) < 1e-12)
    }

    @Test("top features and users over the days shown, with their share of the total")
    func topLists() throws {
        let page = try page()
        #expect(page.windowUSD == (try dollars("0.43")))
        #expect(
            page.topFeatures.map { "\($0.name) \($0.usd.formatted(decimals: 2))" } == [
                "chat 0.25", "search 0.13", "(unknown) 0.05",
            ]
        )
        #expect(
            page.topUsers.map { "\($0.name) \($0.usd.formatted(decimals: 2))" } == [
                "u2 0.20", "u1 0.15", "u3 0.05", "(unknown) 0.03",
            ]
        )
        #expect(page.topUsers.first?.share == AuditShare(try dollars("0.20"), of: try dollars("0.43")))
    }
}
