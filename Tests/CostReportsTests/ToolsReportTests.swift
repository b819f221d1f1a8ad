import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

@Suite("tools: each tool's share of the week and its week-over-week shift")
struct ToolsReportTests {
    /// mid-1 input at $10 per million: 1,000 tokens are $0.01.
    /// - 2026-W48 (Mon 23 Nov to Sun 29 Nov): web_search $0.02, fetch $0.01, no tool $0.07; total $0.10, shares
    ///   20%, 10%, 70%.
    /// - 2026-W49 (Mon 30 Nov to Sun 6 Dec, across the month boundary): web_search $0.01 on 30 Nov and $0.05 on
    ///   2 Dec, fetch $0.01 on 1 Dec, no tool $0.03 on 3 Dec, and $0.10 on the bill for 4 Dec that no record
    ///   carries (10,000 input on key_z): total $0.20. web_search 30% (+10 points), fetch 5% (−5), (none)
    ///   $0.13 = 65% (−5).
    /// - 2026-W50: fetch $0.01 on 7 Dec only: fetch 100% (+95), (none) 0% (−65), web_search 0% (−30).
    /// - 2026-W52 (after a week without spend): fetch $0.01 on 21 Dec, 100%, no shift.
    func weeks() throws -> SpendDataset {
        func tool(_ name: String) -> [AttributionField: String] { business(extra: [.tool: name]) }
        let records = [
            try modelCall("a", at: "2026-11-24T10:00:00Z", input: 2000, attribution: tool("web_search"), leaf: 1),
            try modelCall("b", at: "2026-11-25T10:00:00Z", input: 1000, attribution: tool("fetch"), leaf: 2),
            try modelCall("c", at: "2026-11-26T10:00:00Z", input: 7000, leaf: 3),
            try modelCall("d", at: "2026-11-30T00:00:00Z", input: 1000, attribution: tool("web_search"), leaf: 4),
            try modelCall("e", at: "2026-12-02T10:00:00Z", input: 5000, attribution: tool("web_search"), leaf: 5),
            try modelCall("f", at: "2026-12-01T10:00:00Z", input: 1000, attribution: tool("fetch"), leaf: 6),
            try modelCall("g", at: "2026-12-03T10:00:00Z", input: 3000, leaf: 7),
            try modelCall("h", at: "2026-12-07T10:00:00Z", input: 1000, attribution: tool("fetch"), leaf: 8),
            try modelCall("i", at: "2026-12-21T10:00:00Z", input: 1000, attribution: tool("fetch"), leaf: 9),
        ]
        let usage = try reportUsageExport(day: "2026-12-04", [("key_z", "mid-1", 10_000, 0)])
        return try dataset(records, usage: [usage])
    }

    func rows(_ report: ToolsReport, week: String) -> [String] {
        report.rows.filter { $0.week == week }.map { row in
            [
                row.tool, row.usd.formatted(decimals: 2), row.sharePercent(decimals: 2) ?? "-",
                row.previousSharePercent(decimals: 2) ?? "-", row.shiftPoints(decimals: 2) ?? "-",
            ].joined(separator: " ")
        }
    }

