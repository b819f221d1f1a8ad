import Synchronization

// The ledger writer's byte storage, and only that: a growable buffer and a scratch line, each over memory it
// allocates and frees itself. What keeps it safe: `base` is owned by its object (freed in `deinit`), every write
// lands in `base[count..<capacity]` after `reserve` has grown the buffer to fit, and every read is of
// `base[0..<count]`; the buffer is only touched under the writer's lock, and the scratch line only by the one
// caller whose `tryClaim()` succeeded.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable run of bytes that records are encoded straight into: the writer reserves a line's upper bound at
/// the end, encodes there through a pointer, and commits the bytes it wrote. Only ever touched under a lock.
@safe final class LedgerByteBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer?
    /// Bytes committed.
    private(set) var count = 0
    private(set) var capacity = 0

    init() {}

    deinit { unsafe free(base) }

    var isEmpty: Bool { count == 0 }

    /// The committed bytes; valid until the next mutation.
    var bytes: UnsafeRawBufferPointer { unsafe UnsafeRawBufferPointer(start: base, count: count) }

    /// Room for `extra` more bytes after the committed ones; returns where they start. Grows geometrically.
    func reserve(_ extra: Int) -> UnsafeMutableRawPointer {
        let needed = count &+ extra
        if unsafe needed > capacity || base == nil { grow(to: needed) }
        // `grow` leaves a non-nil base or traps on exhausted memory, as every allocation does.
        return unsafe base.unsafelyUnwrapped + count
    }

    private func grow(to needed: Int) {
        let newCapacity = Swift.max(needed, capacity &* 2, 4096)
        guard let grown = unsafe realloc(base, newCapacity) else {
            fatalError("out of memory growing the ledger buffer to \(newCapacity) bytes")
        }
        unsafe base = unsafe grown
        capacity = newCapacity
    }

    /// Commits `bytes` bytes written at the pointer ``reserve(_:)`` returned.
    func commit(_ bytes: Int) { count &+= bytes }

    /// Appends a copy of `bytes`.
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, unsafe !bytes.isEmpty else { return }
        unsafe reserve(bytes.count).copyMemory(from: source, byteCount: bytes.count)
        count &+= bytes.count
    }

    /// Drops the first `n` committed bytes, keeping the rest in order.
    func removeFirst(_ n: Int) {
        guard let base = unsafe base, n > 0 else { return }
        let rest = count - n
        if rest > 0 { unsafe base.copyMemory(from: base + n, byteCount: rest) }
        count = Swift.max(0, rest)
    }

    /// Keeps only the first `n` committed bytes.
    func truncate(_ n: Int) { count = Swift.min(count, Swift.max(0, n)) }

    /// Forgets the committed bytes and keeps the memory.
    func removeAll() { count = 0 }
}

/// A writer's scratch line: a caller encodes its record here without holding the buffer's lock, then takes the
/// lock only to copy the finished line in. One caller at a time holds it (``tryClaim()``); a caller that finds it
/// taken encodes under the lock instead, as before, so concurrent writers stay correct.
@safe final class LedgerScratchLine: @unchecked Sendable {
    // Safe to share: `base` is written only by the one caller whose `tryClaim()` succeeded, until its `release()`.
    let capacity: Int
    let base: UnsafeMutableRawPointer
    private let busy = Atomic<Bool>(false)

    init(capacity: Int) {
        self.capacity = capacity
        unsafe base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { unsafe base.deallocate() }

    /// Takes the line for the calling thread: false when another caller holds it.
    func tryClaim() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    /// Gives the line back.
    func release() { busy.store(false, ordering: .releasing) }
}
