import Attribution
import CostLedger

/// One detector's pass over the dataset's rows, fed a row at a time, so that ``AlertReport`` reads the rows once
/// for all its detectors instead of once per detector (docs/alerts.md). A scan is a class: it is changed in
/// place on every row, never copied. Over many rows, each share of the rows (``RowShares``) is fed to scans of
/// its own on its own thread, and their sums are merged into one scan.
protocol AlertScan: BlockScan {
    /// The sums of the rows added so far, for ``merge(_:)`` into a scan of the same detector.
    var part: AlertScanPart { get }
    /// Adds the sums of a scan of the same detector over other rows: sums, counts and sets of users or tasks add
    /// up the same in any order.
    func merge(_ part: AlertScanPart)
    /// The alerts that fire once every row is added, each with the scope its contributors are looked for in
    /// (one scope per alert, in the same order).
    func finish(_ dataset: SpendDataset) -> (alerts: [Alert], scopes: [ContributorScope])
}

/// A pass over the dataset's rows fed a block of rows at a time (``RowBlock``), changed in place on every block.
protocol BlockScan: AnyObject {
    /// The fields the scan reads of each row besides its ``RowColumns``: the blocks it is fed hold them.
    var dimensions: [ReportDimension] { get }
    /// Adds the rows of `block` (each row's time is `started_at`, else `ts`; midnight for spend known per day
    /// only).
    func add(_ block: RowBlock)
}

/// The sums of one ``AlertScan`` over some rows.
enum AlertScanPart: Sendable {
    case periodic(cells: [PeriodicRule.Key: PeriodicRule.Sums], covered: Set<Int64>)
    case toolShare(toolSpend: [ToolShareScan.Key: Int128], total: [Int64: Int128])
}

/// A detector whose alerts come from one ``AlertScan``.
protocol ScanningDetector: AlertDetector {
    /// The scan that finds the alerts of the periods that start at `periods`.
    func scan(periods: [UTCTimestamp]) -> any AlertScan
}

// The periodic detectors scan through ``PeriodicDetector``.
extension ToolShareDetector: ScanningDetector {}

enum AlertScans {
    /// The alerts of each scan `make` makes, with their contributors: one pass over the rows feeds every scan,
    /// and one more finds the contributors of every alert (``ContributorScope/fill(_:_:_:top:shares:)``). Both
    /// passes read the rows in `shares` shares on threads of their own (default: ``RowShares/count(_:parallel:)``),
    /// each share with scans of its own, merged in the end.
    static func alerts(
        _ make: @Sendable () -> [any AlertScan],
        _ dataset: SpendDataset,
        shares: Int? = nil
    ) -> [[Alert]] {
        alerts(make, dataset, shares: shares, alongside: nil as (@Sendable () -> NoScan)?).alerts
    }

    /// ``alerts(_:_:shares:)``, with a scan `alongside` makes for each share of the rows fed the same blocks as
    /// the alert scans (a pass that reads the rows anyway, such as the dashboard's sums), so that the rows are
    /// read once for both: returns the alerts and each share's scan's ``CompanionScan/part``, in the order of the
    /// shares. Without `contributors`, the alerts have none and the pass that finds them is not made (for a
    /// caller that does not show them, such as the dashboard).
    static func alerts<Companion: CompanionScan>(
        _ make: @Sendable () -> [any AlertScan],
        _ dataset: SpendDataset,
        shares: Int? = nil,
        contributors: Bool = true,
        alongside: (@Sendable () -> Companion)?
    ) -> (alerts: [[Alert]], alongside: [Companion.Part]) {
        let scans = make()
        guard !scans.isEmpty || alongside != nil else { return ([], []) }
        let shares = shares ?? RowShares.count(dataset.count)
        let companions: [Companion.Part]
        if shares <= 1 {
            let companion = alongside?()
            feed(scans + (companion.map { [$0] } ?? []), dataset, rows: 0..<dataset.count)
            companions = companion.map { [$0.part] } ?? []
        } else {
            let parts = RowShares.map(dataset.count, shares: shares) { rows in
                let own = make()
                let companion = alongside?()
                feed(own + (companion.map { [$0] } ?? []), dataset, rows: rows)
                return (scans: own.map(\.part), companion: companion?.part)
            }
            for share in parts {
                for (scan, part) in zip(scans, share.scans) { scan.merge(part) }
            }
            companions = parts.compactMap(\.companion)
        }
        guard !scans.isEmpty else { return ([], companions) }
        var alerts: [Alert] = []
        var scopes: [ContributorScope] = []
        var counts: [Int] = []
        for scan in scans {
            let found = scan.finish(dataset)
            alerts += found.alerts
            scopes += found.scopes
            counts.append(found.alerts.count)
        }
        // Each alert's contributors are found from its own scope alone: filling them all at once gives each
        // the contributors it would get on its own.
        let filled = contributors ? ContributorScope.fill(alerts, scopes, dataset, shares: shares) : alerts
        var result: [[Alert]] = []
        var start = 0
        for count in counts {
            result.append(Array(filled[start..<start + count]))
            start += count
        }
        return (result, companions)
    }

