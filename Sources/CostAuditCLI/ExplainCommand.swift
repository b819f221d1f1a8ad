import Attribution
import CostAudit
import CostLedger
import CostReports

/// `cost-audit explain`: a scope's cost per task over the last 30 days against the 30 before, the change and
/// its top three drivers (docs/reports.md).
enum ExplainCommand {
    /// The scope options, in the order errors list them, and the dimension each selects: `--feature`, `--team`
    /// and `--project` are spelled as their dimensions are.
    static let scopes: [(option: String, dimension: ReportDimension)] = [
        (ReportDimension.feature.name, .feature), (ReportDimension.team.name, .team),
        (ReportDimension.project.name, .project), ("task-type", .taskType), ("user", .userID),
    ]

    static var scopeList: String {
        let names = scopes.map { "'--\($0.option)'" }
        return names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }

    static let spec = CommandSpec(
        name: "explain",
        abstract: "Cost per task of a feature, team, project, task type or user: the last 30 days against the "
            + "30 before, and the top three drivers of the change.",
        discussion: """
            Audits [now - 60 days, now) (cut by --since/--until when given) and, for the one scope given, divides \
            its recorded spend in each 30-day window by the distinct tasks (root units with their descendants \
            and retries) with spend in it. Spend the bill holds and no record carries has no task: it is shown \
            beside and left out of cost per task. The change is current / previous - 1 (none when the previous \
            window has no spend). Drivers are the (dimension, value) pairs over model, tool, prompt_version, \
            task_type, agent, user_id and api_key_id whose spend per task of the scope moved most; only \
            dimensions with two values or more in the scope (a missing value counts) are considered. A window \
            the audit or the data cover only in part is named partial. A scope value no record in the window has \
            gets a warning on stderr naming the closest values records have. Exit status as for 'audit'.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options(
            scopes.map { scope in
                OptionSpec(
                    name: scope.option,
                    valueName: "name",
                    help: "Explain the \(scope.dimension.name) with this value (one scope option only)."
                )
            }
        )
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        var scope: ExplainReport.Scope?
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(
                parsed,
                spec: spec,
                io: io,
                check: { () throws(UsageError) in scope = try checkOptions(parsed) },
                window: { since, until, now in
                    guard let window = ExplainReport.auditWindow(now: now, since: since, until: until) else {
                        return (since, until)
                    }
                    return (window.since, window.until)
                },
                columns: { _ in scope.map { ExplainReport.auditColumns(scope: $0.dimension) } ?? .all }
            )
        } catch {
            return error.status
        }
        guard let scope else { return .failure }
        do throws(ReportError) {
            let report = try ExplainReport(run.dataset, scope: scope, now: run.now)
            io.writeOutput(report.render(run.format))
            warnIfUnseen(report, run: run, io: io)
            return .success
        } catch {
            io.writeError("error: \(error)\n")
            return .dataError
        }
    }

    /// A warning on stderr when no record in the audited window has the scope's value (``UnseenValue``). A scope
    /// with tasks in either window is seen; only an empty answer needs the look at every row.
    static func warnIfUnseen(_ report: ExplainReport, run: ReportRun, io: CommandIO) {
        guard report.current.tasks == 0, report.previous.tasks == 0 else { return }
        let scope = report.scope
        let option = scopes.first { $0.dimension == scope.dimension }?.option ?? scope.dimension.name
        UnseenValue.warn(
            scope.value,
            of: scope.dimension,
            option: option,
            in: run.dataset,
            place: "the audited window",
            io: io
        )
    }

    /// The scope, and a window that is not empty: usage errors only, before any file is read.
    static func checkOptions(_ parsed: ParsedArguments) throws(UsageError) -> ExplainReport.Scope {
        let given = scopes.filter { parsed.value($0.option) != nil }
        guard let first = given.first else {
            throw UsageError(message: "no scope given: give one of \(scopeList)")
        }
        guard given.count == 1 else {
            throw UsageError(
                message: "'--\(first.option)' and '--\(given[1].option)' cannot be given together: give one scope "
                    + "option"
            )
        }
        let value = parsed.value(first.option) ?? ""
        let scope: ExplainReport.Scope
        do throws(ReportError) {
            scope = try ExplainReport.Scope(first.dimension, value)
        } catch {
            throw UsageError(message: "the value '\(value)' is invalid for '--\(first.option)'; expected a name")
        }
        let now = try AuditCommand.parseNow(parsed.value("now")) ?? .now()
        let since = try AuditCommand.parseDate(parsed.value("since"), option: "since")
        let until = try AuditCommand.parseDate(parsed.value("until"), option: "until")
        guard ExplainReport.auditWindow(now: now, since: since, until: until) != nil else {
            if let since, since >= now {
                throw UsageError(message: "the window is empty: '--since' \(since) is not before '--now' \(now)")
            }
            throw UsageError(
                message: "the window is empty: '--until' \(until.map(\.description) ?? "") is not after 60 days "
                    + "before '--now' \(now)"
            )
        }
        return scope
    }
}
