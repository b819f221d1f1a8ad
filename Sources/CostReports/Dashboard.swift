public import Attribution
public import CostAudit
public import CostLedger

/// One row of the dashboard's current alerts: what the alerts library (docs/alerts.md) reports, as the page
/// shows it.
public struct DashboardAlert: Sendable, Hashable {
    /// The detector's name: `cost_per_active_user`, `budget`, …
    public var detector: String
    /// What moved: a feature, a user, a team, or the whole product.
    public var subject: String
    /// The UTC hour or day it moved in.
    public var since: String
    /// By how much, against what baseline, in a few words.
    public var summary: String
    /// Spend above the baseline.
    public var usdAtStake: Money

    public init(detector: String, subject: String, since: String, summary: String, usdAtStake: Money) {
        self.detector = detector
        self.subject = subject
        self.since = since
        self.summary = summary
        self.usdAtStake = usdAtStake
    }

    /// The row of an alert of ``AlertReport``: its value against its baseline, and the ratio.
    public init(_ alert: Alert) {
        var summary = "\(alert.readable(alert.value)) against a baseline of \(alert.readable(alert.baseline))"
        if let ratio = alert.ratio(decimals: 2) { summary += " (\(ratio)x)" }
        self.init(
            detector: alert.detector,
            subject: alert.subject,
            since: alert.since,
            summary: summary,
            usdAtStake: alert.usdAtStake
        )
    }
}

/// `cost-audit html` as a value (docs/dashboard.md): the aggregates of one self-contained HTML page of the
/// audit's reconciled spend, and the page itself (``html()``).
///
/// The page is built from aggregates, never from records: spend per day by team and by feature over the last
/// ``days`` days, per hour over the last 24 hours, the unknown share per day, cost per active user per hour
/// against the same hour of the previous 7 days, the top features and users, each tool's weekly share, the
/// alerts given, and the audit's headline. Each chart keeps its ``maxSeries`` largest series (and the
/// `(unknown)` one) and folds the rest into `(other)`, so the page's size does not grow with the ledger's.
///
/// ```swift
/// let dashboard = Dashboard(SpendDataset(try Auditor.attribute(configuration)), now: .now())
/// try dashboard.html().write(to: url, atomically: true, encoding: .utf8)
/// ```
public struct Dashboard: Sendable {
    /// The most series a chart draws: the largest, then `(other)` for the rest.
    public static let maxSeries = 8
    /// The most rows of each top list and of the alerts.
    public static let maxRows = 10
    public static let maxAlerts = 50
    /// The most weeks of tool shares shown: the ISO weeks up to the page's end, those with spend.
    public static let maxWeeks = 12

    /// A chart's series: a name and one value per column, in dollars (or percent).
    struct Series: Sendable, Hashable {
        var name: String
        var values: [Double]
    }

    /// One row of a top list.
    struct TopRow: Sendable, Hashable {
        var name: String
        var usd: Money
        var share: AuditShare
    }

    /// One hour of cost per active user and its baseline.
    struct HourPoint: Sendable, Hashable {
        var label: String
        /// Recorded spend ÷ active users; nil without active users.
        var value: Double?
        var activeUsers: Int
        /// The same hour on the previous 7 days (those with active users): median, lowest, highest.
        var median: Double?
        var low: Double?
        var high: Double?
    }

    /// Days of the daily charts.
    public let days: Int
    /// The first instant not shown: the start of the hour of `now`.
    public let end: UTCTimestamp
    public let report: AuditReport
    public private(set) var alerts: [DashboardAlert]
    /// Why the page's alerts were not evaluated (a detector's parameters are invalid), shown where the alerts
    /// would be; nil when they were, or were given.
    public private(set) var alertsNotEvaluated: ReportError?

