import Attribution
public import CostAudit
public import CostLedger

/// `cost-audit report --by DIM[,DIM...] [--period P] [--top N]` as a value: spend, tokens, calls and tasks per
/// group (and period), highest spend first within each period (docs/reports.md, "report").
///
/// ```swift
/// let audit = try Auditor.attribute(configuration)
/// let dataset = SpendDataset(audit)
/// let monthly = try SpendReport(dataset, by: [.team, .project], period: .month)
/// print(monthly.render(.table))
/// ```
public struct SpendReport: Sendable {
    /// One group: its dimension values (or `(unknown)`, `(none)`, `(other)`), its period, its sums.
    public struct Group: Sendable, Hashable {
        /// One label per dimension, in the order given.
        public var values: [String]
        /// The period's label (`2026-11`, `2026-W48`…) when the report has a period.
        public var period: String?
        public var usd: Money
        public var tokens: TokenCounts
        public var calls: Int
        /// Distinct tasks with spend in the group.
        public var tasks: Int
    }

    public let dimensions: [ReportDimension]
    public let period: ReportPeriod?
    /// Period by period (oldest first), highest spend first within each (ties by label, bytewise).
    public let groups: [Group]
    /// The sum of every group: the audit's classified total, less spend known per day only in an hourly
    /// report.
    public let totalUSD: Money
    /// Spend the report leaves out: spend the bill holds and no record carries is known per day only, so an
    /// hourly report cannot place it.
    public let omittedDailyUSD: Money

    /// Groups the dataset's rows.
    ///
    /// - Parameters:
    ///   - dataset: the audit's rows.
    ///   - dimensions: at least one.
    ///   - period: the UTC period to group time by; nil for the whole window.
    ///   - top: keep the `top` groups of highest spend in each period and fold the rest into `(other)`; a group
    ///     with an `(unknown)` value is never folded. Nil keeps every group.
    /// - Throws: ``ReportError`` when no dimension is given, `top` is below 1, or a token sum passes `Int64`.
    public init(
        _ dataset: SpendDataset,
        by dimensions: [ReportDimension],
        period: ReportPeriod? = nil,
        top: Int? = nil
    ) throws(ReportError) {
        guard !dimensions.isEmpty else {
            throw ReportError(field: "by", value: "", reason: "needs at least one dimension")
        }
        if let top, top < 1 {
            throw ReportError(field: "top", value: "\(top)", reason: "must be at least 1")
        }
        self.dimensions = dimensions
        self.period = period
        // Rows are grouped in shares on two threads when no dimension is a tag (a tag's key is an id of the
        // share's own keyer), then the shares' groups are merged: sums, token counts and task sets add up the same
        // in any order.
        let tags = dimensions.contains { if case .tag = $0.storage { true } else { false } }
        let shares = RowShares.count(dataset.count, parallel: !tags)
        let parts = RowShares.map(dataset.count, shares: shares) { rows in
            Self.group(dataset, rows: rows, by: dimensions, period: period)
        }
        let keyer = parts[0].keyer
        var slots = parts[0].slots
        var groupSums = parts[0].sums
        var omitted = parts[0].omitted
        for part in parts.dropFirst() {
            omitted &+= part.omitted
            for (key, slot) in part.slots {
                if let known = slots[key] {
                    groupSums[known].add(part.sums[slot])
                } else {
                    slots[key] = groupSums.count
                    groupSums.append(part.sums[slot])
                }
            }
        }
        var sums: [GroupKey: GroupSums] = [:]
        for (key, slot) in slots { sums[key] = groupSums[slot] }
        // The unknown group (no value for any dimension, one of which is a required field) is always shown, in
        // every period (and in a report without periods even when there are no rows).
        let missingRest = [Int32](repeating: 0, count: max(0, dimensions.count - 4))
        var periods = Set(sums.keys.map(\.period))
        if period == nil { periods.insert(0) }
        let showsUnknown = dimensions.contains { $0.missingLabel == ReportDimension.unknownLabel }
        for start in periods where showsUnknown {
            let missing = GroupKey(low: 0, high: 0, rest: missingRest, period: start)
            if sums[missing] == nil { sums[missing] = GroupSums() }
        }

        var groups: [Group] = []
        var total: Int128 = 0
        let byPeriod = Dictionary(grouping: sums, by: { $0.key.period })
        for start in periods.sorted() {
            var entries: [Entry] = []
            for (key, group) in byPeriod[start] ?? [] {
                let labels = keyer.labels(keyer.ids(key), in: dataset)
                if group.overflow {
                    throw ReportError(
                        field: "tokens",
                        value: labels.joined(separator: ","),
                        reason: "sum passes \(Int64.max) tokens"
                    )
                }
                entries.append(
                    Entry(labels: labels, unknown: labels.contains(ReportDimension.unknownLabel), sums: group)
                )
            }
            entries.sort(by: Entry.order)
            if let top { entries = Self.fold(entries, top: top, width: dimensions.count) }
            let label = period.map { $0.label(of: UTCTimestamp(nanosecondsSinceEpoch: start)) }
            for entry in entries {
                total &+= entry.sums.usd
                groups.append(
                    Group(
                        values: entry.labels,
                        period: label,
                        usd: Money(attodollars: entry.sums.usd),
                        tokens: entry.sums.tokens,
                        calls: entry.sums.calls,
                        tasks: entry.sums.tasks.count
                    )
                )
            }
        }
        self.groups = groups
        totalUSD = Money(attodollars: total)
        omittedDailyUSD = Money(attodollars: omitted)
    }

