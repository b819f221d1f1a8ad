import Attribution
import CostLedger

/// The audit of docs/audit.md as a list of phases, each a function from plain input to plain output (one file
/// each under `Phases/`): ingest, dedupe, units, lineage, classify, reconcile, report. The phases after
/// reading run on ``AuditConfiguration/readerThreads`` workers.
///
/// What it keeps is what the attributed output reads afterwards: every row's class and filled values.
struct AuditEngine {
    /// The ledger as read: file names, where each file lies, each file's rows, the copies of pipes.
    let ledger: LedgerIngest.Result
    /// The rows, with every string the report and the attributed output name.
    let table: RecordStore
    /// How many required fields (the first tracked ones).
    let required: Int
    /// Per row: whether it is the copy of its record id that counts.
    let alive: [Bool]
    /// Per row: whether it is a deduplicated record in the window.
    let inWindow: SharedBuffer<Bool>
    /// Per row: its class and reason.
    let outcomes: SharedBuffer<RecordOutcome>
    /// Per record, when emitting: the required values its emitted line carries, `required` a row.
    let emitted: SharedBuffer<Int32>
    /// Unrecorded spend, cell by cell (``ReconcilePhase``); ``table``'s strings name the cells' ids.
    let unrecorded: [(cell: ReconcileCell, amount: Int128, keyAllocated: Bool)]
    let report: AuditReport

    var fileNames: [String] { ledger.fileNames }
    var files: [LedgerInputs.File] { ledger.files }

    /// Runs every phase, in order.
    ///
    /// - Parameters:
    ///   - required: the required fields, without repeats, at least one.
    ///   - fields: the fields each row keeps, ``IngestPhase/trackedFields(required:rules:)``.
    ///   - keepFilledValues: keep each record's filled required values (``emitted``), as the attributed output
    ///     and the reports need; always kept when the configuration names an attributed output.
    static func run(
        _ configuration: AuditConfiguration,
        required: [AttributionField],
        fields: [AttributionField],
        keepFilledValues: Bool = false,
        progress: ((AuditProgress) -> Void)?
    ) throws(CostAuditError) -> AuditEngine {
        let workers = max(1, configuration.readerThreads)
        let ingested = try IngestPhase.run(
            IngestPhase.Input(configuration: configuration, fields: fields, progress: progress)
        )
        var store = ingested.ledger.store
        progress?(AuditProgress(phase: .classifying, records: store.count, bytes: store.ledgerBytes))

        let deduped = DedupePhase.run(
            DedupePhase.Input(
                store: store,
                fileNames: ingested.ledger.fileNames,
                ledger: configuration.ledger,
                readPaths: ingested.readPaths,
                workers: workers
            )
        )
        let units = UnitsPhase.run(
            UnitsPhase.Input(store: store, alive: deduped.alive, required: required.count, workers: workers)
        )
        let lineage = LineagePhase.run(lineageInput(units, store: store, required: required.count, workers: workers))
        let policy = ClassifyPhase.Policy(configuration, fields: store.fields, strings: &store.strings)
        let classified = ClassifyPhase.run(
            ClassifyPhase.Input(
                store: store,
                alive: deduped.alive,
                unitOfRow: units.unitOfRow,
                best: units.best,
                incomplete: units.incomplete,
                resolved: lineage.resolved,
                ends: lineage.ends,
                required: required.count,
                policy: policy,
                emitting: keepFilledValues || configuration.attributedOutputPath != nil,
                workers: workers
            )
        )
        if classified.totals.overflow {
            let site = ClassifyPhase.overflowSite(
                store,
                alive: deduped.alive,
                inWindow: classified.inWindow,
                fileNames: ingested.ledger.fileNames
            )
            throw AuditSums.overflow(site.what, file: site.file)
        }

        progress?(AuditProgress(phase: .reconciling, records: store.count, bytes: store.ledgerBytes))
        let reconciled = ReconcilePhase.run(
            ReconcilePhase.Input(
                exports: ingested.exports,
                store: store,
                inWindow: classified.inWindow,
                keyMap: configuration.keyMap,
                pricing: configuration.prices,
                since: policy.since,
                until: policy.until,
                workers: workers
            )
        )
        store.strings = reconciled.strings
        let report = ReportPhase.run(
            ReportPhase.Input(
                totals: classified.totals,
                reconciled: reconciled,
                duplicates: deduped.duplicates,
                recordIDConflicts: deduped.recordIDConflicts,
                lineageCycles: lineage.cycles,
                store: store,
                skippedLineDetails: ingested.ledger.skippedLineDetails,
                duplicateUsageRows: ingested.exports.duplicateRows,
                required: required,
                pricing: configuration.prices,
                since: configuration.since,
                until: configuration.until
            )
        )
        return AuditEngine(
            ledger: ingested.ledger,
            table: store,
            required: required.count,
            alive: deduped.alive,
            inWindow: classified.inWindow,
            outcomes: classified.outcomes,
            emitted: classified.emitted,
            unrecorded: reconciled.unrecorded.cells,
            report: report
        )
    }

    /// The lineage graph the units phase leaves: a unit with `U` gives its values from `U`'s row.
    static func lineageInput(
        _ units: UnitsPhase.Output,
        store: RecordStore,
        required: Int,
        workers: Int
    ) -> LineagePhase.Input {
        let best = units.best
        return LineagePhase.Input(
            required: required,
            unitCount: units.unitCount,
            incomplete: units.incomplete,
            partial: units.partial,
            parentLeaf: units.parentLeaf,
            rootLeaf: units.rootLeaf,
            parentUnit: units.parentUnit,
            rootUnit: units.rootUnit,
            valueOfUnitWithU: { unit, field in store.value(Int(best[unit]), field) },
            workers: workers
        )
    }
}
