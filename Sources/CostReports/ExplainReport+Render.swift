import Attribution
public import CostAudit
import CostLedger

extension ExplainReport {
    /// The answer in `format` (docs/reports.md, "explain"):
    /// - `table` (the default) and `markdown`: the two windows (since, until, tasks, spend, cost per task), the
    ///   change as a percentage, then the drivers; totals with 2 decimals, per-task amounts with 6.
    /// - `json`: one object with `scope`, `now`, `windows`, `partial`, `data_since`, `cost_per_task`
    ///   (`current`, `previous`, `change`), `tasks`, `spend_usd`, `unrecorded_usd` and `drivers[]`; money as
    ///   strings with 9 decimals, `change` a number with 6 decimals or null.
    /// - `csv`: a `scope` row and one `driver` row per driver, columns ``csvColumns``.
    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .json: return renderJSON()
        case .csv: return csvTable().renderCSV()
        case .markdown: return tables(.markdown).map { $0.renderMarkdown() }.joined(separator: "\n")
        default: return tables(.table).map { $0.renderText() }.joined(separator: "\n")
        }
    }

    /// The CSV columns, previous window before current.
    public static let csvColumns = [
        "row", "dimension", "value", "tasks_previous", "tasks_current", "usd_previous", "usd_current",
        "usd_per_task_previous", "usd_per_task_current", "usd_per_task_change", "change", "partial",
    ]

    /// The names of the partial windows, current first.
    public var partialWindows: [String] { [current, previous].filter(\.isPartial).map(\.name) }

    /// The scope as a title names it: `feature draft_reply`.
    var scopeLabel: String { "\(scope.dimension.name) \(scope.value)" }

    func tables(_ format: ReportFormat) -> [ReportTable] {
        let total = ShownMoney.decimals(format)
        let perTask = format == .table || format == .markdown ? 6 : 9
        var rows: [[String]] = []
        for window in [previous, current] {
            rows.append([
                window.name, window.since.description, window.until.description, "\(window.tasks)",
                window.usd.formatted(decimals: total), window.usdPerTask.formatted(decimals: perTask),
            ])
        }
        var notes: [String] = []
        if previous.tasks == 0, current.tasks == 0 {
            notes.append("The scope has no recorded spend in either window.")
        }
        if let change {
            notes.append(
                "Change in cost per task: \(change.percent) (\(Self.signed(usdPerTaskChange, decimals: perTask)) "
                    + "per task)."
            )
        } else {
            notes.append("Change in cost per task: none (the previous window has no spend to compare with).")
        }
        for window in [previous, current] {
            guard let reason = window.partialReason else { continue }
            if let since = window.coveredSince, let until = window.coveredUntil {
                notes.append("The \(window.name) window is partial: \(reason); it covers \(since) to \(until).")
            } else {
                notes.append("The \(window.name) window is partial: \(reason); nothing of it is covered.")
            }
        }
        var unrecorded = "Recorded spend only: spend the bill holds and no record carries has no task and is left out"
        if previous.unrecordedUSD != .zero || current.unrecordedUSD != .zero {
            unrecorded +=
                " ($\(previous.unrecordedUSD.formatted(decimals: total)) in the previous window, "
                + "$\(current.unrecordedUSD.formatted(decimals: total)) in the current one)."
        } else {
            unrecorded += "."
        }
        notes.append(unrecorded)
        let summary = ReportTable(
            title: "Cost per task of \(scopeLabel): the last 30 days against the 30 before",
            columns: [
                ReportTable.Column("window"), ReportTable.Column("since"), ReportTable.Column("until"),
                ReportTable.Column("tasks", numeric: true), ReportTable.Column("spend_usd", numeric: true),
                ReportTable.Column("cost_per_task_usd", numeric: true),
            ],
            rows: rows,
            notes: notes
        )

        var driverRows: [[String]] = []
        for (rank, driver) in drivers.enumerated() {
            driverRows.append([
                "\(rank + 1)", driver.dimension.name, driver.value,
                driver.usdPerTaskPrevious.formatted(decimals: perTask),
                driver.usdPerTaskCurrent.formatted(decimals: perTask),
                Self.signed(driver.usdPerTaskChange, decimals: perTask), driver.usdPrevious.formatted(decimals: total),
                driver.usdCurrent.formatted(decimals: total),
            ])
        }
        var driverNotes: [String] = []
        if varyingDimensions.isEmpty {
            driverNotes.append(
                "No driver: no dimension of " + Self.driverDimensions.map(\.name).joined(separator: ", ")
                    + " takes two values in the scope."
            )
        } else {
            driverNotes.append(
                "Dimensions with two values or more in the scope: "
                    + varyingDimensions.map(\.name).joined(separator: ", ") + "."
            )
            if drivers.isEmpty { driverNotes.append("No driver: no value's spend per task moved.") }
        }
        driverNotes.append(
            "A value's spend per task is its spend in the window ÷ all the scope's tasks in that window "
                + "(\(previous.tasks) before, \(current.tasks) now)."
        )
        let driverTable = ReportTable(
            title: "Top drivers of the change",
            columns: [
                ReportTable.Column("rank", numeric: true), ReportTable.Column("dimension"),
                ReportTable.Column("value"), ReportTable.Column("per_task_previous", numeric: true),
                ReportTable.Column("per_task_current", numeric: true),
                ReportTable.Column("per_task_change", numeric: true),
                ReportTable.Column("usd_previous", numeric: true), ReportTable.Column("usd_current", numeric: true),
            ],
            rows: driverRows,
            notes: driverNotes
        )
        return [summary, driverTable]
    }

    /// `+0.012000` / `-0.004000` / `0.000000`: a change reads as one.
    static func signed(_ amount: MoneyQuotient, decimals: Int) -> String {
        let text = amount.formatted(decimals: decimals)
        return amount.signum > 0 ? "+" + text : text
    }

    func csvTable() -> ReportTable {
        var rows: [[String]] = [
            [
                "scope", scope.dimension.name, scope.value, "\(previous.tasks)", "\(current.tasks)",
                previous.usd.formatted(), current.usd.formatted(), previous.usdPerTask.formatted(),
                current.usdPerTask.formatted(), usdPerTaskChange.formatted(), change?.fraction ?? "",
                partialWindows.joined(separator: ";"),
            ]
        ]
        for driver in drivers {
            rows.append([
                "driver", driver.dimension.name, driver.value, "", "", driver.usdPrevious.formatted(),
                driver.usdCurrent.formatted(), driver.usdPerTaskPrevious.formatted(),
                driver.usdPerTaskCurrent.formatted(), driver.usdPerTaskChange.formatted(), "", "",
            ])
        }
        let text: Set<String> = ["row", "dimension", "value", "partial"]
        return ReportTable(
            title: "explain",
            columns: Self.csvColumns.map { ReportTable.Column($0, numeric: !text.contains($0)) },
            rows: rows
        )
    }

    func renderJSON() -> String {
        var w = JSONWriter(capacity: 2048)
        w.raw("{")
        w.key("scope")
        w.raw("{")
        w.key("dimension")
        w.string(scope.dimension.name)
        w.raw(",")
        w.key("value")
        w.string(scope.value)
        w.raw("},")
        w.key("now")
        w.string(now.description)
        w.raw(",")
        w.key("windows")
        w.raw("{")
        for (index, window) in [current, previous].enumerated() {
            if index > 0 { w.raw(",") }
            w.key(window.name)
            w.raw("{")
            w.key("since")
            w.string(window.since.description)
            w.raw(",")
            w.key("until")
            w.string(window.until.description)
            w.raw(",")
            w.key("covered_since")
            if let since = window.coveredSince { w.string(since.description) } else { w.raw("null") }
            w.raw(",")
            w.key("covered_until")
            if let until = window.coveredUntil { w.string(until.description) } else { w.raw("null") }
            w.raw(",")
            w.key("partial")
            w.raw(window.isPartial ? "true" : "false")
            w.raw(",")
            w.key("partial_reason")
            if let reason = window.partialReason { w.string(reason) } else { w.raw("null") }
            w.raw("}")
        }
        w.raw("},")
        w.key("partial")
        w.raw("[")
        for (index, name) in partialWindows.enumerated() {
            if index > 0 { w.raw(",") }
            w.string(name)
        }
        w.raw("],")
        w.key("data_since")
        if let dataSince { w.string(dataSince.description) } else { w.raw("null") }
        w.raw(",")
        w.key("cost_per_task")
        w.raw("{")
        w.key("current")
        w.string(current.usdPerTask.formatted())
        w.raw(",")
        w.key("previous")
        w.string(previous.usdPerTask.formatted())
        w.raw(",")
        w.key("change")
        if let change { w.raw(change.fraction) } else { w.raw("null") }
        w.raw("},")
        w.key("tasks")
        w.raw("{")
        w.key("current")
        w.integer(current.tasks)
        w.raw(",")
        w.key("previous")
        w.integer(previous.tasks)
        w.raw("},")
        for (key, pair) in [
            ("spend_usd", (current.usd, previous.usd)),
            ("unrecorded_usd", (current.unrecordedUSD, previous.unrecordedUSD)),
        ] {
            w.key(key)
            w.raw("{")
            w.key("current")
            w.string(pair.0.formatted())
            w.raw(",")
            w.key("previous")
            w.string(pair.1.formatted())
            w.raw("},")
        }
        w.key("drivers")
        w.raw("[")
        for (index, driver) in drivers.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{")
            w.key("dimension")
            w.string(driver.dimension.name)
            w.raw(",")
            w.key("value")
            w.string(driver.value)
            w.raw(",")
            w.key("usd_per_task_change")
            w.string(driver.usdPerTaskChange.formatted())
            w.raw(",")
            w.key("usd_per_task_current")
            w.string(driver.usdPerTaskCurrent.formatted())
            w.raw(",")
            w.key("usd_per_task_previous")
            w.string(driver.usdPerTaskPrevious.formatted())
            w.raw(",")
            w.key("usd_current")
            w.string(driver.usdCurrent.formatted())
            w.raw(",")
            w.key("usd_previous")
            w.string(driver.usdPrevious.formatted())
            w.raw("}")
        }
        w.raw("]}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
