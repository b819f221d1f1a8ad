/// A set of distinct interned ids (the active users of an hour), as one bit per id: the dataset's ids are small
/// dense integers (below ``SpendDataset/idLimit``), so an insertion is one bit tested and set at a known place
/// instead of a hashed probe, and a union is a word-by-word OR. The bits grow to the largest id inserted; an id
/// beyond ``denseLimit`` (none are expected) is kept in a ``DistinctSet`` instead. Only the count and unions are
/// read.
struct DistinctIDs: Sendable {
    /// Bit `id % 64` of word `id / 64`: whether `id` is in the set.
    private var words: [UInt64] = []
    /// Ids at or beyond ``denseLimit``, or negative.
    private var overflow = DistinctSet()
    /// The number of ids in ``words``.
    private var denseCount = 0

    /// Ids from this on are hashed rather than given a bit: a set's bits take at most 2 MiB.
    static let denseLimit: Int32 = 1 << 24

    init() {}

    /// The number of ids.
    var count: Int { denseCount + overflow.count }

    var isEmpty: Bool { count == 0 }

    /// Inserts an id other than 0 (0 is no key and is not inserted). Returns whether it was new.
    @discardableResult
    mutating func insert(_ id: Int32) -> Bool {
        guard id > 0, id < Self.denseLimit else { return id == 0 ? false : overflow.insert(id) }
        let word = Int(id) >> 6
        let bit = UInt64(1) << UInt64(id & 63)
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word + 1 - words.count)) }
        guard words[word] & bit == 0 else { return false }
        words[word] |= bit
        denseCount += 1
        return true
    }

    /// Inserts every id of `other`.
    mutating func formUnion(_ other: DistinctIDs) {
        if other.words.count > words.count {
            words.append(contentsOf: repeatElement(0, count: other.words.count - words.count))
        }
        for index in other.words.indices where other.words[index] != 0 {
            denseCount += (other.words[index] & ~words[index]).nonzeroBitCount
            words[index] |= other.words[index]
        }
        overflow.formUnion(other.overflow)
    }
}
