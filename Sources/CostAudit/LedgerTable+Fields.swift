import Attribution
import CostLedger

extension LedgerTable {
    /// Adds one record from the ledger scanner's fields, without building a ``CostRecord``: strings are
    /// interned straight from the line's bytes. The caller has checked that the scan succeeded on an all-ASCII
    /// line with at most one tag (so the line is a valid record exactly as the strict decoder would read it).
    mutating func add(
        scanned fields: borrowing CostRecordFields,
        line: UnsafeBufferPointer<UInt8>,
        file: Int32,
        lineNumber: Int32,
        offset: Int64,
        pricing: any AuditPricing
    ) {
        guard let base = line.baseAddress else { return }
        let id: (a: UInt64, b: UInt64, isHex: Bool)
        if fields.recordIDIsHex {
            id = (fields.recordIDHigh, fields.recordIDLow, true)
        } else {
            let range = fields.range(CostRecordKey.recordID)
            id = storeID(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
        }
        let isUnit = fields.kind == .unit
        let when = (fields.startedAt ?? fields.timestamp).nanosecondsSinceEpoch
        var modelKey: Int32 = 0
        var cost: Int128 = 0
        var tokens: Int64 = 0
        var outcome = PricingOutcome.unpriced
        let usage = fields.usage
        if !isUnit {
            let provider = intern(fields, base, CostRecordKey.provider)
            let model = intern(fields, base, CostRecordKey.model)
            modelKey = self.modelKey(provider: provider, model: model, pricing: pricing)
            if provider != 0, model != 0 {
                let tier = intern(fields, base, CostRecordKey.serviceTier)
                if let quote = self.quote(modelKey: modelKey, tier: tier, usage: usage, when: when, pricing: pricing) {
                    cost = quote.attodollars
                    tokens = quote.cachedTokensAtInputPrice
                    outcome = .priced
                } else if models[Int(modelKey)].canonical == 0, fields.has(CostRecordKey.costUSD) {
                    cost = fields.costAttodollars
                    outcome = .fromRecord
                }
            }
            if outcome == .unpriced { tokens = usage.input &+ usage.output }
        }
        var row = RecordRow(
            offset: offset,
            ts: fields.timestamp.nanosecondsSinceEpoch,
            when: when,
            leaf: fields.has(CostRecordKey.leafID) ? fields.leaf : 0,
            parent: fields.has(CostRecordKey.parentID) ? fields.parent : 0,
            root: fields.has(CostRecordKey.rootID) ? fields.root : 0,
            costLow: 0,
            costHigh: 0,
            tokens: tokens,
            idA: id.a,
            idB: id.b,
            line: lineNumber,
            file: file,
            attempt: fields.has(CostRecordKey.attempt) ? Int32(clamping: fields.attempt) : 1,
            modelKey: modelKey,
            apiKey: intern(fields, base, CostRecordKey.apiKeyID),
            idIsHex: id.isHex,
            isUnit: isUnit,
            pricing: outcome
        )
        row.cost = cost
        rows.append(row)
        for key in fieldKeys { values.append(intern(fields, base, key)) }
    }

    /// The interned id of key `key`'s value in the scanned line at `base` (0 when absent). Consecutive records
    /// often repeat a value, so the id of the last one is checked first.
    @inline(__always)
    mutating func intern(_ fields: borrowing CostRecordFields, _ base: UnsafePointer<UInt8>, _ key: Int) -> Int32 {
        guard fields.has(key) else { return 0 }
        let range = fields.range(key)
        let value = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        let last = lastInterned[key]
        if last != 0, strings.holds(last, value) { return last }
        let id = strings.id(bytes: value)
        lastInterned[key] = id
        return id
    }

    /// The price of `usage` on model key `modelKey` in tier `tier` (interned; 0 for none) at `when`. With the
    /// project's own price table the model's prices for the day are resolved once per (model, tier, day) and
    /// kept; any other ``AuditPricing`` is asked each time.
    @inline(__always)
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
        }
        guard let priceTable else {
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
        // A direct-mapped cache of 256 (model, tier, day) entries, read in place.
        if priceSlots.isEmpty { priceSlots = [PriceSlot](repeating: PriceSlot(), count: 256) }
        var mix = UInt64(UInt32(bitPattern: modelKey)) &* 0x9E37_79B9_7F4A_7C15
        mix ^= UInt64(UInt32(bitPattern: tier)) &* 0xC2B2_AE3D_27D4_EB4F
        mix ^= UInt64(bitPattern: day) &* 0x1656_67B1_9E37_79F9
        let index = Int(truncatingIfNeeded: mix >> 56)
        if !priceSlots[index].filled || priceSlots[index].modelKey != modelKey || priceSlots[index].tier != tier
            || priceSlots[index].day != day
        {
            let names = modelNames(modelKey)
            let tierName = tier != 0 ? self.tierName(tier) : nil
            priceSlots[index] = PriceSlot(
                filled: true,
                modelKey: modelKey,
                tier: tier,
                day: day,
                prices: priceTable.resolvedPrices(
                    provider: names.provider,
                    model: names.model,
                    serviceTier: tierName,
                    day: day
                )
            )
        }
        return priceSlots[index].prices?.quote(usage)
    }
}

/// One entry of the price cache: a (model key, tier, day) and its resolved prices.
struct PriceSlot {
    var filled = false
    var modelKey: Int32 = 0
    var tier: Int32 = 0
    var day: Int64 = 0
    var prices: ResolvedPrices?
}
