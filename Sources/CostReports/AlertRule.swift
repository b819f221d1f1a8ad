import Attribution
import CostLedger

/// The exact arithmetic of the alert rules: medians, means and median absolute deviations of exact fractions,
/// parameters read from decimals, amounts rounded to attodollars.
extension WideFraction {
    /// `self + other`.
    func adding(_ other: WideFraction) -> WideFraction {
        subtracting(WideFraction(negative: !other.negative, numerator: other.numerator, denominator: other.denominator))
    }

    /// `self × other`.
    func multiplied(by other: WideFraction) -> WideFraction {
        WideFraction(
            negative: negative != other.negative,
            numerator: Self.multiply(numerator, other.numerator),
            denominator: Self.multiply(denominator, other.denominator)
        )
    }

    /// The absolute value.
    var magnitudeValue: WideFraction { WideFraction(negative: false, numerator: numerator, denominator: denominator) }

    /// A parameter given as a decimal number, exact to the millionth; nil when it is not finite, negative or
    /// above 10¹².
    init?(parameter value: Double) {
        guard value.isFinite, value >= 0, value <= 1e12 else { return nil }
        self.init(Int128((value * 1_000_000).rounded()), 1_000_000)
    }

    /// The value rounded half-even to a whole number; nil beyond `Int128`.
    var roundedInteger: Int128? { Int128(formatted(decimals: 0)) }

    /// An amount in attodollars shown in dollars with `decimals` places, rounded half-even.
    func dollars(decimals: Int) -> String {
        var scale: Int128 = 1
        for _ in 0..<Money.scale { scale *= 10 }
        return (dividing(by: WideFraction(scale, 1) ?? .zero) ?? .zero).formatted(decimals: decimals)
    }
}

/// The baseline statistics of the rules (docs/alerts.md).
enum AlertStatistics {
    static func sorted(_ values: [WideFraction]) -> [WideFraction] { values.sorted { $0.compare($1) < 0 } }

    /// The median: the middle value, or the mean of the two middle values; nil for no values.
    static func median(_ values: [WideFraction]) -> WideFraction? {
        guard !values.isEmpty else { return nil }
        let ordered = sorted(values)
        let middle = ordered.count / 2
        if ordered.count % 2 == 1 { return ordered[middle] }
        return ordered[middle - 1].adding(ordered[middle]).dividing(by: WideFraction(2, 1) ?? .zero)
    }

    /// The arithmetic mean; nil for no values.
    static func mean(_ values: [WideFraction]) -> WideFraction? {
        guard !values.isEmpty else { return nil }
        let sum = values.reduce(WideFraction.zero) { $0.adding($1) }
        return sum.dividing(by: WideFraction(Int128(values.count), 1) ?? .zero)
    }

    /// The median absolute deviation from `center`.
    static func medianAbsoluteDeviation(_ values: [WideFraction], center: WideFraction) -> WideFraction {
        median(values.map { $0.subtracting(center).magnitudeValue }) ?? .zero
    }
}

/// A threshold rule: `value ≥ ratio × baseline`, and for the robust rule also
/// `value ≥ baseline + deviations × 1.4826 × MAD` of the baseline's values.
struct ThresholdRule {
    let ratio: WideFraction
    /// `deviations × 1.4826`, nil for the plain ratio rule.
    let spread: WideFraction?

    /// The constant that makes the median absolute deviation estimate a normal distribution's standard deviation.
    static let madScale = WideFraction(14_826, 10_000) ?? .zero

    init(ratio: WideFraction, deviations: WideFraction?) {
        self.ratio = ratio
        spread = deviations.map { $0.multiplied(by: Self.madScale) }
    }

    /// The rule of a detector's parameters: `ratio` (0 when it is no valid parameter, which the detector's
    /// `validate()` reports first) and `deviations` (nil: the plain ratio rule).
    init(ratio: Double, deviations: Double?) {
        self.init(
            ratio: WideFraction(parameter: ratio) ?? .zero,
            deviations: deviations.flatMap { WideFraction(parameter: $0) }
        )
    }

    /// Whether `value` breaks the rule against `baseline`, drawn from `baselineValues`.
    func fires(value: WideFraction, baseline: WideFraction, baselineValues: [WideFraction]) -> Bool {
        guard value.compare(ratio.multiplied(by: baseline)) >= 0 else { return false }
        guard let spread else { return true }
        let deviation = AlertStatistics.medianAbsoluteDeviation(baselineValues, center: baseline)
        return value.compare(baseline.adding(spread.multiplied(by: deviation))) >= 0
    }
}
