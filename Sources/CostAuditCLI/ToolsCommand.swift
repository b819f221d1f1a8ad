import Attribution
import CostAudit
import CostLedger
import CostReports

/// `cost-audit tools`: each tool's share of the weekly spend and its week-over-week shift (docs/reports.md).
enum ToolsCommand {
    static let spec = CommandSpec(
        name: "tools",
        abstract: "Tool spend as a share of each ISO week's total, with the week-over-week shift in points.",
        discussion: """
            For each ISO week (UTC, from Monday), each tool's spend as a percentage of the week's total \
            reconciled spend, the week before's share, and the shift between the two in percentage points, \
            largest shift first. Records without a tool, and the spend billed and not recorded (known per day, \
            so placed in its week), are in (none), so each week's shares add up to 100%. Exit status as for \
            'audit'.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([])
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(parsed, spec: spec, io: io)
        } catch {
            return error.status
        }
        io.writeOutput(ToolsReport(run.dataset).render(run.format))
        return .success
    }
}
