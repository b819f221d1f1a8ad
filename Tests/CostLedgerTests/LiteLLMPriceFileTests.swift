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
            (#"{"gpt-x": {"input_cost_per_token_priority": true}}"#, "gpt-x.input_cost_per_token_priority"),
            (#"{"gpt-x": {"input_cost_per_token": 2}}"#, "gpt-x.input_cost_per_token"),
            (#"{"gpt-x": 5}"#, "price file"),
            (#"{}"#, "price file"),
            (
                #"{"sample_spec": {"input_cost_per_token": 0.0}, "tts": {"input_cost_per_character": 1.5e-05}}"#,
                "price file"
            ),
            (
                #"{"q": {"tiered_pricing": [{"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}]}}"#,
                "q.tiered_pricing[0].range"
            ),
            (
                #"{"q": {"tiered_pricing": [{"range": [0, 1.5], "input_cost_per_token": 1e-06}]}}"#,
                "q.tiered_pricing[0].range"
            ),
            (
                #"{"q": {"tiered_pricing": [{"range": [0, 10], "input_cost_per_token": "x"}]}}"#,
                "q.tiered_pricing[0].input_cost_per_token"
            ),
            (#"{"q": {"tiered_pricing": 5}}"#, "q.tiered_pricing"),
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

    func perToken(_ json: String, _ model: String = "m") throws -> Int128? {
        let table = try PriceTable(litellmJSON: Array(json.utf8))
        let price = table.price(
            provider: nil,
            model: model,
            serviceTier: nil,
            on: try PriceTestSupport.day("2026-01-01")
        )
        return price?.price.input.map { $0.attodollars / 1_000_000 }
    }

    @Test(
        "a price written as a float's shortest decimal is read as the nearest attodollar per token, ties to even",
        arguments: [
            ("4.0000000000000003e-07", 400_000_000_000),
            ("4.0000000000000003E-7", 400_000_000_000),
            ("0.0000029999900000000002", 2_999_990_000_000),
            ("2.9999900000000002e-06", 2_999_990_000_000),
            ("9.499999999999999e-07", 950_000_000_000),
            ("1.142857142857143e-07", 114_285_714_286),
            ("3.2857142857142855e-08", 32_857_142_857),
            // Ties: 10⁻⁶ is 10¹² attodollars, so the 13th decimal of the mantissa is half an attodollar.
            ("1.0000000000015e-06", 1_000_000_000_002),
            ("1.0000000000025e-06", 1_000_000_000_002),
            ("1.00000000000250001e-06", 1_000_000_000_003),
            ("1.0000000000005e-06", 1_000_000_000_000),
            ("1.0000000000004999e-06", 1_000_000_000_000),
            ("1.0000000000000005e-06", 1_000_000_000_000),
            ("5e-19", 0),
            ("5.0000001e-19", 1),
            ("1.5e-18", 2),
            ("4e-20", 0),
            ("0.000001", 1_000_000_000_000),
            ("1", 1_000_000_000_000_000_000),
        ] as [(String, Int128)]
    )
    func floatNoise(text: String, attodollars: Int128) throws {
        #expect(try perToken(#"{"m": {"input_cost_per_token": \#(text)}}"#) == attodollars)
    }

    @Test("a price that rounds above $1 per token, or is negative, is still refused with its field and value")
    func roundedStillChecked() throws {
        for (text, reason) in [("1.0000000000000000006", "above $1"), ("-1e-07", "negative")] {
            let error = try #require(throws: CostLedgerError.self) {
                try PriceTable(litellmJSON: Array(#"{"m": {"output_cost_per_token": \#(text)}}"#.utf8))
            }
            #expect(error.field == "m.output_cost_per_token")
            #expect(error.reason.contains(text), "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test("entries that are not token-priced models (notes, per-second, per-image entries) are skipped, not guessed")
    func skipsWhatIsNotTokenPriced() throws {
        let table = try PriceTable(
            litellmJSON: Array(
                #"""
                {"sample_spec": {"input_cost_per_token": 0.0, "search_context_cost_per_query": {"low": 0.0}},
                 "a-note": "not an entry",
                 "whisper-1": {"input_cost_per_second": 0.0001, "output_cost_per_second": 0.0001, "mode": "audio_transcription"},
                 "dall-e-3": {"output_cost_per_image": 0.04, "mode": "image_generation"},
                 "sora": {"output_cost_per_video_per_second": 0.1},
                 "chat-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "input_cost_per_second": 3}}
                """#.utf8
            )
        )
        #expect(table.modelNames == ["chat-model"])
        let day = try PriceTestSupport.day("2026-01-01")
        #expect(
            table.quote(
                provider: nil,
                model: "whisper-1",
                serviceTier: nil,
                usage: TokenUsage(input: 10, output: 0),
                on: day
            )
                == nil
        )
        #expect(
            table.quote(
                provider: nil,
                model: "chat-model",
                serviceTier: nil,
                usage: TokenUsage(input: 10, output: 5),
                on: day
            )?
            .cost == (try PriceTestSupport.usd("0.00002"))
        )
    }

    @Test("an entry that is an alias_of a priced entry takes its prices; an alias of nothing stays unpriced")
    func aliases() throws {
        let table = try PriceTable(
            litellmJSON: Array(
                #"""
                {"claude-x-latest": {"alias_of": "claude-x-2", "litellm_provider": "anthropic"},
                 "claude-x-2": {"input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05, "litellm_provider": "anthropic"},
                 "dangling-latest": {"alias_of": "nothing"},
                 "alias-of-alias": {"alias_of": "claude-x-latest"}}
                """#.utf8
            )
        )
        #expect(table.modelNames == ["claude-x-2", "claude-x-latest"])
        let usage = TokenUsage(input: 1_000_000, output: 100_000)
        let day = try PriceTestSupport.day("2026-01-01")
        #expect(
            table.quote(provider: "anthropic", model: "claude-x-latest", serviceTier: nil, usage: usage, on: day)?.cost
                == (try PriceTestSupport.usd("3"))
        )
    }

    @Test("tiered_pricing ranges price the whole call by the range its input falls in (start < input ≤ end)")
    func tieredPricing() throws {
        // As opencode_go/claude-haiku-5-5 in LiteLLM 1.110.2: flat prices and ranges; the ranges win.
        let table = try PriceTable(
            litellmJSON: Array(
                #"""
                {"q": {"input_cost_per_token": 1e-07, "output_cost_per_token": 5e-07,
                       "input_cost_per_token_batches": 5e-08, "output_cost_per_token_batches": 2.5e-07,
                       "tiered_pricing": [
                         {"range": [0, 32000.0], "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
                         {"range": [32000.0, 128000.0], "input_cost_per_token": 3e-06, "output_cost_per_token": 4e-06,
                          "cache_read_input_token_cost": 1e-07}]},
                 "search": {"tiered_pricing": [{"input_cost_per_query": 0.005, "max_results_range": [0, 25]}]}}
                """#.utf8
            )
        )
        #expect(table.modelNames == ["q"])
        func cost(_ usage: TokenUsage, tier: String? = nil) throws -> Money? {
            table.quote(
                provider: nil,
                model: "q",
                serviceTier: tier,
                usage: usage,
                on: try PriceTestSupport.day("2026-01-01")
            )?
            .cost
        }
        // 32,000 is the first range's end: first range. 32,001 is in the second, for every token.
        #expect(try cost(TokenUsage(input: 32_000, output: 1000)) == (try PriceTestSupport.usd("0.034")))
        #expect(try cost(TokenUsage(input: 32_001, output: 1000)) == (try PriceTestSupport.usd("0.100003")))
        // Above the last range's end, the last range applies (LiteLLM's rule).
        #expect(
            try cost(TokenUsage(input: 200_000, output: 0, cachedInput: 100_000)) == (try PriceTestSupport.usd("0.31"))
        )
        // The first range has no cached price: cached tokens at its input price, counted.
        let cached = try #require(
            table.quote(
                provider: nil,
                model: "q",
                serviceTier: nil,
                usage: TokenUsage(input: 1000, output: 0, cachedInput: 400),
                on: try PriceTestSupport.day("2026-01-01")
            )
        )
        #expect(cached.cost == (try PriceTestSupport.usd("0.001")))
        #expect(cached.cachedTokensAtInputPrice == 400)
        // The batch tier has flat prices only: priced up to the first range's start, unpriced above a range start.
        #expect(try cost(TokenUsage(input: 1000, output: 1000), tier: "batch") == (try PriceTestSupport.usd("0.0003")))
        #expect(try cost(TokenUsage(input: 40_000, output: 0), tier: "batch") == nil)
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
