import Attribution
import CostLedger

// The audit's reading of a scanned ledger line where it hands bytes to its stores, and its price cache read in
// place: the unsafe code of the ledger-line path in the audit.
//
// The invariants that keep it safe: a value's bytes (``LedgerFieldBytes/unsafeBytes``, and the words loaded from
// ``LedgerFieldBytes/unsafeStart``, never past ``LedgerFieldBytes/bytesToLineEnd``) are used only while the
// reader's callback holds the line, and the interner and ``LedgerTable/storeID(_:)`` copy what they keep; a price
// slot is read through a pointer only inside `withUnsafeBufferPointer` on ``LedgerTable/priceSlots``, at an
// index below 256, which is the cache's size whenever it is consulted (``LedgerTable/quote`` fills it with 256
// slots before the first lookup, and `index` is the top byte of a hash).

extension LedgerTable {
    /// The interned id of `value`, a value of a scanned line (0 when absent). Consecutive records
    /// often repeat a value, so each key remembers its last value's first sixteen bytes, length and id: a repeat
    /// is recognised from the line alone, without touching the interner.
    @_transparent  // @inline(__always) was not honoured: one call per field of every record
    mutating func intern(_ value: LedgerFieldBytes?) -> Int32 {
        guard let value else { return 0 }
        let k = value.keyIndex
        let count = value.count
        let (w0, w1) = unsafe Self.firstWords(value.unsafeStart, count: count, available: value.bytesToLineEnd)
        if count <= 16, lastLength[k] == Int32(truncatingIfNeeded: count), lastWord0[k] == w0, lastWord1[k] == w1 {
            return lastInterned[k]
        }
        let bytes = unsafe UnsafeBufferPointer(start: value.unsafeStart, count: count)
        let id = unsafe count <= 16 ? strings.id(words: w0, w1, count, bytes: bytes) : strings.id(bytes: bytes)
        lastInterned[k] = id
        lastLength[k] = count <= 16 ? Int32(truncatingIfNeeded: count) : -1
        lastWord0[k] = w0
        lastWord1[k] = w1
        return id
    }

    /// The first sixteen bytes at `p` of a string of `count` bytes, zero-padded, as two words. Reads whole words
    /// when `available` bytes follow `p` (in the line), else byte by byte.
    @inline(__always)
    static func firstWords(_ p: UnsafePointer<UInt8>?, count: Int, available: Int) -> (UInt64, UInt64) {
        guard let p = unsafe p else { return (0, 0) }
        if available >= 16 {
            let raw = unsafe UnsafeRawPointer(p)
            var w0 = unsafe raw.loadUnaligned(as: UInt64.self)
            var w1 = unsafe raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            if count < 8 {
                w0 &= (1 &<< UInt64(8 &* count)) &- 1
                w1 = 0
            } else if count < 16 {
                w1 &= (1 &<< UInt64(8 &* (count &- 8))) &- 1
            }
            return (w0, w1)
        }
        var words: (UInt64, UInt64) = (0, 0)
        for k in 0..<min(count, 16) {
            if k < 8 {
                unsafe words.0 |= UInt64(p[k]) << UInt64(8 &* k)
            } else {
                unsafe words.1 |= UInt64(p[k]) << UInt64(8 &* (k &- 8))
            }
        }
        return words
    }

    /// The id of a scanned line's record id (see ``storeID(_:)``).
    mutating func storeID(_ value: LedgerFieldBytes) -> (a: UInt64, b: UInt64, isHex: Bool) {
        unsafe storeID(value.unsafeBytes)
    }

    /// The quote of price slot `index` when it holds (`modelKey`, `tier`, `day`), read in place: copying a slot
    /// (its prices are inline) cost `memcpy` calls a record.
    func lookUpPriceSlot(
        _ index: Int,
        _ modelKey: Int32,
        _ tier: Int32,
        _ day: Int64,
        _ usage: TokenUsage
    ) -> PriceSlot.Lookup {
        unsafe priceSlots.withUnsafeBufferPointer { unsafe Self.lookUp($0, index, modelKey, tier, day, usage) }
    }

    /// The quote of slot `index` when it holds (`modelKey`, `tier`, `day`).
    static func lookUp(
        _ slots: UnsafeBufferPointer<PriceSlot>,
        _ index: Int,
        _ modelKey: Int32,
        _ tier: Int32,
        _ day: Int64,
        _ usage: TokenUsage
    ) -> PriceSlot.Lookup {
        let slot = unsafe slots.baseAddress! + index
        guard unsafe slot.pointee.filled, unsafe slot.pointee.modelKey == modelKey, unsafe slot.pointee.tier == tier,
            unsafe slot.pointee.day == day
        else { return .miss }
        switch unsafe slot.pointee.banded {
        case PriceSlot.single: return unsafe .quote(slot.pointee.single.quote(usage))
        case PriceSlot.unpriced: return .quote(nil)
        case let position: return .banded(position)
        }
    }
}
