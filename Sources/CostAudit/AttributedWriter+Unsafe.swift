import Attribution
import CostLedger

// `--emit-attributed`'s and ``AttributedAudit``'s second reading of the ledger, over the line buffers the reader
// lends.
//
// What keeps it safe: a line's buffer is the reader's (``LedgerReader/scanLines(_:range:identity:stats:lineAt:)``),
// valid only during the callback, and is used only there, by the decoder, which copies what it keeps into the
// record it returns.

extension AttributedWriter {
    /// Calls `body` with every deduplicated, classified record in the window, in the ledger's order (file by
    /// file, line by line), its required fields filled where its class allows, and its row. The engine must have
    /// kept the filled values (``AuditEngine/run(_:required:fields:keepFilledValues:progress:)``).
    static func forEachRecord(
        engine: AuditEngine,
        ledger: AuditLedgerSource,
        fields: [AttributionField],
        _ body: (CostRecord, Int) throws(CostAuditError) -> Void
    ) throws(CostAuditError) {
        let fileRows = engine.ledger.fileRows
        let requiredFields = Array(fields.prefix(engine.required))
        func visit(_ record: CostRecord, row: Int) throws(CostAuditError) {
            guard engine.inWindow[row] else { return }
            guard engine.outcomes[row].classIndex < AttributionClass.all.count else { return }
            var filled = record
            for (f, field) in requiredFields.enumerated() {
                let value = engine.emitted[row * engine.required + f]
                if value != 0 { filled.attribution[field] = engine.table.strings[value] }
            }
            try body(filled, row)
        }
        switch ledger.storage {
        case .records(let files):
            for (fileIndex, file) in files.enumerated() {
                let rows = fileRows[fileIndex].first ?? 0..<0
                for (offset, record) in file.records.enumerated() where rows.lowerBound + offset < rows.upperBound {
                    let row = rows.lowerBound + offset
                    guard engine.alive[row] else { continue }
                    try visit(record, row: row)
                }
            }
        case .files:
            for (fileIndex, file) in engine.fileNames.enumerated() {
                // The file's rows in line order, piece after piece: a cursor walks them beside the lines.
                var rows = RowCursor(ranges: fileRows[fileIndex])
                var failure: CostAuditError?
                var stats = LedgerReadStats()
                // The bytes the audit read, from the same file (a pipe's copy for a pipe).
                let planned = fileIndex < engine.files.count ? engine.files[fileIndex] : nil
                do {
                    unsafe try LedgerReader.scanLines(
                        planned?.readPath ?? file,
                        range: planned.map { 0..<$0.size },
                        identity: planned?.identity,
                        stats: &stats
                    ) { line, number, offset, _ in
                        guard failure == nil else { return }
                        while let row = rows.current, engine.table[row].position < offset { rows.advance() }
                        guard let cursor = rows.current, engine.table[cursor].position == offset,
                            engine.alive[cursor]
                        else { return }
                        guard
                            case .record(let record) = unsafe CostRecord.decodeOutcome(
                                line,
                                file: file,
                                lineNumber: number
                            )
                        else { return }
                        do throws(CostAuditError) {
                            try visit(record, row: cursor)
                        } catch {
                            failure = error
                        }
                    }
                } catch let error as CostLedgerError {
                    throw CostAuditError(.invalidLedger, file: file, reason: "cannot read it again: \(error.reason)")
                } catch {
                    throw CostAuditError(.invalidLedger, file: file, reason: "cannot read it again: \(error)")
                }
                if let failure { throw failure }
            }
        }
    }
}
