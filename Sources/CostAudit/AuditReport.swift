public import Attribution
public import CostLedger

/// Where an attributed dollar landed (docs/audit.md). A set that may grow: compare with `==`.
public struct AttributionClass: Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// The wire name (`key_allocated`).
    public let name: String
    package let order: Int
    private init(_ name: String, _ order: Int) {
        self.name = name
        self.order = order
    }

    /// The record carries every required field, equal to its unit's attribution.
    public static let direct = AttributionClass("direct", 0)
    /// Complete once its unit and the unit's ancestors fill in what it lacks.
    public static let inherited = AttributionClass("inherited", 1)
    /// Complete once the first matching mapping rule fills what it lacks.
    public static let rule = AttributionClass("rule", 2)
    /// Attributable only to the team and project of the provider key that paid.
    public static let keyAllocated = AttributionClass("key_allocated", 3)
    /// Not attributable; see ``UnknownReason``.
    public static let unknown = AttributionClass("unknown", 4)

    /// Every class, in report order.
    public static let all: [AttributionClass] = [.direct, .inherited, .rule, .keyAllocated, .unknown]
    /// The key that carries a record's class in the attributed output and the reports.
    public static let fieldName = "attribution_class"
    /// Every class, in report order: ``all``, for `CaseIterable`.
    public static var allCases: [AttributionClass] { all }

    public var description: String { name }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }
}

/// Why an unknown dollar is unknown (docs/audit.md). A set that may grow: compare with `==`.
public struct UnknownReason: Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// The wire name (`broken_lineage`).
    public let name: String
    let order: Int
    private init(_ name: String, _ order: Int) {
        self.name = name
        self.order = order
    }

    /// The record has no `leaf_id`: the call was made outside any attributed unit.
    public static let noEnvelope = UnknownReason("no_envelope", 0)
    /// Fields are still missing and the lineage walk ended at a unit not in the ledger, or in a cycle.
    public static let brokenLineage = UnknownReason("broken_lineage", 1)
    /// Fields are still missing after a complete lineage walk, rules and the key map.
    public static let missingFields = UnknownReason("missing_fields", 2)
    /// Spend on the provider's bill with no record in the ledger, on a key the key map does not assign.
    public static let unrecorded = UnknownReason("unrecorded", 3)

    /// Every reason, in report order.
    public static let all: [UnknownReason] = [.noEnvelope, .brokenLineage, .missingFields, .unrecorded]
    /// Every reason, in report order: ``all``, for `CaseIterable`.
    public static var allCases: [UnknownReason] { all }

    public var description: String { name }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }
}

/// A share of the audited spend, rounded half-even to 6 decimals (docs/prices.md).
public struct AuditShare: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The share in millionths (`123456` is 0.123456).
    public let millionths: Int64

    /// Creates a share from millionths.
    public init(millionths: Int64) { self.millionths = millionths }

    /// `part ÷ whole`, rounded half-even to 6 decimals; 0 when `whole` is zero.
    public init(_ part: Money, of whole: Money) {
        guard whole.attodollars != 0 else {
            millionths = 0
            return
        }
        millionths = Int64(clamping: Self.divideHalfEven(part.attodollars, by: whole.attodollars))
    }

    /// `numerator × 10⁶ ÷ denominator`, rounded half-even; falls back to a coarser exact path near overflow.
    static func divideHalfEven(_ numerator: Int128, by denominator: Int128) -> Int128 {
        var n = numerator
        var d = denominator
        if d < 0 {
            n = -n
            d = -d
        }
        // Amounts beyond 10³² attodollars (10¹⁴ dollars) would overflow the scaling: reduce both sides.
        while n.magnitude > Int128.max.magnitude / 1_000_000 {
            n /= 10
            d /= 10
            if d == 0 { return 0 }
        }
        let scaled = n * 1_000_000
        let (q, r) = scaled.quotientAndRemainder(dividingBy: d)
        let twice = r.magnitude * 2
        if twice > d.magnitude || (twice == d.magnitude && q % 2 != 0) { return scaled < 0 ? q - 1 : q + 1 }
        return q
    }

    /// The share as a fraction of 1, a decimal with 6 places (`"0.123456"`): what the JSON and CSV reports
    /// write.
    public var fraction: String { Money.format(unitsOf: Int128(millionths), decimals: 6) }

    /// The share as a decimal with 6 places (`"0.123456"`): the same as ``fraction``.
    public var formatted: String { fraction }

    /// The share as a percentage with 4 places (`"12.3456%"`): what the table and Markdown reports write.
    public var percent: String { Money.format(unitsOf: Int128(millionths), decimals: 4) + "%" }

    /// The share as a percentage, with its sign (`"12.3456%"`), so it cannot be read as a fraction: the
    /// same as ``percent``.
    public var description: String { percent }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.millionths < rhs.millionths }
}

