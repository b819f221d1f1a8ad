import Testing

@testable import CostReports

/// How the dashboard's charts keep their series and its top lists their rows (docs/dashboard.md): each chart the
/// ``Dashboard/maxSeries`` (8) largest, `(unknown)` always among them, the rest folded into `(other)`; each top
/// list the 10 largest with spend. Ties go to the bytewise-first name.
@Suite("html: the charts' series and the top lists, kept and folded")
struct DashboardSeriesTests {
    /// Ids 1… are named `s01`, `s02`, …; id 0 is `(unknown)`.
    func label(_ id: Int32) -> String { id == 0 ? "(unknown)" : "s" + (id < 10 ? "0" : "") + String(id) }

    /// `count` named series, the n-th with n dollars on its one day, and `(unknown)` with $0.50 when asked.
    func sums(_ count: Int, unknown: Bool) -> [Int32: [Int128]] {
        var sums: [Int32: [Int128]] = [:]
        for id in 1...count { sums[Int32(id)] = [Int128(id) * 1_000_000_000_000_000_000] }
        if unknown { sums[0] = [500_000_000_000_000_000] }
        return sums
    }

    @Test("eight series are all drawn; nine or more keep the largest and fold the rest into (other)")
    func foldingAtTheLimit() {
        // Seven named and (unknown): 8 series, none folded.
        let eight = Dashboard.folded(sums(7, unknown: true), label: label)
        #expect(eight.map(\.name) == ["s07", "s06", "s05", "s04", "s03", "s02", "s01", "(unknown)"])
        // Eight named, no unknown: 8 series, none folded.
        #expect(Dashboard.folded(sums(8, unknown: false), label: label).count == 8)
        // Nine named and (unknown): the six largest, (unknown), and (other) holding s01-s03 ($6).
        let ten = Dashboard.folded(sums(9, unknown: true), label: label)
        #expect(ten.map(\.name) == ["s09", "s08", "s07", "s06", "s05", "s04", "(unknown)", "(other)"])
        #expect(ten.last?.values == [6])
        // Nine named, no unknown: the seven largest and (other) holding s01-s02 ($3).
        let nine = Dashboard.folded(sums(9, unknown: false), label: label)
        #expect(nine.map(\.name) == ["s09", "s08", "s07", "s06", "s05", "s04", "s03", "(other)"])
        #expect(nine.last?.values == [3])
    }

    @Test("a tie at the fold keeps the bytewise-first name")
    func tieAtTheFold() {
        // Eight named series of $1 each, no unknown, and s09 at $1 too: seven kept, bytewise first.
        var equal: [Int32: [Int128]] = [:]
        for id in 1...9 { equal[Int32(id)] = [1_000_000_000_000_000_000] }
        let series = Dashboard.folded(equal, label: label)
        #expect(series.map(\.name) == ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "(other)"])
        #expect(series.last?.values == [2])
    }

    @Test("the top list keeps the 10 largest with spend, ties bytewise, and leaves out $0")
    func topRows() {
        var totals: [Int32: Int128] = [0: 0]
        for id in 1...12 { totals[Int32(id)] = Int128(id / 2) * 1_000_000_000_000_000_000 }
        // s01 has $0 (12 / 2 ids: s01 $0, s02 and s03 $1, …, s12 $6).
        let rows = Dashboard.top(totals, total: 42_000_000_000_000_000_000, label: label)
        #expect(
            rows.map(\.name) == ["s12", "s10", "s11", "s08", "s09", "s06", "s07", "s04", "s05", "s02"]
        )
        let few = Dashboard.top([1: 0, 2: 5, 3: 5], total: 10, label: label)
        #expect(few.map(\.name) == ["s02", "s03"])
    }
}