    /// Rows read at once by ``feed(_:_:rows:)``.
    static let blockRows = 1024

    /// Feeds rows `rows` to every scan, a block of ``blockRows`` rows at a time (``RowBlock``): the block's
    /// columns and the fields any scan reads are read once, then each scan adds the whole block, so that a scan is
    /// called once per block rather than once per row, and its cells stay in the cache while it adds the block's
    /// rows.
    static func feed(_ scans: [any BlockScan], _ dataset: SpendDataset, rows: Range<Int>) {
        var block = RowBlock(reading: scans.flatMap(\.dimensions))
        var start = rows.lowerBound
        while start < rows.upperBound {
            block.read(dataset, rows: start..<min(rows.upperBound, start + blockRows))
            for scan in scans { scan.add(block) }
            start = block.rows.upperBound
        }
    }
}

/// The scan of a ``PeriodicRule``: its sums per subject and period over the periods it evaluates and their
/// baselines, in cells laid out by period (``PeriodicCells``).
final class PeriodicScan: AlertScan {
    let rule: PeriodicRule
    /// The starts of the evaluated periods.
    let evaluated: Set<Int64>
    /// The cells of each subject and period the rule reads: one stored property, so that a row costs one
    /// exclusive access to the scan.
    private var grid: PeriodicCells

    init(_ rule: PeriodicRule, periods: [UTCTimestamp]) {
        self.rule = rule
        let day = ReportPeriod.nanosecondsPerDay
        let evaluated = Set(periods.map { rule.period.start(nanoseconds: $0.nanosecondsSinceEpoch) })
        var needed = evaluated
        for start in evaluated {
            for back in 1...max(1, rule.baselineDays) { needed.insert(start - Int64(back) * day) }
        }
        self.evaluated = evaluated
        grid = PeriodicCells(period: rule.period, needed: needed)
    }

    /// The rule's subject, and the user of each row when the rule counts active users.
    var dimensions: [ReportDimension] {
        (rule.subject.map { [$0] } ?? []) + (rule.measure == .activeUsers ? [.userID] : [])
    }

    func add(_ block: RowBlock) { Self.add(rule, &grid, block) }

    /// Adds a block of rows to `grid`, one exclusive access to the scan's cells per block: a period with recorded
    /// spend is covered (a retry-free day of a feature counts as $0 only when the data cover it), and each row's
    /// subject's cell there gets its sums.
    private static func add(_ rule: PeriodicRule, _ grid: inout PeriodicCells, _ block: RowBlock) {
        let subjects = rule.subject.map { block.ids($0) } ?? []
        let users = rule.measure == .activeUsers ? block.ids(.userID) : []
        // An hourly or daily rule finds its period by the row's hour or day, read with the block.
        let steps = rule.period == .hour ? block.hours : rule.period == .day ? block.days : []
        for (offset, columns) in block.columns.enumerated() {
            guard !columns.dayOnly,
                let position = steps.isEmpty
                    ? grid.position(rule.period.start(nanoseconds: columns.time)) : grid.position(steps: steps[offset])
            else { continue }
            grid.cover(position)
            guard rule.counts(columns) else { continue }
            let cell = grid.cell(subject: subjects.isEmpty ? 0 : subjects[offset], position: position)
            switch rule.measure {
            case .activeUsers: grid.add(cell, columns.amount, calls: columns.calls, user: users[offset])
            case .tasks: grid.add(cell, columns.amount, calls: columns.calls, task: columns.task)
            default: grid.add(cell, columns.amount, calls: columns.calls)
            }
        }
    }

    var part: AlertScanPart {
        // Each share's tasks are sorted on its own thread, before the shares are merged.
        grid.settle()
        return .periodic(cells: grid.sums, covered: grid.coveredStarts)
    }

    func merge(_ part: AlertScanPart) {
        guard case .periodic(let other, let otherCovered) = part else { return }
        grid.cover(starts: otherCovered)
        for (key, sums) in other { grid.merge(key, sums) }
    }

