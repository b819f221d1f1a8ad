public import Attribution
public import CostAudit
public import CostLedger

/// One rule of `cost-audit alerts` (docs/alerts.md): it reads the dataset's rows and returns the alerts that fire
/// in the periods it is given. A detector is a value with named parameters; ``AlertDetectors/standard`` lists the
/// defaults, and a new rule is one more type conforming here and one more entry in that list.
public protocol AlertDetector: Sendable {
    /// The name `--detector` selects it by: `cost_per_active_user`.
    var name: String { get }
    /// The periods it is evaluated for: ``ReportPeriod/hour`` or ``ReportPeriod/day``.
    var period: ReportPeriod { get }
    /// The earliest instant it reads when the first evaluated period starts at `start`: the audit must cover
    /// from there.
    func historyStart(evaluatingFrom start: UTCTimestamp) -> UTCTimestamp
    /// Checks the parameters.
    ///
    /// - Throws: ``ReportError`` naming the parameter and its value.
    func validate() throws(ReportError)
    /// The alerts that fire in the periods that start at `periods` (each one ``period`` long), with their
    /// contributors.
    func alerts(_ dataset: SpendDataset, periods: [UTCTimestamp]) -> [Alert]
    /// The named parameters and their values, in the order docs/alerts.md lists them.
    var parameters: [(name: String, value: String)] { get }
    /// Sets the parameter `name` from its text (a decimal number, a whole number, or dollars).
    ///
    /// - Throws: ``ReportError`` naming `detector.parameter` and the text.
    mutating func setParameter(_ name: String, to text: String) throws(ReportError)
    /// The columns of the audit's rows it reads beyond those every row keeps (``AlertReport/auditColumns(detectors:)``
    /// adds the contributors'); default: all of them.
    var auditColumns: AuditReportColumns { get }
}

/// The detectors of `cost-audit alerts`.
public enum AlertDetectors {
    /// Every detector with its default parameters, in the order docs/alerts.md describes them; `budget` has no
    /// budgets here (it is silent until ``budgeted(_:budgets:)`` gives it some).
    public static var standard: [any AlertDetector] {
        [
            CostPerActiveUserDetector(), FeatureRateDetector(), TaskTypeCostDetector(), ToolShareDetector(),
            RetryWasteDetector(), BudgetDetector(),
        ]
    }

    /// `detectors` with `budgets` given to the `budget` detector among them.
    public static func budgeted(_ detectors: [any AlertDetector], budgets: ForecastBudgets?) -> [any AlertDetector] {
        detectors.map { detector in
            guard var budget = detector as? BudgetDetector else { return detector }
            budget.budgets = budgets
            return budget
        }
    }

    /// The names of ``standard``.
    public static var names: [String] { standard.map(\.name) }

    /// The standard detector called `name`, nil when there is none.
    public static func named(_ name: String) -> (any AlertDetector)? { standard.first { $0.name == name } }

    /// The standard detectors with `settings` applied: each key `detector.parameter` (`feature_rate.minimum_calls`),
    /// each value its text.
    ///
    /// - Throws: ``ReportError`` naming the setting when a detector or parameter is unknown or a value invalid.
    public static func configured(_ settings: [(key: String, value: String)]) throws(ReportError) -> [any AlertDetector]
    {
        var detectors = standard
        for (key, value) in settings {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let index = detectors.firstIndex(where: { $0.name == parts[0] }) else {
                throw ReportError(
                    field: "alert setting",
                    value: key,
                    reason: "expected DETECTOR.PARAMETER with a detector of " + names.joined(separator: ", ")
                )
            }
            try detectors[index].setParameter(parts[1], to: value)
        }
        return detectors
    }
}

/// Reading parameter values.
enum AlertParameter {
    static func unknown(_ detector: String, _ name: String, _ known: [(name: String, value: String)]) -> ReportError {
        ReportError(
            field: "alert setting",
            value: detector + "." + name,
            reason: "unknown parameter; expected one of " + known.map(\.name).joined(separator: ", ")
        )
    }

    /// A decimal number from 0 to 10¹² (exact to the millionth), or to `maximum` when it is given.
    static func number(
        _ detector: String,
        _ name: String,
        _ text: String,
        maximum: Double? = nil
    ) throws(ReportError) -> Double {
        guard let value = Double(text), WideFraction(parameter: value) != nil, value <= maximum ?? value else {
            let top = maximum.map { $0 == $0.rounded() ? "\(Int($0))" : shown($0) } ?? "10^12"
            throw ReportError(field: detector + "." + name, value: text, reason: "expected a number from 0 to \(top)")
        }
        return value
    }

