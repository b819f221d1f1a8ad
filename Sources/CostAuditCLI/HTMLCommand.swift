import Attribution
import CostAudit
import CostLedger
import CostReports
import Foundation

/// `cost-audit html`: one self-contained HTML page of the reconciled spend (docs/dashboard.md).
enum HTMLCommand {
    static let output = OptionSpec(
        name: "output",
        valueName: "file",
        help: "The HTML file to write, required.",
        shortName: "o"
    )
    static let days = OptionSpec(
        name: "days",
        valueName: "n",
        help: "Days of the daily charts, 1 to 92 (default: 30), ending at --now."
    )

    static let spec = CommandSpec(
        name: "html",
        abstract: "One self-contained HTML page of the spend: charts by team, feature, user and tool, and alerts.",
        discussion: """
            Writes one HTML file with inline CSS and SVG (no script, nothing fetched): the audit's headline \
            (capture rate, unknown share before and after), the current alerts, daily spend by team and by \
            feature over the last --days days and hourly over the last 24 hours, the unknown share per day, \
            cost per active user per hour against the same hour of the previous 7 days, the top features and \
            users, and each tool's share of the weekly spend. Everything ends at the start of --now's UTC hour. \
            The page holds aggregates only: each chart keeps its largest series and folds the rest into \
            (other), so its size does not grow with the ledger. Exit status as for 'audit'; 1 when the file \
            cannot be written.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([output, days])
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        var days = 30
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(parsed, spec: spec, io: io, output: parsed.value("output")) {
                () throws(UsageError) in
                guard let path = parsed.value("output") else {
                    throw UsageError(message: "missing '-o FILE': the HTML file to write")
                }
                if path.isEmpty {
                    throw UsageError(message: "the value '' is invalid for '--output'; expected a file")
                }
                if let text = parsed.value("days") {
                    guard let n = Int(text), (1...92).contains(n) else {
                        throw UsageError(
                            message: "the value '\(text)' is invalid for '--days'; expected a whole number from 1 to 92"
                        )
                    }
                    days = n
                }
            } columns: { inputs in
                // The alerts below are the standard detectors with the configuration file's settings and budgets.
                Dashboard.auditColumns(
                    detectors: AlertDetectors.budgeted(AlertDetectors.standard, budgets: inputs.budgets)
                )
            }
        } catch {
            return error.status
        }
        guard let path = parsed.value("output") else { return .usage }
        // The current alerts: every detector, with the configuration file's settings and budgets, over the last 24
        // hours (the budget detector forecasts from the days the page covers).
        let dashboard: Dashboard
        do throws(InputFileError) {
            let file = try ConfigurationFile.load(explicit: parsed.value("config"), io: io)
            let settings = (file?.alerts ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let detectors = AlertDetectors.budgeted(
                (try? AlertDetectors.configured(settings)) ?? AlertDetectors.standard,
                budgets: file?.budgets
            )
            // The alerts and the charts' sums, in one pass over the rows (in shares on threads of their own).
            dashboard = Dashboard(run.dataset, now: run.now, detectors: detectors, days: days)
        } catch {
            return io.fail(error)
        }
        let page = dashboard.html()
        // Replaced whole or not at all: a full disk leaves the last page as it was.
        do throws(ReplacingFile.Failure) {
            try ReplacingFile.write(Array(page.utf8), to: path)
        } catch {
            io.writeError("error: \(path): cannot be written: \(error.reason)\n")
            return .failure
        }
        return .success
    }
}
