import Attribution
import CostAudit
import CostLedger
import Testing

@testable import CostReports

/// The alert scans and the dashboard read each block of rows once (`RowBlock`): a field read a column at a time
/// must be the field read row by row, in blocks that start and end anywhere, across the records the audit keeps
/// and the rows given as values (spend the bill holds and no record carries).
@Suite("row blocks: a field read a block at a time is the field read row by row")
struct RowBlockTests {
    @Test("every field of every block of 1, 2, 3 or 1,024 rows, and each row's hour and day")
    func blocksMatchRows() throws {
        let data = try ReportSumsTests().billed()
        // Records a, b, c, d, then the unrecorded spend of the bill's gaps.
        #expect(data.count > 4)
        #expect((0..<data.count).contains { data.isDayOnly(at: $0) })
        let dimensions = (0..<ReportDimension.fieldNames.count).map { ReportDimension(field: $0) }
        for size in [1, 2, 3, 1_024] {
            var block = RowBlock(reading: dimensions)
            var start = 0
            while start < data.count {
                block.read(data, rows: start..<min(data.count, start + size))
                for dimension in dimensions {
                    let expected = block.rows.map { data.fieldID(dimension, at: $0) ?? 0 }
                    #expect(block.ids(dimension) == expected, "\(dimension) of rows \(block.rows)")
                }
                for (offset, row) in block.rows.enumerated() {
                    let time = data.time(at: row).nanosecondsSinceEpoch
                    #expect(block.hours[offset] == ReportPeriod.floorDiv(time, ReportPeriod.nanosecondsPerHour))
                    #expect(block.days[offset] == ReportPeriod.floorDiv(time, ReportPeriod.nanosecondsPerDay))
                }
                start = block.rows.upperBound
            }
        }
        // The team the key map gives the bill's gap on key_a is read in place of none.
        var block = RowBlock(reading: [.team])
        block.read(data, rows: 0..<data.count)
        #expect(block.ids(.team).contains(data.stringID("platform") ?? -1))
        #expect(block.ids(.feature).isEmpty)
    }
}
