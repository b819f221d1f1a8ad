import Attribution
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The syncing half of ``LedgerDurability/fsync(concurrentSyncs:)``: a window of batches written and not yet
/// durable, and the threads that sync them.
///
/// The writer (one thread at a time, under the ledger's I/O lock: usually a syncing thread that has just
/// finished a sync, else the flusher or a caller's `flush()`) appends a batch with one `write(2)` and hands it
/// here with ``submit(_:records:file:)``; a syncing thread calls `fdatasync` on its own descriptor of the
/// batch's file. When a sync returns, the batch is marked; the durable count then grows by every batch at
/// the head of the window whose sync returned, so it never covers a batch whose sync is still running or
/// failed, and a batch counts only after every batch before it.
///
/// A failed sync condemns the file: batches of it whose syncs succeed afterwards are not trusted either (their
/// pages' errors may have been reported to the failed call), and ``needsRecovery`` tells the writer to
/// write every batch not yet durable again, to a new file (``takeSuspects()``, ``resubmit(_:file:)``). A
/// batch's bytes are kept until it is durable for that reason.
final class LedgerSyncPool: Sendable {
    /// What a completed sync changed, for the ledger's counts.
    struct Report {
        /// Records that became durable (the head of the window advanced over them).
        var durableRecords = 0
        /// Syncs that returned success.
        var syncs = 0
        /// The failure, when the sync failed.
        var failure: CostLedgerError?
        /// Whether the failure is the batch's file found removed from its path after its sync.
        var lostFile = false
    }

    struct State {
        /// The batches written and not yet durable (the writer's state machine's syncing half).
        var window: LedgerWriterStateMachine.SyncWindow<LedgerSyncFile>
        var stopping = false
        /// Threads waiting in ``waitForRoom()`` or ``waitUntilIdle()``.
        var roomWaiters = 0
    }

    /// The most syncs in flight at once (the syncing threads).
    let depth: Int
    let state: Lock<State>
    /// ``State/inFlight``, changed with it under the lock, readable without it (``syncsInFlight``).
    private let inFlightMirror = Atomic<Int>(0)
    /// Wakes a syncing thread: a batch is queued, or the pool is stopping.
    private let work = DispatchSemaphore(value: 0)
    /// Wakes the writer: room in the window, a failure, or no sync in flight.
    private let room = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// `fdatasync(2)` (tests substitute their own): descriptor, batch sequence number, records.
    private let syncData: @Sendable (Int32, Int, Int) -> Int32

    init(depth: Int, syncData: @escaping @Sendable (Int32, Int, Int) -> Int32) {
        self.depth = max(1, depth)
        self.syncData = syncData
        state = Lock(State(window: .init(depth: depth)))
    }

    /// The syncing threads: one more than ``depth``, so that a thread busy appending batches (and waiting there
    /// for room) never leaves a sync without a thread.
    var threads: Int { depth &+ 1 }

    /// Starts the syncing threads.
    /// - Parameters:
    ///   - report: called after each sync returns, under the pool's lock (so it must not call the pool; it may
    ///     take a lock the pool never waits for while holding its own).
    ///   - pull: called by thread `index` with nothing queued to sync: appends the next batch waiting in the
    ///     ledger's buffer, if the window has room, and returns it (``claim(_:records:file:)``) for that thread to
    ///     sync: sequence number, the thread's descriptor, records. Threads that have just finished a sync take
    ///     the next batch themselves this way, so that while the caller keeps up, batches go from buffer to disk
    ///     without a hand-off between threads.
    func start(
        report: @escaping @Sendable (Report) -> Void,
        pull: @escaping @Sendable (Int) -> (Int, Int32, Int)?
    ) {
        for index in 0..<threads {
            let thread = Thread { [self] in run(index, report: report, pull: pull) }
            thread.name = "ledger-sync-\(index)"
            thread.start()
        }
    }

    /// Opens a new file's descriptors for the syncing threads.
    func open(_ path: String) throws(CostLedgerError) -> LedgerSyncFile {
        try LedgerSyncFile(path: path, count: threads)
    }

