public import Attribution
public import CostAudit
public import CostLedger

/// One alert of `cost-audit alerts` (docs/alerts.md): what moved, by how much, since when, against which
/// baseline, the dollars at stake (spend above the baseline) and the top contributors of the excess.
public struct Alert: Sendable {
    /// What an alert's value and baseline measure.
    public enum Unit: String, Sendable, Hashable {
        case usdPerActiveUser = "usd_per_active_user"
        case usdPerCall = "usd_per_call"
        case usdPerTask = "usd_per_task"
        case percent
        case usd

        /// What ``Alert/volume`` counts for this unit.
        var volumeName: String {
            switch self {
            case .usdPerActiveUser: return "active users"
            case .usdPerCall: return "calls"
            case .usdPerTask: return "tasks"
            case .percent, .usd: return ""
            }
        }
    }

    /// One combination of user, feature, model and prompt version (the subject's own dimension left out) and
    /// its part of the excess: its spend in the alert's period minus its expected spend, which is its spend in
    /// the baseline periods averaged and scaled to the alert period's volume (docs/alerts.md).
    public struct Contributor: Sendable, Hashable {
        public var dimensions: [ReportDimension]
        /// One value per dimension, or its missing label (`(unknown)`, `(none)`).
        public var values: [String]
        /// Its spend in the alert's period.
        public var usd: Money
        /// Its expected spend in that period.
        public var expectedUSD: Money
        /// ``usd`` − ``expectedUSD``: positive.
        public var excessUSD: Money

        /// `user_id=u_1042 feature=summarize model=gpt-4.1 prompt_version=summarize-v4`.
        public var label: String {
            zip(dimensions, values).map { $0.name + "=" + $1 }.joined(separator: " ")
        }
    }

    static let oneDollar = Money(attodollars: 1_000_000_000_000_000_000)

    /// The detector's name.
    public var detector: String
    /// What moved: `all` (every user), `feature=summarize`, `task_type=generate`, `tool=web_search`.
    public var subject: String
    /// The period measured: an hour or a day; for `tool_share`, the ISO week so far.
    public var period: ReportPeriod
    /// The period's start and end.
    public var start: UTCTimestamp
    public var end: UTCTimestamp
    public var unit: Unit
    var value: WideFraction
    var baseline: WideFraction
    /// The period's active users, calls or tasks (nil for a unit without a count).
    public var volume: Int?
    /// Spend above the baseline, rounded half-even to the attodollar.
    public var usdAtStake: Money
    /// At most three, largest excess first.
    public var contributors: [Contributor] = []
    /// One more sentence for ``text`` (the `budget` detector's run-out day), nil for none.
    public var note: String?

    init(
        detector: String,
        subject: String,
        period: ReportPeriod,
        start: UTCTimestamp,
        end: UTCTimestamp,
        unit: Unit,
        value: WideFraction,
        baseline: WideFraction,
        volume: Int?,
        usdAtStake: Money
    ) {
        self.detector = detector
        self.subject = subject
        self.period = period
        self.start = start
        self.end = end
        self.unit = unit
        self.value = value
        self.baseline = baseline
        self.volume = volume
        self.usdAtStake = usdAtStake
    }

    /// Since when: the hour (`2026-11-30T14`) or day (`2026-11-30`); for a week, its Monday.
    public var since: String { (period == .hour ? ReportPeriod.hour : .day).label(of: start) }

    /// The value in its unit (dollars, or a percentage), rounded half-even to `decimals` places.
    public func value(decimals: Int) -> String { Self.shown(value, unit, decimals) }
    /// The baseline, as ``value(decimals:)``.
    public func baseline(decimals: Int) -> String { Self.shown(baseline, unit, decimals) }
    /// value ÷ baseline rounded half-even to `decimals` places; nil when the baseline is zero.
    public func ratio(decimals: Int) -> String? { value.dividing(by: baseline)?.formatted(decimals: decimals) }

