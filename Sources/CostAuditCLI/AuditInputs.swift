import Attribution
import CostAudit
import CostLedger

/// The inputs every command built on the audit takes (`audit`, and the reports of docs/reports.md): the ledger
/// positionals, `--usage`, `--keys`, `--rules`, `--prices`, `--prices-effective-from`, `--since`, `--until`,
/// `--require`, `--config` and `--quiet`, read into an ``AuditConfiguration`` the same way for each.
enum AuditInputs {
    static let ledgerPositional = PositionalSpec(
        name: "ledger",
        help: "Ledger directories or *.jsonl files (default: \"ledgers\" of the configuration file).",
        optional: true,
        variadic: true
    )

    static let usage = OptionSpec(
        name: "usage",
        valueName: "file",
        help: "A provider usage or cost export (OpenAI or Anthropic, recognised from its content). "
            + "Repeat for several files or pages.",
        repeatable: true
    )
    static let keys = OptionSpec(
        name: "keys",
        valueName: "file",
        help: "Key map: {\"API_KEY_ID\": {\"team\": …, \"project\": …}}."
    )
    static let rules = OptionSpec(
        name: "rules",
        valueName: "file",
        help: "Mapping rules: [{\"match\": {…}, \"set\": {…}}, …]."
    )
    static let prices = OptionSpec(
        name: "prices",
        valueName: "file",
        help: "A price file (the project's format or LiteLLM's model_prices_and_context_window.json); "
            + "default: the built-in table."
    )
    static let pricesEffectiveFrom = OptionSpec(
        name: "prices-effective-from",
        valueName: "date",
        help: "The first UTC day of undated prices in --prices (LiteLLM's carry no dates)."
    )
    static let since = OptionSpec(
        name: "since",
        valueName: "date",
        help: "Count spend from this UTC day or instant (inclusive)."
    )
    static let until = OptionSpec(
        name: "until",
        valueName: "date",
        help: "Count spend before this UTC day or instant (exclusive)."
    )
    static let require = OptionSpec(
        name: "require",
        valueName: "fields",
        help: "Comma-separated required dimensions (default: user_id,feature,team,project,task_type)."
    )
    static let config = OptionSpec(
        name: "config",
        valueName: "file",
        help: "The configuration file naming the inputs (default: \(ConfigurationFile.defaultName) in the "
            + "working directory, when there is one); options given here replace its values."
    )
    static let quiet = OptionSpec(name: "quiet", valueName: nil, help: "No progress line on stderr.", shortName: "q")

    /// Reads `--since`, `--until`, `--require` and checks `--prices-effective-from`: usage errors only, before
    /// any file is opened.
    static func parseOptions(_ parsed: ParsedArguments) throws(UsageError) -> AuditConfiguration {
        var configuration = AuditConfiguration(ledger: .files(parsed.positionals), prices: PriceTable.builtIn)
        configuration.since = try AuditCommand.parseDate(parsed.value("since"), option: "since")
        configuration.until = try AuditCommand.parseDate(parsed.value("until"), option: "until")
        if let since = configuration.since, let until = configuration.until, since >= until {
            throw UsageError(message: "the window is empty: '--until' \(until) is not after '--since' \(since)")
        }
        if let require = parsed.value("require") {
            configuration.required = try InspectCommand.requiredPolicy(require).required
            if configuration.required.isEmpty {
                throw UsageError(message: "'--require' needs at least one field")
            }
        }
        _ = try AuditCommand.parseDate(parsed.value("prices-effective-from"), option: "prices-effective-from")
        return configuration
    }

    /// The input files: from the command line, else from the configuration file. Throws the exit status once
    /// the failure is reported on stderr.
    static func inputs(
        _ parsed: ParsedArguments,
        spec: CommandSpec,
        io: CommandIO
    ) throws(CommandStop) -> CommandInputs {
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
            throw CommandStop(status: io.fail(error))
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
            throw CommandStop(status: CostAuditCommand.usageFailure(spec, error.message, io))
        }
        return inputs
    }

    /// Reads the key map, rules, prices and usage exports `inputs` names into `configuration`, and sets its
    /// ledgers. Each failure names the file once and exits 65.
    static func load(
        _ inputs: CommandInputs,
        into configuration: inout AuditConfiguration,
        io: CommandIO
    ) -> ExitCode? {
        configuration.ledger = .files(inputs.ledgers)
        do throws(InputFileError) {
            if let path = inputs.prices {
                let from = try? AuditCommand.parseDate(inputs.pricesEffectiveFrom, option: "prices-effective-from")
                configuration.prices = try AuditCommand.loadPrices(path, effectiveFrom: from ?? nil, io: io)
            }
            if let path = inputs.keyMap {
                let bytes = try InputFiles.read(path, what: "key map", limit: AuditKeyMap.maxFileBytes, io: io)
                configuration.keyMap = try AuditCommand.readInput(path) { () throws(CostAuditError) in
                    try AuditKeyMap(json: bytes, file: path)
                }
            }
            if let path = inputs.rules {
                let bytes = try InputFiles.read(path, what: "rules", limit: AuditRules.maxFileBytes, io: io)
                configuration.rules = try AuditCommand.readInput(path) { () throws(CostAuditError) in
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
        return nil
    }
}

/// A command stopped early: the failure is reported on stderr already; `status` is the exit status.
struct CommandStop: Error {
    let status: ExitCode
}
