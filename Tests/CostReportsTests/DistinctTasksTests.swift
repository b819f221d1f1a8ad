import Testing

@testable import CostReports

/// The distinct tasks of a task type's day, as a list sorted when counted: exact counts whatever the order of
/// insertion and however often the list settled on its own, and unions that count a shared task once.
@Suite("DistinctTasks: the distinct tasks an alert counts")
struct DistinctTasksTests {
    func lineage(_ value: Int) -> TaskID { TaskID(lineage: UInt64(value), named: 0) }

    @Test("counts each task once across the list's own settling, and tells a lineage from a task number")
    func counts() {
        var tasks = DistinctTasks()
        #expect(tasks.isEmpty)
        #expect(tasks.count == 0)
        // 20,000 lineages in a scrambled order, each three times (the list settles on its own several times
        // meanwhile), then task numbers 1 … 500, whose values equal lineages already in: other tasks.
        for round in 0..<3 {
            for step in 0..<20_000 { tasks.insert(lineage((step &* 7_919 &+ round) % 20_000 + 1)) }
        }
        #expect(tasks.count == 20_000)
        for value in 1...500 { tasks.insert(TaskID(lineage: 0, named: UInt32(value))) }
        // Counted before and after settling.
        #expect(tasks.count == 20_500)
        tasks.settle()
        #expect(tasks.count == 20_500)
        // No task (spend the bill holds and no record carries) is not inserted.
        tasks.insert(.none)
        #expect(tasks.count == 20_500)
        #expect(!tasks.isEmpty)
    }

    @Test("a union counts a task held by both lists once, settled or not, in either order")
    func union() {
        var a = DistinctTasks()
        var b = DistinctTasks()
        for value in 1...6_000 { a.insert(lineage(value)) }
        for value in (4_001...10_000).reversed() { b.insert(lineage(value)) }
        b.insert(TaskID(lineage: 0, named: 9))
        var c = b
        c.formUnion(a)
        a.formUnion(b)
        #expect(a.count == 10_001)
        #expect(c.count == 10_001)
        // With an empty list, on either side.
        var empty = DistinctTasks()
        empty.formUnion(b)
        #expect(empty.count == 6_001)
        b.formUnion(DistinctTasks())
        #expect(b.count == 6_001)
    }

    @Test("task numbers count once through the queue of their bits, in counts and unions, settled or not")
    func numbered() {
        // More task numbers than are queued before they are placed, each twice, in two orders.
        let count = DistinctIDs.queueLimit * 2 + 300
        var a = DistinctTasks()
        for round in 0..<2 {
            for step in 0..<count { a.insert(TaskID(lineage: 0, named: UInt32((step &* 613 &+ round) % count + 1))) }
        }
        a.insert(lineage(42))
        #expect(a.count == count + 1)
        // Numbers half of them shared with `a`, queued on both sides when the union is taken.
        var b = DistinctTasks()
        for value in count / 2..<count + 500 { b.insert(TaskID(lineage: 0, named: UInt32(value + 1))) }
        var c = a
        c.formUnion(b)
        #expect(c.count == count + 500 + 1)
        b.formUnion(a)
        #expect(b.count == count + 500 + 1)
        a.settle()
        #expect(a.count == count + 1)
    }

    @Test("the radix sort of a list's tail orders any values as a comparison sort does")
    func radixSort() {
        var generator = SystemRandomNumberGenerator()
        // Random values; values that share their high bytes (passes skipped); repeats; a short list.
        let random = (0..<5_000).map { _ in UInt64.random(in: .min ... .max, using: &generator) }
        let shared = (0..<3_000).map { _ in 0xABCD_0000_0000_0000 | UInt64.random(in: 0...0xFFFF, using: &generator) }
        let repeated = (0..<2_000).map { UInt64($0 % 37) << 56 | UInt64($0 % 5) }
        let short = [UInt64.max, 0, 7, 7, 1 << 63]
        for values in [random, shared, repeated, short, random + shared + repeated] {
            #expect(DistinctTasks.sorted(values) == values.sorted())
        }
    }
}
