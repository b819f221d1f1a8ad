import Testing

@testable import CostReports

/// The active users of an hour as one bit per interned id, in pages made on demand: exact counts through growth
/// and unions, and memory that follows the pages used, not the largest id.
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

    @Test("large ids take a page of bits each, not bits for every id below them; negative ids are counted too")
    func sparse() {
        var set = DistinctIDs()
        // Ids far apart, each in a page of its own, the largest id an Int32 holds among them.
        let far: [Int32] = [.max, 1 << 30, 123_456_789, 4_095, 4_096, -7]
        let inserted = news(&set, far + far)
        #expect(inserted == far.map { _ in true } + far.map { _ in false })
        #expect(set.count == 6)
        // Five pages of 512 bytes (4,095 and 4,096 are in two), whatever the largest id.
        #expect(set.bitBytes == 5 * 512)
    }

    @Test("a union counts an id held by both sets once, whichever set has more bits")
    func union() {
        // Users 1 … 600 and users 401 … 1,000 (and the same far id and negative id in each): 1,002 distinct ids.
        var a = DistinctIDs()
        var b = DistinctIDs()
        for user in Int32(1)...600 { a.insert(user) }
        for user in Int32(401)...1_000 { b.insert(user) }
        a.insert(1 << 28)
        b.insert(1 << 28)
        a.insert(-3)
        b.insert(-3)
        var c = a
        a.formUnion(b)
        #expect(a.count == 1_002)
        // The smaller set taking the larger one's bits.
        var small = DistinctIDs()
        small.insert(3)
        small.formUnion(b)
        #expect(small.count == 603)
        c.formUnion(DistinctIDs())
        #expect(c.count == 602)
        // Unions add up the same in either order.
        b.formUnion(c)
        #expect(b.count == a.count)
    }

    @Test("ids inserted later are counted as if inserted at once: through the queue's limit, unions and copies")
    func later() {
        // Ids with repeats, in an order of their own (a multiplicative walk), and a negative one; more than the
        // queue holds, so that part of them is placed on the way and the rest when the set is read.
        let count = DistinctIDs.queueLimit * 3 + 17
        let ids: [Int32] = (0..<count).map { Int32(($0 * 7_919) % 5_003) } + [-9, -9]
        var now = DistinctIDs()
        var later = DistinctIDs()
        for id in ids {
            now.insert(id)
            later.insertLater(id)
        }
        // A copy read before the queue is placed, and the set itself afterwards.
        let copy = later
        #expect(copy.count == now.count)
        #expect(now.count == Set(ids.filter { $0 != 0 }).count)
        later.settle()
        #expect(later.count == now.count)
        // Queued ids of either set reach a union; an id queued in one and placed in the other counts once.
        var a = DistinctIDs()
        var b = DistinctIDs()
        b.insert(1_000)
        for id in Int32(1)...600 { a.insertLater(id) }
        for id in Int32(401)...1_000 { b.insertLater(id) }
        a.formUnion(b)
        #expect(a.count == 1_000)
        // An insertion after queued ones still says whether the id was new.
        var c = DistinctIDs()
        c.insertLater(5)
        #expect(news(&c, [5, 6]) == [false, true])
        #expect(c.count == 2)
    }
}
