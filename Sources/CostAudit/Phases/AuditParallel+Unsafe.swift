import Dispatch

// The audit's phases split their work over worker threads. This file holds the only unsafe memory they use:
// a worker body handed to several threads, and a fixed-size buffer that workers write at disjoint indices.
// What keeps both sound is one rule every phase keeps: while workers run, shared state is only read, and each
// index of a ``SharedBuffer`` is written by at most one worker (its own slot, or the rows or units of its
// share); the buffer is read by all only once the writing `inParallel` call has returned.

/// Runs `body(worker)` for each of `workers` workers, on as many threads at once, and returns when all are done.
func inParallel(_ workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedWork(body: body)
        DispatchQueue.concurrentPerform(iterations: workers) { shared.body($0) }
    }
}

/// A worker body handed to several threads. The phases that use it only read shared state, or write disjoint
/// indices of ``SharedBuffer``s and their own worker's slot.
private struct UncheckedWork: @unchecked Sendable {
    let body: (Int) -> Void
}

/// Worker `worker`'s share of `0..<count` when `workers` split it evenly.
func share(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
    (count * worker / workers)..<(count * (worker + 1) / workers)
}

/// A fixed-size buffer that workers write at disjoint indices (each index by one worker only), then read by
/// all once the writing phase has ended.
@safe final class SharedBuffer<Element>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Element>
    let count: Int

    init(repeating value: Element, count: Int) {
        self.count = count
        unsafe base = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        unsafe base.initialize(repeating: value, count: count)
    }

    /// A buffer of `count` copies of `value`, written by `workers` workers at once, each its share: a large
    /// buffer's pages are then mapped by several threads instead of one (40 MB, the filled values of 2,000,000
    /// records: 16 ms on one thread, 8 ms on two).
    init(repeating value: Element, count: Int, workers: Int) {
        self.count = count
        let start = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        unsafe base = start
        inParallel(max(1, workers)) { worker in
            let range = share(worker, of: max(1, workers), count: count)
            unsafe (start + range.lowerBound).initialize(repeating: value, count: range.count)
        }
    }

    /// A buffer holding `elements`.
    init(_ elements: [Element]) {
        count = elements.count
        unsafe base = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        unsafe elements.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { unsafe base.initialize(from: start, count: count) }
        }
    }

    subscript(index: Int) -> Element {
        @inline(__always) get {
            precondition(index >= 0 && index < count, "shared buffer index out of range")
            return unsafe base[index]
        }
        @inline(__always) set {
            precondition(index >= 0 && index < count, "shared buffer index out of range")
            unsafe base[index] = newValue
        }
    }

    /// Changes element `index` in place (an index of one worker's only): a value it holds, an array say, stays
    /// uniquely referenced, where `buffer[index].change()` would read a copy, change it (copying the array, which
    /// the buffer still references) and write it back.
    func update(_ index: Int, _ body: (inout Element) -> Void) {
        precondition(index >= 0 && index < count, "shared buffer index out of range")
        unsafe body(&base[index])
    }

    /// The contents as an array.
    var array: [Element] { unsafe Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Sorts the elements in `range` in place (one worker's range: no other worker touches it meanwhile).
    func sort(_ range: Range<Int>, by areInIncreasingOrder: (Element, Element) -> Bool) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "shared buffer range out of bounds")
        var slice = unsafe UnsafeMutableBufferPointer(start: base + range.lowerBound, count: range.count)
        unsafe slice.sort(by: areInIncreasingOrder)
    }

    deinit {
        unsafe base.deinitialize(count: count)
        unsafe base.deallocate()
    }
}
