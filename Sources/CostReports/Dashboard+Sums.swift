import Attribution
import CostAudit

/// The sums the dashboard's charts are drawn from, over some of the dataset's rows: each share of the rows
/// (``RowShares``) is summed on a thread of its own, and the shares are merged in order, so that the page is the
/// same as from one pass over every row.
struct DashboardSums {
    /// Where the charts lie, in nanoseconds since the epoch but for the days (days since the epoch).
    struct Frame: Sendable {
        /// Days of the daily charts, and the first of them.
        let days: Int
        let firstDay: Int64
        /// The first instant not shown, the start of the last 24 hours and of the 7 days before them.
        let endHour: Int64
        let firstHour: Int64
        let baselineStart: Int64
        /// The first day of the tool shares' weeks (days since the epoch): the Monday ``Dashboard/maxWeeks`` − 1
        /// weeks before the last day's; they run to the last day.
        let toolFirstDay: Int64
        let toolDays: Int

        /// The hours of cost per active user: the last 24 and the same hours on the 7 days before.
        static let baselineHours = 24 * 8
    }

    /// Per team and per feature, by a dense slot of its id (no hashing per row): its days, its last 24 hours,
    /// and for a feature its total; per user, by its id, its total.
    private(set) var teams: IDSums
    private(set) var features: IDSums
    private(set) var users: IDTotals
    private(set) var dayTotals: [Int128]
    private(set) var dayUnknown: [Int128]
    private(set) var hourSpend: [Int128]
    private(set) var hourUsers: [DistinctIDs]
    private(set) var windowTotal: Int128 = 0
    /// The tool shares' recorded spend by day and tool (rows without a tool as tool 0), and their spend known per
    /// day only by week (a few rows a day), summed in the same pass; ``toolSums`` puts them together by week.
    private(set) var toolDays: DayToolGrid
    private(set) var unrecordedTools: ToolsReport.WeekToolSums

    let frame: Frame
    /// The id of the class name `unknown`, nil when no row can have it.
    private let unknownClass: Int32?
    /// The hour and user inserted last: rows of one task (one user) mostly come together, so most rows need no
    /// insertion.
    private var lastActive = (hour: -1, user: Int32(0))

    /// The fields the sums read of each row (``RowBlock``).
    static let dimensions: [ReportDimension] = [.userID, .team, .feature, .attributionClass, .tool]

    /// No rows yet.
    init(_ dataset: SpendDataset, frame: Frame) {
        self.frame = frame
        teams = IDSums(widths: [frame.days, 24], idLimit: dataset.idLimit)
        features = IDSums(widths: [frame.days, 24, 1], idLimit: dataset.idLimit)
        users = IDTotals(idLimit: dataset.idLimit)
        dayTotals = [Int128](repeating: 0, count: frame.days)
        dayUnknown = [Int128](repeating: 0, count: frame.days)
        hourSpend = [Int128](repeating: 0, count: Frame.baselineHours)
        hourUsers = [DistinctIDs](repeating: DistinctIDs(), count: Frame.baselineHours)
        toolDays = DayToolGrid(
            from: frame.toolFirstDay * ReportPeriod.nanosecondsPerDay,
            days: frame.toolDays,
            keepingNoTool: true
        )
        toolDays.slots = DenseIDSlots(idLimit: dataset.idLimit)
        unrecordedTools = ToolsReport.WeekToolSums(idLimit: dataset.idLimit)
        unknownClass = dataset.stringID(AttributionClass.unknown.name)
    }

    /// The sums of the shares of the rows `parts`, merged in the order of the shares.
    init(_ dataset: SpendDataset, frame: Frame, merging parts: [DashboardSums]) {
        self.init(dataset, frame: frame)
        for part in parts { merge(part) }
    }

    /// Adds the rows of `block`, which reads ``dimensions``.
    mutating func add(_ block: RowBlock) {
        let hour = ReportPeriod.nanosecondsPerHour
        let (userIDs, teamIDs, featureIDs) = (block.ids(.userID), block.ids(.team), block.ids(.feature))
        let (classes, tools) = (block.ids(.attributionClass), block.ids(.tool))
        for (offset, columns) in block.columns.enumerated() {
            let time = columns.time
            guard time < frame.endHour else { continue }
            let amount = columns.amount
            let user = userIDs[offset]
            let toolDay = Int(block.days[offset] - frame.toolFirstDay)
            if toolDay >= 0 {
                if columns.dayOnly {
                    let week = ReportPeriod.week.start(nanoseconds: time)
                    unrecordedTools.add(week: week, tool: tools[offset], amount, unrecorded: true)
                } else {
                    toolDays.add(day: toolDay, tool: tools[offset], amount)
                }
            }
            let dayIndex = Int(block.days[offset] - frame.firstDay)
            let recent = !columns.dayOnly && time >= frame.firstHour
            guard dayIndex >= 0 || (!columns.dayOnly && time >= frame.baselineStart) else { continue }
            // Each id's slot is found once per row.
            let team = dayIndex >= 0 || recent ? teams.slot(teamIDs[offset]) : 0
            let feature = dayIndex >= 0 || recent ? features.slot(featureIDs[offset]) : 0
            if dayIndex >= 0 {
                teams.add(slot: team, part: 0, dayIndex, amount)
                features.add(slot: feature, part: 0, dayIndex, amount)
                dayTotals[dayIndex] &+= amount
                if let unknownClass, classes[offset] == unknownClass { dayUnknown[dayIndex] &+= amount }
                features.add(slot: feature, part: 2, 0, amount)
                users.add(user, amount)
                windowTotal &+= amount
            }
            // Spend known per day only cannot be placed in an hour.
            guard !columns.dayOnly, time >= frame.baselineStart else { continue }
            let hourIndex = Int((time - frame.baselineStart) / hour)
            hourSpend[hourIndex] &+= amount
            if user != 0, amount != 0, lastActive != (hourIndex, user) {
                hourUsers[hourIndex].insertLater(user)
                lastActive = (hourIndex, user)
            }
            if recent {
                let recentIndex = Int((time - frame.firstHour) / hour)
                teams.add(slot: team, part: 1, recentIndex, amount)
                features.add(slot: feature, part: 1, recentIndex, amount)
            }
        }
    }

    /// Adds the sums of the rows after these (the next share).
    mutating func merge(_ other: DashboardSums) {
        teams.merge(other.teams)
        features.merge(other.features)
        users.merge(other.users)
        for index in dayTotals.indices {
            dayTotals[index] &+= other.dayTotals[index]
            dayUnknown[index] &+= other.dayUnknown[index]
        }
        for index in hourSpend.indices {
            hourSpend[index] &+= other.hourSpend[index]
            hourUsers[index].formUnion(other.hourUsers[index])
        }
        windowTotal &+= other.windowTotal
        toolDays.merge(other.toolDays)
        unrecordedTools.merge(other.unrecordedTools)
    }

    /// The tool shares' sums by ISO week (``ToolsReport``): every row before the page's end in the weeks shown.
    var toolSums: ToolsReport.WeekToolSums {
        var sums = unrecordedTools
        toolDays.addWeeks(to: &sums)
        return sums
    }
}
