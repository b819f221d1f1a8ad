import CostAudit
import CostLedger
import Foundation

/// `cost-audit demo`: the whole product on a fresh machine — simulate a workload through the real toolkit,
/// audit it, and print what the audit finds.
enum DemoCommand {
    static let spec = CommandSpec(
        name: "demo",
        abstract: "Simulate an LLM workload through the toolkit, audit it, and print the report.",
        discussion: """
            Runs a realistic simulated application (requests tagged at the edge, jobs carried through a JSON \
            queue, retries, fan-out into tool calls, metered model calls with simulated usage) including the \
            propagation mistakes real systems make, writes its ledger and the provider's usage export, then \
            audits them. The same seed gives the same result. Needs nothing but this package.
            """,
        positionals: [
            PositionalSpec(
                name: "dir",
                help: "Where to write the ledger, usage export, key map and rules (default: a temporary folder).",
                optional: true
            )
        ],
        options: [
            OptionSpec(name: "seed", valueName: "n", help: "The simulation's seed (default: 42)."),
            OptionSpec(name: "requests", valueName: "n", help: "How many requests to simulate (default: 400)."),
            OptionSpec(name: "format", valueName: "format", help: "table (default), json, csv or markdown."),
            OptionSpec(name: "quiet", valueName: nil, help: "Print only the report."),
        ]
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let seed: UInt64
        let requests: Int
        let format: ReportFormat
        do throws(UsageError) {
            let formatName = try spec.choice(parsed, "format", ReportFormat.all.map(\.name), default: "table")
            format = ReportFormat(name: formatName) ?? .table
            guard let s = UInt64(parsed.value("seed") ?? "42") else {
                throw UsageError(message: "The value '\(parsed.value("seed") ?? "")' is invalid for '--seed'")
            }
            seed = s
            guard let r = Int(parsed.value("requests") ?? "400"), (1...1_000_000).contains(r) else {
                throw UsageError(
                    message: "The value '\(parsed.value("requests") ?? "")' is invalid for '--requests'; "
                        + "expected 1 to 1000000"
                )
            }
            requests = r
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }
        let directory =
            parsed.positionals.first
            ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("cost-audit-demo-\(seed)")
        let files = DemoWorkload.Files(directory: directory)
        let workload = DemoWorkload(seed: seed, requests: requests, files: files)

        let summary: DemoWorkload.Summary
        do {
            summary = try await workload.run()
        } catch {
            io.writeError("error: the simulation failed: \(error)\n")
            return .failure
        }

        var configuration = AuditConfiguration(ledger: .files([files.ledger]), prices: PriceTable.builtIn)
        configuration.usage = [.file(files.usage)]
        do {
            configuration.keyMap = try AuditKeyMap(contentsOfFile: files.keys)
            configuration.rules = try AuditRules(contentsOfFile: files.rules)
            let report = try Auditor.run(configuration)
            if !parsed.flag("quiet"), format == .table {
                io.writeOutput(preamble(summary, files))
            }
            io.writeOutput(report.render(format))
            if !parsed.flag("quiet"), format == .table {
                io.writeOutput(epilogue(files))
            }
        } catch {
            io.writeError("error: the audit failed: \(error)\n")
            return .failure
        }
        return .success
    }

    static func preamble(_ s: DemoWorkload.Summary, _ files: DemoWorkload.Files) -> String {
        """
        cost-audit demo: a simulated week of an assistant product
          \(s.requests) requests from \(s.users) users, tagged at the edge and carried into \(s.jobs) job runs \
        through a JSON queue
          \(s.retries) retries, \(s.toolCalls) fanned-out tool calls, \(s.modelCalls) metered model calls, \
        \(s.untrackedCalls) calls that bypassed the wrapper
          mistakes planted: a legacy worker and some tool runners that drop the business fields, an operator \
        re-run that re-stamps the user, an evaluation agent with no user, a backfill script with no envelope, \
        a webhook whose parent service writes no ledger, a call site that forgets team and project


        """
    }

    static func epilogue(_ files: DemoWorkload.Files) -> String {
        """

        Files written (audit them again with your own options):
          cost-audit audit \(files.ledger) --usage \(files.usage) --keys \(files.keys) --rules \(files.rules)

        """
    }
}
