import Foundation

/// The forecasting method of `cost-audit forecast` (docs/forecast.md): a day-of-week pattern times a linear
/// trend, fitted to the recent daily series, with a prediction interval from the method's own backtest.
///
/// For a series of daily spend ending the day before the forecast's cut:
///
/// 1. The fit window is the last ``historyDays`` days (fewer when the data starts later), cut to whole weeks.
/// 2. The day-of-week index of each weekday is its mean spend in the window ÷ the window's mean daily spend
///    (so the seven indices average 1).
/// 3. Each day's spend ÷ its weekday's index is the deseasonalized series; a least-squares line through it
///    (over at least 14 days; a flat line at its mean with fewer) is the trend.
/// 4. A future day's forecast is the trend at that day (never below zero) × its weekday's index.
///
/// The interval comes from backtests of the same method: for each of up to ``backtestOrigins`` earlier cut
/// days (the latest whose forecast window has ended by the real cut, then one day earlier each), the method
/// is fitted on the data before that day and forecasts a window as long as the real one. Each backtest gives
/// a ratio r of what was spent to what was forecast. With s the 80th percentile of |ln r| (a ratio below 0.01
/// counts as 0.01), the interval of the remaining days' forecast F is F × e^−s to F × e^s, widened to
/// F × the 10th and the 90th percentile of r when those lie further out (percentiles by linear
/// interpolation). Consecutive backtests overlap, so the percentiles of r alone come out too narrow; the
/// symmetric spread measured on demo and generated data covers about 80% (docs/forecast.md). With fewer than
/// ``minimumBacktests`` backtests the interval is 0 to 2 × F.
///
/// The model's arithmetic is in `Double`; the spend it starts from and adds to is exact.
public struct ForecastMethod: Sendable, Hashable {
    /// How many days before the cut the method fits (whole weeks of them): 56 by default, at least 28.
    public var historyDays: Int
    /// How many backtests the interval is measured on: 28 by default.
    public var backtestOrigins: Int
    /// Fewer backtests than this give the wide default interval (0 to 2 times the forecast).
    public var minimumBacktests: Int
    /// The interval's coverage: 0.8, from the 10th to the 90th percentile of the backtests' ratios.
    public var coverage: Double

    /// The default method: 56 days of history, 28 backtests, an 80% interval.
    public static let `default` = ForecastMethod(historyDays: 56, backtestOrigins: 28, minimumBacktests: 5)

    /// A method with other parameters.
    ///
    /// - Parameters:
    ///   - historyDays: at least 28 (smaller values are taken as 28).
    ///   - backtestOrigins: at least 1.
    ///   - minimumBacktests: at least 1.
    ///   - coverage: between 0 and 1 (exclusive); other values are taken as 0.8.
    public init(historyDays: Int, backtestOrigins: Int, minimumBacktests: Int = 5, coverage: Double = 0.8) {
        self.historyDays = max(28, historyDays)
        self.backtestOrigins = max(1, backtestOrigins)
        self.minimumBacktests = max(1, minimumBacktests)
        self.coverage = coverage > 0 && coverage < 1 ? coverage : 0.8
    }

    /// Days a backtest needs before its cut to be made.
    static let minimumBacktestFitDays = 14
    /// Days of data the CLI loads before the cut: the fit, the longest forecast window, and the backtests.
    public var loadDays: Int { Swift.max(28, historyDays) + 31 + Swift.max(1, backtestOrigins) + 1 }

    /// A fitted series: `trend(day) × weekday index`.
    struct Fit {
        var center: Double = 0
        var level: Double = 0
        var slope: Double = 0
        /// By `day mod 7`.
        var index = [Double](repeating: 1, count: 7)

        /// The forecast of one day (never below zero).
        func predict(day: Int) -> Double {
            let trend = level + slope * (Double(day) - center)
            return Swift.max(0, trend) * index[((day % 7) + 7) % 7]
        }
    }

