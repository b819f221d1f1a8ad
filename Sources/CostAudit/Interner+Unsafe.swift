// The audit's string interner and byte hash: each string seen in a ledger stored once as bytes and found by
// hashing its bytes where they lie, so reading a line builds no `String`.
//
// What keeps it safe: a buffer handed in is read only within its own count, and only during the call (the
// interner copies what it keeps into its arena); the arena is read inside `withUnsafeBufferPointer`, between a
// start and an end the interner recorded when it appended those bytes (``Interner/bounds(_:)``: both within
// the arena, which only grows); ``ByteHash/equal(_:_:_:)`` reads `count` bytes on each side, and its callers pass
// a count both sides hold (lengths compared first; past the eighth byte only for strings longer than eight);
// word loads are unaligned loads within those bounds.

/// Strings seen in a ledger (attribution values, providers, models, keys), each stored once as bytes and
/// named by a small integer. Id 0 means "absent". Lookups hash the bytes where they lie, so reading a line
/// builds no `String`.
///
/// What it keeps per distinct string (docs/reliability.md, "Memory per distinct record"): the string's bytes,
/// 4 bytes of offset, and one 16-byte slot of a table kept between 37.5 and 75 % full (21 to 43 bytes a
/// string), besides the arrays' growth.
struct Interner {
    /// Every string's bytes, one after another in id order.
    private var arena: [UInt8] = []
    /// Where each id's bytes end in ``arena`` (index 0, "absent", and id 0's end are 0): id `i`'s bytes lie from
    /// entry `i - 1`'s end to entry `i`'s. Kept in 32 bits (``offsetBits``): the end's higher bits are the number
    /// of ids in ``wraps`` at or below it.
    private var ends: [UInt32] = [0]
    /// The first id whose end passed each further 4 GiB of ``arena`` (2^``offsetBits`` bytes), in order: empty
    /// below 4 GiB.
    private var wraps: [Int] = []
    /// The bits of an end kept in ``ends``: 32, or fewer in the tests of the wraps.
    private let offsetBits: Int
    /// Open addressing, two words a slot. The first: a tag (the hash's high 24 bits and the length, capped at
    /// 255) in its high half, the id (never 0) in its low half; 0 when the slot is free. The second: the
    /// string's first eight bytes, zero-padded. A probe settles a string of up to eight bytes (most values:
    /// ids of users, teams, models) on this one cache line, without touching the per-id arrays or the arena.
    /// At most three slots in four are taken (``add``).
    private var slots = [UInt64](repeating: 0, count: 2 * 1024)

    init() { offsetBits = 32 }

    /// An interner whose ends wrap every 2^`offsetBits` bytes (1 to 32), so that tests reach the wraps with
    /// little text.
    init(offsetBits: Int) { self.offsetBits = min(max(offsetBits, 1), 32) }

    /// The bytes its arrays hold in use: the strings, an end per id, the slot table (the arrays' spare capacity
    /// left out).
    var keptBytes: Int { arena.count + 4 * ends.count + 8 * wraps.count + 8 * slots.count }

    /// Number of ids handed out, "absent" included.
    var count: Int { ends.count }

    /// Where id `index`'s bytes lie in ``arena`` (`0 < index < count`).
    private func bounds(_ index: Int) -> Range<Int> {
        var start = Int(ends[index &- 1])
        var end = Int(ends[index])
        if !wraps.isEmpty {
            for wrap in wraps {
                if wrap <= index &- 1 { start &+= 1 << offsetBits }
                if wrap <= index { end &+= 1 << offsetBits }
            }
        }
        return start..<end
    }

