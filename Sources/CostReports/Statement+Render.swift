import Attribution
public import CostAudit
import CostLedger

extension MonthlyStatements {
    /// The statements in `format`: `table` (the default), `json`, `csv` or `markdown`, money in whole cents
    /// (2-decimal strings) in every format. The table, Markdown and CSV forms have one row per line and a
    /// `total` row per statement, then the `month_total` row and, with a cost export, the `pricing_difference`
    /// row; JSON has `month`, `mode`, `method`, `inputs_sha256`, `month_total_usd` and `statements[]` (each with
    /// `team`, `lines[]` and `total_usd`), docs/reports.md.
    public func render(_ format: ReportFormat) -> String {
        if format == .json { return renderJSON() }
        let table = self.table()
        switch format {
        case .csv: return table.renderCSV()
        case .markdown: return table.renderMarkdown()
        default: return table.renderText()
        }
    }

    /// The label of the row of the month's total and of the pricing difference, in the `team` column.
    static let monthLabel = "(month)"
    static let billLabel = "(bill)"

    func table() -> ReportTable {
        let showback = mode == .showback
        var columns = [
            ReportTable.Column(ReportDimension.team.name), ReportTable.Column("line"),
            ReportTable.Column(ReportDimension.project.name), ReportTable.Column(ReportDimension.feature.name),
            ReportTable.Column("spend_usd", numeric: true),
            ReportTable.Column("calls", numeric: true), ReportTable.Column("tasks", numeric: true),
            ReportTable.Column("cost_per_task_usd", numeric: true),
        ]
        if showback { columns.append(ReportTable.Column("unknown_share_usd", numeric: true)) }
        var rows: [[String]] = []
        for statement in statements {
            for line in statement.lines {
                var row = [
                    statement.team, line.kind.name, line.project ?? "", line.feature ?? "", Self.shown(line.usd),
                    "\(line.calls)", "\(line.tasks)", line.costPerTaskUSD.map(Self.perTask) ?? "",
                ]
                if showback { row.append("") }
                rows.append(row)
            }
            var total = [
                statement.team, "total", "", "", Self.shown(statement.usd), "\(statement.calls)",
                "\(statement.tasks)", statement.costPerTaskUSD.map(Self.perTask) ?? "",
            ]
            if showback {
                total.append(
                    statement.team == ReportDimension.unknownLabel ? "" : Self.shown(statement.unknownShareUSD)
                )
            }
            rows.append(total)
        }
        var monthRow = [Self.monthLabel, "month_total", "", "", Self.shown(monthTotalUSD), "", "", ""]
        if showback { monthRow.append(Self.shown(unknownUSD)) }
        rows.append(monthRow)
        if let pricingDifferenceUSD {
            var row = [Self.billLabel, "pricing_difference", "", "", Self.shown(pricingDifferenceUSD), "", "", ""]
            if showback { row.append("") }
            rows.append(row)
        }
        let title =
            (showback ? "Showback" : "Chargeback")
            + (selectedTeam.map { " statement of \($0)" } ?? " statements") + ", \(month.label)"
        return ReportTable(title: title, columns: columns, rows: rows, notes: notes())
    }

    func notes() -> [String] {
        var notes: [String] = []
        let methods = [
            "proportional": "in proportion to each team's attributed spend",
            "even": "in equal parts to the teams with attributed spend",
            "weights": "in proportion to the weights file's weight of each team",
        ]
        notes.append("Method: \(allocation.name), the unknown spend divided \(methods[allocation.name] ?? "").")
        notes.append("inputs_sha256: \(inputs?.sha256 ?? "(not given)")")
        var total =
            "Month total: $\(Self.shown(monthTotalUSD)), the audit's classes for \(month.label) rounded half-even "
            + "to cents; "
        total += selectedTeam == nil ? "the statements add up to it." : "this statement is one team's part of it."
        notes.append(total)
        if mode == .showback {
            notes.append(
                "unknown_share_usd: what each team would be charged of the $\(Self.shown(unknownUSD)) of unknown "
                    + "spend in chargeback; beside its total, not in it."
            )
        }
        if unallocatedUSD != .zero {
            notes.append(
                "Unallocated: $\(Self.shown(unallocatedUSD)) of unknown spend no team can take (every weight is zero)"
                    + (mode == .chargeback ? ", in the (unallocated) statement." : ".")
            )
        }
        if let billedUSD, let pricingDifferenceUSD {
            notes.append(
                "Billed (cost exports): $\(Self.shown(billedUSD)); pricing_difference: "
                    + "$\(Self.shown(pricingDifferenceUSD)), billed minus priced usage, is its own line: in no "
                    + "statement and not in the month total."
            )
        }
        notes.append("Prices: \(priceSource)")
        return notes
    }

