import Attribution
import CostLedger

// The audit's row storage: ``RowBuffer``, an append-only buffer of plain values over memory it allocates and
// frees itself, and ``RecordStore``, which reads every reader's rows through their buffers' base pointers.
//
// What keeps it safe: a row buffer writes only at `count`, after growing to fit, and reads only below `count`
// (its subscript checks); it is written by one thread at a time (its reader while ingesting) and only read once
// handed over, which is what makes its unchecked `Sendable` sound. The store takes its parts' base pointers once
// the parts are final (renumbered, never appended to again, so no buffer moves) and keeps the parts, which own
// the buffers, as long as itself; it reads a part's rows only below that part's row count (``RecordStore`` maps
// an audit row below ``RecordStore/count`` to its part and local index), and tuples at the index a row holds,
// which its part stored in full.

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
        wideUsageColumns = parts.map(\.wideUsage)
        tierColumns = parts.map(\.rowTier)
        tagColumns = parts.map(\.rowTags)
        toolColumns = parts.map(\.rowTool)
        promptVersionColumns = parts.map(\.rowPromptVersion)
        idArenas = parts.map(\.idArena)
    }

    /// Each part's record id bytes (``LedgerTable/idArena``).
    private let idArenas: [[UInt8]]

    /// Each part's report columns (``LedgerTable/reportColumns``), read without copying a part.
    private let usageColumns: [[ReportUsage]]
    private let wideUsageColumns: [[TokenUsage]]
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

    private func locate(_ index: Int) -> (part: Int, local: Int) {
        if index < split { return (0, index) }
        var part = bases.count - 1
        while index < bases[part] { part -= 1 }
        return (part, index - bases[part])
    }

    subscript(index: Int) -> RecordRow {
        @inline(__always) get {
            if index < split { return unsafe rowBases[0][index] }
            let (part, local) = locate(index)
            return unsafe rowBases[part][local]
        }
    }

    /// The exact cost of row `index` (`row` is that row).
    func cost(_ index: Int, _ row: RecordRow) -> Int128 {
        guard row.costIsWide else { return Int128(row.cost64) }
        return parts[locate(index).part].cost(row)
    }

    /// The token count of row `index` (`row` is that row).
    func tokens(_ index: Int, _ row: RecordRow) -> Int64 {
        guard row.tokensAreWide else { return Int64(row.tokens32) }
        return parts[locate(index).part].tokens(row)
    }

    /// Calls `body` with every row in order: its index, the row, and the part holding it.
    func forEachRow(_ body: (Int, RecordRow, LedgerTable) -> Void) {
        for (number, part) in parts.enumerated() {
            let base = bases[number]
            let rows = unsafe rowBases[number]
            for local in 0..<part.rows.count { unsafe body(base + local, rows[local], part) }
        }
    }

    /// The tracked values of row `index`, ``fieldCount`` of them (at most the ten attribution fields), found
    /// with one lookup of the part holding the row.
    func values(_ index: Int) -> InlineArray<10, Int32> {
        let (part, local) = locate(index)
        var values = InlineArray<10, Int32>(repeating: 0)
        let tuple = unsafe tupleBases[part] + Int(rowTupleBases[part][local]) * fieldCount
        for f in 0..<min(fieldCount, 10) { values[f] = unsafe tuple[f] }
        if separateField >= 0 { values[separateField] = unsafe rowSeparateBases[part][local] }
        return values
    }

    /// Tracked field `field` of row `index` (0 when absent).
    func value(_ index: Int, _ field: Int) -> Int32 {
        let (part, local) = locate(index)
        if field == separateField { return unsafe rowSeparateBases[part][local] }
        return unsafe tupleBases[part][Int(rowTupleBases[part][local]) * fieldCount + field]
    }

    /// Row `index`'s record id, as the ledger has it: read from the part's row and id bytes without copying the
    /// part (a copy of a table retains and releases each of its arrays).
    func recordIDBytes(_ index: Int) -> [UInt8] {
        let (part, local) = locate(index)
        return LedgerTable.recordIDBytes(of: unsafe rowBases[part][local], arena: idArenas[part])
    }

    /// Whether the rows keep their tags (``AuditReportColumns/tags``).
    var keepsTags: Bool { tagColumns.contains { !$0.isEmpty } }

    /// Row `index`'s token counts (``LedgerTable/reportColumns``); zeros when the rows do not keep them.
    func usage(_ index: Int) -> TokenUsage {
        let (part, local) = locate(index)
        guard part < usageColumns.count, local < usageColumns[part].count else { return TokenUsage() }
        return usageColumns[part][local].usage(wide: wideUsageColumns[part])
    }

    /// Row `index`'s interned service tier, tags text, `tool` and `prompt_version`
    /// (``LedgerTable/reportColumns``); 0 when it has none or the rows do not keep them.
    func tier(_ index: Int) -> Int32 { value(in: tierColumns, index) }
    func tags(_ index: Int) -> Int32 { value(in: tagColumns, index) }
    func tool(_ index: Int) -> Int32 { value(in: toolColumns, index) }
    func promptVersion(_ index: Int) -> Int32 { value(in: promptVersionColumns, index) }

    private func value(in columns: [[Int32]], _ index: Int) -> Int32 {
        let (part, local) = locate(index)
        guard part < columns.count, local < columns[part].count else { return 0 }
        return columns[part][local]
    }

    /// The record id hash of row `index` (see ``LedgerTable/idHash(_:)``).
    func idHash(_ index: Int) -> UInt32 { idHash(index, self[index]) }

    /// The record id hash of row `index`, which is `row`.
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
        get {
            precondition(index >= 0 && index < count, "row index out of range")
            return unsafe base[index]
        }
        set {
            precondition(index >= 0 && index < count, "row index out of range")
            unsafe base[index] = newValue
        }
    }

    deinit { unsafe base.deallocate() }
}