    let dayLabels: [String]
    let hourLabels: [String]
    let teamDaily: [Series]
    let featureDaily: [Series]
    let teamHourly: [Series]
    let featureHourly: [Series]
    /// Unknown share of each day's spend, in percent; nil for a day without spend.
    let unknownShare: [Double?]
    /// Cost per active user, the last 24 hours.
    let hours: [HourPoint]
    let topFeatures: [TopRow]
    let topUsers: [TopRow]
    let windowUSD: Money
    let weekLabels: [String]
    let toolShares: [Series]

    /// Aggregates the dataset's rows before the hour of `now`.
    ///
    /// - Parameters:
    ///   - dataset: the audit's rows (an audit covering at least the days shown).
    ///   - now: the page shows what happened before the start of this instant's UTC hour (an instant outside
    ///     ``ReportClock/supported`` is taken as the nearest one inside).
    ///   - alerts: the current alerts, largest dollars at stake first (at most ``maxAlerts`` are shown).
    ///   - days: days of the daily charts, 1 to 92 (30 by default).
    public init(_ dataset: SpendDataset, now: UTCTimestamp, alerts: [DashboardAlert] = [], days: Int = 30) {
        self.init(dataset, now: now, alerts: alerts, days: days, shares: RowShares.count(dataset.count))
    }

    /// The page with its rows summed in `shares` shares (``DashboardSums``): the same page for any count.
    init(_ dataset: SpendDataset, now: UTCTimestamp, alerts: [DashboardAlert], days: Int, shares: Int) {
        let frame = Self.frame(now: now, days: days)
        let parts = AlertScans.alerts({ [] }, dataset, shares: max(1, shares)) { DashboardScan(dataset, frame: frame) }
        self.init(
            dataset,
            alerts: alerts,
            frame: frame,
            sums: DashboardSums(dataset, frame: frame, merging: parts.alongside)
        )
    }

    /// The page and its current alerts: the alerts of `detectors` over the 24 hours before `now`'s hour
    /// (``AlertReport``; none, and ``alertsNotEvaluated`` says why, when a detector's parameters are invalid),
    /// found in the same pass over the rows as the charts' sums, which reads each row once for both.
    ///
    /// - Parameters:
    ///   - dataset: the audit's rows (an audit covering at least the days shown and the detectors' baselines).
    ///   - now: the page shows what happened before the start of this instant's UTC hour (an instant outside
    ///     ``ReportClock/supported`` is taken as the nearest one inside).
    ///   - detectors: the detectors of the current alerts (at most ``maxAlerts`` alerts are shown).
    ///   - days: days of the daily charts, 1 to 92 (30 by default).
    public init(_ dataset: SpendDataset, now: UTCTimestamp, detectors: [any AlertDetector], days: Int = 30) {
        self.init(dataset, now: now, detectors: detectors, days: days, shares: nil)
    }

    /// The page and its alerts with the rows read in `shares` shares (default: ``RowShares/count(_:parallel:)``):
    /// the same page for any count.
    init(_ dataset: SpendDataset, now: UTCTimestamp, detectors: [any AlertDetector], days: Int, shares: Int?) {
        let now = ReportClock.clamped(now)
        let frame = Self.frame(now: now, days: days)
        // The page shows no contributors: they are not looked for.
        let scans = AlertReport.alongside(
            dataset,
            detectors: detectors,
            now: now,
            window: .day,
            shares: shares,
            contributors: false
        ) { DashboardScan(dataset, frame: frame) }
        self.init(
            dataset,
            alerts: ((try? scans.report.get())?.alerts ?? []).map(DashboardAlert.init),
            frame: frame,
            sums: DashboardSums(dataset, frame: frame, merging: scans.alongside)
        )
        if case .failure(let error) = scans.report { alertsNotEvaluated = error }
    }

