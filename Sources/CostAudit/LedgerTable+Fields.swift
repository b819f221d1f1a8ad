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
        @inline(__always)
        func intern(_ key: Int) -> Int32 {
            fields.has(key) ? strings.id(bytes: bytes(key)) : 0
        }
        let idBytes = bytes(CostRecordKey.recordID)
        let idStart = idArena.count
        idArena.append(contentsOf: idBytes)
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
                let names = modelNames(modelKey)
                let tier = fields.has(CostRecordKey.serviceTier) ? tierName(intern(CostRecordKey.serviceTier)) : nil
                if let quote = pricing.auditQuote(
                    provider: names.provider,
                    model: names.model,
                    serviceTier: tier,
                    usage: usage,
                    on: UTCTimestamp(nanosecondsSinceEpoch: when)
                ) {
                    cost = quote.cost.attodollars
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
            idStart: idStart,
            line: lineNumber,
            file: file,
            attempt: fields.has(CostRecordKey.attempt) ? Int32(clamping: fields.attempt) : 1,
            modelKey: modelKey,
            apiKey: intern(CostRecordKey.apiKeyID),
            idHash: Self.hash(idBytes),
            idLength: UInt16(clamping: idBytes.count),
            isUnit: isUnit,
            pricing: outcome
        )
        row.cost = cost
        rows.append(row)
        for field in self.fields {
            values.append(intern(CostRecordKey.firstAttribution + field.order))
        }
    }
}
