/// Spend by day and tool laid out densely: per day from `from`, its total, and per tool (by a dense slot of its
/// interned id) and day, its spend, so that a row costs arithmetic and array reads instead of dictionary
/// updates. A day or a tool and day has an entry from its first row on, zero or not, as a dictionary with
/// `[key, default: 0]` entries would.
///
/// Two passes use it: ``ToolShareScan`` (rows without a tool count in the day's total only) and the dashboard's
/// weekly tool shares (``DashboardSums``; rows without a tool are a tool of their own, id 0, as in
/// ``ToolsReport``).
struct DayToolGrid {
    /// The first day's start and the number of days.
    let from: Int64
    let days: Int
    /// Whether rows without a tool (id 0) are summed as a tool of their own.
    let keepsNoTool: Bool
    private var total: [Int128]
    private var dayHasRows: [Bool]
    /// The tools' slots; sized to the dataset's ids when the first rows are added.
    var slots = DenseIDSlots(idLimit: 0)
    /// Per (slot × ``days`` + day): the tool's spend that day, and whether it has a row that day.
    private var spend: [Int128] = []
    private var present: [Bool] = []

    init(from: Int64, days: Int, keepingNoTool: Bool = false) {
        self.from = from
        self.days = max(0, days)
        keepsNoTool = keepingNoTool
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

    /// Adds a row's `amount` to day `day` and to the tool that day, unless `tool` is 0 (no tool) and the grid
    /// does not keep rows without a tool.
    mutating func add(day: Int, tool: Int32, _ amount: Int128) {
        total[day] &+= amount
        if !dayHasRows[day] { dayHasRows[day] = true }
        guard tool != 0 || keepsNoTool else { return }
        let at = slot(tool) * days + day
        spend[at] &+= amount
        if !present[at] { present[at] = true }
    }

    private mutating func slot(_ tool: Int32) -> Int {
        let (slot, isNew) = slots.slot(tool)
        if isNew {
            spend.append(contentsOf: repeatElement(0, count: days))
            present.append(contentsOf: repeatElement(false, count: days))
        }
        return slot
    }

    /// Adds the sums of a grid of the same days over other rows.
    mutating func merge(_ other: DayToolGrid) {
        precondition(other.from == from && other.days == days, "grids of different days")
        for day in 0..<days where other.dayHasRows[day] {
            total[day] &+= other.total[day]
            dayHasRows[day] = true
        }
        if slots.idLimit == 0 { slots = DenseIDSlots(idLimit: other.slots.idLimit) }
        for (otherSlot, tool) in other.slots.ids.enumerated() {
            let start = slot(tool) * days
            let otherStart = otherSlot * days
            for day in 0..<days where other.present[otherStart + day] {
                spend[start + day] &+= other.spend[otherStart + day]
                present[start + day] = true
            }
        }
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

    /// Adds each tool's spend of each day with a row of it to `sums`, in the day's ISO week, as recorded spend:
    /// the weeks' totals are then the sums of the rows kept (every row, when the grid keeps rows without a tool).
    func addWeeks(to sums: inout ToolsReport.WeekToolSums) {
        let length = ReportPeriod.nanosecondsPerDay
        for (slot, tool) in slots.ids.enumerated() {
            for day in 0..<days where present[slot * days + day] {
                let week = ReportPeriod.week.start(nanoseconds: from + Int64(day) * length)
                sums.add(week: week, tool: tool, spend[slot * days + day], unrecorded: false)
            }
        }
    }
}
