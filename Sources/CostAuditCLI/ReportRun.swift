import Attribution
import CostAudit
import CostLedger
import CostReports

/// What every report command shares (docs/reports.md): the audit's inputs, `--since`/`--until`, `--now` and
/// `--format`; the audit run with every record's filled fields kept; the dataset of reconciled dollars.
struct ReportRun {
    let format: ReportFormat
    /// The fixed "now" of `--now`, else the clock.
    let now: UTCTimestamp
    let dataset: SpendDataset
    let configuration: AuditConfiguration
    let inputs: CommandInputs

    static let now = OptionSpec(
        name: "now",
        valueName: "time",
        help:
            "The instant windows end at (YYYY-MM-DD or RFC 3339, 1900 to 2199; default: the clock), for reproducible runs."
    )
    static let format = OptionSpec(name: "format", valueName: "format", help: "table (default), json, csv or markdown.")

    /// The calendar month of `--month YYYY-MM` for the commands that cover one (`statement`, `forecast`), which
    /// refuse `--since` and `--until` beside it.
    ///
    /// - Parameters:
    ///   - missing: why the month is needed, said when it is missing.
    ///   - windowRefused: why `--since`/`--until` cannot go with it.
    static func month(
        _ parsed: ParsedArguments,
        missing: String,
        windowRefused: String
    ) throws(UsageError) -> StatementMonth {
        guard let text = parsed.value("month") else {
            throw UsageError(message: "missing '--month YYYY-MM': \(missing)")
        }
        let month: StatementMonth
        do {
            month = try StatementMonth(parsing: text)
        } catch {
            throw UsageError(
                message: "the value '\(text)' is invalid for '--month'; expected YYYY-MM, from 1970-01 to 2261-12"
            )
        }
        for option in ["since", "until"] where parsed.value(option) != nil {
            throw UsageError(message: "'--\(option)' cannot go with '--month': \(windowRefused)")
        }
        return month
    }

    /// The audit's input options, then `--since`, `--until`, `--now`, `--format`, the command's own options, and
    /// `--config`, `--quiet`.
    static func options(_ own: [OptionSpec]) -> [OptionSpec] {
        [
            AuditInputs.usage, AuditInputs.keys, AuditInputs.rules, AuditInputs.prices,
            AuditInputs.pricesEffectiveFrom, AuditInputs.since, AuditInputs.until, AuditInputs.require, now,
            format,
        ] + own + [AuditInputs.config, AuditInputs.quiet]
    }

    /// Reads the options, loads the inputs and runs the audit over the window `window` returns (given the
    /// options' `--since`/`--until` and `now`; nil keeps them).
    ///
    /// - Parameters:
    ///   - output: the file the command will write, refused (exit 64) before any input is read when it is one
    ///     of the inputs.
    ///   - check: the command's own usage checks, run before any file is read.
    ///   - window: the window to audit, from the given one and `now`.
    ///   - columns: what the command reads of the audit's rows (``AuditReportColumns``), asked once the checks
    ///     have passed and the inputs are known; default: everything.
    /// - Throws: the exit status, once the failure is reported on stderr.
    static func start(
        _ parsed: ParsedArguments,
        spec: CommandSpec,
        io: CommandIO,
        output: String? = nil,
        check: () throws(UsageError) -> Void = {},
        window: (UTCTimestamp?, UTCTimestamp?, UTCTimestamp) -> (UTCTimestamp?, UTCTimestamp?) = { since, until, _ in
            (since, until)
        },
        columns: (CommandInputs) -> AuditReportColumns = { _ in .all }
    ) throws(CommandStop) -> ReportRun {
        let format: ReportFormat
        var configuration: AuditConfiguration
        let now: UTCTimestamp
        do throws(UsageError) {
            let name = try spec.choice(parsed, "format", ReportFormat.all.map(\.name), default: "table")
            format = ReportFormat(name: name) ?? .table
            configuration = try AuditInputs.parseOptions(parsed)
            now = try AuditCommand.parseNow(parsed.value("now")) ?? .now()
            try check()
            (configuration.since, configuration.until) = window(configuration.since, configuration.until, now)
        } catch {
            throw CommandStop(status: CostAuditCommand.usageFailure(spec, error.message, io))
        }
        let inputs = try AuditInputs.inputs(parsed, spec: spec, io: io)
        // An output that is one of the inputs (a link to it too) would empty it: refused before anything is read.
        if let output, let input = Auditor.inputOverwritten(by: output, inputs: inputs.files) {
            io.writeError("error: \(output): --output would overwrite the input \(input)\n")
            throw CommandStop(status: .usage)
        }
        if let status = AuditInputs.load(inputs, into: &configuration, io: io) { throw CommandStop(status: status) }
        let progress = ProgressLine(io: io, enabled: io.errorIsTerminal && !parsed.flag("quiet"))
        do throws(CostAuditError) {
            let audit = try Auditor.attribute(configuration, columns: columns(inputs)) { progress.update($0) }
            let dataset = SpendDataset(audit)
            progress.finish()
            warnSkippedLines(audit.report, io: io)
            return ReportRun(format: format, now: now, dataset: dataset, configuration: configuration, inputs: inputs)
        } catch {
            progress.finish()
            io.writeError("error: \(error)\n")
            throw CommandStop(status: AuditCommand.exitCode(for: error, outputPath: nil))
        }
    }

