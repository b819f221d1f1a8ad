/// The distinct tasks of one group of rows (a task type's day, for `task_type_cost`), kept as a list rather than a
/// hash table: a task's lineage is appended (memory written in order), and the list is sorted and its repeats
/// dropped when its count is needed (``settle()``) or when the unsorted tail grows as long as the sorted part. A
/// benchmark day holds tens of thousands of tasks per type, nearly all new at each insertion: appending them and
/// sorting once costs less than probing a table that does not fit in the cache at every row. Tasks named by a
/// task number (records without lineage whose id is not a leaf id), numbered densely from 1, are kept as bits
/// (``DistinctIDs``). Only the count and unions are read.
struct DistinctTasks: Sendable {
    /// The lineages of tasks named by one: `lineages[..<settled]` sorted, without repeats; the rest appended
    /// since, in any order, repeats allowed.
    private var lineages: [UInt64] = []
    private var settled = 0
    /// Tasks named by a task number, by their numbers (below 2³¹: one per row at most).
    private var others = DistinctIDs()

    /// Lineages appended before the list settles on its own, at least: it waits for the tail to be as long as
    /// the sorted part, so that each lineage is sorted a few times at most.
    static let minimumTail = 4_096

    init() {}

    /// The number of distinct tasks.
    var count: Int {
        if settled == lineages.count { return lineages.count + others.count }
        var copy = self
        copy.settle()
        return copy.lineages.count + others.count
    }

    var isEmpty: Bool { lineages.isEmpty && others.isEmpty }

    /// Inserts a task; ``TaskID/none`` is no task and is not inserted.
    mutating func insert(_ task: TaskID) {
        guard task.named == 0 else {
            others.insertLater(Int32(truncatingIfNeeded: task.named))
            return
        }
        guard task.lineage != 0 else { return }
        lineages.append(task.lineage)
        if lineages.count - settled >= max(Self.minimumTail, settled) { settle() }
    }

    /// Sorts the list and drops its repeats, so that ``count`` is read without sorting: the tail is sorted on
    /// its own and merged with the sorted part.
    mutating func settle() {
        others.settle()
        guard settled < lineages.count else { return }
        let tail = Self.sorted(Array(lineages[settled...]))
        lineages = Self.merged(lineages[..<settled], tail[...])
        settled = lineages.count
    }

    /// Inserts every task of `other`.
    mutating func formUnion(_ other: DistinctTasks) {
        var other = other
        other.settle()
        settle()
        others.formUnion(other.others)
        guard !other.lineages.isEmpty else { return }
        lineages = lineages.isEmpty ? other.lineages : Self.merged(lineages[...], other.lineages[...])
        settled = lineages.count
    }

    /// `values` in ascending order. Lineages are random 64-bit values: a radix sort (eight stable counting passes
    /// over the bytes, least significant first, the counts of all eight taken in one pass) orders a tail of
    /// thousands in fewer steps than comparisons would; a short list is sorted by comparison.
    static func sorted(_ values: [UInt64]) -> [UInt64] {
        guard values.count >= 512 else { return values.sorted() }
        var values = values
        // Per byte position (0: least significant) and byte value: how many values have it.
        var counts = [Int](repeating: 0, count: 8 * 256)
        for value in values {
            for position in 0..<8 { counts[position * 256 + Int((value >> UInt64(position * 8)) & 0xFF)] += 1 }
        }
        var scratch = values
        for position in 0..<8 {
            let base = position * 256
            // A byte every value shares orders nothing.
            guard !counts[base..<base + 256].contains(values.count) else { continue }
            var next = 0
            for byte in base..<base + 256 {
                let count = counts[byte]
                counts[byte] = next
                next += count
            }
            for value in values {
                let byte = base + Int((value >> UInt64(position * 8)) & 0xFF)
                scratch[counts[byte]] = value
                counts[byte] += 1
            }
            swap(&values, &scratch)
        }
        return values
    }

    /// The values of two sorted lists, sorted, each once: the lists merged in one pass.
    private static func merged(_ a: ArraySlice<UInt64>, _ b: ArraySlice<UInt64>) -> [UInt64] {
        var merged: [UInt64] = []
        merged.reserveCapacity(a.count + b.count)
        var (i, j) = (a.startIndex, b.startIndex)
        while i < a.endIndex || j < b.endIndex {
            let next: UInt64
            if j == b.endIndex || (i < a.endIndex && a[i] <= b[j]) {
                next = a[i]
                i += 1
            } else {
                next = b[j]
                j += 1
            }
            if merged.last != next { merged.append(next) }
        }
        return merged
    }
}
