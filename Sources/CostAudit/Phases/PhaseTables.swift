// Small tables the phases share: an integer-keyed map, an append-only list, exact sums by interned id.

/// A map from nonzero 64-bit keys to `Int32` values (leaf id → unit number, (provider, model) → model key, ...):
/// open addressing, keys mixed by a multiply. Faster than a `Dictionary` both for the hundreds of thousands of
/// units of a large ledger and for the small maps asked once per record.
package struct WordMap {
    private var keys: [UInt64]
    private var values: [Int32]
    private var used = 0

    /// A map sized for `expected` leaves at a load of at most 0.7 (any size, not a power of two: a slot is
    /// the high half of hash × capacity), so a large ledger's map is not twice what it holds.
    package init(expected: Int = 0) {
        self.init(capacity: max(1024, expected * 10 / 7 + 1))
    }

    /// An empty map of `capacity` slots (0: a placeholder that grows on its first insert).
    init(capacity: Int) {
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Int32](repeating: 0, count: capacity)
    }

    /// The same entries in a map sized for what it holds.
    func compacted() -> WordMap {
        var map = WordMap(capacity: max(16, used * 10 / 7 + 1))
        for i in keys.indices where keys[i] != 0 { _ = map.insert(keys[i], next: values[i]) }
        return map
    }

    /// Replaces every value `v` with `transform(v)`.
    mutating func remapValues(_ transform: (Int32) -> Int32) {
        for i in keys.indices where keys[i] != 0 { values[i] = transform(values[i]) }
    }

    private static func slot(_ leaf: UInt64, capacity: Int) -> Int {
        Int(truncatingIfNeeded: (leaf &* 0x9E37_79B9_7F4A_7C15).multipliedFullWidth(by: UInt64(capacity)).high)
    }

    /// The value of `leaf`, inserting `next` when it has none. Key 0 is never stored (not a valid leaf id).
    package mutating func insert(_ leaf: UInt64, next: Int32) -> Int32 {
        if (used + 1) * 10 > keys.count * 7 { grow() }
        let capacity = keys.count
        var i = Self.slot(leaf, capacity: capacity)
        while true {
            if keys[i] == leaf { return values[i] }
            if keys[i] == 0 {
                keys[i] = leaf
                values[i] = next
                used += 1
                return next
            }
            i += 1
            if i == capacity { i = 0 }
        }
    }

    package func find(_ leaf: UInt64) -> Int32? {
        guard leaf != 0, !keys.isEmpty else { return nil }
        let capacity = keys.count
        var i = Self.slot(leaf, capacity: capacity)
        while true {
            if keys[i] == leaf { return values[i] }
            if keys[i] == 0 { return nil }
            i += 1
            if i == capacity { i = 0 }
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let capacity = max(16, oldKeys.count * 2)
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Int32](repeating: 0, count: capacity)
        for (index, leaf) in oldKeys.enumerated() where leaf != 0 {
            var i = Self.slot(leaf, capacity: capacity)
            while keys[i] != 0 {
                i += 1
                if i == capacity { i = 0 }
            }
            keys[i] = leaf
            values[i] = oldValues[index]
        }
    }
}

/// An append-only list in chunks of 64 Ki elements: growing never copies what is stored, so a list's memory
/// stays what it holds plus at most one chunk.
struct ChunkedList<Element> {
    private var chunks: [[Element]] = []
    private static var chunkSize: Int { 1 << 16 }

    mutating func append(_ element: Element) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
    }

    func forEachElement(_ body: (Element) -> Void) {
        for chunk in chunks {
            for element in chunk { body(element) }
        }
    }
}

/// Exact sums by interned id (the top sources of unknown spend), indexed by a ``WordMap``: added to for every
/// unknown record, where `Dictionary`'s hashing cost more than the sum.
struct SumMap {
    private var index = WordMap()
    private var keys: [Int32] = []
    private var sums: [Int128] = []

    mutating func add(_ key: Int32, _ amount: Int128) {
        // The high bit keeps the map's key nonzero whatever the id.
        let next = Int32(truncatingIfNeeded: keys.count)
        let found = Int(index.insert(1 << 32 | UInt64(UInt32(bitPattern: key)), next: next))
        if found == keys.count {
            keys.append(key)
            sums.append(amount)
        } else {
            sums[found] &+= amount
        }
    }

    /// The ids and their sums, in the order first added.
    var entries: [(key: Int32, value: Int128)] { (0..<keys.count).map { (keys[$0], sums[$0]) } }
}
