import CostLedger

/// What the ledger holds of one (UTC day, provider, model) beyond what the price table priced: records priced
/// from their stored `cost_usd` and records with no price. Rare, so kept in a dictionary per worker.
struct LedgerRateSide {
    var fromRecordDollars: Int128 = 0
    var fromRecordTokens: Int64 = 0
    var fromRecordRecords = 0
    var unpricedTokens: Int64 = 0
    var unpricedRecords = 0

    mutating func add(_ other: LedgerRateSide) {
        fromRecordDollars &+= other.fromRecordDollars
        fromRecordTokens &+= other.fromRecordTokens
        fromRecordRecords &+= other.fromRecordRecords
        unpricedTokens &+= other.unpricedTokens
        unpricedRecords &+= other.unpricedRecords
    }
}

/// Both sides of one (UTC day, provider, model) the usage covers, as the capture rate compares them.
struct RateCellSides {
    /// Recorded dollars the price table priced.
    var ledgerPricedDollars: Int128 = 0
    var ledger = LedgerRateSide()
    var usagePricedDollars: Int128 = 0
    var usagePricedTokens: Int64 = 0
    var usagePricedRows = 0
    var usageUnpricedTokens: Int64 = 0
    var usageUnpricedRows = 0

    /// Every record and every usage row of the cell was priced by the table: the two sides can be compared.
    var isPricedOnBothSides: Bool {
        ledger.fromRecordRecords == 0 && ledger.unpricedRecords == 0 && usageUnpricedRows == 0
    }

    var recordedDollars: Int128 { ledgerPricedDollars &+ ledger.fromRecordDollars }

    mutating func add(_ other: RateCellSides) {
        ledgerPricedDollars &+= other.ledgerPricedDollars
        ledger.add(other.ledger)
        usagePricedDollars &+= other.usagePricedDollars
        usagePricedTokens &+= other.usagePricedTokens
        usagePricedRows &+= other.usagePricedRows
        usageUnpricedTokens &+= other.usageUnpricedTokens
        usageUnpricedRows &+= other.usageUnpricedRows
    }
}

/// Usage rows the price table could not price, by why: the reasons of the "nothing could be priced" warning.
struct UnpricedUsage {
    /// Rows with no model (an export not grouped by model), per provider: the UTC days and tokens.
    var modelless: [String: (days: Set<Int64>, tokens: Int64)] = [:]
    /// `provider/model` of models the table lacks.
    var unknownModels: Set<String> = []
    /// `provider/model` of known models whose tier or token classes the table does not price.
    var unpricedTiers: Set<String> = []
    var tokens: Int64 = 0
    var rows = 0
}

/// The capture rate's figures: recorded ÷ priced usage over the cells both sides cover, what was left out and
/// why.
struct CaptureFigures {
    var rateRecorded: Int128 = 0
    var rateUsage: Int128 = 0
    var recordedOutside: Int128 = 0
    var recordedExcluded: Int128 = 0
    var usageExcluded: Int128 = 0
    var warnings: [String] = []
}