    static func shown(_ figure: WideFraction, _ unit: Unit, _ decimals: Int) -> String {
        unit == .percent ? figure.formatted(decimals: decimals) : figure.dollars(decimals: decimals)
    }

    /// The value for a reader: `$0.512345 per active user`, `34.50%`, `$12.34`.
    func readable(_ figure: WideFraction) -> String {
        switch unit {
        case .percent: return Self.shown(figure, unit, 2) + "%"
        case .usd: return "$" + Self.shown(figure, unit, 2)
        case .usdPerActiveUser: return "$" + Self.shown(figure, unit, 6) + " per active user"
        case .usdPerCall: return "$" + Self.shown(figure, unit, 6) + " per call"
        case .usdPerTask: return "$" + Self.shown(figure, unit, 6) + " per task"
        }
    }

    /// The alert as one sentence: what a chat message or a log line shows.
    public var text: String {
        var out = "\(detector) alert: \(subject)"
        if period == .week {
            out += " in the ISO week \(ReportPeriod.week.label(of: start)) to \(end)"
        } else {
            out += " since \(since) (\(period.name) to \(end))"
        }
        out += ": \(readable(value)) against a baseline of \(readable(baseline))"
        if let ratio = ratio(decimals: 2) { out += " (\(ratio)x)" }
        if let volume { out += " over \(volume) \(unit.volumeName)" }
        out += "; $\(usdAtStake.formatted(decimals: 2)) at stake."
        if let note { out += " " + note }
        if !contributors.isEmpty {
            out += " Top contributors: "
            out += contributors.map { "\($0.label) +$\($0.excessUSD.formatted(decimals: 2))" }.joined(separator: "; ")
            out += "."
        }
        return out
    }

    /// The alert as a JSON object (the members of `alerts[]`).
    func writeJSON(_ w: inout JSONWriter) {
        w.raw("{")
        w.key("detector")
        w.string(detector)
        w.raw(",")
        w.key("subject")
        w.string(subject)
        w.raw(",")
        w.key("since")
        w.string(since)
        w.raw(",")
        w.key("until")
        w.string(end.description)
        w.raw(",")
        w.key("unit")
        w.string(unit.rawValue)
        w.raw(",")
        let decimals = unit == .percent ? 6 : 9
        w.key("value")
        w.string(value(decimals: decimals))
        w.raw(",")
        w.key("baseline")
        w.string(baseline(decimals: decimals))
        w.raw(",")
        w.key("ratio")
        w.raw(ratio(decimals: 6) ?? "null")
        w.raw(",")
        w.key("volume")
        if let volume { w.integer(volume) } else { w.raw("null") }
        w.raw(",")
        w.key("usd_at_stake")
        w.string(usdAtStake.formatted())
        w.raw(",")
        w.key("contributors")
        w.raw("[")
        for (index, contributor) in contributors.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{")
            for (dimension, value) in zip(contributor.dimensions, contributor.values) {
                w.key(dimension.name)
                w.string(value)
                w.raw(",")
            }
            w.key("usd")
            w.string(contributor.usd.formatted())
            w.raw(",")
            w.key("expected_usd")
            w.string(contributor.expectedUSD.formatted())
            w.raw(",")
            w.key("excess_usd")
            w.string(contributor.excessUSD.formatted())
            w.raw("}")
        }
        w.raw("],")
        w.key("text")
        w.string(text)
        w.raw("}")
    }
}

/// Where an alert's contributors are looked for: the rows of its subject in its period and in the baseline's
/// periods.
struct ContributorScope: Sendable {
    /// Per scope: the spend of each combination of its ``tuple`` in its current and its baseline periods.
    typealias Sums = [[Int32]: (current: Int128, baseline: Int128)]

