import Attribution
import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
        let (engine, _) = try runEngine(configuration, keepFilledValues: false, progress: progress)
        // The copies of pipes are removed only now: the writer in `runEngine` read them again.
        withExtendedLifetime(engine.ledger.spool) {}
        return engine.report
    }

    /// Runs one audit and keeps what it decided for every record, for reports built on the audit's dollars
    /// (docs/reports.md): each record with its fields as the audit filled them, its priced dollars and its
    /// class, and the spend on the bill that no record carries.
    ///
    /// ```swift
    /// let audit = try Auditor.attribute(configuration)
    /// var byFeature: [String: Money] = [:]
    /// try audit.forEachRecord { record in
    ///     byFeature[record.record.attribution[.feature] ?? "(unknown)", default: .zero] += record.usd
    /// }
    /// for spend in audit.unrecorded { byFeature["(unknown)", default: .zero] += spend.usd }
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: what to read and how to price it, as for ``run(_:progress:)``.
    ///   - columns: what the rows keep for the reports (default: everything); a column left out reads as none
    ///     from ``AttributedAudit``'s rows. ``AttributedAudit/forEachRecord(_:)`` reads the ledger again and
    ///     gives every record whole whatever is kept.
    ///   - progress: called now and then with what the audit is doing.
    /// - Returns: the audit, whose records are read again from the ledger on each
    ///   ``AttributedAudit/forEachRecord(_:)``.
    /// - Throws: as ``run(_:progress:)``.
    public static func attribute(
        _ configuration: AuditConfiguration,
        columns: AuditReportColumns = .all,
        progress: ((AuditProgress) -> Void)? = nil
    ) throws(CostAuditError) -> AttributedAudit {
        var configuration = configuration
        configuration.reportColumns = columns
        let (engine, fields) = try runEngine(configuration, keepFilledValues: true, progress: progress)
        return AttributedAudit(
            engine: engine,
            ledger: configuration.ledger,
            fields: fields,
            keyMap: configuration.keyMap
        )
    }

    /// Checks the configuration, runs the phases, and writes the attributed output when asked.
    static func runEngine(
        _ configuration: AuditConfiguration,
        keepFilledValues: Bool,
        progress: ((AuditProgress) -> Void)?
    ) throws(CostAuditError) -> (AuditEngine, [AttributionField]) {
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
        var fields = IngestPhase.trackedFields(required: required, rules: configuration.rules)
        // The attribution fields the reports read that the audit does not track already (`tool` and
        // `prompt_version`, which change from call to call, are kept per row instead).
        for field in configuration.reportColumns.trackedFields where !fields.contains(field) { fields.append(field) }

        if let output = configuration.attributedOutputPath {
            var inputs = configuration.usage.filter { $0.bytes == nil }.map(\.name)
            if case .files(let paths) = configuration.ledger.storage { inputs = paths + inputs }
            if let input = inputOverwritten(by: output, inputs: inputs) {
                throw CostAuditError(
                    .invalidConfiguration,
                    file: output,
                    reason: "the attributed output would overwrite the input \(input)"
                )
            }
        }

        let engine = try AuditEngine.run(
            configuration,
            required: required,
            fields: fields,
            keepFilledValues: keepFilledValues,
            progress: progress
        )
        if let path = configuration.attributedOutputPath {
            progress?(AuditProgress(phase: .writing, records: engine.table.count, bytes: engine.table.ledgerBytes))
            try AttributedWriter.write(engine: engine, ledger: configuration.ledger, fields: fields, to: path)
        }
        return (engine, fields)
    }

    /// The input among `inputs` that `output` is, once symbolic links are followed (by device and inode), or
    /// nil: writing the output would then empty it. A directory among `inputs` stands for its `*.jsonl`
    /// files. Nothing is opened for writing.
    ///
    /// - Parameters:
    ///   - output: the path to be written (`--emit-attributed`).
    ///   - inputs: every file and directory the run reads (ledgers, usage, keys, rules, prices).
    /// - Returns: the input as given (`dir/name.jsonl` for a file found in a directory `dir`).
    public static func inputOverwritten(by output: String, inputs: [String]) -> String? {
        guard let target = LedgerFileIdentity(path: output) else { return nil }
        for input in inputs {
            guard let info = SystemIO.status(path: input) else { continue }
            if LedgerFileIdentity(
                device: UInt64(truncatingIfNeeded: info.st_dev),
                inode: UInt64(truncatingIfNeeded: info.st_ino)
            ) == target {
                return input
            }
            guard info.st_mode & S_IFMT == S_IFDIR, let files = try? LedgerReader(path: input).files() else {
                continue
            }
            for file in files where LedgerFileIdentity(path: file) == target { return file }
        }
        return nil
    }
}