    /// The hash a string is filed under: for up to sixteen bytes, a mix of its two zero-padded words (which
    /// the line reader already holds, see ``id(words:_:_:bytes:)``), else ``ByteHash``.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard bytes.count <= 16 else { return unsafe ByteHash.hash(bytes) }
        let (w0, w1) = unsafe LedgerTable.firstWords(bytes.baseAddress, count: bytes.count, available: 0)
        return shortHash(w0, w1, count: bytes.count)
    }

    static func shortHash(_ w0: UInt64, _ w1: UInt64, count: Int) -> UInt32 {
        var hash = (w0 &* 0xff51_afd7_ed55_8ccd) ^ (w1 &* 0xc4ce_b9fe_1a85_ec53) ^ UInt64(truncatingIfNeeded: count)
        hash ^= hash >> 29
        hash &*= 0x9E37_79B9_7F4A_7C15
        return UInt32(truncatingIfNeeded: hash >> 32)
    }

    private static func home(_ tag: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: ((tag >> 8) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private static func tag(_ hash: UInt32, count: Int) -> UInt64 {
        UInt64(hash & 0xFFFF_FF00) | UInt64(min(count, 255))
    }

    /// The first eight bytes of `bytes`, zero-padded, as one word.
    private static func prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        if bytes.count >= 8 { return unsafe UnsafeRawPointer(base).loadUnaligned(as: UInt64.self) }
        var word: UInt64 = 0
        for k in 0..<bytes.count { unsafe word |= UInt64(base[k]) << UInt64(8 &* k) }
        return word
    }

    /// Whether `id`'s string is exactly `bytes` (the check behind the per-field "same as last time" cache).
    func holds(_ id: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let index = Int(id)
        guard index > 0, index < ends.count else { return false }
        let range = bounds(index)
        guard range.count == bytes.count else { return false }
        return unsafe arena.withUnsafeBufferPointer { stored in
            unsafe ByteHash.equal(
                stored.baseAddress.map { unsafe $0 + range.lowerBound },
                bytes.baseAddress,
                bytes.count
            )
        }
    }

    /// The slot of `bytes` and its id, or the free slot where it belongs and 0.
    private func find(_ bytes: UnsafeBufferPointer<UInt8>, tag: UInt64, prefix: UInt64) -> (slot: Int, id: Int32) {
        let mask = slots.count / 2 - 1
        var slot = Self.home(tag, mask: mask)
        while true {
            let entry = slots[2 &* slot]
            if entry == 0 { return (slot, 0) }
            if entry >> 32 == tag, slots[2 &* slot &+ 1] == prefix {
                let id = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF)
                if bytes.count <= 8 { return (slot, id) }
                let range = bounds(Int(id))
                if range.count == bytes.count {
                    let start = range.lowerBound
                    let equal = unsafe arena.withUnsafeBufferPointer { stored in
                        unsafe ByteHash.equal(
                            stored.baseAddress.map { unsafe $0 + start + 8 },
                            unsafe bytes.baseAddress! + 8,
                            bytes.count - 8
                        )
                    }
                    if equal { return (slot, id) }
                }
            }
            slot = (slot &+ 1) & mask
        }
    }

    mutating func id(bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let tag = unsafe Self.tag(Self.hash(bytes), count: bytes.count)
        let prefix = unsafe Self.prefix(bytes)
        let (slot, found) = unsafe find(bytes, tag: tag, prefix: prefix)
        if found != 0 { return found }
        return unsafe add(bytes, slot: slot, tag: tag, prefix: prefix)
    }

    /// ``id(bytes:)`` of a string of `count` ≤ 16 bytes at `bytes` whose zero-padded words are `w0` and `w1`:
    /// hashed from the words, and settled on the slot's cache line when it is at most eight bytes long.
    mutating func id(words w0: UInt64, _ w1: UInt64, _ count: Int, bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let tag = Self.tag(Self.shortHash(w0, w1, count: count), count: count)
        let (slot, found) = unsafe find(bytes, tag: tag, prefix: w0)
        if found != 0 { return found }
        return unsafe add(bytes, slot: slot, tag: tag, prefix: w0)
    }

    /// Files a new string in free slot `slot`.
    private mutating func add(_ bytes: UnsafeBufferPointer<UInt8>, slot: Int, tag: UInt64, prefix: UInt64) -> Int32 {
        let id = Int32(truncatingIfNeeded: ends.count)
        unsafe arena.append(contentsOf: bytes)
        ends.append(UInt32(truncatingIfNeeded: arena.count & (1 << offsetBits &- 1)))
        while arena.count >> offsetBits > wraps.count { wraps.append(Int(id)) }
        slots[2 &* slot] = tag << 32 | UInt64(UInt32(bitPattern: id))
        slots[2 &* slot &+ 1] = prefix
        // Grown past three slots in four taken (a slot is two words).
        if ends.count * 8 > slots.count * 3 { grow() }
        return id
    }

    private mutating func grow() {
        var bigger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = bigger.count / 2 - 1
        for slot in 0..<(slots.count / 2) where slots[2 * slot] != 0 {
            var target = Self.home(slots[2 * slot] >> 32, mask: mask)
            while bigger[2 * target] != 0 { target = (target + 1) & mask }
            bigger[2 * target] = slots[2 * slot]
            bigger[2 * target + 1] = slots[2 * slot + 1]
        }
        slots = bigger
    }

    /// Files every string of `other` here and gives, by `other`'s id, the id here (0 for 0); `other` is left
    /// empty. `other`'s slot table is let go first; this one is let go once it has counted the strings that are
    /// new, and made again once, at the size for every string it will hold, filed again from this arena. So
    /// the merge of a second reader's strings holds the two arenas and one table at a time, never three tables
    /// (this one, its doubled copy and `other`'s), which was the audit's peak when every value is distinct.
    mutating func absorb(_ other: inout Interner) -> [Int32] {
        other.slots = []
        // The strings of `other` not yet here, counted with this table before it is let go, so that the joined
        // table is made for exactly the strings it will hold.
        let fresh = unsafe other.arena.withUnsafeBufferPointer { stored in
            var fresh = 0
            for index in 1..<max(1, other.count) {
                let bytes = unsafe UnsafeBufferPointer(rebasing: stored[other.bounds(index)])
                let tag = unsafe Self.tag(Self.hash(bytes), count: bytes.count)
                if unsafe find(bytes, tag: tag, prefix: Self.prefix(bytes)).id == 0 { fresh += 1 }
            }
            return fresh
        }
        slots = []
        let total = count + fresh
        var entries = 1024
        while total * 4 > entries * 3 { entries *= 2 }
        slots = [UInt64](repeating: 0, count: 2 * entries)
        for index in 1..<count { refile(index) }
        arena.reserveCapacity(arena.count + other.arena.count)
        ends.reserveCapacity(total)
        var remap = [Int32](repeating: 0, count: other.count)
        for index in 1..<max(1, other.count) { remap[index] = id(of: Int32(truncatingIfNeeded: index), in: other) }
        other = Interner()
        return remap
    }

    /// Files id `index` (already in the arena) in a free slot of a table being rebuilt.
    private mutating func refile(_ index: Int) {
        let range = bounds(index)
        let (tag, prefix) = unsafe arena.withUnsafeBufferPointer { stored in
            let bytes = unsafe UnsafeBufferPointer(rebasing: stored[range])
            return unsafe (Self.tag(Self.hash(bytes), count: bytes.count), Self.prefix(bytes))
        }
        let mask = slots.count / 2 - 1
        var slot = Self.home(tag, mask: mask)
        while slots[2 &* slot] != 0 { slot = (slot &+ 1) & mask }
        slots[2 &* slot] = tag << 32 | UInt64(UInt32(truncatingIfNeeded: index))
        slots[2 &* slot &+ 1] = prefix
    }

    mutating func id(_ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { unsafe id(bytes: $0) }
    }

    /// The id here of string `id` of `other`, filed when new: its bytes are copied from `other`'s arena, no
    /// `String` is made.
    mutating func id(of id: Int32, in other: Interner) -> Int32 {
        let index = Int(id)
        guard index > 0, index < other.ends.count else { return 0 }
        let range = other.bounds(index)
        return unsafe other.arena.withUnsafeBufferPointer { stored in
            unsafe self.id(bytes: UnsafeBufferPointer(rebasing: stored[range]))
        }
    }

    func existingID(_ text: String) -> Int32? {
        var text = text
        let found = text.withUTF8 {
            unsafe find($0, tag: Self.tag(Self.hash($0), count: $0.count), prefix: Self.prefix($0)).id
        }
        return found == 0 ? nil : found
    }

    subscript(id: Int32) -> String {
        let index = Int(id)
        guard index > 0, index < ends.count else { return "" }
        return String(decoding: arena[bounds(index)], as: UTF8.self)
    }

    /// Every string, by id (index 0 is the empty "absent").
    var strings: [String] { (0..<ends.count).map { self[Int32(truncatingIfNeeded: $0)] } }
}