    /// The sums of each scope over rows `rows`; `byPeriod` lists the scopes of each period (by its length and
    /// start), and whether the period is a current one.
    static func sums(
        _ scopes: [ContributorScope],
        _ byPeriod: [Int64: [Int64: [(scope: Int, current: Bool)]]],
        _ dataset: SpendDataset,
        rows: Range<Int>
    ) -> [Sums] {
        var sums = [Sums](repeating: [:], count: scopes.count)
        for row in rows {
            let columns = dataset.columns(row)
            guard !columns.dayOnly else { continue }
            for (granularity, starts) in byPeriod {
                guard let entries = starts[ReportPeriod.floorDiv(columns.time, granularity) * granularity] else {
                    continue
                }
                for (index, current) in entries {
                    let scope = scopes[index]
                    if scope.retriesOnly, columns.attempt < 2 { continue }
                    if let dimension = scope.dimension, (dataset.fieldID(dimension, at: row) ?? 0) != scope.key {
                        continue
                    }
                    let key = scope.tuple.map { dataset.fieldID($0, at: row) ?? 0 }
                    if current {
                        sums[index][key, default: (0, 0)].current &+= columns.amount
                    } else {
                        sums[index][key, default: (0, 0)].baseline &+= columns.amount
                    }
                }
            }
        }
        return sums
    }

    /// The dimension the subject is a value of (nil: every row) and its id.
    var dimension: ReportDimension?
    var key: Int32
    var retriesOnly: Bool
    /// The length of the periods below: an hour or a day.
    var granularity: Int64
    var current: [Int64]
    var baseline: [Int64]
    /// Expected spend = baseline-period spend × scale.
    var scale: WideFraction
    var tuple: [ReportDimension]

    /// User, feature, model and prompt version, without the subject's own dimension.
    static func dimensions(without subject: ReportDimension?) -> [ReportDimension] {
        [ReportDimension.userID, .feature, .model, .promptVersion].filter { $0 != subject }
    }

    /// The alerts with their top `top` contributors, found in one pass over the recorded rows, read in `shares`
    /// shares on threads of their own (default: ``RowShares/count(_:parallel:)``); the shares' sums are added.
    static func fill(
        _ alerts: [Alert],
        _ scopes: [ContributorScope],
        _ dataset: SpendDataset,
        top: Int = 3,
        shares: Int? = nil
    )
        -> [Alert]
    {
        guard !alerts.isEmpty else { return alerts }
        var byPeriod: [Int64: [Int64: [(scope: Int, current: Bool)]]] = [:]
        for (index, scope) in scopes.enumerated() {
            for start in scope.current {
                byPeriod[scope.granularity, default: [:]][start, default: []].append((index, true))
            }
            for start in scope.baseline {
                byPeriod[scope.granularity, default: [:]][start, default: []].append((index, false))
            }
        }
        let periods = byPeriod
        let parts = RowShares.map(dataset.count, shares: shares ?? RowShares.count(dataset.count)) { rows in
            Self.sums(scopes, periods, dataset, rows: rows)
        }
        var sums = parts[0]
        for part in parts.dropFirst() {
            for (index, entries) in part.enumerated() {
                for (key, spend) in entries {
                    sums[index][key, default: (0, 0)].current &+= spend.current
                    sums[index][key, default: (0, 0)].baseline &+= spend.baseline
                }
            }
        }
        var filled = alerts
        for (index, scope) in scopes.enumerated() {
            var contributors: [Alert.Contributor] = []
            for (key, spend) in sums[index] {
                let expected =
                    (WideFraction(spend.baseline, 1) ?? .zero).multiplied(by: scope.scale).roundedInteger ?? 0
                let excess = spend.current &- expected
                guard excess > 0 else { continue }
                let values = zip(scope.tuple, key).map { dimension, id in
                    id == 0 ? dimension.missingLabel : dataset.string(id)
                }
                contributors.append(
                    Alert.Contributor(
                        dimensions: scope.tuple,
                        values: values,
                        usd: Money(attodollars: spend.current),
                        expectedUSD: Money(attodollars: expected),
                        excessUSD: Money(attodollars: excess)
                    )
                )
            }
            contributors.sort { a, b in
                if a.excessUSD != b.excessUSD { return a.excessUSD > b.excessUSD }
                return Array(a.label.utf8).lexicographicallyPrecedes(b.label.utf8)
            }
            filled[index].contributors = Array(contributors.prefix(top))
        }
        return filled
    }
}

