import Attribution
public import CostAudit
import CostLedger

extension MonthForecast {
    /// The column names of CSV and JSON: the dimensions, then the money, then `budget_usd` and `runs_out` when
    /// there are budgets.
    public var columnNames: [String] {
        dimensions.map(\.name) + ["spent_usd", "projected_usd", "low_usd", "high_usd"]
            + (budgets == nil ? [] : ["budget_usd", "runs_out"])
    }

    /// The forecast in `format`: `table` (the default), `json`, `csv` or `markdown`. The spend so far is rounded
    /// by largest remainder so the groups add up to the rounded total (9 decimals in CSV and JSON, 2 in the table
    /// and Markdown); projections and their intervals are in cents in every format; budgets are exact.
    public func render(_ format: ReportFormat) -> String {
        if format == .json { return renderJSON() }
        let table = self.table(format)
        switch format {
        case .csv: return table.renderCSV()
        case .markdown: return table.renderMarkdown()
        default: return table.renderText()
        }
    }

    func cells(_ format: ReportFormat) -> [[String]] {
        let spent = ShownMoney.rounded(
            groups.map { ($0.values.joined(separator: "\u{1F}"), $0.spentUSD) },
            format: format
        )
        let decimals = ShownMoney.decimals(format)
        return zip(groups, spent).map { group, spent in
            var row =
                (dimensions.isEmpty ? [] : group.values) + [
                    spent, group.projectedUSD.formatted(decimals: 2), group.lowUSD.formatted(decimals: 2),
                    group.highUSD.formatted(decimals: 2),
                ]
            if budgets != nil {
                row.append(group.budgetUSD?.formatted(decimals: decimals) ?? "")
                row.append(group.runsOut ?? "")
            }
            return row
        }
    }

    /// One line on what was known and what is forecast.
    var summary: String {
        "Spend of \(daysSpent) day\(daysSpent == 1 ? "" : "s") before \(cut) known, \(daysForecast) day"
            + "\(daysForecast == 1 ? "" : "s") forecast from \(historyDays) day\(historyDays == 1 ? "" : "s") of "
            + "history (day-of-week pattern × linear trend); low-high is the 80% prediction interval from "
            + "\(backtests) backtest\(backtests == 1 ? "" : "s")."
    }

    func table(_ format: ReportFormat) -> ReportTable {
        var columns = dimensions.map { ReportTable.Column($0.name) }
        if dimensions.isEmpty { columns.append(ReportTable.Column("group")) }
        columns += ["spent_usd", "projected_usd", "low_usd", "high_usd"].map { ReportTable.Column($0, numeric: true) }
        if budgets != nil {
            columns.append(ReportTable.Column("budget_usd", numeric: true))
            columns.append(ReportTable.Column("runs_out"))
        }
        let missing = format == .table || format == .markdown ? "-" : ""
        var rows = cells(format).map { row in row.map { $0.isEmpty ? missing : $0 } }
        if dimensions.isEmpty { rows = rows.map { ["(all)"] + $0 } }
        var title = "Month-end spend forecast for \(month.label)"
        if !dimensions.isEmpty { title += " by " + dimensions.map(\.name).joined(separator: ", ") }
        var notes = [
            "Total: spent $" + total.spentUSD.formatted(decimals: ShownMoney.decimals(format)) + ", projected $"
                + total.projectedUSD.formatted(decimals: 2) + " (80% interval $" + total.lowUSD.formatted(decimals: 2)
                + " to $" + total.highUSD.formatted(decimals: 2) + ").",
            summary,
        ]
        if budgets != nil {
            let over = groups.filter { $0.projectionPassesBudget() }.count
            notes.append(
                "\(over) group\(over == 1 ? "" : "s") projected over budget; runs_out is the day the spend "
                    + "passes the budget."
            )
        }
        return ReportTable(title: title, columns: columns, rows: rows, notes: notes)
    }

    func renderJSON() -> String {
        var w = JSONWriter(capacity: 512 + groups.count * 256)
        w.raw("{")
        w.key("month")
        w.string(month.label)
        w.raw(",")
        w.key("cut")
        w.string(cut)
        w.raw(",")
        w.key("by")
        w.raw("[")
        for (i, dimension) in dimensions.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(dimension.name)
        }
        w.raw("],")
        for (key, value) in [
            ("days_spent", daysSpent), ("days_forecast", daysForecast), ("history_days", historyDays),
            ("backtests", backtests),
        ] as [(StaticString, Int)] {
            w.key(key)
            w.integer(Int64(value))
            w.raw(",")
        }
        w.key("groups")
        w.raw("[")
        let names = columnNames
        for (index, row) in cells(.json).enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{")
            for (column, cell) in row.enumerated() {
                if column > 0 { w.raw(",") }
                w.key(names[column])
                if cell.isEmpty, names[column] == "runs_out" { w.raw("null") } else { w.string(cell) }
            }
            w.raw("}")
        }
        w.raw("],")
        w.key("total")
        w.raw("{")
        w.key("spent_usd")
        w.string(total.spentUSD.formatted())
        for (key, value) in [
            ("projected_usd", total.projectedUSD), ("low_usd", total.lowUSD), ("high_usd", total.highUSD),
        ]
            as [(StaticString, Money)]
        {
            w.raw(",")
            w.key(key)
            w.string(value.formatted(decimals: 2))
        }
        w.raw("}}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