    /// Waits until the window has room for one more batch. Returns false at once when a batch must be written
    /// again first (the writer recovers before appending anything new).
    func waitForRoom() -> Bool {
        while true {
            let verdict = state.withLock { state -> Bool? in
                if state.window.needsRecovery { return false }
                if state.window.hasRoom { return true }
                state.roomWaiters += 1
                return nil
            }
            if let verdict { return verdict }
            room.wait()
            state.withLock { $0.roomWaiters -= 1 }
        }
    }

    /// Waits until no sync is in flight.
    func waitUntilIdle() {
        while true {
            let idle = state.withLock { state -> Bool in
                if state.window.inFlight == 0 { return true }
                state.roomWaiters += 1
                return false
            }
            if idle { return }
            room.wait()
            state.withLock { $0.roomWaiters -= 1 }
        }
    }

    /// Whether some batch must be written again before anything new is appended.
    var needsRecovery: Bool { state.withLock { $0.window.needsRecovery } }

    /// Takes a batch into the window (a copy of `bytes`): written to `file` and to be synced, or, with `file` nil,
    /// not written (its write failed) and to be written again.
    func submit(_ bytes: LedgerBatchBytes, records: Int, file: LedgerSyncFile?) {
        state.withLock { state in
            let buffer = state.window.spareBuffer()
            buffer.append(bytes)
            if state.window.submit(buffer, records: records, file: file) {
                inFlightMirror.add(1, ordering: .sequentiallyConsistent)
            }
        }
        work.signal()
    }

    /// Waits until no sync of a condemned file is in flight, then returns the batches to write again, in order:
    /// sequence number, bytes, records, and whether an earlier write of it completed.
    func takeSuspects() -> [(sequence: Int, bytes: LedgerByteBuffer, records: Int, written: Bool)] {
        while true {
            let suspects = state.withLock { state -> [(Int, LedgerByteBuffer, Int, Bool)]? in
                if state.window.syncingCondemned {
                    state.roomWaiters += 1
                    return nil
                }
                return state.window.suspects.map { ($0.sequence, $0.bytes, $0.records, $0.written) }
            }
            if let suspects { return suspects.map { ($0.0, $0.1, $0.2, $0.3) } }
            room.wait()
            state.withLock { $0.roomWaiters -= 1 }
        }
    }

    /// A buffer for a batch's bytes, from those of batches already durable when there is one.
    func spareBuffer() -> LedgerByteBuffer {
        state.withLock { $0.window.spareBuffer() }
    }

    /// Returns a buffer ``spareBuffer()`` gave that was not used.
    func recycle(_ buffer: LedgerByteBuffer) {
        state.withLock { $0.window.recycle(buffer) }
    }

    /// Takes a batch just written to `file` into the window, for the calling thread to sync itself (it is not
    /// queued); `bytes` becomes the window's.
    /// - Returns: its sequence number; nil when `file` was condemned meanwhile (the batch is then written
    ///   again).
    func claim(_ bytes: LedgerByteBuffer, records: Int, file: LedgerSyncFile) -> Int? {
        state.withLock { state -> Int? in
            guard let sequence = state.window.claim(bytes, records: records, file: file) else { return nil }
            inFlightMirror.add(1, ordering: .sequentiallyConsistent)
            return sequence
        }
    }

    /// A suspect batch has been written again, to `file`: sync it.
    func resubmit(_ sequence: Int, file: LedgerSyncFile) {
        let queued = state.withLock { state -> Bool in
            guard state.window.resubmit(sequence, file: file) else { return false }
            inFlightMirror.add(1, ordering: .sequentiallyConsistent)
            return true
        }
        if queued { work.signal() }
    }

    /// Ends a recovery: clears ``needsRecovery`` when no batch is suspect any more.
    func finishRecovery() {
        state.withLock { $0.window.finishRecovery() }
    }

