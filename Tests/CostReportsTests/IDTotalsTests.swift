import Testing

@testable import CostReports

/// The dashboard's per-user totals over its days: by the id's place below the limit, by dictionary beyond.
@Suite("IDTotals: a total per id, found by the id itself")
struct IDTotalsTests {
    @Test("totals add up per id; a zero amount makes an entry; ids past the limit and negative ones are kept")
    func totals() {
        var totals = IDTotals(idLimit: 10)
        totals.add(3, 100)
        totals.add(7, 0)
        totals.add(3, 20)
        totals.add(42, 5)  // past the limit
        totals.add(-4, 6)  // a negative id
        #expect(totals.totals == [3: 120, 7: 0, 42: 5, -4: 6])
        #expect(IDTotals(idLimit: 0).totals.isEmpty)
    }

    @Test("merged totals are those of every row, whichever share summed it")
    func merge() {
        var first = IDTotals(idLimit: 10)
        first.add(3, 1)
        first.add(42, 2)
        var second = IDTotals(idLimit: 10)
        second.add(3, 10)
        second.add(9, 0)
        second.add(42, 20)
        second.add(-1, 7)
        first.merge(second)
        #expect(first.totals == [3: 11, 9: 0, 42: 22, -1: 7])
    }
}
