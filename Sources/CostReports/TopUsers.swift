public import Attribution
public import CostAudit
public import CostLedger

/// `cost-audit top-users` as a value (docs/alerts.md, "top-users"): the daily digest of the users who spent most in
/// the window before `now`, with their share, calls, tasks, cost per task and top feature; the users past the
/// limit folded into `(other)`, and spend without a user in `(unknown)`, so the rows add up to the window's total.
///
/// ```swift
/// let digest = try TopUsersReport(dataset, now: now, window: .day, limit: 10)
/// for row in digest.users { print(row.user, row.usd, row.sharePercent(decimals: 2) ?? "-") }
/// ```
public struct TopUsersReport: Sendable {
    /// One user, or the `(other)` or `(unknown)` row.
    public struct Row: Sendable, Hashable {
        /// The user, or `(other)`, `(unknown)`.
        public var user: String
        /// Reconciled spend in the window: for `(unknown)`, recorded spend without a user and spend the bill holds
        /// that no record carries.
        public var usd: Money
        /// The part of ``usd`` that records carry: what cost per task divides.
        public var recordedUSD: Money
        public var calls: Int
        /// Distinct tasks with spend.
        public var tasks: Int
        /// The feature with the highest recorded spend (ties: bytewise first), `(unknown)` for records without
        /// one; nil when the row has no recorded spend.
        public var topFeature: String?
        var totalUSD: Money

        /// The row's share of the window's total, in percent, rounded half-even; nil when the total is zero.
        public func sharePercent(decimals: Int) -> String? {
            WideFraction(usd.attodollars, totalUSD.attodollars)?.scaled(by: 100).formatted(decimals: decimals)
        }

        /// Recorded spend ÷ tasks; nil without tasks.
        public var usdPerTask: MoneyQuotient? { tasks > 0 ? MoneyQuotient(recordedUSD, per: tasks) : nil }
    }

    /// The window: `[since, until)`.
    public let since: UTCTimestamp
    public let until: UTCTimestamp
    /// At most `limit` users, highest spend first (ties: bytewise first).
    public let users: [Row]
    /// The users after the first `limit`, together; nil when there are none.
    public let other: Row?
    /// Spend without a user, always present.
    public let unknown: Row
    public let totalUSD: Money

    /// The digest of the rows in `[now − window, now)`. Spend the bill holds and no record carries is known per
    /// day: it counts when its day starts in the window.
    ///
    /// - Throws: ``ReportError`` when `limit` is below 1, or `now` is outside ``ReportClock/supported``.
    public init(
        _ dataset: SpendDataset,
        now: UTCTimestamp,
        window: ReportWindow = .day,
        limit: Int = 10
    )
        throws(ReportError)
    {
        guard limit >= 1 else { throw ReportError(field: "limit", value: "\(limit)", reason: "must be at least 1") }
        try ReportClock.check(now, field: "now")
        let from = window.start(before: now).nanosecondsSinceEpoch
        let to = now.nanosecondsSinceEpoch
        struct Sums {
            var group = GroupSums()
            var recorded: Int128 = 0
            var features: [Int32: Int128] = [:]

            mutating func add(_ dataset: SpendDataset, row: Int) {
                group.add(dataset, row: row)
                if !dataset.dayOnly(row) {
                    recorded &+= dataset.attodollars(row)
                    features[dataset.fieldID(.feature, at: row) ?? 0, default: 0] &+= dataset.attodollars(row)
                }
            }
        }
        var byUser: [Int32: Sums] = [:]
        var total: Int128 = 0
        for row in 0..<dataset.count {
            let time = dataset.nanoseconds(row)
            guard time >= from, time < to else { continue }
            let user = dataset.fieldID(.userID, at: row) ?? 0
            // Changed in place: a user's sums copied out and stored back would copy their task set on every row.
            byUser[user, default: Sums()].add(dataset, row: row)
            total &+= dataset.attodollars(row)
        }
        let totalUSD = Money(attodollars: total)
        func row(_ name: String, _ sums: Sums) -> Row {
            let top = sums.features.max { a, b in
                if a.value != b.value { return a.value < b.value }
                let left = a.key == 0 ? ReportDimension.unknownLabel : dataset.string(a.key)
                let right = b.key == 0 ? ReportDimension.unknownLabel : dataset.string(b.key)
                return Array(right.utf8).lexicographicallyPrecedes(left.utf8)
            }
            return Row(
                user: name,
                usd: Money(attodollars: sums.group.usd),
                recordedUSD: Money(attodollars: sums.recorded),
                calls: sums.group.calls,
                tasks: sums.group.tasks.count,
                topFeature: top.map { $0.key == 0 ? ReportDimension.unknownLabel : dataset.string($0.key) },
                totalUSD: totalUSD
            )
        }
        var known = byUser.filter { $0.key != 0 }.map { (name: dataset.string($0.key), sums: $0.value) }
        known.sort { a, b in
            if a.sums.group.usd != b.sums.group.usd { return a.sums.group.usd > b.sums.group.usd }
            return Array(a.name.utf8).lexicographicallyPrecedes(b.name.utf8)
        }
        users = known.prefix(limit).map { row($0.name, $0.sums) }
        if known.count > limit {
            var rest = Sums()
            for user in known.dropFirst(limit) {
                rest.group.add(user.sums.group)
                rest.recorded &+= user.sums.recorded
                for (feature, usd) in user.sums.features { rest.features[feature, default: 0] &+= usd }
            }
            other = row(ReportDimension.otherLabel, rest)
        } else {
            other = nil
        }
        unknown = row(ReportDimension.unknownLabel, byUser[0] ?? Sums())
        since = UTCTimestamp(nanosecondsSinceEpoch: from)
        until = now
        self.totalUSD = totalUSD
    }

