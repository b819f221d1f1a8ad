/// The prices of one model, tier and period, per million tokens, as a table holds them.
///
/// A `nil` price means the source gives none for that class of tokens: a call that has such tokens is
/// unpriced, except cached input, which is then charged at the input price (an upper bound).
public struct ModelPrice: Sendable, Hashable {
    /// USD per million uncached input tokens.
    public var input: Money?
    /// USD per million output tokens (reasoning included).
    public var output: Money?
    /// USD per million input tokens read from the prompt cache.
    public var cachedInput: Money?
    /// USD per million input tokens written to the cache for 5 minutes (or an unspecified time).
    public var cacheWrite: Money?
    /// USD per million input tokens written to the cache for 1 hour.
    public var cacheWrite1h: Money?

    /// Creates a price; every class defaults to "no price".
    public init(
        input: Money? = nil,
        output: Money? = nil,
        cachedInput: Money? = nil,
        cacheWrite: Money? = nil,
        cacheWrite1h: Money? = nil
    ) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
    }
}

/// Per-token prices in attodollars, precomputed so that pricing a record is integer arithmetic only.
struct TokenRates: Sendable, Hashable {
    var input: Int128?
    var output: Int128?
    var cachedInput: Int128?
    var cacheWrite: Int128?
    var cacheWrite1h: Int128?

    static let none = TokenRates()

    /// The largest per-token price a table accepts: $1 per token ($1,000,000 per million). With token
    /// counts below 2⁶³ no product or sum of five products can overflow `Int128`.
    static let maximumPerToken: Int128 = 1_000_000_000_000_000_000

    var isEmpty: Bool {
        input == nil && output == nil && cachedInput == nil && cacheWrite == nil && cacheWrite1h == nil
    }

    var perMillion: ModelPrice {
        func m(_ v: Int128?) -> Money? { v.map { Money(attodollars: $0 * 1_000_000) } }
        return ModelPrice(
            input: m(input),
            output: m(output),
            cachedInput: m(cachedInput),
            cacheWrite: m(cacheWrite),
            cacheWrite1h: m(cacheWrite1h)
        )
    }

    /// The rate of the class named `field` in price files.
    subscript(_ tokenClass: TokenClass) -> Int128? {
        get {
            switch tokenClass {
            case .input: return input
            case .output: return output
            case .cachedInput: return cachedInput
            case .cacheWrite: return cacheWrite
            case .cacheWrite1h: return cacheWrite1h
            }
        }
        set {
            switch tokenClass {
            case .input: input = newValue
            case .output: output = newValue
            case .cachedInput: cachedInput = newValue
            case .cacheWrite: cacheWrite = newValue
            case .cacheWrite1h: cacheWrite1h = newValue
            }
        }
    }
}

/// The classes of tokens a price distinguishes.
enum TokenClass: CaseIterable, Sendable {
    case input, output, cachedInput, cacheWrite, cacheWrite1h

    /// The field name in the project's price file.
    var fileField: String {
        switch self {
        case .input: return "input"
        case .output: return "output"
        case .cachedInput: return "cached_input"
        case .cacheWrite: return "cache_write"
        case .cacheWrite1h: return "cache_write_1h"
        }
    }
}

/// Prices that apply once a call's input tokens exceed `aboveInputTokens` (0: the base prices). Providers
/// that charge more for long prompts charge the whole call at the higher rate.
struct PriceBand: Sendable, Hashable {
    var aboveInputTokens: Int64
    var rates: TokenRates
}

/// The prices of one tier from one UTC day on, until the next period of the same tier.
struct PricePeriod: Sendable, Hashable {
    /// Days since 1970-01-01 (UTC) of the first day; `Int64.min` when the price has no start date.
    var fromDay: Int64
    /// The name of the table the prices came from (`price_source`).
    var source: String
    /// Ascending by threshold.
    var bands: [PriceBand]

    /// The band that prices a call with `input` input tokens: the highest threshold the call exceeds.
    func band(forInput input: Int64) -> PriceBand? {
        var chosen: PriceBand?
        for band in bands where band.aboveInputTokens == 0 || input > band.aboveInputTokens {
            chosen = band
        }
        return chosen
    }
}

/// Everything a table knows about one model name.
struct ModelEntry: Sendable, Hashable {
    /// The provider the source names for it (LiteLLM's `litellm_provider`, or the name's prefix).
    var provider: String?
    /// Tier name → periods ascending by `fromDay`. The tier `*` prices every tier without its own entry.
    var tiers: [String: [PricePeriod]]
}

extension PriceTable {
    /// The tier that stands for "every tier the provider prices the same".
    static let anyTier = "*"
    /// The tier a record without `service_tier` is billed at.
    static let defaultTier = "default"
}
