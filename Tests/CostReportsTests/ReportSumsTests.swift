import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

@Suite("report sums: the groups add up to the audit's total, with the spend the bill holds and no record carries")
struct ReportSumsTests {
    /// Prices per million: mid-1 input $10, big-1 output $200. The bill (usage) covers 2026-11-20:
    /// - key_a, mid-1, 300,000 input = $3.00; recorded: `a` (growth/assistant, key_a, 100,000 input) $1.00, so
    ///   $2.00 is unrecorded; the key map gives key_a to platform/infra: key_allocated $2.00.
    /// - key_b, big-1, 5,000 output = $1.00; recorded: `b` (research/lab, key_b) $1.00: no gap.
    /// - key_b, mid-1, 150,000 input = $1.50; recorded: `c` (no fields, key_b, 50,000 input) $0.50, unknown; the
    ///   $1.00 gap is unknown (key_b is not in the key map).
    /// And `d` (growth/assistant, 30,000 input) $0.30 at 2026-11-21T23:30, a day the bill does not cover.
    /// Total $5.80: direct $2.30 (a, b, d), key_allocated $2.00, unknown $1.50 (c and key_b's gap).
    func billed() throws -> SpendDataset {
        let research = business(user: "u_2", feature: "deep", team: "research", project: "lab")
        let records = [
            try modelCall("a", at: "2026-11-20T09:00:00Z", input: 100_000, leaf: 1, apiKey: "key_a"),
            try modelCall(
                "b",
                at: "2026-11-20T10:00:00Z",
                model: "big-1",
                output: 5000,
                attribution: research,
                leaf: 2,
                apiKey: "key_b"
            ),
            try modelCall("c", at: "2026-11-20T11:00:00Z", input: 50_000, attribution: [:], apiKey: "key_b"),
            try modelCall("d", at: "2026-11-21T23:30:00Z", input: 30_000, leaf: 4),
        ]
        let usage = try reportUsageExport(
            day: "2026-11-20",
            [("key_a", "mid-1", 300_000, 0), ("key_b", "big-1", 0, 5000), ("key_b", "mid-1", 150_000, 0)]
        )
        let keys = AuditKeyMap(owners: ["key_a": .init(team: "platform", project: "infra")])
        return try dataset(records, usage: [usage], keyMap: keys)
    }

    @Test(
        "every report's groups add up exactly to the audit's classified total, for any dimensions and period",
        arguments: [
            ["team", "project"], ["attribution_class"], ["model", "api_key_id"], ["feature", "task_type"],
            ["tool"], ["team", "tags.env", "provider"],
        ],
        ["day", "week", "month", "none"]
    )
    func groupsAddUp(dimensions: [String], period: String) throws {
        let data = try billed()
        #expect(data.report.classifiedUSD == (try dollars("5.80")))
        let report = try SpendReport(
            data,
            by: dimensions.map { (name) throws(ReportError) in try ReportDimension(parsing: name) },
            period: period == "none" ? nil : try ReportPeriod(parsing: period)
        )
        let sum = report.groups.reduce(Money.zero) { $0 + $1.usd }
        #expect(sum == data.report.classifiedUSD)
        #expect(report.totalUSD == data.report.classifiedUSD)
        #expect(report.omittedDailyUSD == .zero)
    }

    @Test("key-allocated unrecorded spend is under the key's team and project; unknown unrecorded spend in (unknown)")
    func unrecordedUnderItsOwner() throws {
        let report = try SpendReport(try billed(), by: [.team, .project, .attributionClass])
        let groups = report.groups.map { $0.values.joined(separator: "/") + " " + $0.usd.formatted(decimals: 2) }
        #expect(
            groups == [
                "platform/infra/key_allocated 2.00",
                "(unknown)/(unknown)/unknown 1.50",
                "growth/assistant/direct 1.30",
                "research/lab/direct 1.00",
                // The group with no value for any dimension is always shown.
                "(unknown)/(unknown)/(none) 0.00",
            ]
        )
        // The unrecorded spend has no calls and no tasks: platform/infra is billed spend only.
        #expect(report.groups[0].calls == 0)
        #expect(report.groups[0].tasks == 0)
        // (unknown) holds c's call and the $1.00 gap, which has none.
        #expect(report.groups[1].calls == 1)
    }

    @Test("an hourly report leaves out exactly the spend known per day only, and says how much")
    func hourlyOmitsDailySpend() throws {
        let data = try billed()
        let hourly = try SpendReport(data, by: [.team], period: .hour)
        // The $2.00 allocated to platform and the $1.00 unknown gap are known per day only.
        #expect(hourly.omittedDailyUSD == (try dollars("3.00")))
        #expect(hourly.totalUSD == (try dollars("2.80")))
        #expect(hourly.totalUSD + hourly.omittedDailyUSD == data.report.classifiedUSD)
        #expect(!hourly.groups.contains { $0.values == ["platform"] })
        #expect(
            hourly.groups.filter { $0.usd != .zero }.map { "\($0.period ?? "") \($0.values[0])" } == [
                "2026-11-20T09 growth", "2026-11-20T10 research", "2026-11-20T11 (unknown)", "2026-11-21T23 growth",
            ]
        )
        // A daily report places it on its day.
        let daily = try SpendReport(data, by: [.team], period: .day)
        let platform = daily.groups.first { $0.values == ["platform"] }
        #expect(platform?.period == "2026-11-20")
        #expect(platform?.usd == (try dollars("2.00")))
    }
}
