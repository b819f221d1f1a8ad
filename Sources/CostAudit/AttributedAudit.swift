public import Attribution
public import CostLedger

/// One deduplicated record in the audit's window as the audit decided it: its required fields filled where its
/// class allows (docs/audit.md, "The five classes"), its dollars as the audit priced them, and its class.
public struct AttributedRecord: Sendable {
    /// The record, with the required fields the audit filled (from its unit, its lineage, a rule or the key map).
    public var record: CostRecord
    /// The record's dollars as the audit counts them: priced from its tokens with the audit's price table, its
    /// stored `cost_usd` when the table lacks the model, zero for a `unit` record or an unpriced call.
    public var usd: Money
    /// Its class.
    public var attributionClass: AttributionClass
    /// Why its dollars are unknown, for class `unknown`; nil otherwise.
    public var unknownReason: UnknownReason?
    /// The model as the price table names it (after name matching: `gpt-4.1-2025-04-14` is `gpt-4.1`), the
    /// name the unrecorded spend of the same model carries; the recorded name when the table lacks the model.
    public var pricedModel: String?

    /// Creates an attributed record.
    public init(
        record: CostRecord,
        usd: Money,
        attributionClass: AttributionClass,
        unknownReason: UnknownReason? = nil,
        pricedModel: String? = nil
    ) {
        self.record = record
        self.usd = usd
        self.attributionClass = attributionClass
        self.unknownReason = unknownReason
        self.pricedModel = pricedModel ?? record.model
    }
}

/// Spend on the bill that no record carries: the positive gap of one reconciliation cell (UTC day, provider,
/// model after name matching, API key), docs/audit.md, "Reconciliation with the bill". It is known per day
/// only.
public struct UnrecordedSpend: Sendable, Hashable {
    /// The UTC day, at midnight.
    public var day: UTCTimestamp
    public var provider: String
    /// The model as the price table names it.
    public var model: String
    /// The paying key; nil for usage rows without one.
    public var apiKeyID: String?
    /// The key's team and project when the key map assigns the key: the spend is then `key_allocated`.
    public var owner: AuditKeyMap.Owner?
    public var usd: Money

    /// `key_allocated` when the key map assigns the key, else `unknown` (reason `unrecorded`).
    public var attributionClass: AttributionClass { owner == nil ? .unknown : .keyAllocated }

    /// Creates a cell's unrecorded spend.
    public init(
        day: UTCTimestamp,
        provider: String,
        model: String,
        apiKeyID: String?,
        owner: AuditKeyMap.Owner?,
        usd: Money
    ) {
        self.day = day
        self.provider = provider
        self.model = model
        self.apiKeyID = apiKeyID
        self.owner = owner
        self.usd = usd
    }
}

/// An audit that kept what it decided for every record (``Auditor/attribute(_:columns:progress:)``): the report, the
/// records with their filled fields and classes, and the unrecorded spend. Every dollar of
/// ``AuditReport/classes`` is in exactly one record or one unrecorded cell, so sums over both add up to
/// ``AuditReport/classifiedUSD`` exactly.
public struct AttributedAudit {
    let engine: AuditEngine
    let ledger: AuditLedgerSource
    let fields: [AttributionField]

    /// The audit's report.
    public let report: AuditReport
    /// The unrecorded spend, by day, provider, model and key (in that order; bytewise within each).
    public let unrecorded: [UnrecordedSpend]

    init(engine: AuditEngine, ledger: AuditLedgerSource, fields: [AttributionField], keyMap: AuditKeyMap) {
        self.engine = engine
        self.ledger = ledger
        self.fields = fields
        self.report = engine.report
        let strings = engine.table.strings
        var cells: [UnrecordedSpend] = []
        cells.reserveCapacity(engine.unrecorded.count)
        for (cell, amount, allocated) in engine.unrecorded {
            let key = cell.key == 0 ? nil : strings[cell.key]
            cells.append(
                UnrecordedSpend(
                    day: UTCTimestamp(nanosecondsSinceEpoch: cell.day * 86_400_000_000_000),
                    provider: strings[cell.provider],
                    model: strings[cell.model],
                    apiKeyID: key,
                    owner: allocated ? key.flatMap { keyMap.owners[$0] } : nil,
                    usd: Money(attodollars: amount)
                )
            )
        }
        unrecorded = cells.sorted { a, b in
            if a.day != b.day { return a.day < b.day }
            if a.provider != b.provider { return Array(a.provider.utf8).lexicographicallyPrecedes(b.provider.utf8) }
            if a.model != b.model { return Array(a.model.utf8).lexicographicallyPrecedes(b.model.utf8) }
            return Array((a.apiKeyID ?? "").utf8).lexicographicallyPrecedes((b.apiKeyID ?? "").utf8)
        }
    }

