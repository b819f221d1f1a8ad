/// A set of distinct keys the reports count (the tasks or the active users of a group), as an open-addressing
/// hash table probed linearly. The reports insert a key for most rows; `Set` hashes each insertion with a
/// seeded SipHash, this table with one multiply-xorshift mix of the key and a seed drawn once per process (so a
/// ledger cannot choose ids that collide). Only the count and unions are read: the table's order is never
/// shown.
struct DistinctSet: Sendable {
    /// Per slot: the key's two words; (0, 0) marks an empty slot.
    private var first: [UInt64] = []
    private var second: [UInt32] = []
    /// The number of keys.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// Drawn once per process.
    private static let seed = UInt64.random(in: .min ... .max)

    init() {}

    /// Inserts a task; ``TaskID/none`` is no key and is not inserted. Returns whether it was new.
    @discardableResult
    mutating func insert(_ task: TaskID) -> Bool {
        insert(task.lineage, task.named)
    }

    /// Inserts an id other than 0 (0 is no key and is not inserted). Returns whether it was new.
    @discardableResult
    mutating func insert(_ id: Int32) -> Bool {
        insert(UInt64(UInt32(bitPattern: id)), 0)
    }

    /// Inserts every key of `other`.
    mutating func formUnion(_ other: DistinctSet) {
        for index in other.first.indices where other.first[index] != 0 || other.second[index] != 0 {
            _ = insert(other.first[index], other.second[index])
        }
    }

    private mutating func insert(_ a: UInt64, _ b: UInt32) -> Bool {
        guard a != 0 || b != 0 else { return false }
        // At most three quarters full: linear probing stays short with a well-mixed key.
        if (count + 1) * 4 > first.count * 3 { grow() }
        let mask = first.count - 1
        var index = Self.slot(a, b) & mask
        while true {
            let (x, y) = (first[index], second[index])
            if x == a, y == b { return false }
            if x == 0, y == 0 {
                first[index] = a
                second[index] = b
                count += 1
                return true
            }
            index = (index + 1) & mask
        }
    }

    /// Doubles the table (at least 16 slots) and inserts the keys again.
    private mutating func grow() {
        let old = (first, second)
        let capacity = max(16, first.count * 2)
        first = [UInt64](repeating: 0, count: capacity)
        second = [UInt32](repeating: 0, count: capacity)
        count = 0
        for index in old.0.indices where old.0[index] != 0 || old.1[index] != 0 {
            _ = insert(old.0[index], old.1[index])
        }
    }

    /// The key's home slot, before masking: the finalizer of SplitMix64 over the key's words and the seed.
    private static func slot(_ a: UInt64, _ b: UInt32) -> Int {
        var x = a ^ seed ^ (UInt64(b) &* 0x9E37_79B9_7F4A_7C15)
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return Int(truncatingIfNeeded: x)
    }
}