/// `cost-audit alerts` as a value (docs/alerts.md): every detector evaluated for each complete UTC hour (hourly
/// detectors) or day (daily and weekly ones) that ends in the window before `now`, the alerts largest dollars at
/// stake first.
///
/// ```swift
/// let now = try UTCTimestamp(rfc3339: "2026-12-01T00:00:00Z")
/// let window = AlertReport.auditWindow(detectors: AlertDetectors.standard, now: now, window: .day)
/// configuration.since = window.since
/// configuration.until = window.until
/// let alerts = try AlertReport(SpendDataset(try Auditor.attribute(configuration)), now: now)
/// for alert in alerts.alerts { print(alert.text) }
/// ```
public struct AlertReport: Sendable {
    public let now: UTCTimestamp
    public let window: ReportWindow
    /// The detectors evaluated, by name.
    public let detectorNames: [String]
    /// Largest ``Alert/usdAtStake`` first; then by detector (in the order given), subject and start.
    public let alerts: [Alert]

    /// The periods of `detector` evaluated: each complete period that ends in `(now − window, now]`, oldest
    /// first.
    public static func periods(
        of detector: any AlertDetector,
        now: UTCTimestamp,
        window: ReportWindow
    )
        -> [UTCTimestamp]
    {
        let length = detector.period == .hour ? ReportPeriod.nanosecondsPerHour : ReportPeriod.nanosecondsPerDay
        let from = window.start(before: now).nanosecondsSinceEpoch
        var end = ReportPeriod.floorDiv(now.nanosecondsSinceEpoch, length) * length
        var starts: [UTCTimestamp] = []
        while end > from {
            starts.append(UTCTimestamp(nanosecondsSinceEpoch: end - length))
            end -= length
        }
        return starts.reversed()
    }

    /// The window the audit must cover: from the earliest history any detector reads to `now`.
    public static func auditWindow(
        detectors: [any AlertDetector],
        now: UTCTimestamp,
        window: ReportWindow
    ) -> (
        since: UTCTimestamp, until: UTCTimestamp
    ) {
        var since = window.start(before: now)
        for detector in detectors {
            if let first = periods(of: detector, now: now, window: window).first {
                since = min(since, detector.historyStart(evaluatingFrom: first))
            }
        }
        return (since, now)
    }

    /// Evaluates `detectors` on the dataset.
    ///
    /// - Throws: ``ReportError`` when a detector's parameters are invalid, or `now` is outside
    ///   ``ReportClock/supported``.
    public init(
        _ dataset: SpendDataset,
        detectors: [any AlertDetector] = AlertDetectors.standard,
        now: UTCTimestamp,
        window: ReportWindow = .day
    ) throws(ReportError) {
        try ReportClock.check(now, field: "now")
        for detector in detectors { try detector.validate() }
        self.init(
            now: now,
            window: window,
            detectors: detectors,
            alerts: Self.evaluate(
                dataset,
                detectors,
                now: now,
                window: window,
                shares: nil,
                nil as (@Sendable () -> NoScan)?
            ).alerts
        )
    }

    private init(now: UTCTimestamp, window: ReportWindow, detectors: [any AlertDetector], alerts: [Alert]) {
        self.now = now
        self.window = window
        detectorNames = detectors.map(\.name)
        self.alerts = alerts
    }

