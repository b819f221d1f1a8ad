import Attribution
import CostAudit
import CostLedger
import Testing

/// An OpenAI `/v1/organization/usage/completions` page for 2026-11-20 (start 1795132800) with the given results.
func openAIUsagePage(_ results: [String], start: Int = 1_795_132_800, hasMore: Bool = false) -> String {
    """
    {"object": "page", "data": [{"object": "bucket", "start_time": \(start), "end_time": \(start + 86_400),
    "results": [\(results.joined(separator: ","))]}], "has_more": \(hasMore), "next_page": null}
    """
}

func openAIUsageResult(key: String?, model: String?, input: Int, output: Int = 0, cached: Int = 0) -> String {
    """
    {"object": "organization.usage.completions.result", "input_tokens": \(input), "input_cached_tokens": \(cached),
    "output_tokens": \(output), "input_audio_tokens": 0, "output_audio_tokens": 0, "num_model_requests": 3,
    "project_id": null, "user_id": null, "api_key_id": \(key.map { "\"\($0)\"" } ?? "null"),
    "model": \(model.map { "\"\($0)\"" } ?? "null"), "batch": false}
    """
}

@Suite("Reconciliation with the providers' usage exports (SPEC section 6)")
struct ReconciliationTests {
    let keys = AuditKeyMap(owners: ["key_a": .init(team: "team-a", project: "proj-a")])