    static func shown(_ money: Money) -> String { money.formatted(decimals: 2) }
    static func perTask(_ money: Money) -> String { money.formatted(decimals: 4) }

    func renderJSON() -> String {
        var w = JSONWriter(capacity: 1024 + statements.count * 512)
        w.raw("{")
        w.key("month")
        w.string(month.label)
        w.raw(",")
        w.key("mode")
        w.string(mode.name)
        w.raw(",")
        w.key("method")
        w.string(allocation.name)
        w.raw(",")
        w.key("inputs_sha256")
        if let inputs { w.string(inputs.sha256) } else { w.raw("null") }
        w.raw(",")
        w.key("inputs")
        w.raw("[")
        for (index, entry) in (inputs?.entries ?? []).enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{")
            w.key("path")
            w.string(entry.path)
            w.raw(",")
            w.key("sha256")
            w.string(entry.sha256)
            w.raw("}")
        }
        w.raw("],")
        w.key("prices")
        w.string(priceSource)
        w.raw(",")
        w.key(ReportDimension.team.name)
        if let selectedTeam { w.string(selectedTeam) } else { w.raw("null") }
        w.raw(",")
        let money: [(StaticString, Money?)] = [
            ("month_total_usd", monthTotalUSD), ("unknown_usd", unknownUSD), ("unallocated_usd", unallocatedUSD),
            ("billed_usd", billedUSD), ("pricing_difference_usd", pricingDifferenceUSD),
        ]
        for (key, value) in money {
            w.key(key)
            if let value { w.string(Self.shown(value)) } else { w.raw("null") }
            w.raw(",")
        }
        w.key("statements")
        w.raw("[")
        for (index, statement) in statements.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{")
            w.key(ReportDimension.team.name)
            w.string(statement.team)
            w.raw(",")
            w.key("total_usd")
            w.string(Self.shown(statement.usd))
            w.raw(",")
            w.key("attributed_usd")
            w.string(Self.shown(statement.attributedUSD))
            w.raw(",")
            w.key("unknown_share_usd")
            w.string(Self.shown(statement.unknownShareUSD))
            w.raw(",")
            Self.counts(&w, calls: statement.calls, tasks: statement.tasks, perTask: statement.costPerTaskUSD)
            w.raw(",")
            w.key("lines")
            w.raw("[")
            for (lineIndex, line) in statement.lines.enumerated() {
                if lineIndex > 0 { w.raw(",") }
                w.raw("{")
                w.key("line")
                w.string(line.kind.name)
                w.raw(",")
                w.key(ReportDimension.project.name)
                if let project = line.project { w.string(project) } else { w.raw("null") }
                w.raw(",")
                w.key(ReportDimension.feature.name)
                if let feature = line.feature { w.string(feature) } else { w.raw("null") }
                w.raw(",")
                w.key("spend_usd")
                w.string(Self.shown(line.usd))
                w.raw(",")
                Self.counts(&w, calls: line.calls, tasks: line.tasks, perTask: line.costPerTaskUSD)
                w.raw("}")
            }
            w.raw("]}")
        }
        w.raw("]}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func counts(_ w: inout JSONWriter, calls: Int, tasks: Int, perTask: Money?) {
        w.key("calls")
        w.integer(calls)
        w.raw(",")
        w.key("tasks")
        w.integer(tasks)
        w.raw(",")
        w.key("cost_per_task_usd")
        if let perTask { w.string(Self.perTask(perTask)) } else { w.raw("null") }
    }
}