    /// Where the charts of a page of `days` days before `now`'s hour lie.
    static func frame(now: UTCTimestamp, days: Int) -> DashboardSums.Frame {
        let now = ReportClock.clamped(now)
        let hour = ReportPeriod.nanosecondsPerHour
        let day = ReportPeriod.nanosecondsPerDay
        let endHour = ReportPeriod.floorDiv(now.nanosecondsSinceEpoch, hour) * hour
        let lastDay = ReportPeriod.floorDiv(endHour - 1, day)
        let days = min(92, max(1, days))
        let firstHour = endHour - 24 * hour
        let lastMonday = ReportPeriod.floorDiv(ReportPeriod.week.start(nanoseconds: lastDay * day), day)
        let toolFirstDay = lastMonday - 7 * Int64(maxWeeks - 1)
        return DashboardSums.Frame(
            days: days,
            firstDay: lastDay - Int64(days) + 1,
            endHour: endHour,
            firstHour: firstHour,
            baselineStart: firstHour - 7 * day,
            toolFirstDay: toolFirstDay,
            toolDays: Int(lastDay - toolFirstDay) + 1
        )
    }

    /// The page of the sums of every row, `sums`, in `frame`.
    private init(_ dataset: SpendDataset, alerts: [DashboardAlert], frame: DashboardSums.Frame, sums: DashboardSums) {
        let hour = ReportPeriod.nanosecondsPerHour
        let day = ReportPeriod.nanosecondsPerDay
        self.days = frame.days
        self.report = dataset.report
        self.alerts = Array(alerts.prefix(Self.maxAlerts))
        end = UTCTimestamp(nanosecondsSinceEpoch: frame.endHour)
        let firstDay = frame.firstDay
        let firstHour = frame.firstHour

        dayLabels = (0..<self.days).map { offset in
            ReportPeriod.day.label(of: UTCTimestamp(nanosecondsSinceEpoch: (firstDay + Int64(offset)) * day))
        }
        hourLabels = (0..<24).map { offset in
            ReportPeriod.hour.label(of: UTCTimestamp(nanosecondsSinceEpoch: firstHour + Int64(offset) * hour))
        }

        let (teams, features, users) = (sums.teams, sums.features, sums.users)
        let (dayTotals, dayUnknown, hourSpend, hourUsers) = (
            sums.dayTotals, sums.dayUnknown, sums.hourSpend, sums.hourUsers
        )
        let windowTotal = sums.windowTotal
        func label(_ id: Int32) -> String { id == 0 ? ReportDimension.unknownLabel : dataset.string(id) }
        teamDaily = Self.folded(teams.part(0), label: label)
        featureDaily = Self.folded(features.part(0), label: label)
        teamHourly = Self.folded(teams.part(1), label: label)
        featureHourly = Self.folded(features.part(1), label: label)
        unknownShare = zip(dayUnknown, dayTotals).map { unknown, total in
            total == 0 ? nil : MonthForecast.double(unknown) / MonthForecast.double(total) * 100
        }
        var points: [HourPoint] = []
        func perUser(_ index: Int) -> Double? {
            hourUsers[index].isEmpty ? nil : MonthForecast.double(hourSpend[index]) / Double(hourUsers[index].count)
        }
        for offset in 0..<24 {
            let index = 7 * 24 + offset
            let previous = (0..<7).compactMap { perUser(offset + 24 * $0) }.sorted()
            points.append(
                HourPoint(
                    label: hourLabels[offset],
                    value: perUser(index),
                    activeUsers: hourUsers[index].count,
                    median: previous.isEmpty ? nil : ForecastMethod.percentile(previous, 0.5),
                    low: previous.first,
                    high: previous.last
                )
            )
        }
        hours = points
        windowUSD = Money(attodollars: windowTotal)
        topFeatures = Self.top(features.part(2).mapValues { $0[0] }, total: windowTotal, label: label)
        topUsers = Self.top(users.totals, total: windowTotal, label: label)

        let tools = ToolsReport(dataset, sums: sums.toolSums)
        let weeks = tools.weeks.suffix(Self.maxWeeks).map(\.week)
        weekLabels = weeks
        var toolWeeks: [String: [Int128]] = [:]
        var weekTotals = [Int128](repeating: 0, count: weeks.count)
        for row in tools.rows {
            guard let index = weeks.firstIndex(of: row.week) else { continue }
            toolWeeks[row.tool, default: [Int128](repeating: 0, count: weeks.count)][index] &+= row.usd.attodollars
            weekTotals[index] &+= row.usd.attodollars
        }
        var byName: [Int32: [Int128]] = [:]
        var names: [Int32: String] = [:]
        for (offset, entry) in toolWeeks.sorted(by: { $0.key < $1.key }).enumerated() {
            byName[Int32(offset + 1)] = entry.value
            names[Int32(offset + 1)] = entry.key
        }
        toolShares = Self.folded(byName, label: { names[$0] ?? "" }, keepUnknown: false).map { series in
            Series(
                name: series.name,
                values: zip(series.values, weekTotals).map { value, total in
                    total == 0 ? 0 : value / MonthForecast.double(total) * 100
                }
            )
        }
    }