/// One of the top sources of unknown spend: a value of a dimension and the unknown dollars carrying it.
public struct UnknownSource: Sendable, Hashable {
    /// `agent`, `model`, `api_key_id`, `task_type` or `missing_field`.
    public var dimension: String
    /// The value (for `missing_field`, the field's name).
    public var value: String
    /// Unknown dollars with that value.
    public var usd: Money

    /// Creates an entry.
    public init(dimension: String, value: String, usd: Money) {
        self.dimension = dimension
        self.value = value
        self.usd = usd
    }

    /// The dimensions ranked, in report order.
    public static let dimensions = ["agent", "model", "api_key_id", "task_type", "missing_field"]
    /// How many values of each dimension are listed.
    public static let perDimension = 10
}

/// The result of an audit: every figure of docs/audit.md, exact, plus what the human-readable table shows.
///
/// Money is exact here; rounding happens only in ``render(_:)`` (9 decimals half-even, table rows adjusted
/// by largest remainder so that they add up to their total).
public struct AuditReport: Sendable, Hashable {
    /// Total spend: per provider, priced usage on the days its usage exports cover, the ledger elsewhere.
    public var totalUSD: Money
    /// Priced spend in the deduplicated ledger, within the window.
    public var recordedUSD: Money
    /// The usage exports priced with the audit's table; nil when no usage export was given.
    public var pricedUsageUSD: Money?
    /// The sum of the cost exports; nil when none was given.
    public var billedUSD: Money?
    /// Billed minus priced usage, over the providers with a cost export; nil when none was given.
    public var pricingDifferenceUSD: Money?
    /// The capture rate's numerator: recorded spend on the UTC days and providers the usage covers, of models
    /// priced on both sides; nil when no usage export was given.
    public var rateRecordedUSD: Money?
    /// The capture rate's denominator: priced usage of the same days, providers and models; nil when no usage
    /// export was given.
    public var rateUsageUSD: Money?
    /// Recorded spend on days or providers the usage does not cover (all of it when no usage is given): not in
    /// the capture rate.
    public var recordedOutsideUsageUSD: Money
    /// Recorded spend on days and providers the usage covers, of models priced on one side only (or on days
    /// whose usage carries no model): not in the capture rate. ``warnings`` names the models.
    public var recordedExcludedFromRateUSD: Money
    /// Priced usage of those models: not in the capture rate.
    public var usageExcludedFromRateUSD: Money
    /// What a reader of the figures must know: a capture rate above 100%, usage of which nothing could be
    /// priced, a model priced on one side only (with its tokens). One line each; every format prints them.
    public var warnings: [String]
    /// Dollars per class; every class is present.
    public var classes: [AttributionClass: Money]
    /// Unknown dollars per reason; every reason is present.
    public var unknownByReason: [UnknownReason: Money]
    /// For `missing_fields` spend: each required field → the dollars of records lacking it. A record lacking
    /// several fields counts in full under each, so these overlap and do not add up to the reason's total.
    public var unknownMissingFields: [String: Money]
    /// Recorded spend above the bill, per reconciliation cell, summed.
    public var overRecordedUSD: Money
    /// Dollars of records whose own attribution disagreed with their unit's (and were attributed to the unit's).
    public var retryIdentityConflictUSD: Money
    /// Deduplicated records in the window, calls and unit records.
    public var records: Int
    /// Extra copies of a record id.
    public var duplicates: Int
    /// Extra copies whose bytes differ from the copy that counts.
    public var recordIDConflicts: Int
    /// Ledger lines that were not one complete JSON object, or over 64 KiB.
    public var skippedLines: Int
    /// Complete objects that break the record format.
    public var invalidRecords: Int
    /// The first invalid records, with file, line and field (at most ``InvalidRecord/maxListed``).
    public var invalidRecordDetails: [InvalidRecord]
    /// The first skipped lines, with file, line and reason (at most ``SkippedLine/maxListed``).
    public var skippedLineDetails: [SkippedLine] = []
    /// Records of a kind this version does not know.
    public var skippedKinds: Int
    /// Call records with no price and no stored cost.
    public var unpricedRecords: Int
    /// Their input and output tokens.
    public var unpricedTokens: Int64
    /// Input and output tokens of usage rows whose model or tier has no price.
    public var unpricedUsageTokens: Int64
    /// Records whose own attribution disagreed with their unit's.
    public var retryIdentityConflicts: Int
    /// Lineage walks stopped at a repeated unit or after 64 hops.
    public var lineageCycles: Int
    /// Records priced from their stored `cost_usd` because the table lacks their model.
    public var pricedFromRecord: Int
    /// Cached input tokens charged at the input price (an upper bound) because the model has no cached price.
    public var cachedTokensAtInputPrice: Int64
    /// Usage rows dropped as copies of another page's row.
    public var duplicateUsageRows: Int
    /// The top sources of unknown spend, by dimension (``UnknownSource/dimensions``), largest first.
    public var topUnknownSources: [UnknownSource]
    /// Which price table priced the audit.
    public var priceSource: String
    /// Whether that was the built-in default table.
    public var priceTableIsBuiltIn: Bool
    /// The required fields the audit checked.
    public var required: [AttributionField]
    /// The window's start (inclusive), if any.
    public var since: UTCTimestamp?
    /// The window's end (exclusive), if any.
    public var until: UTCTimestamp?
    /// Ledger bytes read.
    public var ledgerBytes: Int64

