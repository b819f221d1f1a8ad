import Attribution
import CostLedger
import Synchronization

// The audit's ingest loop: each line of a piece of a ledger file, lent by the reader as a buffer, scanned into
// the reader's table (or decoded by the strict path when the scanner declines it).
//
// What keeps it safe: a line's buffer is the reader's (``LedgerReader/scanLines(_:range:identity:stats:lineAt:)``),
// valid only during the callback, and is used only there: the scanner reads within the line's bounds, and
// the table and the decoder copy what they keep (interned values, record ids, the decoded record).

extension LedgerIngest {
    /// Adds `line` to `table` when the scanner reads it as a valid all-ASCII record with at most one tag;
    /// false, having added nothing, otherwise.
    static func scanAndAdd(
        _ scanned: inout CostRecordFields,
        _ line: UnsafeBufferPointer<UInt8>,
        into table: inout LedgerTable,
        file: Int32,
        offset: Int64,
        pricing: any AuditPricing
    ) -> Bool {
        guard unsafe scanned.scan(line), scanned.allASCII, scanned.tagCount <= 1 else { return false }
        table.add(scanned: &scanned, file: file, offset: offset, pricing: pricing)
        return true
    }

    /// Reads the lines of `bytes` of one ledger file into `table`, counting what it skips; returns the number
    /// of lines the range holds (so that line numbers, which count from the range's start, can be made the
    /// file's).
    static func readPiece(
        _ file: LedgerInputs.File,
        index: Int32,
        bytes: Range<Int64>,
        into table: inout LedgerTable,
        pricing: any AuditPricing,
        counters: ReadCounters,
        skipped: inout [SkippedLine]
    ) throws(CostAuditError) -> Int {
        let path = file.name
        var stats = LedgerReadStats()
        var sinceReport = 0
        var listed = 0
        var listedSkipped: [SkippedLine] = []
        let lines: Int
        do {
            var scanned = CostRecordFields()
            lines = unsafe try LedgerReader.scanLines(
                file.readPath,
                range: bytes,
                identity: file.identity,
                stats: &stats
            ) { line, number, offset, _ in
                if unsafe scanAndAdd(&scanned, line, into: &table, file: index, offset: offset, pricing: pricing) {
                    sinceReport += 1
                    if sinceReport == 65_536 {
                        counters.records.add(sinceReport, ordering: .relaxed)
                        sinceReport = 0
                    }
                    return
                }
                // No location in the reasons: a piece's line numbers become the file's only once every piece
                // before it is read (see ``readFiles``).
                switch unsafe CostRecord.decodeOutcome(line) {
                case .record(let record):
                    table.add(
                        record,
                        file: index,
                        position: offset,
                        pricing: pricing
                    )
                    sinceReport += 1
                case .malformed(let error):
                    table.skippedLines &+= 1
                    if listedSkipped.count < SkippedLine.maxListed {
                        listedSkipped.append(SkippedLine(file: path, line: number, reason: error.reason))
                    }
                case .invalid(let error):
                    table.invalidRecordCount &+= 1
                    // A piece lists at most as many as a report shows; the report takes the first in file order.
                    if listed < InvalidRecord.maxListed {
                        listed += 1
                        table.invalidRecords.append(
                            InvalidRecord(file: path, line: number, field: error.field, reason: error.reason)
                        )
                    }
                case .otherKind:
                    table.skippedKinds &+= 1
                }
            }
        } catch let error as CostLedgerError {
            // Unreadable, truncated or replaced while read: a bad input (docs/audit.md), named by its name.
            throw CostAuditError(.invalidLedger, file: path, reason: error.reason)
        } catch {
            throw CostAuditError(.invalidLedger, file: path, reason: "\(error)")
        }
        // Oversized lines are the splitter's, the others the decoder's: the first of both, in line order.
        for issue in stats.issues where issue.kind == .oversizedLine {
            listedSkipped.append(SkippedLine(file: path, line: issue.location.line, reason: issue.reason))
        }
        listedSkipped.sort { $0.line < $1.line }
        skipped.append(contentsOf: listedSkipped.prefix(SkippedLine.maxListed))
        counters.records.add(sinceReport, ordering: .relaxed)
        counters.bytes.add(stats.bytes, ordering: .relaxed)
        table.ledgerBytes &+= stats.bytes
        table.skippedLines &+= stats.skippedLines
        return lines
    }
}
