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
    /// The tuple table (``tuple(_:)``): open addressing, each slot a tuple's index + 1 (0: free); the number
    /// of tuples; the tuple found last (-1: none).
    var tupleSlots = [Int32](repeating: 0, count: 1024)
    var tupleCount = 0
    var lastTuple: Int32 = -1
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

    /// What the rows keep that only the reports read (docs/reports.md): any of each row's token counts by class,
    /// service tier, tags, `tool` and `prompt_version`. None for the audit alone.
    let reportColumns: AuditReportColumns
    /// Per row, when ``reportColumns`` has ``AuditReportColumns/tokens``: its token counts, 32 bits each
    /// (``ReportUsage``).
    var rowUsage: [ReportUsage] = []
    /// The token counts of rows with a count beyond 32 bits, by the index their ``ReportUsage`` holds.
    var wideUsage: [TokenUsage] = []
    /// Per row, when ``reportColumns`` has it: its interned service tier (0: none).
    var rowTier: [Int32] = []
    /// Per row, when ``reportColumns`` has them: its tags as the interned text of the object's members, between
    /// the braces (0: none), parsed once per distinct text by whoever reads them.
    var rowTags: [Int32] = []
    /// Per row, when ``reportColumns`` has them: its interned `tool` and `prompt_version` (0: none), kept apart from
    /// the tracked tuple because they change from call to call: in the tuple they would multiply its distinct
    /// values and cost a tuple lookup per row.
    var rowTool: [Int32] = []
    var rowPromptVersion: [Int32] = []

    init(fields: [AttributionField], reportColumns: AuditReportColumns = []) {
        self.reportColumns = reportColumns
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
        let id = storeID(record.recordID)
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
        if !reportColumns.isEmpty {
            if reportColumns.contains(.tokens) { appendUsage(record.usage) }
            if reportColumns.contains(.serviceTier) { rowTier.append(record.serviceTier.map { strings.id($0) } ?? 0) }
            if reportColumns.contains(.tags) {
                rowTags.append(record.tags.isEmpty ? 0 : strings.id(Self.tagMembers(record.tags)))
            }
            if reportColumns.contains(.tool) { rowTool.append(record.attribution[.tool].map { strings.id($0) } ?? 0) }
            if reportColumns.contains(.promptVersion) {
                rowPromptVersion.append(record.attribution[.promptVersion].map { strings.id($0) } ?? 0)
            }
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

    /// Keeps a row's token counts for the reports: in 32 bits each when they fit, else in ``wideUsage``.
    mutating func appendUsage(_ usage: TokenUsage) {
        if let compact = ReportUsage(usage) {
            rowUsage.append(compact)
        } else {
            rowUsage.append(ReportUsage(wide: wideUsage.count))
            wideUsage.append(usage)
        }
    }

    /// Appends a row's tracked values: the separate field to its column, the rest as a tuple.
    mutating func appendValues(_ values: inout InlineArray<10, Int32>) {
        if separateField >= 0 {
            rowSeparate.append(values[separateField])
            values[separateField] = 0
        }
        rowTuples.append(tuple(values))
    }

    /// Packs a row, moving a cost or token count too wide for it to the side tables.
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
    func cost(_ row: RecordRow) -> Int128 { row.costIsWide ? wideCosts[Int(row.cost64)] : Int128(row.cost64) }

    /// The token count of a row of this table (see ``RecordRow/tokens32``).
    func tokens(_ row: RecordRow) -> Int64 { row.tokensAreWide ? wideTokens[Int(row.tokens32)] : Int64(row.tokens32) }

    /// `a + b` for counts that are never negative, saturated at `Int64.max` rather than wrapped.
    static func tokenSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    mutating func rehashTuples(capacity: Int) {
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

    /// Makes room for `count` rows in all, record ids kept as bytes included (at their average length so far), and
    /// the report columns kept.
    mutating func reserve(rows count: Int) {
        guard count > rows.count else { return }
        rows.reserve(count)
        rowTuples.reserve(count)
        if separateField >= 0 { rowSeparate.reserve(count) }
        // The columns only the reports read, sized as the rest: grown by doubling, each would be copied and held
        // twice on the way (a report's token counts, 24 bytes a row, most of all).
        if reportColumns.contains(.tokens) { rowUsage.reserveCapacity(count) }
        if reportColumns.contains(.serviceTier) { rowTier.reserveCapacity(count) }
        if reportColumns.contains(.tags) { rowTags.reserveCapacity(count) }
        if reportColumns.contains(.tool) { rowTool.reserveCapacity(count) }
        if reportColumns.contains(.promptVersion) { rowPromptVersion.reserveCapacity(count) }
        if !rows.isEmpty, !idArena.isEmpty {
            idArena.reserveCapacity(idArena.count + (count - rows.count) * (idArena.count / rows.count + 1))
        }
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

    /// ``idHash(_:)`` of a row whose id is kept as its 128-bit value.
    static func hexIDHash(_ row: RecordRow) -> UInt32 {
        var h = (row.idA ^ (row.idB &* 0x9E37_79B9_7F4A_7C15)) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// A record id's bytes as the ledger has them.
    func recordIDBytes(_ index: Int) -> [UInt8] {
        Self.recordIDBytes(of: rows[index], arena: idArena)
    }

    /// The bytes of `row`'s record id, whose bytes (unless it is 32 hex digits) lie in `arena`, its table's
    /// ``idArena``.
    static func recordIDBytes(of row: RecordRow, arena: [UInt8]) -> [UInt8] {
        if row.idIsHex { return hexBytes(row.idA) + hexBytes(row.idB) }
        return Array(arena[Int(row.idA)..<Int(row.idA + row.idB)])
    }

    static func hexBytes(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        Hex.append(value, to: &bytes)
        return bytes
    }

    /// Whether two rows of this table have the same record id.
    func sameID(_ a: RecordRow, _ b: RecordRow) -> Bool {
        if a.idIsHex != b.idIsHex { return false }  // a 32-hex id is never stored as bytes
        if a.idIsHex { return a.idA == b.idA && a.idB == b.idB }
        return a.idB == b.idB && idArena[Int(a.idA)..<Int(a.idA + a.idB)] == idArena[Int(b.idA)..<Int(b.idA + b.idB)]
    }

    /// Renumbers this table's strings and model triples into `target`'s, in place.
    mutating func renumber(into target: inout LedgerTable, pricing: any AuditPricing) {
        let remap = target.strings.absorb(&strings)
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

/// A row's token counts as the reports keep them (``LedgerTable/reportColumns``): 32 bits each, 24 bytes a
/// row instead of 48, since one call's counts are far below four billion. A row with a count that does not fit
/// is marked by an `input` of all ones and keeps its counts in ``LedgerTable/wideUsage``, at the index `output`
/// holds.
struct ReportUsage {
    var input: UInt32
    var output: UInt32
    var cachedInput: UInt32
    var cacheWrite: UInt32
    var cacheWrite1h: UInt32
    var reasoning: UInt32

    /// The counts in 32 bits; nil when one does not fit (or `input` is the mark).
    init?(_ usage: TokenUsage) {
        guard let input = UInt32(exactly: usage.input), input != .max,
            let output = UInt32(exactly: usage.output),
            let cachedInput = UInt32(exactly: usage.cachedInput),
            let cacheWrite = UInt32(exactly: usage.cacheWrite),
            let cacheWrite1h = UInt32(exactly: usage.cacheWrite1h),
            let reasoning = UInt32(exactly: usage.reasoning)
        else { return nil }
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.reasoning = reasoning
    }

    /// The mark of a row whose counts are at `index` of ``LedgerTable/wideUsage``.
    init(wide index: Int) {
        input = .max
        output = UInt32(truncatingIfNeeded: index)
        cachedInput = 0
        cacheWrite = 0
        cacheWrite1h = 0
        reasoning = 0
    }

    /// The counts, from `wide` for a marked row.
    func usage(wide: [TokenUsage]) -> TokenUsage {
        if input == .max { return Int(output) < wide.count ? wide[Int(output)] : TokenUsage() }
        return TokenUsage(
            input: Int64(input),
            output: Int64(output),
            cachedInput: Int64(cachedInput),
            cacheWrite: Int64(cacheWrite),
            cacheWrite1h: Int64(cacheWrite1h),
            reasoning: Int64(reasoning)
        )
    }
}
