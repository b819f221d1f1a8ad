import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

@Suite("report --by: groups that add up to the audit")
struct SpendReportTests {
    /// Three teams' calls and one call with no envelope (unknown, no team):
    /// - growth/assistant: 1,000 input of mid-1 ($0.01) + 1,000 output of mid-1 ($0.02) = $0.03
    /// - research/lab: 1,000 output of big-1 = $0.20
    /// - support/helpdesk: 1,000 input of cheap-1 = $0.001
    /// - no team: 2,000 input of mid-1 = $0.02, unknown (no_envelope)
    /// Total $0.251.
    func fourCalls() throws -> [CostRecord] {
        [
            try modelCall("a", at: "2026-11-02T10:00:00Z", input: 1000, leaf: 1),
            try modelCall("b", at: "2026-11-03T11:00:00Z", output: 1000, leaf: 2),
            try modelCall(
                "c",
                at: "2026-11-04T12:00:00Z",
                model: "big-1",
                output: 1000,
                attribution: business(user: "u_2", feature: "deep", team: "research", project: "lab"),
                leaf: 3
            ),
            try modelCall(
                "d",
                at: "2026-11-05T13:00:00Z",
                model: "cheap-1",
                input: 1000,
                attribution: business(user: "u_3", feature: "triage", team: "support", project: "helpdesk"),
                leaf: 4
            ),
            try modelCall("e", at: "2026-11-06T14:00:00Z", input: 2000, attribution: [.userID: "u_9"]),
        ]
    }

