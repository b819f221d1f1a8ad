import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

@Suite("export --focus: FOCUS 1.2 rows with one unit price each, adding up to the audit")
struct FocusExportTests {
    /// Prices (report-tests): mid-1 input $10/M, cached $5/M, output $20/M; cheap-1 input $1/M.
    /// - a, 2026-11-30 23:00, growth/assistant, mid-1: 1,000 input of which 200 cached, 500 output →
    ///   800 × 10/M = $0.008 input, 200 × 5/M = $0.001 cached, 500 × 20/M = $0.01 output ($0.019).
    /// - b, 2026-11-30 08:00, growth/assistant, mid-1: 1,000 input → $0.01 (same row as a's input: 1,800
    ///   tokens, $0.018).
    /// - c, 2026-12-31 12:00, growth/assistant, cheap-1: 4,000 input → $0.004 (December, billing period to 2027).
    /// - d, 2026-11-30 09:00, no envelope, mid-1: 3,000 input → $0.03, unknown (no_envelope), no team.
    /// - e, 2026-11-30 10:00, growth/assistant, other-9 (not in the table), stored cost_usd $0.05: not split.
    /// Total $0.019 + $0.01 + $0.004 + $0.03 + $0.05 = $0.113.
    func ledger() throws -> [CostRecord] {
        var e = try modelCall("e", at: "2026-11-30T10:00:00Z", model: "other-9", input: 70, output: 30, leaf: 5)
        e.costUSD = try dollars("0.05")
        return [
            try modelCall("a", at: "2026-11-30T23:00:00Z", input: 1000, output: 500, cached: 200, leaf: 1),
            try modelCall("b", at: "2026-11-30T08:00:00Z", input: 1000, leaf: 2),
            try modelCall("c", at: "2026-12-31T12:00:00Z", model: "cheap-1", input: 4000, leaf: 3),
            try modelCall("d", at: "2026-11-30T09:00:00Z", input: 3000, attribution: [.userID: "u_9"]),
            e,
        ]
    }

    func export(_ records: [CostRecord], billingAccount: String? = nil) throws -> (FocusExport, AuditReport) {
        let prices = try reportPrices()
        let audit = try Auditor.attribute(AuditConfiguration(ledger: .records(records), prices: prices))
        return (try FocusExport(audit, prices: prices, billingAccount: billingAccount), audit.report)
    }

    /// The cells of `row` by column name.
    func cells(_ export: FocusExport, _ row: FocusExport.Row) -> [String: String?] {
        Dictionary(uniqueKeysWithValues: zip(FocusExport.columns, export.cells(row)))
    }

