/// Slots 0, 1, 2, … for interned ids, in the order the ids are first seen, so that per-id sums live in arrays
/// rather than dictionaries: an id below the dataset's ``SpendDataset/idLimit`` (every id the dataset hands
/// out) finds its slot by its place in an array, any other by a dictionary.
struct DenseIDSlots {
    /// Per id below the limit: its slot + 1, 0 before it has one.
    private var slotOfID: [Int32]
    /// Ids at or beyond the limit (none are expected).
    private var overflow: [Int32: Int] = [:]
    /// Per slot: its id.
    private(set) var ids: [Int32] = []

    /// The ids below which slots are found by array.
    var idLimit: Int { slotOfID.count }

    /// Slots for ids below `idLimit` by array; an empty map (`idLimit` 0) finds every id by dictionary.
    init(idLimit: Int) {
        slotOfID = [Int32](repeating: 0, count: max(0, idLimit))
    }

    /// The slot of `id`, and whether it was made now (the caller then makes the slot's storage).
    mutating func slot(_ id: Int32) -> (slot: Int, isNew: Bool) {
        if id >= 0, Int(id) < slotOfID.count {
            let known = slotOfID[Int(id)]
            if known != 0 { return (Int(known) - 1, false) }
            slotOfID[Int(id)] = Int32(truncatingIfNeeded: ids.count + 1)
        } else if let known = overflow[id] {
            return (known, false)
        } else {
            overflow[id] = ids.count
        }
        ids.append(id)
        return (ids.count - 1, true)
    }

    /// Forgets every slot; the array keeps its size, and only the entries of the ids seen are cleared.
    mutating func removeAll() {
        for id in ids where id >= 0 && Int(id) < slotOfID.count { slotOfID[Int(id)] = 0 }
        ids = []
        overflow = [:]
    }
}