    /// The sum of the classes: `total_usd + over_recorded_usd`, the denominator of every share.
    public var classifiedUSD: Money { totalUSD + overRecordedUSD }

    /// Dollars of one class.
    public subscript(_ attributionClass: AttributionClass) -> Money { classes[attributionClass] ?? .zero }

    /// Unknown dollars of one reason.
    public subscript(_ reason: UnknownReason) -> Money { unknownByReason[reason] ?? .zero }

    /// A class's share of ``classifiedUSD``.
    public func share(of attributionClass: AttributionClass) -> AuditShare {
        AuditShare(self[attributionClass], of: classifiedUSD)
    }

    /// Everything but `direct`, as a share: the unknown bucket before lineage, rules and the key map.
    public var unknownShareBefore: AuditShare { AuditShare(classifiedUSD - self[.direct], of: classifiedUSD) }

    /// The `unknown` class as a share: what remains unknown after the audit.
    public var unknownShareAfter: AuditShare { AuditShare(self[.unknown], of: classifiedUSD) }

    /// Recorded ÷ priced usage over the cells both sides cover (``rateRecordedUSD`` ÷ ``rateUsageUSD``),
    /// rounded half-even to 6 decimals; 1 when no usage export was given, or when neither side has spend to
    /// compare; 0 when only the ledger has (``warnings`` says so).
    public var captureRate: AuditShare {
        guard let usage = rateUsageUSD, let recorded = rateRecordedUSD else { return AuditShare(millionths: 1_000_000) }
        if usage == .zero { return AuditShare(millionths: recorded == .zero ? 1_000_000 : 0) }
        return AuditShare(recorded, of: usage)
    }

    /// Whether the unknown share after reconciliation, as reported (6 decimals), is above `percent`
    /// (`--fail-above`). Returns nil when `percent` is not a decimal number from 0 to 100.
    public func unknownShareAfterExceeds(percent: String) -> Bool? {
        // percent / 100 in millionths = percent × 10⁴, exactly, as attodollar-scaled integers.
        guard let limit = Money.parse(decimal: percent, shift: -2), limit >= .zero,
            limit <= Money(attodollars: 1_000_000_000_000_000_000)
        else { return nil }
        return Int128(unknownShareAfter.millionths) * 1_000_000_000_000 > limit.attodollars
    }
}