    /// Every row in order: the users, `(other)`, `(unknown)`.
    public var rows: [Row] { users + (other.map { [$0] } ?? []) + [unknown] }

    // MARK: - Output

    static let columns = [
        "rank", ReportDimension.userID.name, "spend_usd", "share_pct", "calls", "tasks", "usd_per_task", "top_feature",
    ]

    /// The digest in `format`: `table` (the default), `json`, `csv` or `markdown`. Money is rounded by largest
    /// remainder so the rows add up to the rounded total (2 decimals in the table and Markdown, 9 in CSV and
    /// JSON); shares are rounded half-even each.
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
        let readable = format == .table || format == .markdown
        let none = ModelsReport.missing(format)
        let all = rows
        let money = ShownMoney.rounded(all.map { ($0.user, $0.usd) }, format: format)
        return zip(all.indices, zip(all, money)).map { index, pair in
            let (row, usd) = pair
            return [
                index < users.count ? "\(index + 1)" : none, row.user, usd,
                row.sharePercent(decimals: readable ? 2 : 6) ?? none, "\(row.calls)", "\(row.tasks)",
                row.usdPerTask?.formatted(decimals: readable ? 4 : 9) ?? none, row.topFeature ?? none,
            ]
        }
    }

    func table(_ format: ReportFormat) -> ReportTable {
        let numeric: Set<String> = ["rank", "spend_usd", "share_pct", "calls", "tasks", "usd_per_task"]
        let unrecorded = unknown.usd - unknown.recordedUSD
        var notes = [
            "Total: $" + totalUSD.formatted(decimals: ShownMoney.decimals(format)) + " from \(since) to \(until). "
                + "usd_per_task = recorded spend / distinct tasks with spend."
        ]
        if unrecorded != .zero {
            notes.append(
                "(unknown) includes $" + unrecorded.formatted(decimals: 2)
                    + " billed and not recorded (known per day; counted when its day starts in the window)."
            )
        }
        return ReportTable(
            title: "Top users by spend in the \(ReportWindow.label(since, until)) before \(until)",
            columns: Self.columns.map { ReportTable.Column($0, numeric: numeric.contains($0)) },
            rows: cells(format),
            notes: notes
        )
    }

    func renderJSON() -> String {
        let cells = self.cells(.json)
        var w = JSONWriter(capacity: 512 + cells.count * 256)
        func object(_ row: [String]) {
            w.raw("{")
            for (column, name) in Self.columns.enumerated() where column > 0 {
                if column > 1 { w.raw(",") }
                w.key(name)
                switch name {
                case "calls", "tasks": w.raw(row[column])
                case "share_pct": w.raw(row[column].isEmpty ? "null" : row[column])
                default: row[column].isEmpty ? w.raw("null") : w.string(row[column])
                }
            }
            w.raw("}")
        }
        w.raw("{")
        w.key("since")
        w.string(since.description)
        w.raw(",")
        w.key("until")
        w.string(until.description)
        w.raw(",")
        w.key("total_usd")
        w.string(totalUSD.formatted())
        w.raw(",")
        w.key("users")
        w.raw("[")
        for index in users.indices {
            if index > 0 { w.raw(",") }
            object(cells[index])
        }
        w.raw("],")
        w.key("other")
        if other != nil { object(cells[users.count]) } else { w.raw("null") }
        w.raw(",")
        w.key("unknown")
        object(cells[cells.count - 1])
        w.raw("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

extension ReportWindow {
    /// `24 hours`, `7 days`: the length between two instants, for a title.
    static func label(_ since: UTCTimestamp, _ until: UTCTimestamp) -> String {
        let hours = (until.nanosecondsSinceEpoch - since.nanosecondsSinceEpoch) / ReportPeriod.nanosecondsPerHour
        if hours % 24 == 0, hours > 24 { return "\(hours / 24) days" }
        return "\(hours) hour\(hours == 1 ? "" : "s")"
    }
}
