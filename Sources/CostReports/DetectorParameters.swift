import Attribution
import CostLedger

/// One named parameter of a detector (docs/alerts.md): how its value is shown and how it is read from text into
/// the detector. A detector lists its parameters once (``ParameterizedDetector/parameterTable``), and both
/// ``AlertDetector/parameters`` and ``AlertDetector/setParameter(_:to:)`` come from that list.
struct DetectorParameter<Detector: AlertDetector> {
    let name: String
    let show: (Detector) -> String
    let read: (inout Detector, String) throws(ReportError) -> Void

    /// A decimal number from 0 to 10¹², or to `maximum` (``AlertParameter/number(_:_:_:maximum:)``).
    static func number(_ name: String, _ path: WritableKeyPath<Detector, Double>, maximum: Double? = nil) -> Self {
        Self(name: name, show: { AlertParameter.shown($0[keyPath: path]) }) { detector, text throws(ReportError) in
            detector[keyPath: path] = try AlertParameter.number(detector.name, name, text, maximum: maximum)
        }
    }

    /// A whole number in `range`.
    static func count(_ name: String, _ path: WritableKeyPath<Detector, Int>, _ range: ClosedRange<Int>) -> Self {
        Self(name: name, show: { "\($0[keyPath: path])" }) { detector, text throws(ReportError) in
            detector[keyPath: path] = try AlertParameter.count(detector.name, name, text, range: range)
        }
    }

    /// Dollars, zero or more, shown with 2 decimals.
    static func dollars(_ name: String, _ path: WritableKeyPath<Detector, Money>) -> Self {
        Self(name: name, show: { $0[keyPath: path].formatted(decimals: 2) }) { detector, text throws(ReportError) in
            detector[keyPath: path] = try AlertParameter.dollars(detector.name, name, text)
        }
    }
}

/// A detector whose parameters are one ``DetectorParameter`` list.
protocol ParameterizedDetector: AlertDetector {
    /// The parameters, in the order docs/alerts.md lists them.
    static var parameterTable: [DetectorParameter<Self>] { get }
}

extension ParameterizedDetector {
    public var parameters: [(name: String, value: String)] {
        Self.parameterTable.map { ($0.name, $0.show(self)) }
    }

    public mutating func setParameter(_ name: String, to text: String) throws(ReportError) {
        guard let parameter = Self.parameterTable.first(where: { $0.name == name }) else {
            throw AlertParameter.unknown(self.name, name, parameters)
        }
        try parameter.read(&self, text)
    }
}

/// A detector that compares a period's value with the same period on previous days (``PeriodicRule``): the
/// four of them share their threshold's, stake's and baseline's parameters, their history and their scan.
protocol PeriodicDetector: ParameterizedDetector, ScanningDetector {
    /// How many times the baseline the value must reach.
    var ratio: Double { get set }
    /// Less spend above the baseline than this: no alert.
    var minimumUSDAtStake: Money { get set }
    /// How many previous days' same period make the baseline.
    var baselineDays: Int { get set }
    /// Fewer of those periods with a value than this: no alert.
    var minimumBaselinePeriods: Int { get set }
    /// The rule the parameters make.
    var rule: PeriodicRule { get }
}

extension PeriodicDetector {
    /// The parameters in docs/alerts.md's order: `ratio`, then the detector's own (`own`), then the dollars at
    /// stake and the baseline's.
    static func periodicParameters(_ own: [DetectorParameter<Self>]) -> [DetectorParameter<Self>] {
        [.number("ratio", \.ratio)] + own + [
            .dollars("minimum_usd_at_stake", \.minimumUSDAtStake),
            .count("baseline_days", \.baselineDays, 1...366),
            .count("minimum_baseline_periods", \.minimumBaselinePeriods, 1...366),
        ]
    }

    /// The rule over the detector's ``AlertDetector/period``, with its ratio, stake and baseline parameters.
    func periodicRule(
        subject: ReportDimension?,
        unit: Alert.Unit,
        deviations: Double?,
        statistic: PeriodicRule.Statistic,
        minimumVolume: Int,
        measure: PeriodicRule.Measure
    ) -> PeriodicRule {
        PeriodicRule(
            detector: name,
            period: period,
            subject: subject,
            unit: unit,
            rule: ThresholdRule(ratio: ratio, deviations: deviations),
            statistic: statistic,
            minimumVolume: minimumVolume,
            minimumUSDAtStake: minimumUSDAtStake,
            baselineDays: baselineDays,
            minimumBaselinePeriods: minimumBaselinePeriods,
            measure: measure
        )
    }

    public func historyStart(evaluatingFrom start: UTCTimestamp) -> UTCTimestamp {
        PeriodicRule.daysBefore(start, baselineDays)
    }

    public func alerts(_ dataset: SpendDataset, periods: [UTCTimestamp]) -> [Alert] {
        rule.alerts(dataset, periods: periods)
    }

    func scan(periods: [UTCTimestamp]) -> any AlertScan { PeriodicScan(rule, periods: periods) }
}
