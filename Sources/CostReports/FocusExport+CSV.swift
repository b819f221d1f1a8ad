import Attribution
import CostAudit
import CostLedger
import WireFormat

extension FocusExport {
    /// The FOCUS 1.2 columns written, in order (docs/reports.md, "export --focus", says where each value comes
    /// from); then the project's own columns, prefixed `x_` as FOCUS asks of custom columns.
    public static let focusColumns = [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
        "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
        "ChargePeriodEnd", "ChargePeriodStart", "ConsumedQuantity", "ConsumedUnit", "ContractedCost",
        "ContractedUnitPrice", "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost", "ListUnitPrice",
        "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory",
        "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId", "Tags",
    ]

    /// The project's columns, after every FOCUS column.
    public static let customColumns = ["x_AttributionClass", "x_UnknownReason", "x_ServiceTier", "x_TokenClass"]

    /// Every column written, in order.
    public static var columns: [String] { focusColumns + customColumns }

    /// The unit of the rows priced per 1,000,000 tokens.
    public static let tokenPricingUnit = "1000000 Tokens"
    /// The unit of the rows priced per dollar (``Charge/recordedCost``, ``Charge/unrecorded``).
    public static let dollarUnit = "USD"

    /// The export as CSV (RFC 4180): a header row, then one line per row. A missing value is an empty, unquoted
    /// cell (FOCUS's NULL), never `""` or 0; a value with a comma, quote or line break is quoted, its quotes
    /// doubled. Values are written exactly as they are (no spreadsheet-formula guard: a FOCUS reader must get
    /// the value itself). Lines end with `\n`.
    public func csv() -> String {
        var out = Self.columns.joined(separator: ",") + "\n"
        for row in rows {
            out += cells(row).map(Self.csvCell).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// One CSV cell: empty for NULL; quoted when the value holds a comma, quote, CR or LF (or is the empty
    /// string, so that it is not read as NULL).
    public static func csvCell(_ value: String?) -> String {
        guard let value else { return "" }
        guard value.isEmpty || value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        else { return value }
        return "\"" + value.replacing("\"", with: "\"\"") + "\""
    }

    /// The cells of `row`, one per ``columns`` entry; nil is NULL.
    public func cells(_ row: Row) -> [String?] {
        let account = billingAccount ?? row.provider
        let days = Builder.day(row.day)
        let (year, month, _) = CivilDate.date(days: days)
        let monthStart = CivilDate.days(year: year, month: month, day: 1)
        let monthEnd =
            month == 12
            ? CivilDate.days(year: year + 1, month: 1, day: 1) : CivilDate.days(year: year, month: month + 1, day: 1)
        let cost = Self.decimal(row.cost.attodollars, scale: 18)
        let tier = row.serviceTier
        // The SKU is the provider's: `openai/gpt-4.1/input`, and `openai/gpt-4.1` for a table that names its
        // models with the provider's prefix.
        let sku = row.model.hasPrefix(row.provider + "/") ? row.model : row.provider + "/" + row.model
        let skuID: String
        let skuPriceID: String
        let meter: String
        let description: String
        let details: String?
        let consumed: String
        let consumedUnit: String
        let unitPrice: String
        let pricingQuantity: String
        let pricingUnit: String
        let tokenClass: String?
        switch row.charge {
        case .tokens(let tokenClass_):
            skuID = "\(sku)/\(tokenClass_.name)"
            skuPriceID = skuID + "/" + (tier ?? "default") + (row.longContext ? "/long_context" : "")
            meter = tokenClass_.meter
            description =
                "\(row.model) \(tokenClass_.meter.lowercased()), \(tier ?? "default") tier"
                + (row.longContext ? ", long-context price" : "")
            var w = JSONWriter(capacity: 96)
            w.raw("{")
            w.key("x_ServiceTier")
            w.string(tier ?? "default")
            w.raw(",")
            w.key("x_TokenClass")
            w.string(tokenClass_.name)
            if row.longContext { w.raw(#","x_LongContext":true"#) }
            w.raw("}")
            details = String(decoding: w.bytes, as: UTF8.self)
            consumed = Self.decimal(row.tokens, scale: 0)
            consumedUnit = "Tokens"
            unitPrice = Self.decimal(row.pricePerMillion?.attodollars ?? 0, scale: 18)
            pricingQuantity = Self.decimal(row.tokens, scale: 6)
            pricingUnit = Self.tokenPricingUnit
            tokenClass = tokenClass_.name
        case .recordedCost:
            skuID = "\(sku)/recorded_cost"
            skuPriceID = skuID + "/" + (tier ?? "default")
            meter = "Recorded Cost"
            description =
                "\(row.model) calls at the cost the audit counts for them (not split by token class), "
                + "\(tier ?? "default") tier"
            var w = JSONWriter(capacity: 96)
            w.raw("{")
            w.key("x_ServiceTier")
            w.string(tier ?? "default")
            w.raw(#","x_TokenClass":"all"}"#)
            details = String(decoding: w.bytes, as: UTF8.self)
            consumed = Self.decimal(row.tokens, scale: 0)
            consumedUnit = "Tokens"
            unitPrice = "1"
            pricingQuantity = cost
            pricingUnit = Self.dollarUnit
            tokenClass = "all"
        case .unrecorded:
            skuID = "\(sku)/unrecorded"
            skuPriceID = skuID
            meter = "Unrecorded Spend"
            description =
                "\(row.model) spend on the \(row.provider) bill that no ledger record carries (tokens unknown)"
            details = nil
            consumed = cost
            consumedUnit = Self.dollarUnit
            unitPrice = "1"
            pricingQuantity = cost
            pricingUnit = Self.dollarUnit
            tokenClass = nil
        }
        return [
            cost,  // BilledCost
            account,  // BillingAccountId
            account,  // BillingAccountName
            "USD",  // BillingCurrency
            Self.midnight(monthEnd),  // BillingPeriodEnd
            Self.midnight(monthStart),  // BillingPeriodStart
            "Usage",  // ChargeCategory
            nil,  // ChargeClass: no row corrects an invoiced period
            description,  // ChargeDescription
            "Usage-Based",  // ChargeFrequency
            Self.midnight(days + 1),  // ChargePeriodEnd
            Self.midnight(days),  // ChargePeriodStart
            consumed,  // ConsumedQuantity
            consumedUnit,  // ConsumedUnit
            cost,  // ContractedCost: no negotiated price is known
            unitPrice,  // ContractedUnitPrice
            cost,  // EffectiveCost: no commitment to amortize
            nil,  // InvoiceId: the ledger knows no invoice
            row.provider,  // InvoiceIssuerName
            cost,  // ListCost
            unitPrice,  // ListUnitPrice
            "Standard",  // PricingCategory
            pricingQuantity,  // PricingQuantity
            pricingUnit,  // PricingUnit
            row.provider,  // ProviderName
            row.provider,  // PublisherName
            "AI and Machine Learning",  // ServiceCategory
            "\(row.provider) API",  // ServiceName
            "Generative AI",  // ServiceSubcategory
            skuID,  // SkuId
            meter,  // SkuMeter
            details,  // SkuPriceDetails
            skuPriceID,  // SkuPriceId
            Self.tags(row),  // Tags
            row.attributionClass.name,  // x_AttributionClass
            row.unknownReason?.name,  // x_UnknownReason
            tier,  // x_ServiceTier
            tokenClass,  // x_TokenClass
        ]
    }

    /// The row's finalized attribution as a JSON object (`{"team":"growth","project":"assistant"}`), the keys
    /// it has a value for; nil when it has neither.
    static func tags(_ row: Row) -> String? {
        guard row.team != nil || row.project != nil else { return nil }
        var w = JSONWriter(capacity: 64)
        w.raw("{")
        if let team = row.team {
            w.key("team")
            w.string(team)
        }
        if let project = row.project {
            if row.team != nil { w.raw(",") }
            w.key("project")
            w.string(project)
        }
        w.raw("}")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DDT00:00:00Z` of a day count, as FOCUS writes date/time values.
    static func midnight(_ days: Int64) -> String {
        var out: [UInt8] = []
        RFC3339.appendDate(days: days, to: &out)
        return String(decoding: out, as: UTF8.self) + "T00:00:00Z"
    }

    /// `value ÷ 10^scale` as an exact decimal without trailing zeros (`1234`, scale 6 → `0.001234`).
    static func decimal(_ value: Int128, scale: Int) -> String {
        let negative = value < 0
        var digits = String(value.magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            let point = digits.index(digits.endIndex, offsetBy: -scale)
            var fraction = String(digits[point...])
            while fraction.last == "0" { fraction.removeLast() }
            digits = String(digits[..<point]) + (fraction.isEmpty ? "" : "." + fraction)
        }
        return (negative ? "-" : "") + digits
    }
}
