import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

/// Every day from 2026-09-01 to 2026-11-20 at noon, `u1` spends $0.75 (75,000 `mid-1` input tokens at $10 per
/// million) and `u2` $0.25, both team growth, project assistant: $1.00 a day, no weekly pattern, no trend.
///
/// Evaluated at 2026-11-21T00:00Z, the last complete day is 2026-11-20: November's forecast is made as of
/// 2026-11-21. Spent so far: 20 days × $1.00 = $20.00; the 10 remaining days are forecast at $1.00 each, so the
/// projection is $30.00. A budget of $29.99 is passed ($0.01 at stake); $30.00 is not (equal is not above).
private func flatLedger() throws -> SpendDataset {
    var records: [CostRecord] = []
    var leaf: UInt64 = 0
    for month in 9...11 {
        for day in 1...(month == 11 ? 20 : (month == 9 ? 30 : 31)) {
            let date = "2026-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
            for (user, tokens) in [("u1", Int64(75_000)), ("u2", Int64(25_000))] {
                leaf += 1
                records.append(
                    try modelCall(
                        "\(user)-\(date)",
                        at: date + "T12:00:00Z",
                        input: tokens,
                        attribution: business(user: user),
                        leaf: leaf
                    )
                )
            }
        }
    }
    return try dataset(records)
}

private func budgets(_ usd: String) throws -> ForecastBudgets {
    try ForecastBudgets(dimensions: [.team, .project], budgets: [(["growth", "assistant"], try dollars(usd))])
}

@Suite("alerts: the budget detector, a group's month-end projection against its budget")
struct BudgetAlertTests {
    @Test("a projection just above the budget fires with the group key, the projection and the excess")
    func firesJustAbove() throws {
        let data = try flatLedger()
        let now = try instant("2026-11-21T00:00:00Z")
        let report = try AlertReport(data, detectors: [BudgetDetector(budgets: try budgets("29.99"))], now: now)
        #expect(report.alerts.count == 1)
        let alert = try #require(report.alerts.first)
        #expect(alert.detector == "budget")
        #expect(alert.subject == "team=growth,project=assistant")
        #expect(alert.since == "2026-11-20")
        #expect(alert.unit == .usd)
        #expect(alert.value(decimals: 2) == "30.00")
        #expect(alert.baseline(decimals: 2) == "29.99")
        #expect(alert.usdAtStake == (try dollars("0.01")))
        #expect(alert.volume == nil)
        // Spend passes $29.99 on the 30th ($30.00 by then).
        #expect(alert.text.contains("Budget of 2026-11 projected to run out on 2026-11-30."))
    }

    @Test("a projection equal to or just below the budget does not fire")
    func silentAtOrBelow() throws {
        let data = try flatLedger()
        let now = try instant("2026-11-21T00:00:00Z")
        for usd in ["30.00", "30.01"] {
            let report = try AlertReport(data, detectors: [BudgetDetector(budgets: try budgets(usd))], now: now)
            #expect(report.alerts.isEmpty, "budget \(usd)")
        }
    }

    /// Budget $24.00: $6.00 at stake. u1 spent $15.00 of the $20.00 so far (3/4): its share of the projection is
    /// $22.50, of the budget $18.00, of the excess $4.50; u2 $7.50, $6.00, $1.50. The cumulative spend passes $24
    /// on 2026-11-25 ($25.00). A budget of $15.00 was passed on 2026-11-16 ($16.00), before the forecast's cut.
    @Test("contributors are the group's spenders of the month, sharing the excess by their spend so far")
    func contributors() throws {
        let data = try flatLedger()
        let now = try instant("2026-11-21T00:00:00Z")
        let report = try AlertReport(data, detectors: [BudgetDetector(budgets: try budgets("24"))], now: now)
        let alert = try #require(report.alerts.first)
        #expect(alert.usdAtStake == (try dollars("6.00")))
        #expect(
            alert.contributors.map(\.label) == [
                "user_id=u1 feature=search model=openai/mid-1 prompt_version=(none)",
                "user_id=u2 feature=search model=openai/mid-1 prompt_version=(none)",
            ]
        )
        #expect(alert.contributors.map(\.usd) == [try dollars("22.50"), try dollars("7.50")])
        #expect(alert.contributors.map(\.expectedUSD) == [try dollars("18.00"), try dollars("6.00")])
        #expect(alert.contributors.map(\.excessUSD) == [try dollars("4.50"), try dollars("1.50")])
        #expect(alert.text.contains("projected to run out on 2026-11-25."))

        let passed = try AlertReport(data, detectors: [BudgetDetector(budgets: try budgets("15"))], now: now)
        #expect(passed.alerts.first?.text.contains("Budget of 2026-11 ran out on 2026-11-16.") == true)
    }

    @Test("minimum_usd_at_stake suppresses a small excess")
    func minimumAtStake() throws {
        let data = try flatLedger()
        let now = try instant("2026-11-21T00:00:00Z")
        var detector = BudgetDetector(budgets: try budgets("29.00"))
        try detector.setParameter("minimum_usd_at_stake", to: "1.00")
        #expect(try AlertReport(data, detectors: [detector], now: now).alerts.isEmpty, "$1.00 is not above $1.00")
        try detector.setParameter("minimum_usd_at_stake", to: "0.99")
        #expect(try AlertReport(data, detectors: [detector], now: now).alerts.count == 1)
        #expect(throws: ReportError.self) { try detector.setParameter("ratio", to: "2") }
    }

    @Test("without budgets the detector is silent and the audit window is the other detectors'")
    func silentWithoutBudgets() throws {
        let data = try flatLedger()
        let now = try instant("2026-11-21T00:00:00Z")
        #expect(AlertDetectors.names.contains("budget"))
        let standard = try AlertReport(data, now: now)
        #expect(standard.detectorNames.contains("budget"))
        #expect(!standard.alerts.contains { $0.detector == "budget" })
        #expect(try AlertReport(data, detectors: [BudgetDetector()], now: now).alerts.isEmpty)

        let five = AlertDetectors.standard.filter { $0.name != "budget" }
        let plain = AlertReport.auditWindow(detectors: AlertDetectors.standard, now: now, window: .day)
        #expect(plain.since == AlertReport.auditWindow(detectors: five, now: now, window: .day).since)
        // With budgets, the audit covers the forecast's history before the evaluated day.
        let budgeted = AlertDetectors.budgeted(AlertDetectors.standard, budgets: try budgets("24"))
        let window = AlertReport.auditWindow(detectors: budgeted, now: now, window: .day)
        let history = Int64(ForecastMethod.default.loadDays) * 86_400_000_000_000
        #expect(
            window.since
                == UTCTimestamp(
                    nanosecondsSinceEpoch: try instant("2026-11-20T00:00:00Z")
                        .nanosecondsSinceEpoch - history
                )
        )
        #expect(window.since < plain.since)
    }

    @Test("the evaluated month is the last complete day's: at midnight on the 1st, the month just ended")
    func lastCompleteDaysMonth() throws {
        // Evaluated at 2026-11-21T00:00 the month is November; the ledger ends on the 20th, so at 2026-12-01 the
        // complete November spent $20.00 (the days after the 20th have no rows): a $19.99 budget fires at $20.00.
        let data = try flatLedger()
        let report = try AlertReport(
            data,
            detectors: [BudgetDetector(budgets: try budgets("19.99"))],
            now: try instant("2026-12-01T00:00:00Z")
        )
        let alert = try #require(report.alerts.first)
        #expect(alert.since == "2026-11-30")
        #expect(alert.value(decimals: 2) == "20.00")
    }
}
