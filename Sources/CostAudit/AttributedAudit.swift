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

/// An audit that kept what it decided for every record (``Auditor/attribute(_:progress:)``): the report, the
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

/// One record of an attributed audit as the reports read it from the audit's own rows, without reading the
/// ledger again: strings are the audit's interned ids (``AttributedAudit/string(_:)``), 0 for none.
package struct AuditRow {
    /// The audit's row index (``AttributedAudit/recordID(ofRow:)``).
    package var index: Int
    /// `started_at`, else `ts`, in nanoseconds.
    package var time: Int64
    package var usd: Int128
    /// A model call (not a `unit` record).
    package var isCall: Bool
    package var attributionClass: AttributionClass
    package var unknownReason: UnknownReason?
    package var leaf: UInt64
    package var root: UInt64
    package var attempt: Int32
    package var provider: Int32
    /// The model as the price table names it, else as recorded.
    package var model: Int32
    package var apiKey: Int32
    package var serviceTier: Int32
    /// The tags object's members, between its braces.
    package var tags: Int32
    package var usage: TokenUsage
    /// Per attribution field, by ``Attribution/AttributionField/order``: the value as the audit filled it.
    package var values: InlineArray<10, Int32>
}

extension AttributedAudit {
    /// How many strings the audit interned; ids run from 1 up to this count, exclusive.
    package var stringCount: Int { engine.table.strings.count }

    /// At least as many rows as ``forEachRow(_:)`` gives (every row the audit read).
    package var rowCount: Int { engine.table.count }

    /// The string an ``AuditRow`` id names ("" for 0).
    package func string(_ id: Int32) -> String { id == 0 ? "" : engine.table.strings[id] }

    /// The record id of the audit's row `index`.
    package func recordID(ofRow index: Int) -> String {
        String(decoding: engine.table.recordIDBytes(index), as: UTF8.self)
    }

    /// Calls `body` with every deduplicated, classified record in the window, in the audit's row order, from
    /// the rows the audit kept (token counts, tier and tags included: ``Auditor/attribute(_:progress:)`` keeps
    /// them).
    package func forEachRow(_ body: (borrowing AuditRow) -> Void) {
        let engine = engine
        let store = engine.table
        let required = engine.required
        let slots = fields.prefix(10).map(\.order)
        let toolSlot = AttributionField.tool.order
        let promptVersionSlot = AttributionField.promptVersion.order
        let classes = AttributionClass.all
        for index in 0..<store.count where engine.alive[index] && engine.inWindow[index] {
            let outcome = engine.outcomes[index]
            guard outcome.classIndex < classes.count else { continue }
            let stored = store[index]
            let own = store.values(index)
            var values = InlineArray<10, Int32>(repeating: 0)
            let columns = store.reportColumns(index)
            values[toolSlot] = columns.tool
            values[promptVersionSlot] = columns.promptVersion
            for (k, slot) in slots.enumerated() {
                values[slot] = k < required ? engine.emitted[index * required + k] : own[k]
            }
            let attributionClass = classes[Int(outcome.classIndex)]
            let row = AuditRow(
                index: index,
                time: stored.when,
                usd: stored.isUnit || stored.pricing == .unpriced ? 0 : store.cost(index, stored),
                isCall: !stored.isUnit,
                attributionClass: attributionClass,
                unknownReason: attributionClass == .unknown ? UnknownReason.all[Int(outcome.reasonIndex)] : nil,
                leaf: stored.leaf,
                root: stored.root,
                attempt: stored.attempt,
                provider: store.provider(stored),
                model: store.canonicalModel(stored),
                apiKey: stored.apiKey,
                serviceTier: columns.tier,
                tags: columns.tags,
                usage: columns.usage,
                values: values
            )
            body(row)
        }
    }
}