extension ReconcilePhase {
    /// Splits recorded and priced usage spend on the days and providers the usage covers into what the capture
    /// rate compares (cells of models priced on both sides) and what it leaves out, and writes a warning for
    /// every model priced on one side only and for usage of which nothing could be priced.
    ///
    /// - Parameters:
    ///   - cells: both sides per (day, provider, model), key 0.
    ///   - recordedOutside: recorded spend on days or providers the usage does not cover.
    ///   - unpriced: the usage rows the table could not price.
    ///   - strings: the interned providers and models.
    static func captureFigures(
        cells: [ReconcileCell: RateCellSides],
        recordedOutside: Int128,
        unpriced: UnpricedUsage,
        strings: Interner
    ) -> CaptureFigures {
        var figures = CaptureFigures(recordedOutside: recordedOutside)
        // (day, provider) pairs with usage rows that carry no model: no cell of theirs can be compared.
        var modellessDays: Set<UInt64> = []
        var modellessRecorded: [String: Int128] = [:]
        for (provider, entry) in unpriced.modelless {
            guard let id = strings.existingID(provider) else { continue }
            for day in entry.days { modellessDays.insert(Self.dayProvider(day, id)) }
        }
        var oneSided: [ReconcileCell: RateCellSides] = [:]
        for (cell, sides) in cells {
            if modellessDays.contains(Self.dayProvider(cell.day, cell.provider)) {
                figures.recordedExcluded &+= sides.recordedDollars
                figures.usageExcluded &+= sides.usagePricedDollars
                modellessRecorded[strings[cell.provider], default: 0] &+= sides.recordedDollars
            } else if sides.isPricedOnBothSides {
                figures.rateRecorded &+= sides.ledgerPricedDollars
                figures.rateUsage &+= sides.usagePricedDollars
            } else {
                figures.recordedExcluded &+= sides.recordedDollars
                figures.usageExcluded &+= sides.usagePricedDollars
                let pricedSomewhere =
                    sides.recordedDollars != 0 || sides.ledger.fromRecordRecords > 0
                    || sides.usagePricedRows > 0
                if pricedSomewhere && cell.model != 0 {
                    oneSided[
                        ReconcileCell(day: 0, provider: cell.provider, model: cell.model, key: 0),
                        default: .init()
                    ]
                    .add(sides)
                }
            }
        }

        if figures.rateRecorded > figures.rateUsage {
            let recorded = "$" + Money(attodollars: figures.rateRecorded).formatted()
            // Above 100% as the rate is shown (6 decimals): an excess below that shows as exactly 100%.
            let rate = AuditShare(Money(attodollars: figures.rateRecorded), of: Money(attodollars: figures.rateUsage))
            if figures.rateUsage == 0 {
                figures.warnings.append(
                    "capture rate undefined (shown as 0%): the ledger records \(recorded) on days, providers and "
                        + "models the usage covers, and the usage prices none of it"
                )
            } else if rate.millionths > 1_000_000 {
                figures.warnings.append(
                    "capture rate \(rate.percent) is above 100%: the ledger records \(recorded) where the priced "
                        + "usage of the same days, providers and models is $"
                        + Money(attodollars: figures.rateUsage).formatted()
                        + "; look for calls recorded twice under different record ids, usage exports missing pages "
                        + "or keys, or prices above the provider's"
                )
            }
        }
        if unpriced.rows > 0, cells.values.allSatisfy({ $0.usagePricedRows == 0 }) {
            var reasons: [String] = []
            let modellessTokens = unpriced.modelless.values.reduce(Int64(0)) { $0 &+ $1.tokens }
            if !unpriced.modelless.isEmpty {
                reasons.append("rows with no model (\(modellessTokens) tokens; export the usage grouped by model)")
            }
            if !unpriced.unknownModels.isEmpty {
                reasons.append("models the price table lacks: " + Self.listed(unpriced.unknownModels))
            }
            if !unpriced.unpricedTiers.isEmpty {
                reasons.append(
                    "models whose service tier or token classes the price table does not price: "
                        + Self.listed(unpriced.unpricedTiers)
                )
            }
            figures.warnings.append(
                "none of the provider usage could be priced (\(unpriced.tokens) tokens): "
                    + reasons.joined(separator: "; ") + "; the capture rate compares no spend"
            )
        }
        for provider in unpriced.modelless.keys.sorted(by: Self.bytewise) {
            guard let entry = unpriced.modelless[provider] else { continue }
            let days = entry.days.count
            figures.warnings.append(
                "\(provider) usage on \(days) day\(days == 1 ? "" : "s") has rows with no model (\(entry.tokens) "
                    + "tokens), which cannot be priced: export the usage grouped by model; $"
                    + Money(attodollars: modellessRecorded[provider] ?? 0).formatted()
                    + " recorded on those days is left out of the capture rate"
            )
        }
        let named = oneSided.map { ("\(strings[$0.key.provider])/\(strings[$0.key.model])", $0.value) }
        for (name, sides) in named.sorted(by: { Self.bytewise($0.0, $1.0) }) {
            figures.warnings.append(Self.oneSidedWarning(name, sides))
        }
        return figures
    }

    /// The warning for a model whose records or usage the price table could not all price.
    static func oneSidedWarning(_ name: String, _ sides: RateCellSides) -> String {
        let ledgerPriced = sides.recordedDollars != 0 || sides.ledger.fromRecordRecords > 0
        let usagePriced = sides.usagePricedRows > 0
        let headline: String
        if ledgerPriced && !usagePriced {
            headline = "priced in the ledger only"
        } else if usagePriced && !ledgerPriced {
            headline = "priced in the usage only"
        } else {
            headline = "partly unpriced"
        }
        var ledger: [String] = []
        if sides.ledgerPricedDollars != 0 {
            ledger.append("prices $\(Money(attodollars: sides.ledgerPricedDollars).formatted()) of it with the table")
        }
        if sides.ledger.fromRecordRecords > 0 {
            ledger.append(
                "prices \(sides.ledger.fromRecordTokens) tokens at $"
                    + Money(attodollars: sides.ledger.fromRecordDollars).formatted()
                    + " from their stored cost_usd (the price table lacks the model)"
            )
        }
        if sides.ledger.unpricedRecords > 0 {
            ledger.append("has \(sides.ledger.unpricedTokens) tokens the price table cannot price")
        }
        if ledger.isEmpty { ledger.append("has no record of it") }
        var usage: [String] = []
        if sides.usagePricedRows > 0 {
            usage.append(
                "prices \(sides.usagePricedTokens) tokens at $"
                    + Money(attodollars: sides.usagePricedDollars).formatted()
            )
        }
        if sides.usageUnpricedRows > 0 {
            usage.append("has \(sides.usageUnpricedTokens) tokens the price table cannot price")
        }
        if usage.isEmpty { usage.append("has no row of it") }
        return "\(name) is \(headline), so it is left out of the capture rate: the ledger "
            + ledger.joined(separator: " and ") + "; the usage " + usage.joined(separator: " and ")
    }

    /// Up to five names, bytewise, then how many more.
    static func listed(_ names: Set<String>) -> String {
        let sorted = names.sorted(by: bytewise)
        let shown = sorted.prefix(5).joined(separator: ", ")
        return sorted.count > 5 ? shown + " and \(sorted.count - 5) more" : shown
    }

    static func bytewise(_ a: String, _ b: String) -> Bool {
        Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }
}
