/// The `cost-audit` command line, as a library: the executable calls ``run(arguments:io:)`` and so do tests,
/// without spawning a process.
public enum CostAuditCommand {
    static let abstract = "Measure, explain and shrink the unattributed share of LLM spend."

    static let subcommands: [(spec: CommandSpec, run: @Sendable (ParsedArguments, CommandIO) async -> ExitCode)] = [
        (AlertsCommand.spec, AlertsCommand.run),
        (AuditCommand.spec, AuditCommand.run),
        (DemoCommand.spec, DemoCommand.run),
        (ExplainCommand.spec, ExplainCommand.run),
        (ExportCommand.spec, ExportCommand.run),
        (ForecastCommand.spec, ForecastCommand.run),
        (HTMLCommand.spec, HTMLCommand.run),
        (InspectCommand.spec, InspectCommand.run),
        (ModelsCommand.spec, ModelsCommand.run),
        (ReportCommand.spec, ReportCommand.run),
        (SQLCommand.spec, SQLCommand.run),
        (StatementCommand.spec, StatementCommand.run),
        (ToolsCommand.spec, ToolsCommand.run),
        (TopUsersCommand.spec, TopUsersCommand.run),
    ]

    /// The tool's version, as `cost-audit --version` prints it.
    public static let version = "0.1.0"

    /// The subcommands' names, as usage errors list them.
    static var subcommandList: String { subcommands.map(\.spec.name).joined(separator: ", ") }

    /// The root help text.
    static var help: String {
        var out = "OVERVIEW: \(abstract)\n\n"
        out += "USAGE: cost-audit <subcommand>\n\n"
        out += "OPTIONS:\n"
        out += HelpLayout.row("--version", "Show the version.")
        out += HelpLayout.row("-h, --help", "Show help information.")
        out += "\nSUBCOMMANDS:\n"
        for (spec, _) in subcommands { out += HelpLayout.row(spec.name, spec.abstract) }
        out += "\n  See 'cost-audit help <subcommand>' for detailed help.\n"
        return out
    }

    /// Runs the tool.
    /// - Parameters:
    ///   - arguments: the words after the program's name.
    ///   - io: where to read and write.
    /// - Returns: the exit status (docs/audit.md: 0 ok, 1 the tool's own failure, 2 threshold breached, 64 bad
    ///   usage, 65 bad input). A failure is one line on stderr: `error: FILE[:LINE]: what is wrong`. Standard
    ///   output that could not be written (``CommandIO/outputFailure``) is such a failure: a run that would have
    ///   succeeded exits 1.
    public static func run(arguments: [String], io: CommandIO) async -> Int32 {
        let status = await dispatch(arguments, io)
        guard let words = io.outputFailure() else { return status }
        io.writeError("error: standard output: cannot write: \(words)\n")
        return status == ExitCode.success.rawValue ? ExitCode.failure.rawValue : status
    }

    /// The subcommand `arguments` name, run.
    private static func dispatch(_ arguments: [String], _ io: CommandIO) async -> Int32 {
        guard let first = arguments.first else {
            return rootUsageFailure("no subcommand given", io).rawValue
        }
        if first == "-h" || first == "--help" {
            io.writeOutput(help)
            return ExitCode.success.rawValue
        }
        if first == "--version" {
            io.writeOutput("cost-audit \(version)\n")
            return ExitCode.success.rawValue
        }
        if first == "help" {
            guard arguments.count > 1, arguments[1] != "help" else {
                io.writeOutput(help)
                return ExitCode.success.rawValue
            }
            guard let sub = subcommands.first(where: { $0.spec.name == arguments[1] }) else {
                return rootUsageFailure("unknown subcommand '\(arguments[1])'", io).rawValue
            }
            io.writeOutput(sub.spec.help)
            return ExitCode.success.rawValue
        }
        guard let sub = subcommands.first(where: { $0.spec.name == first }) else {
            let what = first.hasPrefix("-") ? "unknown option '\(first)'" : "unknown subcommand '\(first)'"
            return rootUsageFailure(what, io).rawValue
        }
        let parsed: ParsedArguments
        do {
            parsed = try sub.spec.parse(Array(arguments.dropFirst()))
        } catch {
            return usageFailure(sub.spec, error.message, io).rawValue
        }
        if parsed.helpRequested {
            io.writeOutput(sub.spec.help)
            return ExitCode.success.rawValue
        }
        return await sub.run(parsed, io).rawValue
    }

    /// Writes a usage error of the tool itself, naming the subcommands, and returns the usage exit status.
    static func rootUsageFailure(_ message: String, _ io: CommandIO) -> ExitCode {
        io.writeError(
            "error: \(message); the subcommands are \(subcommandList) (see 'cost-audit --help')\n"
        )
        return .usage
    }

    /// Writes a subcommand's usage error as one line and returns the usage exit status.
    static func usageFailure(_ spec: CommandSpec, _ message: String, _ io: CommandIO) -> ExitCode {
        // One casing everywhere: a message written as a sentence ("The value ...") starts lowercase after `error:`.
        let text = message.prefix(1).lowercased() + message.dropFirst()
        io.writeError("error: \(text) (see 'cost-audit \(spec.name) --help')\n")
        return .usage
    }
}
