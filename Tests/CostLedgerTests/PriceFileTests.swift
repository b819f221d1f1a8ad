import Attribution
import CostLedger
import Foundation
import Testing

@Suite("The project's own JSON price file")
struct PriceFileTests {
    static let example = """
        {
          "source": "acme-prices-2025-08",
          "description": "Negotiated prices; see docs/prices.md",
          "models": {
            "openai/gpt-4.1": [
              {"effective_from": "2025-04-14", "tier": "default", "input": "2.00", "output": "8.00", "cached_input": "0.50"},
              {"effective_from": "2025-04-14", "tier": "batch", "input": 1.00, "output": 4.00},
              {"effective_from": "2025-09-01", "tier": "default", "input": "1.50", "output": "6.00", "cached_input": 0.375}
            ],
            "anthropic/claude-sonnet-4": [
              {"input": "3", "output": "15", "cached_input": "0.30", "cache_write": "3.75", "cache_write_1h": "6"},
              {"above_input_tokens": 200000, "input": "6", "output": "22.50", "cached_input": "0.60",
               "cache_write": "7.50", "cache_write_1h": "12"}
            ],
            "tiny": [{"input": "0.000001", "output": 1e-3}]
          }
        }
        """

    let table: PriceTable

    init() throws {
        table = try PriceTable(priceFileJSON: Array(Self.example.utf8))
    }

    func cost(
        _ provider: String?,
        _ model: String,
        tier: String? = nil,
        _ usage: TokenUsage,
        on date: String
    ) throws -> Money? {
        table.quote(
            provider: provider,
            model: model,
            serviceTier: tier,
            usage: usage,
            on: try PriceTestSupport.day(date)
        )?.cost
    }

