public import Attribution
public import CostLedger

/// What the audit needs from a price table: a quote for tokens, and the table's name for a model.
///
/// The metering layer's price table conforms; tests and tools may supply their own (a fixed table, a table
/// loaded from elsewhere). Quotes must be exact (docs/prices.md): the audit adds them up without rounding.
public protocol AuditPricing: Sendable {
    /// Which table this is (`built-in 2026-11-24`, a file path), shown in the report.
    var source: String { get }
    /// Whether this is the built-in default table (the report says so).
    var isBuiltIn: Bool { get }

    /// The cost of `usage` on `model` at `date`, or nil when the table cannot price it (no such model, or a
    /// token class with no price).
    ///
    /// - Parameters:
    ///   - provider: the provider as it names itself (`openai`).
    ///   - model: the model as the provider names it.
    ///   - serviceTier: the tier as billed; nil means `default`.
    ///   - usage: tokens in the ledger's convention.
    ///   - date: the instant whose prices apply.
    func auditQuote(
        provider: String,
        model: String,
        serviceTier: String?,
        usage: TokenUsage,
        on date: UTCTimestamp
    ) -> AuditQuote?

    /// The table's key for `model` after name matching (exact, then without a trailing `-YYYY-MM-DD`, then
    /// with a `provider/` prefix added or removed), or nil when the table has no such model.
    func canonicalModel(provider: String, model: String) -> String?
}

/// A price table's answer for one call or one usage row.
public struct AuditQuote: Sendable, Hashable {
    /// The exact cost.
    public var cost: Money
    /// Cached input tokens charged at the input price because the model has no cached price.
    public var cachedTokensAtInputPrice: Int64

    /// Creates a quote.
    public init(cost: Money, cachedTokensAtInputPrice: Int64 = 0) {
        self.cost = cost
        self.cachedTokensAtInputPrice = cachedTokensAtInputPrice
    }
}

extension PriceTable: AuditPricing {
    /// The table's quote, as ``AuditPricing`` asks for it.
    public func auditQuote(
        provider: String,
        model: String,
        serviceTier: String?,
        usage: TokenUsage,
        on date: UTCTimestamp
    ) -> AuditQuote? {
        quote(provider: provider, model: model, serviceTier: serviceTier, usage: usage, on: date).map {
            AuditQuote(cost: $0.cost, cachedTokensAtInputPrice: $0.cachedTokensAtInputPrice)
        }
    }

    /// The table's name for `model` after name matching: ``PriceTable/matchedModelName(provider:model:)``.
    public func canonicalModel(provider: String, model: String) -> String? {
        matchedModelName(provider: provider, model: model)
    }
}
