import Attribution
import CostAudit
import CostLedger
import CostReports

/// `cost-audit models`: cost per call and per task by model for each feature and task type, and the share of
/// spend and calls from each price band (docs/reports.md).
enum ModelsCommand {
    static let spec = CommandSpec(
        name: "models",
        abstract: "Cost per call and per task by model for each feature and task type, and spend by price band.",
        discussion: """
            For each feature and task type, each model's recorded spend, calls, tasks, cost per call and per \
            task, and its ratio to the cheapest model's cost per task (9.00: nine times the cheapest); then the \
            share of spend and of calls from each price band. A call's band comes from its model's list price \
            in the audit's price table (its service tier and day), blended as (3 x input + output) / 4 per \
            million tokens; the default bands are under $1/M, $1/M to $10/M and $10/M and up. Spend billed and \
            not recorded has no calls or tasks: it is left out of the cost figures and shown as (unrecorded) in \
            the band shares, which add up to the audit's total. CSV holds one table: the costs, or the band \
            shares with --only bands. Exit status as for 'audit'.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([
            OptionSpec(
                name: "bands",
                valueName: "prices",
                help: "Comma-separated thresholds between price bands, in USD per million blended tokens, "
                    + "ascending (default: 1,10)."
            ),
            OptionSpec(name: "only", valueName: "part", help: "costs or bands: print one part of the report."),
        ])
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        var bands = PriceBands.standard
        var only: ModelsReport.Part?
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(parsed, spec: spec, io: io) { () throws(UsageError) in
                do throws(ReportError) {
                    if let text = parsed.value("bands") { bands = try PriceBands(parsing: text) }
                    if let text = parsed.value("only") { only = try ModelsReport.Part(parsing: text) }
                } catch {
                    throw UsageError(
                        message: "the value '\(error.value)' is invalid for '--\(error.field)'; \(error.reason)"
                    )
                }
            }
        } catch {
            return error.status
        }
        let report = ModelsReport(run.dataset, prices: run.configuration.prices, bands: bands)
        io.writeOutput(report.render(run.format, only: only))
        return .success
    }
}