    /// The report of `detectors` and, fed the same blocks of rows (one read of each row for both), the parts of
    /// the scan `alongside` makes for each share of the rows, in order. The report is the error of the first
    /// detector whose parameters are invalid instead; the scan alongside reads every row all the same. Without `contributors`, the
    /// alerts of the detectors that scan the rows have no contributors (``AlertScans/alerts(_:_:shares:contributors:alongside:)``).
    static func alongside<Companion: CompanionScan>(
        _ dataset: SpendDataset,
        detectors: [any AlertDetector],
        now: UTCTimestamp,
        window: ReportWindow,
        shares: Int? = nil,
        contributors: Bool = true,
        _ alongside: @escaping @Sendable () -> Companion
    ) -> (report: Result<AlertReport, ReportError>, alongside: [Companion.Part]) {
        do throws(ReportError) {
            for detector in detectors { try detector.validate() }
        } catch {
            return (.failure(error), AlertScans.alerts({ [] }, dataset, shares: shares, alongside: alongside).alongside)
        }
        let found = evaluate(
            dataset,
            detectors,
            now: now,
            window: window,
            shares: shares,
            contributors: contributors,
            alongside
        )
        return (
            .success(AlertReport(now: now, window: window, detectors: detectors, alerts: found.alerts)),
            found.alongside
        )
    }

    /// The alerts of `detectors`, whose parameters are valid, largest dollars at stake first, and the parts of
    /// the scan `alongside` makes, fed the same rows.
    private static func evaluate<Companion: CompanionScan>(
        _ dataset: SpendDataset,
        _ detectors: [any AlertDetector],
        now: UTCTimestamp,
        window: ReportWindow,
        shares: Int?,
        contributors: Bool = true,
        _ alongside: (@Sendable () -> Companion)?
    ) -> (alerts: [Alert], alongside: [Companion.Part]) {
        var found: [(order: Int, alert: Alert)] = []
        // The detectors that scan the rows share one pass over them (and one for the contributors).
        var scans: [(order: Int, detector: any ScanningDetector, periods: [UTCTimestamp])] = []
        for (order, detector) in detectors.enumerated() {
            let periods = Self.periods(of: detector, now: now, window: window)
            guard !periods.isEmpty else { continue }
            if let scanning = detector as? any ScanningDetector {
                scans.append((order, scanning, periods))
            } else {
                found += detector.alerts(dataset, periods: periods).map { (order, $0) }
            }
        }
        let scanning = scans.map { ($0.detector, $0.periods) }
        let scanned = AlertScans.alerts(
            { scanning.map { entry in entry.0.scan(periods: entry.1) } },
            dataset,
            shares: shares,
            contributors: contributors,
            alongside: alongside
        )
        for (scan, alerts) in zip(scans, scanned.alerts) {
            found += alerts.map { (scan.order, $0) }
        }
        found.sort { a, b in
            if a.alert.usdAtStake != b.alert.usdAtStake { return a.alert.usdAtStake > b.alert.usdAtStake }
            if a.order != b.order { return a.order < b.order }
            if a.alert.subject != b.alert.subject {
                return Array(a.alert.subject.utf8).lexicographicallyPrecedes(b.alert.subject.utf8)
            }
            return a.alert.start < b.alert.start
        }
        return (found.map(\.alert), scanned.alongside)
    }

    // MARK: - Output

