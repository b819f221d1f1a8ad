import Attribution
import CostAudit
import CostLedger
import Foundation
import Testing

@testable import CostReports

/// Each command's audit keeps only the columns its report reads (`AuditReportColumns`); its report must be the
/// one the full audit gives, byte for byte, from a ledger file (the scanner's path) and from records in memory.
@Suite("report columns: each report's audit keeps only what the report reads, and the report is unchanged")
struct ReportColumnsTests {
    /// Eight days of October (24 to 31) and nine of November (22 to 30) of 20 users at 10:00, features `search`
    /// and `draft`, with tools, agents, prompt versions and an `env` tag that vary by user; on 30 Nov `search`
    /// moves to prompt version `p2` at three times the tokens: `feature_rate` and `cost_per_active_user` fire on
    /// it, and `explain` finds `p2` among the changes since October.
    func records() throws -> [CostRecord] {
        var records: [CostRecord] = []
        var leaf: UInt64 = 1
        for (month, day) in (24...31).map({ ("10", $0) }) + (22...30).map({ ("11", $0) }) {
            for user in 1...20 {
                for feature in ["search", "draft"] {
                    let planted = month == "11" && day == 30 && feature == "search"
                    records.append(
                        try modelCall(
                            "\(month)-\(day)-\(user)-\(feature)",
                            at: "2026-\(month)-\(day)T10:\(10 + user):00Z",
                            input: planted ? 30_000 : 10_000 + Int64(user) * 10,
                            output: 500,
                            cached: 1_000,
                            attribution: business(
                                user: "u\(user)",
                                feature: feature,
                                team: user % 3 == 0 ? "core" : "growth",
                                taskType: user % 2 == 0 ? "answer" : "summarize",
                                extra: [
                                    .tool: user % 4 == 0 ? "web_search" : "calculator",
                                    .promptVersion: planted ? "p2" : "p1",
                                    .agent: user % 5 == 0 ? "planner" : "writer",
                                ]
                            ),
                            tags: ["env": user % 2 == 0 ? "prod" : "staging"],
                            leaf: leaf
                        )
                    )
                    leaf += 1
                }
            }
        }
        return records
    }

    /// The audit of `records` from a ledger file (`fromFile`) or from memory, keeping `columns`.
    func dataset(_ records: [CostRecord], columns: AuditReportColumns, fromFile: Bool) throws -> SpendDataset {
        var configuration = AuditConfiguration(ledger: .records(records), prices: try reportPrices())
        guard fromFile else { return SpendDataset(try Auditor.attribute(configuration, columns: columns)) }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("report-columns-\(UInt64.random(in: 1...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("ledger.jsonl")
        try Data(records.flatMap { $0.jsonLine() }).write(to: file)
        configuration.ledger = .files([file.path])
        return SpendDataset(try Auditor.attribute(configuration, columns: columns))
    }

    /// What each command prints, from a dataset audited with the columns it asks for.
    struct Outputs: Equatable {
        var report: [String] = []
        var explain = ""
        var alerts = ""
        var forecast = ""
        var html = ""
    }

    let now = "2026-12-01T00:00:00Z"
    let reportDimensions: [[ReportDimension]] = [
        [.team, .project], [.feature], [.tag("env"), .tool], [.promptVersion, .agent], [.userID, .taskType],
    ]

    /// Each command's output with its own columns, or with `override` for every command.
    func outputs(_ records: [CostRecord], fromFile: Bool, override: AuditReportColumns? = nil) throws -> Outputs {
        let now = try instant(self.now)
        var out = Outputs()
        for dimensions in reportDimensions {
            let data = try dataset(
                records,
                columns: override ?? SpendReport.auditColumns(by: dimensions),
                fromFile: fromFile
            )
            out.report.append(try SpendReport(data, by: dimensions, period: .day).render(.csv))
        }
        let scope = try ExplainReport.Scope(.feature, "search")
        let explainData = try dataset(
            records,
            columns: override ?? ExplainReport.auditColumns(scope: scope.dimension),
            fromFile: fromFile
        )
        out.explain = try ExplainReport(explainData, scope: scope, now: now).render(.json)
        let detectors = AlertDetectors.standard
        let alertData = try dataset(
            records,
            columns: override ?? AlertReport.auditColumns(detectors: detectors),
            fromFile: fromFile
        )
        out.alerts = try AlertReport(alertData, detectors: detectors, now: now, window: .day).render(.json)
        let forecastData = try dataset(
            records,
            columns: override ?? MonthForecast.auditColumns(by: [.team, .tag("env")]),
            fromFile: fromFile
        )
        out.forecast = try MonthForecast(
            forecastData,
            month: try StatementMonth(parsing: "2026-11"),
            asOf: now,
            by: [.team, .tag("env")]
        ).render(.json)
        let htmlData = try dataset(
            records,
            columns: override ?? Dashboard.auditColumns(detectors: detectors),
            fromFile: fromFile
        )
        // The page `html` writes: its alerts found in the same pass over the rows as its charts.
        out.html = Dashboard(htmlData, now: now, detectors: detectors).html()
        return out
    }

    @Test(
        "the page whose alerts are found alongside its charts is the page of the alerts found on their own",
        arguments: [1, 2, 3]
    )
    func dashboardAlertsAlongside(shares: Int) throws {
        let now = try instant(self.now)
        let data = try dataset(try records(), columns: .all, fromFile: true)
        let detectors = AlertDetectors.standard
        let alerts = try AlertReport(data, detectors: detectors, now: now, window: .day).alerts
        #expect(!alerts.isEmpty)
        let apart = Dashboard(data, now: now, alerts: alerts.map(DashboardAlert.init), days: 30, shares: shares)
        let together = Dashboard(data, now: now, detectors: detectors, days: 30, shares: shares)
        #expect(together.alerts == apart.alerts)
        #expect(together.html() == apart.html())
        // Invalid parameters give no alerts but the reason (DashboardTests), and the same charts.
        var invalid = FeatureRateDetector()
        invalid.baselineDays = 0
        let charts = Dashboard(data, now: now, detectors: [invalid], days: 30, shares: shares)
        #expect(charts.alerts.isEmpty)
        #expect(charts.alertsNotEvaluated?.field == "feature_rate.baseline_days")
        #expect(
            charts.replacingAlerts([]).html() == Dashboard(data, now: now, alerts: [], days: 30, shares: shares).html()
        )
    }