    static func count(
        _ detector: String,
        _ name: String,
        _ text: String,
        range: ClosedRange<Int>
    ) throws(ReportError)
        -> Int
    {
        guard let value = Int(text), range.contains(value) else {
            throw ReportError(
                field: detector + "." + name,
                value: text,
                reason: "expected a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
    }

    static func dollars(_ detector: String, _ name: String, _ text: String) throws(ReportError) -> Money {
        guard let value = try? Money(decimal: text), value >= .zero else {
            throw ReportError(field: detector + "." + name, value: text, reason: "expected dollars, such as 1.00")
        }
        return value
    }

    static func shown(_ value: Double) -> String {
        WideFraction(parameter: value)?.formatted(decimals: 2) ?? "\(value)"
    }
}

// MARK: - The rules

/// `cost_per_active_user`: each hour's recorded spend ÷ its active users (distinct non-empty `user_id` with
/// recorded spend in the hour), against the median of the same hour on the previous days; the robust rule.
public struct CostPerActiveUserDetector: AlertDetector, PeriodicDetector {
    public var name: String { "cost_per_active_user" }
    public var period: ReportPeriod { .hour }
    /// How many times the baseline the value must reach.
    public var ratio = 2.0
    /// How many scaled median absolute deviations above the baseline the value must also reach.
    public var deviations = 4.0
    /// Fewer active users in the hour than this: no alert.
    public var minimumActiveUsers = 20
    /// Less spend above the baseline than this: no alert.
    public var minimumUSDAtStake = Alert.oneDollar
    /// How many previous days' same hour make the baseline.
    public var baselineDays = 7
    /// Fewer of those hours with a value (an active user) than this: no alert.
    public var minimumBaselinePeriods = 3

    static var parameterTable: [DetectorParameter<Self>] {
        periodicParameters([
            .number("deviations", \.deviations),
            .count("minimum_active_users", \.minimumActiveUsers, 0...1_000_000_000),
        ])
    }

    public init() {}

    public func validate() throws(ReportError) {
        try PeriodicRule.check(name, ratio: ratio, deviations: deviations, baselineDays: baselineDays)
    }

    var rule: PeriodicRule {
        periodicRule(
            subject: nil,
            unit: .usdPerActiveUser,
            deviations: deviations,
            statistic: .median,
            minimumVolume: minimumActiveUsers,
            measure: .activeUsers
        )
    }
}

/// `feature_rate`: per feature and hour, recorded spend ÷ that feature's calls, against the feature's median
/// for the same hour on the previous days; the robust rule. More calls at the same cost per call do not fire.
public struct FeatureRateDetector: AlertDetector, PeriodicDetector {
    public var name: String { "feature_rate" }
    public var period: ReportPeriod { .hour }
    public var ratio = 2.0
    public var deviations = 4.0
    /// Fewer calls of the feature in the hour than this: no alert.
    public var minimumCalls = 20
    public var minimumUSDAtStake = Alert.oneDollar
    public var baselineDays = 7
    /// Fewer of the previous days' same hours with a call of the feature than this: no alert.
    public var minimumBaselinePeriods = 3

    static var parameterTable: [DetectorParameter<Self>] {
        periodicParameters([
            .number("deviations", \.deviations), .count("minimum_calls", \.minimumCalls, 0...1_000_000_000),
        ])
    }

    public init() {}

    public func validate() throws(ReportError) {
        try PeriodicRule.check(name, ratio: ratio, deviations: deviations, baselineDays: baselineDays)
    }

    var rule: PeriodicRule {
        periodicRule(
            subject: .feature,
            unit: .usdPerCall,
            deviations: deviations,
            statistic: .median,
            minimumVolume: minimumCalls,
            measure: .calls
        )
    }
}

/// `task_type_cost`: per task type and day, recorded spend ÷ distinct tasks, against the mean of the previous
/// days' values; fires at a ratio (no deviation test).
public struct TaskTypeCostDetector: AlertDetector, PeriodicDetector {
    public var name: String { "task_type_cost" }
    public var period: ReportPeriod { .day }
    public var ratio = 1.5
    /// Fewer tasks of the type in the day than this: no alert.
    public var minimumTasks = 20
    public var minimumUSDAtStake = Alert.oneDollar
    public var baselineDays = 7
    /// Fewer of the previous days with a task of the type than this: no alert.
    public var minimumBaselinePeriods = 3

    static var parameterTable: [DetectorParameter<Self>] {
        periodicParameters([.count("minimum_tasks", \.minimumTasks, 0...1_000_000_000)])
    }

    public init() {}

    public func validate() throws(ReportError) {
        try PeriodicRule.check(name, ratio: ratio, deviations: 0, baselineDays: baselineDays)
    }

    var rule: PeriodicRule {
        periodicRule(
            subject: .taskType,
            unit: .usdPerTask,
            deviations: nil,
            statistic: .mean,
            minimumVolume: minimumTasks,
            measure: .tasks
        )
    }
}

/// `retry_waste`: per feature and day, the recorded spend of attempts after the first, against the median of the
/// previous days (a day with spend in the dataset and no retry of the feature counts as $0); the robust rule.
public struct RetryWasteDetector: AlertDetector, PeriodicDetector {
    public var name: String { "retry_waste" }
    public var period: ReportPeriod { .day }
    public var ratio = 2.0
    public var deviations = 4.0
    public var minimumUSDAtStake = Alert.oneDollar
    public var baselineDays = 7
    /// Fewer of the previous days with spend in the dataset than this: no alert.
    public var minimumBaselinePeriods = 3

    static var parameterTable: [DetectorParameter<Self>] {
        periodicParameters([.number("deviations", \.deviations)])
    }

    public init() {}

    public func validate() throws(ReportError) {
        try PeriodicRule.check(name, ratio: ratio, deviations: deviations, baselineDays: baselineDays)
    }

    var rule: PeriodicRule {
        periodicRule(
            subject: .feature,
            unit: .usd,
            deviations: deviations,
            statistic: .median,
            minimumVolume: 0,
            measure: .retrySpend
        )
    }
}

/// `tool_share`: evaluated per day; each tool's share of the total reconciled spend of the ISO week so far
/// (Monday to the evaluated day) against its share of the whole week before. Fires when the share rose by at least
/// ``minimumShiftPoints`` percentage points and the tool spent at least ``minimumToolUSD`` this week. Several
/// evaluated days of one week give one alert per tool: the latest day's.
public struct ToolShareDetector: AlertDetector, ParameterizedDetector {
    public var name: String { "tool_share" }
    public var period: ReportPeriod { .day }
    /// The rise in percentage points that fires.
    public var minimumShiftPoints = 10.0
    /// Less tool spend in the week so far than this: no alert.
    public var minimumToolUSD = Alert.oneDollar

    static var parameterTable: [DetectorParameter<Self>] {
        [
            .number("minimum_shift_points", \.minimumShiftPoints, maximum: 100),
            .dollars("minimum_tool_usd", \.minimumToolUSD),
        ]
    }

    public init() {}

    public func historyStart(evaluatingFrom start: UTCTimestamp) -> UTCTimestamp {
        let week = ReportPeriod.week.start(of: start)
        return PeriodicRule.daysBefore(week, 7)
    }

    public func validate() throws(ReportError) {
        guard WideFraction(parameter: minimumShiftPoints) != nil, minimumShiftPoints <= 100 else {
            throw ReportError(
                field: "\(name).minimum_shift_points",
                value: "\(minimumShiftPoints)",
                reason: "must be a number from 0 to 100"
            )
        }
    }

    public func alerts(_ dataset: SpendDataset, periods: [UTCTimestamp]) -> [Alert] {
        AlertScans.alerts({ [scan(periods: periods)] }, dataset)[0]
    }

    func scan(periods: [UTCTimestamp]) -> any AlertScan { ToolShareScan(self, periods: periods) }

    /// The alerts that fire given each day's total and tool spend (``ToolShareScan``), each with the scope of
    /// its contributors.
    func evaluate(
        toolSpend: [ToolShareScan.Key: Int128],
        total: [Int64: Int128],
        lastDayOfWeek: [Int64: Int64],
        _ dataset: SpendDataset
    ) -> (alerts: [Alert], scopes: [ContributorScope]) {
        let day = ReportPeriod.nanosecondsPerDay
        typealias Key = ToolShareScan.Key
        let threshold = (WideFraction(parameter: minimumShiftPoints) ?? .zero)
        var alerts: [Alert] = []
        var scopes: [ContributorScope] = []
        for (week, lastDay) in lastDayOfWeek {
            let thisDays = Array(stride(from: week, through: lastDay, by: Int(day)))
            let lastDays = Array(stride(from: week - 7 * day, to: week, by: Int(day)))
            let thisTotal = thisDays.reduce(Int128(0)) { $0 &+ (total[$1] ?? 0) }
            let lastTotal = lastDays.reduce(Int128(0)) { $0 &+ (total[$1] ?? 0) }
            guard thisTotal > 0, lastTotal > 0 else { continue }
            let tools = Set(toolSpend.keys.filter { $0.day >= week && $0.day <= lastDay }.map(\.tool))
            for tool in tools {
                let spend = thisDays.reduce(Int128(0)) { $0 &+ (toolSpend[Key(tool: tool, day: $1)] ?? 0) }
                let before = lastDays.reduce(Int128(0)) { $0 &+ (toolSpend[Key(tool: tool, day: $1)] ?? 0) }
                guard spend >= minimumToolUSD.attodollars,
                    let share = WideFraction(spend, thisTotal)?.scaled(by: 100),
                    let previous = WideFraction(before, lastTotal)?.scaled(by: 100),
                    share.subtracting(previous).compare(threshold) >= 0
                else { continue }
                // Spend above the tool's previous share of this week's total.
                let expected = WideFraction(before, 1)?.multiplied(by: WideFraction(thisTotal, lastTotal) ?? .zero)
                let stake = (WideFraction(spend, 1) ?? .zero).subtracting(expected ?? .zero).roundedInteger ?? 0
                let start = UTCTimestamp(nanosecondsSinceEpoch: week)
                alerts.append(
                    Alert(
                        detector: name,
                        subject: "tool=" + (dataset.string(tool)),
                        period: .week,
                        start: start,
                        end: UTCTimestamp(nanosecondsSinceEpoch: lastDay + day),
                        unit: .percent,
                        value: share,
                        baseline: previous,
                        volume: nil,
                        usdAtStake: Money(attodollars: stake)
                    )
                )
                scopes.append(
                    ContributorScope(
                        dimension: .tool,
                        key: tool,
                        retriesOnly: false,
                        granularity: day,
                        current: thisDays,
                        baseline: lastDays,
                        scale: WideFraction(thisTotal, lastTotal) ?? .zero,
                        tuple: ContributorScope.dimensions(without: nil)
                    )
                )
            }
        }
        return (alerts, scopes)
    }
}

// MARK: - The shared periodic rule

/// The rule of the four detectors that compare a period's value with the same period on previous days.
struct PeriodicRule {
    enum Statistic { case median, mean }

    /// What the value divides, and by what.
    enum Measure {
        /// Recorded spend ÷ distinct users with spend.
        case activeUsers
        /// Recorded spend ÷ model calls.
        case calls
        /// Recorded spend ÷ distinct tasks with spend.
        case tasks
        /// Recorded spend of attempts after the first (no divisor).
        case retrySpend
    }

    let detector: String
    let period: ReportPeriod
    /// The dimension each subject is a value of; nil: one subject, every row.
    let subject: ReportDimension?
    let unit: Alert.Unit
    let rule: ThresholdRule
    let statistic: Statistic
    let minimumVolume: Int
    let minimumUSDAtStake: Money
    let baselineDays: Int
    let minimumBaselinePeriods: Int
    let measure: Measure

    static func daysBefore(_ start: UTCTimestamp, _ days: Int) -> UTCTimestamp {
        let (value, overflow) = start.nanosecondsSinceEpoch.subtractingReportingOverflow(
            Int64(clamping: days).multipliedReportingOverflow(by: ReportPeriod.nanosecondsPerDay).partialValue
        )
        return UTCTimestamp(nanosecondsSinceEpoch: overflow ? .min : value)
    }

    static func check(_ name: String, ratio: Double, deviations: Double, baselineDays: Int) throws(ReportError) {
        guard WideFraction(parameter: ratio) != nil else {
            throw ReportError(field: "\(name).ratio", value: "\(ratio)", reason: "must be a number from 0 to 10^12")
        }
        guard WideFraction(parameter: deviations) != nil else {
            throw ReportError(
                field: "\(name).deviations",
                value: "\(deviations)",
                reason: "must be a number from 0 to 10^12"
            )
        }
        guard (1...366).contains(baselineDays) else {
            throw ReportError(field: "\(name).baseline_days", value: "\(baselineDays)", reason: "must be 1 to 366")
        }
    }

    struct Sums {
        var usd: Int128 = 0
        var calls = 0
        /// Active users (``Measure/activeUsers``), by their interned ids.
        var members = DistinctIDs()
        /// Tasks (``Measure/tasks``).
        var tasks = DistinctTasks()

        /// The user and task inserted last: rows of one user or task mostly come together, so most rows need no
        /// set insertion.
        var lastUser: Int32 = 0
        var lastTask = TaskID.none

        /// Adds a row's dollars and calls, and its user or task when it has spend.
        mutating func add(_ amount: Int128, calls: Int, user: Int32 = 0, task: TaskID = .none) {
            usd &+= amount
            self.calls += calls
            if user != 0, amount != 0, user != lastUser {
                members.insertLater(user)
                lastUser = user
            }
            if !task.isNone, amount != 0, task != lastTask {
                tasks.insert(task)
                lastTask = task
            }
        }

        /// Adds the sums of other rows.
        mutating func merge(_ other: Sums) {
            usd &+= other.usd
            calls += other.calls
            members.formUnion(other.members)
            tasks.formUnion(other.tasks)
        }
    }

    struct Key: Hashable {
        var subject: Int32
        var start: Int64
    }

    /// The subject of a row whose columns are `columns`, nil when the rule does not read it.
    /// Whether a row of recorded spend counts toward its subject's cell: for `retry_waste` an attempt after the
    /// first, for `task_type_cost` a row with a task.
    func counts(_ columns: RowColumns) -> Bool {
        switch measure {
        case .retrySpend: columns.attempt >= 2
        case .tasks: !columns.task.isNone
        default: true
        }
    }

    func volume(_ sums: Sums) -> Int {
        switch measure {
        case .activeUsers: return sums.members.count
        case .tasks: return sums.tasks.count
        case .calls: return sums.calls
        case .retrySpend: return 1
        }
    }

    func alerts(_ dataset: SpendDataset, periods: [UTCTimestamp]) -> [Alert] {
        AlertScans.alerts({ [PeriodicScan(self, periods: periods)] }, dataset)[0]
    }

    /// The alerts that fire given the scan's sums, each with the scope of its contributors.
    func evaluate(
        _ sums: [Key: Sums],
        evaluated: Set<Int64>,
        covered: Set<Int64>,
        _ dataset: SpendDataset
    ) -> (alerts: [Alert], scopes: [ContributorScope]) {
        let day = ReportPeriod.nanosecondsPerDay
        var alerts: [Alert] = []
        var scopes: [ContributorScope] = []
        for (key, cell) in sums where evaluated.contains(key.start) {
            let volume = self.volume(cell)
            guard volume >= max(1, minimumVolume), let value = WideFraction(cell.usd, Int128(volume)) else {
                continue
            }
            var values: [WideFraction] = []
            var baselineStarts: [Int64] = []
            var baselineVolume = 0
            for back in 1...max(1, baselineDays) {
                let start = key.start - Int64(back) * day
                if let previous = sums[Key(subject: key.subject, start: start)], self.volume(previous) > 0,
                    let rate = WideFraction(previous.usd, Int128(self.volume(previous)))
                {
                    values.append(rate)
                    baselineStarts.append(start)
                    baselineVolume += self.volume(previous)
                } else if measure == .retrySpend, covered.contains(start) {
                    values.append(.zero)
                    baselineStarts.append(start)
                    baselineVolume += 1
                }
            }
            guard values.count >= max(1, minimumBaselinePeriods),
                let baseline = statistic == .median ? AlertStatistics.median(values) : AlertStatistics.mean(values),
                rule.fires(value: value, baseline: baseline, baselineValues: values)
            else { continue }
            let expected = baseline.multiplied(by: WideFraction(Int128(volume), 1) ?? .zero)
            let stake = (WideFraction(cell.usd, 1) ?? .zero).subtracting(expected).roundedInteger ?? 0
            guard stake >= minimumUSDAtStake.attodollars else { continue }
            let label = subject.map { dimension in
                dimension.name + "=" + (key.subject == 0 ? dimension.missingLabel : dataset.string(key.subject))
            }
            alerts.append(
                Alert(
                    detector: detector,
                    subject: label ?? "all",
                    period: period,
                    start: UTCTimestamp(nanosecondsSinceEpoch: key.start),
                    end: period.next(after: UTCTimestamp(nanosecondsSinceEpoch: key.start)),
                    unit: unit,
                    value: value,
                    baseline: baseline,
                    volume: measure == .retrySpend ? nil : volume,
                    usdAtStake: Money(attodollars: stake)
                )
            )
            scopes.append(
                ContributorScope(
                    dimension: subject,
                    key: key.subject,
                    retriesOnly: measure == .retrySpend,
                    granularity: period == .hour ? ReportPeriod.nanosecondsPerHour : day,
                    current: [key.start],
                    baseline: baselineStarts,
                    scale: WideFraction(Int128(measure == .retrySpend ? 1 : volume), Int128(baselineVolume)) ?? .zero,
                    tuple: ContributorScope.dimensions(without: subject)
                )
            )
        }
        return (alerts, scopes)
    }
}
