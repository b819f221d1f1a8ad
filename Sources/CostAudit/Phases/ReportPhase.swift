import Attribution
import CostLedger

/// The report (docs/audit.md, "Output"): the classes with the unrecorded spend added, the reasons, the
/// missing fields, the top sources of unknown spend by name, and every count the earlier phases made.
enum ReportPhase {
    struct Input {
        /// What classification added up (``ClassifyPhase``).
        var totals: ClassTotals
        /// Reconciliation's figures and the strings every interned id names (``ReconcilePhase``).
        var reconciled: ReconcilePhase.Output
        /// ``DedupePhase``'s counts.
        var duplicates: Int
        var recordIDConflicts: Int
        /// ``LineagePhase``'s count.
        var lineageCycles: Int
        /// The ledger's counts of bytes, skipped lines, invalid records and skipped kinds.
        var store: RecordStore
        var skippedLineDetails: [SkippedLine]
        var duplicateUsageRows: Int
        var required: [AttributionField]
        var pricing: any AuditPricing
        var since: UTCTimestamp?
        var until: UTCTimestamp?
    }

    static func run(_ input: Input) -> AuditReport {
        let reconciled = input.reconciled
        var totals = input.totals
        totals.classDollars[3] &+= reconciled.unrecorded.keyAllocated
        totals.classDollars[4] &+= reconciled.unrecorded.unknown
        totals.reasonDollars[3] &+= reconciled.unrecorded.unknown
        for (model, amount) in reconciled.unrecorded.byModel.entries { totals.topSources[1].add(model, amount) }
        for (key, amount) in reconciled.unrecorded.byKey.entries { totals.topSources[2].add(key, amount) }

        let sawUsage = reconciled.sawUsage
        let capture = reconciled.capture
        let store = input.store
        var report = AuditReport(
            totalUSD: Money(attodollars: reconciled.pricedUsage &+ reconciled.notReconciled),
            recordedUSD: Money(attodollars: totals.recordedDollars),
            pricedUsageUSD: sawUsage ? Money(attodollars: reconciled.pricedUsage) : nil,
            billedUSD: reconciled.billed.map(Money.init(attodollars:)),
            pricingDifferenceUSD: reconciled.pricingDifference.map(Money.init(attodollars:)),
            rateRecordedUSD: sawUsage ? Money(attodollars: capture.rateRecorded) : nil,
            rateUsageUSD: sawUsage ? Money(attodollars: capture.rateUsage) : nil,
            recordedOutsideUsageUSD: Money(attodollars: capture.recordedOutside),
            recordedExcludedFromRateUSD: Money(attodollars: capture.recordedExcluded),
            usageExcludedFromRateUSD: Money(attodollars: capture.usageExcluded),
            warnings: capture.warnings,
            classes: classes(totals),
            unknownByReason: reasons(totals),
            unknownMissingFields: missingFields(totals, required: input.required),
            overRecordedUSD: Money(attodollars: reconciled.overRecorded),
            retryIdentityConflictUSD: Money(attodollars: totals.retryConflictDollars),
            records: totals.records,
            duplicates: input.duplicates,
            recordIDConflicts: input.recordIDConflicts,
            skippedLines: store.skippedLines,
            invalidRecords: store.invalidRecordCount,
            invalidRecordDetails: store.invalidRecords,
            skippedKinds: store.skippedKinds,
            unpricedRecords: totals.unpricedRecords,
            unpricedTokens: totals.unpricedTokens,
            unpricedUsageTokens: reconciled.unpricedUsageTokens,
            retryIdentityConflicts: totals.retryConflicts,
            lineageCycles: input.lineageCycles,
            pricedFromRecord: totals.pricedFromRecord,
            cachedTokensAtInputPrice: totals.cachedAtInputPrice,
            duplicateUsageRows: input.duplicateUsageRows,
            topUnknownSources: topSources(totals, strings: reconciled.strings, required: input.required),
            priceSource: input.pricing.source,
            priceTableIsBuiltIn: input.pricing.isBuiltIn,
            required: input.required,
            since: input.since,
            until: input.until,
            ledgerBytes: store.ledgerBytes
        )
        report.skippedLineDetails = input.skippedLineDetails
        return report
    }

    private static func classes(_ totals: ClassTotals) -> [AttributionClass: Money] {
        var classes: [AttributionClass: Money] = [:]
        for (index, attributionClass) in AttributionClass.all.enumerated() {
            classes[attributionClass] = Money(attodollars: totals.classDollars[index])
        }
        return classes
    }

    private static func reasons(_ totals: ClassTotals) -> [UnknownReason: Money] {
        var reasons: [UnknownReason: Money] = [:]
        for (index, reason) in UnknownReason.all.enumerated() {
            reasons[reason] = Money(attodollars: totals.reasonDollars[index])
        }
        return reasons
    }

    private static func missingFields(_ totals: ClassTotals, required: [AttributionField]) -> [String: Money] {
        var missingFields: [String: Money] = [:]
        for (index, field) in required.enumerated() {
            missingFields[field.name] = Money(attodollars: totals.missingFieldDollars[index])
        }
        return missingFields
    }

    /// The top sources of unknown spend: by agent, model, API key, task type, then missing field.
    private static func topSources(
        _ totals: ClassTotals,
        strings: Interner,
        required: [AttributionField]
    ) -> [UnknownSource] {
        var top: [UnknownSource] = []
        let names = UnknownSource.dimensions
        for dimension in 0..<4 {
            top.append(
                contentsOf: ranked(
                    totals.topSources[dimension].entries.map { (strings[$0.key], $0.value) },
                    dimension: names[dimension]
                )
            )
        }
        top.append(
            contentsOf: ranked(
                required.indices.map { (required[$0].name, totals.missingTop[$0]) },
                dimension: names[4]
            )
        )
        return top
    }

    /// The top values of one dimension: largest first, ties bytewise by value; only positive amounts.
    static func ranked(_ entries: [(String, Int128)], dimension: String) -> [UnknownSource] {
        entries.filter { $0.1 > 0 }
            .sorted { a, b in
                if a.1 != b.1 { return a.1 > b.1 }
                return Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8))
            }
            .prefix(UnknownSource.perDimension)
            .map { UnknownSource(dimension: dimension, value: $0.0, usd: Money(attodollars: $0.1)) }
    }
}
