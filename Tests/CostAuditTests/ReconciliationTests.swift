import Attribution
import CostAudit
import CostLedger
import Foundation
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

    @Test("days the usage does not cover are totalled from the ledger and left out of the capture rate")
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
        #expect(report.captureRate.formatted == "1.000000")
        #expect(report.recordedOutsideUsageUSD.formatted() == "0.500000000")
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

    @Test(
        "a rule's match and set are each an object of known fields to strings; the error names the field",
        arguments: [
            (#"[{"match": {"model": "o3"}, "set": {"colour": "red"}}]"#, "[0].set.colour", "unknown field"),
            (#"[{"match": [], "set": {}}]"#, "[0].match", "expected an object, got an array"),
            (#"[{"match": {}, "set": "team"}]"#, "[0].set", "expected an object, got a string"),
            (#"[{"match": {"model": 3}, "set": {}}]"#, "[0].match.model", "expected a string, got a number"),
            (
                #"[{"match": {}, "set": {}}, {"match": {}, "set": {"team": false}}]"#, "[1].set.team",
                "expected a string"
            ),
        ]
    )
    func ruleFields(json: String, field: String, reason: String) throws {
        let error = try #require(throws: CostAuditError.self) {
            try AuditRules(json: Array(json.utf8), file: "rules.json")
        }
        #expect(error.code == .invalidRules)
        #expect(error.field == field)
        #expect(error.description.contains(reason), "\(error.description)")
    }

    @Test("a rule's match and set are read into its keys and fields")
    func ruleRead() throws {
        let rules = try AuditRules(
            json: Array(
                #"[{"match": {"api_key_id": "k1", "feature": "chat"}, "set": {"team": "growth", "task_type": "qa"}}]"#
                    .utf8
            )
        )
        #expect(rules.rules.count == 1)
        #expect(rules.rules[0].match == [.apiKeyID: "k1", .field(.feature): "chat"])
        #expect(rules.rules[0].set == [.team: "growth", .taskType: "qa"])
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

/// An OpenAI usage page with one bucket per entry: (day of November 2026, results).
func openAIUsageDays(_ days: [(Int, [String])]) -> String {
    let buckets = days.map { day, results in
        let start = 1_795_132_800 + (day - 20) * 86_400
        return """
            {"object": "bucket", "start_time": \(start), "end_time": \(start + 86_400),
            "results": [\(results.joined(separator: ","))]}
            """
    }
    return #"{"object": "page", "data": ["# + buckets.joined(separator: ",") + #"], "has_more": false}"#
}

/// Recorded spend splits exactly into what the rate compares, what it leaves out, and what lies outside the usage.
func expectRecordedSplit(_ report: AuditReport, sourceLocation: SourceLocation = #_sourceLocation) {
    let split =
        (report.rateRecordedUSD ?? .zero) + report.recordedExcludedFromRateUSD + report.recordedOutsideUsageUSD
    #expect(split == report.recordedUSD, sourceLocation: sourceLocation)
    if let priced = report.pricedUsageUSD {
        #expect(
            (report.rateUsageUSD ?? .zero) + report.usageExcludedFromRateUSD == priced,
            sourceLocation: sourceLocation
        )
    }
}

@Suite("The capture rate compares only what both sides cover")
struct CaptureRateTests {
    @Test("usage covering 2 of 4 ledger days: the rate is over those 2 days, the rest is recorded outside the usage")
    func twoOfFourDays() throws {
        let usage = openAIUsageDays([
            (20, [openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000)]),  // $2
            (21, [openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000)]),  // $2
        ])
        let report = try audit(
            [
                call("d18", ts: "2026-11-18T12:00:00.000Z", key: "key_a", input: 250_000, fields: fullAttribution),
                call("d19", ts: "2026-11-19T12:00:00.000Z", key: "key_a", input: 375_000, fields: fullAttribution),
                call("d20", ts: "2026-11-20T12:00:00.000Z", key: "key_a", input: 1_000_000, fields: fullAttribution),
                call("d21", ts: "2026-11-21T12:00:00.000Z", key: "key_a", input: 500_000, fields: fullAttribution),
            ],
            usage: [usage]
        )
        expectRecordedSplit(report)
        #expect(report.recordedUSD.formatted() == "4.250000000")
        #expect(report.pricedUsageUSD?.formatted() == "4.000000000")
        // $2 + $1 recorded against $2 + $2 billed on the 20th and 21st; $0.50 + $0.75 before the usage starts.
        #expect(report.rateRecordedUSD?.formatted() == "3.000000000")
        #expect(report.rateUsageUSD?.formatted() == "4.000000000")
        #expect(report.captureRate.formatted == "0.750000")
        #expect(report.recordedOutsideUsageUSD.formatted() == "1.250000000")
        #expect(report.warnings.isEmpty)
        let text = report.render(.table)
        let shown = text.split(separator: "\n").map(String.init)
        #expect(
            shown.contains(
                "Capture rate                         75.0000%  recorded ÷ priced usage, same days, providers and models"
            )
        )
        #expect(shown.contains("  Recorded, in the rate          $3.000000000"))
        #expect(shown.contains("  Priced usage, in the rate      $4.000000000"))
        #expect(
            shown.contains(
                "  Recorded outside the usage     $1.250000000  days or providers the usage does not cover; not in the rate"
            )
        )
    }

    @Test("a second provider with no usage is recorded outside the usage, not divided into the rate")
    func providerWithoutUsage() throws {
        let usage = openAIUsagePage([openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000)])  // $2
        let report = try audit(
            [
                call("openai", key: "key_a", input: 500_000, fields: fullAttribution),  // $1
                call("azure", provider: "azure", key: "az", input: 1_500_000, fields: fullAttribution),  // $3
            ],
            usage: [usage]
        )
        expectRecordedSplit(report)
        #expect(report.recordedUSD.formatted() == "4.000000000")
        #expect(report.captureRate.formatted == "0.500000")
        #expect(report.recordedOutsideUsageUSD.formatted() == "3.000000000")
        #expect(report.warnings.isEmpty)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(report.render(.json).utf8)) as? [String: Any]
        )
        #expect(json["recorded_outside_usage_usd"] as? String == "3.000000000")
        #expect((json["capture_rate"] as? NSNumber)?.doubleValue == 0.5)
    }

    @Test("no usage given: the rate is 1 and all recorded spend lies outside the usage")
    func noUsage() throws {
        let report = try audit([call("a", input: 500_000, fields: fullAttribution)])
        expectRecordedSplit(report)
        #expect(report.captureRate.formatted == "1.000000")
        #expect(report.rateRecordedUSD == nil)
        #expect(report.recordedOutsideUsageUSD.formatted() == "1.000000000")
        #expect(report.warnings.isEmpty)
    }

    @Test("a model priced only in the ledger (stored cost_usd) is named with its tokens and left out of the rate")
    func pricedInLedgerOnly() throws {
        let usage = openAIUsagePage([
            openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000),  // $2
            openAIUsageResult(key: "key_a", model: "mystery-1", input: 300_000, output: 50_000),  // no price
        ])
        let report = try audit(
            [
                call("g", key: "key_a", input: 500_000, fields: fullAttribution),  // $1
                call(
                    "m",
                    model: "mystery-1",
                    key: "key_a",
                    input: 300_000,
                    output: 50_000,
                    costUSD: "0.75",
                    fields: fullAttribution
                ),
            ],
            usage: [usage]
        )
        expectRecordedSplit(report)
        #expect(report.recordedUSD.formatted() == "1.750000000")
        #expect(report.pricedFromRecord == 1)
        #expect(report.rateRecordedUSD?.formatted() == "1.000000000")
        #expect(report.rateUsageUSD?.formatted() == "2.000000000")
        #expect(report.captureRate.formatted == "0.500000")
        #expect(report.recordedExcludedFromRateUSD.formatted() == "0.750000000")
        #expect(report.usageExcludedFromRateUSD == .zero)
        #expect(report.recordedOutsideUsageUSD == .zero)
        #expect(
            report.warnings == [
                "openai/mystery-1 is priced in the ledger only, so it is left out of the capture rate: the ledger "
                    + "prices 350000 tokens at $0.750000000 from their stored cost_usd (the price table lacks the "
                    + "model); the usage has 350000 tokens the price table cannot price"
            ]
        )
    }

    @Test("priced usage whose records have no price is named with its tokens and left out of the rate")
    func pricedInUsageOnly() throws {
        let usage = openAIUsagePage([
            openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000),  // $2
            openAIUsageResult(key: "key_a", model: "codex-1", input: 1_000_000),  // $2.50
        ])
        // The test table has no cache-write price, so this gpt-4.1 record cannot be priced.
        let unpriced = CostRecord(
            recordID: "w",
            timestamp: timestamp("2026-11-20T10:00:00.000Z"),
            provider: "openai",
            model: "gpt-4.1",
            apiKeyID: "key_a",
            usage: TokenUsage(input: 900_000, output: 100_000, cacheWrite: 400_000),
            attribution: fullAttribution
        )
        let report = try audit(
            [call("c", model: "codex-1", key: "key_a", input: 800_000, fields: fullAttribution), unpriced],  // $2
            usage: [usage]
        )
        expectRecordedSplit(report)
        #expect(report.unpricedRecords == 1)
        #expect(report.rateRecordedUSD?.formatted() == "2.000000000")
        #expect(report.rateUsageUSD?.formatted() == "2.500000000")
        #expect(report.captureRate.formatted == "0.800000")
        #expect(report.usageExcludedFromRateUSD.formatted() == "2.000000000")
        #expect(report.recordedExcludedFromRateUSD == .zero)
        #expect(
            report.warnings == [
                "openai/gpt-4.1 is priced in the usage only, so it is left out of the capture rate: the ledger has "
                    + "1000000 tokens the price table cannot price; the usage prices 1000000 tokens at $2.000000000"
            ]
        )
    }

    @Test("a capture rate above 100% carries a warning saying why")
    func aboveOne() throws {
        let usage = openAIUsagePage([openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000)])  // $2
        let report = try audit(
            [call("a", key: "key_a", input: 1_250_000, fields: fullAttribution)],  // $2.50
            usage: [usage]
        )
        expectRecordedSplit(report)
        #expect(report.captureRate.formatted == "1.250000")
        #expect(
            report.warnings == [
                "capture rate 125.0000% is above 100%: the ledger records $2.500000000 where the priced usage of the "
                    + "same days, providers and models is $2.000000000; look for calls recorded twice under different "
                    + "record ids, usage exports missing pages or keys, or prices above the provider's"
            ]
        )
    }

    @Test("usage of which nothing could be priced carries a warning naming why: no model, or models without a price")
    func nothingPriced() throws {
        // An export not grouped by model: every row has "model": null.
        let modelless = openAIUsagePage([
            openAIUsageResult(key: "key_a", model: nil, input: 1_000_000, output: 5_000)
        ])
        let report = try audit([call("a", key: "key_a", input: 500_000, fields: fullAttribution)], usage: [modelless])
        expectRecordedSplit(report)
        #expect(report.pricedUsageUSD == .zero)
        #expect(report.rateRecordedUSD == .zero)
        #expect(report.recordedExcludedFromRateUSD.formatted() == "1.000000000")
        #expect(
            report.warnings == [
                "none of the provider usage could be priced (1005000 tokens): rows with no model (1005000 tokens; "
                    + "export the usage grouped by model); the capture rate compares no spend",
                "openai usage on 1 day has rows with no model (1005000 tokens), which cannot be priced: export the "
                    + "usage grouped by model; $1.000000000 recorded on those days is left out of the capture rate",
            ]
        )

        let unknown = openAIUsagePage([
            openAIUsageResult(key: "key_a", model: "mystery-2", input: 700, output: 300),
            openAIUsageResult(key: "key_a", model: "mystery-1", input: 70, output: 30),
        ])
        let other = try audit([], usage: [unknown])
        #expect(
            other.warnings == [
                "none of the provider usage could be priced (1100 tokens): models the price table lacks: "
                    + "openai/mystery-1, openai/mystery-2; the capture rate compares no spend"
            ]
        )
        #expect(other.captureRate.formatted == "1.000000")
    }

    @Test("recorded spend the usage prices nothing for is an undefined rate, shown as 0 with a warning")
    func nothingToCompareAgainst() throws {
        // The usage covers the day with another model only; the ledger's gpt-4.1 spend has no usage beside it.
        let usage = openAIUsagePage([openAIUsageResult(key: "key_a", model: "codex-1", input: 0)])
        let report = try audit([call("a", key: "key_a", input: 500_000, fields: fullAttribution)], usage: [usage])
        expectRecordedSplit(report)
        #expect(report.captureRate.formatted == "0.000000")
        #expect(
            report.warnings == [
                "capture rate undefined (shown as 0%): the ledger records $1.000000000 on days, providers and models "
                    + "the usage covers, and the usage prices none of it"
            ]
        )
    }

    @Test("records read from ledger files count their tokens in the warning as in-memory records do")
    func warningFromFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let record = call(
            "m",
            model: "mystery-1",
            key: "key_a",
            input: 300_000,
            output: 50_000,
            costUSD: "0.75",
            fields: fullAttribution
        )
        _ = try dir.write("host-1-1700000000000-ab.jsonl", lines([record]))
        let usage = openAIUsagePage([openAIUsageResult(key: "key_a", model: "mystery-1", input: 10)])
        let report = try Auditor.run(
            AuditConfiguration(ledger: .files([dir.path]), usage: [.text(usage)], prices: TestPrices())
        )
        expectRecordedSplit(report)
        #expect(report.recordedExcludedFromRateUSD.formatted() == "0.750000000")
        // First the warning that none of the usage could be priced, then the model's.
        #expect(report.warnings.count == 2)
        #expect(
            report.warnings.last?.contains("prices 350000 tokens at $0.750000000 from their stored cost_usd") == true
        )
        #expect(report.warnings.last?.contains("the usage has 10 tokens the price table cannot price") == true)
    }
}
