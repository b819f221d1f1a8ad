@_spi(Fuzzing) public import Attribution

// The ledger line's and the price files' decoders under fuzzing (see AttributionFuzzing+Fuzzing.swift). Unsafe
// only where the fast scanner is handed the line: the array's buffer is lent for the duration of the call and
// read within its count, as in CostRecord+Decoding+Unsafe.swift.

/// The entry points of the fuzz targets for the ledger line and the price files.
@_spi(Fuzzing) public enum LedgerFuzzing {
    /// A ledger line: when the fast scanner reads a record, the strict decoder reads the same one; a record
    /// decoded by either validates, its ``CostRecord/jsonLine()`` decodes to it again (on both paths) and is
    /// written the same again.
    public static func ledgerLine(_ bytes: [UInt8]) -> FuzzVerdict {
        let (fast, strict) = unsafe bytes.withUnsafeBufferPointer { buffer in
            var fields = CostRecordFields()
            let fast = unsafe fields.scan(buffer) ? unsafe fields.makeRecord(buffer) : nil
            return unsafe (fast, CostRecord.decodeStrict(buffer, location: nil))
        }
        let record: CostRecord
        switch strict {
        case .record(let decoded):
            if let fast, fast != decoded {
                return .broken("the fast scanner read \(fast), the strict decoder \(decoded)")
            }
            record = decoded
        case .malformed, .invalid, .otherKind:
            if let fast { return .broken("the fast scanner read \(fast), the strict decoder refused: \(strict)") }
            return .rejected
        }
        guard (try? CostRecord.decode(line: bytes)) == record else {
            return .broken("CostRecord.decode(line:) does not give the strict decoder's \(record)")
        }
        do {
            try record.validate()
        } catch {
            return .broken("decoded \(record), which does not validate: \(error)")
        }
        let line = record.jsonLine()
        let again: CostRecord
        do {
            again = try CostRecord.decode(line: line)
        } catch {
            return .broken("the written line \(String(decoding: line, as: UTF8.self)) does not decode: \(error)")
        }
        guard again == record else {
            return .broken("the written line \(String(decoding: line, as: UTF8.self)) decodes as \(again)")
        }
        let strictAgain = unsafe line.withUnsafeBufferPointer { unsafe CostRecord.decodeStrict($0, location: nil) }
        guard case .record(let strictRecord) = strictAgain, strictRecord == record else {
            return .broken("the strict decoder reads the written line as \(strictAgain)")
        }
        guard again.jsonLine() == line else {
            return .broken("the line \(String(decoding: line, as: UTF8.self)) is not written the same twice")
        }
        return .accepted
    }

    /// A price file, the project's own format (`litellm` false) or LiteLLM's: the reader by content agrees
    /// with the format's own reader (same models, same prices, or both refuse); every price read lies in
    /// 0 … $1 per token; every model prices a call without trapping, at a cost of at least zero.
    public static func priceFile(_ bytes: [UInt8], litellm: Bool) -> FuzzVerdict {
        let direct = Result { () throws(CostLedgerError) in
            litellm ? try PriceTable(litellmJSON: bytes) : try PriceTable(priceFileJSON: bytes)
        }
        let byContent = Result { () throws(CostLedgerError) in try PriceTable(priceFileOrLiteLLMJSON: bytes) }
        // The reader by content takes a top-level object with a `models` object as the own format, anything
        // else as LiteLLM's: where it chose this format, it must read exactly what the format's reader reads.
        var ownFormat = false
        if case .object(let top)? = try? PriceTable.parseJSON(bytes) { ownFormat = top["models"]?.objectValue != nil }
        let sameFormat = ownFormat != litellm
        guard case .success(let table) = direct else {
            if sameFormat, case .success(let other) = byContent {
                return .broken("the format's reader refused, the reader by content read \(other.modelNames)")
            }
            return .rejected
        }
        if sameFormat {
            guard case .success(let other) = byContent, other.entries == table.entries, other.names == table.names,
                other.source == table.source
            else { return .broken("the reader by content reads \(byContent), the format's reader \(table.names)") }
        }
        for (name, entry) in zip(table.names, table.entries) {
            for (tier, periods) in entry.tiers {
                for period in periods {
                    for band in period.bands {
                        let rates = band.rates
                        for rate in [
                            rates.input, rates.output, rates.cachedInput, rates.cacheWrite, rates.cacheWrite1h,
                        ] {
                            if let rate, rate < 0 || rate > TokenRates.maximumPerToken {
                                return .broken("\(name) tier \(tier) has a price of \(rate) attodollars per token")
                            }
                        }
                        if band.aboveInputTokens < 0 {
                            return .broken("\(name) tier \(tier) has a band above \(band.aboveInputTokens) tokens")
                        }
                    }
                }
            }
        }
        let usage = TokenUsage(input: 3_000_000, output: 1_000_000, cachedInput: 1_000_000, cacheWrite: 500_000)
        let day = UTCTimestamp(nanosecondsSinceEpoch: 1_780_000_000_000_000_000)
        for name in table.names.prefix(64) {
            for tier in [nil, "batch", "priority"] {
                if let quote = table.quote(provider: nil, model: name, serviceTier: tier, usage: usage, on: day),
                    quote.cost.attodollars < 0
                {
                    return .broken("\(name) quotes \(quote.cost) for a call")
                }
            }
        }
        return .accepted
    }
}
