import Attribution
import CostLedger
import Foundation
import Testing

@Suite("The built-in table: current OpenAI and Anthropic prices, as LiteLLM 1.110.2 publishes them")
struct BuiltInPriceTests {
    let builtIn = PriceTable.builtIn

    /// Input-token counts at and just above every long-context threshold in the pinned file.
    static let inputSizes: [Int64] = [0, 32_001, 100_000, 100_001, 128_001, 200_001, 256_001, 272_000, 272_001]

    /// Name → (litellm_provider, mode) of every entry of the pinned file.
    static func fileEntries() throws -> [String: (provider: String?, mode: String?)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: PublishedLiteLLM.pricePath))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var entries: [String: (provider: String?, mode: String?)] = [:]
        for (name, value) in object {
            guard let fields = value as? [String: Any] else { continue }
            entries[name] = (fields["litellm_provider"] as? String, fields["mode"] as? String)
        }
        return entries
    }

    func prices(_ table: PriceTable, _ model: String, input: Int64, on day: UTCTimestamp) -> ModelPrice? {
        table.price(provider: nil, model: model, serviceTier: nil, inputTokens: input, on: day)?.price
    }

    @Test("every built-in price is the pinned LiteLLM file's price for the same name, long-context bands included")
    func matchesPinnedFile() throws {
        let litellm = try PublishedLiteLLM.table()
        let day = try PriceTestSupport.day("2026-12-06")
        var compared = 0
        for model in builtIn.modelNames where model != "codex-1" {
            for input in Self.inputSizes {
                let ours = prices(builtIn, model, input: input, on: day)
                let theirs = prices(litellm, model, input: input, on: day)
                #expect(ours != nil, "\(model) above \(input)")
                #expect(ours == theirs, "\(model) above \(input) input tokens")
                compared += 1
            }
        }
        #expect(compared == (builtIn.count - 1) * Self.inputSizes.count)
        // LiteLLM 1.110.2 has no codex-1: its price is the project's first table's.
        #expect(litellm.matchedModelName(provider: "openai", model: "codex-1") == nil)
        let codex = try #require(prices(builtIn, "codex-1", input: 0, on: day))
        #expect(codex.input == (try PriceTestSupport.usd("2.5")))
        #expect(codex.output == (try PriceTestSupport.usd("10")))
    }

    @Test("every OpenAI and Anthropic name of the pinned file the built-in table matches gets the file's price")
    func datedSnapshotsMatchPinnedFile() throws {
        let litellm = try PublishedLiteLLM.table()
        let day = try PriceTestSupport.day("2026-12-06")
        var matched: [String] = []
        for (name, entry) in try Self.fileEntries() where ["openai", "anthropic"].contains(entry.provider ?? "") {
            guard builtIn.matchedModelName(provider: entry.provider, model: name) != nil else { continue }
            matched.append(name)
            for input in Self.inputSizes {
                #expect(
                    builtIn.price(provider: entry.provider, model: name, serviceTier: nil, inputTokens: input, on: day)?
                        .price == prices(litellm, name, input: input, on: day),
                    "\(name) above \(input) input tokens"
                )
            }
        }
        // Dated snapshots in both forms are among them.
        for name in ["gpt-4.1-2025-04-14", "gpt-4o-2024-05-13", "o3-2025-04-16", "claude-haiku-4-5-20251001"] {
            #expect(matched.contains(name), "\(name)")
        }
        #expect(matched.count > builtIn.count)
    }

    @Test("every Claude Opus, Sonnet and Haiku model Anthropic lists in the pinned file has a built-in price")
    func everyClaudeGeneration() throws {
        let day = try PriceTestSupport.day("2026-12-06")
        var claude = 0
        for (name, entry) in try Self.fileEntries()
        where entry.provider == "anthropic" && entry.mode == "chat"
            && ["claude-opus-", "claude-sonnet-", "claude-haiku-"].contains(where: name.hasPrefix)
        {
            let price = builtIn.price(provider: "anthropic", model: name, serviceTier: nil, on: day)?.price
            #expect(price?.cachedInput != nil, "\(name) has a cache-read price")
            #expect(price?.cacheWrite != nil, "\(name) has a 5-minute cache-write price")
            #expect(price?.cacheWrite1h != nil, "\(name) has a 1-hour cache-write price")
            claude += 1
        }
        #expect(claude >= 12)
    }

    @Test("the OpenAI families a user meets today are priced: GPT-4.1, GPT-4o, o1, o3, o4-mini, codex-1, GPT-5")
    func openAIFamilies() throws {
        let day = try PriceTestSupport.day("2026-12-06")
        for model in [
            "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o1", "o3", "o4-mini", "codex-1",
            "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5.1", "gpt-5.2", "gpt-5.4", "gpt-5.5", "gpt-6-sol",
        ] {
            let price = builtIn.price(provider: "openai", model: model, serviceTier: nil, on: day)
            #expect(price?.price.input != nil, "\(model)")
            #expect(price?.price.output != nil, "\(model)")
            #expect(price?.source == PriceTable.builtInSource)
        }
    }

    @Test("a mini or nano model takes its own price, never its parent's")
    func neverByPrefix() throws {
        let day = try PriceTestSupport.day("2026-12-06")
        let usage = TokenUsage(input: 1_000_000, output: 1_000_000)
        func cost(_ model: String) -> Money? {
            builtIn.quote(provider: "openai", model: model, serviceTier: nil, usage: usage, on: day)?.cost
        }
        // Input + output per million, as LiteLLM 1.110.2 lists them.
        #expect(cost("gpt-4.1") == (try PriceTestSupport.usd("10")))
        #expect(cost("gpt-4.1-mini") == (try PriceTestSupport.usd("2")))
        #expect(cost("gpt-4.1-nano") == (try PriceTestSupport.usd("0.5")))
        #expect(cost("gpt-4.1-mini-2025-04-14") == (try PriceTestSupport.usd("2")))
        // gpt-4o's first snapshot cost more than gpt-4o does now: it is priced by its own name.
        #expect(cost("gpt-4o-2024-05-13") == (try PriceTestSupport.usd("20")))
        #expect(cost("gpt-4o-2024-08-06") == (try PriceTestSupport.usd("12.5")))
    }

    @Test(
        "Anthropic ids: dated -YYYYMMDD, anthropic/ prefixed, or both, take the model's price with cache reads and writes",
        arguments: [
            ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-sonnet-4-5-20250929"),
            ("anthropic", "anthropic/claude-sonnet-4-5"), (nil, "anthropic/claude-sonnet-4-5-20250929"),
            (nil, "claude-sonnet-4-5"), ("openrouter", "anthropic/claude-sonnet-4-5"),
        ] as [(String?, String)]
    )
    func anthropicIds(provider: String?, model: String) throws {
        let usage = TokenUsage(
            input: 100_000,
            output: 1000,
            cachedInput: 30_000,
            cacheWrite: 20_000,
            cacheWrite1h: 10_000
        )
        let quote = try #require(
            builtIn.quote(
                provider: provider,
                model: model,
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2026-12-06")
            )
        )
        // 40k × 3.00 + 30k × 0.30 + 20k × 3.75 + 10k × 6.00 + 1k × 15.00, per million.
        #expect(quote.cost == (try PriceTestSupport.usd("0.279")))
        #expect(quote.cachedTokensAtInputPrice == 0)
        #expect(quote.priceSource == PriceTable.builtInSource)
        #expect(builtIn.matchedModelName(provider: provider, model: model) == "claude-sonnet-4-5")
    }

    @Test("Claude Haiku 4.5 by its dated id: claude-haiku-4-5-20251001")
    func haikuDated() throws {
        let usage = TokenUsage(input: 1_000_000, output: 1_000_000, cachedInput: 500_000, cacheWrite1h: 100_000)
        let quote = builtIn.quote(
            provider: "anthropic",
            model: "claude-haiku-4-5-20251001",
            serviceTier: "standard",
            usage: usage,
            on: try PriceTestSupport.day("2026-12-06")
        )
        // 0.4M × 1.00 + 0.5M × 0.10 + 0.1M × 2.00 + 1M × 5.00
        #expect(quote?.cost == (try PriceTestSupport.usd("5.65")))
        #expect(
            builtIn.matchedModelName(provider: "anthropic", model: "claude-haiku-4-5-20251001") == "claude-haiku-4-5"
        )
    }

    @Test("long-context prices apply above the threshold, to the whole call")
    func longContext() throws {
        let day = try PriceTestSupport.day("2026-12-06")
        func cost(_ model: String, _ input: Int64) -> Money? {
            builtIn.quote(
                provider: nil,
                model: model,
                serviceTier: nil,
                usage: TokenUsage(input: input, output: 0),
                on: day
            )?.cost
        }
        // gpt-5.4: 2.50 per million up to 272k input tokens, 5.00 above.
        #expect(cost("gpt-5.4", 272_000) == (try PriceTestSupport.usd("0.68")))
        #expect(cost("gpt-5.4", 272_001) == (try PriceTestSupport.usd("1.360005")))
        // claude-haiku-5-5: 0.10 per million up to 100k, 0.50 above.
        #expect(cost("claude-haiku-5-5", 100_000) == (try PriceTestSupport.usd("0.01")))
        #expect(cost("claude-haiku-5-5", 100_001) == (try PriceTestSupport.usd("0.0500005")))
    }

    @Test(
        "a model the table does not list stays unpriced, whatever it resembles",
        arguments: [
            "claude-3-opus-20240229", "claude-opus-4", "claude-sonnet-4-20250514", "claude-sonnet", "gpt-4.1-turbo",
            "gpt-5.4-mini-high", "o3-deep-research", "anthropic/claude-opus", "claude-sonnet-latest",
        ]
    )
    func unknownStaysUnpriced(model: String) throws {
        let usage = TokenUsage(input: 10, output: 10)
        let day = try PriceTestSupport.day("2026-12-06")
        #expect(builtIn.quote(provider: "anthropic", model: model, serviceTier: nil, usage: usage, on: day) == nil)
        #expect(builtIn.quote(provider: "openai", model: model, serviceTier: nil, usage: usage, on: day) == nil)
        #expect(builtIn.matchedModelName(provider: "anthropic", model: model) == nil)
    }

    @Test("batch, flex and priority calls are unpriced by the built-in table")
    func otherTiersUnpriced() throws {
        let usage = TokenUsage(input: 10, output: 10)
        let day = try PriceTestSupport.day("2026-12-06")
        for tier in ["batch", "flex", "priority"] {
            #expect(builtIn.quote(provider: "openai", model: "gpt-5", serviceTier: tier, usage: usage, on: day) == nil)
            #expect(
                builtIn.quote(provider: "anthropic", model: "claude-opus-4-7", serviceTier: tier, usage: usage, on: day)
                    == nil
            )
        }
    }
}
