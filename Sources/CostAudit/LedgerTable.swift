import Attribution
import CostLedger
import WireFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Strings seen in a ledger (attribution values, providers, models, keys), each stored once as bytes and
/// named by a small integer. Id 0 means "absent". Lookups hash the bytes where they lie, so reading a line
/// builds no `String`.
struct Interner {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var lengths: [Int32] = [0]
    /// Open addressing, two words a slot. The first: a tag (the hash's high 24 bits and the length, capped at
    /// 255) in its high half, the id (never 0) in its low half; 0 when the slot is free. The second: the
    /// string's first eight bytes, zero-padded. A probe settles a string of up to eight bytes (most values:
    /// ids of users, teams, models) on this one cache line, without touching the per-id arrays or the arena.
    private var slots = [UInt64](repeating: 0, count: 2 * 1024)

    /// Number of ids handed out, "absent" included.
    var count: Int { starts.count }

    /// The hash a string is filed under: for up to sixteen bytes, a mix of its two zero-padded words (which
    /// the line reader already holds, see ``id(words:_:_:bytes:)``), else ``ByteHash``.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard bytes.count <= 16 else { return unsafe ByteHash.hash(bytes) }
        let (w0, w1) = unsafe LedgerTable.firstWords(bytes.baseAddress, count: bytes.count, available: 0)
        return shortHash(w0, w1, count: bytes.count)
    }

    @inline(__always)
    static func shortHash(_ w0: UInt64, _ w1: UInt64, count: Int) -> UInt32 {
        var hash = (w0 &* 0xff51_afd7_ed55_8ccd) ^ (w1 &* 0xc4ce_b9fe_1a85_ec53) ^ UInt64(truncatingIfNeeded: count)
        hash ^= hash >> 29
        hash &*= 0x9E37_79B9_7F4A_7C15
        return UInt32(truncatingIfNeeded: hash >> 32)
    }

    @inline(__always)
    private static func home(_ tag: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: ((tag >> 8) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inline(__always)
    private static func tag(_ hash: UInt32, count: Int) -> UInt64 {
        UInt64(hash & 0xFFFF_FF00) | UInt64(min(count, 255))
    }

    /// The first eight bytes of `bytes`, zero-padded, as one word.
    @inline(__always)
    private static func prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        if bytes.count >= 8 { return unsafe UnsafeRawPointer(base).loadUnaligned(as: UInt64.self) }
        var word: UInt64 = 0
        for k in 0..<bytes.count { unsafe word |= UInt64(base[k]) << UInt64(8 &* k) }
        return word
    }

    /// Whether `id`'s string is exactly `bytes` (the check behind the per-field "same as last time" cache).
    @inline(__always)
    func holds(_ id: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let index = Int(id)
        guard index > 0, index < starts.count, Int(lengths[index]) == bytes.count else { return false }
        let start = starts[index]
        return unsafe arena.withUnsafeBufferPointer { stored in
            unsafe ByteHash.equal(stored.baseAddress.map { unsafe $0 + start }, bytes.baseAddress, bytes.count)
        }
    }

    /// The slot of `bytes` and its id, or the free slot where it belongs and 0.
    @inline(__always)
    private func find(_ bytes: UnsafeBufferPointer<UInt8>, tag: UInt64, prefix: UInt64) -> (slot: Int, id: Int32) {
        let mask = slots.count / 2 - 1
        var slot = Self.home(tag, mask: mask)
        while true {
            let entry = slots[2 &* slot]
            if entry == 0 { return (slot, 0) }
            if entry >> 32 == tag, slots[2 &* slot &+ 1] == prefix {
                let id = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF)
                if bytes.count <= 8 { return (slot, id) }
                let index = Int(id)
                if Int(lengths[index]) == bytes.count {
                    let start = starts[index]
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
    @inline(__always)
    mutating func id(words w0: UInt64, _ w1: UInt64, _ count: Int, bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let tag = Self.tag(Self.shortHash(w0, w1, count: count), count: count)
        let (slot, found) = unsafe find(bytes, tag: tag, prefix: w0)
        if found != 0 { return found }
        return unsafe add(bytes, slot: slot, tag: tag, prefix: w0)
    }

    /// Files a new string in free slot `slot`.
    private mutating func add(_ bytes: UnsafeBufferPointer<UInt8>, slot: Int, tag: UInt64, prefix: UInt64) -> Int32 {
        let id = Int32(truncatingIfNeeded: starts.count)
        starts.append(arena.count)
        lengths.append(Int32(truncatingIfNeeded: bytes.count))
        unsafe arena.append(contentsOf: bytes)
        slots[2 &* slot] = tag << 32 | UInt64(UInt32(bitPattern: id))
        slots[2 &* slot &+ 1] = prefix
        if starts.count * 4 > slots.count { grow() }
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

    mutating func id(_ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { unsafe id(bytes: $0) }
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
        guard index > 0, index < starts.count else { return "" }
        let start = starts[index]
        return String(decoding: arena[start..<(start + Int(lengths[index]))], as: UTF8.self)
    }

    /// Every string, by id (index 0 is the empty "absent").
    var strings: [String] { (0..<starts.count).map { self[Int32(truncatingIfNeeded: $0)] } }
}

/// A fast 32-bit hash of a short byte string (interned values, record ids): eight bytes a step with a
/// multiply-xorshift mix, the tail read as one partial word. Equal bytes give equal hashes in every process.
enum ByteHash {
    /// Whether `count` bytes at `a` and `b` are equal: eight at a time, inline (short strings make a `memcmp`
    /// call cost more than the comparison).
    @inline(__always)
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

    @inline(__always)
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

/// How a record's dollars were found.
enum PricingOutcome: UInt8 {
    /// Priced from its tokens with the audit's table.
    case priced = 0
    /// The table lacks the model; the record's stored `cost_usd` is used.
    case fromRecord = 1
    /// No price and no stored cost: no dollars.
    case unpriced = 2
}

/// What the audit keeps of one ledger line: 96 bytes, never the line itself.
struct RecordRow {
    /// Records read from files: where the line starts, so a duplicate's bytes can be compared with the kept
    /// copy's by reading both again, and the emitted ledger finds its lines; in-memory records: the record's
    /// index in its file. Either way it orders a file's rows as its lines are ordered.
    var position: Int64
    var ts: Int64
    /// `started_at` when present, else `ts`: the instant that decides the day, the window and the price.
    var when: Int64
    var leaf: UInt64
    var parent: UInt64
    var root: UInt64
    /// The exact cost in attodollars, or, when ``costIsWide``, an index into the table's wide costs (a cost of
    /// $9.22 or more does not fit).
    var cost64: Int64
    /// The record id: its value when it is 32 lowercase hex digits (``idIsHex``), else where its bytes sit in
    /// the table's arena (start, length).
    var idA: UInt64
    var idB: UInt64
    var file: Int32
    var attempt: Int32
    /// Index into the table's (provider, model, canonical model) triples.
    var modelKey: Int32
    var apiKey: Int32
    /// Records not priced by the table (unpriced, or priced from their stored cost): their input + output tokens;
    /// priced ones: cached tokens charged at the input price. When
    /// ``tokensAreWide``, an index into the table's wide token counts.
    var tokens32: UInt32
    /// Bit 0: a unit record; bits 1–2: ``PricingOutcome``; bit 3: hex id; bit 4: wide cost; bit 5: wide tokens.
    var flags: UInt8

    var isUnit: Bool { flags & 1 != 0 }
    var pricing: PricingOutcome { PricingOutcome(rawValue: (flags >> 1) & 3) ?? .unpriced }
    var idIsHex: Bool { flags & 8 != 0 }
    var costIsWide: Bool { flags & 16 != 0 }
    var tokensAreWide: Bool { flags & 32 != 0 }
}

/// A provider and model as recorded, with the price table's name for the model (0 when it has none).
struct ModelTriple: Hashable {
    var provider: Int32
    var model: Int32
    var canonical: Int32
}

/// The compact, append-only state of the records read by one reader: rows, their tracked attribution values
/// (``fieldCount`` interned ids per row, 0 for absent), interned strings and record-id bytes.
struct LedgerTable {
    /// The tracked fields, required ones first.
    let fields: [AttributionField]
    var fieldCount: Int { fields.count }
    var rows = RowBuffer<RecordRow>()
    /// Per row: the tuple of its tracked values (an index into ``tuples``). Records mostly share their
    /// tuple with others of their feature and team, so a row keeps four bytes instead of four per field.
    var rowTuples = RowBuffer<Int32>()
    /// The distinct tuples, ``fieldCount`` interned ids each (0 for absent; always 0 at ``separateField``).
    var tuples = RowBuffer<Int32>()
    /// The tracked field kept per row rather than in the tuple (`user_id`, whose many values would otherwise
    /// make nearly every tuple distinct and the tuple table large and slow to probe); -1 when not tracked.
    let separateField: Int
    /// Per row: the interned value of ``separateField`` (only when it is tracked).
    var rowSeparate = RowBuffer<Int32>()
    private var tupleSlots = [Int32](repeating: 0, count: 1024)
    private var tupleCount = 0
    private var lastTuple: Int32 = -1
    var strings = Interner()
    var models: [ModelTriple] = [ModelTriple(provider: 0, model: 0, canonical: 0)]
    /// (provider << 32 | model) → model key; the pair (0, 0) is key 0 and not stored.
    private var modelIndex = WordMap()
    /// The (provider, model) pair looked up last and its key (-1: none yet).
    private var lastModelPair: UInt64 = 0
    private var lastModelKey: Int32 = -1
    /// Provider and model names per model key, built once for the price table's `String` API.
    private var modelNameCache: [(provider: String, model: String)?] = [nil]
    private var tierNames: [Int32: String] = [:]
    var idArena: [UInt8] = []
    var ledgerBytes: Int64 = 0
    var skippedLines = 0
    var skippedKinds = 0
    var invalidRecords: [InvalidRecord] = []
    var invalidRecordCount = 0
    /// Per ledger key: the interned id of the value the last record had.
    var lastInterned = InlineArray<34, Int32>(repeating: 0)
    /// Per ledger key: that value's length (-1: longer than sixteen bytes, never matched) and first sixteen bytes.
    var lastLength = InlineArray<34, Int32>(repeating: -1)
    var lastWord0 = InlineArray<34, UInt64>(repeating: 0)
    var lastWord1 = InlineArray<34, UInt64>(repeating: 0)
    /// The audit's price table when it is the project's own (quotes then come from ``priceSlots``).
    var priceTable: PriceTable?
    var pricingChecked = false
    /// Costs and token counts too wide for a row, by the index the row holds.
    var wideCosts: [Int128] = []
    var wideTokens: [Int64] = []
    /// Resolved prices by (model key, tier, day), direct-mapped; empty unless the pricing is a ``PriceTable``.
    var priceSlots: [PriceSlot] = []
    /// Resolved prices with input-size bands, by the index their ``PriceSlot`` holds.
    var bandedPrices: [ResolvedPrices] = []

    /// The tracked fields' ledger keys, in ``fields`` order (at most the ten attribution keys), inline so the
    /// per-record loop touches no array.
    let fieldKeys: InlineArray<10, LedgerKey>
    let fieldKeyCount: Int

    /// Whether the rows keep what only the reports read (docs/reports.md): each row's token counts by class,
    /// service tier and tags. Off for the audit alone, which needs none of them.
    let keepsReportColumns: Bool
    /// Per row, when ``keepsReportColumns``: its token counts.
    var rowUsage: [TokenUsage] = []
    /// Per row, when ``keepsReportColumns``: its interned service tier (0: none).
    var rowTier: [Int32] = []
    /// Per row, when ``keepsReportColumns``: its tags as the interned text of the object's members, between
    /// the braces (0: none), parsed once per distinct text by whoever reads them.
    var rowTags: [Int32] = []
    /// Per row, when ``keepsReportColumns``: its interned `tool` and `prompt_version` (0: none), kept apart from
    /// the tracked tuple because they change from call to call: in the tuple they would multiply its distinct
    /// values and cost a tuple lookup per row.
    var rowTool: [Int32] = []
    var rowPromptVersion: [Int32] = []

    init(fields: [AttributionField], keepsReportColumns: Bool = false) {
        self.keepsReportColumns = keepsReportColumns
        self.fields = fields
        var keys = InlineArray<10, LedgerKey>(repeating: .userID)
        var count = 0
        for field in fields where count < 10 {
            keys[count] = LedgerKey(field)
            count += 1
        }
        fieldKeys = keys
        fieldKeyCount = count
        separateField = fields.firstIndex(of: .userID).map { $0 < 10 ? $0 : -1 } ?? -1
    }

    /// Adds one record read from `file` at `line`.
    mutating func add(
        _ record: CostRecord,
        file: Int32,
        position: Int64,
        pricing: any AuditPricing
    ) {
        var recordID = record.recordID
        let id = recordID.withUTF8 { unsafe storeID($0) }
        let isUnit = record.kind == .unit
        let when = (record.startedAt ?? record.timestamp).nanosecondsSinceEpoch
        var modelKey: Int32 = 0
        var cost: Int128 = 0
        var tokens: Int64 = 0
        var outcome = PricingOutcome.unpriced
        if !isUnit {
            let provider = record.provider.map { strings.id($0) } ?? 0
            let model = record.model.map { strings.id($0) } ?? 0
            modelKey = self.modelKey(provider: provider, model: model, pricing: pricing)
            if provider != 0, model != 0 {
                let tier = record.serviceTier.map { strings.id($0) } ?? 0
                if let quote = self.quote(
                    modelKey: modelKey,
                    tier: tier,
                    usage: record.usage,
                    when: when,
                    pricing: pricing
                ) {
                    cost = quote.attodollars
                    tokens = quote.cachedTokensAtInputPrice
                    outcome = .priced
                } else if models[Int(modelKey)].canonical == 0, let stored = record.costUSD {
                    cost = stored.attodollars
                    outcome = .fromRecord
                }
            }
            if outcome != .priced { tokens = Self.tokenSum(record.usage.input, record.usage.output) }
        }
        let row = makeRow(
            position: position,
            ts: record.timestamp.nanosecondsSinceEpoch,
            when: when,
            leaf: record.leafID?.rawValue ?? 0,
            parent: record.parentID?.rawValue ?? 0,
            root: record.rootID?.rawValue ?? 0,
            cost: cost,
            tokens: tokens,
            id: id,
            file: file,
            attempt: Int32(clamping: record.attempt ?? 1),
            modelKey: modelKey,
            apiKey: record.apiKeyID.map { strings.id($0) } ?? 0,
            isUnit: isUnit,
            pricing: outcome
        )
        rows.append(row)
        var current = InlineArray<10, Int32>(repeating: 0)
        for (k, field) in fields.enumerated() where k < 10 {
            current[k] = record.attribution[field].map { strings.id($0) } ?? 0
        }
        appendValues(&current)
        if keepsReportColumns {
            rowUsage.append(record.usage)
            rowTier.append(record.serviceTier.map { strings.id($0) } ?? 0)
            rowTags.append(record.tags.isEmpty ? 0 : strings.id(Self.tagMembers(record.tags)))
            rowTool.append(record.attribution[.tool].map { strings.id($0) } ?? 0)
            rowPromptVersion.append(record.attribution[.promptVersion].map { strings.id($0) } ?? 0)
        }
    }

    /// Tags as the members of their JSON object, keys in bytewise order (`"a":"1","b":"2"`): the form the
    /// ledger's writer gives them, so a record read from memory interns its tags as one read from a file does.
    static func tagMembers(_ tags: [String: String]) -> String {
        var out: [UInt8] = []
        for (index, key) in tags.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes($1.utf8) })
            .enumerated()
        {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.appendString(tags[key] ?? "", to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends a row's tracked values: the separate field to its column, the rest as a tuple.
    @inline(__always)
    mutating func appendValues(_ values: inout InlineArray<10, Int32>) {
        if separateField >= 0 {
            rowSeparate.append(values[separateField])
            values[separateField] = 0
        }
        rowTuples.append(tuple(values))
    }

    /// Packs a row, moving a cost or token count too wide for it to the side tables.
    @inline(__always)
    mutating func makeRow(
        position: Int64,
        ts: Int64,
        when: Int64,
        leaf: UInt64,
        parent: UInt64,
        root: UInt64,
        cost: Int128,
        tokens: Int64,
        id: (a: UInt64, b: UInt64, isHex: Bool),
        file: Int32,
        attempt: Int32,
        modelKey: Int32,
        apiKey: Int32,
        isUnit: Bool,
        pricing: PricingOutcome
    ) -> RecordRow {
        var flags = (isUnit ? 1 : 0) | pricing.rawValue << 1 | (id.isHex ? 8 : 0)
        var cost64 = Int64(truncatingIfNeeded: cost)
        if Int128(cost64) != cost {
            cost64 = Int64(wideCosts.count)
            wideCosts.append(cost)
            flags |= 16
        }
        var tokens32 = UInt32(truncatingIfNeeded: tokens)
        if tokens < 0 || tokens > Int64(UInt32.max) {
            tokens32 = UInt32(truncatingIfNeeded: wideTokens.count)
            wideTokens.append(tokens)
            flags |= 32
        }
        return RecordRow(
            position: position,
            ts: ts,
            when: when,
            leaf: leaf,
            parent: parent,
            root: root,
            cost64: cost64,
            idA: id.a,
            idB: id.b,
            file: file,
            attempt: attempt,
            modelKey: modelKey,
            apiKey: apiKey,
            tokens32: tokens32,
            flags: flags
        )
    }

    /// The exact cost of a row of this table.
    @inline(__always)
    func cost(_ row: RecordRow) -> Int128 { row.costIsWide ? wideCosts[Int(row.cost64)] : Int128(row.cost64) }

    /// The token count of a row of this table (see ``RecordRow/tokens32``).
    @inline(__always)
    func tokens(_ row: RecordRow) -> Int64 { row.tokensAreWide ? wideTokens[Int(row.tokens32)] : Int64(row.tokens32) }

    /// `a + b` for counts that are never negative, saturated at `Int64.max` rather than wrapped.
    @inline(__always)
    static func tokenSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// The index of the tuple `values` (the first ``fieldCount`` entries), added when new. The previous row's
    /// tuple is tried first.
    @inline(__always)
    mutating func tuple(_ values: InlineArray<10, Int32>) -> Int32 {
        let width = fieldCount
        // The stored tuples through a plain pointer: no bounds check per value compared.
        @inline(__always) func holds(_ index: Int) -> Bool {
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

    private mutating func rehashTuples(capacity: Int) {
        let width = fieldCount
        tupleSlots = [Int32](repeating: 0, count: capacity)
        let mask = tupleSlots.count - 1
        for index in 0..<tupleCount {
            var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
            for f in 0..<width {
                hash = (hash ^ UInt64(UInt32(bitPattern: tuples[index * width + f]))) &* 0xff51_afd7_ed55_8ccd
            }
            hash ^= hash >> 29
            var slot = Int(truncatingIfNeeded: hash >> 32) & mask
            while tupleSlots[slot] != 0 { slot = (slot + 1) & mask }
            tupleSlots[slot] = Int32(truncatingIfNeeded: index + 1)
        }
    }

    /// Makes room for `count` rows in all, record ids kept as bytes included (at their average length so far).
    mutating func reserve(rows count: Int) {
        guard count > rows.count else { return }
        rows.reserve(count)
        rowTuples.reserve(count)
        if separateField >= 0 { rowSeparate.reserve(count) }
        if !rows.isEmpty, !idArena.isEmpty {
            idArena.reserveCapacity(idArena.count + (count - rows.count) * (idArena.count / rows.count + 1))
        }
    }

    /// Stores a record id: as its value when it is 32 lowercase hex digits (exact: such an id and its value
    /// determine each other), else as bytes in the arena.
    @inline(__always)
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

    /// The (provider, model) pair's triple, priced-name lookup cached per pair.
    mutating func modelKey(provider: Int32, model: Int32, pricing: any AuditPricing) -> Int32 {
        let key = UInt64(UInt32(bitPattern: provider)) << 32 | UInt64(UInt32(bitPattern: model))
        // Records of one model come in runs: the last pair answers most lookups without hashing.
        if key == 0 { return 0 }
        if key == lastModelPair, lastModelKey >= 0 { return lastModelKey }
        let id = Int32(truncatingIfNeeded: models.count)
        let found = modelIndex.insert(key, next: id)
        if found != id {
            lastModelPair = key
            lastModelKey = found
            return found
        }
        var canonical: Int32 = 0
        if provider != 0, model != 0,
            let name = pricing.canonicalModel(provider: strings[provider], model: strings[model])
        {
            canonical = strings.id(name)
        }
        models.append(ModelTriple(provider: provider, model: model, canonical: canonical))
        modelNameCache.append(nil)
        return id
    }

    /// The provider and model names of a model key, as `String`s (built once per key).
    mutating func modelNames(_ key: Int32) -> (provider: String, model: String) {
        if let names = modelNameCache[Int(key)] { return names }
        let triple = models[Int(key)]
        let names = (strings[triple.provider], strings[triple.model])
        modelNameCache[Int(key)] = names
        return names
    }

    /// A service tier's name (built once per interned tier).
    mutating func tierName(_ id: Int32) -> String {
        if let name = tierNames[id] { return name }
        let name = strings[id]
        tierNames[id] = name
        return name
    }

    /// A record id's 32-bit hash for the deduplication table: equal ids give equal hashes.
    @inline(__always)
    func idHash(_ row: RecordRow) -> UInt32 {
        if row.idIsHex { return Self.hexIDHash(row) }
        return unsafe idArena.withUnsafeBufferPointer {
            unsafe ByteHash.hash(UnsafeBufferPointer(rebasing: $0[Int(row.idA)..<Int(row.idA + row.idB)]))
        }
    }

    /// ``idHash(_:)`` of a row whose id is kept as its 128-bit value.
    @inline(__always)
    static func hexIDHash(_ row: RecordRow) -> UInt32 {
        var h = (row.idA ^ (row.idB &* 0x9E37_79B9_7F4A_7C15)) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// A record id's bytes as the ledger has them.
    func recordIDBytes(_ index: Int) -> [UInt8] {
        let row = rows[index]
        if row.idIsHex { return Self.hexBytes(row.idA) + Self.hexBytes(row.idB) }
        return Array(idArena[Int(row.idA)..<Int(row.idA + row.idB)])
    }

    static func hexBytes(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        Hex.append(value, to: &bytes)
        return bytes
    }

    /// Whether two rows of this table have the same record id.
    @inline(__always)
    func sameID(_ a: RecordRow, _ b: RecordRow) -> Bool {
        if a.idIsHex != b.idIsHex { return false }  // a 32-hex id is never stored as bytes
        if a.idIsHex { return a.idA == b.idA && a.idB == b.idB }
        return a.idB == b.idB && idArena[Int(a.idA)..<Int(a.idA + a.idB)] == idArena[Int(b.idA)..<Int(b.idA + b.idB)]
    }

    /// Renumbers this table's strings and model triples into `target`'s, in place.
    mutating func renumber(into target: inout LedgerTable, pricing: any AuditPricing) {
        var remap = [Int32](repeating: 0, count: strings.count)
        for (index, text) in strings.strings.enumerated() where index > 0 {
            remap[index] = target.strings.id(text)
        }
        var modelRemap = [Int32](repeating: 0, count: models.count)
        for (index, triple) in models.enumerated() where index > 0 {
            modelRemap[index] = target.modelKey(
                provider: remap[Int(triple.provider)],
                model: remap[Int(triple.model)],
                pricing: pricing
            )
        }
        for index in 0..<rows.count {
            rows[index].modelKey = modelRemap[Int(rows[index].modelKey)]
            rows[index].apiKey = remap[Int(rows[index].apiKey)]
        }
        for index in 0..<tuples.count { tuples[index] = remap[Int(tuples[index])] }
        for index in 0..<rowSeparate.count { rowSeparate[index] = remap[Int(rowSeparate[index])] }
        for index in rowTier.indices { rowTier[index] = remap[Int(rowTier[index])] }
        for index in rowTags.indices { rowTags[index] = remap[Int(rowTags[index])] }
        for index in rowTool.indices { rowTool[index] = remap[Int(rowTool[index])] }
        for index in rowPromptVersion.indices { rowPromptVersion[index] = remap[Int(rowPromptVersion[index])] }
        lastTuple = -1
        rehashTuples(capacity: tupleSlots.count)
        strings = Interner()
        lastInterned = InlineArray(repeating: 0)
        lastLength = InlineArray(repeating: -1)
        priceSlots = []
        bandedPrices = []
        models = []
        modelIndex = WordMap()
        lastModelKey = -1
        modelNameCache = []
        tierNames = [:]
    }
}

/// Every reader's table seen as one: row `i` of the audit is row `i − base` of the part holding it. Parts
/// after the first have their strings renumbered into the first's, so interned ids mean the same everywhere.
// @safe: the store's row buffers are `RowBuffer`s it owns; rows are read by index within their counts.
@safe struct RecordStore {
    private(set) var parts: [LedgerTable]
    private var bases: [Int]
    let count: Int
    let fields: [AttributionField]

    init(parts input: consuming [LedgerTable], fields: [AttributionField], pricing: any AuditPricing) {
        var rest = input
        var first = rest.isEmpty ? LedgerTable(fields: fields) : rest.removeFirst()
        for index in rest.indices { rest[index].renumber(into: &first, pricing: pricing) }
        rest.insert(first, at: 0)
        let parts = rest
        self.parts = parts
        var bases: [Int] = []
        var total = 0
        for part in parts {
            bases.append(total)
            total += part.rows.count
        }
        self.bases = bases
        self.count = total
        self.fields = fields
        unsafe rowBases = unsafe parts.map(unsafe \.rows.base)
        unsafe rowTupleBases = unsafe parts.map(unsafe \.rowTuples.base)
        unsafe tupleBases = unsafe parts.map(unsafe \.tuples.base)
        unsafe rowSeparateBases = unsafe parts.map(unsafe \.rowSeparate.base)
        separateField = parts.first?.separateField ?? -1
        split = parts.count > 1 ? bases[1] : total
        usageColumns = parts.map(\.rowUsage)
        tierColumns = parts.map(\.rowTier)
        tagColumns = parts.map(\.rowTags)
        toolColumns = parts.map(\.rowTool)
        promptVersionColumns = parts.map(\.rowPromptVersion)
    }

    /// Each part's report columns (``LedgerTable/keepsReportColumns``), read without copying a part.
    private let usageColumns: [[TokenUsage]]
    private let tierColumns: [[Int32]]
    private let tagColumns: [[Int32]]
    private let toolColumns: [[Int32]]
    private let promptVersionColumns: [[Int32]]

    /// Each part's rows and values where they lie: the parts own them and are never appended to again, so
    /// the pointers stay valid as long as the store.
    private let rowBases: [UnsafeMutablePointer<RecordRow>]
    private let rowTupleBases: [UnsafeMutablePointer<Int32>]
    private let tupleBases: [UnsafeMutablePointer<Int32>]
    private let rowSeparateBases: [UnsafeMutablePointer<Int32>]
    /// ``LedgerTable/separateField`` (the same in every part: they track the same fields).
    private let separateField: Int
    /// Where the second part starts (the common case is two parts, one per reader).
    private let split: Int

    var fieldCount: Int { fields.count }
    var strings: Interner {
        get { parts[0].strings }
        set { parts[0].strings = newValue }
    }
    var models: [ModelTriple] { parts[0].models }

    @inline(__always)
    private func locate(_ index: Int) -> (part: Int, local: Int) {
        if index < split { return (0, index) }
        var part = bases.count - 1
        while index < bases[part] { part -= 1 }
        return (part, index - bases[part])
    }

    subscript(index: Int) -> RecordRow {
        if index < split { return unsafe rowBases[0][index] }
        let (part, local) = locate(index)
        return unsafe rowBases[part][local]
    }

    /// The exact cost of row `index` (`row` is that row).
    @inline(__always)
    func cost(_ index: Int, _ row: RecordRow) -> Int128 {
        guard row.costIsWide else { return Int128(row.cost64) }
        return parts[locate(index).part].cost(row)
    }

    /// The token count of row `index` (`row` is that row).
    @inline(__always)
    func tokens(_ index: Int, _ row: RecordRow) -> Int64 {
        guard row.tokensAreWide else { return Int64(row.tokens32) }
        return parts[locate(index).part].tokens(row)
    }

    /// Calls `body` with every row in order: its index, the row, and the part holding it.
    @inline(__always)
    func forEachRow(_ body: (Int, RecordRow, LedgerTable) -> Void) {
        for (number, part) in parts.enumerated() {
            let base = bases[number]
            let rows = unsafe rowBases[number]
            for local in 0..<part.rows.count { unsafe body(base + local, rows[local], part) }
        }
    }

    /// The tracked values of row `index`, ``fieldCount`` of them (at most the ten attribution fields), found
    /// with one lookup of the part holding the row.
    @inline(__always)
    func values(_ index: Int) -> InlineArray<10, Int32> {
        let (part, local) = locate(index)
        var values = InlineArray<10, Int32>(repeating: 0)
        let tuple = unsafe tupleBases[part] + Int(rowTupleBases[part][local]) * fieldCount
        for f in 0..<min(fieldCount, 10) { values[f] = unsafe tuple[f] }
        if separateField >= 0 { values[separateField] = unsafe rowSeparateBases[part][local] }
        return values
    }

    /// Tracked field `field` of row `index` (0 when absent).
    @inline(__always)
    func value(_ index: Int, _ field: Int) -> Int32 {
        let (part, local) = locate(index)
        if field == separateField { return unsafe rowSeparateBases[part][local] }
        return unsafe tupleBases[part][Int(rowTupleBases[part][local]) * fieldCount + field]
    }

    func recordIDBytes(_ index: Int) -> [UInt8] {
        let (part, local) = locate(index)
        return parts[part].recordIDBytes(local)
    }

    /// Row `index`'s token counts, service tier and tags (``LedgerTable/keepsReportColumns``); zeros when the
    /// rows do not keep them.
    func reportColumns(
        _ index: Int
    ) -> (
        usage: TokenUsage, tier: Int32, tags: Int32, tool: Int32, promptVersion: Int32
    ) {
        let (part, local) = locate(index)
        guard part < usageColumns.count, local < usageColumns[part].count else { return (TokenUsage(), 0, 0, 0, 0) }
        return (
            usageColumns[part][local], tierColumns[part][local], tagColumns[part][local], toolColumns[part][local],
            promptVersionColumns[part][local]
        )
    }

    /// The record id hash of row `index` (see ``LedgerTable/idHash(_:)``).
    func idHash(_ index: Int) -> UInt32 { idHash(index, self[index]) }

    /// The record id hash of row `index`, which is `row`.
    @inline(__always)
    func idHash(_ index: Int, _ row: RecordRow) -> UInt32 {
        if row.idIsHex { return LedgerTable.hexIDHash(row) }
        return parts[locate(index).part].idHash(row)
    }

    /// Whether rows `a` and `b` have the same record id.
    func sameID(_ a: Int, _ b: Int) -> Bool {
        let (pa, la) = locate(a)
        let (pb, lb) = locate(b)
        let ra = unsafe rowBases[pa][la]
        let rb = unsafe rowBases[pb][lb]
        if ra.idIsHex || rb.idIsHex { return ra.idIsHex == rb.idIsHex && ra.idA == rb.idA && ra.idB == rb.idB }
        if pa == pb { return parts[pa].sameID(ra, rb) }
        return recordIDBytes(a) == recordIDBytes(b)
    }

    /// Compares two rows' record ids bytewise (hex ids compare as their values do: digits sort before letters).
    func recordIDLess(_ a: Int, _ b: Int) -> Bool {
        let ra = self[a]
        let rb = self[b]
        if ra.idIsHex, rb.idIsHex { return ra.idA != rb.idA ? ra.idA < rb.idA : ra.idB < rb.idB }
        return recordIDBytes(a).lexicographicallyPrecedes(recordIDBytes(b))
    }

    func provider(_ row: RecordRow) -> Int32 { models[Int(row.modelKey)].provider }
    func model(_ row: RecordRow) -> Int32 { models[Int(row.modelKey)].model }
    func canonicalModel(_ row: RecordRow) -> Int32 {
        let triple = models[Int(row.modelKey)]
        return triple.canonical != 0 ? triple.canonical : triple.model
    }

    var ledgerBytes: Int64 { parts.reduce(0) { $0 &+ $1.ledgerBytes } }
    var skippedLines: Int { parts.reduce(0) { $0 &+ $1.skippedLines } }
    var skippedKinds: Int { parts.reduce(0) { $0 &+ $1.skippedKinds } }
    var invalidRecordCount: Int { parts.reduce(0) { $0 &+ $1.invalidRecordCount } }
    var invalidRecords: [InvalidRecord] { Array(parts.flatMap(\.invalidRecords).prefix(InvalidRecord.maxListed)) }
}

/// A complete JSON object in a ledger that breaks the record format: skipped, counted and listed.
public struct InvalidRecord: Sendable, Hashable {
    /// The ledger file.
    public var file: String
    /// The 1-based line.
    public var line: Int
    /// The field at fault.
    public var field: String?
    /// Why the record was refused.
    public var reason: String

    /// Creates an entry.
    public init(file: String, line: Int, field: String?, reason: String) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
    }

    /// At most this many are listed in a report; all are counted.
    public static let maxListed = 10
}

/// A ledger line that is not one complete JSON object (a torn last line), or over 64 KiB: skipped, counted,
/// and the first ``maxListed`` listed with where they are.
public struct SkippedLine: Sendable, Hashable, CustomStringConvertible {
    /// The ledger file.
    public var file: String
    /// The 1-based line.
    public var line: Int
    /// Why the line was skipped.
    public var reason: String

    /// Creates an entry.
    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// At most this many are listed in a report, the first in file order; all are counted.
    public static let maxListed = 10

    /// `FILE:LINE: reason`.
    public var description: String { "\(file):\(line): \(reason)" }
}

/// An append-only buffer of plain values that owns its memory: whoever holds the buffer may hold a pointer to
/// its elements until the next append. The audit's rows live in these, so the phases after reading index them
/// through plain pointers. A reader thread fills one and hands it over whole when done; from then on it is
/// only read (and, single-threaded, renumbered), which is what makes the unchecked `Sendable` sound.
// @safe: a growable buffer of plain values; every access is within `count`, and it is written by one
// thread at a time (its owner while ingesting) and only read afterwards.
@safe final class RowBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
        unsafe base = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    func append(_ element: Element) {
        if count == capacity { grow(to: capacity * 2) }
        unsafe (base + count).initialize(to: element)
        count += 1
    }

    /// Makes room for `total` elements in all.
    func reserve(_ total: Int) {
        if total > capacity { grow(to: total) }
    }

    private func grow(to newCapacity: Int) {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        unsafe bigger.moveInitialize(from: base, count: count)
        unsafe base.deallocate()
        unsafe base = unsafe bigger
        capacity = newCapacity
    }

    subscript(index: Int) -> Element {
        @inline(__always) get {
            precondition(index >= 0 && index < count, "row index out of range")
            return unsafe base[index]
        }
        @inline(__always) set {
            precondition(index >= 0 && index < count, "row index out of range")
            unsafe base[index] = newValue
        }
    }

    deinit { unsafe base.deallocate() }
}