/// A fast 32-bit hash of a short byte string (interned values, record ids): eight bytes a step with a
/// multiply-xorshift mix, the tail read as one partial word. Equal bytes give equal hashes in every process.
enum ByteHash {
    /// Whether `count` bytes at `a` and `b` are equal: eight at a time, inline (short strings make a `memcmp`
    /// call cost more than the comparison).
    static func equal(_ a: UnsafePointer<UInt8>?, _ b: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
        guard count > 0, let a = unsafe a, let b = unsafe b else { return count == 0 }
        let ra = unsafe UnsafeRawPointer(a)
        let rb = unsafe UnsafeRawPointer(b)
        var offset = 0
        while offset &+ 8 <= count {
            if unsafe ra.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != rb.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset &+= 8
        }
        while offset < count {
            if unsafe a[offset] != b[offset] { return false }
            offset &+= 1
        }
        return true
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let count = bytes.count
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        guard let base = bytes.baseAddress else { return UInt32(truncatingIfNeeded: hash) }
        let raw = unsafe UnsafeRawPointer(base)
        var offset = 0
        while offset &+ 8 <= count {
            let word = unsafe raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            hash = (hash ^ word) &* 0xff51_afd7_ed55_8ccd
            hash ^= hash >> 32
            offset &+= 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            unsafe tail |= UInt64(raw.load(fromByteOffset: offset, as: UInt8.self)) << shift
            shift &+= 8
            offset &+= 1
        }
        hash = (hash ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 29
        return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    }
}
