import Attribution
import CostAudit
import CostLedger
import CostReports

/// `cost-audit forecast`: each group's month-end spend, projected from the recent daily series, against its
/// budget (docs/forecast.md).
enum ForecastCommand {
    static let spec = CommandSpec(
        name: "forecast",
        abstract: "Month-end spend per group, projected from the recent days, with an 80% interval and budgets.",
        discussion: """
            Projects the month-end spend of --month for each group of --by: the reconciled spend of the month's \
            days before --now's UTC day (exact), plus a forecast of the remaining days from the last 56 days \
            (a day-of-week pattern times a linear trend), with an 80% prediction interval measured by \
            backtesting the same method on the days before. With --budgets FILE (a JSON object from a group key \
            'dim=value[,dim=value]', in the --by order, to monthly USD), or "budgets" in the configuration \
            file, each group's projection against its budget and the UTC day the budget is projected to run \
            out. Without --by, the budgets' dimensions are the groups; without either, the total alone. The \
            window is set by --month and --now, so --since and --until are refused. Exit status as for 'audit'.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([
            OptionSpec(name: "month", valueName: "YYYY-MM", help: "The calendar month (UTC) to project, required."),
            OptionSpec(
                name: "by",
                valueName: "dims",
                help: "Comma-separated dimensions of the groups: "
                    + ReportDimension.fieldNames.joined(separator: ", ")
                    + ", or tags.KEY (default: the budgets', else the total alone)."
            ),
            OptionSpec(
                name: "budgets",
                valueName: "file",
                help: "Monthly budgets: {\"team=growth,project=assistant\": USD, …}, keys in the --by order."
            ),
        ])
    )

    /// The command's own options, checked before any file is read.
    struct Options {
        var month: StatementMonth
        var dimensions: [ReportDimension]?
        var budgetsPath: String?
    }

    static func parseOptions(_ parsed: ParsedArguments) throws(UsageError) -> Options {
        _ = try spec.choice(parsed, "format", ReportFormat.all.map(\.name), default: "table")
        let month = try ReportRun.month(
            parsed,
            missing: "a forecast projects one calendar month",
            windowRefused: "a forecast reads the days before '--now'"
        )
        var dimensions: [ReportDimension]?
        if let by = parsed.value("by") {
            do throws(ReportError) {
                dimensions = try ReportDimension.list(parsing: by)
            } catch {
                throw UsageError(message: "the value '\(error.value)' is invalid for '--by'; \(error.reason)")
            }
        }
        if let path = parsed.value("budgets"), path.isEmpty {
            throw UsageError(message: "the value '' is invalid for '--budgets'; expected a file")
        }
        return Options(month: month, dimensions: dimensions, budgetsPath: parsed.value("budgets"))
    }

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let options: Options
        do throws(UsageError) {
            options = try parseOptions(parsed)
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }
        // The budgets are read before the audit, so a bad file fails fast.
        var budgets: ForecastBudgets?
        if let path = options.budgetsPath {
            do throws(InputFileError) {
                let bytes = try InputFiles.read(path, what: "budgets", limit: ForecastBudgets.maxFileBytes, io: io)
                do throws(ReportError) {
                    let file = try ForecastBudgets(json: bytes)
                    if let dimensions = options.dimensions, dimensions != file.dimensions {
                        throw ReportError(
                            field: "budgets",
                            value: file.dimensions.map(\.name).joined(separator: ","),
                            reason: "are keyed by other dimensions than '--by "
                                + dimensions.map(\.name).joined(separator: ",") + "'"
                        )
                    }
                    budgets = file
                } catch {
                    throw InputFileError(path: path, reason: error.description)
                }
            } catch {
                return io.fail(error)
            }
        }
        let method = ForecastMethod.default
        let run: ReportRun
        do throws(CommandStop) {
            run = try ReportRun.start(
                parsed,
                spec: spec,
                io: io,
                window: { _, _, now in
                    let cut = min(ReportPeriod.day.start(of: now), options.month.end)
                    let days = Int64(method.loadDays) * 86_400_000_000_000
                    return (UTCTimestamp(nanosecondsSinceEpoch: cut.nanosecondsSinceEpoch - days), cut)
                },
                columns: { inputs in
                    // The dimensions chosen below: --by, else the budgets' (--budgets, else the configuration's).
                    MonthForecast.auditColumns(
                        by: options.dimensions ?? budgets?.dimensions ?? inputs.budgets?.dimensions ?? []
                    )
                }
            )
        } catch {
            return error.status
        }
        if budgets == nil, let configured = run.inputs.budgets {
            // The configuration file's budgets apply to a forecast by their dimensions (or with no --by).
            if options.dimensions == nil || options.dimensions == configured.dimensions { budgets = configured }
        }
        let dimensions = options.dimensions ?? budgets?.dimensions ?? []
        do throws(ReportError) {
            let forecast = try MonthForecast(
                run.dataset,
                month: options.month,
                asOf: run.now,
                by: dimensions,
                budgets: budgets,
                method: method
            )
            io.writeOutput(forecast.render(run.format))
            UnseenValue.warnTags(dimensions, in: run.dataset, place: "the audited window", io: io)
            return .success
        } catch {
            io.writeError("error: \(error)\n")
            return .failure
        }
    }
}