    @Test("groups by team and project, highest spend first, and add up to the audit's total with the unknown row")
    func byTeamAndProject() throws {
        let data = try dataset(try fourCalls())
        let report = try SpendReport(data, by: [.team, .project])
        #expect(
            report.groups.map(\.values) == [
                ["research", "lab"], ["growth", "assistant"], ["(unknown)", "(unknown)"], ["support", "helpdesk"],
            ]
        )
        #expect(
            report.groups.map(\.usd) == [
                try dollars("0.20"), try dollars("0.03"), try dollars("0.02"), try dollars("0.001"),
            ]
        )
        #expect(report.totalUSD == data.report.classifiedUSD)
        #expect(report.totalUSD == (try dollars("0.251")))
        #expect(report.groups[1].calls == 2)
        #expect(report.groups[1].tokens.input == 1000)
        #expect(report.groups[1].tokens.output == 1000)
    }

    @Test("the unknown row is shown even when nothing is unknown")
    func unknownRowAlwaysShown() throws {
        let data = try dataset(Array(try fourCalls().prefix(2)))
        let report = try SpendReport(data, by: [.team])
        #expect(report.groups.map(\.values) == [["growth"], ["(unknown)"]])
        #expect(report.groups[1].usd == .zero)
    }

    @Test("a record with several tags is counted once, under its own value of the tag")
    func tagsCountOnce() throws {
        let records = [
            try modelCall(
                "a",
                at: "2026-11-02T10:00:00Z",
                input: 1000,
                tags: ["env": "prod", "tier": "gold"],
                leaf: 1
            ),
            try modelCall("b", at: "2026-11-02T11:00:00Z", input: 1000, tags: ["env": "staging"], leaf: 2),
            try modelCall("c", at: "2026-11-02T12:00:00Z", input: 1000, leaf: 3),
        ]
        let data = try dataset(records)
        let byEnv = try SpendReport(data, by: [.tag("env")])
        // Equal spend: ties go bytewise, and "(" sorts before letters.
        #expect(byEnv.groups.map(\.values) == [["(none)"], ["prod"], ["staging"]])
        #expect(byEnv.groups.map(\.usd) == [try dollars("0.01"), try dollars("0.01"), try dollars("0.01")])
        #expect(byEnv.totalUSD == (try dollars("0.03")))
        let byTier = try SpendReport(data, by: [.tag("tier")])
        #expect(byTier.totalUSD == (try dollars("0.03")))
        #expect(byTier.groups.first { $0.values == ["gold"] }?.usd == (try dollars("0.01")))
    }

    @Test("ISO weeks start on Monday and months on the 1st, in UTC")
    func weekAndMonthBoundaries() throws {
        // Sunday 2026-11-29 23:59:59 is ISO week 48; Monday 2026-11-30 00:00:00 is week 49; 2026-12-01 00:00 is
        // December and still week 49. 2027-01-01 (a Friday) belongs to ISO week 2026-W53.
        let records = [
            try modelCall("a", at: "2026-11-29T23:59:59Z", input: 1000, leaf: 1),
            try modelCall("b", at: "2026-11-30T00:00:00Z", input: 2000, leaf: 2),
            try modelCall("c", at: "2026-12-01T00:00:00Z", input: 3000, leaf: 3),
            try modelCall("d", at: "2027-01-01T08:00:00Z", input: 4000, leaf: 4),
        ]
        let data = try dataset(records)
        let weekly = try SpendReport(data, by: [.team], period: .week)
        let weeks = weekly.groups.filter { $0.values == ["growth"] }
        #expect(weeks.map(\.period) == ["2026-W48", "2026-W49", "2026-W53"])
        #expect(weeks.map(\.usd) == [try dollars("0.01"), try dollars("0.05"), try dollars("0.04")])
        let monthly = try SpendReport(data, by: [.team], period: .month)
        let months = monthly.groups.filter { $0.values == ["growth"] }
        #expect(months.map(\.period) == ["2026-11", "2026-12", "2027-01"])
        #expect(months.map(\.usd) == [try dollars("0.03"), try dollars("0.03"), try dollars("0.04")])
        // Every period shows its unknown row.
        #expect(monthly.groups.filter { $0.values == ["(unknown)"] }.count == 3)
    }

    @Test("tasks: retries and fan-out children of one root are one task")
    func tasksWithRetriesAndFanOut() throws {
        let records = [
            try modelCall("a1", at: "2026-11-02T10:00:00Z", input: 1000, leaf: 10, attempt: 1),
            try modelCall("a2", at: "2026-11-02T10:01:00Z", input: 1000, leaf: 10, attempt: 2),
            try modelCall("c1", at: "2026-11-02T10:02:00Z", input: 1000, leaf: 11, parent: 10, root: 10),
            try modelCall("c2", at: "2026-11-02T10:03:00Z", input: 1000, leaf: 12, parent: 10, root: 10),
            try modelCall("z", at: "2026-11-02T11:00:00Z", input: 1000, leaf: 20),
        ]
        let report = try SpendReport(try dataset(records), by: [.feature])
        let search = try #require(report.groups.first { $0.values == ["search"] })
        #expect(search.calls == 5)
        #expect(search.tasks == 2)
        #expect(search.usd == (try dollars("0.05")))
    }

    @Test("--top folds the rest into (other) and never folds (unknown)")
    func topFolds() throws {
        let data = try dataset(try fourCalls())
        let report = try SpendReport(data, by: [.team], top: 1)
        #expect(report.groups.map(\.values) == [["research"], ["(other)"], ["(unknown)"]])
        #expect(report.groups[1].usd == (try dollars("0.031")))
        #expect(report.totalUSD == (try dollars("0.251")))
    }

    @Test("CSV has the dimensions, the period, then the sums, and its money adds up to the total")
    func csvColumns() throws {
        let data = try dataset(try fourCalls())
        let csv = try SpendReport(data, by: [.team, .project], period: .month).render(.csv)
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(
            lines.first
                == "team,project,period,spend_usd,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,"
                + "reasoning_tokens,calls,tasks"
        )
        #expect(lines[1] == "research,lab,2026-11,0.200000000,0,0,0,1000,0,1,1")
        #expect(lines.count == 5)
    }

    @Test("an unknown dimension is refused with its name")
    func unknownDimension() {
        #expect(
            throws: ReportError(
                field: "dimension",
                value: "colour",
                reason:
                    "expected one of user_id, feature, team, project, task_type, tool, prompt_version, agent, model, provider, api_key_id, service_tier, attribution_class or tags.KEY"
            )
        ) {
            try ReportDimension.list(parsing: "team,colour")
        }
    }
}

@Suite("report --by: the unknown row")
struct UnknownRowTests {
    @Test("a dimension that is not a required field shows no empty (none) row")
    func noEmptyNoneRow() throws {
        let data = try dataset([try modelCall("a", at: "2026-11-02T10:00:00Z", input: 1000, leaf: 1)])
        let report = try SpendReport(data, by: [.attributionClass])
        #expect(report.groups.map(\.values) == [["direct"]])
    }
}

@Suite("report in code, as docs/reports.md shows it")
struct SpendReportSnippetTests {
    @Test("the docs' example prints the monthly report of an audit")
    func docsExample() throws {
        let configuration = AuditConfiguration(
            ledger: .records([try modelCall("a", at: "2026-11-02T10:00:00Z", input: 1000, leaf: 1)]),
            prices: try reportPrices()
        )
        // snippet: report-in-code
        let audit = try Auditor.attribute(configuration)  // the audit, keeping what it decided for every record
        let dataset = SpendDataset(audit)  // one row per record, one per cell of unrecorded spend
        let monthly = try SpendReport(dataset, by: [.team, .project], period: .month)
        print(monthly.render(.table))
        // end snippet
        #expect(monthly.groups.first?.values == ["growth", "assistant"])
        #expect(monthly.render(.table).contains("growth"))
    }
}
