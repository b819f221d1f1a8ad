import Attribution
public import CostLedger

/// The audit's money sums: exact attodollars in `Int128`, and checked (docs/audit.md).
///
/// Rather than check every addition of every phase, the audit checks one bound up front: the magnitudes of
/// every amount it will add up — each usage row's price, each billed amount, each recorded record's cost —
/// summed per side, must stay at or below ``maxTotal``. Every sum and difference the audit then forms (a class,
/// a cell, a gap, the total, the classes' sum) is made of at most three such sides, so it fits in `Int128`
/// with room to spare and no addition can wrap. A side past the bound is an error naming the input where its
/// sum passed it, never a wrapped total.
public enum AuditSums {
    /// The largest total the audit supports: (2¹²⁷ − 1) ÷ 4 attodollars, about 4.25 × 10¹⁹ USD
    /// (42,535,295,865,117,307,932.921825928971026431).
    public static let maxTotal = Money(attodollars: Int128.max / 4)

    /// `sum + |amount|`, or nil when that passes ``maxTotal``.
    static func adding(magnitudeOf amount: Int128, to sum: Int128) -> Int128? {
        let (next, overflow) = sum.addingReportingOverflow(Int128(clamping: amount.magnitude))
        guard !overflow, next <= maxTotal.attodollars else { return nil }
        return next
    }

    /// The error for a sum (`what`) that passes its bound at `file`: ``maxTotal`` for money, `Int64.max` for
    /// token counts.
    static func overflow(_ what: String, file: String) -> CostAuditError {
        let bound = what.contains("tokens") ? "\(Int64.max) tokens" : "\(maxTotal.formatted()) USD"
        return CostAuditError(
            .invalidLedger,
            file: file,
            reason: "\(what) passes the largest total the audit supports (\(bound)); no real ledger holds this much"
        )
    }

    /// Running sums of the usage side, checked file by file as the exports are read.
    struct UsageBound {
        var priced: Int128 = 0
        var billed: Int128 = 0

        /// Adds the rows `exports` gained from `file` (usage rows from `usageFrom`, cost rows from `costFrom`).
        mutating func add(
            _ exports: UsageExports,
            usageFrom: Int,
            costFrom: Int,
            file: String,
            pricing: any AuditPricing
        ) throws(CostAuditError) {
            for row in exports.usageRows[usageFrom...] {
                guard let model = row.model,
                    let quote = pricing.auditQuote(
                        provider: row.provider,
                        model: model,
                        serviceTier: row.serviceTier,
                        usage: row.usage,
                        on: UTCTimestamp(nanosecondsSinceEpoch: row.start)
                    )
                else { continue }
                guard let next = AuditSums.adding(magnitudeOf: quote.cost.attodollars, to: priced) else {
                    throw CostAuditError(
                        .invalidUsageExport,
                        file: file,
                        reason: "the priced usage passes the largest total the audit supports "
                            + "(\(maxTotal.formatted()) USD)"
                    )
                }
                priced = next
            }
            for row in exports.costRows[costFrom...] {
                guard let next = AuditSums.adding(magnitudeOf: row.amount.attodollars, to: billed) else {
                    throw CostAuditError(
                        .invalidUsageExport,
                        file: file,
                        reason: "the billed amounts pass the largest total the audit supports "
                            + "(\(maxTotal.formatted()) USD)"
                    )
                }
                billed = next
            }
        }
    }
}
