import Attribution
import CostLedger

/// Strings seen in a ledger (attribution values, providers, models, keys), each stored once and named by a
/// small integer. Id 0 means "absent".
struct Interner {
    private(set) var ids: [String: Int32] = [:]
    private(set) var strings: [String] = [""]

    mutating func id(_ text: String) -> Int32 {
        if let id = ids[text] { return id }
        let id = Int32(truncatingIfNeeded: strings.count)
        strings.append(text)
        ids[text] = id
        return id
    }

    func existingID(_ text: String) -> Int32? { ids[text] }

    subscript(id: Int32) -> String { strings[Int(id)] }
}

/// A 128-bit digest of a record id: the deduplication key, so the ids themselves need not be hashed as strings.
struct RecordKey: Hashable {
    var high: UInt64
    var low: UInt64

    init(_ bytes: some Sequence<UInt8>) {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x9E37_79B9_7F4A_7C15
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b &+ UInt64(byte) &+ 1) &* 0xff51_afd7_ed55_8ccd
            b ^= b >> 31
        }
        high = a
        low = b
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

/// What the audit keeps of one ledger line: a few dozen bytes, never the line itself.
struct RecordRow {
    var key: RecordKey
    /// Where the record id's bytes sit in the table's arena (for the bytewise tie-break between units' records).
    var idStart: Int
    var idLength: Int32
    var line: Int32
    /// A digest of the line's bytes, to tell a true duplicate from a record id conflict.
    var fingerprint: UInt64
    var ts: Int64
    /// `started_at` when present, else `ts`: the instant that decides the day, the window and the price.
    var when: Int64
    var leaf: UInt64
    var parent: UInt64
    var root: UInt64
    var cost: Int128
    /// Unpriced records: their tokens; priced ones: cached tokens charged at the input price.
    var tokens: Int64
    var file: Int32
    var attempt: Int32
    var provider: Int32
    var model: Int32
    var canonicalModel: Int32
    var apiKey: Int32
    var isUnit: Bool
    var pricing: PricingOutcome
}

/// The compact, append-only state of the records read by one reader: rows, their tracked attribution values
/// (``fieldCount`` interned ids per row, 0 for absent), interned strings and record-id bytes.
struct LedgerTable {
    /// The tracked fields, required ones first.
    let fields: [AttributionField]
    var fieldCount: Int { fields.count }
    var rows: [RecordRow] = []
    var values: [Int32] = []
    var strings = Interner()
    var idArena: [UInt8] = []
    var ledgerBytes: Int64 = 0
    var skippedLines = 0
    var skippedKinds = 0
    var invalidRecords: [InvalidRecord] = []
    var invalidRecordCount = 0
    private var canonicalCache: [UInt64: Int32] = [:]

    init(fields: [AttributionField]) { self.fields = fields }

    /// Adds one record read from `file` at `line`.
    mutating func add(
        _ record: CostRecord,
        file: Int32,
        line: Int32,
        fingerprint: UInt64,
        pricing: any AuditPricing
    ) {
        let idStart = idArena.count
        idArena.append(contentsOf: record.recordID.utf8)
        let isUnit = record.kind == .unit
        let when = (record.startedAt ?? record.timestamp).nanosecondsSinceEpoch
        let provider = record.provider.map { strings.id($0) } ?? 0
        let model = record.model.map { strings.id($0) } ?? 0
        var canonical: Int32 = 0
        var cost: Int128 = 0
        var tokens: Int64 = 0
        var outcome = PricingOutcome.unpriced
        if !isUnit {
            if let providerName = record.provider, let modelName = record.model {
                canonical = canonicalModel(provider: provider, model: model, pricing: pricing)
                let instant = UTCTimestamp(nanosecondsSinceEpoch: when)
                if let quote = pricing.auditQuote(
                    provider: providerName,
                    model: modelName,
                    serviceTier: record.serviceTier,
                    usage: record.usage,
                    on: instant
                ) {
                    cost = quote.cost.attodollars
                    tokens = quote.cachedTokensAtInputPrice
                    outcome = .priced
                } else if canonical == 0, let stored = record.costUSD {
                    cost = stored.attodollars
                    outcome = .fromRecord
                }
            }
            if outcome == .unpriced { tokens = record.usage.input &+ record.usage.output }
            if canonical == 0 { canonical = model }
        }
        rows.append(
            RecordRow(
                key: RecordKey(record.recordID.utf8),
                idStart: idStart,
                idLength: Int32(truncatingIfNeeded: record.recordID.utf8.count),
                line: line,
                fingerprint: fingerprint,
                ts: record.timestamp.nanosecondsSinceEpoch,
                when: when,
                leaf: record.leafID?.rawValue ?? 0,
                parent: record.parentID?.rawValue ?? 0,
                root: record.rootID?.rawValue ?? 0,
                cost: cost,
                tokens: tokens,
                file: file,
                attempt: Int32(clamping: record.attempt ?? 1),
                provider: provider,
                model: model,
                canonicalModel: canonical,
                apiKey: record.apiKeyID.map { strings.id($0) } ?? 0,
                isUnit: isUnit,
                pricing: outcome
            )
        )
        for field in fields {
            values.append(record.attribution[field].map { strings.id($0) } ?? 0)
        }
    }

    /// The table's name for a model (interned), or 0 when the table lacks it. Cached per (provider, model).
    private mutating func canonicalModel(provider: Int32, model: Int32, pricing: any AuditPricing) -> Int32 {
        let key = UInt64(UInt32(bitPattern: provider)) << 32 | UInt64(UInt32(bitPattern: model))
        if let cached = canonicalCache[key] { return cached }
        var id: Int32 = 0
        if let name = pricing.canonicalModel(provider: strings[provider], model: strings[model]) {
            id = strings.id(name)
        }
        canonicalCache[key] = id
        return id
    }

    /// Appends another reader's table, renumbering its strings into this one's.
    mutating func append(_ other: LedgerTable) {
        var remap = [Int32](repeating: 0, count: other.strings.strings.count)
        for (index, text) in other.strings.strings.enumerated() where index > 0 {
            remap[index] = strings.id(text)
        }
        let arenaBase = idArena.count
        idArena.append(contentsOf: other.idArena)
        rows.reserveCapacity(rows.count + other.rows.count)
        for var row in other.rows {
            row.idStart += arenaBase
            row.provider = remap[Int(row.provider)]
            row.model = remap[Int(row.model)]
            row.canonicalModel = remap[Int(row.canonicalModel)]
            row.apiKey = remap[Int(row.apiKey)]
            rows.append(row)
        }
        values.reserveCapacity(values.count + other.values.count)
        for value in other.values { values.append(remap[Int(value)]) }
        ledgerBytes &+= other.ledgerBytes
        skippedLines &+= other.skippedLines
        skippedKinds &+= other.skippedKinds
        invalidRecordCount &+= other.invalidRecordCount
        invalidRecords.append(
            contentsOf: other.invalidRecords.prefix(max(0, InvalidRecord.maxListed - invalidRecords.count))
        )
    }

    /// Compares two rows' record ids bytewise.
    func recordIDLess(_ a: Int, _ b: Int) -> Bool {
        let ra = rows[a]
        let rb = rows[b]
        return idArena[ra.idStart..<(ra.idStart + Int(ra.idLength))]
            .lexicographicallyPrecedes(idArena[rb.idStart..<(rb.idStart + Int(rb.idLength))])
    }

    func recordID(_ index: Int) -> String {
        let row = rows[index]
        return String(decoding: idArena[row.idStart..<(row.idStart + Int(row.idLength))], as: UTF8.self)
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
    public static let maxListed = 1000
}
