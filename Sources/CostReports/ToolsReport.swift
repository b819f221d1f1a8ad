import Attribution
public import CostAudit
public import CostLedger

/// `cost-audit tools` as a value (docs/reports.md, "tools"): each tool's spend as a share of the week's total,
/// per ISO week (UTC, from Monday), and the shift of that share from the week before in percentage points,
/// largest shifts first.
///
/// The denominator is the week's total reconciled spend: recorded spend and the spend the bill holds that no
/// record carries, which is known per day and so falls in one week. That spend has no tool: it is in `(none)`
/// with the records that have none, so each week's shares add up to 100%.
///
/// ```swift
/// let tools = ToolsReport(SpendDataset(try Auditor.attribute(configuration)))
/// for row in tools.rows where row.week == "2026-W48" {
///     print(row.tool, row.sharePercent(decimals: 2) ?? "-", row.shiftPoints(decimals: 2) ?? "-")
/// }
/// ```
public struct ToolsReport: Sendable {
    /// One week's totals.
    public struct Week: Sendable, Hashable {
        /// The ISO week's label: `2026-W48`.
        public var week: String
        /// The week's total reconciled spend: the denominator of its shares.
        public var usd: Money
        /// The part of it the bill holds and no record carries (in `(none)`).
        public var unrecordedUSD: Money
        /// Whether the week before has spend in the report, so that shifts can be computed.
        public var hasPreviousWeek: Bool
    }

    /// One tool in one week.
    public struct Row: Sendable, Hashable {
        public var week: String
        /// The tool, or `(none)`.
        public var tool: String
        public var usd: Money
        /// The tool's spend in the week before (zero when it had none).
        public var previousUSD: Money
        var weekUSD: Money
        var previousWeekUSD: Money?

        /// The spend as a percentage of the week's total, rounded half-even to `decimals` places; nil when the
        /// week's total is zero.
        public func sharePercent(decimals: Int) -> String? { share?.formatted(decimals: decimals) }

        /// The week before's share, as ``sharePercent(decimals:)``; nil when that week has no spend in the report.
        public func previousSharePercent(decimals: Int) -> String? { previousShare?.formatted(decimals: decimals) }

        /// The share minus the week before's, in percentage points, rounded half-even to `decimals` places;
        /// nil when either share is missing.
        public func shiftPoints(decimals: Int) -> String? { shift?.formatted(decimals: decimals) }

        var share: WideFraction? { WideFraction(usd.attodollars, weekUSD.attodollars)?.scaled(by: 100) }
        var previousShare: WideFraction? {
            previousWeekUSD.flatMap { WideFraction(previousUSD.attodollars, $0.attodollars)?.scaled(by: 100) }
        }
        var shift: WideFraction? {
            guard let share, let previousShare else { return nil }
            return share.subtracting(previousShare)
        }
    }

    /// Every week with spend in the window, oldest first.
    public let weeks: [Week]
    /// Week by week (oldest first), every tool with spend in the week or the week before; within a week, the
    /// largest shift first (by absolute value), then the highest spend, then the tool bytewise. Rows without a
    /// shift (the first week, or after a week without spend) come after those with one, by the same rule.
    public let rows: [Row]
    /// The audit's classified total: the sum of the weeks.
    public let totalUSD: Money

    /// Sums the dataset's rows by ISO week and tool.
    public init(_ dataset: SpendDataset) {
        var sums = WeekToolSums(idLimit: dataset.idLimit)
        for row in 0..<dataset.count { sums.add(dataset, row: row, dataset.columns(row)) }
        self.init(dataset, sums: sums)
    }

