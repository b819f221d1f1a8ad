import Attribution
import Foundation
import Testing

@testable import CostLedger

/// Found by the `LedgerLine` fuzz target (Fuzz/Regressions/LedgerLine/crash-253f2fc2…): a `ts` with more than
/// three fraction digits was kept to the nanosecond, while a line is written to the millisecond, so a record read
/// and written again read back as another record.
@Suite("Ledger timestamps are kept to the millisecond a line holds")
struct LedgerTimestampPrecisionTests {
    /// The fuzzer's input: a unit record whose `ts` has four fraction digits.
    static let line = Array(
        (#"{"v":1,"record_id":"unit:a4a8872a37a612a5","kind":"unit","ts":"2026-09-02T14:23:19.7892Z","#
            + #""trace_id":"9ea22c5b35cbe609a05a6c75c1b6da99","leaf_id":"a4a8872a37a612a5","#
            + #""root_id":"a4a8872a37a612a5","attempt":1,"team":"support"}"#).utf8
    )

    @Test("a ts with four fraction digits reads as its millisecond, and its written line reads back the same record")
    func subMillisecondTimestamp() throws {
        let record = try CostRecord.decode(line: Self.line)
        #expect(record.timestamp == UTCTimestamp(millisecondsSinceEpoch: 1_788_358_999_789))
        let written = record.jsonLine()
        #expect(String(decoding: written, as: UTF8.self).contains(#""ts":"2026-09-02T14:23:19.789Z""#))
        #expect(try CostRecord.decode(line: written) == record)
    }

    @Test("started_at with nine fraction digits, before 1970, reads as the millisecond at or before it")
    func subMillisecondStartedAt() throws {
        var text = String(decoding: Self.line, as: UTF8.self)
        text = text.replacingOccurrences(
            of: #""ts":"2026-09-02T14:23:19.7892Z""#,
            with: #""ts":"2026-09-02T14:23:19.789Z","started_at":"1969-12-31T23:59:59.999999999Z""#
        )
        let record = try CostRecord.decode(line: Array(text.utf8))
        #expect(record.startedAt == UTCTimestamp(millisecondsSinceEpoch: -1))
        #expect(try CostRecord.decode(line: record.jsonLine()) == record)
    }
}
