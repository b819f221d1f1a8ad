import Testing

@testable import CostReports

/// The active users of an hour as one bit per interned id: exact counts through growth and unions, ids beyond
/// the bits' limit counted as well.
@Suite("DistinctIDs: the distinct users a report counts, by their interned ids")
struct DistinctIDsTests {
    /// Whether each of `ids`, inserted in turn, was new.
    func news(_ set: inout DistinctIDs, _ ids: [Int32]) -> [Bool] { ids.map { set.insert($0) } }

    @Test("counts each id once, in any order, and id 0 (no user) not at all")
    func inserts() {
        var set = DistinctIDs()
        #expect(set.isEmpty)
        var inserted = 0
        // 1 … 5,000 forward, then backward (already there), then every third id again.
        for id in Int32(0)...5_000 where set.insert(id) { inserted += 1 }
        for id in (Int32(1)...5_000).reversed() where set.insert(id) { inserted += 1 }
        for id in stride(from: Int32(3), through: 5_000, by: 3) where set.insert(id) { inserted += 1 }
        #expect(inserted == 5_000)
        #expect(set.count == 5_000)
        #expect(!set.isEmpty)
        // The bits grow to a large id in one step; a word's neighbours stay apart.
        let grown = news(&set, [1_000_063, 1_000_064, 1_000_063])
        #expect(grown == [true, true, false])
        #expect(set.count == 5_002)
    }

    @Test("ids beyond the bits' limit, and negative ids, are counted as well")
    func overflow() {
        var set = DistinctIDs()
        let far = DistinctIDs.denseLimit
        let inserted = news(&set, [far, .max, -7, far, far - 1])
        #expect(inserted == [true, true, true, false, true])
        #expect(set.count == 4)
    }

    @Test("a union counts an id held by both sets once, whichever set has more bits")
    func union() {
        // Users 1 … 600 and users 401 … 1,000 (and one far id in each, the same): 1,001 distinct ids.
        var a = DistinctIDs()
        var b = DistinctIDs()
        for user in Int32(1)...600 { a.insert(user) }
        for user in Int32(401)...1_000 { b.insert(user) }
        a.insert(DistinctIDs.denseLimit + 5)
        b.insert(DistinctIDs.denseLimit + 5)
        var c = a
        a.formUnion(b)
        #expect(a.count == 1_001)
        // The smaller set taking the larger one's bits.
        var small = DistinctIDs()
        small.insert(3)
        small.formUnion(b)
        #expect(small.count == 602)
        c.formUnion(DistinctIDs())
        #expect(c.count == 601)
        // Unions add up the same in either order.
        b.formUnion(c)
        #expect(b.count == a.count)
    }
}
