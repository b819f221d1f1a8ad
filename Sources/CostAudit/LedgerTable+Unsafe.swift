import CostLedger

// A reader's table where it reads through pointers: the tuple lookup, which compares a row's values with the
// stored tuples through their buffer's base pointer, and the record id, stored from or hashed over its bytes.
//
// What keeps it safe: a stored tuple is read at `index * fieldCount`, `fieldCount` values, for an index below
// the number of tuples (a slot of ``LedgerTable/tupleSlots`` holds the index + 1 of a tuple appended in full);
// the slot table is probed inside `withUnsafeBufferPointer`, at `slot & mask`, below its count; a record id's
// bytes are read within the buffer handed in (the hex parse only when it holds 32) and copied into the arena;
// an id kept in the arena is hashed within the start and length stored beside it.

extension LedgerTable {
    /// The index of the tuple `values` (the first ``fieldCount`` entries), added when new. The previous row's
    /// tuple is tried first.
    mutating func tuple(_ values: InlineArray<10, Int32>) -> Int32 {
        let width = fieldCount
        // The stored tuples through a plain pointer: no bounds check per value compared.
        func holds(_ index: Int) -> Bool {
            let stored = unsafe tuples.base + index &* width
            for f in 0..<width where unsafe stored[f] != values[f] { return false }
            return true
        }
        if lastTuple >= 0, holds(Int(lastTuple)) { return lastTuple }
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
        for f in 0..<width { hash = (hash ^ UInt64(UInt32(bitPattern: values[f]))) &* 0xff51_afd7_ed55_8ccd }
        hash ^= hash >> 29
        let mask = tupleSlots.count - 1
        var slot = Int(truncatingIfNeeded: hash >> 32) & mask
        let found: Int32? = unsafe tupleSlots.withUnsafeBufferPointer { slots in
            while true {
                let entry = unsafe Int(slots[slot])
                if entry == 0 { return nil }
                if holds(entry &- 1) { return Int32(truncatingIfNeeded: entry &- 1) }
                slot = (slot &+ 1) & mask
            }
        }
        if let found {
            lastTuple = found
            return found
        }
        let index = Int32(truncatingIfNeeded: tupleCount)
        for f in 0..<width { tuples.append(values[f]) }
        tupleCount += 1
        tupleSlots[slot] = index + 1
        if tupleCount * 2 > tupleSlots.count { rehashTuples(capacity: tupleSlots.count * 2) }
        lastTuple = index
        return index
    }

    /// Stores a record id: as its value when it is 32 lowercase hex digits (exact: such an id and its value
    /// determine each other), else as bytes in the arena.
    mutating func storeID(_ bytes: UnsafeBufferPointer<UInt8>) -> (a: UInt64, b: UInt64, isHex: Bool) {
        if bytes.count == 32, let base = bytes.baseAddress, let high = unsafe LowercaseHex.parse16(base),
            let low = unsafe LowercaseHex.parse16(base + 16)
        {
            return (high, low, true)
        }
        let start = idArena.count
        unsafe idArena.append(contentsOf: bytes)
        return (UInt64(start), UInt64(bytes.count), false)
    }

    /// A record id's 32-bit hash for the deduplication table: equal ids give equal hashes.
    func idHash(_ row: RecordRow) -> UInt32 {
        if row.idIsHex { return Self.hexIDHash(row) }
        return unsafe idArena.withUnsafeBufferPointer {
            unsafe ByteHash.hash(UnsafeBufferPointer(rebasing: $0[Int(row.idA)..<Int(row.idA + row.idB)]))
        }
    }

    /// ``storeID(_:)`` of a record id given as text (records read from memory).
    mutating func storeID(_ text: String) -> (a: UInt64, b: UInt64, isHex: Bool) {
        var text = text
        return text.withUTF8 { unsafe storeID($0) }
    }
}