    /// The report in `format`: `table` (the default), `json`, `csv` or `markdown`.
    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .json: return renderJSON()
        case .csv: return alertTable(format).renderCSV()
        case .markdown:
            return alertTable(format).renderMarkdown()
                + (alerts.isEmpty ? "" : "\n" + contributorTable(format).renderMarkdown())
        default:
            return alertTable(format).renderText()
                + (alerts.isEmpty ? "" : "\n" + contributorTable(format).renderText())
        }
    }

    /// One message per alert for a chat webhook: a JSON object with the alert's sentence in `text` (what Slack
    /// and Teams incoming webhooks show) and the alert itself in `alert`.
    public func webhookMessages() -> [String] {
        alerts.map { alert in
            var w = JSONWriter(capacity: 1024)
            w.raw("{")
            w.key("text")
            w.string(alert.text)
            w.raw(",")
            w.key("alert")
            alert.writeJSON(&w)
            w.raw("}")
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }

    var title: String {
        "Alerts for the periods ending in the \(window) before \(now), largest dollars at stake first"
    }

    func alertTable(_ format: ReportFormat) -> ReportTable {
        let readable = format == .table || format == .markdown
        let none = ModelsReport.missing(format)
        var columns = ["#", "detector", "subject", "since", "value", "baseline", "ratio", "volume", "usd_at_stake"]
        if !readable { columns.insert("unit", at: 4) }
        if format == .csv { columns.append("contributors") }
        let numeric: Set<String> = ["#", "ratio", "volume", "usd_at_stake", "value", "baseline"]
        let rows = alerts.enumerated().map { index, alert in
            var row = [
                "\(index + 1)", alert.detector, alert.subject, alert.since,
                readable ? alert.readable(alert.value) : alert.value(decimals: alert.unit == .percent ? 6 : 9),
                readable ? alert.readable(alert.baseline) : alert.baseline(decimals: alert.unit == .percent ? 6 : 9),
                alert.ratio(decimals: readable ? 2 : 6) ?? none,
                alert.volume.map { "\($0)" } ?? none,
                alert.usdAtStake.formatted(decimals: readable ? 2 : 9),
            ]
            if !readable { row.insert(alert.unit.rawValue, at: 4) }
            if format == .csv {
                row.append(
                    alert.contributors.map { "\($0.label) +\($0.excessUSD.formatted())" }.joined(separator: "; ")
                )
            }
            return row
        }
        var notes = ["Detectors: " + detectorNames.joined(separator: ", ") + "."]
        notes.append(
            alerts.isEmpty
                ? "No alert fired."
                : "\(alerts.count) alert\(alerts.count == 1 ? "" : "s") fired; usd_at_stake is the spend above the "
                    + "baseline."
        )
        return ReportTable(
            title: title,
            columns: columns.map { ReportTable.Column($0, numeric: numeric.contains($0)) },
            rows: rows,
            notes: readable ? notes : []
        )
    }

    func contributorTable(_ format: ReportFormat) -> ReportTable {
        var rows: [[String]] = []
        for (index, alert) in alerts.enumerated() {
            for contributor in alert.contributors {
                rows.append([
                    "\(index + 1)", contributor.label, contributor.usd.formatted(decimals: 2),
                    contributor.expectedUSD.formatted(decimals: 2), contributor.excessUSD.formatted(decimals: 2),
                ])
            }
        }
        var title =
            "Top contributors of each alert's excess (spend minus the baseline periods' spend, averaged and "
            + "scaled to the period's volume"
        if alerts.contains(where: { $0.detector == "budget" }) {
            title += "; for budget, each spender's share of the projection and of the budget"
        }
        return ReportTable(
            title: title + ")",
            columns: [
                ReportTable.Column("#", numeric: true), ReportTable.Column("contributor"),
                ReportTable.Column("spend_usd", numeric: true), ReportTable.Column("expected_usd", numeric: true),
                ReportTable.Column("excess_usd", numeric: true),
            ],
            rows: rows
        )
    }

    func renderJSON() -> String {
        var w = JSONWriter(capacity: 512 + alerts.count * 1024)
        w.raw("{")
        w.key("now")
        w.string(now.description)
        w.raw(",")
        w.key("window")
        w.string(window.description)
        w.raw(",")
        w.key("detectors")
        w.raw("[")
        for (index, name) in detectorNames.enumerated() {
            if index > 0 { w.raw(",") }
            w.string(name)
        }
        w.raw("],")
        w.key("alerts")
        w.raw("[")
        for (index, alert) in alerts.enumerated() {
            if index > 0 { w.raw(",") }
            alert.writeJSON(&w)
        }
        w.raw("]}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
