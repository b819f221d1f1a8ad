public import Attribution
public import CostLedger

/// `cost-audit forecast --month YYYY-MM [--by DIM[,DIM...]] [--budgets FILE]` as a value (docs/forecast.md):
/// each group's month-end spend, projected as the spend so far plus a forecast of the month's remaining days
/// (``ForecastMethod``), with an 80% prediction interval; against its budget, with the day the budget is
/// projected to run out.
///
/// The forecast is made as of the start of a UTC day (its *cut*): the spend of the days before it is known
/// and exact; the days from it to the month's end are forecast. The cut is the day of `asOf`, so the day
/// `asOf` falls in is forecast whole; a cut after the month's end makes the month complete (nothing is
/// forecast). Rows at or after the cut are not read.
///
/// ```swift
/// let month = try StatementMonth(parsing: "2026-12")
/// let forecast = try MonthForecast(dataset, month: month, asOf: now, by: [.team])
/// for group in forecast.groups where group.projectionPassesBudget() { print(group.values, group.runsOut ?? "") }
/// ```
public struct MonthForecast: Sendable {
    /// One group's projection.
    public struct Group: Sendable, Hashable {
        /// One label per dimension (`(unknown)`, `(none)` for a missing value); empty for a forecast of the
        /// total.
        public var values: [String]
        /// The spend of the month's days before the cut, exact.
        public var spentUSD: Money
        /// The spend so far plus the forecast of the remaining days, rounded half-even to cents.
        public var projectedUSD: Money
        /// The 80% prediction interval's ends, in cents; `lowUSD` ≤ `projectedUSD` ≤ `highUSD`, and never below
        /// the spend so far.
        public var lowUSD: Money
        public var highUSD: Money
        /// The group's monthly budget, when one is given.
        public var budgetUSD: Money?
        /// The UTC day (`YYYY-MM-DD`) the group's spend is projected to pass its budget (or passed it, when
        /// that day is before the cut); nil without a budget or when the projection stays within it.
        public var runsOut: String?

        /// Whether the group's projected month-end spend passes its budget (is above it); false without a
        /// budget. The projection and the budget are compared in cents; `runsOut` is set exactly when this is
        /// true.
        public func projectionPassesBudget() -> Bool {
            guard let budgetUSD else { return false }
            return projectedUSD > budgetUSD
        }

        /// How far the projection passes the budget (zero when it does not); nil without a budget.
        public var overBudgetUSD: Money? {
            budgetUSD.map { projectedUSD > $0 ? projectedUSD - $0 : .zero }
        }
    }

    /// The month forecast.
    public let month: StatementMonth
    public let dimensions: [ReportDimension]
    /// The cut: the first UTC day whose spend is not known (`YYYY-MM-DD`).
    public let cut: String
    /// The month's days before the cut (spent) and from it (forecast).
    public let daysSpent: Int
    public let daysForecast: Int
    /// Days of data before the cut that the method fitted (up to its ``ForecastMethod/historyDays``).
    public let historyDays: Int
    /// Backtests the interval of the total is measured on.
    public let backtests: Int
    /// Highest projection first (ties by the values, bytewise); every group with spend in the month, a
    /// forecast above zero, or a budget.
    public let groups: [Group]
    /// The total: the groups' spend and projections added up; its interval from the backtests of the total.
    public let total: Group
    public let budgets: ForecastBudgets?
    public let method: ForecastMethod