    /// Calls `body` with every deduplicated record in the window, in the ledger's order (file by file, line by
    /// line), reading the ledger again: memory stays the audit's, whatever the ledger's size.
    ///
    /// - Throws: ``CostAuditError/Code/invalidLedger`` when a ledger file can no longer be read the way the
    ///   audit read it.
    public func forEachRecord(_ body: (AttributedRecord) -> Void) throws(CostAuditError) {
        let engine = engine
        try AttributedWriter.forEachRecord(engine: engine, ledger: ledger, fields: fields) { record, row in
            let outcome = engine.outcomes[row]
            let stored = engine.table[row]
            let usd: Int128 = stored.isUnit || stored.pricing == .unpriced ? 0 : engine.table.cost(row, stored)
            let attributionClass = AttributionClass.all[Int(outcome.classIndex)]
            let model = engine.table.canonicalModel(stored)
            body(
                AttributedRecord(
                    record: record,
                    usd: Money(attodollars: usd),
                    attributionClass: attributionClass,
                    unknownReason: attributionClass == .unknown ? UnknownReason.all[Int(outcome.reasonIndex)] : nil,
                    pricedModel: model == 0 ? nil : engine.table.strings[model]
                )
            )
        }
        withExtendedLifetime(engine.ledger.spool) {}
    }
}

/// Where a field's value of a record lies in the audit's rows (``AttributedAudit/fieldSource(_:)``).
package enum AuditFieldSource: Sendable, Hashable {
    /// A required field: the value the audit filled, the `k`th of the record's required values.
    case filled(Int)
    /// A tracked field that is not required: the record's own value, the `k`th tracked one.
    case own(Int)
    /// `tool` or `prompt_version`, kept per row beside the tracked tuple.
    case tool
    case promptVersion
    /// A field the rows do not keep: no value.
    case none
}

extension AttributedAudit {
    /// A reader of the audit's rows for the reports: one object, so that reading a row copies nothing.
    package func rowReader() -> AuditRowReader {
        AuditRowReader(
            store: engine.table,
            alive: engine.alive,
            inWindow: engine.inWindow,
            outcomes: engine.outcomes,
            emitted: engine.emitted,
            required: engine.required,
            fields: fields
        )
    }
}

