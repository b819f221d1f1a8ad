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
        fingerprint: UInt64,
        pricing: any AuditPricing
    ) {
        guard let base = line.baseAddress else { return }
        @inline(__always)
        func bytes(_ key: Int) -> UnsafeBufferPointer<UInt8> {
            let range = fields.range(key)
            return UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        }
        /// Interned id of key `key`'s value; consecutive records mostly repeat a value, so the id of the last
        /// one is checked first.
        @inline(__always)
        func intern(_ key: Int) -> Int32 {
            guard fields.has(key) else { return 0 }
            let value = bytes(key)
            let last = lastInterned[key]
            if last != 0, strings.holds(last, value) { return last }
            let id = strings.id(bytes: value)
            lastInterned[key] = id
            return id
        }
        let id: (a: UInt64, b: UInt64, isHex: Bool)
        if fields.recordIDIsHex {
            id = (fields.recordIDHigh, fields.recordIDLow, true)
        } else {
            id = storeID(bytes(CostRecordKey.recordID))
        }
        let isUnit = fields.kind == .unit
        let when = (fields.startedAt ?? fields.timestamp).nanosecondsSinceEpoch
        var modelKey: Int32 = 0
        var cost: Int128 = 0
        var tokens: Int64 = 0
        var outcome = PricingOutcome.unpriced
        let usage = fields.usage
        if !isUnit {
            let provider = intern(CostRecordKey.provider)
            let model = intern(CostRecordKey.model)
            modelKey = self.modelKey(provider: provider, model: model, pricing: pricing)
            if provider != 0, model != 0 {
                let tier = intern(CostRecordKey.serviceTier)
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
            fingerprint: fingerprint,
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
            apiKey: intern(CostRecordKey.apiKeyID),
            idIsHex: id.isHex,
            isUnit: isUnit,
            pricing: outcome
        )
        row.cost = cost
        rows.append(row)
        for field in self.fields {
            values.append(intern(CostRecordKey.firstAttribution + field.order))
        }
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
        let index = Int(modelKey)
        while priceSlots.count <= index { priceSlots.append(PriceSlot()) }
        var slot = priceSlots[index]
        if !slot.filled || slot.tier != tier || slot.day != day {
            let names = modelNames(modelKey)
            let tierName = tier != 0 ? self.tierName(tier) : nil
            slot = PriceSlot(
                filled: true,
                tier: tier,
                day: day,
                prices: priceTable.resolvedPrices(
                    provider: names.provider,
                    model: names.model,
                    serviceTier: tierName,
                    day: day
                )
            )
            priceSlots[index] = slot
        }
        return slot.prices?.quote(usage)
    }
}

/// A model key's resolved prices for the last (tier, day) it was priced on.
struct PriceSlot {
    var filled = false
    var tier: Int32 = 0
    var day: Int64 = 0
    var prices: ResolvedPrices?
}