    /// Fits the method to `values[from..<to]`, where `values[i]` is day `i` of the series.
    func fit(_ values: [Double], from: Int, to: Int) -> Fit {
        var start = Swift.max(from, to - historyDays)
        var fit = Fit()
        let length = to - start
        guard length > 0 else { return fit }
        if length >= 7 { start += length % 7 }
        let count = to - start
        var total = 0.0
        for day in start..<to { total += values[day] }
        let mean = total / Double(count)
        guard mean > 0, mean.isFinite else { return fit }
        if count >= 7 {
            var sums = [Double](repeating: 0, count: 7)
            var counts = [Double](repeating: 0, count: 7)
            for day in start..<to {
                sums[day % 7] += values[day]
                counts[day % 7] += 1
            }
            for weekday in 0..<7 where counts[weekday] > 0 {
                fit.index[weekday] = sums[weekday] / counts[weekday] / mean
            }
        }
        var n = 0.0
        var sumT = 0.0
        var sumZ = 0.0
        var points: [(Double, Double)] = []
        points.reserveCapacity(count)
        for day in start..<to {
            let weekday = fit.index[day % 7]
            guard weekday > 0 else { continue }
            let z = values[day] / weekday
            points.append((Double(day), z))
            n += 1
            sumT += Double(day)
            sumZ += z
        }
        guard n > 0 else { return fit }
        fit.center = sumT / n
        fit.level = sumZ / n
        if points.count >= Self.minimumBacktestFitDays {
            var sxx = 0.0
            var sxz = 0.0
            for (t, z) in points {
                sxx += (t - fit.center) * (t - fit.center)
                sxz += (t - fit.center) * (z - fit.level)
            }
            if sxx > 0 { fit.slope = sxz / sxx }
        }
        return fit
    }

    /// The backtests of one series: for each backtest cut, from the latest (the real cut less the gap and the
    /// forecast window) one day earlier each, what the method forecast for a window as long as the real one and
    /// what was spent in it. Every series of the same length gets the same cuts, so backtests of several series
    /// add up by position.
    ///
    /// - Parameters:
    ///   - values: daily values, day 0 the first day of data.
    ///   - cut: the first day not known (the real forecast's cut).
    ///   - gap: days between the cut and the forecast window (a month that starts later).
    ///   - horizon: the length of the forecast window.
    func backtests(_ values: [Double], cut: Int, gap: Int, horizon: Int) -> [(forecast: Double, actual: Double)] {
        guard horizon > 0 else { return [] }
        var results: [(forecast: Double, actual: Double)] = []
        var origin = cut - gap - horizon
        while results.count < backtestOrigins, origin >= Self.minimumBacktestFitDays {
            let fit = self.fit(values, from: 0, to: origin)
            var forecast = 0.0
            var actual = 0.0
            for day in (origin + gap)..<(origin + gap + horizon) {
                forecast += fit.predict(day: day)
                actual += values[day]
            }
            results.append((forecast, actual))
            origin -= 1
        }
        return results
    }

    /// The ratios of spent to forecast of backtests whose forecast is above zero.
    static func ratios(_ backtests: [(forecast: Double, actual: Double)]) -> [Double] {
        backtests.compactMap { test in
            test.forecast > 0 && test.forecast.isFinite && test.actual.isFinite ? test.actual / test.forecast : nil
        }
    }

    /// The interval's ends, as ratios to the forecast: the backtests' percentiles of the coverage, or 0 and 2
    /// with too few backtests.
    func ratioBounds(_ ratios: [Double]) -> (low: Double, high: Double) {
        guard ratios.count >= minimumBacktests else { return (0, 2) }
        let tail = (1 - coverage) / 2
        let sorted = ratios.sorted()
        let spread = Self.percentile(ratios.map { abs(log(Swift.max($0, Self.smallestRatio))) }.sorted(), coverage)
        return (
            Swift.min(exp(-spread), Self.percentile(sorted, tail)),
            Swift.max(exp(spread), Self.percentile(sorted, 1 - tail))
        )
    }

    /// Backtest ratios below this (nothing spent where something was forecast) count as this in the spread.
    static let smallestRatio = 0.01

    /// The `p` quantile of sorted values, by linear interpolation between the nearest ranks.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard let first = sorted.first else { return 0 }
        guard sorted.count > 1 else { return first }
        let position = Swift.min(Swift.max(p.isFinite ? p : 0.5, 0), 1) * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = Swift.min(below + 1, sorted.count - 1)
        let weight = position - Double(below)
        return sorted[below] * (1 - weight) + sorted[above] * weight
    }
}
