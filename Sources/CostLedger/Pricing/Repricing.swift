extension PriceTable {
    /// `record` priced by this table: `cost_usd` and `price_source` set from its tokens, or both cleared when
    /// this table cannot price it. Everything else is kept, so re-pricing a stored ledger with a corrected
    /// table fixes its history.
    /// - Parameter record: a stored record.
    /// - Returns: the record with this table's price.
    public func repriced(_ record: CostRecord) -> CostRecord {
        var copy = record
        if let quote = quote(for: record) {
            copy.costUSD = quote.cost
            copy.priceSource = quote.priceSource
        } else {
            copy.costUSD = nil
            copy.priceSource = nil
        }
        return copy
    }

    /// This table with `overlay` laid over it: the overlay's prices win, the rest of this table stays.
    ///
    /// For each model and service tier the overlay prices, its prices apply from their earliest
    /// `effective_from` on (from the beginning when undated); earlier days keep this table's prices, so a
    /// file that starts on a date does not re-price the past. An overlay price for the tier `*` replaces
    /// every tier of the model from its date. A name the overlay spells with or without the `provider/`
    /// prefix (`openai/gpt-4.1` for `gpt-4.1`) replaces this table's entry for it too.
    ///
    /// ```swift
    /// let prices = PriceTable.builtIn.overlaying(try PriceTable(contentsOfFile: "litellm.json"))
    /// ```
    /// - Parameter overlay: the table whose prices win.
    /// - Returns: the merged table; its ``source`` names both, and each quote names the table it used.
    public func overlaying(_ overlay: PriceTable) -> PriceTable {
        var models: [String: ModelEntry] = [:]
        for (i, name) in names.enumerated() { models[name] = entries[i] }
        // Exact names first, so that a base entry spelled exactly by the overlay is merged with that entry.
        var mergedBaseNames: Set<String> = []
        for (i, name) in overlay.names.enumerated() {
            let top = overlay.entries[i]
            if let base = models[name], index[name] != nil {
                models[name] = Self.merge(base: base, overlay: top)
                mergedBaseNames.insert(name)
            } else {
                models[name] = top
            }
        }
        for (i, name) in overlay.names.enumerated() where index[name] == nil {
            let top = overlay.entries[i]
            var aliases: [String] = []
            if let unprefixed = ModelNameMatching.withoutProviderPrefix(name) { aliases.append(unprefixed) }
            if let provider = top.provider, ModelNameMatching.providerPrefix(name) == nil {
                aliases.append(provider + "/" + name)
            }
            for alias in aliases where !mergedBaseNames.contains(alias) && overlay.index[alias] == nil {
                guard let baseIndex = index[alias] else { continue }
                let merged = Self.merge(base: entries[baseIndex], overlay: top)
                models[alias] = merged
                models[name] = merged
                mergedBaseNames.insert(alias)
            }
        }
        let combinedSource = overlay.source == source ? source : overlay.source + "+" + source
        return PriceTable(source: combinedSource, isBuiltIn: false, models: models)
    }

    static func merge(base: ModelEntry, overlay: ModelEntry) -> ModelEntry {
        var tiers = base.tiers
        func before(_ periods: [PricePeriod]?, _ cutoff: Int64) -> [PricePeriod] {
            (periods ?? []).filter { $0.fromDay < cutoff }
        }
        for (tier, periods) in overlay.tiers {
            guard let cutoff = periods.first?.fromDay else { continue }
            tiers[tier] = before(base.tiers[tier] ?? base.tiers[anyTier], cutoff) + periods
            if tier == anyTier {
                for (baseTier, basePeriods) in base.tiers where baseTier != anyTier && overlay.tiers[baseTier] == nil {
                    tiers[baseTier] = before(basePeriods, cutoff) + periods
                }
            }
        }
        return ModelEntry(provider: overlay.provider ?? base.provider, tiers: tiers)
    }
}
