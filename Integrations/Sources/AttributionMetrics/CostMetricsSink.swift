import Attribution
public import CoreMetrics
public import CostLedger
import Synchronization

/// A `CostSink` decorator that feeds swift-metrics from every metered call, then passes the record on.
///
/// ```swift
/// let meter = CostMeter(sink: CostMetricsSink(ledger))
/// ```
///
/// The metrics (names in ``Name``, labels in ``Label``), for each call record (unit records count nothing):
///
/// | metric | kind | labels | value |
/// |---|---|---|---|
/// | `llm_cost_microdollars_total` | counter | feature, team, model, tool, retry | priced cost, US micro-dollars |
/// | `llm_tokens_total` | counter | feature, team, model, direction | input and output tokens |
/// | `llm_calls_total` | counter | feature, team, model, status | calls, `ok` or `error` |
/// | `llm_unpriced_calls_total` | counter | feature, team, model | calls whose model has no price |
/// | `llm_call_cost_microdollars` | histogram | feature, model | one priced call's cost, micro-dollars |
///
/// Cost is exact: each cost series carries the attodollars below a micro-dollar to its next call, so the counter
/// is the series' total floored to the micro-dollar, never a sum of per-call roundings. A field the record lacks
/// is the value `none`; `retry` is `true` for an attempt after the first.
///
/// Cardinality is bounded: no label holds a user id, and each label admits at most ``maxValuesPerLabel`` distinct
/// values, later ones counting under `other` (``Label/otherValue``).
public struct CostMetricsSink: CostSink {
    /// The metric names.
    public enum Name {
        /// Priced cost, US micro-dollars (counter).
        public static let cost = "llm_cost_microdollars_total"
        /// Tokens by direction, `input` or `output` (counter).
        public static let tokens = "llm_tokens_total"
        /// Calls by status, `ok` or `error` (counter).
        public static let calls = "llm_calls_total"
        /// Calls whose model has no price, so no cost (counter).
        public static let unpricedCalls = "llm_unpriced_calls_total"
        /// One priced call's cost, US micro-dollars (histogram).
        public static let callCost = "llm_call_cost_microdollars"
    }

    /// The label names and their fixed values.
    public enum Label {
        /// The record's `feature`.
        public static let feature = "feature"
        /// The record's `team`.
        public static let team = "team"
        /// The record's `model`.
        public static let model = "model"
        /// The record's `tool`.
        public static let tool = "tool"
        /// `true` for an attempt after the first (`attempt` ≥ 2), else `false`.
        public static let retry = "retry"
        /// `ok` or `error`.
        public static let status = "status"
        /// `input` or `output`.
        public static let direction = "direction"
        /// The value of a field the record lacks.
        public static let noneValue = "none"
        /// The value every distinct value past a label's cap counts under.
        public static let otherValue = "other"
    }

    /// Where records go after they are counted.
    public let base: any CostSink
    /// The most distinct values one label takes before later ones count under `other`.
    public let maxValuesPerLabel: Int
    private let factory: any MetricsFactory
    private let storage: Storage

    /// Wraps a sink.
    /// - Parameters:
    ///   - base: where records go.
    ///   - maxValuesPerLabel: the most distinct values of each label (feature, team, model, tool), at least 1;
    ///     later values count under `other`.
    ///   - factory: the metrics backend; by default the one bootstrapped in `MetricsSystem`.
    public init(_ base: any CostSink, maxValuesPerLabel: Int = 50, factory: any MetricsFactory = MetricsSystem.factory)
    {
        self.base = base
        self.maxValuesPerLabel = max(1, maxValuesPerLabel)
        self.factory = factory
        self.storage = Storage()
    }

    /// Counts a call's record, then writes it to ``base``.
    /// - Parameter record: the record.
    /// - Throws: what ``base`` throws.
    public func write(_ record: CostRecord) throws(CostLedgerError) {
        if record.kind == .call { count(record) }
        try base.write(record)
    }

    /// Flushes ``base``.
    /// - Throws: what ``base`` throws.
    public func flush() throws(CostLedgerError) { try base.flush() }