    /// Whether a sync of `file` failed.
    func isCondemned(_ file: LedgerSyncFile) -> Bool {
        state.withLock { _ in file.condemned }
    }

    /// Stops the syncing threads once the syncs in flight have returned.
    func stop() {
        waitUntilIdle()
        state.withLock { $0.stopping = true }
        for _ in 0..<threads { work.signal() }
        for _ in 0..<threads { finished.wait() }
    }

    /// Wakes a syncing thread: a batch is complete in the ledger's buffer.
    func wakeOne() { work.signal() }

    /// Syncs in flight now. A syncing thread whose sync returns looks for the next batch after this count drops,
    /// so a batch completed (under the buffer's lock) while a sync was counted here is found by that thread's
    /// next look (it takes the buffer's lock after the count dropped) without a wake-up.
    var syncsInFlight: Int { inFlightMirror.load(ordering: .sequentiallyConsistent) }

    /// Syncs in flight from which a completed batch need not wake a syncing thread: enough that one of them
    /// returns soon and takes it.
    var busyEnough: Int { max(2, depth / 4) }

    /// Whether a thread may append a batch now: a sync slot is free, the window has room, no batch must be
    /// written again first.
    var hasRoom: Bool {
        state.withLock { $0.window.hasRoom }
    }

    /// A syncing thread: takes the next queued batch and syncs it through descriptor `index` of its file, or,
    /// with none queued, appends the complete batches waiting in the buffer (`pull`).
    private func run(_ index: Int, report: @Sendable (Report) -> Void, pull: @Sendable (Int) -> (Int, Int32, Int)?) {
        var idle = false
        while true {
            // Sleep only when there was nothing to sync and nothing to append; a wake-up finds either (or the
            // pool stopping) by looking again.
            if idle { work.wait() }
            let job = state.withLock { state -> (Int, Int32, Int)?? in
                guard state.window.hasQueued else { return state.stopping ? .some(nil) : nil }
                guard let job = state.window.popQueued() else { return nil }
                return .some((job.sequence, job.file.descriptors[index], job.records))
            }
            let next: (Int, Int32, Int)?
            if let job {
                guard let job else { break }
                next = job
            } else {
                next = pull(index)
            }
            guard let (sequence, fd, records) = next else {
                idle = true
                continue
            }
            idle = false
            let result = syncData(fd, sequence, records)
            let code = result == 0 ? 0 : errno
            var failure: CostLedgerError?
            var lost = false
            let file = state.withLock { $0.window.file(of: sequence) }
            if result != 0 {
                failure = CostLedgerError(.io, field: file?.path, reason: "sync failed: \(LedgerIO.errnoText(code))")
            } else if let file, !file.isAtPath() {
                // Synced into a file no reader will find: the batch counts only once written again elsewhere.
                failure = LedgerFiles.lostFile(file.path)
                lost = true
            }
            complete(sequence, failure: failure, lostFile: lost, report: report)
            // Counted out of flight only once the ledger's counts include it, so that an idle pool means final
            // counts.
            let waiters = state.withLock { state -> Int in
                state.window.syncEnded()
                inFlightMirror.subtract(1, ordering: .sequentiallyConsistent)
                return state.roomWaiters
            }
            for _ in 0..<waiters { room.signal() }
        }
        finished.signal()
    }

    /// Records a batch's sync (failed with `failure`, or found in a file removed from its path): the window's
    /// transition decides what became durable and whether the batches not yet durable are written again. The
    /// report goes out under the pool's lock, so that the ledger counts syncs in the order of the transitions:
    /// a sync that returned before the head's counts before the records the head's return made durable.
    private func complete(
        _ sequence: Int,
        failure: CostLedgerError?,
        lostFile: Bool,
        report: (Report) -> Void
    ) {
        state.withLock { state in
            let completion = state.window.syncReturned(sequence, failed: failure != nil)
            report(
                Report(
                    durableRecords: completion.durableRecords,
                    syncs: completion.syncs,
                    failure: failure,
                    lostFile: lostFile
                )
            )
        }
    }
}
