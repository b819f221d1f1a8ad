import Attribution
import CostLedger
import Testing

@Suite("Model-name matching: exact, date suffix, provider prefix, never by prefix")
struct ModelMatchingTests {
    static let table: PriceTable = {
        do {
            return try PriceTable(
                priceFileJSON: Array(
                    """
                    {"source": "t", "models": {
                      "gpt-4.1": [{"input": "2", "output": "8"}],
                      "gpt-4.1-2025-04-14": [{"input": "3", "output": "9"}],
                      "anthropic/claude-sonnet-4": [{"input": "3", "output": "15"}],
                      "mistral-large": [{"input": "4", "output": "12"}]
                    }}
                    """.utf8
                )
            )
        } catch {
            fatalError("fixture table: \(error)")
        }
    }()

    func price(_ provider: String?, _ model: String) throws -> Money? {
        Self.table.quote(
            provider: provider,
            model: model,
            serviceTier: nil,
            usage: TokenUsage(input: 1_000_000, output: 0),
            on: try PriceTestSupport.day("2025-07-01")
        )?.cost
    }

    @Test("an exact name wins over its undated form")
    func exact() throws {
        #expect(try price("openai", "gpt-4.1-2025-04-14") == (try PriceTestSupport.usd("3")))
        #expect(try price("openai", "gpt-4.1") == (try PriceTestSupport.usd("2")))
    }

    @Test("a trailing -YYYY-MM-DD is removed when the dated name has no price")
    func dateSuffix() throws {
        #expect(try price("openai", "gpt-4.1-2025-05-01") == (try PriceTestSupport.usd("2")))
        #expect(Self.table.matchedModelName(provider: "openai", model: "gpt-4.1-2025-05-01") == "gpt-4.1")
        #expect(try price("mistral", "mistral-large-2024-02-29") == (try PriceTestSupport.usd("4")))
    }

    @Test("a trailing -YYYYMMDD (Anthropic's form) is removed when the dated name has no price")
    func compactDateSuffix() throws {
        #expect(try price("openai", "gpt-4.1-20250414") == (try PriceTestSupport.usd("2")))
        #expect(Self.table.matchedModelName(provider: "openai", model: "gpt-4.1-20250414") == "gpt-4.1")
        #expect(try price("mistral", "mistral-large-20240229") == (try PriceTestSupport.usd("4")))
        #expect(try price("anthropic", "claude-sonnet-4-20250514") == (try PriceTestSupport.usd("3")))
        #expect(
            Self.table.matchedModelName(provider: "anthropic", model: "claude-sonnet-4-20250514")
                == "anthropic/claude-sonnet-4"
        )
    }

    @Test(
        "a suffix that is not a real date, or in neither -YYYY-MM-DD nor -YYYYMMDD form, is not removed",
        arguments: [
            "gpt-4.1-2025-13-01", "gpt-4.1-2025-02-30", "gpt-4.1-2025-4-14", "gpt-4.1-2025-04-1x",
            "mistral-large-2023-02-29", "gpt-4.1-20251301", "gpt-4.1-20250230", "gpt-4.1-2025041", "gpt-4.1-202504140",
            "gpt-4.1-0414", "gpt-4.120250414", "mistral-large-20230229",
        ]
    )
    func notADate(model: String) throws {
        #expect(try price(nil, model) == nil)
    }

    @Test("a provider/ prefix is added from the record's provider, with or without a date suffix")
    func prefixAdded() throws {
        #expect(try price("anthropic", "claude-sonnet-4") == (try PriceTestSupport.usd("3")))
        #expect(try price("anthropic", "claude-sonnet-4-2025-05-14") == (try PriceTestSupport.usd("3")))
        #expect(
            Self.table.matchedModelName(provider: "anthropic", model: "claude-sonnet-4") == "anthropic/claude-sonnet-4"
        )
        #expect(try price(nil, "claude-sonnet-4") == nil)
        #expect(try price("openai", "claude-sonnet-4") == nil)
    }

    @Test("a provider/ prefix is removed when the prefixed name has no price")
    func prefixRemoved() throws {
        #expect(try price(nil, "openai/gpt-4.1") == (try PriceTestSupport.usd("2")))
        #expect(try price("openrouter", "openai/gpt-4.1-2025-06-30") == (try PriceTestSupport.usd("2")))
        #expect(try price("azure", "azure/mistral-large") == (try PriceTestSupport.usd("4")))
    }

    @Test(
        "never by prefix: a longer or shorter name never takes another model's price",
        arguments: [
            "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4", "gpt-4.1-", "gpt-4.10", "mistral-large-latest",
            "claude-sonnet-4-5",
            "anthropic/claude-sonnet", "gpt-4.1-mini-2025-04-14", "gpt-4.1-mini-20250414", "claude-sonnet-4-5-20250929",
        ]
    )
    func neverByPrefix(model: String) throws {
        #expect(try price("openai", model) == nil)
        #expect(try price("anthropic", model) == nil)
    }

    @Test("resolving the same name many times gives the same answer (the resolution cache is transparent)")
    func cacheIsTransparent() throws {
        for _ in 0..<3 {
            #expect(try price("openai", "gpt-4.1-2025-05-01") == (try PriceTestSupport.usd("2")))
            #expect(try price("openai", "gpt-4.1-mini") == nil)
        }
    }
}
