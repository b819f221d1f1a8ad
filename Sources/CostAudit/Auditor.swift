import Attribution
import CostLedger

/// Runs the audit of docs/audit.md: streams the ledger, deduplicates, prices, resolves lineage, classifies
/// every dollar, reconciles against the providers' usage exports, and reports.
///
/// ```swift
/// let report = try Auditor.run(configuration) { progress in
///     print("\(progress.phase): \(progress.records) records")
/// }
/// print(report.render(.table))
/// ```
public enum Auditor {
    /// Lineage walks stop after this many hops (docs/audit.md).
    public static let maxLineageHops = 64

    /// Runs one audit.
    ///
    /// - Parameters:
    ///   - configuration: what to read and how to price it.
    ///   - progress: called now and then with what the audit is doing, on the calling thread.
    /// - Returns: the report, with exact amounts.
    /// - Throws: ``CostAuditError``: ``CostAuditError/Code/invalidUsageExport`` for an unreadable export,
    ///   ``CostAuditError/Code/io`` for a ledger path that cannot be read or an output that cannot be written,
    ///   ``CostAuditError/Code/invalidConfiguration`` for a contradictory configuration. A ledger's bad lines
    ///   are counted in the report, never thrown.
    public static func run(
        _ configuration: AuditConfiguration,
        progress: ((AuditProgress) -> Void)? = nil
    ) throws(CostAuditError) -> AuditReport {
        var required: [AttributionField] = []
        for field in configuration.required where !required.contains(field) { required.append(field) }
        guard !required.isEmpty else {
            throw CostAuditError(.invalidConfiguration, field: "required", reason: "at least one field is required")
        }
        if let since = configuration.since, let until = configuration.until, since >= until {
            throw CostAuditError(
                .invalidConfiguration,
                field: "until",
                reason: "the window is empty: until (\(until)) is not after since (\(since))"
            )
        }
        var fields = required
        var extras: [AttributionField] = [.agent, .taskType]
        for rule in configuration.rules.rules {
            extras.append(contentsOf: rule.match.keys.compactMap(\.attributionField))
            extras.append(contentsOf: rule.set.keys)
        }
        extras.append(contentsOf: [.team, .project])
        for field in extras where !fields.contains(field) { fields.append(field) }

        var exports = UsageExports()
        for source in configuration.usage { try exports.read(source) }

        let ledger = try LedgerIngest.read(
            configuration.ledger,
            fields: fields,
            configuration: configuration,
            progress: progress
        )
        let recordCount = ledger.store.count
        let bytes = ledger.store.ledgerBytes
        progress?(AuditProgress(phase: .classifying, records: recordCount, bytes: bytes))
        var engine = AuditEngine(
            table: ledger.store,
            fileNames: ledger.fileNames,
            required: required.count,
            configuration: configuration
        )
        engine.classify()
        progress?(AuditProgress(phase: .reconciling, records: recordCount, bytes: bytes))
        let report = engine.reconcileAndReport(exports: exports, requiredFields: required)
        if let path = configuration.attributedOutputPath {
            progress?(AuditProgress(phase: .writing, records: recordCount, bytes: bytes))
            try AttributedWriter.write(
                engine: engine,
                ledger: configuration.ledger,
                fileRows: ledger.fileRows,
                fields: fields,
                to: path
            )
        }
        return report
    }
}

/// The per-record outcome of classification.
struct RecordOutcome {
    /// Index into ``AttributionClass/all``; 255 for records not classified (duplicates, outside the window).
    var classIndex: UInt8 = 255
    /// Index into ``UnknownReason/all`` for unknown records.
    var reasonIndex: UInt8 = 0
}

/// Lineage resolution state of a unit.
enum LineageEnd: UInt8 {
    /// Complete, or the walk reached a root with fields still missing.
    case complete = 0
    case reachedRoot = 1
    /// The walk ended at an id not in the ledger.
    case brokenLink = 2
    /// The walk met a unit twice or ran out of hops.
    case cycle = 3
}
