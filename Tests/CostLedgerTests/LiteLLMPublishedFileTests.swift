import Attribution
import CostLedger
import Foundation
import Testing

/// LiteLLM's price file as shipped in the litellm 1.110.2 wheel, and the costs `expected_costs.py` computed for a
/// sample of it with Python's `decimal` (see `Fixtures/litellm-1.110.2/README.md`).
enum PublishedLiteLLM {
    static let version = "1.110.2"

    static var directory: String { PriceTestSupport.fixturePath("litellm-" + version) }
    static var pricePath: String { directory + "/model_prices_and_context_window_backup.json" }

    struct Expected: Decodable {
        var litellm_version: String
        var entries: Int
        var priced_models: [String]
        var samples: [Sample]
    }

    struct Sample: Decodable {
        var model: String
        var provider: String?
        var mix: String
        var tokens: [String: Int64]
        var cost_usd: String?
        var cached_tokens_at_input_price: Int64
    }

    static func expected() throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/expected_costs.json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    static func table() throws -> PriceTable { try PriceTable(contentsOfFile: pricePath) }
}

@Suite("LiteLLM's published price file (litellm 1.110.2), whole, against independently computed costs")
struct LiteLLMPublishedFileTests {
    @Test("the whole file loads; every entry with token prices is priced and the rest are skipped")
    func loadsWhole() throws {
        let expected = try PublishedLiteLLM.expected()
        #expect(expected.litellm_version == PublishedLiteLLM.version)
        let table = try PublishedLiteLLM.table()
        #expect(table.source == "litellm")
        #expect(table.count == expected.priced_models.count)
        #expect(table.modelNames == expected.priced_models)
        // The file has thousands of entries, some of which are not token-priced models.
        #expect(expected.entries > table.count)
        #expect(table.count > 3000)
    }

    @Test("every sampled entry is priced exactly as Python's decimal prices it, cache reads and writes included")
    func sampleMatchesDecimal() throws {
        let expected = try PublishedLiteLLM.expected()
        let table = try PublishedLiteLLM.table()
        let day = try PriceTestSupport.day("2026-12-06")
        var compared = 0
        var priced = 0
        var withCacheWrites = 0
        var withOneHourWrites = 0
        var models: Set<String> = []
        for sample in expected.samples {
            let tokens = sample.tokens
            let usage = TokenUsage(
                input: tokens["input", default: 0],
                output: tokens["output", default: 0],
                cachedInput: tokens["cached_input", default: 0],
                cacheWrite: tokens["cache_write", default: 0],
                cacheWrite1h: tokens["cache_write_1h", default: 0]
            )
            let quote = table.quote(
                provider: sample.provider,
                model: sample.model,
                serviceTier: nil,
                usage: usage,
                on: day
            )
            let want = try sample.cost_usd.map { try Money(decimal: $0) }
            #expect(quote?.cost == want, "\(sample.model) (\(sample.mix))")
            if want != nil {
                #expect(
                    quote?.cachedTokensAtInputPrice == sample.cached_tokens_at_input_price,
                    "\(sample.model) (\(sample.mix))"
                )
                priced += 1
                if usage.cacheWrite > 0 { withCacheWrites += 1 }
                if usage.cacheWrite1h > 0 { withOneHourWrites += 1 }
            }
            models.insert(sample.model)
            compared += 1
        }
        #expect(models.count >= 200)
        #expect(compared == expected.samples.count)
        #expect(priced > 2000)
        #expect(withCacheWrites > 100)
        #expect(withOneHourWrites > 50)
        // The sample covers the families users meet and entries whose prices carry float noise.
        for model in [
            "claude-haiku-4-5-20251001", "claude-sonnet-4-5", "claude-opus-4-7", "gpt-4.1", "gpt-4o-mini", "o3",
            "o4-mini", "gpt-5", "databricks/databricks-claude-sonnet-4-1", "novita/google/gemma-4-31b-it",
            "bigmodel/glm-5.3", "dashscope/qwen3-max", "claude-sonnet-latest",
        ] {
            #expect(models.contains(model), "\(model) is sampled")
        }
    }

    @Test("float noise in the published file is rounded to the nearest attodollar per token")
    func noisyEntries() throws {
        let table = try PublishedLiteLLM.table()
        let day = try PriceTestSupport.day("2026-12-06")
        // databricks/databricks-claude-sonnet-4-1: input_cost_per_token 2.9999900000000002e-06.
        let databricks = try #require(
            table.price(provider: nil, model: "databricks/databricks-claude-sonnet-4-1", serviceTier: nil, on: day)
        )
        #expect(databricks.price.input == (try PriceTestSupport.usd("2.99999")))
        // novita/google/gemma-4-31b-it: output_cost_per_token 4.0000000000000003e-07.
        let gemma = try #require(
            table.price(provider: nil, model: "novita/google/gemma-4-31b-it", serviceTier: nil, on: day)
        )
        #expect(gemma.price.output == (try PriceTestSupport.usd("0.4")))
    }
}
