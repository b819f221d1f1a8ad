import Attribution
import CostLedger
import Testing

@testable import CostAudit

@Suite("Deduplication whatever order the rows were stored in")
struct DedupeRowOrderTests {
    @Test("copies with equal ts in one file: the lower line counts even when its row was stored after the other")
    func lowerLineWhateverTheRowOrder() throws {
        // Readers on several threads each keep their own table, and the store is their tables one after the
        // other: a later piece of a file can be stored before an earlier one. So the tie-break by line is
        // needed, and cannot be left to the order rows arrive in.
        let early = call("dup", input: 100)  // line 1
        let other = call("other", input: 100)  // line 2
        let late = call("dup", input: 200)  // line 3: same id and ts, other bytes
        let records = [early, other, late]
        let source = AuditLedgerSource.recordFiles([("ledger/a.jsonl", records)])
        let (ingested, _) = try AuditPhaseTests.ingest(source)
        let fields = IngestPhase.trackedFields(required: AttributionField.business, rules: .empty)
        var table = LedgerTable(fields: fields)
        // The rows as two readers may leave them: line 3's reader's table first, then line 1's.
        for line in [2, 1, 0] {
            table.add(records[line], file: 0, position: Int64(line), pricing: TestPrices())
        }
        let store = RecordStore(parts: [table], fields: fields, pricing: TestPrices())
        for workers in [1, 2, 3] {
            let deduped = DedupePhase.run(
                DedupePhase.Input(
                    store: store,
                    fileNames: ["ledger/a.jsonl"],
                    ledger: source,
                    readPaths: ingested.readPaths,
                    workers: workers
                )
            )
            // Rows: line 3, line 2, line 1. Line 1's copy counts, line 3's is a duplicate and a conflict.
            #expect(deduped.alive == [false, true, true])
            #expect(deduped.duplicates == 1)
            #expect(deduped.recordIDConflicts == 1)
        }
    }
}
