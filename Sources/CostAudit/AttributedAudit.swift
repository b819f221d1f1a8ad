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