    @Test("spend on the bill with no record is key_allocated on a mapped key and unknown/unrecorded otherwise")
    func unrecordedSpend() throws {
        let usage = openAIUsagePage([
            openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_500_000),  // $3
            openAIUsageResult(key: "key_b", model: "gpt-4.1-2025-04-14", input: 500_000),  // $1
        ])
        let report = try audit(
            [call("r", key: "key_a", input: 500_000, fields: fullAttribution)],  // $1
            usage: [usage],
            keyMap: keys
        )
        #expect(classes(report) == ["1.000000000", "0.000000000", "0.000000000", "2.000000000", "1.000000000"])
        #expect(report[.unrecorded].formatted() == "1.000000000")
        #expect(report.totalUSD.formatted() == "4.000000000")
        #expect(report.pricedUsageUSD?.formatted() == "4.000000000")
        #expect(report.captureRate.formatted == "0.250000")
        #expect(report.overRecordedUSD == .zero)
        let sources = report.topUnknownSources.map { "\($0.dimension)=\($0.value):\($0.usd.formatted())" }
        #expect(sources == ["model=gpt-4.1:1.000000000", "api_key_id=key_b:1.000000000"])
    }

    @Test("a cell where the ledger holds more than the bill is over-recorded and never netted against another cell")
    func overRecorded() throws {
        let usage = openAIUsagePage([
            openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 500_000),  // $1
            openAIUsageResult(key: "key_b", model: "gpt-4.1", input: 1_500_000),  // $3
        ])
        let report = try audit(
            [
                call("a", key: "key_a", input: 1_000_000, fields: fullAttribution),  // $2 on a $1 cell
                call("b", key: "key_b", input: 500_000, fields: fullAttribution),  // $1 on a $3 cell
            ],
            usage: [usage]
        )
        #expect(report.overRecordedUSD.formatted() == "1.000000000")
        #expect(classes(report) == ["3.000000000", "0.000000000", "0.000000000", "0.000000000", "2.000000000"])
        #expect(report.totalUSD.formatted() == "4.000000000")
        #expect(report[.unrecorded].formatted() == "2.000000000")
    }

    @Test("records without an api key are netted last against the remaining gaps, keys in bytewise order")
    func keylessNettedLast() throws {
        let usage = openAIUsagePage([
            openAIUsageResult(key: "key_b", model: "gpt-4.1", input: 500_000),  // $1
            openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000),  // $2
        ])
        let report = try audit(
            [
                call("a", key: "key_a", input: 500_000, fields: fullAttribution),  // $1: gap key_a $1
                call("nokey", input: 750_000, fields: fullAttribution),  // $1.50: fills key_a, then $0.50 of key_b
            ],
            usage: [usage],
            keyMap: keys
        )
        #expect(classes(report) == ["2.500000000", "0.000000000", "0.000000000", "0.000000000", "0.500000000"])
        #expect(report.topUnknownSources.first { $0.dimension == "api_key_id" }?.value == "key_b")
        #expect(report.overRecordedUSD == .zero)
    }

    @Test("keyless spend beyond every gap of its day, provider and model is over-recorded")
    func keylessExcess() throws {
        let usage = openAIUsagePage([openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 500_000)])  // $1
        let report = try audit([call("nokey", input: 1_250_000, fields: fullAttribution)], usage: [usage])  // $2.50
        #expect(report.overRecordedUSD.formatted() == "1.500000000")
        #expect(report.totalUSD.formatted() == "1.000000000")
        #expect(classes(report) == ["2.500000000", "0.000000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.share(of: .direct).formatted == "1.000000")
    }

    @Test("days the usage does not cover are totalled from the ledger")
    func uncoveredDays() throws {
        let usage = openAIUsagePage([openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000)])  // $2
        let report = try audit(
            [
                call("day19", ts: "2026-11-19T12:00:00.000Z", key: "key_a", input: 250_000, fields: fullAttribution),
                call("day20", ts: "2026-11-20T12:00:00.000Z", key: "key_a", input: 1_000_000, fields: fullAttribution),
            ],
            usage: [usage]
        )
        #expect(report.totalUSD.formatted() == "2.500000000")
        #expect(classes(report) == ["2.500000000", "0.000000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.captureRate.formatted == "1.250000")
    }

    @Test("a page given twice is counted once; usage of an unpriced model counts its tokens")
    func usageDedupeAndUnpriced() throws {
        let page = openAIUsagePage([
            openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 500_000),
            openAIUsageResult(key: "key_a", model: "mystery", input: 700, output: 300),
        ])
        let report = try audit([], usage: [page, page])
        #expect(report.pricedUsageUSD?.formatted() == "1.000000000")
        #expect(report.unpricedUsageTokens == 1000)
        #expect(report.duplicateUsageRows == 2)
        #expect(report[.unrecorded].formatted() == "1.000000000")
        #expect(report.captureRate.formatted == "0.000000")
    }

    @Test("Anthropic usage reports, JSON Lines of pages, and both cost exports are read exactly")
    func anthropicAndCosts() throws {
        var prices = TestPrices()
        prices.prices["claude-sonnet-4"] = .init(input: usd("3.00"), output: usd("15.00"), cached: usd("0.30"))
        let anthropicUsage = [
            #"{"data": [{"starting_at": "2026-11-20T00:00:00Z", "ending_at": "2026-11-21T00:00:00Z", "results": [{"uncached_input_tokens": 200000, "cache_read_input_tokens": 1000000, "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}, "output_tokens": 20000, "server_tool_use": {"web_search_requests": 0}, "api_key_id": "apikey_01", "workspace_id": null, "model": "claude-sonnet-4", "service_tier": "standard", "context_window": "0-200k"}]}], "has_more": true, "next_page": "page_2"}"#,
            #"{"data": [{"starting_at": "2026-11-21T00:00:00Z", "ending_at": "2026-11-22T00:00:00Z", "results": []}], "has_more": false, "next_page": null}"#,
        ].joined(separator: "\n")
        // $0.60 uncached + $0.30 cached + $0.30 output = $1.20
        let anthropicCosts = #"""
            {"data": [{"starting_at": "2026-11-20T00:00:00Z", "ending_at": "2026-11-21T00:00:00Z",
              "results": [{"currency": "USD", "amount": "123.45", "workspace_id": null, "description": null,
                           "cost_type": "tokens", "context_window": null, "model": null, "service_tier": null,
                           "token_type": null}]}],
             "has_more": false, "next_page": null}
            """#
        let openAICosts = #"""
            {"object": "page", "data": [{"object": "bucket", "start_time": 1795132800, "end_time": 1795219200,
              "results": [{"object": "organization.costs.result", "amount": {"value": 0.06, "currency": "usd"},
                           "line_item": null, "project_id": null}]}], "has_more": false, "next_page": null}
            """#
        let configuration = AuditConfiguration(
            ledger: .records([
                call(
                    "c",
                    provider: "anthropic",
                    model: "claude-sonnet-4",
                    key: "apikey_01",
                    input: 200_000,
                    fields: fullAttribution
                )
            ]),
            usage: [
                .text(anthropicUsage, name: "anthropic-usage.jsonl"),
                .text(anthropicCosts, name: "anthropic-costs.json"),
                .text(openAICosts, name: "openai-costs.json"),
            ],
            prices: prices
        )
        let report = try Auditor.run(configuration)
        expectInvariant(report)
        #expect(report.pricedUsageUSD?.formatted() == "1.200000000")
        #expect(report[.direct].formatted() == "0.600000000")
        #expect(report[.unrecorded].formatted() == "0.600000000")
        #expect(report.billedUSD?.formatted() == "1.294500000")  // $1.2345 + $0.06
        // Anthropic: 1.2345 − 1.20; OpenAI: 0.06 − 0 (no OpenAI usage given).
        #expect(report.pricingDifferenceUSD?.formatted() == "0.094500000")
    }

    @Test("an unreadable export is a bad input file naming the file and the field")
    func badExport() throws {
        let bad = openAIUsagePage([
            #"{"object": "organization.usage.completions.result", "input_tokens": -5, "output_tokens": 0, "num_model_requests": 1}"#
        ])
        let error = try #require(throws: CostAuditError.self) { try audit([], usage: [bad]) }
        #expect(error.code == .invalidUsageExport)
        #expect(error.code.isBadInputFile)
        #expect(error.description.contains("usage-0.json"))
        #expect(error.description.contains("data[0].results[0].input_tokens"))
        #expect(error.description.contains("-5"))

        let notAnExport = #"{"hello": "world"}"#
        let other = try #require(throws: CostAuditError.self) { try audit([], usage: [notAnExport]) }
        #expect(other.code == .invalidUsageExport)
    }

    @Test("key map and rules files are validated with errors naming the field")
    func badKeyMapAndRules() throws {
        let keyError = try #require(throws: CostAuditError.self) {
            try AuditKeyMap(json: Array(#"{"k1": {"team": "t"}}"#.utf8), file: "keys.json")
        }
        #expect(keyError.code == .invalidKeyMap)
        #expect(keyError.description == "keys.json: k1: an entry needs both \"team\" and \"project\"")
        let ruleError = try #require(throws: CostAuditError.self) {
            try AuditRules(json: Array(#"[{"match": {"colour": "red"}, "set": {}}]"#.utf8), file: "rules.json")
        }
        #expect(ruleError.code == .invalidRules)
        #expect(ruleError.field == "[0].match.colour")
        let keys = try AuditKeyMap(json: Array(#"{"k1": {"team": "t", "project": "p"}}"#.utf8))
        #expect(keys.owners["k1"] == .init(team: "t", project: "p"))
    }
}

@Suite("The audit with the metering layer's price table")
struct PriceTableAuditTests {
    @Test("the built-in table prices records and usage (o3 before and after its 2025-06-10 price change)")
    func builtIn() throws {
        // o3: $10/$40 until 2025-06-10, then $2/$8. gpt-4.1: $2/$8, cached $0.50.
        let usage = openAIUsagePage(
            [openAIUsageResult(key: "k", model: "o3-2025-04-16", input: 1_000_000, output: 100_000)],
            start: 1_748_736_000  // 2025-06-01
        )
        let configuration = AuditConfiguration(
            ledger: .records([
                call(
                    "old",
                    ts: "2025-06-01T12:00:00.000Z",
                    model: "o3",
                    key: "k",
                    input: 500_000,
                    fields: fullAttribution
                ),
                call(
                    "new",
                    ts: "2025-06-11T12:00:00.000Z",
                    model: "o3",
                    key: "k",
                    input: 500_000,
                    fields: fullAttribution
                ),
            ]),
            usage: [.text(usage)],
            prices: PriceTable.builtIn
        )
        let report = try Auditor.run(configuration)
        expectInvariant(report)
        // old: 0.5M × $10 = $5; new: 0.5M × $2 = $1. Usage on 2025-06-01: 1M × $10 + 0.1M × $40 = $14.
        #expect(report.recordedUSD.formatted() == "6.000000000")
        #expect(report.pricedUsageUSD?.formatted() == "14.000000000")
        #expect(report[.direct].formatted() == "6.000000000")
        #expect(report[.unrecorded].formatted() == "9.000000000")
        #expect(report.totalUSD.formatted() == "15.000000000")
        #expect(report.priceTableIsBuiltIn)
    }
}
