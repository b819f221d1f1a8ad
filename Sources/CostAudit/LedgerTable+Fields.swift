import Attribution
import CostLedger

extension LedgerTable {
    /// Adds the record the ledger scanner has just read (`line[key]`: the bytes of a key's value in the line
    /// it scanned), without building a ``CostRecord``: strings are interned straight from the line's bytes. The
    /// caller has checked that the scan succeeded on an all-ASCII line with at most one tag (so the line is a
    /// valid record exactly as the strict decoder would read it). `line` is only read; it is `inout` because a
    /// borrow of the reader's scanner copied its 300 bytes for every line.
    mutating func add(
        scanned line: inout CostRecordFields,
        file: Int32,
        offset: Int64,
        pricing: any AuditPricing
    ) {
        let id: (a: UInt64, b: UInt64, isHex: Bool)
        if line.recordIDIsHex {
            id = (line.recordIDHigh, line.recordIDLow, true)
        } else if let recordID = line[.recordID] {
            id = storeID(recordID)
        } else {
            return  // a scanned record always has its id
        }
        let isUnit = line.isUnit
        let when = (line.startedAt ?? line.timestamp).nanosecondsSinceEpoch
        var modelKey: Int32 = 0
        var cost: Int128 = 0
        var tokens: Int64 = 0
        var outcome = PricingOutcome.unpriced
        let usage = line.usage
        if !isUnit {
            let provider = intern(line[.provider])
            let model = intern(line[.model])
            modelKey = self.modelKey(provider: provider, model: model, pricing: pricing)
            if provider != 0, model != 0 {
                let tier = intern(line[.serviceTier])
                if let quote = self.quote(modelKey: modelKey, tier: tier, usage: usage, when: when, pricing: pricing) {
                    cost = quote.attodollars
                    tokens = quote.cachedTokensAtInputPrice
                    outcome = .priced
                } else if models[Int(modelKey)].canonical == 0, line.has(.costUSD) {
                    cost = line.costAttodollars
                    outcome = .fromRecord
                }
            }
            // Saturated at Int64.max (a count no real call reaches): the checked sums then report it.
            if outcome != .priced { tokens = Self.tokenSum(usage.input, usage.output) }
        }
        let row = makeRow(
            position: offset,
            ts: line.timestamp.nanosecondsSinceEpoch,
            when: when,
            leaf: line.leaf,
            parent: line.parent,
            root: line.root,
            cost: cost,
            tokens: tokens,
            id: id,
            file: file,
            attempt: line.attempt > 0 ? Int32(clamping: line.attempt) : 1,
            modelKey: modelKey,
            apiKey: intern(line[.apiKeyID]),
            isUnit: isUnit,
            pricing: outcome
        )
        rows.append(row)
        var current = InlineArray<10, Int32>(repeating: 0)
        for k in 0..<fieldKeyCount { current[k] = intern(line[fieldKeys[k]]) }
        appendValues(&current)
        if !reportColumns.isEmpty {
            if reportColumns.contains(.tokens) { appendUsage(usage) }
            if reportColumns.contains(.serviceTier) { rowTier.append(intern(line[.serviceTier])) }
            if reportColumns.contains(.tags) { rowTags.append(intern(line[.tags])) }
            if reportColumns.contains(.tool) { rowTool.append(intern(line[.tool])) }
            if reportColumns.contains(.promptVersion) { rowPromptVersion.append(intern(line[.promptVersion])) }
        }
    }

    /// The price of `usage` on model key `modelKey` in tier `tier` (interned; 0 for none) at `when`. With the
    /// project's own price table the model's prices for the day are resolved once per (model, tier, day) and
    /// kept; any other ``AuditPricing`` is asked each time.
    mutating func quote(
        modelKey: Int32,
        tier: Int32,
        usage: TokenUsage,
        when: Int64,
        pricing: any AuditPricing
    ) -> (attodollars: Int128, cachedTokensAtInputPrice: Int64)? {
        let day = UTCTimestamp(nanosecondsSinceEpoch: when).utcDay
        if !pricingChecked {
            priceTable = pricing as? PriceTable
            pricingChecked = true
            if priceTable != nil { priceSlots = [PriceSlot](repeating: PriceSlot(), count: 256) }
        }
        guard !priceSlots.isEmpty else {
            let names = modelNames(modelKey)
            let tierName = tier != 0 ? self.tierName(tier) : nil
            return pricing.auditQuote(
                provider: names.provider,
                model: names.model,
                serviceTier: tierName,
                usage: usage,
                on: UTCTimestamp(nanosecondsSinceEpoch: when)
            ).map { ($0.cost.attodollars, $0.cachedTokensAtInputPrice) }
        }
        // A direct-mapped cache of 256 (model, tier, day) entries, read in place: a hit touches only plain
        // values (no copy of the price table or of a period's strings and arrays).
        var mix = UInt64(UInt32(bitPattern: modelKey)) &* 0x9E37_79B9_7F4A_7C15
        mix ^= UInt64(UInt32(bitPattern: tier)) &* 0xC2B2_AE3D_27D4_EB4F
        mix ^= UInt64(bitPattern: day) &* 0x1656_67B1_9E37_79F9
        let index = Int(truncatingIfNeeded: mix >> 56)
        var lookup = lookUpPriceSlot(index, modelKey, tier, day, usage)
        if case .miss = lookup {
            fillPriceSlot(index, modelKey: modelKey, tier: tier, day: day)
            lookup = lookUpPriceSlot(index, modelKey, tier, day, usage)
        }
        switch lookup {
        case .quote(let quote): return quote
        case .banded(let position): return bandedPrices[position].quote(usage)
        case .miss: return nil
        }
    }

    /// Resolves (model key, tier, day) with the price table and keeps it in slot `index`.
    mutating func fillPriceSlot(_ index: Int, modelKey: Int32, tier: Int32, day: Int64) {
        let names = modelNames(modelKey)
        let tierName = tier != 0 ? self.tierName(tier) : nil
        let resolved = priceTable?.resolvedPrices(
            provider: names.provider,
            model: names.model,
            serviceTier: tierName,
            day: day
        )
        var slot = PriceSlot(filled: true, modelKey: modelKey, tier: tier, day: day)
        if let resolved {
            if let single = resolved.singleBand {
                slot.banded = PriceSlot.single
                slot.single = single
            } else {
                slot.banded = bandedPrices.count
                bandedPrices.append(resolved)
            }
        }
        priceSlots[index] = slot
    }
}

/// One entry of the price cache: a (model key, tier, day) and its resolved prices.
struct PriceSlot {
    /// ``banded`` when one band prices every call (``single``).
    static let single = -1
    /// ``banded`` when the table has no price.
    static let unpriced = -2

    var filled = false
    var modelKey: Int32 = 0
    var tier: Int32 = 0
    var day: Int64 = 0
    /// An index into the table's ``LedgerTable/bandedPrices`` for input-size bands, else ``single`` or
    /// ``unpriced``.
    var banded = PriceSlot.unpriced
    /// The prices when ``banded`` is ``single`` (a plain value beside the index rather than an enum payload,
    /// so that a hit reads it in place).
    var single = SingleBandPrices.free

    /// What a lookup gives.
    enum Lookup {
        /// The quote (nil: the table has no price for these tokens).
        case quote((attodollars: Int128, cachedTokensAtInputPrice: Int64)?)
        /// Banded prices, to be asked at this index of ``LedgerTable/bandedPrices``.
        case banded(Int)
        /// The slot holds another (model, tier, day).
        case miss
    }
}
