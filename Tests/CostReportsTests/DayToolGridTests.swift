import Testing

@testable import CostReports

/// The tool_share scan's dense sums: days by arithmetic, tools by a slot of their id, drained into the
/// dictionaries the detector evaluates exactly as per-row dictionary updates would fill them.
@Suite("DayToolGrid: the tool_share scan's sums by day and tool")
struct DayToolGridTests {
    let day = ReportPeriod.nanosecondsPerDay
    let from: Int64 = 20_000 * ReportPeriod.nanosecondsPerDay

    @Test("a row's day is found by arithmetic; rows outside the days have none")
    func days() {
        let grid = DayToolGrid(from: from, days: 3)
        #expect(grid.day(from) == 0)
        #expect(grid.day(from + day - 1) == 0)
        #expect(grid.day(from + 2 * day + 5) == 2)
        #expect(grid.day(from + 3 * day) == nil)
        #expect(grid.day(from - 1) == nil)
        #expect(grid.day(.min) == nil)
        #expect(DayToolGrid(from: 0, days: 0).day(0) == nil)
    }

    @Test("drained sums add up per day and per tool and day; a zero row keeps its entry; no tool is no entry")
    func drain() {
        var grid = DayToolGrid(from: from, days: 3)
        grid.slots = DenseIDSlots(idLimit: 10)
        grid.add(day: 0, tool: 4, 100)
        grid.add(day: 0, tool: 4, 20)
        grid.add(day: 0, tool: 7, 3)
        grid.add(day: 2, tool: 0, 50)
        grid.add(day: 2, tool: 7, 0)
        // An id beyond the slots (none are expected) is summed as well.
        grid.add(day: 1, tool: 99, 8)
        var total: [Int64: Int128] = [from + 2 * day: 1]
        var spend: [ToolShareScan.Key: Int128] = [:]
        grid.drain(total: &total, toolSpend: &spend)
        #expect(total == [from: 123, from + day: 8, from + 2 * day: 51])
        typealias Key = ToolShareScan.Key
        #expect(
            spend == [
                Key(tool: 4, day: from): 120, Key(tool: 7, day: from): 3, Key(tool: 7, day: from + 2 * day): 0,
                Key(tool: 99, day: from + day): 8,
            ]
        )
        // Drained, the grid is empty: a second drain adds only the rows added since.
        grid.add(day: 1, tool: 4, 5)
        grid.drain(total: &total, toolSpend: &spend)
        #expect(total == [from: 123, from + day: 13, from + 2 * day: 51])
        #expect(spend[Key(tool: 4, day: from + day)] == 5)
        #expect(spend.count == 5)
    }

    @Test("kept rows without a tool are tool 0; merged grids add up; each day's cells go to its ISO week")
    func mergedIntoWeeks() {
        // Day 20,000 after the epoch is a Friday: the grid's days 0-2 are one ISO week, day 3 the next.
        var grid = DayToolGrid(from: from, days: 4, keepingNoTool: true)
        grid.slots = DenseIDSlots(idLimit: 10)
        grid.add(day: 0, tool: 0, 10)
        grid.add(day: 3, tool: 4, 5)
        // Another share's grid, whose slots are found by dictionary (no id limit), with a zero row.
        var other = DayToolGrid(from: from, days: 4, keepingNoTool: true)
        other.add(day: 0, tool: 4, 2)
        other.add(day: 2, tool: 0, 0)
        other.add(day: 3, tool: 0, 1)
        grid.merge(other)
        var sums = ToolsReport.WeekToolSums(idLimit: 10)
        grid.addWeeks(to: &sums)
        let firstWeek = from - 4 * day
        let secondWeek = from + 3 * day
        #expect(sums.weekTotals.mapValues(\.usd) == [firstWeek: 12, secondWeek: 6])
        #expect(sums.weekTotals.values.allSatisfy { $0.unrecorded == 0 })
        let spend = Dictionary(
            uniqueKeysWithValues: sums.toolSpend.map { ("\($0.week == firstWeek ? 1 : 2)/\($0.tool)", $0.usd) }
        )
        #expect(spend == ["1/0": 10, "1/4": 2, "2/4": 5, "2/0": 1])
        #expect(sums.total == 18)
    }
}
