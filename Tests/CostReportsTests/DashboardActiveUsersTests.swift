import Attribution
import CostLedger
import Testing

@testable import CostReports

/// The page's cost per active user by hour (docs/dashboard.md): recorded spend ÷ the users with spend in the
/// hour, against the same hour on the 7 days before (median, lowest, highest of the days with active users).
@Suite("html: cost per active user by hour, and its band")
struct DashboardActiveUsersTests {
    /// At 14:xx on 23-29 Nov, `n` users each spend $0.01 × (day − 22) (1,000 mid-1 tokens per cent): 1 to 7
    /// cents per active user, so the band's median is 4 cents, its low 1 and its high 7. On 30 Nov at 14:xx,
    /// three users spend $0.02, $0.04 and $0.06 ($0.12 over 3 users: 4 cents each), and two users have only
    /// calls that cost $0 (no tokens).
    func records() throws -> [CostRecord] {
        var records: [CostRecord] = []
        for day in 23...29 {
            for user in 1...(day % 3 + 1) {
                records.append(
                    try modelCall(
                        "b\(day)-\(user)",
                        at: "2026-11-\(day)T14:\(10 + user):00Z",
                        input: Int64(1_000 * (day - 22)),
                        attribution: business(user: "u\(user)")
                    )
                )
            }
        }
        for (user, cents) in [("u1", 2), ("u2", 4), ("u3", 6), ("z1", 0), ("z2", 0)] {
            records.append(
                try modelCall(
                    "n-\(user)",
                    at: "2026-11-30T14:20:00Z",
                    input: Int64(1_000 * cents),
                    attribution: business(user: user)
                )
            )
        }
        // A $0 call by a user who also spends in the hour changes nothing.
        records.append(try modelCall("n-u1-zero", at: "2026-11-30T14:40:00Z", attribution: business(user: "u1")))
        return records
    }

    @Test("users whose calls in the hour cost $0 are not active users; the band spans the previous 7 days")
    func activeUsersHaveSpend() throws {
        let page = Dashboard(try dataset(try records()), now: try instant("2026-12-01T00:00:00Z"))
        let point = try #require(page.hours.first { $0.label == "2026-11-30T14" })
        #expect(point.activeUsers == 3)
        #expect(abs(try #require(point.value) - 0.04) < 1e-12)
        #expect(abs(try #require(point.median) - 0.04) < 1e-12)
        #expect(abs(try #require(point.low) - 0.01) < 1e-12)
        #expect(abs(try #require(point.high) - 0.07) < 1e-12)
        // An hour with only $0 calls has no active user and no value.
        let quiet = Dashboard(
            try dataset([try modelCall("q", at: "2026-11-30T09:00:00Z", attribution: business(user: "u1"))]),
            now: try instant("2026-12-01T00:00:00Z")
        )
        let nine = try #require(quiet.hours.first { $0.label == "2026-11-30T09" })
        #expect(nine.activeUsers == 0)
        #expect(nine.value == nil)
    }
}
