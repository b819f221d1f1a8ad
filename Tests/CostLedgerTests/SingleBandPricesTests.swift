import Attribution
import Testing

@testable import CostLedger

/// The audit prices every record from ``SingleBandPrices`` (64-bit rates read in place); these tests hold it
/// to the public ``PriceTable/quote(provider:model:serviceTier:usage:on:)`` for every rule of the formula.
@Suite("Single-band prices: the audit's fast quote equals the price table's")
struct SingleBandPricesTests {
    static let file = #"""
        {
          "models": {
            "full": [{"input": "3", "output": "15", "cached_input": "0.30", "cache_write": "3.75", "cache_write_1h": "6"}],
            "no-cached": [{"input": "2", "output": "8"}],
            "dearest": [{"input": "1000000", "output": "1000000", "cached_input": "999999.999999999999"}],
            "cheapest": [{"input": "0.000000000001", "output": "0"}]
          }
        }
        """#

    func quotes(_ model: String, _ usage: TokenUsage) throws -> (table: CostQuote?, fast: (Int128, Int64)?) {
        let table = try PriceTable(priceFileJSON: Array(Self.file.utf8))
        let day = try UTCTimestamp(rfc3339: "2026-01-01T00:00:00Z")
        let resolved = try #require(
            table.resolvedPrices(provider: nil, model: model, serviceTier: nil, day: day.utcDay)
        )
        let single = try #require(resolved.singleBand, "one band, rates within bounds: the fast path applies")
        let fast = single.quote(usage).map { ($0.attodollars, $0.cachedTokensAtInputPrice) }
        return (table.quote(provider: nil, model: model, serviceTier: nil, usage: usage, on: day), fast)
    }

    @Test(
        "every rate and every missing rate: same dollars, same cached tokens at input price, same refusals",
        arguments: ["full", "no-cached", "dearest", "cheapest"]
    )
    func sameQuotes(model: String) throws {
        var generator = SystemRandomNumberGenerator()
        let fixed: [TokenUsage] = [
            TokenUsage(input: 0, output: 0),
            TokenUsage(input: 1_000_000, output: 1_000_000),
            TokenUsage(input: 5_000, output: 0, cachedInput: 5_000),
            TokenUsage(input: 10, output: 3, cachedInput: 2, cacheWrite: 3, cacheWrite1h: 4),
            TokenUsage(input: Int64.max, output: Int64.max, cachedInput: Int64.max / 2),
            TokenUsage(input: 0, output: 7),
            TokenUsage(input: 9, output: 0),
        ]
        var usages = fixed
        for _ in 0..<2_000 {
            let input = Int64.random(in: 0...2_000_000, using: &generator)
            let cached = Int64.random(in: 0...input, using: &generator)
            let write = Int64.random(in: 0...(input - cached), using: &generator)
            let write1h = Int64.random(in: 0...(input - cached - write), using: &generator)
            usages.append(
                TokenUsage(
                    input: input,
                    output: Int64.random(in: 0...100_000, using: &generator),
                    cachedInput: Bool.random(using: &generator) ? cached : 0,
                    cacheWrite: Bool.random(using: &generator) ? write : 0,
                    cacheWrite1h: Bool.random(using: &generator) ? write1h : 0
                )
            )
        }
        var priced = 0
        for usage in usages {
            let (table, fast) = try quotes(model, usage)
            #expect(table?.cost.attodollars == fast?.0, "\(model) \(usage)")
            #expect(table?.cachedTokensAtInputPrice == fast?.1, "\(model) \(usage)")
            if table != nil { priced += 1 }
        }
        // Each model prices some of these calls and, unless it has every rate, refuses others.
        #expect(priced > 0)
        if model != "full" { #expect(priced < usages.count) }
    }

    @Test("a price with input-size bands takes the general path, which still prices it")
    func bandedIsNotSingle() throws {
        let file =
            #"{"models": {"b": [{"input": "3", "output": "15"}, {"above_input_tokens": 200000, "input": "6", "output": "22.50"}]}}"#
        let table = try PriceTable(priceFileJSON: Array(file.utf8))
        let day = try UTCTimestamp(rfc3339: "2026-01-01T00:00:00Z")
        let resolved = try #require(table.resolvedPrices(provider: nil, model: "b", serviceTier: nil, day: day.utcDay))
        #expect(resolved.singleBand == nil)
        let usage = TokenUsage(input: 300_000, output: 10)
        #expect(
            resolved.quote(usage)?.attodollars
                == table.quote(provider: nil, model: "b", serviceTier: nil, usage: usage, on: day)?.cost.attodollars
        )
    }
}