    private func count(_ record: CostRecord) {
        let cap = maxValuesPerLabel
        let factory = factory
        storage.state.withLock { state in
            let feature = state.admit(record.attribution[.feature], label: Label.feature, cap: cap)
            let team = state.admit(record.attribution[.team], label: Label.team, cap: cap)
            let model = state.admit(record.model, label: Label.model, cap: cap)
            let tool = state.admit(record.attribution[.tool], label: Label.tool, cap: cap)
            let retry = (record.attempt ?? 1) > 1 ? "true" : "false"
            let base = [(Label.feature, feature), (Label.team, team), (Label.model, model)]

            state.counter(Name.calls, base + [(Label.status, record.status.name)], factory).increment(by: 1)
            if record.usage.input > 0 {
                state.counter(Name.tokens, base + [(Label.direction, "input")], factory)
                    .increment(by: record.usage.input)
            }
            if record.usage.output > 0 {
                state.counter(Name.tokens, base + [(Label.direction, "output")], factory)
                    .increment(by: record.usage.output)
            }
            guard let cost = record.costUSD else {
                state.counter(Name.unpricedCalls, base, factory).increment(by: 1)
                return
            }
            guard cost.attodollars >= 0 else { return }
            let costDimensions = base + [(Label.tool, tool), (Label.retry, retry)]
            let key = SeriesKey(Name.cost, costDimensions)
            let carried = state.remainders[key, default: 0] + cost.attodollars
            let micro = carried / State.attodollarsPerMicrodollar
            state.remainders[key] = carried % State.attodollarsPerMicrodollar
            if micro > 0 {
                state.counter(Name.cost, costDimensions, factory).increment(by: Int64(clamping: micro))
            }
            let histogramDimensions = [(Label.feature, feature), (Label.model, model)]
            state.recorder(Name.callCost, histogramDimensions, factory)
                .record(Int64(clamping: cost.attodollars / State.attodollarsPerMicrodollar))
        }
    }
}

/// A metric's name and labels, as a dictionary key.
struct SeriesKey: Hashable {
    var name: String
    var dimensions: [String]

    init(_ name: String, _ dimensions: [(String, String)]) {
        self.name = name
        self.dimensions = dimensions.flatMap { [$0.0, $0.1] }
    }
}

/// The sink's mutable part, shared by its copies.
final class Storage: Sendable {
    let state = Mutex(State())
}

/// The sink's mutable part: admitted label values, metric handles and cost remainders.
struct State: ~Copyable {
    static let attodollarsPerMicrodollar: Int128 = 1_000_000_000_000

    var admitted: [String: Set<String>] = [:]
    var counters: [SeriesKey: Counter] = [:]
    var recorders: [SeriesKey: Recorder] = [:]
    var remainders: [SeriesKey: Int128] = [:]

    /// `value` when the label already has it or has room for it, `other` past the cap, `none` when absent.
    mutating func admit(_ value: String?, label: String, cap: Int) -> String {
        guard let value, !value.isEmpty else { return CostMetricsSink.Label.noneValue }
        if admitted[label, default: []].contains(value) { return value }
        guard admitted[label, default: []].count < cap else { return CostMetricsSink.Label.otherValue }
        admitted[label, default: []].insert(value)
        return value
    }

    mutating func counter(_ name: String, _ dimensions: [(String, String)], _ factory: any MetricsFactory) -> Counter {
        let key = SeriesKey(name, dimensions)
        if let counter = counters[key] { return counter }
        let counter = Counter(label: name, dimensions: dimensions, factory: factory)
        counters[key] = counter
        return counter
    }

    mutating func recorder(_ name: String, _ dimensions: [(String, String)], _ factory: any MetricsFactory) -> Recorder
    {
        let key = SeriesKey(name, dimensions)
        if let recorder = recorders[key] { return recorder }
        let recorder = Recorder(label: name, dimensions: dimensions, aggregate: true, factory: factory)
        recorders[key] = recorder
        return recorder
    }
}