    @Test("one row per day, model, token class, team and class, each with the price table's unit price")
    func grain() throws {
        let (export, report) = try export(try ledger())
        let rows = export.rows.map { row -> String in
            let charge: String
            switch row.charge {
            case .tokens(let tokenClass): charge = tokenClass.name
            case .recordedCost: charge = "recorded_cost"
            case .unrecorded: charge = "unrecorded"
            }
            let price = row.pricePerMillion.map { $0.formatted(decimals: 2) } ?? "-"
            return "\(row.day) \(row.model) \(charge) \(row.team ?? "-") \(row.attributionClass) "
                + "\(row.tokens) \(price) \(row.cost.formatted())"
        }
        #expect(
            rows == [
                "2026-11-30T00:00:00.000Z openai/mid-1 input - unknown 3000 10.00 0.030000000",
                "2026-11-30T00:00:00.000Z openai/mid-1 input growth direct 1800 10.00 0.018000000",
                "2026-11-30T00:00:00.000Z openai/mid-1 cached_input growth direct 200 5.00 0.001000000",
                "2026-11-30T00:00:00.000Z openai/mid-1 output growth direct 500 20.00 0.010000000",
                "2026-11-30T00:00:00.000Z other-9 recorded_cost growth direct 100 - 0.050000000",
                "2026-12-31T00:00:00.000Z openai/cheap-1 input growth direct 4000 1.00 0.004000000",
            ]
        )
        #expect(export.totalUSD == (try dollars("0.113")))
        #expect(export.totalUSD == report.classifiedUSD)
        var sum = Money.zero
        for row in export.rows { sum = sum + row.cost }
        #expect(sum == report.classifiedUSD)
    }

    @Test("every row's list unit price times its pricing quantity is its list cost, exactly")
    func unitPriceTimesQuantity() throws {
        let (export, _) = try export(try ledger())
        for row in export.rows {
            let cell = cells(export, row)
            let price = try #require(cell["ListUnitPrice"] ?? nil)
            let quantity = try #require(cell["PricingQuantity"] ?? nil)
            let cost = try #require(cell["ListCost"] ?? nil)
            // Exact decimal product: both factors as attodollars-scaled integers.
            let product = try dollars(price).attodollars * (try dollars(quantity).attodollars)
            #expect(product == (try dollars(cost).attodollars) * 1_000_000_000_000_000_000, "\(row)")
            #expect(cell["ContractedUnitPrice"] == cell["ListUnitPrice"])
            for column in ["BilledCost", "EffectiveCost", "ContractedCost"] {
                #expect(cell[column] == cell["ListCost"])
            }
        }
    }

    @Test("a split row's cells: prices per million tokens, the tokens consumed, SKUs, tags and x_ columns")
    func tokenRowCells() throws {
        let (export, _) = try export(try ledger())
        let cached = try #require(export.rows.first { $0.charge == .tokens(.cachedInput) })
        let cell = cells(export, cached)
        let expected: [String: String?] = [
            "BilledCost": "0.001", "BillingAccountId": "openai", "BillingAccountName": "openai",
            "BillingCurrency": "USD", "BillingPeriodStart": "2026-11-01T00:00:00Z",
            "BillingPeriodEnd": "2026-12-01T00:00:00Z", "ChargeCategory": "Usage", "ChargeClass": nil,
            "ChargeDescription": "openai/mid-1 cached input tokens, default tier", "ChargeFrequency": "Usage-Based",
            "ChargePeriodStart": "2026-11-30T00:00:00Z", "ChargePeriodEnd": "2026-12-01T00:00:00Z",
            "ConsumedQuantity": "200", "ConsumedUnit": "Tokens", "ContractedCost": "0.001",
            "ContractedUnitPrice": "5", "EffectiveCost": "0.001", "InvoiceId": nil, "InvoiceIssuerName": "openai",
            "ListCost": "0.001", "ListUnitPrice": "5", "PricingCategory": "Standard", "PricingQuantity": "0.0002",
            "PricingUnit": "1000000 Tokens", "ProviderName": "openai", "PublisherName": "openai",
            "ServiceCategory": "AI and Machine Learning", "ServiceName": "openai API",
            "ServiceSubcategory": "Generative AI", "SkuId": "openai/mid-1/cached_input",
            "SkuMeter": "Cached Input Tokens",
            "SkuPriceDetails": #"{"x_ServiceTier":"default","x_TokenClass":"cached_input"}"#,
            "SkuPriceId": "openai/mid-1/cached_input/default", "Tags": #"{"team":"growth","project":"assistant"}"#,
            "x_AttributionClass": "direct", "x_UnknownReason": nil, "x_ServiceTier": "default",
            "x_TokenClass": "cached_input",
        ]
        #expect(cell == expected)
        #expect(FocusExport.columns.count == 38)
        #expect(FocusExport.columns.suffix(4).allSatisfy { $0.hasPrefix("x_") })
    }

    @Test("a row with no team or project has NULL tags; an unknown row names its reason")
    func nullsAndReasons() throws {
        let (export, _) = try export(try ledger())
        let unknown = try #require(export.rows.first { $0.attributionClass == .unknown })
        let cell = cells(export, unknown)
        #expect(cell["Tags"] == .some(nil))
        #expect(cell["x_UnknownReason"] == "no_envelope")
        #expect(cell["x_AttributionClass"] == "unknown")
        // No cell is the empty string: missing values are NULL.
        for row in export.rows { #expect(!export.cells(row).contains("")) }
    }

    @Test("a call the table cannot price by class is one row priced per dollar, its tokens consumed")
    func recordedCostRow() throws {
        let (export, _) = try export(try ledger())
        let row = try #require(export.rows.first { $0.charge == .recordedCost })
        let cell = cells(export, row)
        #expect(cell["ListCost"] == "0.05")
        #expect(cell["ListUnitPrice"] == "1")
        #expect(cell["PricingQuantity"] == "0.05")
        #expect(cell["PricingUnit"] == "USD")
        #expect(cell["ConsumedQuantity"] == "100")
        #expect(cell["ConsumedUnit"] == "Tokens")
        #expect(cell["SkuId"] == "openai/other-9/recorded_cost")
        #expect(cell["x_TokenClass"] == "all")
    }

    @Test("billing period is the calendar month and charge period the day, across a year's end")
    func periods() throws {
        let (export, _) = try export(try ledger())
        let december = try #require(export.rows.first { $0.model == "openai/cheap-1" })
        let cell = cells(export, december)
        #expect(cell["BillingPeriodStart"] == "2026-12-01T00:00:00Z")
        #expect(cell["BillingPeriodEnd"] == "2027-01-01T00:00:00Z")
        #expect(cell["ChargePeriodStart"] == "2026-12-31T00:00:00Z")
        #expect(cell["ChargePeriodEnd"] == "2027-01-01T00:00:00Z")
        // a call at 23:00 on the month's last day stays in that day and month.
        let late = try #require(export.rows.first { $0.charge == .tokens(.output) })
        #expect(cells(export, late)["ChargePeriodStart"] == "2026-11-30T00:00:00Z")
        #expect(cells(export, late)["BillingPeriodEnd"] == "2026-12-01T00:00:00Z")
    }

    @Test("--billing-account names the account of every row; by default each row's provider does")
    func billingAccount() throws {
        let (named, _) = try export(try ledger(), billingAccount: "acme-prod")
        for row in named.rows {
            #expect(cells(named, row)["BillingAccountId"] == "acme-prod")
            #expect(cells(named, row)["BillingAccountName"] == "acme-prod")
        }
        let (plain, _) = try export(try ledger())
        for row in plain.rows { #expect(cells(plain, row)["BillingAccountId"] == "openai") }
    }

    @Test("the docs' snippet (docs/reports.md, export --focus) writes the CSV of every row")
    func documentedSnippet() throws {
        let configuration = AuditConfiguration(ledger: .records(try ledger()), prices: try reportPrices())
        // snippet: focus-export
        let audit = try Auditor.attribute(configuration)
        let export = try FocusExport(audit, prices: configuration.prices, billingAccount: "acme-prod")
        let csv = export.csv()  // or export.rows, export.cells(row)
        // end snippet
        let lines = csv.split(separator: "\n")
        #expect(lines.count == export.rows.count + 1)
        #expect(lines.dropFirst().allSatisfy { $0.contains(",acme-prod,acme-prod,USD,") })
    }

    @Test("unrecorded spend is one row per cell, in dollars, allocated to its key's team or unknown")
    func unrecordedRows() throws {
        let prices = try reportPrices()
        let day = try instant("2026-11-02T00:00:00Z")
        let export = FocusExport(
            records: [],
            unrecorded: [
                UnrecordedSpend(
                    day: day,
                    provider: "openai",
                    model: "mid-1",
                    apiKeyID: "key_a",
                    owner: AuditKeyMap.Owner(team: "data", project: "etl"),
                    usd: try dollars("1.25")
                ),
                UnrecordedSpend(
                    day: day,
                    provider: "openai",
                    model: "mid-1",
                    apiKeyID: "key_b",
                    owner: nil,
                    usd: try dollars("0.5")
                ),
            ],
            prices: prices
        )
        #expect(export.rows.count == 2)
        #expect(export.totalUSD == (try dollars("1.75")))
        // The unknown cell (no team) sorts before the allocated one.
        let allocated = cells(export, export.rows[1])
        #expect(allocated["Tags"] == #"{"team":"data","project":"etl"}"#)
        #expect(allocated["x_AttributionClass"] == "key_allocated")
        #expect(allocated["x_UnknownReason"] == .some(nil))
        #expect(allocated["ListCost"] == "1.25")
        #expect(allocated["PricingQuantity"] == "1.25")
        #expect(allocated["PricingUnit"] == "USD")
        #expect(allocated["ListUnitPrice"] == "1")
        #expect(allocated["ConsumedQuantity"] == "1.25")
        #expect(allocated["ConsumedUnit"] == "USD")
        #expect(allocated["SkuId"] == "openai/mid-1/unrecorded")
        #expect(allocated["SkuPriceDetails"] == .some(nil))
        #expect(allocated["x_ServiceTier"] == .some(nil))
        #expect(allocated["x_TokenClass"] == .some(nil))
        let unknown = cells(export, export.rows[0])
        #expect(unknown["Tags"] == .some(nil))
        #expect(unknown["x_UnknownReason"] == "unrecorded")
    }

    @Test("CSV cells with commas, quotes and line breaks are quoted and read back as written; NULL is empty")
    func csvEscaping() throws {
        var record = try modelCall(
            "x",
            at: "2026-11-03T10:00:00Z",
            model: "odd,\"model\"\nv2",
            input: 10,
            attribution: business(team: "R&D, \"core\"", project: "a\nb"),
            leaf: 1
        )
        record.costUSD = try dollars("0.3")
        let (export, _) = try export([record])
        let text = export.csv()
        let table = parseCSV(text)
        #expect(table.count == 2)
        #expect(table[0] == FocusExport.columns)
        let expected = export.cells(export.rows[0]).map { $0 ?? "" }
        #expect(table[1] == expected)
        let row = Dictionary(uniqueKeysWithValues: zip(table[0], table[1]))
        #expect(row["ChargeDescription"]?.hasPrefix("odd,\"model\"\nv2 calls") == true)
        #expect(row["Tags"] == #"{"team":"R&D, \"core\"","project":"a\nb"}"#)
        #expect(FocusExport.csvCell(nil) == "")
        #expect(FocusExport.csvCell("") == "\"\"")
        #expect(FocusExport.csvCell("a,b") == "\"a,b\"")
        #expect(FocusExport.csvCell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(FocusExport.csvCell("-1") == "-1")
    }

    /// RFC 4180, enough for the test: quoted fields with doubled quotes and line breaks.
    func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(c)
            }
        }
        return rows
    }
}
