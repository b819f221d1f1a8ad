import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

@Suite("html: one self-contained dashboard page")
struct DashboardTests {
    /// Calls over the week before 2026-12-01, from two teams, on two features, with a tool; one call without
    /// a team (unknown spend).
    func week() throws -> SpendDataset {
        var records: [CostRecord] = []
        for day in 24...30 {
            for hour in [9, 14, 23] {
                let at = "2026-11-\(day)T\(hour < 10 ? "0" : "")\(hour):15:00Z"
                records.append(
                    try modelCall("g\(day)-\(hour)", at: at, input: 10_000, attribution: business(user: "u_\(hour)"))
                )
                records.append(
                    try modelCall(
                        "r\(day)-\(hour)",
                        at: at,
                        input: 20_000,
                        attribution: business(
                            user: "u_r",
                            feature: "draft",
                            team: "research",
                            extra: [.tool: "web_search"]
                        )
                    )
                )
            }
        }
        records.append(try modelCall("x", at: "2026-11-30T10:00:00Z", input: 5_000, attribution: [.userID: "u_9"]))
        return try dataset(records)
    }

    @Test("the page is one file with every chart and section, and no reference to anything outside it")
    func selfContained() throws {
        let alert = DashboardAlert(
            detector: "cost_per_active_user",
            subject: "all users",
            since: "2026-11-30T14",
            summary: "3.1x the same-hour median",
            usdAtStake: try dollars("12.345")
        )
        let page = Dashboard(try week(), now: try instant("2026-12-01T00:00:00Z"), alerts: [alert]).html()
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.hasSuffix("</html>\n"))
        for title in [
            "Daily spend by team", "Daily spend by feature", "Last 24 hours by team", "Last 24 hours by feature",
            "Unknown share by day", "Cost per active user by hour", "Tool share of weekly spend",
        ] {
            #expect(page.contains("aria-label=\"\(title)\""), "missing chart \(title)")
        }
        #expect(page.ranges(of: "<svg ").count == 7)
        for section in ["headline", "alerts", "spend", "unknown", "per-user", "top", "tools"] {
            #expect(page.contains("<section id=\"\(section)\">"))
        }
        #expect(page.contains("Capture rate") && page.contains("Unknown share after the audit"))
        #expect(
            page.contains("<td>cost_per_active_user</td>") && page.contains("$12.34"),
            "12.345 rounds half-even to 12.34"
        )
        #expect(page.contains(">research<") && page.contains(">web_search<") && page.contains(">u_r<"))
        #expect(page.contains("@media print"))
        #expect(!page.contains("<script"))
        #expect(!page.contains("src="))
        #expect(!page.contains("http:") && !page.contains("https:") && !page.contains("url("))
        #expect(!page.contains("@import"))
        // Every href is an anchor on the page.
        for part in page.split(separator: "href=\"", omittingEmptySubsequences: false).dropFirst() {
            #expect(part.hasPrefix("#"), "an href leaves the page: \(part.prefix(40))")
        }
        let empty = Dashboard(try week(), now: try instant("2026-12-01T00:00:00Z")).html()
        #expect(empty.contains("No alerts."))
    }

    @Test("invalid detector parameters: the page says its alerts were not evaluated and why, not 'No alerts.'")
    func alertsNotEvaluated() throws {
        let now = try UTCTimestamp(rfc3339: "2026-12-01T00:00:00Z")
        var tools = ToolShareDetector()
        tools.minimumShiftPoints = 366
        let page = Dashboard(try week(), now: now, detectors: [CostPerActiveUserDetector(), tools])
        let reason = "tool_share.minimum_shift_points: '366.0' must be a number from 0 to 100"
        #expect(page.alertsNotEvaluated?.description == reason)
        let html = page.html()
        #expect(
            html.contains(
                "<p class=\"empty\">Alerts not evaluated: tool_share.minimum_shift_points: &#39;366.0&#39; must be a "
                    + "number from 0 to 100</p>"
            )
        )
        #expect(!html.contains("No alerts."))
        // The charts are drawn all the same; alerts given later replace the reason.
        let given = page.replacingAlerts([])
        #expect(given.alertsNotEvaluated == nil)
        #expect(given.html() == Dashboard(try week(), now: now).html())
        // Valid detectors are evaluated: no reason.
        #expect(Dashboard(try week(), now: now, detectors: AlertDetectors.standard).alertsNotEvaluated == nil)
    }

    @Test("a hostile value is escaped everywhere the page shows it")
    func escapesHostileValues() throws {
        let hostile = "<script>alert('x')</script>&\""
        let records = [
            try modelCall(
                "a",
                at: "2026-11-30T10:00:00Z",
                input: 10_000,
                attribution: business(user: hostile, feature: hostile, team: hostile, extra: [.tool: hostile])
            )
        ]
        let alert = DashboardAlert(
            detector: hostile,
            subject: hostile,
            since: hostile,
            summary: hostile,
            usdAtStake: .zero
        )
        let page = Dashboard(try dataset(records), now: try instant("2026-12-01T00:00:00Z"), alerts: [alert]).html()
        #expect(!page.contains("<script"))
        #expect(!page.contains("alert('x')"))
        #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"))
    }

    /// 400 teams and 400 features, each with spend on every day and hour: each chart keeps 8 series, the top
    /// lists 10 rows, so the page is no larger than with a dozen of them.
    @Test("the page stays bounded in size with many groups, folding the rest into (other)")
    func boundedSize() throws {
        func records(groups: Int) throws -> [CostRecord] {
            var records: [CostRecord] = []
            for group in 0..<groups {
                for hour in stride(from: 0, to: 24 * 30, by: 37) {
                    let day = 1 + hour / 24
                    let at = "2026-11-\(day < 10 ? "0" : "")\(day)T\(hour % 24 < 10 ? "0" : "")\(hour % 24):00:00Z"
                    records.append(
                        try modelCall(
                            "r\(group)-\(hour)",
                            at: at,
                            input: Int64(1_000 + group),
                            attribution: business(
                                user: "u_\(group)",
                                feature: "f_\(group)",
                                team: "t_\(group)",
                                extra: [.tool: "tool_\(group)"]
                            )
                        )
                    )
                }
            }
            return records
        }
        let now = try instant("2026-12-01T00:00:00Z")
        let small = Dashboard(try dataset(try records(groups: 12)), now: now).html()
        let large = Dashboard(try dataset(try records(groups: 400)), now: now).html()
        #expect(large.contains(">(other)<"))
        #expect(!large.contains(">t_0<"), "the smallest team is folded")
        #expect(large.contains(">t_399<"))
        #expect(large.utf8.count < 400_000)
        #expect(Double(large.utf8.count) < Double(small.utf8.count) * 1.2, "\(large.utf8.count) vs \(small.utf8.count)")
    }
}