    func finish(_ dataset: SpendDataset) -> (alerts: [Alert], scopes: [ContributorScope]) {
        grid.settle()
        return rule.evaluate(grid.sums, evaluated: evaluated, covered: grid.coveredStarts, dataset)
    }
}

/// The scan of ``ToolShareDetector``: each day's total spend and each tool's, from the Monday of the week before
/// the earliest evaluated week to the latest evaluated day.
final class ToolShareScan: AlertScan {
    struct Key: Hashable {
        var tool: Int32
        var day: Int64
    }

    let detector: ToolShareDetector
    /// The latest evaluated day of each ISO week.
    let lastDayOfWeek: [Int64: Int64]
    /// The rows read: `from..<to` (empty when no day is evaluated).
    let from: Int64
    let to: Int64
    /// The sums of the rows merged so far.
    private var toolSpend: [Key: Int128] = [:]
    private var total: [Int64: Int128] = [:]
    /// The sums of the rows added since, by day and tool slot, not yet added to ``total`` and ``toolSpend``:
    /// one stored property, so that a block of rows costs one exclusive access to the scan.
    private var grid: DayToolGrid

    init(_ detector: ToolShareDetector, periods: [UTCTimestamp]) {
        self.detector = detector
        let day = ReportPeriod.nanosecondsPerDay
        let days = Set(periods.map { ReportPeriod.day.start(nanoseconds: $0.nanosecondsSinceEpoch) })
        var lastDayOfWeek: [Int64: Int64] = [:]
        for start in days {
            let week = ReportPeriod.week.start(nanoseconds: start)
            lastDayOfWeek[week] = max(lastDayOfWeek[week] ?? .min, start)
        }
        self.lastDayOfWeek = lastDayOfWeek
        if let earliestWeek = lastDayOfWeek.keys.min(), let latestDay = days.max() {
            from = earliestWeek - 7 * day
            to = latestDay + day
        } else {
            from = 0
            to = 0
        }
        grid = DayToolGrid(from: from, days: Int((to - from) / day))
    }

    var dimensions: [ReportDimension] { [.tool] }

    func add(_ block: RowBlock) { Self.add(&grid, block) }

    private static func add(_ grid: inout DayToolGrid, _ block: RowBlock) {
        if grid.slots.idLimit == 0 { grid.slots = DenseIDSlots(idLimit: block.idLimit) }
        let tools = block.ids(.tool)
        for (offset, columns) in block.columns.enumerated() {
            guard let day = grid.day(columns.time) else { continue }
            grid.add(day: day, tool: tools[offset], columns.amount)
        }
    }

    /// Adds the grid's sums to ``total`` and ``toolSpend`` and empties it.
    private func flush() {
        grid.drain(total: &total, toolSpend: &toolSpend)
    }

    var part: AlertScanPart {
        flush()
        return .toolShare(toolSpend: toolSpend, total: total)
    }

    func merge(_ part: AlertScanPart) {
        flush()
        guard case .toolShare(let otherTools, let otherTotal) = part else { return }
        for (key, amount) in otherTools { toolSpend[key, default: 0] &+= amount }
        for (day, amount) in otherTotal { total[day, default: 0] &+= amount }
    }

    func finish(_ dataset: SpendDataset) -> (alerts: [Alert], scopes: [ContributorScope]) {
        flush()
        guard from < to else { return ([], []) }
        return detector.evaluate(toolSpend: toolSpend, total: total, lastDayOfWeek: lastDayOfWeek, dataset)
    }
}

/// A scan fed alongside the alert scans (``AlertScans/alerts(_:_:shares:contributors:alongside:)``), whose sums over a share of
/// the rows are handed back.
protocol CompanionScan: BlockScan, SendableMetatype {
    associatedtype Part: Sendable
    /// The sums of the rows added.
    var part: Part { get }
}

/// No scan alongside the alert scans (``AlertScans/alerts(_:_:shares:)``).
final class NoScan: CompanionScan {
    var dimensions: [ReportDimension] { [] }
    func add(_ block: RowBlock) {}
    var part: Bool { false }
}

/// The dashboard's sums (``DashboardSums``) as a scan fed alongside the alert scans.
final class DashboardScan: CompanionScan {
    private(set) var sums: DashboardSums
    var part: DashboardSums { sums }

    init(_ dataset: SpendDataset, frame: DashboardSums.Frame) { sums = DashboardSums(dataset, frame: frame) }

    var dimensions: [ReportDimension] { DashboardSums.dimensions }
    func add(_ block: RowBlock) { sums.add(block) }
}
