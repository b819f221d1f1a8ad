import Attribution
import CostAudit
import CostLedger
import Testing

@testable import CostReports

/// The alert scans' cells laid out by period (`PeriodicCells`): each period the rule reads has a position on a
/// grid of hours or days, a row outside them is not counted, and rows in any order give the same cells.
@Suite("periodic cells: the alert scans' sums on a grid of periods")
struct PeriodicCellsTests {
    let hour = ReportPeriod.nanosecondsPerHour
    let day = ReportPeriod.nanosecondsPerDay

    @Test("hourly periods 14:00 and 15:00 of 30 Nov and 14:00 of 29 Nov: positions on an hourly grid, others none")
    func hourlyGrid() throws {
        let evening = try instant("2026-11-30T14:00:00Z").nanosecondsSinceEpoch
        let needed: Set<Int64> = [evening, evening + hour, evening - day]
        let grid = PeriodicCells(period: .hour, needed: needed)
        // From 29 Nov 14:00 to 30 Nov 15:00: 26 hours on the grid, three of them read.
        #expect(grid.count == 26)
        #expect(grid.position(evening - day) == 0)
        #expect(grid.position(evening) == 24)
        #expect(grid.position(evening + hour) == 25)
        #expect(grid.position(evening - hour) == nil)  // on the grid, not read
        #expect(grid.position(evening + 2 * hour) == nil)  // past the grid
        #expect(grid.position(evening - 2 * day) == nil)  // before it
        #expect(grid.position(Int64.max) == nil)
        #expect(grid.position(Int64.min) == nil)
    }

    @Test("rows added in any order give the same cells, users counted once per cell, coverage by period")
    func anyOrder() throws {
        let start = try instant("2026-11-23T00:00:00Z").nanosecondsSinceEpoch
        let needed = Set((0..<8).map { start + Int64($0) * day })
        // (subject, day, dollars in attodollars, user): two subjects over three days, a user twice in one cell.
        let rows: [(Int32, Int64, Int128, Int32)] = [
            (7, 0, 100, 1), (7, 0, 50, 1), (7, 0, 25, 2), (9, 0, 10, 3), (9, 3, 5, 1), (7, 7, 1, 4), (7, 9, 1000, 5),
        ]
        func cells(_ order: [Int]) -> ([PeriodicRule.Key: (usd: Int128, users: Int)], Set<Int64>) {
            var grid = PeriodicCells(period: .day, needed: needed)
            for index in order {
                let (subject, offset, amount, user) = rows[index]
                guard let position = grid.position(start + offset * day) else { continue }
                grid.cover(position)
                grid.add(grid.cell(subject: subject, position: position), amount, calls: 1, user: user)
            }
            return (grid.sums.mapValues { ($0.usd, $0.members.count) }, grid.coveredStarts)
        }
        let (inOrder, covered) = cells(Array(rows.indices))
        #expect(inOrder.count == 4)  // day 9 is outside the grid
        #expect(inOrder[.init(subject: 7, start: start)]?.usd == 175)
        #expect(inOrder[.init(subject: 7, start: start)]?.users == 2)
        #expect(inOrder[.init(subject: 9, start: start + 3 * day)]?.usd == 5)
        #expect(covered == [start, start + 3 * day, start + 7 * day])
        let (reversed, coveredReversed) = cells(rows.indices.reversed())
        #expect(reversed.mapValues(\.usd) == inOrder.mapValues(\.usd))
        #expect(reversed.mapValues(\.users) == inOrder.mapValues(\.users))
        #expect(coveredReversed == covered)
    }
}
