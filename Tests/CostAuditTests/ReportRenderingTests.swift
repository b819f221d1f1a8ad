import Attribution
import CostAudit
import CostLedger
import Foundation
import Testing

@Suite("Rounding and report formats (SPEC sections 5 and 7)")
struct ReportRenderingTests {
    @Test("three thirds of a dollar show as rows adding up to 1.000000000, the extra unit to the bytewise-first name")
    func thirds() {
        let third = Money(attodollars: 333_333_333_333_333_333)
        let rows = [("c", third), ("a", third), ("b", third + Money(attodollars: 1))]
        // Sum 1.000000000000000000: remainders 0.333…3, 0.333…3, 0.333…4 (×10⁻⁹): the largest is b.
        #expect(LargestRemainder.formatted(rows) == ["0.333333333", "0.333333333", "0.333333334"])
        let equal = [("c", third), ("a", third), ("b", third)]
        // Sum 0.999999999999999999 rounds to 1.000000000; equal remainders: a wins the tie.
        #expect(LargestRemainder.formatted(equal) == ["0.333333333", "0.333333334", "0.333333333"])
    }

    @Test("rows already exact are left alone, and each row rounds down before units are handed out")
    func exactAndHalfEven() {
        #expect(LargestRemainder.formatted([("x", usd("1.25")), ("y", usd("2.5"))], decimals: 2) == ["1.25", "2.50"])
        // 0.125 + 0.125 = 0.25 exactly: floors 0.12 + 0.12, one unit missing, tie → "a".
        #expect(
            LargestRemainder.formatted([("b", usd("0.125")), ("a", usd("0.125"))], decimals: 2) == ["0.12", "0.13"]
        )
        // Half-even on the total: 0.005 + 0.000 → total 0.00 (0 is even): nothing handed out.
        #expect(LargestRemainder.formatted([("a", usd("0.005")), ("b", .zero)], decimals: 2) == ["0.00", "0.00"])
        #expect(LargestRemainder.formatted([("a", usd("0.015")), ("b", .zero)], decimals: 2) == ["0.02", "0.00"])
    }

    @Test("shares round half-even to 6 decimals")
    func shares() {
        #expect(AuditShare(usd("1"), of: usd("3")).formatted == "0.333333")
        #expect(AuditShare(usd("2"), of: usd("3")).formatted == "0.666667")
        // 1/8 000 000 = 0.000000125: the 7th digit is a tie, half-even keeps 0.000000.
        #expect(AuditShare(usd("1"), of: usd("8000000")).formatted == "0.000000")
        #expect(AuditShare(usd("3"), of: usd("8000000")).formatted == "0.000000")
        #expect(AuditShare(usd("12"), of: usd("8000000")).formatted == "0.000002")
        #expect(AuditShare(usd("1"), of: .zero).formatted == "0.000000")
    }

    @Test("a share reads as a fraction or a percent by name, and prints as a percent with its sign")
    func shareAccessors() throws {
        let share = AuditShare(millionths: 221_589)
        #expect(share.fraction == "0.221589")
        #expect(share.percent == "22.1589%")
        #expect(share.description == "22.1589%")
        #expect("\(share)" == "22.1589%")
        #expect(AuditShare(usd("1"), of: usd("3")).fraction == "0.333333")
        #expect(AuditShare(usd("1"), of: usd("3")).percent == "33.3333%")
        let report = try audit([
            call("a", input: 500_000, fields: fullAttribution),  // $1 direct
            call("b", input: 250_000),  // $0.50 unknown → 1/3
        ])
        #expect("unknown after: \(report.unknownShareAfter)" == "unknown after: 33.3333%")
        #expect(report.captureRate.fraction == report.captureRate.formatted)
    }

    @Test("the classes, reasons and formats are CaseIterable, in report order, and the classes sum to the audit")
    func caseIterable() throws {
        #expect(AttributionClass.allCases.map(\.name) == ["direct", "inherited", "rule", "key_allocated", "unknown"])
        #expect(
            UnknownReason.allCases.map(\.name) == ["no_envelope", "broken_lineage", "missing_fields", "unrecorded"]
        )
        #expect(ReportFormat.allCases.map(\.name) == ["table", "json", "csv", "markdown"])
        let report = try audit([
            call("a", input: 500_000, fields: fullAttribution),
            call("b", input: 250_000),
        ])
        let byClass = AttributionClass.allCases.reduce(Money.zero) { $0 + report[$1] }
        #expect(byClass == report.classifiedUSD)
        let byReason = UnknownReason.allCases.reduce(Money.zero) { $0 + report[$1] }
        #expect(byReason == report[.unknown])
    }

    @Test("the unknown share threshold compares the reported share with the percentage exactly")
    func threshold() throws {
        let report = try audit([
            call("a", input: 500_000, fields: fullAttribution),  // $1 direct
            call("b", input: 250_000),  // $0.50 unknown → 1/3
        ])
        #expect(report.unknownShareAfter.formatted == "0.333333")
        #expect(report.unknownShareAfterExceeds(percent: "33.3333") == false)
        #expect(report.unknownShareAfterExceeds(percent: "33.3332") == true)
        #expect(report.unknownShareAfterExceeds(percent: "5") == true)
        #expect(report.unknownShareAfterExceeds(percent: "abc") == nil)
        #expect(report.unknownShareAfterExceeds(percent: "101") == nil)
    }

    @Test("the JSON output has every SPEC section 7 key, money as strings, shares as numbers, counts as integers")
    func jsonShape() throws {
        let third = call("t", output: 41_666, fields: fullAttribution)  // 41,666 × $8/M = $0.333328
        let report = try audit([
            third,
            call("u", output: 41_667),  // $0.333336
            call("v", leaf: 9, parent: 8, root: 8, output: 41_667, fields: [.agent: "bot"]),
        ])
        let text = report.render(.json)
        #expect(text.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let moneyKeys = [
            "total_usd", "recorded_usd", "recorded_outside_usage_usd", "over_recorded_usd",
            "retry_identity_conflict_usd",
        ]
        for key in moneyKeys {
            let value = try #require(object[key] as? String, "\(key)")
            #expect(value.split(separator: ".").last?.count == 9)
        }
        for key in ["capture_rate", "unknown_share_before", "unknown_share_after"] {
            #expect(object[key] is NSNumber, "\(key)")
            #expect(!(object[key] is String))
        }
        let counts = [
            "records", "duplicates", "record_id_conflicts", "skipped_lines", "invalid_records", "unpriced_records",
            "unpriced_tokens", "unpriced_usage_tokens", "retry_identity_conflicts", "lineage_cycles",
        ]
        for key in counts { #expect(object[key] is NSNumber, "\(key)") }
        let classes = try #require(object["classes"] as? [String: String])
        #expect(Set(classes.keys) == ["direct", "inherited", "rule", "key_allocated", "unknown"])
        #expect(classes["direct"] == "0.333328000")
        #expect(classes["unknown"] == "0.666672000")
        let reasons = try #require(object["unknown_by_reason"] as? [String: String])
        #expect(
            reasons == [
                "no_envelope": "0.333336000", "broken_lineage": "0.333336000", "missing_fields": "0.000000000",
                "unrecorded": "0.000000000",
            ]
        )
        #expect((object["warnings"] as? [String])?.isEmpty == true)
        let sources = try #require(object["top_unknown_sources"] as? [[String: String]])
        #expect(sources.first == ["dimension": "agent", "value": "bot", "usd": "0.333336000"])
        // Key order follows SPEC section 7's table.
        let order = [
            "\"total_usd\"", "\"recorded_usd\"", "\"capture_rate\"", "\"recorded_outside_usage_usd\"",
            "\"warnings\"", "\"classes\"", "\"unknown_by_reason\"",
            "\"unknown_share_before\"", "\"unknown_share_after\"", "\"over_recorded_usd\"", "\"records\"",
            "\"lineage_cycles\"", "\"top_unknown_sources\"",
        ]
        let positions = order.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == order.count)
        #expect(positions == positions.sorted())
        #expect(text.contains("\"unknown_share_before\":0.666672,"))
    }

    @Test("rounded class rows add up to the rounded total: largest remainder, ties to the bytewise-first class")
    func rowsAddUp() throws {
        // "tiny" costs $0.0005 per million tokens: one token is $0.0000000005, half a unit of the 9th decimal.
        var prices = TestPrices()
        prices.prices["tiny"] = .init(input: usd("0.0005"), output: usd("0.0005"), cached: nil)
        let configuration = AuditConfiguration(
            ledger: .records([
                call("d", model: "tiny", input: 1, fields: fullAttribution),  // direct
                call("i", leaf: 1, root: 1, model: "tiny", input: 1, fields: fullAttribution),
                call("j", leaf: 1, root: 1, model: "tiny", input: 1),  // inherited
                call("u", model: "tiny", input: 1),  // unknown
            ]),
            prices: prices
        )
        let report = try Auditor.run(configuration)
        expectInvariant(report)
        // Exact: direct 1.0e-9, inherited 0.5e-9, unknown 0.5e-9; total 2.0e-9.
        #expect(report.classifiedUSD.formatted() == "0.000000002")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(report.render(.json).utf8)) as? [String: Any]
        )
        let classes = try #require(json["classes"] as? [String: String])
        // Floors: 0.000000001, 0, 0, 0, 0; one unit missing; inherited and unknown tie: "inherited" wins.
        #expect(classes["direct"] == "0.000000001")
        #expect(classes["inherited"] == "0.000000001")
        #expect(classes["unknown"] == "0.000000000")
        let sum = classes.values.compactMap { try? Money(decimal: $0) }.reduce(Money.zero, +)
        #expect(sum.formatted() == report.classifiedUSD.formatted())
        // The reasons add up to the unknown row as shown.
        let reasons = try #require(json["unknown_by_reason"] as? [String: String])
        #expect(reasons["no_envelope"] == "0.000000000")
        #expect(report.render(.csv).contains("class,inherited,0.000000001,0.250000,\n"))
        #expect(report.render(.markdown).contains("| inherited | 0.000000001 | 25.0000% |"))
    }

    @Test("the table says what a newcomer needs, including when the built-in price table was used")
    func table() throws {
        var prices = TestPrices()
        prices.isBuiltIn = true
        prices.source = "builtin-2025-06-10"
        let configuration = AuditConfiguration(
            ledger: .records([
                call("a", input: 500_000, fields: fullAttribution), call("b", input: 250_000, fields: [.agent: "cron"]),
            ]),
            prices: prices
        )
        let text = try Auditor.run(configuration).render(.table)
        #expect(text.contains("BUILT-IN price table (builtin-2025-06-10)"))
        #expect(text.contains("Total spend"))
        #expect(text.contains("$1.500000000"))
        #expect(text.contains("66.6667%"))
        #expect(text.contains("no_envelope"))
        #expect(text.contains("Unknown share:  before 33.3333%"))
        #expect(text.contains("cron"))
        #expect(ReportFormat(name: "markdown") == .markdown)
        #expect(ReportFormat(name: "xml") == nil)
    }

    @Test("every format prints each warning: the table and Markdown as lines, JSON as an array, CSV as rows")
    func warningsInEveryFormat() throws {
        // $2.50 recorded against $2 of usage (rate above 100%), and a model priced only from its stored cost.
        let usage = openAIUsagePage([
            openAIUsageResult(key: "key_a", model: "gpt-4.1", input: 1_000_000),
            openAIUsageResult(key: "key_a", model: "mystery-1", input: 1_000, output: 24),
        ])
        let report = try audit(
            [
                call("a", key: "key_a", input: 1_250_000, fields: fullAttribution),
                call("m", model: "mystery-1", key: "key_a", input: 1_000, output: 24, costUSD: "0.01"),
            ],
            usage: [usage]
        )
        let expected = [
            "capture rate 125.0000% is above 100%: the ledger records $2.500000000 where the priced usage of the "
                + "same days, providers and models is $2.000000000; look for calls recorded twice under different "
                + "record ids, usage exports missing pages or keys, or prices above the provider's",
            "openai/mystery-1 is priced in the ledger only, so it is left out of the capture rate: the ledger prices "
                + "1024 tokens at $0.010000000 from their stored cost_usd (the price table lacks the model); the "
                + "usage has 1024 tokens the price table cannot price",
        ]
        #expect(report.warnings == expected)

        let table = report.render(.table).split(separator: "\n").map(String.init)
        #expect(table.filter { $0.hasPrefix("warning: ") } == expected.map { "warning: " + $0 })
        #expect(table.contains { $0.hasPrefix("  Recorded, left out of rate") && $0.contains("$0.010000000") })

        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(report.render(.json).utf8)) as? [String: Any]
        )
        #expect(json["warnings"] as? [String] == expected)
        #expect(json["recorded_excluded_from_rate_usd"] as? String == "0.010000000")
        #expect(json["rate_recorded_usd"] as? String == "2.500000000")

        let csv = report.render(.csv)
        for warning in expected {
            // Each warning holds commas, so it is a quoted field.
            #expect(csv.contains("warning,\"" + warning + "\",,,\n"))
        }
        #expect(csv.contains("total,recorded_outside_usage_usd,0.000000000,,\n"))

        let markdown = report.render(.markdown)
        for warning in expected { #expect(markdown.contains("> **Warning:** " + warning + "\n")) }
    }
}