    /// Projects each group's month-end spend.
    ///
    /// - Parameters:
    ///   - dataset: the audit's rows; those from the cut on are not read.
    ///   - month: the month to project.
    ///   - asOf: the instant the forecast is made at: its UTC day is the cut.
    ///   - dimensions: the groups' dimensions; empty for the total alone.
    ///   - budgets: monthly budgets by group; their dimensions must be `dimensions`.
    ///   - method: the forecasting method.
    /// - Throws: ``ReportError`` (field `budgets`) when the budgets name other dimensions than `dimensions`;
    ///   (field `asOf`) when `asOf` is outside ``ReportClock/supported``.
    public init(
        _ dataset: SpendDataset,
        month: StatementMonth,
        asOf: UTCTimestamp,
        by dimensions: [ReportDimension] = [],
        budgets: ForecastBudgets? = nil,
        method: ForecastMethod = .default
    ) throws(ReportError) {
        try ReportClock.check(asOf, field: "asOf")
        if let budgets, budgets.dimensions != dimensions {
            throw ReportError(
                field: "budgets",
                value: budgets.dimensions.map(\.name).joined(separator: ","),
                reason: "are by other dimensions than the forecast ("
                    + (dimensions.isEmpty ? "none" : dimensions.map(\.name).joined(separator: ",")) + ")"
            )
        }
        self.month = month
        self.dimensions = dimensions
        self.budgets = budgets
        self.method = method
        let day = ReportPeriod.nanosecondsPerDay
        let monthStart = Int(month.start.nanosecondsSinceEpoch / day)
        let monthEnd = Int(month.end.nanosecondsSinceEpoch / day)
        let cutDay = min(Int(ReportPeriod.floorDiv(asOf.nanosecondsSinceEpoch, day)), monthEnd)
        let cutNanoseconds = Int64(cutDay) * day
        cut = ReportPeriod.day.label(of: UTCTimestamp(nanosecondsSinceEpoch: cutNanoseconds))
        let forecastStart = max(cutDay, monthStart)
        let horizon = monthEnd - forecastStart
        let gap = forecastStart - cutDay
        daysSpent = max(0, cutDay - monthStart)
        daysForecast = horizon

        // Day 0 of every series: the first day with a row, at most loadDays before the cut. One pass reads the
        // rows: each group's daily series is kept from its own first day (at most loadDays before the cut), and
        // widened to day 0 once that is known. Every day sums the same rows in the same order as a series kept
        // from day 0 would.
        let lowestDay = cutDay - method.loadDays
        let spentFrom = Int64(monthStart) * day
        let from = min(Int64(lowestDay) * day, spentFrom)
        var earliest = cutDay

        var keyer = DimensionKeyer(dimensions)
        var index: [GroupKey: Int] = [:]
        var series: [[Double]] = []
        /// Per group: the day its series starts at.
        var seriesStart: [Int] = []
        var spent: [Int128] = []
        var daily: [[Int128]] = []
        let monthDays = monthEnd - monthStart
        // Rows of one group mostly come in runs: the last key's group is kept, so most rows need no hashing.
        var last: (key: GroupKey, group: Int)?
        for row in 0..<dataset.count {
            let columns = dataset.columns(row)
            let time = columns.time
            guard time < cutNanoseconds else { continue }
            let rowDay = Int(ReportPeriod.floorDiv(time, day))
            earliest = min(earliest, rowDay)
            guard time >= from else { continue }
            let key = keyer.packedKey(dataset, row: row, period: 0)
            let group: Int
            if let last, last.key == key {
                group = last.group
            } else if let known = index[key] {
                group = known
            } else {
                group = series.count
                index[key] = group
                series.append([])
                seriesStart.append(cutDay)
                spent.append(0)
                daily.append([Int128](repeating: 0, count: monthDays))
            }
            last = (key, group)
            let amount = columns.amount
            if rowDay >= lowestDay {
                if rowDay < seriesStart[group] {
                    series[group].insert(
                        contentsOf: [Double](repeating: 0, count: seriesStart[group] - rowDay),
                        at: 0
                    )
                    seriesStart[group] = rowDay
                }
                series[group][rowDay - seriesStart[group]] += Self.double(amount)
            }
            if time >= spentFrom {
                spent[group] &+= amount
                daily[group][rowDay - monthStart] &+= amount
            }
        }
        let firstDay = max(earliest, lowestDay)
        let length = max(0, cutDay - firstDay)
        historyDays = min(length, method.historyDays)
        for group in series.indices {
            series[group].insert(contentsOf: [Double](repeating: 0, count: seriesStart[group] - firstDay), at: 0)
        }
        var labels = [[String]](repeating: [], count: series.count)
        for (key, group) in index { labels[group] = keyer.labels(keyer.ids(key), in: dataset) }
        if let budgets {
            let known = Set(labels)
            for values in budgets.groups where !known.contains(values) {
                labels.append(values)
                series.append([Double](repeating: 0, count: length))
                spent.append(0)
                daily.append([Int128](repeating: 0, count: monthDays))
            }
        }

        var groups: [Group] = []
        var totalSpent: Int128 = 0
        var totalProjected: Int128 = 0
        var totalForecast = 0.0
        var totalBacktests: [(forecast: Double, actual: Double)] = []
        for group in series.indices {
            let fit = method.fit(series[group], from: 0, to: length)
            var forecasts: [Double] = []
            forecasts.reserveCapacity(horizon)
            for offset in 0..<horizon { forecasts.append(fit.predict(day: length + gap + offset)) }
            let forecast = forecasts.reduce(0, +)
            let tests = method.backtests(series[group], cut: length, gap: gap, horizon: horizon)
            if totalBacktests.isEmpty {
                totalBacktests = tests
            } else {
                for (i, test) in tests.enumerated() {
                    totalBacktests[i].forecast += test.forecast
                    totalBacktests[i].actual += test.actual
                }
            }
            totalForecast += forecast
            let budget = budgets?.budget(of: labels[group])
            var result = Self.group(
                values: labels[group],
                spent: spent[group],
                forecast: forecast,
                bounds: method.ratioBounds(ForecastMethod.ratios(tests)),
                budget: budget
            )
            if let budget {
                result.runsOut = Self.runsOut(
                    budget: budget,
                    daily: daily[group].prefix(daysSpent),
                    forecasts: forecasts,
                    firstForecastDay: forecastStart
                )
            }
            totalSpent &+= spent[group]
            totalProjected &+= result.projectedUSD.attodollars
            guard spent[group] != 0 || result.projectedUSD != .zero || budget != nil else { continue }
            groups.append(result)
        }
        groups.sort { a, b in
            if a.projectedUSD != b.projectedUSD { return a.projectedUSD > b.projectedUSD }
            return SpendReport.precedes(a.values, b.values)
        }
        self.groups = groups
        backtests = totalBacktests.count
        var total = Self.group(
            values: [],
            spent: totalSpent,
            forecast: totalForecast,
            bounds: method.ratioBounds(ForecastMethod.ratios(totalBacktests)),
            budget: nil
        )
        // The total's projection is the sum of the groups' (each in cents), so the rows add up to it.
        total.projectedUSD = Money(attodollars: totalProjected)
        total.lowUSD = min(total.lowUSD, total.projectedUSD)
        total.highUSD = max(total.highUSD, total.projectedUSD)
        self.total = total
    }

