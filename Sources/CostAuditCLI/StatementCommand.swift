import Attribution
import CostAudit
import CostLedger
import CostReports

/// `cost-audit statement`: each team's showback or chargeback statement for a calendar month (docs/reports.md).
enum StatementCommand {
    static let spec = CommandSpec(
        name: "statement",
        abstract: "Each team's showback or chargeback statement for a month, in cents that add up to its total.",
        discussion: """
            Audits the calendar month (UTC) that --month names and prints the statement of one team (--team) or \
            of every team (--all): its spend by project and feature with calls, tasks and cost per task. The \
            unknown spend is the spend with no team. Showback (the default) shows each team's attributed spend \
            and, beside it, what its share of the unknown spend would be; the unknown spend is a statement of \
            its own. Chargeback adds each team's share as a line: --allocate proportional (to attributed spend, \
            the default), even (among the teams with spend) or weights (--weights FILE, a JSON object \
            {"TEAM": number}); what no team can take is the (unallocated) statement. Statements are in whole \
            cents and add up to the month's total; a cost export's difference from priced usage is its own \
            pricing_difference line. inputs_sha256 fingerprints every input file, so every input must be a \
            regular file or a ledger directory. Exit status as for 'audit'.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([
            OptionSpec(
                name: "month",
                valueName: "YYYY-MM",
                help: "The calendar month (UTC), required; it is the window, so --since and --until are refused."
            ),
            OptionSpec(name: "team", valueName: "team", help: "The statement of this team."),
            OptionSpec(name: "all", valueName: nil, help: "The statements of every team, adding up to the month."),
            OptionSpec(name: "mode", valueName: "mode", help: "showback (default) or chargeback."),
            OptionSpec(
                name: "allocate",
                valueName: "method",
                help: "How unknown spend is divided: proportional (default), even, or weights (with --weights)."
            ),
            OptionSpec(
                name: "weights",
                valueName: "file",
                help: "Weights of --allocate weights: {\"TEAM\": number, …}, numbers from 0 to 10^12 "
                    + "(implies --allocate weights)."
            ),
        ])
    )

    /// The command's own options, checked before any file is read.
    struct Options {
        var month: StatementMonth
        var team: String?
        var mode: StatementMode
        var method: String
        var weightsPath: String?
    }

    static func parseOptions(_ parsed: ParsedArguments) throws(UsageError) -> Options {
        _ = try spec.choice(parsed, "format", ReportFormat.all.map(\.name), default: "table")
        let month = try ReportRun.month(
            parsed,
            missing: "a statement covers one calendar month",
            windowRefused: "a statement covers the calendar month '--month' names"
        )
        let team = parsed.value("team")
        if team != nil, parsed.flag("all") {
            throw UsageError(message: "give '--team TEAM' or '--all', not both")
        }
        if team == nil, !parsed.flag("all") {
            throw UsageError(message: "missing '--team TEAM' or '--all'")
        }
        if let team, team.isEmpty {
            throw UsageError(message: "the value '' is invalid for '--team'; expected a team's name")
        }
        let modeName = try spec.choice(parsed, "mode", ["showback", "chargeback"], default: "showback")
        let mode = (try? StatementMode(parsing: modeName)) ?? .showback
        let weightsPath = parsed.value("weights")
        let method = try spec.choice(
            parsed,
            "allocate",
            ["proportional", "even", "weights"],
            default: weightsPath == nil ? "proportional" : "weights"
        )
        if method == "weights", weightsPath == nil {
            throw UsageError(message: "'--allocate weights' needs '--weights FILE' (a JSON object {\"TEAM\": number})")
        }
        if method != "weights", weightsPath != nil {
            throw UsageError(message: "'--weights' goes with '--allocate weights', not '--allocate \(method)'")
        }
        return Options(month: month, team: team, mode: mode, method: method, weightsPath: weightsPath)
    }

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let options: Options
        do throws(UsageError) {
            options = try parseOptions(parsed)
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }
        let inputs: CommandInputs
        do throws(CommandStop) {
            inputs = try AuditInputs.inputs(parsed, spec: spec, io: io)
        } catch {
            return error.status
        }
        var allocation = StatementAllocation.proportional
        switch options.method {
        case "even": allocation = .even
        case "weights":
            guard let path = options.weightsPath else { return .usage }
            do throws(InputFileError) {
                let bytes = try InputFiles.read(path, what: "weights", limit: StatementWeights.maxFileBytes, io: io)
                do throws(ReportError) {
                    allocation = .weights(try StatementWeights(json: bytes))
                } catch {
                    throw InputFileError(path: path, reason: error.description)
                }
            } catch {
                return io.fail(error)
            }
        default: break
        }
        // The fingerprint is taken before the audit: a pipe, which could be read only once, is refused first.
        let digest: InputDigest
        do throws(ReportError) {
            let files =
                inputs.usage + [inputs.keyMap, inputs.rules, inputs.prices, options.weightsPath].compactMap { $0 }
            digest = try InputDigest(ledgers: inputs.ledgers, files: files)
        } catch {
            return io.fail(InputFileError(path: error.value, reason: error.reason))
        }
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(
                parsed,
                spec: spec,
                io: io,
                window: { _, _, _ in (options.month.start, options.month.end) }
            )
        } catch {
            return error.status
        }
        do throws(ReportError) {
            var statements = try MonthlyStatements(
                run.dataset,
                month: options.month,
                mode: options.mode,
                allocation: allocation,
                inputs: digest
            )
            if let team = options.team { statements = statements.selecting(team: team) }
            io.writeOutput(statements.render(run.format))
            // Only an empty statement needs the look at every row for the team.
            if let team = options.team,
                statements.statements.allSatisfy({ $0.calls == 0 && $0.exactUSD == .zero })
            {
                UnseenValue.warn(
                    team,
                    of: .team,
                    option: ReportDimension.team.name,
                    in: run.dataset,
                    place: options.month.label,
                    io: io
                )
            }
            return .success
        } catch {
            io.writeError("error: \(error)\n")
            return .failure
        }
    }
}