    /// The same page with `alerts` as its current alerts (at most ``maxAlerts`` are shown): the charts can be
    /// drawn while the alerts are still being found.
    public func replacingAlerts(_ alerts: [DashboardAlert]) -> Dashboard {
        var page = self
        page.alerts = Array(alerts.prefix(Self.maxAlerts))
        page.alertsNotEvaluated = nil
        return page
    }

    /// The largest series by their sum (`(unknown)`, id 0, always kept), the rest folded into `(other)`.
    static func folded(
        _ sums: [Int32: [Int128]],
        label: (Int32) -> String,
        keepUnknown: Bool = true
    ) -> [Series] {
        let ranked = sums.map { (id: $0.key, values: $0.value, total: $0.value.reduce(0, &+)) }
            .sorted { a, b in
                if a.total != b.total { return a.total > b.total }
                return Array(label(a.id).utf8).lexicographicallyPrecedes(label(b.id).utf8)
            }
        var series: [Series] = []
        var other: [Int128]?
        let room = maxSeries - (keepUnknown && sums[0] != nil ? 2 : 1)
        var kept = 0
        for entry in ranked {
            if keepUnknown, entry.id == 0 {
                series.append(Series(name: label(0), values: entry.values.map(MonthForecast.double)))
            } else if kept < room || (ranked.count <= maxSeries) {
                series.append(Series(name: label(entry.id), values: entry.values.map(MonthForecast.double)))
                kept += 1
            } else {
                var sum = other ?? [Int128](repeating: 0, count: entry.values.count)
                for index in sum.indices { sum[index] &+= entry.values[index] }
                other = sum
            }
        }
        if let other {
            series.append(Series(name: ReportDimension.otherLabel, values: other.map(MonthForecast.double)))
        }
        return series
    }

    /// The ``maxRows`` largest, by spend, with their share of `total`.
    static func top(_ sums: [Int32: Int128], total: Int128, label: (Int32) -> String) -> [TopRow] {
        sums.filter { $0.value != 0 }
            .sorted { a, b in
                if a.value != b.value { return a.value > b.value }
                return Array(label(a.key).utf8).lexicographicallyPrecedes(label(b.key).utf8)
            }
            .prefix(maxRows)
            .map { entry in
                TopRow(
                    name: label(entry.key),
                    usd: Money(attodollars: entry.value),
                    share: AuditShare(Money(attodollars: entry.value), of: Money(attodollars: total))
                )
            }
    }
}

/// Sums per interned id (0 included: no value), each id with parts of `widths` columns, in one flat array by a
/// dense slot per id: a row finds its id's sums without hashing. An id has a part from the first amount added to
/// it on, zero or not, as a dictionary per part with `[id, default: …]` entries would.
struct IDSums {
    let widths: [Int]
    private let offsets: [Int]
    private let stride: Int
    private var slots: DenseIDSlots
    private var sums: [Int128] = []
    /// Per slot and part: whether an amount was added to that part.
    private var present: [Bool] = []

