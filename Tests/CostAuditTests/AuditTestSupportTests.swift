import Attribution
import CostLedger
import Testing

@Suite("The audit tests' helpers")
struct AuditTestSupportTests {
    @Test("a typo'd price or time fails the test that wrote it, instead of becoming $0 or 1970")
    func typosFailLoudly() {
        withKnownIssue("a letter O for a zero") { _ = usd("2.0O") }
        withKnownIssue("a day that does not exist") { _ = timestamp("2026-11-31T10:00:00.000Z") }
        withKnownIssue("the helper that builds a record passes its time on") {
            _ = call("typo", ts: "2026-11-20 10:00")
        }
        // Well-formed text is read exactly, with no issue.
        #expect(usd("2.50") == Money(attodollars: 2_500_000_000_000_000_000))
        #expect(timestamp("1970-01-01T00:00:01.000Z").nanosecondsSinceEpoch == 1_000_000_000)
    }
}
