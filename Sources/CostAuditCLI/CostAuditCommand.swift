/// The `cost-audit` command line, as a library: the executable calls ``run(arguments:io:)`` and so do tests,
/// without spawning a process.
public enum CostAuditCommand {
    static let abstract = "Measure, explain and shrink the unattributed share of LLM spend."

    static let subcommands: [(spec: CommandSpec, run: @Sendable (ParsedArguments, CommandIO) async -> ExitCode)] = [
        (AuditCommand.spec, AuditCommand.run),
        (DemoCommand.spec, DemoCommand.run),
        (InspectCommand.spec, InspectCommand.run),
    ]

    /// The root help text.
    static var help: String {
        var out = "OVERVIEW: \(abstract)\n\n"
        out += "USAGE: cost-audit <subcommand>\n\n"
        out += "OPTIONS:\n"
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
    /// - Returns: the exit status (SPEC section 7: 0 ok, 1 failure, 2 threshold breached, 64 bad usage,
    ///   65 bad input file).
    public static func run(arguments: [String], io: CommandIO) async -> Int32 {
        guard let first = arguments.first else {
            io.writeError(help)
            return ExitCode.usage.rawValue
        }
        if first == "-h" || first == "--help" {
            io.writeOutput(help)
            return ExitCode.success.rawValue
        }
        if first == "help" {
            if arguments.count > 1, let sub = subcommands.first(where: { $0.spec.name == arguments[1] }) {
                io.writeOutput(sub.spec.help)
            } else {
                io.writeOutput(help)
            }
            return ExitCode.success.rawValue
        }
        guard let sub = subcommands.first(where: { $0.spec.name == first }) else {
            io.writeError(
                "Error: Unknown subcommand '\(first)'\n" + "Usage: cost-audit <subcommand>\n"
                    + "  See 'cost-audit --help' for more information.\n"
            )
            return ExitCode.usage.rawValue
        }
        let parsed: ParsedArguments
        do {
            parsed = try sub.spec.parse(Array(arguments.dropFirst()))
        } catch {
            io.writeError(
                "Error: \(error.message)\nUsage: \(sub.spec.usageLine)\n"
                    + "  See 'cost-audit \(sub.spec.name) --help' for more information.\n"
            )
            return ExitCode.usage.rawValue
        }
        if parsed.helpRequested {
            io.writeOutput(sub.spec.help)
            return ExitCode.success.rawValue
        }
        return await sub.run(parsed, io).rawValue
    }

    /// Writes a usage error in the tool's format and returns the usage exit status.
    static func usageFailure(_ spec: CommandSpec, _ message: String, _ io: CommandIO) -> ExitCode {
        io.writeError(
            "Error: \(message)\nUsage: \(spec.usageLine)\n"
                + "  See 'cost-audit \(spec.name) --help' for more information.\n"
        )
        return .usage
    }
}