    init(widths: [Int], idLimit: Int) {
        self.widths = widths
        var offsets: [Int] = []
        var total = 0
        for width in widths {
            offsets.append(total)
            total += width
        }
        self.offsets = offsets
        stride = total
        slots = DenseIDSlots(idLimit: idLimit)
    }

    /// Adds `amount` to column `column` of part `part` of `id`'s sums.
    mutating func add(_ id: Int32, part: Int, _ column: Int, _ amount: Int128) {
        add(slot: slot(id), part: part, column, amount)
    }

    /// The slot of `id`'s sums, made when new (with no part yet): a row adding to several parts of one id finds
    /// it once.
    mutating func slot(_ id: Int32) -> Int {
        let (slot, isNew) = slots.slot(id)
        if isNew {
            sums.append(contentsOf: repeatElement(0, count: stride))
            present.append(contentsOf: repeatElement(false, count: widths.count))
        }
        return slot
    }

    /// Adds `amount` to column `column` of part `part` of the sums in slot `slot` (from ``slot(_:)``).
    mutating func add(slot: Int, part: Int, _ column: Int, _ amount: Int128) {
        sums[slot * stride + offsets[part] + column] &+= amount
        if !present[slot * widths.count + part] { present[slot * widths.count + part] = true }
    }

    /// Adds the sums of `other` (of the same widths), id by id: an id new here gets its slot after those seen.
    mutating func merge(_ other: IDSums) {
        for (otherSlot, id) in other.slots.ids.enumerated() {
            let slot = self.slot(id)
            for part in widths.indices where other.present[otherSlot * widths.count + part] {
                let (mine, theirs) = (slot * stride + offsets[part], otherSlot * stride + offsets[part])
                for column in 0..<widths[part] { sums[mine + column] &+= other.sums[theirs + column] }
                present[slot * widths.count + part] = true
            }
        }
    }

    /// Part `part` of every id's sums.
    func part(_ part: Int) -> [Int32: [Int128]] {
        var result: [Int32: [Int128]] = [:]
        for (slot, id) in slots.ids.enumerated() where present[slot * widths.count + part] {
            let start = slot * stride + offsets[part]
            result[id] = Array(sums[start..<start + widths[part]])
        }
        return result
    }
}

/// A total per interned id, by the id itself: an id below the dataset's ``SpendDataset/idLimit`` (every id the
/// dataset hands out) has its total at its place in an array, found without a slot; any other id by dictionary.
/// An id has a total from its first amount on, zero or not.
struct IDTotals {
    private var sums: [Int128]
    private var seen: [Bool]
    private var overflow: [Int32: Int128] = [:]

    init(idLimit: Int) {
        sums = [Int128](repeating: 0, count: max(0, idLimit))
        seen = [Bool](repeating: false, count: max(0, idLimit))
    }

    /// Adds `amount` to `id`'s total.
    mutating func add(_ id: Int32, _ amount: Int128) {
        guard id >= 0, Int(id) < sums.count else {
            overflow[id, default: 0] &+= amount
            return
        }
        sums[Int(id)] &+= amount
        if !seen[Int(id)] { seen[Int(id)] = true }
    }

    /// Adds the totals of `other` (of the same id limit).
    mutating func merge(_ other: IDTotals) {
        for id in other.seen.indices where other.seen[id] {
            sums[id] &+= other.sums[id]
            seen[id] = true
        }
        for (id, amount) in other.overflow { overflow[id, default: 0] &+= amount }
    }

    /// Every id's total.
    var totals: [Int32: Int128] {
        var result = overflow
        for id in seen.indices where seen[id] { result[Int32(truncatingIfNeeded: id), default: 0] &+= sums[id] }
        return result
    }
}
