import Attribution
import CostAudit
import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `cost-audit audit`: classify every dollar of a ledger, reconcile it against the provider's bill, and say
/// what is still unknown and why (SPEC sections 6 and 7).
enum AuditCommand {
    static let spec = CommandSpec(
        name: "audit",
        abstract: "Measure the unknown share of spend, shrink it by lineage, and reconcile it against the bill.",
        discussion: """
            Reads one or more ledger directories or *.jsonl files, deduplicates and prices every record, \
            resolves lineage, applies rules and the key map, reconciles against provider usage exports, and \
            prints the report. Exit status: 0 ok, 1 failure, 2 threshold breached (--fail-above), 64 bad \
            usage, 65 bad input file (usage, keys, rules, prices). A ledger's bad lines are counted, not fatal.
            """,
        positionals: [PositionalSpec(name: "ledger", help: "Ledger directories or *.jsonl files.", variadic: true)],
        options: [
            OptionSpec(
                name: "usage",
                valueName: "file",
                help: "A provider usage or cost export (OpenAI or Anthropic, recognised from its content). "
                    + "Repeat for several files or pages.",
                repeatable: true
            ),
            OptionSpec(
                name: "keys",
                valueName: "file",
                help: "Key map: {\"API_KEY_ID\": {\"team\": …, \"project\": …}}."
            ),
            OptionSpec(name: "rules", valueName: "file", help: "Mapping rules: [{\"match\": {…}, \"set\": {…}}, …]."),
            OptionSpec(
                name: "prices",
                valueName: "file",
                help: "A price file (the project's format or LiteLLM's model_prices_and_context_window.json); "
                    + "default: the built-in table."
            ),
            OptionSpec(
                name: "prices-effective-from",
                valueName: "date",
                help: "The first UTC day of undated prices in --prices (LiteLLM's carry no dates)."
            ),
            OptionSpec(name: "since", valueName: "date", help: "Count spend from this UTC day or instant (inclusive)."),
            OptionSpec(
                name: "until",
                valueName: "date",
                help: "Count spend before this UTC day or instant (exclusive)."
            ),
            OptionSpec(
                name: "require",
                valueName: "fields",
                help: "Comma-separated required dimensions (default: user_id,feature,team,project,task_type)."
            ),
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
            OptionSpec(name: "quiet", valueName: nil, help: "No progress line on stderr."),
        ]
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let format: ReportFormat
        var configuration: AuditConfiguration
        let failAbove: String?
        do throws(UsageError) {
            let formatName = try spec.choice(parsed, "format", ReportFormat.all.map(\.name), default: "table")
            format = ReportFormat(name: formatName) ?? .table
            guard !parsed.positionals.isEmpty else {
                throw UsageError(message: "Missing expected argument '<ledger> ...'")
            }
            configuration = AuditConfiguration(ledger: .files(parsed.positionals), prices: PriceTable.builtIn)
            configuration.since = try parseDate(parsed.value("since"), option: "since")
            configuration.until = try parseDate(parsed.value("until"), option: "until")
            if let require = parsed.value("require") {
                configuration.required = try InspectCommand.requiredPolicy(require).required
                if configuration.required.isEmpty {
                    throw UsageError(message: "'--require' needs at least one field")
                }
            }
            failAbove = parsed.value("fail-above")
            if let failAbove, Money.parse(decimal: failAbove, shift: 0) == nil || failAbove.hasPrefix("-") {
                throw UsageError(message: "The value '\(failAbove)' is invalid for '--fail-above'; expected a percent")
            }
            if parsed.value("prices-effective-from") != nil, parsed.value("prices") == nil {
                throw UsageError(message: "'--prices-effective-from' goes with '--prices'")
            }
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }
        // An output that is one of the inputs (a symbolic or hard link to it too) would empty it: refused
        // before anything is opened for writing.
        if let output = parsed.value("emit-attributed") {
            let inputs =
                parsed.positionals + parsed.all("usage") + ["keys", "rules", "prices"].compactMap { parsed.value($0) }
            if let input = Auditor.inputOverwritten(by: output, inputs: inputs) {
                io.writeError("error: \(output): --emit-attributed would overwrite the input \(input)\n")
                return .usage
            }
        }

        // Input files: each failure names the file and exits 65.
        do {
            if let path = parsed.value("prices") {
                let from = try? parseDate(parsed.value("prices-effective-from"), option: "prices-effective-from")
                configuration.prices = try PriceTable(contentsOfFile: path, effectiveFrom: from ?? nil)
            }
        } catch {
            io.writeError("error: \(parsed.value("prices") ?? ""): \(error)\n")
            return .dataError
        }
        do {
            if let path = parsed.value("keys") { configuration.keyMap = try AuditKeyMap(contentsOfFile: path) }
            if let path = parsed.value("rules") { configuration.rules = try AuditRules(contentsOfFile: path) }
        } catch {
            io.writeError("error: \(error)\n")
            return error.code.isBadInputFile ? .dataError : .failure
        }
        configuration.usage = parsed.all("usage").map { UsageExportSource.file($0) }
        configuration.attributedOutputPath = parsed.value("emit-attributed")

        let progress = ProgressLine(io: io, enabled: io.errorIsTerminal && !parsed.flag("quiet"))
        let report: AuditReport
        do {
            report = try Auditor.run(configuration) { progress.update($0) }
        } catch {
            progress.finish()
            io.writeError("error: \(error)\n")
            return error.code.isBadInputFile ? .dataError : .failure
        }
        progress.finish()
        io.writeOutput(report.render(format))
        if let failAbove, report.unknownShareAfterExceeds(percent: failAbove) == true {
            io.writeError(
                "cost-audit: unknown share after reconciliation \(report.unknownShareAfter.percent) "
                    + "is above --fail-above \(failAbove)%\n"
            )
            return .thresholdBreached
        }
        return .success
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
}

/// A one-line progress report on stderr, for work that takes longer than a second, shown only on a terminal.
final class ProgressLine: @unchecked Sendable {
    // Only ever used from the thread that runs the audit (the progress callback runs on the calling thread),
    // so its mutable state needs no lock.
    private let io: CommandIO
    private let enabled: Bool
    private let start = ProgressLine.now()
    private var lastDraw = 0.0
    private var drawn = false

    init(io: CommandIO, enabled: Bool) {
        self.io = io
        self.enabled = enabled
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func update(_ progress: AuditProgress) {
        guard enabled else { return }
        let now = Self.now()
        let elapsed = now - start
        guard elapsed >= 1, now - lastDraw >= 0.1 else { return }
        lastDraw = now
        drawn = true
        let rate = Int(Double(progress.records) / max(elapsed, 0.001))
        let mb = Double(progress.bytes) / 1_000_000
        let mbText = String(Int(mb * 10) / 10) + "." + String(Int(mb * 10) % 10)
        io.writeError("\r\u{1B}[2K\(progress.phase): \(progress.records) records, \(mbText) MB, \(rate) records/s")
    }

    func finish() {
        if drawn { io.writeError("\r\u{1B}[2K") }
    }
}