    @Test("a tool's share shifts between two ISO weeks across a month boundary, largest shift first")
    func shiftAcrossMonthBoundary() throws {
        let report = ToolsReport(try weeks())
        #expect(report.weeks.map(\.week) == ["2026-W48", "2026-W49", "2026-W50", "2026-W52"])
        #expect(
            rows(report, week: "2026-W49") == [
                "web_search 0.06 30.00 20.00 10.00",
                // Two shifts of 5 points: the higher spend first.
                "(none) 0.13 65.00 70.00 -5.00",
                "fetch 0.01 5.00 10.00 -5.00",
            ]
        )
        // The first week has no week before: no shift, highest spend first.
        #expect(
            rows(report, week: "2026-W48") == [
                "(none) 0.07 70.00 - -", "web_search 0.02 20.00 - -", "fetch 0.01 10.00 - -",
            ]
        )
    }

    @Test("a tool gone the next week keeps a row with a zero share and its whole drop; a week after a gap has no shift")
    func goneAndGap() throws {
        let report = ToolsReport(try weeks())
        #expect(
            rows(report, week: "2026-W50") == [
                "fetch 0.01 100.00 5.00 95.00", "(none) 0.00 0.00 65.00 -65.00", "web_search 0.00 0.00 30.00 -30.00",
            ]
        )
        #expect(rows(report, week: "2026-W52") == ["fetch 0.01 100.00 - -"])
        #expect(report.weeks.map(\.hasPreviousWeek) == [false, true, true, false])
    }

    @Test("tools of equal shift and spend are listed bytewise by name")
    func equalShiftsByName() throws {
        // Week 48: no tool, $0.02. Week 49: "zeta", "alpha" and "mid" $0.01 each, no tool $0.01: each tool new at
        // 25%, +25 points, $0.01. Largest shift first: (none) (−75 points), then alpha, mid, zeta.
        func tool(_ name: String) -> [AttributionField: String] { business(extra: [.tool: name]) }
        let records = [
            try modelCall("a", at: "2026-11-24T10:00:00Z", input: 2000, leaf: 1),
            try modelCall("b", at: "2026-11-30T10:00:00Z", input: 1000, attribution: tool("zeta"), leaf: 2),
            try modelCall("c", at: "2026-11-30T11:00:00Z", input: 1000, attribution: tool("alpha"), leaf: 3),
            try modelCall("d", at: "2026-11-30T12:00:00Z", input: 1000, attribution: tool("mid"), leaf: 4),
            try modelCall("e", at: "2026-11-30T13:00:00Z", input: 1000, leaf: 5),
        ]
        #expect(
            rows(ToolsReport(try dataset(records)), week: "2026-W49") == [
                "(none) 0.01 25.00 100.00 -75.00", "alpha 0.01 25.00 0.00 25.00", "mid 0.01 25.00 0.00 25.00",
                "zeta 0.01 25.00 0.00 25.00",
            ]
        )
    }

    @Test("the denominator is the week's reconciled spend: unrecorded spend falls in its week, in (none)")
    func unrecordedInItsWeek() throws {
        let data = try weeks()
        let report = ToolsReport(data)
        let week49 = try #require(report.weeks.first { $0.week == "2026-W49" })
        #expect(week49.usd == (try dollars("0.20")))
        #expect(week49.unrecordedUSD == (try dollars("0.10")))
        #expect(report.totalUSD == data.report.classifiedUSD)
        #expect(report.weeks.reduce(Money.zero) { $0 + $1.usd } == report.totalUSD)
        for week in report.weeks {
            let sum = report.rows.filter { $0.week == week.week }.reduce(Money.zero) { $0 + $1.usd }
            #expect(sum == week.usd, "week \(week.week)")
        }
    }

    @Test("shares are exact and rounded half-even: 1/8 is 12.5% → 12, 3/8 is 37.5% → 38")
    func halfEven() throws {
        // One week: tool a $0.01, tool b $0.03, no tool $0.04: 12.5%, 37.5%, 50%.
        let records = [
            try modelCall("a", at: "2026-11-24T10:00:00Z", input: 1000, attribution: business(extra: [.tool: "a"])),
            try modelCall("b", at: "2026-11-24T11:00:00Z", input: 3000, attribution: business(extra: [.tool: "b"])),
            try modelCall("c", at: "2026-11-24T12:00:00Z", input: 4000),
        ]
        let report = ToolsReport(try dataset(records))
        #expect(report.rows.map(\.tool) == ["(none)", "b", "a"])
        #expect(report.rows.map { $0.sharePercent(decimals: 0) } == ["50", "38", "12"])
        #expect(report.rows.map { $0.sharePercent(decimals: 1) } == ["50.0", "37.5", "12.5"])
    }

    @Test("shares and shifts stay exact where a product of two sums passes Int128")
    func wideAmounts() throws {
        // Week 48: tool a $2×10¹⁹, no tool $4×10¹⁹ (shares 1/3, 2/3); week 49 the other way round: a's share moves
        // by +1/3, 33.333333 points. Each share is amount ÷ total in attodollars, about 10³⁷ ÷ 10³⁷; comparing or
        // subtracting two of them multiplies such numbers (10⁷⁵), far past Int128 (1.7×10³⁸).
        let small = try dollars("20000000000000000000")
        let large = try dollars("40000000000000000000")
        func record(_ id: String, _ at: String, _ usd: Money, tool: String?) throws -> AttributedRecord {
            var fields = business()
            fields[.tool] = tool
            return AttributedRecord(
                record: try modelCall(id, at: at, input: 1, attribution: fields),
                usd: usd,
                attributionClass: .direct
            )
        }
        let records = [
            try record("a1", "2026-11-24T10:00:00Z", small, tool: "a"),
            try record("n1", "2026-11-24T11:00:00Z", large, tool: nil),
            try record("a2", "2026-12-01T10:00:00Z", large, tool: "a"),
            try record("n2", "2026-12-01T11:00:00Z", small, tool: nil),
        ]
        let report = ToolsReport(SpendDataset(report: try dataset([]).report, records: records))
        #expect(
            rows(report, week: "2026-W49").map { $0.split(separator: " ").dropFirst(2).joined(separator: " ") } == [
                "66.67 33.33 33.33", "33.33 66.67 -33.33",
            ]
        )
        let a = try #require(report.rows.first { $0.week == "2026-W49" && $0.tool == "a" })
        #expect(a.shiftPoints(decimals: 12) == "33.333333333333")
        #expect(a.sharePercent(decimals: 12) == "66.666666666667")
    }

    @Test("CSV and JSON: the week, the tool, the spend, the shares and the shift; null where there is none")
    func csvAndJSON() throws {
        let report = ToolsReport(try weeks())
        let csv = report.render(.csv).split(separator: "\n").map(String.init)
        #expect(csv.first == "week,tool,spend_usd,share_pct,previous_share_pct,shift_pp")
        #expect(csv[1] == "2026-W48,(none),0.070000000,70.000000,,")
        #expect(csv[4] == "2026-W49,web_search,0.060000000,30.000000,20.000000,10.000000")
        let json = report.render(.json)
        #expect(json.hasPrefix(#"{"total_usd":"0.320000000","weeks":[{"week":"2026-W48","total_usd":"0.100000000""#))
        #expect(
            json.contains(
                #"{"week":"2026-W49","tool":"fetch","spend_usd":"0.010000000","share_pct":5.000000,"previous_share_pct":10.000000,"shift_pp":-5.000000}"#
            )
        )
        #expect(json.contains(#""share_pct":70.000000,"previous_share_pct":null,"shift_pp":null"#))
    }
}
