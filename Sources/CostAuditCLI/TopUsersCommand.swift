import Attribution
import CostAudit
import CostLedger
import CostReports

/// `cost-audit top-users`: the daily digest of the users who spent most in the window before `--now`.
enum TopUsersCommand {
    static let spec = CommandSpec(
        name: "top-users",
        abstract: "The users who spent most in the last 24 hours: share, calls, tasks, cost per task, top feature.",
        discussion: """
            Audits the --window before --now (default: 24h) and lists the users by reconciled spend, highest \
            first, with their share of the window's total, model calls, distinct tasks, recorded spend per task \
            and the feature they spent most on. Users after --limit are folded into (other); spend without a \
            user (and spend billed and not recorded, counted when its day starts in the window) is the \
            (unknown) row, always shown, so the rows add up to the total. A digest, not an alert: exit status \
            as for 'audit'.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([
            OptionSpec(
                name: "window",
                valueName: "length",
                help: "The window before --now: NNh or NNd (default: 24h)."
            ),
            OptionSpec(name: "limit", valueName: "n", help: "How many users to list before (other) (default: 10)."),
        ])
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        var window = ReportWindow.day
        var limit = 10
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(
                parsed,
                spec: spec,
                io: io,
                check: { () throws(UsageError) in
                    window = try AlertsCommand.parseWindow(parsed)
                    if let text = parsed.value("limit") {
                        guard let n = Int(text), n >= 1 else {
                            throw UsageError(
                                message: "the value '\(text)' is invalid for '--limit'; expected a whole number of at "
                                    + "least 1"
                            )
                        }
                        limit = n
                    }
                },
                window: { since, until, now in
                    let lower = max(window.start(before: now), since ?? window.start(before: now))
                    let upper = min(now, until ?? now)
                    return (lower, max(lower, upper))
                }
            )
        } catch {
            return error.status
        }
        do throws(ReportError) {
            let report = try TopUsersReport(run.dataset, now: run.now, window: window, limit: limit)
            io.writeOutput(report.render(run.format))
            return .success
        } catch {
            io.writeError("error: \(error)\n")
            return .failure
        }
    }
}
