import Attribution
import CostAudit
import CostLedger
import Testing

@testable import CostReports

/// The shortcuts of `report`'s grouping: the period start kept for the last day (`ReportPeriod.Starts`) and the
/// slots of the group keys seen lately (`RecentSlots`). Each must give what the full computation gives, for rows
/// in any order and for more groups than the shortcut remembers.
@Suite("report grouping: the kept period start and the recent group slots")
struct ReportGroupingTests {
    @Test("the kept start is the period's start for times in any order, across days, weeks, months and years")
    func keptStartsMatch() throws {
        let day = ReportPeriod.nanosecondsPerDay
        let base = try instant("2026-12-31T23:59:59.999999999Z").nanosecondsSinceEpoch
        var times: [Int64] = [base, base + 1, base - day, base + 1, base, 0, -1, -day, -day - 1, base + 31 * day]
        // A walk back and forth across the year's end, an hour and a few seconds at a time.
        var time = base - 40 * day
        for step in 0..<2_000 {
            time += (step % 7 == 3 ? -1 : 1) * (3_600_000_000_000 + Int64(step) * 1_000_000_007)
            times.append(time)
        }
        for period in ReportPeriod.allCases {
            var starts = ReportPeriod.Starts(period)
            for time in times {
                #expect(starts.start(nanoseconds: time) == period.start(nanoseconds: time), "\(period) at \(time)")
            }
        }
    }

    @Test("a remembered key gives its slot; a key that shares its entry replaces it; keys differ by every part")
    func recentSlots() {
        var recent = RecentSlots()
        let first = GroupKey(low: 1, high: 2, rest: [], period: 0)
        #expect(recent.slot(of: first) == nil)
        recent.remember(first, 7)
        #expect(recent.slot(of: first) == 7)
        // Keys that differ from the first in one part only are other keys.
        for other in [
            GroupKey(low: 1, high: 2, rest: [5], period: 0), GroupKey(low: 1, high: 3, rest: [], period: 0),
            GroupKey(low: 0, high: 2, rest: [], period: 0), GroupKey(low: 1, high: 2, rest: [], period: 86_400),
        ] {
            #expect(recent.slot(of: other) == nil)
        }
        // Among 65 keys two share an entry: the one remembered last keeps it, the other is forgotten.
        var remembered: [(GroupKey, Int)] = []
        for n in 0..<65 {
            let key = GroupKey(low: UInt64(n) << 32, high: 9, rest: [], period: 0)
            recent.remember(key, n)
            remembered.append((key, n))
        }
        let found = remembered.filter { recent.slot(of: $0.0) == $0.1 }.count
        #expect(found < 65)
        #expect(recent.slot(of: remembered[64].0) == 64)
        #expect(remembered.allSatisfy { recent.slot(of: $0.0) == nil || recent.slot(of: $0.0) == $0.1 })
    }

    @Test("300 users' rows interleaved over two months: every group's spend, calls and tasks are its own")
    func manyGroupsInterleaved() throws {
        // Round r, user u: one call of 1,000 × (u + 1) input tokens ($0.01 × (u + 1)), its own task; rounds 0-2
        // in November, 3-4 in December. More groups than the recent slots hold, their rows in turn.
        let users = 300
        var records: [CostRecord] = []
        var leaf: UInt64 = 0
        for round in 0..<5 {
            let day = round < 3 ? "2026-11-1\(round)" : "2026-12-0\(round)"
            for user in 0..<users {
                leaf += 1
                records.append(
                    try modelCall(
                        "r\(leaf)",
                        at: "\(day)T10:00:00Z",
                        input: 1000 * Int64(user + 1),
                        attribution: business(user: "u\(user)"),
                        leaf: leaf
                    )
                )
            }
        }
        let report = try SpendReport(try dataset(records), by: [.userID], period: .month)
        for (month, rounds) in [("2026-11", 3), ("2026-12", 2)] {
            let groups = report.groups.filter { $0.period == month && $0.values != ["(unknown)"] }
            #expect(groups.count == users)
            for group in groups {
                let user = try #require(Int(group.values[0].dropFirst()))
                #expect(group.usd == Money(attodollars: Int128(rounds * (user + 1)) * 10_000_000_000_000_000))
                #expect(group.calls == rounds)
                #expect(group.tasks == rounds)
            }
        }
    }
}