    /// A group's projection from its exact spend so far and its forecast (in dollars, as a `Double`).
    static func group(
        values: [String],
        spent: Int128,
        forecast: Double,
        bounds: (low: Double, high: Double),
        budget: Money?
    ) -> Group {
        let projected = cents(spent &+ attodollars(forecast))
        let low = min(cents(spent &+ attodollars(forecast * max(0, bounds.low))), projected)
        let high = max(cents(spent &+ attodollars(forecast * max(0, bounds.high))), projected)
        return Group(
            values: values,
            spentUSD: Money(attodollars: spent),
            projectedUSD: Money(attodollars: projected),
            lowUSD: Money(attodollars: low),
            highUSD: Money(attodollars: high),
            budgetUSD: budget,
            runsOut: nil
        )
    }

    /// The first day whose spend so far, in cents, is above the budget: among the known days, then the
    /// forecast ones; nil when the month ends within it.
    static func runsOut(
        budget: Money,
        daily: ArraySlice<Int128>,
        forecasts: [Double],
        firstForecastDay: Int
    ) -> String? {
        var cumulative: Int128 = 0
        let firstKnownDay = firstForecastDay - daily.count
        for (offset, amount) in daily.enumerated() {
            cumulative &+= amount
            if cents(cumulative) > budget.attodollars { return dayLabel(firstKnownDay + offset) }
        }
        var forecast = 0.0
        for (offset, amount) in forecasts.enumerated() {
            forecast += amount
            if cents(cumulative &+ attodollars(forecast)) > budget.attodollars {
                return dayLabel(firstForecastDay + offset)
            }
        }
        return nil
    }

    static func dayLabel(_ day: Int) -> String {
        ReportPeriod.day.label(of: UTCTimestamp(nanosecondsSinceEpoch: Int64(day) * ReportPeriod.nanosecondsPerDay))
    }

    /// Dollars as a `Double` (the model's arithmetic).
    static func double(_ attodollars: Int128) -> Double {
        // `Double(Int64)` is one instruction, `Double(Int128)` a generic conversion: both round to nearest, ties
        // to even, so an amount that fits in 64 bits (below $9.22) gives the same `Double` either way.
        if attodollars >= Int128(Int64.min), attodollars <= Int128(Int64.max) {
            return Double(Int64(truncatingIfNeeded: attodollars)) / 1e18
        }
        return Double(attodollars) / 1e18
    }

    /// A `Double` of dollars as attodollars, at a nanodollar's precision; not a finite number or below zero is
    /// zero, and it is capped at 10¹⁵ dollars.
    static func attodollars(_ dollars: Double) -> Int128 {
        guard dollars.isFinite, dollars > 0 else { return 0 }
        let nanodollars = (min(dollars, 1e15) * 1e9).rounded(.toNearestOrEven)
        return Int128(nanodollars) * 1_000_000_000
    }

    /// An amount rounded half-even to cents, in attodollars.
    static func cents(_ attodollars: Int128) -> Int128 {
        Money.roundHalfEven(attodollars, toDecimals: 2) * 10_000_000_000_000_000
    }
}