/// The rows of an attributed audit as the reports read them, in place: the rows of every deduplicated,
/// classified record in the window, and each row's columns (token counts, tier and tags included:
/// ``Auditor/attribute(_:columns:progress:)`` keeps them). Strings are the audit's interned ids, 0 for none.
package final class AuditRowReader {
    private let store: RecordStore
    private let alive: [Bool]
    private let inWindow: SharedBuffer<Bool>
    private let outcomes: SharedBuffer<RecordOutcome>
    private let emitted: SharedBuffer<Int32>
    private let required: Int
    private let fields: [AttributionField]

    init(
        store: RecordStore,
        alive: [Bool],
        inWindow: SharedBuffer<Bool>,
        outcomes: SharedBuffer<RecordOutcome>,
        emitted: SharedBuffer<Int32>,
        required: Int,
        fields: [AttributionField]
    ) {
        self.store = store
        self.alive = alive
        self.inWindow = inWindow
        self.outcomes = outcomes
        self.emitted = emitted
        self.required = required
        self.fields = fields
    }

    /// How many strings the audit interned; ids run from 1 up to this count, exclusive.
    package var stringCount: Int { store.strings.count }

    /// The string an id of the rows names ("" for 0).
    package func string(_ id: Int32) -> String { id == 0 ? "" : store.strings[id] }

    /// The id of `text` among the audit's strings, nil when the audit never saw it.
    package func stringID(_ text: String) -> Int32? { store.strings.existingID(text) }

    /// The record id of the audit's row `index`.
    package func recordID(ofRow index: Int) -> String {
        String(decoding: store.recordIDBytes(index), as: UTF8.self)
    }

    /// The number of the audit's rows, dropped copies and records outside the window included.
    package var rowCount: Int { store.count }

    /// The rows of every deduplicated, classified record in the window among the audit's rows `range`, in the
    /// audit's row order (file by file, line by line, reader by reader): each range can be read on a thread of its
    /// own.
    package func recordRows(in range: Range<Int>) -> [Int32] {
        let classes = AttributionClass.all.count
        var rows: [Int32] = []
        rows.reserveCapacity(range.count)
        for index in range where alive[index] && inWindow[index] && Int(outcomes[index].classIndex) < classes {
            rows.append(Int32(truncatingIfNeeded: index))
        }
        return rows
    }

    /// The number of bytes of row `index`'s record id, read without the id itself.
    package func recordIDByteCount(ofRow index: Int) -> Int {
        let stored = store[index]
        return stored.idIsHex ? 32 : Int(stored.idB)
    }

    /// Whether the rows keep their tags: otherwise ``tags(ofRow:)`` is 0 for every row.
    package var keepsTags: Bool { store.keepsTags }

    /// Where `field`'s value lies in the rows: the filled value for a required field, the record's own for
    /// another tracked one.
    package func fieldSource(_ field: AttributionField) -> AuditFieldSource {
        if let k = fields.prefix(10).firstIndex(of: field) {
            return k < required ? .filled(k) : .own(k)
        }
        if field == .tool { return .tool }
        if field == .promptVersion { return .promptVersion }
        return .none
    }

    /// Row `index`'s value of a field, as the audit filled it (0: none).
    package func value(_ source: AuditFieldSource, ofRow index: Int) -> Int32 {
        switch source {
        case .filled(let k): emitted[index * required + k]
        case .own(let k): store.value(index, k)
        case .tool: store.tool(index)
        case .promptVersion: store.promptVersion(index)
        case .none: 0
        }
    }

    /// `source`'s value in each of the rows `indices`, appended to `ids` in order: ``value(_:ofRow:)`` for a
    /// block of rows, with where the values lie decided once for the block rather than once per row.
    package func values(_ source: AuditFieldSource, ofRows indices: ArraySlice<Int32>, into ids: inout [Int32]) {
        switch source {
        case .filled(let k):
            for index in indices { ids.append(emitted[Int(index) * required + k]) }
        case .own(let k):
            for index in indices { ids.append(store.value(Int(index), k)) }
        case .tool:
            for index in indices { ids.append(store.tool(Int(index))) }
        case .promptVersion:
            for index in indices { ids.append(store.promptVersion(Int(index))) }
        case .none:
            ids.append(contentsOf: repeatElement(0, count: indices.count))
        }
    }

    /// Row `index`'s time: `started_at`, else `ts`, in nanoseconds.
    package func time(ofRow index: Int) -> Int64 { store[index].when }

    /// Row `index`'s time, dollars, kind, attempt and task, found with one lookup of the row: what a report reads
    /// of every row, in one call instead of one per column.
    package func scalars(ofRow index: Int) -> AuditRowScalars {
        let stored = store[index]
        return AuditRowScalars(
            time: stored.when,
            attodollars: stored.isUnit || stored.pricing == .unpriced ? 0 : store.cost(index, stored),
            isCall: !stored.isUnit,
            attempt: stored.attempt,
            lineage: stored.root != 0 ? stored.root : stored.leaf
        )
    }

    /// Row `index`'s dollars as the audit counts them (zero for a `unit` record or an unpriced call).
    package func attodollars(ofRow index: Int) -> Int128 {
        let stored = store[index]
        return stored.isUnit || stored.pricing == .unpriced ? 0 : store.cost(index, stored)
    }

    /// Whether row `index` is a model call (not a `unit` record).
    package func isCall(row index: Int) -> Bool { !store[index].isUnit }

    /// Row `index`'s attempt (1 when the record has none).
    package func attempt(ofRow index: Int) -> Int32 { store[index].attempt }

    /// Row `index`'s task as a leaf id: its `root_id`, else its `leaf_id`; 0 when it has neither.
    package func lineage(ofRow index: Int) -> UInt64 {
        let stored = store[index]
        return stored.root != 0 ? stored.root : stored.leaf
    }

    /// Row `index`'s class, as an index into ``Attribution/AttributionClass/all``.
    package func classIndex(ofRow index: Int) -> Int { Int(outcomes[index].classIndex) }

    /// Row `index`'s provider, the model as the price table names it (else as recorded), its key and tier.
    package func provider(ofRow index: Int) -> Int32 { store.provider(store[index]) }
    package func model(ofRow index: Int) -> Int32 { store.canonicalModel(store[index]) }
    package func apiKey(ofRow index: Int) -> Int32 { store[index].apiKey }
    package func serviceTier(ofRow index: Int) -> Int32 { store.tier(index) }

    /// Row `index`'s tags: the interned text of the object's members, between its braces (0: none).
    package func tags(ofRow index: Int) -> Int32 { store.tags(index) }

    /// Row `index`'s token counts.
    package func usage(ofRow index: Int) -> TokenUsage { store.usage(index) }
}

/// The columns of one audit row that every report reads (``AuditRowReader/scalars(ofRow:)``).
package struct AuditRowScalars: Sendable {
    /// `started_at`, else `ts`, in nanoseconds.
    package var time: Int64
    /// The dollars as the audit counts them (zero for a `unit` record or an unpriced call).
    package var attodollars: Int128
    /// Whether it is a model call (not a `unit` record).
    package var isCall: Bool
    /// The attempt (1 when the record has none).
    package var attempt: Int32
    /// The task as a leaf id: `root_id`, else `leaf_id`; 0 when it has neither.
    package var lineage: UInt64
}