    /// The ledger lines the audit skipped (torn, not UTF-8, over 64 KiB), on stderr: all counted, the first
    /// ones located as `FILE:LINE: reason`. A report built on such a ledger says so, as the audit's own does.
    static func warnSkippedLines(_ report: AuditReport, io: CommandIO) {
        guard report.skippedLines > 0 else { return }
        let shown = report.skippedLineDetails.count
        io.writeError(
            "warning: \(report.skippedLines) ledger line\(report.skippedLines == 1 ? " was" : "s were") skipped"
                + (shown < report.skippedLines ? " (the first \(shown) listed)" : "") + "\n"
        )
        for detail in report.skippedLineDetails {
            io.writeError("warning: \(detail.description)\n")
        }
    }
}

/// `cost-audit report`: spend, tokens, calls and tasks by any dimensions and period (docs/reports.md).
enum ReportCommand {
    static let spec = CommandSpec(
        name: "report",
        abstract: "Spend, tokens, calls and tasks by any dimensions, per hour, day, week or month.",
        discussion: """
            Groups the audit's reconciled dollars (recorded spend with the fields the audit filled, key-allocated \
            spend under its key's team and project, and what is still unknown in an (unknown) group that is \
            always shown) by the dimensions of --by, highest spend first within each period; the groups add up \
            to the audit's total. 'report --by team,project --period month' is the monthly report, '--period \
            week' the weekly one. A record without a value goes in (unknown) for user_id, feature, team, \
            project and task_type, in (none) for any other dimension. Exit status as for 'audit'.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([
            OptionSpec(
                name: "by",
                valueName: "dims",
                help: "Comma-separated dimensions: "
                    + ReportDimension.fieldNames.joined(separator: ", ") + ", or tags.KEY (default: team,project)."
            ),
            OptionSpec(name: "period", valueName: "period", help: "hour, day, week (ISO, from Monday) or month (UTC)."),
            OptionSpec(
                name: "top",
                valueName: "n",
                help: "Keep the n groups of highest spend in each period, fold the rest into (other); (unknown) "
                    + "groups are never folded."
            ),
        ])
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        var dimensions: [ReportDimension] = []
        var period: ReportPeriod?
        var top: Int?
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(parsed, spec: spec, io: io) { () throws(UsageError) in
                do throws(ReportError) {
                    dimensions = try ReportDimension.list(parsing: parsed.value("by") ?? "team,project")
                    period = try parsed.value("period").map { (text) throws(ReportError) in
                        try ReportPeriod(parsing: text)
                    }
                } catch {
                    throw UsageError(
                        message:
                            "the value '\(error.value)' is invalid for '--\(error.field == "dimension" ? "by" : error.field)'; \(error.reason)"
                    )
                }
                if let text = parsed.value("top") {
                    guard let n = Int(text), n >= 1 else {
                        throw UsageError(
                            message: "the value '\(text)' is invalid for '--top'; expected a whole number of at least 1"
                        )
                    }
                    top = n
                }
            } columns: { _ in
                SpendReport.auditColumns(by: dimensions)
            }
        } catch {
            return error.status
        }
        do throws(ReportError) {
            let report = try SpendReport(run.dataset, by: dimensions, period: period, top: top)
            io.writeOutput(report.render(run.format))
            UnseenValue.warnTags(dimensions, in: run.dataset, place: "the audited window", io: io)
            return .success
        } catch {
            io.writeError("error: \(error)\n")
            return .dataError
        }
    }
}
