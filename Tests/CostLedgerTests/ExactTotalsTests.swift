import Attribution
import CostLedger
import Testing

/// SplitMix64: a small seeded generator, so the test sees the same records on every run.
private struct PriceTestRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0...bound (a slight modulo bias does not matter here, and this is fast in debug builds).
    mutating func upTo(_ bound: Int64) -> Int64 {
        Int64(truncatingIfNeeded: next() % UInt64(bound + 1))
    }
}

@Suite("Exact totals: a million records add up to the price of their summed tokens")
struct ExactTotalsTests {
    /// Prices in micro-dollars per million tokens, which is picodollars (10⁻¹² USD) per token. nil: no price.
    struct Prices {
        var input: Int64
        var output: Int64
        var cached: Int64?
        var write: Int64?
        var write1h: Int64?
    }

    static let models: [(name: String, tier: String, prices: Prices)] = [
        (
            "m-a", "default",
            Prices(input: 2_187_500, output: 17_500_000, cached: 546_875, write: 2_734_375, write1h: 4_375_000)
        ),
        ("m-b", "default", Prices(input: 3, output: 1_100_000, cached: nil, write: nil, write1h: nil)),
        ("m-c", "default", Prices(input: 150_000, output: 600_000, cached: 75_000, write: nil, write1h: nil)),
        ("m-c", "batch", Prices(input: 75_000, output: 300_000, cached: nil, write: nil, write1h: nil)),
    ]

    /// `micros` millionths as decimal text: 2187500 → "2.187500".
    static func decimal(_ micros: Int64) -> String {
        let whole = String(micros / 1_000_000)
        let fraction = String(micros % 1_000_000)
        return whole + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// The price file, half the prices as strings and half as JSON numbers (one in exponent form).
    static func priceFile() -> String {
        var byModel: [String: [String]] = [:]
        for (i, model) in models.enumerated() {
            func field(_ name: String, _ micros: Int64?) -> String? {
                guard let micros else { return nil }
                if name == "input" && model.name == "m-b" { return "\"input\": 3e-6" }
                return i % 2 == 0 ? "\"\(name)\": \"\(decimal(micros))\"" : "\"\(name)\": \(decimal(micros))"
            }
            let fields = [
                "\"tier\": \"\(model.tier)\"", field("input", model.prices.input), field("output", model.prices.output),
                field("cached_input", model.prices.cached), field("cache_write", model.prices.write),
                field("cache_write_1h", model.prices.write1h),
            ].compactMap { $0 }
            byModel[model.name, default: []].append("{" + fields.joined(separator: ", ") + "}")
        }
        let entries = byModel.keys.sorted().map {
            "\"\($0)\": [" + byModel[$0, default: []].joined(separator: ", ") + "]"
        }
        return "{\"source\": \"exact\", \"models\": {" + entries.joined(separator: ", ") + "}}"
    }

    @Test("1,000,000 seeded random records: the sum of unrounded amounts equals the reference exactly")
    func millionRecords() throws {
        let table = try PriceTable(priceFileJSON: Array(Self.priceFile().utf8))
        let date = try PriceTestSupport.day("2025-07-01")
        var rng = PriceTestRandom(state: 0x5EED_2025_0610)

        // Per price row: summed uncached, cached, write, write-1h and output tokens.
        var sums = [[Int128]](repeating: [0, 0, 0, 0, 0], count: Self.models.count)
        var expectedUnpriced = 0
        var expectedAtInput: Int128 = 0
        var total = Money.zero
        var unpriced = 0
        var atInput: Int128 = 0

        for _ in 0..<1_000_000 {
            let row = Int(rng.upTo(Int64(Self.models.count - 1)))
            let model = Self.models[row]
            let input = rng.upTo(2_000_000)
            let cached = rng.upTo(input)
            var write: Int64 = 0
            var write1h: Int64 = 0
            if model.prices.write != nil || rng.next() % 100 == 0 {
                write = rng.upTo(input - cached)
            }
            if model.prices.write1h != nil {
                write1h = rng.upTo(input - cached - write)
            }
            let output = rng.upTo(100_000)
            let usage = TokenUsage(
                input: input,
                output: output,
                cachedInput: cached,
                cacheWrite: write,
                cacheWrite1h: write1h
            )

            let quote = table.quote(provider: nil, model: model.name, serviceTier: model.tier, usage: usage, on: date)
            if let quote {
                total += quote.cost
                atInput += Int128(quote.cachedTokensAtInputPrice)
            } else {
                unpriced += 1
            }

            if write > 0 && model.prices.write == nil {
                expectedUnpriced += 1
                continue
            }
            sums[row][0] += Int128(input - cached - write - write1h)
            sums[row][1] += Int128(cached)
            sums[row][2] += Int128(write)
            sums[row][3] += Int128(write1h)
            sums[row][4] += Int128(output)
            if model.prices.cached == nil { expectedAtInput += Int128(cached) }
        }

        // The reference: summed tokens × prices, in picodollars, with integers only.
        var picodollars: Int128 = 0
        for (row, model) in Self.models.enumerated() {
            let p = model.prices
            picodollars += sums[row][0] * Int128(p.input)
            picodollars += sums[row][1] * Int128(p.cached ?? p.input)
            picodollars += sums[row][2] * Int128(p.write ?? 0)
            picodollars += sums[row][3] * Int128(p.write1h ?? 0)
            picodollars += sums[row][4] * Int128(p.output)
        }
        #expect(expectedUnpriced > 0)
        #expect(unpriced == expectedUnpriced)
        #expect(atInput == expectedAtInput)
        #expect(total.attodollars == picodollars * 1_000_000)
        #expect(total.formatted() == Money(attodollars: picodollars * 1_000_000).formatted())
    }
}
