import Attribution
import CostLedger
import Testing

/// Helpers shared by the pricing tests.
enum PriceTestSupport {
    /// A day's noon, UTC.
    static func day(_ text: String) throws -> UTCTimestamp {
        try UTCTimestamp(rfc3339: text + "T12:00:00Z")
    }

    /// Dollars as exact money, from decimal text.
    static func usd(_ text: String) throws -> Money {
        try Money(decimal: text)
    }
}

@Suite("Price table: built-in prices, the cost formula, tiers and re-pricing")
struct PriceTableTests {
    let table = PriceTable.builtIn

    @Test("o3 costs 10/40 per million on 2025-06-09 and 2/8 from 2025-06-10, by the call's UTC day")
    func o3EffectiveDate() throws {
        let usage = TokenUsage(input: 1_000_000, output: 1_000_000)
        let before = try #require(
            table.quote(
                provider: "openai",
                model: "o3",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-06-09")
            )
        )
        #expect(before.cost == (try PriceTestSupport.usd("50")))
        let lastInstant = try UTCTimestamp(rfc3339: "2025-06-09T23:59:59.999Z")
        let stillOld = try #require(
            table.quote(provider: "openai", model: "o3", serviceTier: nil, usage: usage, on: lastInstant)
        )
        #expect(stillOld.cost == (try PriceTestSupport.usd("50")))
        // 2025-06-10T01:00+02:00 is 2025-06-09T23:00Z: still the old price.
        let offset = try UTCTimestamp(rfc3339: "2025-06-10T01:00:00+02:00")
        #expect(
            table.quote(provider: "openai", model: "o3", serviceTier: nil, usage: usage, on: offset)?.cost
                == (try PriceTestSupport.usd("50"))
        )
        let after = try #require(
            table.quote(
                provider: "openai",
                model: "o3",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-06-10")
            )
        )
        #expect(after.cost == (try PriceTestSupport.usd("10")))
        #expect(after.priceSource == PriceTable.builtInSource)
    }

    @Test("the built-in table prices gpt-4.1 and codex-1 and says it is the built-in one")
    func builtInPrices() throws {
        #expect(table.isBuiltIn)
        #expect(table.source == PriceTable.builtInSource)
        #expect(PriceTable.builtInSource == "builtin-2026-12-06")
        let usage = TokenUsage(input: 2_000_000, output: 500_000, cachedInput: 1_000_000)
        // 1M uncached × 2.00 + 1M cached × 0.50 + 0.5M output × 8.00 = 2 + 0.5 + 4
        let gpt = try #require(
            table.quote(
                provider: "openai",
                model: "gpt-4.1",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-07-01")
            )
        )
        #expect(gpt.cost == (try PriceTestSupport.usd("6.5")))
        #expect(gpt.cachedTokensAtInputPrice == 0)
        let codex = try #require(
            table.quote(
                provider: "openai",
                model: "codex-1",
                serviceTier: "default",
                usage: TokenUsage(input: 1000, output: 1000),
                on: try PriceTestSupport.day("2025-07-01")
            )
        )
        // 1000 × 2.50e-6 + 1000 × 10.00e-6
        #expect(codex.cost == (try PriceTestSupport.usd("0.0125")))
    }

    @Test("cached tokens without a cached price are charged at the input price and counted")
    func cachedAtInputPrice() throws {
        let usage = TokenUsage(input: 1000, output: 0, cachedInput: 400)
        let quote = try #require(
            table.quote(
                provider: nil,
                model: "codex-1",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-07-01")
            )
        )
        #expect(quote.cost == (try PriceTestSupport.usd("0.0025")))
        #expect(quote.cachedTokensAtInputPrice == 400)
    }

    @Test("a call with cache-write tokens and no cache-write price is unpriced, never guessed")
    func unpricedCacheWrite() throws {
        for usage in [
            TokenUsage(input: 1000, output: 10, cacheWrite: 1),
            TokenUsage(input: 1000, output: 10, cacheWrite1h: 1),
        ] {
            #expect(
                table.quote(
                    provider: "openai",
                    model: "gpt-4.1",
                    serviceTier: nil,
                    usage: usage,
                    on: try PriceTestSupport.day("2025-07-01")
                )
                    == nil
            )
        }
    }

    @Test(
        "an unknown model is unpriced",
        arguments: [
            "gpt-4.1-turbo", "gpt-4", "o3-mini-high", "codex", "", "GPT-4.1", "claude-3-opus-20240229", "claude-opus-4",
            "claude-opus-4-7-latest",
        ]
    )
    func unknownModel(model: String) throws {
        let usage = TokenUsage(input: 10, output: 10)
        #expect(
            table.quote(
                provider: "openai",
                model: model,
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-07-01")
            )
                == nil
        )
        #expect(table.matchedModelName(provider: "openai", model: model) == nil)
    }

    @Test("usage that breaks the ledger's rules is unpriced rather than priced negative")
    func invalidUsage() throws {
        for usage in [
            TokenUsage(input: -1, output: 0),
            TokenUsage(input: 10, output: -5),
            TokenUsage(input: 10, output: 0, cachedInput: 8, cacheWrite: 3),
            TokenUsage(input: .max, output: 0, cachedInput: .max, cacheWrite: .max),
        ] {
            #expect(
                table.quote(
                    provider: nil,
                    model: "gpt-4.1",
                    serviceTier: nil,
                    usage: usage,
                    on: try PriceTestSupport.day("2025-07-01")
                )
                    == nil
            )
        }
    }

    @Test("huge token counts are priced exactly without overflow")
    func hugeCounts() throws {
        let usage = TokenUsage(input: .max, output: .max, cachedInput: .max / 2)
        let quote = try #require(
            table.quote(
                provider: nil,
                model: "o3",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2024-01-01")
            )
        )
        let uncached = Int128(Int64.max) - Int128(Int64.max / 2)
        let expected =
            uncached * 10_000_000_000_000 + Int128(Int64.max / 2) * 2_500_000_000_000
            + Int128(Int64.max) * 40_000_000_000_000
        #expect(quote.cost.attodollars == expected)
    }

    @Test("batch, flex and priority calls are unpriced by the built-in table, which prices only the default tier")
    func builtInTiers() throws {
        let usage = TokenUsage(input: 100, output: 100)
        for tier in ["batch", "flex", "priority", "scale"] {
            #expect(
                table.quote(
                    provider: nil,
                    model: "gpt-4.1",
                    serviceTier: tier,
                    usage: usage,
                    on: try PriceTestSupport.day("2025-07-01")
                )
                    == nil
            )
        }
        for tier in [nil, "", "default", "standard"] as [String?] {
            #expect(
                table.quote(
                    provider: nil,
                    model: "gpt-4.1",
                    serviceTier: tier,
                    usage: usage,
                    on: try PriceTestSupport.day("2025-07-01")
                )
                    != nil
            )
        }
    }

    @Test("quote(for:) prices a record by its started_at day when present, else its ts day")
    func recordDay() throws {
        var record = CostRecord(
            recordID: "r1",
            timestamp: try UTCTimestamp(rfc3339: "2025-06-10T00:00:05Z"),
            provider: "openai",
            model: "o3",
            usage: TokenUsage(input: 1_000_000, output: 0)
        )
        #expect(table.quote(for: record)?.cost == (try PriceTestSupport.usd("2")))
        record.startedAt = try UTCTimestamp(rfc3339: "2025-06-09T23:59:58Z")
        #expect(table.quote(for: record)?.cost == (try PriceTestSupport.usd("10")))
        var unit = record
        unit.kind = .unit
        #expect(table.quote(for: unit) == nil)
        var noModel = record
        noModel.model = nil
        #expect(table.quote(for: noModel) == nil)
    }

    @Test("re-pricing sets cost_usd and price_source from the table, or clears them when it cannot price")
    func repricing() throws {
        let record = CostRecord(
            recordID: "r2",
            timestamp: try PriceTestSupport.day("2025-07-01"),
            provider: "openai",
            model: "gpt-4.1",
            usage: TokenUsage(input: 1_000_000, output: 1_000_000),
            costUSD: try PriceTestSupport.usd("99"),
            priceSource: "stale"
        )
        let fixed = table.repriced(record)
        #expect(fixed.costUSD == (try PriceTestSupport.usd("10")))
        #expect(fixed.priceSource == PriceTable.builtInSource)
        #expect(fixed.recordID == record.recordID && fixed.usage == record.usage)

        var unknown = record
        unknown.model = "mystery-model"
        let cleared = table.repriced(unknown)
        #expect(cleared.costUSD == nil)
        #expect(cleared.priceSource == nil)
    }

    @Test("a file overlaid on the built-ins wins from its first date and keeps the built-in price before it")
    func overlay() throws {
        let file = try PriceTable(
            priceFileJSON: Array(
                """
                {"source": "corrected", "models": {
                  "openai/gpt-4.1": [{"effective_from": "2025-08-01", "input": "1.00", "output": "4.00"}],
                  "gpt-4.1-mini": [{"input": 0.40, "output": 1.60, "cached_input": 0.10}]
                }}
                """.utf8
            )
        )
        let merged = PriceTable.builtIn.overlaying(file)
        #expect(!merged.isBuiltIn)
        #expect(merged.source == "corrected+" + PriceTable.builtInSource)
        let usage = TokenUsage(input: 1_000_000, output: 0)
        let july = try #require(
            merged.quote(
                provider: "openai",
                model: "gpt-4.1",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-07-31")
            )
        )
        #expect(july.cost == (try PriceTestSupport.usd("2")))
        #expect(july.priceSource == PriceTable.builtInSource)
        let august = try #require(
            merged.quote(
                provider: "openai",
                model: "gpt-4.1",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-08-01")
            )
        )
        #expect(august.cost == (try PriceTestSupport.usd("1")))
        #expect(august.priceSource == "corrected")
        #expect(
            merged.quote(
                provider: "openai",
                model: "gpt-4.1-mini",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-08-01")
            )?.cost == (try PriceTestSupport.usd("0.4"))
        )
        // Models only the base prices stay.
        #expect(
            merged.quote(
                provider: nil,
                model: "o3",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-08-01")
            )?.cost
                == (try PriceTestSupport.usd("2"))
        )
    }

    @Test("a '*' tier prices every tier; without it a tier the file does not price is unpriced")
    func anyTier() throws {
        let file = try PriceTable(
            priceFileJSON: Array(
                """
                {"models": {
                  "self-hosted-llama": [{"tier": "*", "input": "0.10", "output": "0.20"}],
                  "gpt-4.1": [
                    {"tier": "default", "input": "2.00", "output": "8.00", "cached_input": "0.50"},
                    {"tier": "batch", "input": "1.00", "output": "4.00"}
                  ]
                }}
                """.utf8
            )
        )
        let usage = TokenUsage(input: 1_000_000, output: 1_000_000, cachedInput: 1_000_000)
        let date = try PriceTestSupport.day("2025-07-01")
        for tier in [nil, "batch", "flex", "priority"] as [String?] {
            #expect(
                file.quote(provider: nil, model: "self-hosted-llama", serviceTier: tier, usage: usage, on: date)?.cost
                    == (try PriceTestSupport.usd("0.3"))
            )
        }
        #expect(
            file.quote(provider: nil, model: "gpt-4.1", serviceTier: nil, usage: usage, on: date)?.cost
                == (try PriceTestSupport.usd("8.5"))
        )
        let batch = try #require(
            file.quote(provider: nil, model: "gpt-4.1", serviceTier: "batch", usage: usage, on: date)
        )
        #expect(batch.cost == (try PriceTestSupport.usd("5")))
        #expect(batch.cachedTokensAtInputPrice == 1_000_000)
        #expect(file.quote(provider: nil, model: "gpt-4.1", serviceTier: "flex", usage: usage, on: date) == nil)
        #expect(file.quote(provider: nil, model: "gpt-4.1", serviceTier: "priority", usage: usage, on: date) == nil)
    }

    @Test("before a tier's own first date, the model's '*' price applies to it")
    func anyTierBeforeTierDate() throws {
        let file = try PriceTable(
            priceFileJSON: Array(
                """
                {"models": {"m": [
                  {"tier": "*", "input": "1", "output": "1"},
                  {"tier": "batch", "effective_from": "2025-09-01", "input": "0.5", "output": "0.5"}
                ]}}
                """.utf8
            )
        )
        let usage = TokenUsage(input: 1_000_000, output: 0)
        #expect(
            file.quote(
                provider: nil,
                model: "m",
                serviceTier: "batch",
                usage: usage,
                on: try PriceTestSupport.day("2025-08-31")
            )?.cost
                == (try PriceTestSupport.usd("1"))
        )
        #expect(
            file.quote(
                provider: nil,
                model: "m",
                serviceTier: "batch",
                usage: usage,
                on: try PriceTestSupport.day("2025-09-01")
            )?.cost
                == (try PriceTestSupport.usd("0.5"))
        )
    }

    @Test("a call before a model's first effective date is unpriced")
    func beforeFirstDate() throws {
        let file = try PriceTable(
            priceFileJSON: Array(
                #"{"models": {"m": [{"effective_from": "2025-03-01", "input": "1", "output": "1"}]}}"#.utf8
            )
        )
        let usage = TokenUsage(input: 1, output: 1)
        #expect(
            file.quote(
                provider: nil,
                model: "m",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-02-28")
            ) == nil
        )
        #expect(
            file.quote(
                provider: nil,
                model: "m",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-03-01")
            ) != nil
        )
    }

    @Test("a record with no tokens costs exactly zero when its model is priced")
    func zeroTokens() throws {
        let quote = try #require(
            table.quote(
                provider: nil,
                model: "gpt-4.1",
                serviceTier: nil,
                usage: TokenUsage(),
                on: try PriceTestSupport.day("2025-07-01")
            )
        )
        #expect(quote.cost == .zero)
    }
}
