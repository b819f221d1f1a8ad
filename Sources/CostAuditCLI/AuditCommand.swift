import Attribution
import CostAudit
import CostLedger
import CostReports

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `cost-audit audit`: classify every dollar of a ledger, reconcile it against the provider's bill, and say
/// what is still unknown and why (docs/audit.md).
enum AuditCommand {
    static let spec = CommandSpec(
        name: "audit",
        abstract: "Measure the unknown share of spend, shrink it by lineage, and reconcile it against the bill.",
        discussion: """
            Reads one or more ledger directories or *.jsonl files, deduplicates and prices every record, \
            resolves lineage, applies rules and the key map, reconciles against provider usage exports, and \
            prints the report. The inputs may be named in a configuration file instead (see --config). Exit \
            status: 0 ok, 1 failure (an output that cannot be written), 2 threshold breached (--fail-above), 64 \
            bad usage, 65 bad input (a usage, keys, rules, prices or configuration file, or a ledger, that is \
            missing, unreadable, of the wrong kind or invalid). A ledger's bad lines are counted, not fatal.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: [
            AuditInputs.usage,
            AuditInputs.keys,
            AuditInputs.rules,
            AuditInputs.prices,
            AuditInputs.pricesEffectiveFrom,
            AuditInputs.since,
            AuditInputs.until,
            AuditInputs.require,
            OptionSpec(name: "format", valueName: "format", help: "table (default), json, csv or markdown."),
            OptionSpec(
                name: "emit-attributed",
                valueName: "path",
                help: "Write every deduplicated record with its class and filled fields as JSON Lines."
            ),
            OptionSpec(
                name: "fail-above",
                valueName: "percent",
                help: "Exit 2 when the unknown share after reconciliation is above this percent."
            ),
            AuditInputs.config,
            AuditInputs.quiet,
        ]
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let format: ReportFormat
        var configuration: AuditConfiguration
        let failAbove: String?
        do throws(UsageError) {
            let formatName = try spec.choice(parsed, "format", ReportFormat.all.map(\.name), default: "table")
            format = ReportFormat(name: formatName) ?? .table
            configuration = try AuditInputs.parseOptions(parsed)
            failAbove = parsed.value("fail-above")
            if let failAbove {
                // A percent of the audited spend: 0 to 100. Above 100 the gate could never fire, so it is refused
                // rather than silently passing every audit.
                guard let percent = Money.parse(decimal: failAbove, shift: 0), !failAbove.hasPrefix("-"),
                    let hundred = Money.parse(decimal: "100", shift: 0), percent <= hundred
                else {
                    throw UsageError(
                        message:
                            "the value '\(failAbove)' is invalid for '--fail-above'; expected a percent from 0 to 100"
                    )
                }
            }
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }

        // The configuration file names the inputs; each option given on the command line replaces its value.
        let inputs: CommandInputs
        do throws(CommandStop) {
            inputs = try AuditInputs.inputs(parsed, spec: spec, io: io)
        } catch {
            return error.status
        }
        // An output that is one of the inputs (a symbolic or hard link to it too) would empty it: refused
        // before anything is opened for writing.
        if let output = parsed.value("emit-attributed") {
            if let input = Auditor.inputOverwritten(by: output, inputs: inputs.files) {
                io.writeError("error: \(output): --emit-attributed would overwrite the input \(input)\n")
                return .usage
            }
        }

        // Input files: each failure names the file once and exits 65.
        if let status = AuditInputs.load(inputs, into: &configuration, io: io) { return status }
        configuration.attributedOutputPath = parsed.value("emit-attributed")

        let progress = ProgressLine(io: io, enabled: io.errorIsTerminal && !parsed.flag("quiet"))
        let report: AuditReport
        do throws(CostAuditError) {
            report = try Auditor.run(configuration) { progress.update($0) }
        } catch {
            progress.finish()
            io.writeError("error: \(error)\n")
            return exitCode(for: error, outputPath: configuration.attributedOutputPath)
        }
        progress.finish()
        io.writeOutput(report.render(format))
        if let failAbove, report.unknownShareAfterExceeds(percent: failAbove) == true {
            io.writeError(
                "error: the unknown share after reconciliation, \(report.unknownShareAfter.percent), "
                    + "is above --fail-above \(failAbove)%\n"
            )
            return .thresholdBreached
        }
        return .success
    }

    /// The exit status of a failed audit: 65 for a bad input (a usage export, a key map, rules, prices, a ledger
    /// path that cannot be read), 64 for a contradictory command line, 1 for an output that cannot be written.
    static func exitCode(for error: CostAuditError, outputPath: String?) -> ExitCode {
        if error.code.isBadInputFile { return .dataError }
        if error.code == .invalidConfiguration { return .usage }
        if error.code == .io { return error.file != nil && error.file == outputPath ? .failure : .dataError }
        return .failure
    }

    /// Reads a price file: the project's own format or LiteLLM's `model_prices_and_context_window.json`,
    /// told apart by content (`PriceTable(priceFileOrLiteLLMJSON:)`).
    static func loadPrices(
        _ path: String,
        effectiveFrom: UTCTimestamp?,
        io: CommandIO
    ) throws(InputFileError) -> PriceTable {
        let bytes = try InputFiles.read(path, what: "price", limit: PriceTable.maximumFileBytes, io: io)
        do {
            return try PriceTable(priceFileOrLiteLLMJSON: bytes, effectiveFrom: effectiveFrom)
        } catch {
            throw InputFileError(path: path, reason: error.description)
        }
    }

    /// Runs a reader of an input already in memory, turning its error into one that names the file once.
    static func readInput<T>(_ path: String, _ body: () throws(CostAuditError) -> T) throws(InputFileError) -> T {
        do {
            return try body()
        } catch {
            let reason = error.field.map { "\($0): " + error.reason } ?? error.reason
            throw InputFileError(path: error.file ?? path, line: error.line, reason: reason)
        }
    }

    /// Reads `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant.
    static func parseDate(_ text: String?, option: String) throws(UsageError) -> UTCTimestamp? {
        guard let text else { return nil }
        let full = text.count == 10 ? text + "T00:00:00Z" : text
        do {
            return try UTCTimestamp(rfc3339: full, field: option)
        } catch {
            throw UsageError(
                message: "The value '\(text)' is invalid for '--\(option)'; expected YYYY-MM-DD or an RFC 3339 time"
            )
        }
    }

    /// Reads `--now` (``parseDate(_:option:)``): an instant the reports can be made at (``ReportClock/supported``).
    static func parseNow(_ text: String?) throws(UsageError) -> UTCTimestamp? {
        guard let now = try parseDate(text, option: "now") else { return nil }
        guard ReportClock.supported.contains(now) else {
            throw UsageError(
                message:
                    "The value '\(text ?? "")' is invalid for '--now'; expected a time from \(ReportClock.supported.lowerBound) "
                    + "to before \(ReportClock.supported.upperBound)"
            )
        }
        return now
    }
}

/// A one-line progress report on stderr, for work that takes longer than a second, shown only on a terminal.
final class ProgressLine: Sendable {
    private let io: CommandIO
    private let enabled: Bool
    private let start = ContinuousClock.now
    /// When the line was last drawn; nil until it is. Only the thread that runs the audit uses it (the progress
    /// callback runs on the calling thread), so the lock is never contended: it makes the class `Sendable`.
    private let lastDraw = Lock<ContinuousClock.Instant?>(nil)

    init(io: CommandIO, enabled: Bool) {
        self.io = io
        self.enabled = enabled
    }

    func update(_ progress: AuditProgress) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let elapsed = now - start
        guard elapsed >= .seconds(1) else { return }
        let due = lastDraw.withLock { last in
            if let last, now - last < .milliseconds(100) { return false }
            last = now
            return true
        }
        guard due else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Int(Double(progress.records) / max(seconds, 0.001))
        let mb = Double(progress.bytes) / 1_000_000
        let mbText = String(Int(mb * 10) / 10) + "." + String(Int(mb * 10) % 10)
        io.writeError("\r\u{1B}[2K\(progress.phase): \(progress.records) records, \(mbText) MB, \(rate) records/s")
    }

    func finish() {
        if lastDraw.withLock({ $0 != nil }) { io.writeError("\r\u{1B}[2K") }
    }
}
