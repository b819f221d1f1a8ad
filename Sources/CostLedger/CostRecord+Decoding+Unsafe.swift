import Attribution

// Where ledger-line decoding meets raw memory: the entry points that take a line as an `UnsafeBufferPointer` (the
// reader's and the audit's chunk buffers lend their lines this way, without a copy) and hand it to the fast
// scanner or the strict decoder. What keeps it safe: a line is only read within its `count`, only during the
// call that lends it (every record field is copied out into Swift values before these return), and trimming
// the newline only shortens it.

extension CostRecord {
    /// Decodes one ledger line (with or without its trailing `\n`).
    ///
    /// Validates exactly as docs/ledger.md says: `v` = 1, `record_id` and `ts` required, `provider`, `model`,
    /// `input_tokens` and `output_tokens` required for calls, counts integers ≥ 0 with cached + cache-write ≤
    /// input and reasoning ≤ output, ids in lowercase hex, attribution values non-empty strings of at most 256
    /// bytes, `cost_usd` read exactly. Unknown keys are ignored. Timestamps are read with any offset.
    ///
    /// - Parameters:
    ///   - line: the line's UTF-8 bytes.
    ///   - file: the file the line came from, named in errors.
    ///   - lineNumber: the line's number in that file (1-based), named in errors.
    /// - Returns: the record.
    /// - Throws: ``CostLedgerError/Code/invalidRecord`` naming the field and the value (and `file:line` when
    ///   given), also when the line is not one JSON object or is of a kind this version does not read.
    public static func decode(
        line: some Collection<UInt8>,
        file: String? = nil,
        lineNumber: Int? = nil
    ) throws(CostLedgerError) -> CostRecord {
        let outcome: CostRecordLineOutcome
        if let direct = line.withContiguousStorageIfAvailable({
            unsafe decodeOutcome($0, file: file, lineNumber: lineNumber)
        }) {
            outcome = direct
        } else {
            outcome = unsafe Array(line).withUnsafeBufferPointer {
                unsafe decodeOutcome($0, file: file, lineNumber: lineNumber)
            }
        }
        switch outcome {
        case .record(let record): return record
        case .malformed(let error), .invalid(let error): throw error
        case .otherKind(let kind):
            throw CostLedgerError(
                .invalidRecord,
                field: LedgerKey.kind.name,
                reason: "\(AttributionError.quote(kind)) is not a kind this version reads (call, unit)"
                    + LineEncoding.suffix(LineEncoding.location(file, lineNumber))
            )
        }
    }

    /// Decodes one line into what a reader counts. The fast scanner first; the strict path when it declines.
    package static func decodeOutcome(
        _ line: UnsafeBufferPointer<UInt8>,
        file: String? = nil,
        lineNumber: Int? = nil
    ) -> CostRecordLineOutcome {
        let body = unsafe LineEncoding.trimNewline(line)
        var fields = CostRecordFields()
        if unsafe fields.scan(body), let record = unsafe fields.makeRecord(body) {
            return .record(record)
        }
        return unsafe decodeStrict(body, location: LineEncoding.location(file, lineNumber))
    }

    /// The reference decoder: parses with ``JSONParser`` and checks every rule, naming the field at fault.
    package static func decodeStrict(_ line: UnsafeBufferPointer<UInt8>, location: String?) -> CostRecordLineOutcome {
        unsafe decodeStrictBody(LineEncoding.trimNewline(line), location: location)
    }
}

extension LineEncoding {
    static func trimNewline(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let last = unsafe line.last, last == UInt8(ascii: "\n") else { return unsafe line }
        return unsafe UnsafeBufferPointer(rebasing: line[0..<(line.count - 1)])
    }
}
