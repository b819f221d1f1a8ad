import Testing

@testable import CostReports

/// The dense slots the alert scans, the dashboard and the tools report keep their per-id sums in.
@Suite("dense id slots: numbered in the order first seen, by array below the limit, by dictionary beyond")
struct DenseIDSlotsTests {
    @Test("ids get slots 0, 1, 2… in first-seen order, new only once; ids past the limit and negative ones too")
    func firstSeenOrder() {
        var slots = DenseIDSlots(idLimit: 10)
        #expect(slots.slot(7) == (0, true))
        #expect(slots.slot(3) == (1, true))
        #expect(slots.slot(7) == (0, false))
        #expect(slots.slot(42) == (2, true))  // past the limit
        #expect(slots.slot(-5) == (3, true))  // a tag's negative id
        #expect(slots.slot(42) == (2, false))
        #expect(slots.slot(-5) == (3, false))
        #expect(slots.slot(3) == (1, false))
        #expect(slots.ids == [7, 3, 42, -5])
    }

    @Test("after removeAll every id is new again, numbered from 0, and the limit is kept")
    func removeAll() {
        var slots = DenseIDSlots(idLimit: 4)
        _ = slots.slot(2)
        _ = slots.slot(9)
        slots.removeAll()
        #expect(slots.ids.isEmpty)
        #expect(slots.idLimit == 4)
        #expect(slots.slot(9) == (0, true))
        #expect(slots.slot(2) == (1, true))
        #expect(slots.slot(2) == (1, false))
    }
}
