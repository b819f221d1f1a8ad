/// A set of distinct interned ids (the active users of an hour), as one bit per id: the dataset's ids are small
/// dense integers (below ``SpendDataset/idLimit``), so an insertion is one bit tested and set at a known place
/// instead of a hashed probe, and a union is a word-by-word OR. The bits are kept in pages of ``pageIDs`` ids,
/// made when one of their ids is first inserted, so that a set of a few ids among many (a quiet hour of a large
/// ledger) takes a page per id at most rather than a bit for every id below its largest. A negative id (none are
/// expected) is kept in a ``DistinctSet``. Only the count and unions are read.
///
/// A scan that fills many sets at once (an hour's each, rows at random times) inserts with ``insertLater(_:)``:
/// the ids are queued and placed ``queueLimit`` at a time, while the set's pages are in the cache, instead of
/// each insertion waiting for a page that the other sets' insertions pushed out of the cache.
struct DistinctIDs: Sendable {
    /// Per page (`id / pageIDs`): its place in ``words`` / ``pageWords`` + 1; 0 while none of its ids is in.
    private var pageOf: [Int32] = []
    /// The pages' bits, one page after another: bit `id % 64` of word `id % pageIDs / 64` of the id's page.
    private var words: [UInt64] = []
    /// Negative ids.
    private var overflow = DistinctSet()
    /// The number of ids in ``words``.
    private var denseCount = 0
    /// Ids inserted by ``insertLater(_:)`` and not yet placed in the bits (repeats allowed).
    private var queued: [Int32] = []

    /// Ids a page holds (512 bytes of bits).
    static let pageIDs = 4_096
    static let pageWords = pageIDs / 64
    /// Ids queued by ``insertLater(_:)`` before they are placed (4 KB).
    static let queueLimit = 1_024

    init() {}

    /// The number of ids.
    var count: Int {
        guard queued.isEmpty else {
            var copy = self
            copy.settle()
            return copy.count
        }
        return denseCount + overflow.count
    }

    var isEmpty: Bool { count == 0 }

    /// The bytes the pages of bits take.
    var bitBytes: Int { words.count * 8 }

    /// Inserts an id other than 0 (0 is no key and is not inserted). Returns whether it was new.
    @discardableResult
    mutating func insert(_ id: Int32) -> Bool {
        settle()
        return place(id)
    }

    /// Inserts an id other than 0, as ``insert(_:)`` does, but maybe later: queued, and placed with the ids queued
    /// after it once there are ``queueLimit`` of them or when the set is read.
    mutating func insertLater(_ id: Int32) {
        queued.append(id)
        if queued.count >= Self.queueLimit { settle() }
    }

    /// Places the queued ids in the bits.
    mutating func settle() {
        guard !queued.isEmpty else { return }
        for id in queued { place(id) }
        queued.removeAll(keepingCapacity: true)
    }

    /// Places `id` in the bits; returns whether it was new.
    @discardableResult
    private mutating func place(_ id: Int32) -> Bool {
        guard id > 0 else { return id == 0 ? false : overflow.insert(id) }
        let word = wordIndex(page: Int(id) / Self.pageIDs) + Int(id) % Self.pageIDs / 64
        let bit = UInt64(1) << UInt64(id & 63)
        guard words[word] & bit == 0 else { return false }
        words[word] |= bit
        denseCount += 1
        return true
    }

    /// Where the words of page `page` start, the page made when new.
    private mutating func wordIndex(page: Int) -> Int {
        if page >= pageOf.count { pageOf.append(contentsOf: repeatElement(0, count: page + 1 - pageOf.count)) }
        if pageOf[page] == 0 {
            words.append(contentsOf: repeatElement(0, count: Self.pageWords))
            pageOf[page] = Int32(truncatingIfNeeded: words.count / Self.pageWords)
        }
        return (Int(pageOf[page]) - 1) * Self.pageWords
    }

    /// Inserts every id of `other`.
    mutating func formUnion(_ other: DistinctIDs) {
        settle()
        for id in other.queued { place(id) }
        for (page, place) in other.pageOf.enumerated() where place != 0 {
            let from = (Int(place) - 1) * Self.pageWords
            let to = wordIndex(page: page)
            for offset in 0..<Self.pageWords {
                let bits = other.words[from + offset]
                denseCount += (bits & ~words[to + offset]).nonzeroBitCount
                words[to + offset] |= bits
            }
        }
        overflow.formUnion(other.overflow)
    }
}
