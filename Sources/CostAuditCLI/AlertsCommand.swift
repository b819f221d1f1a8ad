import Attribution
import CostAudit
import CostLedger
import CostReports

/// `cost-audit alerts`: the detectors of docs/alerts.md over the complete hours and days that end in the window
/// before `--now`; exit status 2 when an alert fires, for cron.
enum AlertsCommand {
    static let spec = CommandSpec(
        name: "alerts",
        abstract: "Spend that moved against its own baseline in the last hours: exit status 2 when an alert fires.",
        discussion: """
            Evaluates each detector for every complete UTC hour (cost_per_active_user, feature_rate) or day \
            (task_type_cost, tool_share, retry_waste) that ends in the --window before --now, against the same \
            hour or day on the 7 days before (the week before for tool_share); the audit covers that history. \
            With --budgets FILE (as for 'forecast'), or "budgets" in the configuration file, the budget \
            detector projects each budgeted group's month-end spend for the month of the last complete day, as \
            'forecast' does, and fires for each group projected over its budget; without budgets it is silent. \
            The rules, their parameters and defaults are in docs/alerts.md. Alerts are listed largest dollars at \
            stake (spend above the baseline) first, each with the top three contributors of its excess. Exit \
            status: 0 no alert, 2 an alert fired, otherwise as for 'audit'. With --webhook, each alert is also \
            posted as one JSON message with a 'text' field (Slack and Teams incoming webhooks show it); a failed \
            delivery is reported on stderr and does not change the exit status.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([
            OptionSpec(
                name: "window",
                valueName: "length",
                help: "How far before --now the evaluated periods end: NNh or NNd (default: 24h)."
            ),
            OptionSpec(
                name: "detector",
                valueName: "name",
                help: "Evaluate only this detector (repeatable): " + AlertDetectors.names.joined(separator: ", ")
                    + " (default: all).",
                repeatable: true
            ),
            OptionSpec(
                name: "set",
                valueName: "detector.parameter=value",
                help: "Change one parameter of a detector (repeatable), e.g. feature_rate.minimum_calls=50; the "
                    + "parameters and defaults are in docs/alerts.md.",
                repeatable: true
            ),
            OptionSpec(
                name: "budgets",
                valueName: "file",
                help: "Monthly budgets for the budget detector: {\"team=growth,project=assistant\": USD, …} "
                    + "(default: the configuration file's budgets)."
            ),
            OptionSpec(
                name: "webhook",
                valueName: "url",
                help: "Post each alert as a JSON message with a 'text' field to this http or https URL."
            ),
        ])
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        var window = ReportWindow.day
        var detectors = AlertDetectors.standard
        var webhook: WebhookTarget?
        // The configuration file's "alerts" settings, applied before --set.
        var fileSettings: [(key: String, value: String)] = []
        // The budget detector's budgets: --budgets, else the configuration file's.
        var budgets: ForecastBudgets?
        do throws(InputFileError) {
            let file = try ConfigurationFile.load(explicit: parsed.value("config"), io: io)
            fileSettings = (file?.alerts ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            budgets = file?.budgets
            if let path = parsed.value("budgets"), !path.isEmpty {
                budgets = try readBudgets(path, io)
            }
        } catch {
            return io.fail(error)
        }
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(
                parsed,
                spec: spec,
                io: io,
                check: { () throws(UsageError) in
                    window = try parseWindow(parsed)
                    if parsed.value("budgets") == "" {
                        throw UsageError(message: "the value '' is invalid for '--budgets'; expected a file")
                    }
                    detectors = AlertDetectors.budgeted(
                        try parseDetectors(parsed, fileSettings: fileSettings),
                        budgets: budgets
                    )
                    if let text = parsed.value("webhook") {
                        guard let target = WebhookTarget(text) else {
                            throw UsageError(
                                message: "the value '\(text)' is invalid for '--webhook'; expected an http:// or "
                                    + "https:// URL"
                            )
                        }
                        webhook = target
                    }
                },
                window: { since, until, now in
                    let needed = AlertReport.auditWindow(detectors: detectors, now: now, window: window)
                    let lower = max(needed.since, since ?? needed.since)
                    let upper = min(needed.until, until ?? needed.until)
                    return (lower, max(lower, upper))
                },
                columns: { _ in AlertReport.auditColumns(detectors: detectors) }
            )
        } catch {
            return error.status
        }
        let report: AlertReport
        do throws(ReportError) {
            report = try AlertReport(run.dataset, detectors: detectors, now: run.now, window: window)
        } catch {
            io.writeError("error: \(error)\n")
            return .failure
        }
        io.writeOutput(report.render(run.format))
        if let webhook, !report.alerts.isEmpty {
            let failures = await webhook.post(report.webhookMessages())
            if let first = failures.first {
                io.writeError(
                    "error: \(webhook.url): \(failures.count) of \(report.alerts.count) alert messages not delivered "
                        + "(first: \(first))\n"
                )
            }
        }
        return report.alerts.isEmpty ? .success : .thresholdBreached
    }

    /// The budgets file of `--budgets` (docs/forecast.md).
    static func readBudgets(_ path: String, _ io: CommandIO) throws(InputFileError) -> ForecastBudgets {
        let bytes = try InputFiles.read(path, what: "budgets", limit: ForecastBudgets.maxFileBytes, io: io)
        do throws(ReportError) {
            return try ForecastBudgets(json: bytes)
        } catch {
            throw InputFileError(path: path, reason: error.description)
        }
    }

    /// `--window`, when given.
    static func parseWindow(_ parsed: ParsedArguments) throws(UsageError) -> ReportWindow {
        guard let text = parsed.value("window") else { return .day }
        do throws(ReportError) {
            return try ReportWindow(parsing: text)
        } catch {
            throw UsageError(message: "the value '\(text)' is invalid for '--window'; \(error.reason)")
        }
    }

    /// The detectors `--detector` names, in the standard order (all of them when none is named), with the
    /// configuration file's settings, then those of `--set`.
    static func parseDetectors(
        _ parsed: ParsedArguments,
        fileSettings: [(key: String, value: String)] = []
    ) throws(UsageError) -> [any AlertDetector] {
        var settings = fileSettings
        for text in parsed.all("set") {
            guard let equals = text.firstIndex(of: "=") else {
                throw UsageError(
                    message: "the value '\(text)' is invalid for '--set'; expected detector.parameter=value"
                )
            }
            settings.append((String(text[..<equals]), String(text[text.index(after: equals)...])))
        }
        let configured: [any AlertDetector]
        do throws(ReportError) {
            configured = try AlertDetectors.configured(settings)
        } catch {
            throw UsageError(
                message: "the value '\(error.value)' is invalid for '--set'; \(error.field): \(error.reason)"
            )
        }
        let names = parsed.all("detector")
        guard !names.isEmpty else { return configured }
        for name in names where AlertDetectors.named(name) == nil {
            throw UsageError(
                message: "the value '\(name)' is invalid for '--detector'; expected one of: "
                    + AlertDetectors.names.joined(separator: ", ")
            )
        }
        return configured.filter { names.contains($0.name) }
    }
}