    /// The sums of rows `rows` by group: the keyer that made the keys, each key's slot, each slot's sums, and the
    /// spend an hourly report leaves out.
    static func group(
        _ dataset: SpendDataset,
        rows: Range<Int>,
        by dimensions: [ReportDimension],
        period: ReportPeriod?
    ) -> (keyer: DimensionKeyer, slots: [GroupKey: Int], sums: [GroupSums], omitted: Int128) {
        var keyer = DimensionKeyer(dimensions)
        var slots: [GroupKey: Int] = [:]
        var groupSums: [GroupSums] = []
        var omitted: Int128 = 0
        var starts = period.map(ReportPeriod.Starts.init)
        // The slots of keys seen lately, so that most rows need no hashing of their key.
        var recent = RecentSlots()
        for row in rows {
            let columns = dataset.columns(row)
            if let period, columns.dayOnly, !period.holdsDailySpend {
                omitted &+= columns.amount
                continue
            }
            let start = starts?.start(nanoseconds: columns.time) ?? 0
            let key = keyer.packedKey(dataset, row: row, period: start)
            let slot: Int
            if let known = recent.slot(of: key) {
                slot = known
            } else {
                if let known = slots[key] {
                    slot = known
                } else {
                    slot = groupSums.count
                    slots[key] = slot
                    groupSums.append(GroupSums())
                }
                recent.remember(key, slot)
            }
            groupSums[slot].add(dataset, row: row, columns)
        }
        return (keyer, slots, groupSums, omitted)
    }

    struct Entry {
        var labels: [String]
        var unknown: Bool
        var sums: GroupSums

        static func order(_ a: Entry, _ b: Entry) -> Bool {
            if a.sums.usd != b.sums.usd { return a.sums.usd > b.sums.usd }
            return SpendReport.precedes(a.labels, b.labels)
        }
    }

    /// Keeps the `top` groups of highest spend (and every group with an `(unknown)` value) and folds the rest
    /// into one `(other)` group.
    static func fold(_ entries: [Entry], top: Int, width: Int) -> [Entry] {
        var kept: [Entry] = []
        var other = GroupSums()
        var keptKnown = 0
        var folded = 0
        for entry in entries {
            if entry.unknown {
                kept.append(entry)
            } else if keptKnown < top {
                kept.append(entry)
                keptKnown += 1
            } else {
                other.add(entry.sums)
                folded += 1
            }
        }
        guard folded > 0 else { return kept }
        kept.append(
            Entry(labels: [String](repeating: ReportDimension.otherLabel, count: width), unknown: false, sums: other)
        )
        return kept.sorted(by: Entry.order)
    }

