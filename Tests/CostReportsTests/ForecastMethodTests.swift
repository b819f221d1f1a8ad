import Foundation
import Testing

@testable import CostReports

/// The forecast method's parts (docs/forecast.md). The 80% interval: as ratios to the forecast, from the
/// backtests' ratios of spent to forecast, the 10th and 90th percentiles, widened to at least e^∓s, where s is
/// the 80th percentile of |log ratio|.
@Suite("forecast: the method's fit, backtests and interval")
struct ForecastMethodTests {
    @Test("the low end is the 10th percentile when that is lower, the high end e^s when that is higher")
    func ratioBounds() throws {
        // Sorted ratios 0.2, 0.3, 0.9, 1 (×5), 1.05, 1.1. The 10th percentile: position 0.9 between 0.2 and 0.3,
        // 0.29. The 90th: position 8.1 between 1.05 and 1.1, 1.055. |log| sorted: 0 (×5), log 1.05, log 1.1,
        // −log 0.9, −log 0.3, −log 0.2; the 80th percentile at position 7.2: 0.8 × −log 0.9 + 0.2 × −log 0.3 =
        // 0.325082, e^s = 1.384140, e^−s = 0.722469.
        let ratios = [1, 1.1, 0.3, 1, 0.9, 1, 1.05, 0.2, 1, 1]
        let bounds = ForecastMethod.default.ratioBounds(ratios)
        #expect(abs(bounds.low - 0.29) < 1e-12)
        let spread = 0.8 * -log(0.9) + 0.2 * -log(0.3)
        #expect(abs(spread - 0.325082) < 1e-6)
        #expect(abs(bounds.high - exp(spread)) < 1e-12)
        // Two far ratios among close ones: the percentiles (0.884 and 1.216) lie inside e^∓s, which sets both
        // ends. |log| sorted: 0 (×3), log 1.01, −log 0.99, log 1.02, −log 0.98, log 2 (×2); position 6.4.
        let narrow = ForecastMethod.default.ratioBounds([0.5, 0.98, 0.99, 1, 1, 1, 1.01, 1.02, 2])
        let narrowSpread = 0.6 * -log(0.98) + 0.4 * log(2.0)
        #expect(abs(narrow.low - exp(-narrowSpread)) < 1e-12)
        #expect(abs(narrow.high - exp(narrowSpread)) < 1e-12)
        // Fewer backtests than the method's minimum (5): 0 to 2.
        #expect(ForecastMethod.default.ratioBounds([1, 1, 1, 1]) == (0, 2))
    }

    @Test("a falling trend is forecast as $0 once its line passes below zero, never as negative spend")
    func trendNeverBelowZero() {
        // 21 days falling by $10 a day from $200: the line reaches zero on day 20 and keeps falling.
        let values = (0..<21).map { 200 - 10 * Double($0) }
        let fit = ForecastMethod.default.fit(values, from: 0, to: 21)
        #expect(fit.predict(day: 10) > 0)
        for day in 25..<60 { #expect(fit.predict(day: day) == 0) }
    }

    @Test("backtests are cut one day apart, latest first, each over a window as long as the real one")
    func backtestCuts() {
        // Day d spends $d. Cut at day 40, no gap, a 5-day horizon, 3 backtests: windows from day 35, 34 and 33,
        // which spent 35 + … + 39 = 185, 180 and 175.
        let method = ForecastMethod(historyDays: 56, backtestOrigins: 3)
        let tests = method.backtests((0..<40).map(Double.init), cut: 40, gap: 0, horizon: 5)
        #expect(tests.map(\.actual) == [185, 180, 175])
        // With a gap of 2 days (a month that starts later), the windows start 2 days after each cut.
        #expect(
            method.backtests((0..<40).map(Double.init), cut: 40, gap: 2, horizon: 5).map(\.actual) == [185, 180, 175]
        )
    }
}
