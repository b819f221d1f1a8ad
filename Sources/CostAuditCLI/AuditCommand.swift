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
        positionals: [
            PositionalSpec(
                name: "ledger",
                help: "Ledger directories or *.jsonl files (default: \"ledgers\" of the configuration file).",
                optional: true,
                variadic: true
            )
        ],
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
            OptionSpec(
                name: "config",
                valueName: "file",
                help: "The configuration file naming the inputs (default: \(ConfigurationFile.defaultName) in the "
                    + "working directory, when there is one); options given here replace its values."
            ),
            OptionSpec(name: "quiet", valueName: nil, help: "No progress line on stderr.", shortName: "q"),
        ]
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let format: ReportFormat
        var configuration: AuditConfiguration
        let failAbove: String?
        do throws(UsageError) {
            let formatName = try spec.choice(parsed, "format", ReportFormat.all.map(\.name), default: "table")
            format = ReportFormat(name: formatName) ?? .table
            configuration = AuditConfiguration(ledger: .files(parsed.positionals), prices: PriceTable.builtIn)
            configuration.since = try parseDate(parsed.value("since"), option: "since")
            configuration.until = try parseDate(parsed.value("until"), option: "until")
            if let since = configuration.since, let until = configuration.until, since >= until {
                throw UsageError(message: "the window is empty: '--until' \(until) is not after '--since' \(since)")
            }
            if let require = parsed.value("require") {
                configuration.required = try InspectCommand.requiredPolicy(require).required
                if configuration.required.isEmpty {
                    throw UsageError(message: "'--require' needs at least one field")
                }
            }
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
            _ = try parseDate(parsed.value("prices-effective-from"), option: "prices-effective-from")
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }

        // The configuration file names the inputs; each option given on the command line replaces its value.
        let inputs: CommandInputs
        do throws(InputFileError) {
            let file = try ConfigurationFile.load(explicit: parsed.value("config"), io: io)
            inputs = CommandInputs(parsed, file)
            if let file, inputs.prices == nil, parsed.value("prices-effective-from") == nil,
                file.pricesEffectiveFrom != nil
            {
                throw InputFileError(
                    path: file.path,
                    reason: "prices_effective_from: goes with \"prices\", and no price file is named"
                )
            }
        } catch {
            return io.fail(error)
        }
        do throws(UsageError) {
            guard !inputs.ledgers.isEmpty else {
                throw UsageError(
                    message: "missing expected argument '<ledger> ...' (or \"ledgers\" in "
                        + "\(ConfigurationFile.defaultName) or the file '--config' names)"
                )
            }
            if inputs.pricesEffectiveFrom != nil, inputs.prices == nil {
                throw UsageError(message: "'--prices-effective-from' goes with '--prices'")
            }
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }
        configuration.ledger = .files(inputs.ledgers)
        // An output that is one of the inputs (a symbolic or hard link to it too) would empty it: refused
        // before anything is opened for writing.
        if let output = parsed.value("emit-attributed") {
            let files = inputs.ledgers + inputs.usage + [inputs.keyMap, inputs.rules, inputs.prices].compactMap { $0 }
            if let input = Auditor.inputOverwritten(by: output, inputs: files) {
                io.writeError("error: \(output): --emit-attributed would overwrite the input \(input)\n")
                return .usage
            }
        }

        // Input files: each failure names the file once and exits 65.
        do throws(InputFileError) {
            if let path = inputs.prices {
                let from = try? parseDate(inputs.pricesEffectiveFrom, option: "prices-effective-from")
                configuration.prices = try loadPrices(path, effectiveFrom: from ?? nil, io: io)
            }
            if let path = inputs.keyMap {
                let bytes = try InputFiles.read(path, what: "key map", limit: AuditKeyMap.maxFileBytes, io: io)
                configuration.keyMap = try readInput(path) { () throws(CostAuditError) in
                    try AuditKeyMap(json: bytes, file: path)
                }
            }
            if let path = inputs.rules {
                let bytes = try InputFiles.read(path, what: "rules", limit: AuditRules.maxFileBytes, io: io)
                configuration.rules = try readInput(path) { () throws(CostAuditError) in
                    try AuditRules(json: bytes, file: path)
                }
            }
            configuration.usage = []
            for path in inputs.usage {
                let bytes = try InputFiles.read(
                    path,
                    what: "usage export",
                    limit: UsageExportSource.maxFileBytes,
                    io: io
                )
                configuration.usage.append(.bytes(bytes, name: path))
            }
        } catch {
            return io.fail(error)
        }
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
        unsafe clock_gettime(CLOCK_MONOTONIC, &ts)
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