    /// The report of the rows summed in `sums`: every row of the dataset, added by a pass that reads them for
    /// other sums too (the dashboard's).
    init(_ dataset: SpendDataset, sums: WeekToolSums) {
        let keyer = DimensionKeyer([.tool])
        struct Key: Hashable {
            var week: Int64
            var tool: Int32
        }
        let total = sums.total
        var spend: [Key: Int128] = [:]
        for (week, tool, amount) in sums.toolSpend { spend[Key(week: week, tool: tool)] = amount }
        let weekTotals = sums.weekTotals
        let byWeek = Dictionary(grouping: spend, by: { $0.key.week })
        let weekLength = 7 * ReportPeriod.nanosecondsPerDay
        var weeks: [Week] = []
        var rows: [Row] = []
        for start in weekTotals.keys.sorted() {
            let label = ReportPeriod.week.label(of: UTCTimestamp(nanosecondsSinceEpoch: start))
            let totals = weekTotals[start] ?? (0, 0)
            let previousTotals = weekTotals[start - weekLength]
            weeks.append(
                Week(
                    week: label,
                    usd: Money(attodollars: totals.usd),
                    unrecordedUSD: Money(attodollars: totals.unrecorded),
                    hasPreviousWeek: previousTotals != nil
                )
            )
            var tools = Set((byWeek[start] ?? []).map(\.key.tool))
            if previousTotals != nil { tools.formUnion((byWeek[start - weekLength] ?? []).map(\.key.tool)) }
            var weekRows: [Row] = []
            for tool in tools {
                weekRows.append(
                    Row(
                        week: label,
                        tool: keyer.labels([tool], in: dataset)[0],
                        usd: Money(attodollars: spend[Key(week: start, tool: tool)] ?? 0),
                        previousUSD: Money(attodollars: spend[Key(week: start - weekLength, tool: tool)] ?? 0),
                        weekUSD: Money(attodollars: totals.usd),
                        previousWeekUSD: previousTotals.map { Money(attodollars: $0.usd) }
                    )
                )
            }
            weekRows.sort(by: Self.order)
            rows += weekRows
        }
        self.weeks = weeks
        self.rows = rows
        totalUSD = Money(attodollars: total)
    }

    /// Each ISO week's spend and each tool's in it, summed row by row without hashing: the week by a small
    /// index (the last row's week is remembered, as rows of one task come together), the tool by a dense slot of
    /// its interned id. A tool has an entry in a week from its first row there on, zero or not, as a dictionary
    /// with `[key, default: 0]` entries would.
    struct WeekToolSums {
        private var weekStarts: [Int64] = []
        private var indexOfWeek: [Int64: Int] = [:]
        private var lastWeek: (start: Int64, index: Int)?
        private var totals: [(usd: Int128, unrecorded: Int128)] = []
        /// The tools' slots.
        private var slots: DenseIDSlots
        /// Per week, per tool slot: its spend, and whether the tool has a row in the week.
        private var spend: [[Int128]] = []
        private var present: [[Bool]] = []

        /// The spend of every row added.
        private(set) var total: Int128 = 0

        init(idLimit: Int) { slots = DenseIDSlots(idLimit: idLimit) }

        /// Adds row `row`, whose columns are `columns`.
        mutating func add(_ dataset: SpendDataset, row: Int, _ columns: RowColumns) {
            let week = ReportPeriod.week.start(nanoseconds: columns.time)
            add(week: week, tool: dataset.fieldID(.tool, at: row) ?? 0, columns.amount, unrecorded: columns.dayOnly)
        }

        /// Adds a row's `amount` to the week that starts at `week` and to `tool` in it; `unrecorded`: spend the
        /// bill holds and no record carries.
        mutating func add(week: Int64, tool: Int32, _ amount: Int128, unrecorded: Bool) {
            let index: Int
            if let last = lastWeek, last.start == week {
                index = last.index
            } else {
                index = indexOfWeek[week] ?? newWeek(week)
                lastWeek = (week, index)
            }
            totals[index].usd &+= amount
            total &+= amount
            if unrecorded { totals[index].unrecorded &+= amount }
            addSpend(week: index, slot: slots.slot(tool).slot, amount)
        }

        /// Adds `amount` to the tool in slot `slot` in the week at `index`.
        private mutating func addSpend(week index: Int, slot: Int, _ amount: Int128) {
            if slot >= spend[index].count {
                spend[index].append(contentsOf: repeatElement(0, count: slot + 1 - spend[index].count))
                present[index].append(contentsOf: repeatElement(false, count: slot + 1 - present[index].count))
            }
            spend[index][slot] &+= amount
            if !present[index][slot] { present[index][slot] = true }
        }

        private mutating func newWeek(_ week: Int64) -> Int {
            indexOfWeek[week] = weekStarts.count
            weekStarts.append(week)
            totals.append((0, 0))
            spend.append([])
            present.append([])
            return weekStarts.count - 1
        }

        /// Adds the sums of `other` (rows after these): its weeks, totals and tools' spend.
        mutating func merge(_ other: WeekToolSums) {
            for (otherIndex, week) in other.weekStarts.enumerated() {
                let index = indexOfWeek[week] ?? newWeek(week)
                totals[index].usd &+= other.totals[otherIndex].usd
                totals[index].unrecorded &+= other.totals[otherIndex].unrecorded
                for otherSlot in other.spend[otherIndex].indices where other.present[otherIndex][otherSlot] {
                    let slot = slots.slot(other.slots.ids[otherSlot]).slot
                    addSpend(week: index, slot: slot, other.spend[otherIndex][otherSlot])
                }
            }
            total &+= other.total
        }

