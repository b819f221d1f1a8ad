import Attribution
import CostAudit
public import CostLedger

/// Price bands: cheap, mid-priced and premium models, told apart by list price (docs/reports.md, "models").
///
/// A call's band comes from the list price the audit's price table gives its model, service tier and day,
/// blended as (3 × input + output) ÷ 4 USD per million tokens (the 3:1 input-to-output mix price comparisons
/// use). The thresholds split that blended price into bands, each from its lower threshold (included) to the
/// next (excluded): the standard thresholds $1 and $10 give `under $1/M`, `$1/M to $10/M` and `$10/M and up`.
///
/// ```swift
/// let bands = try PriceBands(parsing: "0.5,5,20")
/// bands.labels  // ["under $0.5/M", "$0.5/M to $5/M", "$5/M to $20/M", "$20/M and up"]
/// ```
public struct PriceBands: Sendable, Hashable {
    /// The thresholds in USD per million blended tokens, ascending, each above zero.
    public let thresholds: [Money]

    /// $1 and $10 per million blended tokens.
    public static let standard = PriceBands(checked: [
        Money(attodollars: 1_000_000_000_000_000_000), Money(attodollars: 10_000_000_000_000_000_000),
    ])

    /// The most thresholds accepted (eleven bands).
    public static let maximumThresholds = 10
    /// The highest threshold accepted: $1,000,000 per million tokens, the highest price a price table holds.
    public static let maximumThreshold = Money(attodollars: 1_000_000_000_000_000_000_000_000)

    /// Bands split at `thresholds`.
    ///
    /// - Throws: ``ReportError`` (field `bands`) when there are none or more than ``maximumThresholds``, or they
    ///   are not above zero, at most ``maximumThreshold`` and strictly ascending.
    public init(thresholds: [Money]) throws(ReportError) {
        let text = thresholds.map { Self.trimmed($0) }.joined(separator: ",")
        guard !thresholds.isEmpty, thresholds.count <= Self.maximumThresholds else {
            throw ReportError(
                field: "bands",
                value: text,
                reason: "expected 1 to \(Self.maximumThresholds) thresholds in USD per million tokens"
            )
        }
        for (index, threshold) in thresholds.enumerated() {
            guard threshold > .zero, threshold <= Self.maximumThreshold else {
                throw ReportError(
                    field: "bands",
                    value: text,
                    reason: "thresholds must be above 0 and at most \(Self.trimmed(Self.maximumThreshold))"
                )
            }
            guard index == 0 || thresholds[index - 1] < threshold else {
                throw ReportError(field: "bands", value: text, reason: "thresholds must be strictly ascending")
            }
        }
        self.thresholds = thresholds
    }

    /// Reads comma-separated thresholds in USD per million tokens: `1,10`.
    ///
    /// - Throws: ``ReportError`` (field `bands`) naming the text when a threshold is not a decimal number or
    ///   the thresholds break ``init(thresholds:)``'s rules.
    public init(parsing text: String) throws(ReportError) {
        var thresholds: [Money] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let amount = try? Money(decimal: part) else {
                throw ReportError(
                    field: "bands",
                    value: text,
                    reason: "expected comma-separated decimal prices in USD per million tokens, like 1,10"
                )
            }
            thresholds.append(amount)
        }
        do {
            try self.init(thresholds: thresholds)
        } catch {
            throw ReportError(field: "bands", value: text, reason: error.reason)
        }
    }

    private init(checked thresholds: [Money]) { self.thresholds = thresholds }

    /// The number of price bands: one more than the thresholds.
    public var count: Int { thresholds.count + 1 }

    /// Each band's label, cheapest first: `under $1/M`, `$1/M to $10/M`, `$10/M and up`.
    public var labels: [String] {
        let names = thresholds.map { "$" + Self.trimmed($0) + "/M" }
        var labels = ["under " + names[0]]
        for index in 1..<names.count { labels.append(names[index - 1] + " to " + names[index]) }
        labels.append(names[names.count - 1] + " and up")
        return labels
    }

    /// The band of a model's list price (0 is the cheapest), nil when the price has neither an input nor an
    /// output price. With only one of the two, that one is the blended price.
    public func band(of price: ModelPrice) -> Int? { band(input: price.input, output: price.output) }

    /// The band of a list price given per million input and output tokens.
    func band(input: Money?, output: Money?) -> Int? {
        // (3 × input + output) ÷ 4 ≥ threshold  ⟺  3 × input + output ≥ 4 × threshold: exact, no division.
        let weighted: Int128
        let scale: Int128
        switch (input, output) {
        case (let input?, let output?):
            weighted = 3 * input.attodollars + output.attodollars
            scale = 4
        case (let input?, nil):
            weighted = input.attodollars
            scale = 1
        case (nil, let output?):
            weighted = output.attodollars
            scale = 1
        case (nil, nil):
            return nil
        }
        var band = 0
        for threshold in thresholds where weighted >= scale * threshold.attodollars { band += 1 }
        return band
    }

    /// The band of a model's list price in `prices` for a service tier and day: the table's quotes for 1,000
    /// input tokens and for 1,000 output tokens, times 1,000 (the short-context price per million tokens).
    func band(
        _ prices: any AuditPricing,
        provider: String,
        model: String,
        serviceTier: String?,
        on day: UTCTimestamp
    ) -> Int? {
        func perMillion(_ usage: TokenUsage) -> Money? {
            guard
                let quote = prices.auditQuote(
                    provider: provider,
                    model: model,
                    serviceTier: serviceTier,
                    usage: usage,
                    on: day
                )
            else { return nil }
            let (scaled, overflow) = quote.cost.attodollars.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : Money(attodollars: scaled)
        }
        return band(input: perMillion(TokenUsage(input: 1000)), output: perMillion(TokenUsage(output: 1000)))
    }

    /// `1`, `0.5`, `12.25`: the amount without trailing zeros.
    static func trimmed(_ amount: Money) -> String {
        var text = amount.formatted(decimals: Money.scale)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
