import Attribution
import CostAudit
import CostLedger
import Foundation

/// `cost-audit demo`: the whole product on a fresh machine — simulate a workload through the real toolkit,
/// audit it, and print what the audit finds.
enum DemoCommand {
    /// The folder written when none is named: `cost-audit-demo-SEED` in the temporary folder.
    static func defaultDirectory(seed: String) -> String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("cost-audit-demo-\(seed)")
    }

    static let spec = CommandSpec(
        name: "demo",
        abstract: "Simulate an LLM workload through the toolkit, audit it, and print the report.",
        discussion: paragraphs(
            """
            Simulates an assistant product through the real toolkit over --days days ending 2026-11-30 (UTC): \
            requests from 120 users across five features, tagged at the edge, carried as jobs through a JSON \
            queue, retried, fanned out into tool calls, and metered as model calls with simulated usage. Calls \
            follow a daily and weekly rhythm (quiet nights and weekends, busy working hours) and grow by 40% \
            over the period.

            Planted for the audit and later commands to find: the propagation mistakes real systems make (a \
            legacy worker and some tool runners that drop the business fields, an operator re-run that \
            re-stamps the user, an evaluation agent with no user, a backfill script with no envelope, a webhook \
            whose parent service writes no ledger, a translator that forgets team and project, calls that \
            bypass the wrapper); on the last day, one user sending over half of the calls of 14:00-15:00 UTC at \
            five times the usual tokens; and draft_reply moving to prompt version reply-v2, which reads three \
            times the input tokens, for the last 20 days. Then it audits what it wrote and prints the report. \
            The same seed writes the same files, byte for byte.

            Writes into <dir>: \(DemoFolder.ledgerName)/ (the ledger, one JSON Lines file per simulated day), \
            \(DemoFolder.usageName) (the provider's usage export), \(DemoFolder.keysName) (the key map), \
            \(DemoFolder.rulesName) (the mapping rules), \(DemoFolder.configName) (names those inputs: \
            cost-audit audit --config <dir>/\(DemoFolder.configName)) and \(DemoFolder.markerName) (the \
            marker: every file the demo wrote). <dir> must be new or empty, or hold an earlier demo's marker \
            and nothing the marker does not list: then only the listed files are replaced. Otherwise the demo \
            stops with exit status 64 and touches nothing.
            """
        ),
        positionals: [
            PositionalSpec(
                name: "dir",
                help: "Where to write (default: \(defaultDirectory(seed: "<seed>")), "
                    + "e.g. \(defaultDirectory(seed: "42"))).",
                optional: true
            )
        ],
        options: [
            OptionSpec(name: "days", valueName: "n", help: "How many days to simulate, 1 to 730 (default: 90)."),
            OptionSpec(
                name: "requests",
                valueName: "n",
                help: "User requests on an average day, 1 to 100000 (default: 100); about n × days in all."
            ),
            OptionSpec(name: "seed", valueName: "n", help: "The simulation's seed (default: 42)."),
            OptionSpec(name: "format", valueName: "format", help: "table (default), json, csv or markdown."),
            OptionSpec(name: "quiet", valueName: nil, help: "Print only the report."),
        ]
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let seed: UInt64
        let days: Int
        let requests: Int
        let format: ReportFormat
        do throws(UsageError) {
            let formatName = try spec.choice(parsed, "format", ReportFormat.all.map(\.name), default: "table")
            format = ReportFormat(name: formatName) ?? .table
            guard let s = UInt64(parsed.value("seed") ?? "42") else {
                throw UsageError(message: "The value '\(parsed.value("seed") ?? "")' is invalid for '--seed'")
            }
            seed = s
            days = try number(parsed, "days", default: 90, in: 1...730)
            requests = try number(parsed, "requests", default: 100, in: 1...100_000)
            if parsed.positionals.first?.isEmpty == true {
                throw UsageError(message: "the value '' is invalid for '<dir>'; expected a folder to write")
            }
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }
        let folder = DemoFolder(path: parsed.positionals.first ?? defaultDirectory(seed: String(seed)))
        let calendar = DemoCalendar(days: days)
        let summary: DemoWorkload.Summary
        do throws(DemoFolder.Failure) {
            try folder.prepare()
            try folder.writeMarker(
                files: DemoWorkload.files(seed: seed, calendar: calendar),
                seed: seed,
                days: days,
                requestsPerDay: requests
            )
        } catch {
            io.writeError("error: \(error.message)\n")
            return error.refused ? .usage : .failure
        }
        do {
            let workload = DemoWorkload(seed: seed, requestsPerDay: requests, calendar: calendar, folder: folder)
            summary = try await workload.run()
        } catch {
            io.writeError("error: \(folder.path): the simulation failed: \(error)\n")
            return .failure
        }

        var configuration = AuditConfiguration(ledger: .files([folder.ledger]), prices: PriceTable.builtIn)
        configuration.usage = [.file(folder.usage)]
        do {
            configuration.keyMap = try AuditKeyMap(contentsOfFile: folder.keys)
            configuration.rules = try AuditRules(contentsOfFile: folder.rules)
            let report = try Auditor.run(configuration)
            if !parsed.flag("quiet"), format == .table {
                io.writeOutput(preamble(summary, calendar))
            }
            io.writeOutput(report.render(format))
            if !parsed.flag("quiet"), format == .table {
                io.writeOutput(epilogue(folder))
            }
        } catch {
            io.writeError("error: the audit failed: \(error)\n")
            return .failure
        }
        return .success
    }

    /// `text`'s paragraphs wrapped at 80 columns, as the help's other text is.
    private static func paragraphs(_ text: String) -> String {
        text.components(separatedBy: "\n\n").map { HelpLayout.wrap($0, width: 80).joined(separator: "\n") }
            .joined(separator: "\n\n")
    }

    /// A whole-number option in `range`.
    private static func number(
        _ parsed: ParsedArguments,
        _ name: String,
        default value: Int,
        in range: ClosedRange<Int>
    ) throws(UsageError) -> Int {
        guard let text = parsed.value(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError(
                message: "The value '\(text)' is invalid for '--\(name)'; expected \(range.lowerBound) to "
                    + "\(range.upperBound)"
            )
        }
        return number
    }

    static func preamble(_ s: DemoWorkload.Summary, _ calendar: DemoCalendar) -> String {
        let first = day(calendar.firstDay)
        let last = day(DemoCalendar.lastDay)
        let hour = DemoCalendar.spikeHour
        let share = s.spikeHourCalls > 0 ? 100 * s.spikeCalls / s.spikeHourCalls : 0
        return """
            cost-audit demo: \(calendar.days) simulated days of an assistant product, \(first) to \(last) (UTC)
              \(s.requests) requests from \(s.users) users, tagged at the edge and carried into \(s.jobs) job runs \
            through a JSON queue
              \(s.retries) retries, \(s.toolCalls) fanned-out tool calls, \(s.modelCalls) metered model calls, \
            \(s.untrackedCalls) calls that bypassed the wrapper
              mistakes planted: a legacy worker and some tool runners that drop the business fields, an operator \
            re-run that re-stamps the user, an evaluation agent with no user, a backfill script with no envelope, \
            a webhook whose parent service writes no ledger, a call site that forgets team and project
              events planted: on \(last) \(hour):00-\(hour + 1):00 UTC \(s.spikeUser) sends \(s.spikeCalls) of \
            \(s.spikeHourCalls) calls (\(share)%) at \(DemoWorkload.spikeTokenFactor)x the usual tokens; from \
            \(day(calendar.promptSwitchDay)) \(DemoWorkload.switchingFeature) runs prompt \
            \(DemoWorkload.promptAfter), reading \(DemoWorkload.promptInputFactor)x the input tokens of \
            \(DemoWorkload.promptBefore)


            """
    }

    static func epilogue(_ folder: DemoFolder) -> String {
        """

        Files written to \(folder.path) (\(DemoFolder.configName) names them; audit them again with your own options):
          cost-audit audit --config \(folder.config)
          cost-audit audit \(folder.ledger) --usage \(folder.usage) --keys \(folder.keys) --rules \(folder.rules)

        """
    }

    /// A UTC day as `YYYY-MM-DD`.
    private static func day(_ day: Int64) -> String {
        String(UTCTimestamp(millisecondsSinceEpoch: day * 86_400_000).description.prefix(10))
    }
}