    @Test("prices given as strings and as JSON numbers are read exactly, per million tokens")
    func stringsAndNumbers() throws {
        #expect(table.source == "acme-prices-2025-08")
        let usage = TokenUsage(input: 1_000_000, output: 1_000_000, cachedInput: 1_000_000)
        #expect(try cost("openai", "gpt-4.1", usage, on: "2025-05-01") == (try PriceTestSupport.usd("8.5")))
        #expect(
            try cost("openai", "gpt-4.1", tier: "batch", usage, on: "2025-05-01") == (try PriceTestSupport.usd("5"))
        )
        #expect(try cost("openai", "gpt-4.1", usage, on: "2025-09-01") == (try PriceTestSupport.usd("6.375")))
        // Per-token amounts far below a cent stay exact.
        #expect(
            try cost(nil, "tiny", TokenUsage(input: 1, output: 1), on: "2020-01-01")
                == (try PriceTestSupport.usd("0.000000001001"))
        )
        let shown = try #require(
            table.price(
                provider: "openai",
                model: "gpt-4.1",
                serviceTier: nil,
                on: try PriceTestSupport.day("2025-09-01")
            )
        )
        #expect(shown.price.cachedInput == (try PriceTestSupport.usd("0.375")))
        #expect(shown.price.cacheWrite == nil)
        #expect(shown.source == "acme-prices-2025-08")
    }

    @Test("each tier keeps its own dates: a new default price does not move the batch price")
    func perTierDates() throws {
        let usage = TokenUsage(input: 1_000_000, output: 0)
        #expect(
            try cost("openai", "gpt-4.1", tier: "batch", usage, on: "2025-10-01") == (try PriceTestSupport.usd("1"))
        )
        #expect(try cost("openai", "gpt-4.1", usage, on: "2025-04-13") == nil)
    }

    @Test("above_input_tokens gives a long-context price for the same tier and date")
    func longContext() throws {
        let usage = TokenUsage(input: 300_000, output: 0, cacheWrite1h: 100_000)
        // 200k × 6 + 100k × 12, per million
        #expect(try cost("anthropic", "claude-sonnet-4", usage, on: "2025-07-01") == (try PriceTestSupport.usd("2.4")))
        let small = TokenUsage(input: 150_000, output: 0, cacheWrite1h: 50_000)
        #expect(try cost("anthropic", "claude-sonnet-4", small, on: "2025-07-01") == (try PriceTestSupport.usd("0.6")))
    }

    @Test("a file without a source is named price-file; a caller may name it")
    func sourceNames() throws {
        let json = Array(#"{"models": {"m": [{"input": "1", "output": "2"}]}}"#.utf8)
        #expect(try PriceTable(priceFileJSON: json).source == "price-file")
        #expect(try PriceTable(priceFileJSON: json, source: "mine").source == "mine")
    }

    @Test("contentsOfFile recognises the project's format by its top-level models object")
    func recognisesFormat() throws {
        let path = NSTemporaryDirectory() + "prices-\(UInt64.random(in: 0...UInt64.max)).json"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Self.example.utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try PriceTable(contentsOfFile: path)
        #expect(loaded.source == "acme-prices-2025-08")
        #expect(loaded.modelNames == ["anthropic/claude-sonnet-4", "openai/gpt-4.1", "tiny"])
    }

    @Test("effectiveFrom dates the prices that carry no effective_from of their own")
    func effectiveFromDefault() throws {
        let json = Array(
            #"{"models": {"m": [{"input": "1", "output": "2"}, {"effective_from": "2025-01-01", "tier": "batch", "input": "1", "output": "1"}]}}"#
                .utf8
        )
        let dated = try PriceTable(priceFileJSON: json, effectiveFrom: try PriceTestSupport.day("2025-03-01"))
        let usage = TokenUsage(input: 1, output: 1)
        #expect(
            dated.quote(
                provider: nil,
                model: "m",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-02-28")
            ) == nil
        )
        #expect(
            dated.quote(
                provider: nil,
                model: "m",
                serviceTier: nil,
                usage: usage,
                on: try PriceTestSupport.day("2025-03-01")
            ) != nil
        )
        #expect(
            dated.quote(
                provider: nil,
                model: "m",
                serviceTier: "batch",
                usage: usage,
                on: try PriceTestSupport.day("2025-01-01")
            ) != nil
        )
    }

    @Test("the example in docs/prices.md loads and prices as the document says")
    func documentedExample() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/prices.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let start = try #require(text.range(of: "```json\n"))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let table = try PriceTable(priceFileJSON: Array(text[start.upperBound..<end.lowerBound].utf8))
        #expect(table.source == "acme-prices-2025-08")
        let usage = TokenUsage(input: 1_000_000, output: 1_000_000)
        let date = try PriceTestSupport.day("2025-06-09")
        #expect(
            table.quote(provider: "openai", model: "o3", serviceTier: nil, usage: usage, on: date)?.cost
                == (try PriceTestSupport.usd("50"))
        )
        #expect(
            table.quote(provider: "openai", model: "gpt-4.1", serviceTier: "priority", usage: usage, on: date)?.cost
                == (try PriceTestSupport.usd("17.5"))
        )
        #expect(
            table.quote(provider: "self-hosted", model: "llama-3.1-70b", serviceTier: "flex", usage: usage, on: date)?
                .cost
                == (try PriceTestSupport.usd("0.4"))
        )
    }

    @Test("the project's own file stays strict: a price finer than 10⁻¹⁸ USD per token is refused, not rounded")
    func inexactRefused() throws {
        // 0.40000000000000003 per million is 4.0000000000000003e-07 per token: LiteLLM's file would round it.
        for text in [#""0.40000000000000003""#, "0.40000000000000003", "4.0000000000000003e-01"] {
            let error = try #require(throws: CostLedgerError.self) {
                try PriceTable(priceFileJSON: Array(#"{"models": {"m": [{"input": \#(text), "output": "1"}]}}"#.utf8))
            }
            #expect(error.code == .invalidPriceFile)
            #expect(error.field == "models.m[0].input")
            #expect(error.reason.contains(text.replacingOccurrences(of: "\"", with: "")), "\(error)")
        }
    }

    @Test(
        "malformed price files are refused with an error naming the model and field",
        arguments: [
            (#"{"models": {"m": [{"input": "1.2.3", "output": "1"}]}}"#, "models.m[0].input"),
            (#"{"models": {"m": [{"input": "-1", "output": "1"}]}}"#, "models.m[0].input"),
            (#"{"models": {"m": [{"input": "1", "output": "0.0000000000001"}]}}"#, "models.m[0].output"),
            (#"{"models": {"m": [{"input": "1", "output": "2000000.01"}]}}"#, "models.m[0].output"),
            (#"{"models": {"m": [{"input": null, "output": "1"}]}}"#, "models.m[0].input"),
            (#"{"models": {"m": [{"input": "1"}]}}"#, "models.m[0].output"),
            (#"{"models": {"m": [{"input": "1", "output": "1", "cached": "1"}]}}"#, "models.m[0].cached"),
            (
                #"{"models": {"m": [{"input": "1", "output": "1", "effective_from": "2025-02-30"}]}}"#,
                "models.m[0].effective_from"
            ),
            (
                #"{"models": {"m": [{"input": "1", "output": "1", "effective_from": "2025-02-03T00:00:00Z"}]}}"#,
                "models.m[0].effective_from"
            ),
            (#"{"models": {"m": [{"input": "1", "output": "1", "tier": "Batch"}]}}"#, "models.m[0].tier"),
            (
                #"{"models": {"m": [{"input": "1", "output": "1", "above_input_tokens": 0}]}}"#,
                "models.m[0].above_input_tokens"
            ),
            (#"{"models": {"m": [{"input": "1", "output": "1"}, {"input": "2", "output": "2"}]}}"#, "models.m[1]"),
            (#"{"models": {"m": []}}"#, "models.m"),
            (#"{"models": {"m": {"input": "1", "output": "1"}}}"#, "models.m"),
            (#"{"models": {"": [{"input": "1", "output": "1"}]}}"#, "models"),
            (#"{"models": {"m": [{"input": "1", "output": "1"}]}, "extra": 1}"#, "extra"),
            (#"{"source": "", "models": {}}"#, "source"),
            (#"{"source": "x"}"#, "models"),
            (#"{"models": {"m": [{"input": "1", "output": "1", "input": "2"}]}}"#, "models.m.[0].input"),
            (#"["models"]"#, "price file"),
        ]
    )
    func malformed(json: String, field: String) throws {
        let error = try #require(throws: CostLedgerError.self) {
            try PriceTable(priceFileJSON: Array(json.utf8))
        }
        #expect(error.code == .invalidPriceFile)
        #expect(error.field == field, "\(error)")
    }
}
