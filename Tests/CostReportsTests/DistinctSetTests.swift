import Testing

@testable import CostReports

/// The reports' set of distinct tasks and users (tasks per group, active users per hour): exact counts through
/// growth and unions, whatever the order of insertion.
@Suite("DistinctSet: the distinct tasks and users a report counts")
struct DistinctSetTests {
    @Test(
        "counts each task once through growth, tells a lineage from a task number of the same value, and skips no task"
    )
    func tasks() {
        var set = DistinctSet()
        // 10,000 lineages inserted twice (the second time in reverse), then task numbers 1 … 10,000, whose values
        // equal the first 10,000 lineages but are other tasks: 20,000 tasks.
        var inserted = 0
        for value in 1...10_000 where set.insert(TaskID(lineage: UInt64(value), named: 0)) { inserted += 1 }
        for value in (1...10_000).reversed() where set.insert(TaskID(lineage: UInt64(value), named: 0)) {
            inserted += 1
        }
        #expect(inserted == 10_000)
        for value in 1...10_000 { set.insert(TaskID(lineage: 0, named: UInt32(value))) }
        #expect(set.count == 20_000)
        // No task (spend the bill holds and no record carries) is no key.
        let none = set.insert(TaskID.none)
        #expect(!none)
        #expect(set.count == 20_000)
    }

    @Test("a union counts a key held by both sets once")
    func union() {
        // Users 1 … 600 and users 401 … 1,000: 1,000 distinct users; user 0 (no user) is not counted.
        var a = DistinctSet()
        var b = DistinctSet()
        for user in Int32(0)...600 { a.insert(user) }
        for user in Int32(401)...1_000 { b.insert(user) }
        #expect(a.count == 600)
        a.formUnion(b)
        #expect(a.count == 1_000)
        #expect(!a.isEmpty)
        #expect(DistinctSet().isEmpty)
    }
}
