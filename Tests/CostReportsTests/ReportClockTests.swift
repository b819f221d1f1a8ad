import Attribution
import CostLedger
import Testing

@testable import CostReports

/// A report made at an instant near the ends of the nanosecond clock (1677, 2262) would count its windows past
/// them: the reports that throw refuse such an instant by name, and the dashboard, which does not throw, draws
/// the page of the nearest instant it can.
@Suite("ReportClock: the instants a report can be made at")
struct ReportClockTests {
    let early = UTCTimestamp(nanosecondsSinceEpoch: .min)
    let late = UTCTimestamp(nanosecondsSinceEpoch: .max)

    func data() throws -> SpendDataset {
        try dataset([try modelCall("a", at: "2026-11-24T10:00:00Z", input: 1000, leaf: 1)])
    }

    @Test("the range's ends: 1900-01-01T00:00:00Z is in, 2200-01-01T00:00:00Z is not")
    func ends() throws {
        #expect(ReportClock.supported.lowerBound == (try UTCTimestamp(rfc3339: "1900-01-01T00:00:00Z")))
        #expect(ReportClock.supported.upperBound == (try UTCTimestamp(rfc3339: "2200-01-01T00:00:00Z")))
        #expect(throws: Never.self) { try ReportClock.check(ReportClock.supported.lowerBound, field: "now") }
        #expect(throws: ReportError.self) { try ReportClock.check(ReportClock.supported.upperBound, field: "now") }
    }

    @Test("alerts, the top users and a forecast refuse an instant outside, naming the field and the instant")
    func reportsRefuse() throws {
        let data = try data()
        for instant in [early, late] {
            let expected = { (field: String) in
                ReportError(
                    field: field,
                    value: instant.description,
                    reason: "is outside the instants a report can be made at: from 1900-01-01T00:00:00.000Z "
                        + "to before 2200-01-01T00:00:00.000Z"
                )
            }
            #expect(throws: expected("now")) { try AlertReport(data, now: instant) }
            #expect(throws: expected("now")) { try TopUsersReport(data, now: instant) }
            #expect(throws: expected("asOf")) {
                try MonthForecast(data, month: try StatementMonth(parsing: "2026-11"), asOf: instant)
            }
        }
    }

    @Test("the dashboard at an instant outside is the page of the nearest instant inside")
    func dashboardClamps() throws {
        let data = try data()
        let first = Dashboard(data, now: early, detectors: AlertDetectors.standard)
        #expect(first.end == ReportClock.supported.lowerBound)
        #expect(first.html() == Dashboard(data, now: ReportClock.supported.lowerBound).html())
        let last = Dashboard(data, now: late)
        #expect(last.end == (try UTCTimestamp(rfc3339: "2199-12-31T23:00:00Z")))
        // Its 30 days and 12 weeks before 2200 hold no row: the page is drawn without spend.
        #expect(last.windowUSD == .zero)
    }
}
