import Testing

@testable import CostAudit

@Suite("The audit's string interner: what it keeps per distinct string")
struct InternerMemoryTests {
    /// docs/reliability.md ("Memory per distinct record"): a distinct string costs its bytes, a 4-byte end and
    /// one 16-byte slot of a table between 37.5 and 75 % full, so at most 47 bytes besides its own. Before, an
    /// 8-byte start, a 4-byte length and a slot of a table at most half full: 150,000 strings took a table of
    /// 524,288 slots, 68 bytes a string besides its own.
    @Test("150,000 distinct strings are kept in their own bytes plus at most 48 bytes each, and each reads back")
    func distinctStringsAreKeptCompactly() {
        var interner = Interner()
        var ids: [Int32] = []
        var ownBytes = 0
        for i in 0..<150_000 {
            let text = "user-\(i)"
            ownBytes += text.utf8.count
            ids.append(interner.id(text))
        }
        #expect(interner.count == 150_001)
        #expect(Set(ids).count == 150_000)
        let perString = (interner.keptBytes - ownBytes) / 150_000
        #expect(perString <= 48, "\(perString) bytes a string besides its own")
        for i in stride(from: 0, to: 150_000, by: 997) {
            #expect(interner[ids[i]] == "user-\(i)")
            #expect(interner.id("user-\(i)") == ids[i])
            #expect(interner.existingID("user-\(i)") == ids[i])
        }
        #expect(interner.existingID("user-150000") == nil)
    }

    /// The ends are kept in 32 bits; past 4 GiB of strings the interner counts the wraps. An interner whose ends
    /// wrap every 64 bytes goes through the same code with a few kilobytes.
    @Test("strings past each wrap of the 32-bit ends read back whole, of every length, and are found again")
    func endsWrap() {
        var interner = Interner(offsetBits: 6)
        var texts: [String] = []
        var ids: [Int32] = []
        for i in 0..<400 {
            // Lengths 1 to 90: some strings cross a 64-byte boundary, some are longer than a whole wrap.
            let text = String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: 1 + i % 90) + "\(i)"
            texts.append(text)
            ids.append(interner.id(text))
        }
        for (text, id) in zip(texts, ids) {
            #expect(interner[id] == text)
            #expect(interner.id(text) == id)
        }
        var copy = Interner()
        for (text, id) in zip(texts, ids) {
            let copied = copy.id(of: id, in: interner)
            #expect(copy[copied] == text)
        }
        #expect(interner.strings.dropFirst() == texts[...])
    }

    /// Two readers' strings are merged with ``Interner/absorb(_:)``: the table is made again at its final size
    /// from the arena, and every string of the second is filed or found.
    @Test("merging a second reader's strings keeps every id's string, files the new ones once, and stays compact")
    func absorbMerges() {
        var first = Interner()
        var second = Interner()
        for i in 0..<60_000 { _ = first.id("team-\(i)") }
        var secondIDs: [Int32] = []
        // Half of the second reader's strings are the first's too.
        for i in 30_000..<90_000 { secondIDs.append(second.id("team-\(i)")) }
        let firstIDs = (0..<60_000).map { first.existingID("team-\($0)") }
        let remap = first.absorb(&second)
        #expect(second.count == 1)
        #expect(first.count == 90_001)
        #expect(remap[0] == 0)
        for (offset, id) in secondIDs.enumerated() {
            #expect(first[remap[Int(id)]] == "team-\(30_000 + offset)")
        }
        for i in 0..<60_000 where i % 101 == 0 { #expect(first.existingID("team-\(i)") == firstIDs[i]) }
        for i in 0..<90_000 where i % 101 == 0 { #expect(first[first.id("team-\(i)")] == "team-\(i)") }
        #expect(first.count == 90_001)
        let ownBytes = (0..<90_000).reduce(0) { $0 + "team-\($1)".utf8.count }
        #expect((first.keptBytes - ownBytes) / 90_000 <= 48)
    }
}
