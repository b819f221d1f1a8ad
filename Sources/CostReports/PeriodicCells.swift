/// The cells of one ``PeriodicScan``, laid out densely: the periods the rule reads (the evaluated ones and their
/// baselines) are positions on a grid of hours or days from the earliest, each subject seen gets a row of that
/// many cells, and a row finds its cell by arithmetic and two array reads instead of a set lookup and a
/// dictionary lookup. The rows of the benchmark ledger come task by task at random times, so a cache of the
/// last period or cell rarely hits: the grid makes every row cheap, in or out of order. One value, changed in
/// place by one call per row.
struct PeriodicCells {
    /// The start of the grid's first period, the grid's step (an hour, or a day for daily and coarser periods,
    /// whose starts are whole days), and the number of positions.
    let base: Int64
    let step: Int64
    let count: Int
    /// ``base`` in steps from the epoch.
    private let baseSteps: Int64
    /// Per position: whether the rule reads the period there.
    private let needed: [Bool]
    /// Per position: whether a recorded row fell in the period there (a period with no such row is not covered).
    private var covered: [Bool]
    /// Per subject slot: its id; per (subject slot × ``count`` + position): its cell + 1 (0: none yet).
    private var subjects: [Int32] = []
    private var cellAt: [Int32] = []
    /// The cells, and the key of each.
    private(set) var cells: [PeriodicRule.Sums] = []
    private(set) var keys: [PeriodicRule.Key] = []
    /// Recent subjects and their slots, by the id's low bits: a rule's subjects are few (features, task types).
    private var recent = [(subject: Int32, slot: Int)](repeating: (-1, 0), count: 64)
    private var slotOfSubject: [Int32: Int] = [:]

    /// The grid over `needed`, the starts of the periods of `period` the rule reads.
    init(period: ReportPeriod, needed: Set<Int64>) {
        step = period == .hour ? ReportPeriod.nanosecondsPerHour : ReportPeriod.nanosecondsPerDay
        guard let first = needed.min(), let last = needed.max() else {
            base = 0
            baseSteps = 0
            count = 0
            self.needed = []
            covered = []
            return
        }
        base = first
        baseSteps = ReportPeriod.floorDiv(first, step)
        count = Int((last - first) / step) + 1
        var flags = [Bool](repeating: false, count: count)
        for start in needed { flags[Int((start - first) / step)] = true }
        self.needed = flags
        covered = flags.map { _ in false }
    }

    /// The position of the period that starts at `start`, nil when the rule does not read it.
    func position(_ start: Int64) -> Int? {
        let (offset, overflow) = start.subtractingReportingOverflow(base)
        guard !overflow, offset >= 0, offset / step < Int64(count) else { return nil }
        let position = Int(offset / step)
        return needed[position] ? position : nil
    }

    /// The position of the period that is `steps` of the grid's step (an hour or a day) after the epoch's, nil
    /// when the rule does not read it: ``position(_:)`` without a division, for a rule whose periods are the
    /// grid's steps.
    func position(steps: Int64) -> Int? {
        let (offset, overflow) = steps.subtractingReportingOverflow(baseSteps)
        guard !overflow, offset >= 0, offset < Int64(count) else { return nil }
        return needed[Int(offset)] ? Int(offset) : nil
    }

    /// Marks the period at `position` covered by recorded spend. The flag is written only when it changes: a read
    /// costs no check that the array's buffer is unshared, a write does (the scans' flags are set once and read
    /// on every row).
    mutating func cover(_ position: Int) {
        if !covered[position] { covered[position] = true }
    }

    /// The starts of the covered periods.
    var coveredStarts: Set<Int64> {
        var starts = Set<Int64>()
        for position in 0..<count where covered[position] { starts.insert(base + Int64(position) * step) }
        return starts
    }

    /// Marks the periods that start at `starts` covered.
    mutating func cover(starts: Set<Int64>) {
        for start in starts {
            if let position = position(start) { covered[position] = true }
        }
    }

    /// The index in ``cells`` of `subject`'s cell at `position`, made when new.
    mutating func cell(subject: Int32, position: Int) -> Int {
        let cache = Int(UInt32(bitPattern: subject) & 63)
        let slot: Int
        if recent[cache].subject == subject {
            slot = recent[cache].slot
        } else {
            if let known = slotOfSubject[subject] {
                slot = known
            } else {
                slot = subjects.count
                subjects.append(subject)
                slotOfSubject[subject] = slot
                cellAt.append(contentsOf: repeatElement(0, count: count))
            }
            recent[cache] = (subject, slot)
        }
        let at = slot * count + position
        if cellAt[at] != 0 { return Int(cellAt[at]) - 1 }
        cells.append(PeriodicRule.Sums())
        keys.append(PeriodicRule.Key(subject: subject, start: base + Int64(position) * step))
        cellAt[at] = Int32(truncatingIfNeeded: cells.count)
        return cells.count - 1
    }

    /// Adds a row's dollars and calls, and its user or task, to cell `index`.
    mutating func add(_ index: Int, _ amount: Int128, calls: Int, user: Int32 = 0, task: TaskID = .none) {
        cells[index].add(amount, calls: calls, user: user, task: task)
    }

    /// Adds the sums of other rows to the cell of `key`.
    mutating func merge(_ key: PeriodicRule.Key, _ sums: PeriodicRule.Sums) {
        guard let position = position(key.start) else { return }
        cells[cell(subject: key.subject, position: position)].merge(sums)
    }

    /// Settles every cell's tasks and users (``DistinctTasks/settle()``, ``DistinctIDs/settle()``), so that their
    /// counts and unions need no sort and no queued insertion.
    mutating func settle() {
        for index in cells.indices {
            cells[index].tasks.settle()
            cells[index].members.settle()
        }
    }

    /// Every cell's sums by its key.
    var sums: [PeriodicRule.Key: PeriodicRule.Sums] {
        var sums: [PeriodicRule.Key: PeriodicRule.Sums] = [:]
        sums.reserveCapacity(cells.count)
        for (key, cell) in zip(keys, cells) { sums[key] = cell }
        return sums
    }
}
