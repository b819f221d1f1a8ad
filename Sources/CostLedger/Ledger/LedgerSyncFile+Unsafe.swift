#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// A ledger file shared by the syncing threads, as an unchecked `Sendable`. What keeps it sound: `path` and
// `descriptors` never change after `init`, and `condemned`, the one mutable field, is read and written only
// under the sync pool's lock (``LedgerSyncPool``), so no two threads touch it at once.

/// One ledger file as the syncing threads see it: a descriptor of its own for each syncing thread, opened before
/// anything is appended to the file.
///
/// Why one descriptor per thread: Linux reports a failed write-back to the next `fsync`/`fdatasync` on each open
/// file description, once. Were the threads to share one descriptor, thread A's call could consume the error
/// for pages that thread B's batch needed, and B's call would then return success for data that never reached
/// the disk. With a descriptor per thread, every thread sees every write-back error that happened after its
/// previous call; and since a thread records a failure before it takes its next batch, a success recorded
/// while the file is not yet condemned is one whose batch is on the disk (see ``LedgerSyncPool``).
final class LedgerSyncFile: LedgerSyncWindowFile, @unchecked Sendable {
    // Safe to share: `path` and `descriptors` are immutable; `condemned` is read and written only under the
    // pool's lock.
    let path: String
    let descriptors: [Int32]
    /// A sync of this file failed: no batch of it that is not durable yet will be counted durable.
    var condemned = false

    /// Opens `count` descriptors of `path`, which must exist.
    init(path: String, count: Int) throws(CostLedgerError) {
        var descriptors: [Int32] = []
        for _ in 0..<count {
            let fd = SystemIO.open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let error = CostLedgerError(.io, field: path, reason: "cannot open to sync: \(LedgerIO.errnoText())")
                for opened in descriptors { LedgerIO.close(opened) }
                throw error
            }
            descriptors.append(fd)
        }
        self.path = path
        self.descriptors = descriptors
    }

    /// Whether ``path`` still leads to this file: false once it was deleted (its directory removed) or replaced.
    func isAtPath() -> Bool {
        guard let fd = descriptors.first, let open = LedgerFileIdentity(descriptor: fd) else { return false }
        return LedgerFileIdentity(path: path) == open
    }

    deinit {
        for fd in descriptors { LedgerIO.close(fd) }
    }
}
