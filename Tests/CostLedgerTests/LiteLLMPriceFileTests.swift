import Attribution
import CostLedger
import Foundation
import Testing

extension PriceTestSupport {
    /// The path of a file in `Tests/CostLedgerTests/Fixtures`.
    static func fixturePath(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
            .appendingPathComponent(name).path
    }
}

@Suite("LiteLLM's model_prices_and_context_window.json, loaded as published")
struct LiteLLMPriceFileTests {
    let table: PriceTable

    init() throws {
        table = try PriceTable(contentsOfFile: PriceTestSupport.fixturePath("litellm_prices.json"))
    }

    func cost(
        _ provider: String?,
        _ model: String,
        tier: String? = nil,
        _ usage: TokenUsage,
        on date: String = "2025-07-01"
    ) throws -> CostQuote? {
        table.quote(
            provider: provider,
            model: model,
            serviceTier: tier,
            usage: usage,
            on: try PriceTestSupport.day(date)
        )
    }

    @Test("the file is recognised by content; sample_spec and entries without token prices are skipped")
    func loads() {
        #expect(table.source == "litellm")
        #expect(!table.isBuiltIn)
        #expect(
            table.modelNames == [
                "azure/eu/gpt-4.1", "claude-sonnet-4-20250514", "gpt-4.1", "gpt-4.1-2025-04-14", "gpt-4.1-mini", "o3",
                "text-embedding-3-small", "vertex_ai/gemini-2.5-pro",
            ]
        )
    }

    @Test("default, batch and priority prices of gpt-4.1 come from the base, _batches and _priority fields")
    func openAITiers() throws {
        let usage = TokenUsage(input: 1_000_000, output: 1_000_000, cachedInput: 500_000)
        let standard = try #require(try cost("openai", "gpt-4.1", usage))
        #expect(standard.cost == (try PriceTestSupport.usd("9.25")))
        #expect(standard.priceSource == "litellm")
        let priority = try #require(try cost("openai", "gpt-4.1", tier: "priority", usage))
        #expect(priority.cost == (try PriceTestSupport.usd("16.1875")))
        #expect(priority.cachedTokensAtInputPrice == 0)
        // No cache_read_input_token_cost_batches: cached batch tokens at the batch input price, counted.
        let batch = try #require(try cost("openai", "gpt-4.1", tier: "batch", usage))
        #expect(batch.cost == (try PriceTestSupport.usd("5")))
        #expect(batch.cachedTokensAtInputPrice == 500_000)
        // gpt-4.1 has no _flex prices: a flex call is unpriced rather than charged the default price.
        #expect(try cost("openai", "gpt-4.1", tier: "flex", usage) == nil)
    }

    @Test("o3's _flex prices price flex calls")
    func flex() throws {
        let usage = TokenUsage(input: 1_000_000, output: 1_000_000, cachedInput: 200_000)
        // 0.8M × 1.00 + 0.2M × 0.25 + 1M × 4.00
        #expect(try cost("openai", "o3", tier: "flex", usage)?.cost == (try PriceTestSupport.usd("4.85")))
    }

    @Test("Anthropic cache writes: 5-minute and 1-hour (cache_creation_input_token_cost_above_1hr) prices")
    func anthropicCacheWrites() throws {
        let usage = TokenUsage(
            input: 100_000,
            output: 1000,
            cachedInput: 30_000,
            cacheWrite: 20_000,
            cacheWrite1h: 10_000
        )
        // 40k × 3e-6 + 30k × 3e-7 + 20k × 3.75e-6 + 10k × 6e-6 + 1k × 1.5e-5
        let quote = try #require(try cost("anthropic", "claude-sonnet-4-20250514", usage))
        #expect(quote.cost == (try PriceTestSupport.usd("0.279")))
        #expect(try cost("anthropic", "claude-sonnet-4-20250514", tier: "batch", usage) == nil)
    }

    @Test("above a long-context threshold every class is priced at its _above_200k_tokens rate")
    func longContext() throws {
        let usage = TokenUsage(
            input: 250_000,
            output: 1000,
            cachedInput: 30_000,
            cacheWrite: 20_000,
            cacheWrite1h: 10_000
        )
        // 190k × 6e-6 + 30k × 6e-7 + 20k × 7.5e-6 + 10k × 1.2e-5 + 1k × 2.25e-5
        #expect(try cost("anthropic", "claude-sonnet-4-20250514", usage)?.cost == (try PriceTestSupport.usd("1.4505")))
        #expect(
            try cost("anthropic", "claude-sonnet-4-20250514", TokenUsage(input: 200_000, output: 0))?.cost
                == (try PriceTestSupport.usd("0.6"))
        )
        #expect(
            try cost("anthropic", "claude-sonnet-4-20250514", TokenUsage(input: 200_001, output: 0))?.cost
                == (try PriceTestSupport.usd("1.200006"))
        )
    }

    @Test("a tier without a long-context price is unpriced above the threshold, priced below it")
    func tierWithoutLongContext() throws {
        let small = TokenUsage(input: 100_000, output: 0)
        #expect(
            try cost("vertex_ai", "gemini-2.5-pro", tier: "batch", small)?.cost == (try PriceTestSupport.usd("0.0625"))
        )
        let large = TokenUsage(input: 300_000, output: 0)
        #expect(try cost("vertex_ai", "gemini-2.5-pro", tier: "batch", large) == nil)
        #expect(try cost("vertex_ai", "gemini-2.5-pro", large)?.cost == (try PriceTestSupport.usd("0.75")))
    }

    @Test("an embedding model is kept as far as its token prices go")
    func embedding() throws {
        #expect(
            try cost("openai", "text-embedding-3-small", TokenUsage(input: 1_000_000, output: 0))?.cost
                == (try PriceTestSupport.usd("0.02"))
        )
    }

    @Test("without --prices-effective-from the file's prices apply to every day, the past included")
    func undated() throws {
        let usage = TokenUsage(input: 1_000_000, output: 0)
        #expect(try cost("openai", "o3", usage, on: "2024-01-01")?.cost == (try PriceTestSupport.usd("2")))
        let merged = PriceTable.builtIn.overlaying(table)
        let early = try #require(
            merged.quote(
                provider: "openai",
                model: "o3",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-01-01")
            )
        )
        #expect(early.cost == (try PriceTestSupport.usd("2")))
        #expect(early.priceSource == "litellm")
    }

    @Test("--prices-effective-from DATE: the file prices calls from that UTC day on, the base table before it")
    func effectiveFrom() throws {
        let dated = try PriceTable(
            contentsOfFile: PriceTestSupport.fixturePath("litellm_prices.json"),
            effectiveFrom: try PriceTestSupport.day("2025-08-01")
        )
        let usage = TokenUsage(input: 1_000_000, output: 0)
        let july31 = try PriceTestSupport.day("2025-07-31")
        let august1 = try UTCTimestamp(rfc3339: "2025-08-01T00:00:00Z")
        #expect(
            dated.quote(provider: "openai", model: "gpt-4.1-mini", serviceTier: nil, usage: usage, on: july31) == nil
        )
        #expect(
            dated.quote(provider: "openai", model: "gpt-4.1-mini", serviceTier: nil, usage: usage, on: august1)?.cost
                == (try PriceTestSupport.usd("0.4"))
        )

        let merged = PriceTable.builtIn.overlaying(dated)
        let before = try #require(
            merged.quote(
                provider: "openai",
                model: "o3",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-06-01")
            )
        )
        #expect(before.cost == (try PriceTestSupport.usd("10")))
        #expect(before.priceSource == PriceTable.builtInSource)
        let after = try #require(
            merged.quote(provider: "openai", model: "o3", serviceTier: nil, usage: usage, on: august1)
        )
        #expect(after.priceSource == "litellm")
        // Tiers the built-in table never priced stay unpriced before the date.
        #expect(merged.quote(provider: "openai", model: "o3", serviceTier: "flex", usage: usage, on: july31) == nil)
        #expect(merged.quote(provider: "openai", model: "o3", serviceTier: "flex", usage: usage, on: august1) != nil)
    }

    @Test(
        "malformed LiteLLM files are refused with an error naming the model and field",
        arguments: [
            (#"{"gpt-x": {"input_cost_per_token": "abc"}}"#, "gpt-x.input_cost_per_token"),
            (#"{"gpt-x": {"output_cost_per_token": -1e-06}}"#, "gpt-x.output_cost_per_token"),
            (
                #"{"gpt-x": {"cache_read_input_token_cost": 1.1999999999999999e-06}}"#,
                "gpt-x.cache_read_input_token_cost"
            ),
            (#"{"gpt-x": {"input_cost_per_token_priority": true}}"#, "gpt-x.input_cost_per_token_priority"),
            (#"{"gpt-x": {"input_cost_per_token": 2}}"#, "gpt-x.input_cost_per_token"),
            (#"{"gpt-x": 5}"#, "gpt-x"),
            (#"{"gpt-x": {"input_cost_per_token": 1e-06}, "gpt-x": {}}"#, "gpt-x"),
            (#"{"gpt-x": {"input_cost_per_token": 1e-06,}}"#, "gpt-x"),
            (#"[1, 2]"#, "price file"),
        ]
    )
    func malformed(json: String, field: String) throws {
        let error = try #require(throws: CostLedgerError.self) {
            try PriceTable(litellmJSON: Array(json.utf8))
        }
        #expect(error.code == .invalidPriceFile)
        #expect(error.field == field)
    }

    @Test("a file above the size limit is refused before it is parsed")
    func sizeLimit() throws {
        let path = NSTemporaryDirectory() + "huge-prices-\(UInt64.random(in: 0...UInt64.max)).json"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(PriceTable.maximumFileBytes + 1))
        try handle.close()
        let error = try #require(throws: CostLedgerError.self) { try PriceTable(contentsOfFile: path) }
        #expect(error.code == .invalidPriceFile)
        #expect(error.reason.contains("\(PriceTable.maximumFileBytes)"))
    }

    @Test("a missing file is an I/O error naming the path")
    func missingFile() throws {
        let error = try #require(throws: CostLedgerError.self) {
            try PriceTable(contentsOfFile: "/nonexistent/prices.json")
        }
        #expect(error.code == .io)
        #expect(error.field == "/nonexistent/prices.json")
    }
}