    static func precedes(_ a: [String], _ b: [String]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return Array(x.utf8).lexicographicallyPrecedes(y.utf8) }
        return false
    }

    // MARK: - Output

    /// The column names of CSV and JSON: the dimensions in the order given, `period` when there is one, then
    /// the sums.
    public var columnNames: [String] {
        dimensions.map(\.name) + (period == nil ? [] : ["period"]) + Self.sumColumns
    }

    /// The sums' column names of CSV and JSON, after the dimensions and the period.
    public static var sumColumnNames: [String] { sumColumns }

    static let sumColumns = [
        "spend_usd", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens",
        "reasoning_tokens", "calls", "tasks",
    ]

    /// The report in `format`: `table` (the default), `json`, `csv` or `markdown`. Money in each period is
    /// rounded by largest remainder so its rows add up to the period's rounded total: 9 decimals in CSV and
    /// JSON, 2 in the table and Markdown.
    public func render(_ format: ReportFormat) -> String {
        if format == .json { return renderJSON() }
        let table = self.table(format)
        switch format {
        case .csv: return table.renderCSV()
        case .markdown: return table.renderMarkdown()
        default: return table.renderText()
        }
    }

    /// The money of each group as shown, rounded within each period.
    func shownMoney(_ format: ReportFormat) -> [String] {
        var shown: [String] = []
        var start = 0
        while start < groups.count {
            var end = start
            while end < groups.count, groups[end].period == groups[start].period { end += 1 }
            let rows = groups[start..<end].map { ($0.values.joined(separator: "\u{1F}"), $0.usd) }
            shown += ShownMoney.rounded(rows, format: format)
            start = end
        }
        return shown
    }

    func table(_ format: ReportFormat) -> ReportTable {
        let money = shownMoney(format)
        var columns = dimensions.map { ReportTable.Column($0.name) }
        if period != nil { columns.append(ReportTable.Column("period")) }
        columns += Self.sumColumns.map { ReportTable.Column($0, numeric: true) }
        var rows: [[String]] = []
        for (group, usd) in zip(groups, money) {
            var row = group.values
            if let label = group.period { row.append(label) }
            row += [
                usd, "\(group.tokens.input)", "\(group.tokens.cachedInput)", "\(group.tokens.cacheWrite)",
                "\(group.tokens.output)", "\(group.tokens.reasoning)", "\(group.calls)", "\(group.tasks)",
            ]
            rows.append(row)
        }
        var title = "Spend by " + dimensions.map(\.name).joined(separator: ", ")
        if let period { title += ", per \(period.name)" }
        var notes = ["Total: $" + totalUSD.formatted(decimals: ShownMoney.decimals(format))]
        if omittedDailyUSD != .zero {
            notes.append(
                "Hourly groups cover recorded spend only: $\(omittedDailyUSD.formatted(decimals: 2)) billed and not "
                    + "recorded is known per day and left out."
            )
        }
        return ReportTable(title: title, columns: columns, rows: rows, notes: notes)
    }

    func renderJSON() -> String {
        let money = shownMoney(.json)
        var w = JSONWriter(capacity: 256 + groups.count * 256)
        w.raw("{")
        w.key("by")
        w.raw("[")
        for (i, dimension) in dimensions.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(dimension.name)
        }
        w.raw("],")
        w.key("period")
        if let period { w.string(period.name) } else { w.raw("null") }
        w.raw(",")
        w.key("total_usd")
        w.string(totalUSD.formatted())
        w.raw(",")
        w.key("omitted_daily_usd")
        w.string(omittedDailyUSD.formatted())
        w.raw(",")
        w.key("groups")
        w.raw("[")
        for (index, (group, usd)) in zip(groups, money).enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{")
            for (dimension, value) in zip(dimensions, group.values) {
                w.key(dimension.name)
                w.string(value)
                w.raw(",")
            }
            if let label = group.period {
                w.key("period")
                w.string(label)
                w.raw(",")
            }
            w.key("spend_usd")
            w.string(usd)
            let counts: [(StaticString, Int64)] = [
                ("input_tokens", group.tokens.input), ("cached_input_tokens", group.tokens.cachedInput),
                ("cache_write_tokens", group.tokens.cacheWrite), ("output_tokens", group.tokens.output),
                ("reasoning_tokens", group.tokens.reasoning), ("calls", Int64(group.calls)),
                ("tasks", Int64(group.tasks)),
            ]
            for (key, value) in counts {
                w.raw(",")
                w.key(key)
                w.integer(value)
            }
            w.raw("}")
        }
        w.raw("]}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
