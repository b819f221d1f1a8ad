import Attribution
import CostLedger

/// One detector's pass over the dataset's rows, fed a row at a time, so that ``AlertReport`` reads the rows once
/// for all its detectors instead of once per detector (docs/alerts.md). A scan is a class: it is changed in
/// place on every row, never copied. Over many rows, each share of the rows (``RowShares``) is fed to scans of
/// its own on its own thread, and their sums are merged into one scan.
protocol AlertScan: AnyObject {
    /// Adds rows `rows`, whose columns are `columns` in the same order (each row's time is `started_at`, else
    /// `ts`; midnight for spend known per day only).
    func add(_ dataset: SpendDataset, rows: Range<Int>, _ columns: [RowColumns])
    /// The sums of the rows added so far, for ``merge(_:)`` into a scan of the same detector.
    var part: AlertScanPart { get }
    /// Adds the sums of a scan of the same detector over other rows: sums, counts and sets of users or tasks add
    /// up the same in any order.
    func merge(_ part: AlertScanPart)
    /// The alerts that fire once every row is added, each with the scope its contributors are looked for in
    /// (one scope per alert, in the same order).
    func finish(_ dataset: SpendDataset) -> (alerts: [Alert], scopes: [ContributorScope])
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
        let scans = make()
        guard !scans.isEmpty else { return [] }
        let shares = shares ?? RowShares.count(dataset.count)
        if shares <= 1 {
            feed(scans, dataset, rows: 0..<dataset.count)
        } else {
            let parts = RowShares.map(dataset.count, shares: shares) { rows in
                let own = make()
                feed(own, dataset, rows: rows)
                return own.map(\.part)
            }
            for share in parts {
                for (scan, part) in zip(scans, share) { scan.merge(part) }
            }
        }
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
        let filled = ContributorScope.fill(alerts, scopes, dataset, shares: shares)
        var result: [[Alert]] = []
        var start = 0
        for count in counts {
            result.append(Array(filled[start..<start + count]))
            start += count
        }
        return result
    }

    /// Rows read at once by ``feed(_:_:rows:)``.
    static let blockRows = 1024

    /// Feeds rows `rows` to every scan, a block of ``blockRows`` rows at a time: the block's columns are read
    /// once, then each scan adds the whole block, so that a scan is called once per block rather than once per
    /// row, and its cells stay in the cache while it adds the block's rows.
    static func feed(_ scans: [any AlertScan], _ dataset: SpendDataset, rows: Range<Int>) {
        var columns: [RowColumns] = []
        columns.reserveCapacity(blockRows)
        var start = rows.lowerBound
        while start < rows.upperBound {
            let block = start..<min(rows.upperBound, start + blockRows)
            columns.removeAll(keepingCapacity: true)
            for row in block { columns.append(dataset.columns(row)) }
            for scan in scans { scan.add(dataset, rows: block, columns) }
            start = block.upperBound
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

    func add(_ dataset: SpendDataset, rows: Range<Int>, _ columns: [RowColumns]) {
        Self.add(rule, &grid, dataset, rows: rows, columns)
    }

    /// Adds a block of rows to `grid`: one exclusive access to the scan's cells per block.
    private static func add(
        _ rule: PeriodicRule,
        _ grid: inout PeriodicCells,
        _ dataset: SpendDataset,
        rows: Range<Int>,
        _ columns: [RowColumns]
    ) {
        for (row, rowColumns) in zip(rows, columns) { add(rule, &grid, dataset, row: row, rowColumns) }
    }

    /// Adds a row to `grid`: a period with recorded spend is covered (a retry-free day of a feature counts as $0
    /// only when the data cover it), and the row's subject's cell there gets its sums.
    private static func add(
        _ rule: PeriodicRule,
        _ grid: inout PeriodicCells,
        _ dataset: SpendDataset,
        row: Int,
        _ columns: RowColumns
    ) {
        guard !columns.dayOnly, let position = grid.position(rule.period.start(nanoseconds: columns.time)) else {
            return
        }
        grid.cover(position)
        guard let subject = rule.subjectKey(dataset, row: row, columns) else { return }
        let cell = grid.cell(subject: subject, position: position)
        switch rule.measure {
        case .activeUsers:
            grid.add(cell, columns.amount, calls: columns.calls, user: dataset.fieldID(.userID, at: row) ?? 0)
        case .tasks:
            grid.add(cell, columns.amount, calls: columns.calls, task: columns.task)
        default:
            grid.add(cell, columns.amount, calls: columns.calls)
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

    func add(_ dataset: SpendDataset, rows: Range<Int>, _ columns: [RowColumns]) {
        Self.add(&grid, dataset, rows: rows, columns)
    }

    private static func add(
        _ grid: inout DayToolGrid,
        _ dataset: SpendDataset,
        rows: Range<Int>,
        _ columns: [RowColumns]
    ) {
        if grid.slots.idLimit == 0 { grid.slots = DenseIDSlots(idLimit: dataset.idLimit) }
        for (row, rowColumns) in zip(rows, columns) {
            guard let day = grid.day(rowColumns.time) else { continue }
            grid.add(day: day, tool: dataset.fieldID(.tool, at: row) ?? 0, rowColumns.amount)
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

/// The sums of ``ToolShareScan``'s rows laid out densely: per day from `from`, its total, and per tool (by a
/// dense slot of its interned id) and day, its spend, so that a row costs arithmetic and array reads instead
/// of two dictionary updates. A day or a tool and day has an entry from its first row on, zero or not, as a
/// dictionary with `[key, default: 0]` entries would.
struct DayToolGrid {
    /// The first day's start and the number of days.
    let from: Int64
    let days: Int
    private var total: [Int128]
    private var dayHasRows: [Bool]
    /// The tools' slots; sized to the dataset's ids when the first rows are added.
    var slots = DenseIDSlots(idLimit: 0)
    /// Per (slot × ``days`` + day): the tool's spend that day, and whether it has a row that day.
    private var spend: [Int128] = []
    private var present: [Bool] = []

    init(from: Int64, days: Int) {
        self.from = from
        self.days = max(0, days)
        total = [Int128](repeating: 0, count: self.days)
        dayHasRows = [Bool](repeating: false, count: self.days)
    }

    /// The index of the day of instant `time`, nil outside the grid's days.
    func day(_ time: Int64) -> Int? {
        let (offset, overflow) = time.subtractingReportingOverflow(from)
        guard !overflow, offset >= 0 else { return nil }
        let day = offset / ReportPeriod.nanosecondsPerDay
        return day < Int64(days) ? Int(day) : nil
    }

    /// Adds a row's `amount` to day `day` and, unless `tool` is 0 (no tool), to the tool that day.
    mutating func add(day: Int, tool: Int32, _ amount: Int128) {
        total[day] &+= amount
        dayHasRows[day] = true
        guard tool != 0 else { return }
        let at = slot(tool) * days + day
        spend[at] &+= amount
        present[at] = true
    }

    private mutating func slot(_ tool: Int32) -> Int {
        let (slot, isNew) = slots.slot(tool)
        if isNew {
            spend.append(contentsOf: repeatElement(0, count: days))
            present.append(contentsOf: repeatElement(false, count: days))
        }
        return slot
    }

    /// Adds the sums to `total` and `toolSpend`, by each day's start, and empties the grid.
    mutating func drain(total: inout [Int64: Int128], toolSpend: inout [ToolShareScan.Key: Int128]) {
        let length = ReportPeriod.nanosecondsPerDay
        for day in 0..<days where dayHasRows[day] {
            total[from + Int64(day) * length, default: 0] &+= self.total[day]
            self.total[day] = 0
            dayHasRows[day] = false
        }
        for (slot, tool) in slots.ids.enumerated() {
            for day in 0..<days where present[slot * days + day] {
                toolSpend[ToolShareScan.Key(tool: tool, day: from + Int64(day) * length), default: 0] &+=
                    spend[slot * days + day]
            }
        }
        slots.removeAll()
        spend = []
        present = []
    }
}