@Suite("hostile values in the audit's output: escaped for the terminal, Markdown and CSV")
struct HostileOutputTests {
    /// Unknown spend whose agent and api key are values another system wrote: an ANSI escape that would turn a
    /// terminal red and clear it, a `|` and a newline that would break a Markdown row, and a formula a
    /// spreadsheet would run.
    func hostileReport() throws -> AuditReport {
        try audit([
            call("a", key: "=HYPERLINK(\"http://x\")", input: 1_000_000, fields: [.agent: "evil\u{1B}[31m\u{1B}[2J"]),
            call("b", key: "k|b\nc", input: 500_000, fields: [.agent: "-2+3"]),
        ])
    }

    @Test("the table shows control characters as \\u{…}: no escape sequence reaches the terminal")
    func tableEscapes() throws {
        let table = try hostileReport().render(.table)
        #expect(!table.unicodeScalars.contains { $0.value == 0x1B })
        #expect(table.contains("evil\\u{1b}[31m\\u{1b}[2J"))
        // The key with a newline stays on its line.
        #expect(table.split(separator: "\n").contains { $0.contains("k|b\\u{a}c") })
    }

    @Test("Markdown rows keep their columns: | escaped, line breaks as spaces")
    func markdownEscapes() throws {
        let markdown = try hostileReport().render(.markdown)
        let row = try #require(markdown.split(separator: "\n").first { $0.contains("k\\|b c") })
        #expect(row.hasPrefix("| api_key_id | k\\|b c | "))
        #expect(!markdown.unicodeScalars.contains { $0.value == 0x1B })
    }

    @Test("CSV text cells a spreadsheet would evaluate start with ', numbers stay numbers")
    func csvNeutralizesFormulas() throws {
        let csv = try hostileReport().render(.csv)
        #expect(csv.contains("\n" + #"top_unknown_api_key_id,"'=HYPERLINK(""http://x"")","#))
        #expect(csv.contains("\ntop_unknown_agent,'-2+3,"))
        #expect(!csv.contains(",=HYPERLINK"))
    }
}