        /// Each week's total and unrecorded spend, by the week's start.
        var weekTotals: [Int64: (usd: Int128, unrecorded: Int128)] {
            Dictionary(uniqueKeysWithValues: zip(weekStarts, totals))
        }

        /// Each tool's spend in each week where it has a row.
        var toolSpend: [(week: Int64, tool: Int32, usd: Int128)] {
            var result: [(week: Int64, tool: Int32, usd: Int128)] = []
            for (index, week) in weekStarts.enumerated() {
                for slot in spend[index].indices where present[index][slot] {
                    result.append((week, slots.ids[slot], spend[index][slot]))
                }
            }
            return result
        }
    }

    static func order(_ a: Row, _ b: Row) -> Bool {
        switch (a.shift, b.shift) {
        case (let x?, let y?):
            let order = x.compareMagnitude(y)
            if order != 0 { return order > 0 }
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): break
        }
        if a.usd != b.usd { return a.usd > b.usd }
        return Array(a.tool.utf8).lexicographicallyPrecedes(b.tool.utf8)
    }

    // MARK: - Output

    static let columns = ["week", "tool", "spend_usd", "share_pct", "previous_share_pct", "shift_pp"]

    /// The report in `format`: `table` (the default), `json`, `csv` or `markdown`. Money in each week is rounded
    /// by largest remainder so that the week's rows add up to its rounded total (9 decimals in CSV and JSON, 2
    /// in the table and Markdown); shares and shifts are rounded half-even each (6 decimals, 2), so their
    /// printed values may miss 100 by a last digit.
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
        let figures = ModelsReport.figureDecimals(format)
        let none = ModelsReport.missing(format)
        var money: [String] = []
        var start = 0
        while start < rows.count {
            var end = start
            while end < rows.count, rows[end].week == rows[start].week { end += 1 }
            money += ShownMoney.rounded(rows[start..<end].map { ($0.tool, $0.usd) }, format: format)
            start = end
        }
        return zip(rows, money).map { row, usd in
            [
                row.week, row.tool, usd, row.sharePercent(decimals: figures) ?? none,
                row.previousSharePercent(decimals: figures) ?? none, row.shiftPoints(decimals: figures) ?? none,
            ]
        }
    }

    func table(_ format: ReportFormat) -> ReportTable {
        var notes = [
            "Total: $" + totalUSD.formatted(decimals: ShownMoney.decimals(format))
                + ". Shares are of each week's total spend; shift_pp = share - previous week's share, in "
                + "percentage points."
        ]
        let unrecorded = weeks.reduce(Money.zero) { $0 + $1.unrecordedUSD }
        if unrecorded != .zero {
            notes.append(
                "(none) includes $" + unrecorded.formatted(decimals: 2)
                    + " billed and not recorded, which has no tool."
            )
        }
        let numeric: Set<String> = ["spend_usd", "share_pct", "previous_share_pct", "shift_pp"]
        return ReportTable(
            title: "Tool spend as a share of each ISO week's total, largest week-over-week shift first",
            columns: Self.columns.map { ReportTable.Column($0, numeric: numeric.contains($0)) },
            rows: cells(format),
            notes: notes
        )
    }

    func renderJSON() -> String {
        var w = JSONWriter(capacity: 256 + rows.count * 200)
        w.raw("{")
        w.key("total_usd")
        w.string(totalUSD.formatted())
        w.raw(",")
        w.key("weeks")
        w.raw("[")
        for (index, week) in weeks.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{")
            w.key("week")
            w.string(week.week)
            w.raw(",")
            w.key("total_usd")
            w.string(week.usd.formatted())
            w.raw(",")
            w.key("unrecorded_usd")
            w.string(week.unrecordedUSD.formatted())
            w.raw("}")
        }
        w.raw("],")
        w.key("tools")
        w.raw("[")
        for (index, row) in cells(.json).enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{")
            for (column, name) in Self.columns.enumerated() {
                if column > 0 { w.raw(",") }
                w.key(name)
                if column < 3 {
                    w.string(row[column])
                } else {
                    w.raw(row[column].isEmpty ? "null" : row[column])
                }
            }
            w.raw("}")
        }
        w.raw("]}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
