import Attribution
import AttributionMetrics
import AttributionTesting
import CostLedger
import MetricsTestKit
import Testing

@Suite("Metrics bridge: counters and a histogram fed by the meter, bounded labels")
struct MetricsBridgeTests {
    /// A call record with whole attodollar cost.
    func call(
        feature: String? = "summarize",
        team: String = "growth",
        model: String? = "gpt-4.1",
        tool: String? = nil,
        attempt: Int = 1,
        status: CostRecord.Status = .ok,
        attodollars: Int128?,
        input: Int64 = 1000,
        output: Int64 = 100
    ) -> CostRecord {
        var attribution: [AttributionField: String] = [.team: team, .userID: "u_42"]
        attribution[.feature] = feature
        attribution[.tool] = tool
        return CostRecord(
            recordID: "r",
            timestamp: UTCTimestamp(millisecondsSinceEpoch: 0),
            provider: "openai",
            model: model,
            usage: TokenUsage(input: input, output: output),
            costUSD: attodollars.map { Money(attodollars: $0) },
            status: status,
            attempt: attempt,
            attribution: attribution
        )
    }

    let micro: Int128 = 1_000_000_000_000

    @Test("Cost, tokens and calls count by feature, team and model; the sink below still gets every record")
    func countsByLabels() throws {
        let metrics = TestMetrics()
        let records = InMemoryCostSink()
        let sink = CostMetricsSink(records, factory: metrics)
        try sink.write(call(attodollars: 4500 * micro))
        try sink.write(call(attodollars: 1500 * micro, input: 10, output: 5))
        try sink.write(call(status: .error, attodollars: 0, input: 0, output: 0))
        let labels = [("feature", "summarize"), ("team", "growth"), ("model", "gpt-4.1")]
        let cost = labels + [("tool", "none"), ("retry", "false")]
        #expect(try metrics.expectCounter("llm_cost_microdollars_total", cost).totalValue == 6000)
        #expect(try metrics.expectCounter("llm_tokens_total", labels + [("direction", "input")]).totalValue == 1010)
        #expect(try metrics.expectCounter("llm_tokens_total", labels + [("direction", "output")]).totalValue == 105)
        #expect(try metrics.expectCounter("llm_calls_total", labels + [("status", "ok")]).totalValue == 2)
        #expect(try metrics.expectCounter("llm_calls_total", labels + [("status", "error")]).totalValue == 1)
        let histogram = try metrics.expectRecorder(
            "llm_call_cost_microdollars",
            [("feature", "summarize"), ("model", "gpt-4.1")]
        )
        #expect(histogram.values == [4500, 1500, 0])
        #expect(records.records.count == 3)
    }

    @Test("Cost below a micro-dollar is carried to the next call, so the counter is the exact total floored")
    func carriesRemainder() throws {
        let metrics = TestMetrics()
        let sink = CostMetricsSink(InMemoryCostSink(), factory: metrics)
        // 0.4 µ$ three times is 1.2 µ$: the counter shows 1, not three roundings of 0.
        for _ in 0..<3 { try sink.write(call(attodollars: 400_000_000_000)) }
        #expect(metrics.counterTotal(label: "llm_cost_microdollars_total") == 1)
        // Two more make 2.0 µ$.
        for _ in 0..<2 { try sink.write(call(attodollars: 400_000_000_000)) }
        #expect(metrics.counterTotal(label: "llm_cost_microdollars_total") == 2)
    }

    @Test("Unpriced calls count apart and add no cost; retries are labelled; unit records count nothing")
    func unpricedAndRetries() throws {
        let metrics = TestMetrics()
        let sink = CostMetricsSink(InMemoryCostSink(), factory: metrics)
        try sink.write(call(model: "house-model", attodollars: nil))
        try sink.write(call(tool: "web_search", attempt: 2, attodollars: 7 * micro))
        var unit = call(attodollars: nil)
        unit.kind = .unit
        try sink.write(unit)
        let unpriced = [("feature", "summarize"), ("team", "growth"), ("model", "house-model")]
        #expect(try metrics.expectCounter("llm_unpriced_calls_total", unpriced).totalValue == 1)
        #expect(metrics.counterTotal(label: "llm_unpriced_calls_total") == 1)
        let retry = [
            ("feature", "summarize"), ("team", "growth"), ("model", "gpt-4.1"), ("tool", "web_search"),
            ("retry", "true"),
        ]
        #expect(try metrics.expectCounter("llm_cost_microdollars_total", retry).totalValue == 7)
        #expect(metrics.counterTotal(label: "llm_cost_microdollars_total") == 7)
        #expect(metrics.counterTotal(label: "llm_calls_total") == 2)
    }

    @Test("Labels are bounded: no user id, and values past the cap count under other")
    func boundedCardinality() throws {
        let metrics = TestMetrics()
        let sink = CostMetricsSink(InMemoryCostSink(), maxValuesPerLabel: 2, factory: metrics)
        for feature in ["a", "b", "c", "d", "a"] { try sink.write(call(feature: feature, attodollars: micro)) }
        try sink.write(call(feature: nil, attodollars: micro))
        let features = Set(
            metrics.counters(label: "llm_calls_total").compactMap { counter in
                counter.dimensions.first { $0.0 == "feature" }?.1
            }
        )
        #expect(features == ["a", "b", "other", "none"])
        let other = [("feature", "other"), ("team", "growth"), ("model", "gpt-4.1"), ("status", "ok")]
        #expect(try metrics.expectCounter("llm_calls_total", other).totalValue == 2)
        let names = Set(metrics.counters.flatMap { $0.dimensions.map(\.0) })
        #expect(names == ["feature", "team", "model", "tool", "retry", "status", "direction"])
        #expect(!metrics.counters.contains { $0.dimensions.contains { $0.1 == "u_42" } })
    }
}
