public import Attribution
public import CostLedger

/// `budget`: for the month of the last evaluated day, each budgeted group's month-end spend projected as
/// `cost-audit forecast` projects it (``MonthForecast``, made as of the end of that day), against its monthly
/// budget. One alert per group whose projection passes its budget by more than ``minimumUSDAtStake``; without
/// ``budgets`` it is silent.
///
/// The alert's day is the last evaluated (complete) day; its value is the projected month-end spend, its baseline
/// the budget, its dollars at stake the projection minus the budget, and its text names the day the budget is
/// projected to run out (or ran out). Its contributors are the group's top spenders of the month so far (user,
/// feature, model and prompt version, the group's own dimensions left out), each with its share of the
/// projection, of the budget and of the excess in proportion to its spend so far (docs/alerts.md).
public struct BudgetDetector: AlertDetector, ParameterizedDetector {
    public var name: String { "budget" }
    public var period: ReportPeriod { .day }
    /// Monthly budgets by group (`alerts --budgets FILE`, or the configuration file's `budgets`); nil: silent.
    public var budgets: ForecastBudgets?
    /// The forecasting method, as `cost-audit forecast`'s.
    public var method: ForecastMethod = .default
    /// A projection this far or less above its budget: no alert.
    public var minimumUSDAtStake = Money.zero

    static var parameterTable: [DetectorParameter<Self>] {
        [.dollars("minimum_usd_at_stake", \.minimumUSDAtStake)]
    }

    public init(budgets: ForecastBudgets? = nil) { self.budgets = budgets }

    /// The forecast's history (``ForecastMethod/loadDays`` before the evaluated days); without budgets, nothing
    /// before them.
    public func historyStart(evaluatingFrom start: UTCTimestamp) -> UTCTimestamp {
        budgets == nil ? start : PeriodicRule.daysBefore(start, method.loadDays)
    }

    public func validate() throws(ReportError) {
        guard minimumUSDAtStake >= .zero else {
            throw ReportError(
                field: "\(name).minimumUSDAtStake",
                value: minimumUSDAtStake.exactDecimal,
                reason: "must be zero or more"
            )
        }
    }

    public func alerts(_ dataset: SpendDataset, periods: [UTCTimestamp]) -> [Alert] {
        guard let budgets, let last = periods.max() else { return [] }
        let day = ReportPeriod.day.start(of: last)
        let cut = ReportPeriod.day.next(after: day)
        guard let month = try? StatementMonth(parsing: ReportPeriod.month.label(of: day)),
            let forecast = try? MonthForecast(
                dataset,
                month: month,
                asOf: cut,
                by: budgets.dimensions,
                budgets: budgets,
                method: method
            )
        else { return [] }
        var alerts: [Alert] = []
        for group in forecast.groups where group.projectionPassesBudget() {
            guard let budget = group.budgetUSD, let over = group.overBudgetUSD, over > minimumUSDAtStake else {
                continue
            }
            var alert = Alert(
                detector: name,
                subject: Self.subject(group.values, budgets.dimensions),
                period: .day,
                start: day,
                end: cut,
                unit: .usd,
                value: WideFraction(group.projectedUSD.attodollars, 1) ?? .zero,
                baseline: WideFraction(budget.attodollars, 1) ?? .zero,
                volume: nil,
                usdAtStake: over
            )
            if let runsOut = group.runsOut {
                alert.note =
                    "Budget of \(month.label) \(runsOut < forecast.cut ? "ran" : "projected to run") out on \(runsOut)."
            }
            alerts.append(alert)
        }
        return Self.fillContributors(alerts, forecast: forecast, dataset, month: month, cut: cut)
    }

    /// The alerts with their groups' top three spenders of the month before the cut, found in one pass over the
    /// month's rows: each spender's usd is its spend so far × projected ÷ the group's spend so far, expected its
    /// spend so far × budget ÷ the group's spend so far, and excess the difference.
    static func fillContributors(
        _ alerts: [Alert],
        forecast: MonthForecast,
        _ dataset: SpendDataset,
        month: StatementMonth,
        cut: UTCTimestamp,
        top: Int = 3
    ) -> [Alert] {
        guard !alerts.isEmpty else { return alerts }
        let dimensions = forecast.dimensions
        let tuple = ContributorScope.dimensions(without: nil).filter { !dimensions.contains($0) }
        var alertOfLabels: [[String]: Int] = [:]
        var groups: [MonthForecast.Group?] = Array(repeating: nil, count: alerts.count)
        for group in forecast.groups {
            guard let index = alerts.firstIndex(where: { $0.subject == subject(group.values, dimensions) }) else {
                continue
            }
            alertOfLabels[group.values] = index
            groups[index] = group
        }
        var keyer = DimensionKeyer(dimensions)
        var alertOfKey: [GroupKey: Int?] = [:]
        var sums = [[[Int32]: Int128]](repeating: [:], count: alerts.count)
        let from = month.start.nanosecondsSinceEpoch
        let to = min(cut.nanosecondsSinceEpoch, month.end.nanosecondsSinceEpoch)
        for row in 0..<dataset.count {
            let time = dataset.nanoseconds(row)
            guard time >= from, time < to else { continue }
            let key = keyer.packedKey(dataset, row: row, period: 0)
            let index: Int?
            if let known = alertOfKey[key] {
                index = known
            } else {
                index = alertOfLabels[keyer.labels(keyer.ids(key), in: dataset)]
                alertOfKey[key] = index
            }
            guard let index else { continue }
            sums[index][tuple.map { dataset.fieldID($0, at: row) ?? 0 }, default: 0] &+= dataset.attodollars(row)
        }
        var filled = alerts
        for index in alerts.indices {
            guard let group = groups[index], let budget = group.budgetUSD, group.spentUSD > .zero
            else { continue }
            let spent = group.spentUSD.attodollars
            var contributors: [Alert.Contributor] = []
            for (key, spend) in sums[index] where spend > 0 {
                let share = WideFraction(spend, spent) ?? .zero
                let projected = share.multiplied(by: WideFraction(group.projectedUSD.attodollars, 1) ?? .zero)
                let expected = share.multiplied(by: WideFraction(budget.attodollars, 1) ?? .zero)
                let usd = projected.roundedInteger ?? 0
                let expectedUSD = expected.roundedInteger ?? 0
                guard usd > expectedUSD else { continue }
                contributors.append(
                    Alert.Contributor(
                        dimensions: tuple,
                        values: zip(tuple, key).map { dimension, id in
                            id == 0 ? dimension.missingLabel : dataset.string(id)
                        },
                        usd: Money(attodollars: usd),
                        expectedUSD: Money(attodollars: expectedUSD),
                        excessUSD: Money(attodollars: usd - expectedUSD)
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

    /// A group's key: `team=growth,project=assistant`.
    static func subject(_ values: [String], _ dimensions: [ReportDimension]) -> String {
        zip(dimensions, values).map { $0.name + "=" + $1 }.joined(separator: ",")
    }
}