    @Test("report, explain, alerts, forecast and html print the same from their own columns as from every column")
    func sameOutputs() throws {
        let records = try records()
        for fromFile in [true, false] {
            let full = try outputs(records, fromFile: fromFile, override: .all)
            let own = try outputs(records, fromFile: fromFile)
            #expect(own.report == full.report)
            #expect(own.explain == full.explain)
            #expect(own.alerts == full.alerts)
            #expect(own.forecast == full.forecast)
            #expect(own.html == full.html)
            // The outputs read what the columns keep: the planted prompt version is the alerts' contributor and
            // the first driver explained, and the reports by tag, tool and agent name their values.
            #expect(full.alerts.contains(#""prompt_version":"p2""#) || full.alerts.contains("p2"))
            #expect(full.explain.contains(#""value":"p2""#))
            #expect(full.report[2].contains("prod,web_search"))
            #expect(full.report[3].contains("p2,planner"))
            // Without the columns they read, every one of them changes: the test would see a missing column.
            let bare = try outputs(records, fromFile: fromFile, override: [])
            #expect(bare.report != full.report)
            #expect(bare.explain != full.explain)
            #expect(bare.alerts != full.alerts)
            #expect(bare.forecast != full.forecast)
            #expect(bare.html != full.html)
        }
    }

    @Test("a column left out reads as none: no tags, tool, prompt version or token counts")
    func columnLeftOutReadsAsNone() throws {
        let records = try records()
        for fromFile in [true, false] {
            let bare = try dataset(records, columns: [], fromFile: fromFile)
            let full = try dataset(records, columns: .all, fromFile: fromFile)
            #expect(full.value(.tag("env"), at: 0) == "staging")
            #expect(full.value(.tool, at: 0) == "calculator")
            #expect(full.value(.agent, at: 0) == "writer")
            #expect(full.tokens(at: 0).cachedInput == 1_000)
            #expect(bare.value(.tag("env"), at: 0) == nil)
            #expect(bare.value(.tool, at: 0) == nil)
            #expect(bare.value(.promptVersion, at: 0) == nil)
            #expect(bare.tokens(at: 0) == TokenCounts())
            // What every row keeps is there either way: the required fields as filled, the agent (the audit
            // tracks it for its own report), the model, the dollars.
            #expect(bare.value(.team, at: 0) == "growth")
            #expect(bare.value(.agent, at: 0) == "writer")
            #expect(bare.value(.model, at: 0) == full.value(.model, at: 0))
            #expect(bare.usd(at: 0) == full.usd(at: 0))
            #expect(bare.totalUSD == full.totalUSD)
        }
    }

    @Test("the columns of a grouping are its dimensions' own; model, provider, key and class need none")
    func columnsOfDimensions() throws {
        #expect(
            AuditReportColumns(reading: [.team, .tag("env"), .serviceTier, .model, .attributionClass])
                == [.team, .tags, .serviceTier]
        )
        #expect(AuditReportColumns(reading: [.provider, .apiKeyID]) == [])
        #expect(SpendReport.auditColumns(by: [.team, .project]) == [.tokens, .team, .project])
        #expect(
            ExplainReport.auditColumns(scope: .feature)
                == [.feature, .tool, .promptVersion, .taskType, .agent, .userID]
        )
        #expect(MonthForecast.auditColumns(by: [.team]) == [.team])
        let alerts = AlertReport.auditColumns(detectors: AlertDetectors.standard)
        #expect(alerts == [.userID, .feature, .taskType, .tool, .promptVersion])
        #expect(!alerts.contains(.tokens) && !alerts.contains(.tags) && !alerts.contains(.agent))
        // The page shows no contributors: it keeps no prompt version for them.
        #expect(
            Dashboard.auditColumns(detectors: AlertDetectors.standard) == [.userID, .feature, .team, .taskType, .tool]
        )
    }
}
