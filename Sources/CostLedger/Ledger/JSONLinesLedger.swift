public import Attribution
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The JSON Lines ledger writer (docs/ledger.md): a ``CostSink`` that appends cost records to this process's own
/// file in a ledger directory.
///
/// - Each writer appends to a file of its own, named by ``LedgerFileName`` (`{host}-{pid}-{start ms}-{random}
///   .jsonl`), opened with `O_APPEND`; a file that does not end in `\n` (a torn line left by a crash) gets one
///   before the first append, so the next record always starts a line.
/// - ``write(_:)`` encodes the record into a bounded in-memory buffer and returns; a background thread writes
///   the buffer in batches, each batch with one `write(2)` of whole lines (looping only on a short write).
///   When the buffer is full the ``LedgerBufferPolicy`` applies: wait a bounded time, or drop and count.
/// - ``LedgerDurability`` says when batches are written and whether they are `fsync`ed; under
///   ``LedgerDurability/fsync(concurrentSyncs:)`` several batches' syncs are in flight at once, each batch still
///   written with one `write(2)`, in order, and counted durable only once its sync and every earlier batch's
///   have returned.
/// - Files rotate by size and by UTC day: the next batch goes to a new file with a new name. A batch that a
///   failed write left part-way in a file is finished in that file first, so no record is split across files;
///   where it cannot be (concurrent syncs, a file that cannot grow, the writer closing) the part written is cut
///   off the file and the batch written whole elsewhere, so no record is written twice (docs/ledger.md).
/// - The open file is checked against its path (device and inode) after each batch, at each ``flush()`` and at
///   rotation: a file deleted or replaced (its directory removed) is reported like a failed write, and the
///   batch is written again to a new file, the directory made again if needed (docs/ledger.md).
/// - ``flush()`` returns once every record accepted before it is written (and synced, under `.fsync`);
///   ``close()`` flushes and stops the thread.
/// - ``requestFlush()`` and ``waitUntilDurable(records:timeout:)`` split ``flush()`` in two, so a caller can fill
///   the next batch while the background flusher writes and syncs the previous one (a pipeline); a record counts
///   in ``Stats/durableRecords`` only once the sync covering it has returned.
///
/// ```swift
/// let ledger = try JSONLinesLedger(configuration: .init(directory: "ledger"))
/// try ledger.write(record)
/// try ledger.close()
/// ```
///
/// Safe to use from many threads and tasks at once.
public final class JSONLinesLedger: CostSink {
    /// How a ledger writer behaves.
    public struct Configuration: Sendable {
        /// The ledger directory; created when missing.
        public var directory: String
        /// When batches are written and whether they are synced. Default ``LedgerDurability/flush``.
        public var durability: LedgerDurability = .flush
        /// What ``write(_:)`` does when the buffer is full. Default: block for at most one second.
        public var bufferPolicy: LedgerBufferPolicy = .block(timeout: .seconds(1))
        /// Most bytes of encoded records buffered. Default 8 MiB.
        public var maxBufferBytes: Int = 8 << 20
        /// Most records buffered. Default 65,536.
        public var maxBufferRecords: Int = 65_536
        /// Records that make a batch under `.flush` and `.fsync`: the flusher writes as soon as this many wait.
        public var batchRecords: Int = 64
        /// Longest time a record waits in the buffer before the flusher writes it. Default 200 ms.
        public var flushInterval: Duration = .milliseconds(200)
        /// Start a new file before a batch that would take the current one past this size; nil for no limit.
        /// Default 256 MiB.
        public var maxFileBytes: Int64? = 256 << 20
        /// Start a new file when the UTC day changes. Default true.
        public var rotateDaily: Bool = true
        /// Write files in day partitions, `directory/dt=YYYY-MM-DD/NAME`, the UTC day of the `started_at`, else
        /// the `ts`, of the file's first record (the layout of the spec's section 4, which query engines prune by).
        /// A batch whose first record falls on another day than the open file's partition starts a new file, so a
        /// partition holds other days' records only in the one batch that straddles midnight (docs/ledger.md).
        /// Default false: files directly in ``directory``.
        public var partitionByDay: Bool = false
        /// The host part of file names; nil reads the system's host name.
        public var hostName: String?
        /// Append to this file name in the directory first, instead of a new name (for a process reopening its
        /// own file; never share one file between processes). Rotation still starts new names.
        public var fileName: String?
        /// Where the time for file names and daily rotation comes from.
        public var clock: any AttributionClock = SystemAttributionClock()
        /// Replaces `fdatasync(2)` under ``LedgerDurability/fsync(concurrentSyncs:)`` (tests hold syncs back or
        /// fail them): descriptor, the batch's sequence number (0, 1, … in append order), its records.
        var syncDataOverride: (@Sendable (Int32, Int, Int) -> Int32)?
        /// Replaces `write(2)` of batches (tests set it as ``writeOverride``).
        var writeHook: LedgerWriteHook?

        /// A configuration with the defaults, writing to `directory`.
        public init(directory: String) {
            self.directory = directory
        }
    }

    /// What a writer has done; every count exact.
    public struct Stats: Sendable, Hashable {
        /// Records accepted into the buffer.
        public var acceptedRecords = 0
        /// Records written to a file with `write(2)`.
        public var writtenRecords = 0
        /// Records not accepted because the buffer was full (dropped under `.dropAndCount`, refused after the
        /// timeout under `.block`).
        public var droppedRecords = 0
        /// Records waiting in the buffer or in a failed write.
        public var pendingRecords = 0
        /// Batches written (each one `write(2)` of whole lines, unless a short write needed more).
        public var flushes = 0
        /// Syncs of the file's data: `fdatasync(2)` on Linux, `fsync(2)` elsewhere.
        public var syncs = 0
        /// The first this many accepted records are durable: written, and under ``LedgerDurability/fsync``
        /// covered by a sync that returned (so they survive power loss; otherwise they survive a process crash).
        /// Records are written in the order they were accepted. Under
        /// ``LedgerDurability/fsync(concurrentSyncs:)``: the records of the longest run of batches, from the
        /// first, whose own syncs have all returned.
        public var durableRecords = 0
        /// Bytes written, separating newlines included.
        public var bytes: Int64 = 0
        /// Files opened.
        public var files = 0
        /// Writes that failed (the batch is kept and retried).
        public var writeErrors = 0
        /// The path of the file being written, if one is open.
        public var currentFile: String?
        /// The last write error, if any.
        public var lastError: String?
    }

    private let core: Core

    /// Opens a writer: creates the directory if needed and starts the background flusher. The first file is
    /// opened by the first batch.
    /// - Throws: ``CostLedgerError/Code/io`` when the directory cannot be created.
    public init(configuration: Configuration) throws(CostLedgerError) {
        var configuration = configuration
        configuration.batchRecords = max(1, configuration.batchRecords)
        configuration.maxBufferRecords = max(1, configuration.maxBufferRecords)
        configuration.maxBufferBytes = max(1, configuration.maxBufferBytes)
        try LedgerFiles.makeDirectory(configuration.directory)
        core = Core(configuration: configuration)
        let core = self.core
        // The syncing threads hold the core strongly, as the flusher thread does: it stops the pool (and so ends
        // those threads and drops their closures) before it ends, and it ends when the writer is closed or goes
        // away. (A `weak` capture gave the core a weak-reference side table, whose only pointer is encoded in the
        // core's reference count, where LeakSanitizer cannot see it: a report of 32 bytes at every exit with a
        // writer open.)
        core.pool?.start(
            report: { report in core.apply(report) },
            pull: { index in core.pull(index) }
        )
        let thread = Thread { core.runFlusher() }
        thread.name = "ledger-flusher"
        thread.start()
    }

    deinit {
        core.stop()
    }

    /// The configuration in use.
    public var configuration: Configuration { core.configuration }

    /// The writer's counts so far.
    public var stats: Stats { core.stats() }

    /// Encodes `record` into the buffer. Returns without waiting for the disk unless the buffer is full and the
    /// policy is ``LedgerBufferPolicy/block(timeout:)``.
    /// - Throws: ``CostLedgerError/Code/invalidRecord`` when the record breaks the format (see
    ///   ``CostRecord/validate()``) or its line would exceed 64 KiB; ``CostLedgerError/Code/bufferFull`` when
    ///   the buffer stayed full for the whole timeout; ``CostLedgerError/Code/closed`` after ``close()``.
    public func write(_ record: CostRecord) throws(CostLedgerError) {
        // A call record is checked while it is encoded (one pass); anything else, or a record that broke a rule
        // there, is checked first (and refused with the field at fault).
        if record.kind == .call, try core.accept(record, lineBound: nil) { return }
        let bound = try record.validatedLineBound()
        _ = try core.accept(record, lineBound: bound)
    }

    /// Writes every record accepted so far, then returns (synced under ``LedgerDurability/fsync``). The write
    /// happens on the calling thread; under ``LedgerDurability/fsync(concurrentSyncs:)`` the syncing threads
    /// write and sync, and `flush()` returns once ``Stats/durableRecords`` covers every record accepted before it.
    /// - Throws: ``CostLedgerError/Code/io`` when the write fails (under concurrent syncs: a write or sync fails
    ///   while it waits), or when the open file was deleted or replaced since the last flush returned; the
    ///   records stay buffered for a retry (those already written to a lost file are for the caller to retry).
    public func flush() throws(CostLedgerError) {
        try core.flush()
    }

    /// Asks the background flusher to write (and under ``LedgerDurability/fsync``, sync) every record accepted
    /// so far, and returns at once.
    ///
    /// With ``waitUntilDurable(records:timeout:)`` this makes a pipeline: fill batch N+1 while batch N is being
    /// written and synced, and acknowledge batch N only when it is durable.
    ///
    /// ```swift
    /// var previous = 0
    /// for batch in batches {
    ///     for record in batch { try ledger.write(record) }
    ///     let position = ledger.requestFlush()
    ///     try ledger.waitUntilDurable(records: previous)   // the batch before this one
    ///     acknowledge(upTo: previous)
    ///     previous = position
    /// }
    /// ```
    /// - Returns: the number of records accepted so far: the position to wait for.
    @discardableResult
    public func requestFlush() -> Int {
        core.requestFlush()
    }

    /// Waits until the first `records` accepted records are durable (see ``Stats/durableRecords``).
    /// - Parameters:
    ///   - records: a position from ``requestFlush()`` (or any count of accepted records).
    ///   - timeout: the longest wait.
    /// - Throws: ``CostLedgerError/Code/io`` when a write or sync fails while waiting, or the timeout passes;
    ///   ``CostLedgerError/Code/closed`` when the writer was closed without making them durable.
    public func waitUntilDurable(records: Int, timeout: Duration = .seconds(30)) throws(CostLedgerError) {
        try core.waitUntilDurable(records, timeout: timeout)
    }

    /// Flushes, stops the background flusher and closes the file. Later writes throw
    /// ``CostLedgerError/Code/closed``. Calling it again does nothing.
    /// - Throws: ``CostLedgerError/Code/io`` when the final write fails.
    public func close() throws(CostLedgerError) {
        try core.close()
    }
}

extension JSONLinesLedger {
    /// The shared state of a writer and its flusher thread, and the I/O executor of its state machine.
    ///
    /// Three locks, each for one side: ``buffer`` for the appending side (the hot path: records encoded in, counts),
    /// ``io`` for the file lifecycle (``LedgerWriterStateMachine``, whose actions ``run(_:_:bytes:countBytes:)``
    /// performs, one thread at a time), ``durability`` for what became durable or failed (so that a sync's report
    /// never waits for an append). Under concurrent syncs the sync pool keeps the window of batches not yet durable
    /// (``LedgerWriterStateMachine/SyncWindow``) under its own lock.
    fileprivate final class Core: Sendable {
        let configuration: Configuration

        /// Records accepted but not yet taken by a flush: the appending side. Its flags only say when to wake the
        /// flusher and whether records are still accepted; what happens to a batch once taken is the state
        /// machine's.
        struct Buffer {
            /// Encoded lines, each record encoded straight into it.
            var bytes = LedgerByteBuffer()
            var records = 0
            /// The flusher (or a syncing thread) was woken for what is buffered: later records need not wake it.
            var flushRequested = false
            /// Under concurrent syncs: the next flush takes everything, not only whole batches (a flush was asked
            /// for, or the buffer is full).
            var flushAll = false
            /// ``JSONLinesLedger/close()`` was called or the writer went away: nothing more is accepted, and the
            /// flusher ends.
            var closed = false
            /// Callers of ``JSONLinesLedger/write(_:)`` waiting for room (``LedgerBufferPolicy/block(timeout:)``).
            var waiters = 0
            /// Under concurrent syncs: the byte offset after every ``Configuration/batchRecords``-th record, where
            /// the flush cuts the buffer into batches.
            var cuts: [Int] = []
            /// Under concurrent syncs: ``cuts`` before this index and ``bytes`` before ``front`` are taken (a
            /// syncing thread takes one batch at a time from the front).
            var cutHead = 0
            var front = 0

            /// Under concurrent syncs: the accepted records a flush or a request asked for; while some of them are
            /// still buffered, the syncing threads take the incomplete last batch too.
            var flushTarget = 0

            /// Whether a complete batch waits at the front.
            var hasBatch: Bool { cutHead < cuts.count }

            /// Whether the syncing threads have a batch to take: a complete one, or the rest of what was asked for.
            var hasWork: Bool { hasBatch || (records > 0 && flushTarget > stats.acceptedRecords - records) }

            /// Drops the taken front of the buffer: all of it when nothing is left, else by moving the rest when
            /// the front has grown to half the buffer (so each byte moves at most about once).
            mutating func compact(force: Bool) {
                guard front > 0 else { return }
                if front >= bytes.count {
                    bytes.removeAll()
                    cuts.removeAll(keepingCapacity: true)
                } else if force || front >= bytes.count / 2 {
                    bytes.removeFirst(front)
                    cuts.removeFirst(cutHead)
                    for i in cuts.indices { cuts[i] -= front }
                } else {
                    return
                }
                front = 0
                cutHead = 0
            }
            var stats = Stats()
        }

        /// The writer's file lifecycle and the bytes of its batch in hand; touched only under ``io``.
        struct IOState {
            /// Which file is open, which batch is in hand, what failed (docs/ledger.md, "The writer's states").
            var machine: LedgerWriterStateMachine
            /// The bytes of the machine's batch in hand (serial mode): kept until written (and synced) in a file
            /// still at its path.
            var carry = LedgerByteBuffer()
            /// The buffer handed to ``Buffer/bytes`` at the next flush (the two trade places, keeping memory).
            var spare = LedgerByteBuffer()
            var spareCuts: [Int] = []
            /// The start (milliseconds) in the name of the last file this writer opened: the next one's is later,
            /// so that its files sort by name in the order it opened them.
            var lastFileStart: Int64 = .min
        }

        let buffer = Lock(Buffer())

        /// What becomes durable and what fails, apart from ``buffer`` so that a sync's report never waits for a
        /// caller that holds the buffer; the counts here replace those in ``Buffer/stats``. Never taken before
        /// ``buffer`` by a thread holding it the other way round: ``stats()`` takes ``buffer`` first.
        struct Durability {
            var durableRecords = 0
            var syncs = 0
            var writeErrors = 0
            var lastError: String?
            /// Callers waiting in ``waitUntilDurable(_:timeout:)``.
            var durableWaiters = 0
            /// The flusher thread has ended: nothing more becomes durable.
            var flusherDone = false
            /// Open files found removed from their path (deleted, replaced).
            var lostFiles = 0
            /// ``lostFiles`` when a `flush()` last returned: a flush fails when a file was lost since then (the
            /// records the flusher wrote there before the loss was seen are gone; their callers retry them).
            var lostFilesReported = 0
        }
        let durability = Lock(Durability())
        let io: Lock<IOState>
        /// Wakes the flusher early.
        let wake = DispatchSemaphore(value: 0)
        /// Wakes writers waiting for room.
        let room = DispatchSemaphore(value: 0)
        /// Signalled when the flusher thread has finished.
        let finished = DispatchSemaphore(value: 0)
        /// Wakes callers waiting for records to become durable.
        let progress = DispatchSemaphore(value: 0)
        /// Where a caller encodes its record before taking the buffer's lock (see ``accept(_:lineBound:)``).
        let scratch = LedgerScratchLine(capacity: CostRecord.maxCheckedLineBytes)

        /// The syncing threads under ``LedgerDurability/fsync(concurrentSyncs:)`` with more than one sync.
        let pool: LedgerSyncPool?

        init(configuration: Configuration) {
            self.configuration = configuration
            let depth = configuration.durability.concurrentSyncs
            let policy = LedgerWriterStateMachine.Policy(
                mode: depth > 1 ? .concurrent : .serial(syncs: configuration.durability.syncs),
                rotateDaily: configuration.rotateDaily,
                maxFileBytes: configuration.maxFileBytes,
                fixedFirstName: configuration.fileName != nil,
                partitionByDay: configuration.partitionByDay
            )
            io = Lock(IOState(machine: LedgerWriterStateMachine(policy: policy)))
            if depth > 1 {
                pool = LedgerSyncPool(
                    depth: depth,
                    syncData: configuration.syncDataOverride ?? { fd, _, _ in LedgerFiles.syncData(fd) }
                )
            } else {
                pool = nil
            }
        }

        /// Counts what a sync changed and wakes who waits for it.
        func apply(_ report: LedgerSyncPool.Report) {
            let waiting = durability.withLock { state -> Int in
                state.syncs &+= report.syncs
                state.durableRecords &+= report.durableRecords
                if let failure = report.failure {
                    state.writeErrors &+= 1
                    state.lastError = failure.description
                }
                if report.lostFile { state.lostFiles &+= 1 }
                return report.durableRecords > 0 || report.failure != nil ? state.durableWaiters : 0
            }
            for _ in 0..<waiting { progress.signal() }
            // The flusher writes the batches of a failed sync again.
            if report.failure != nil { wake.signal() }
        }

        func stats() -> Stats {
            buffer.withLock { state -> Stats in
                var stats = state.stats
                durability.withLock { counts in
                    stats.durableRecords = counts.durableRecords
                    stats.syncs = counts.syncs
                    stats.writeErrors = counts.writeErrors
                    stats.lastError = counts.lastError
                }
                return stats
            }
        }

        private var wakeThreshold: (records: Int, bytes: Int) {
            if configuration.durability == .none {
                // Writes larger than a few MiB save no syscalls worth having, and writing while the caller keeps
                // encoding overlaps the two instead of leaving one huge write for the end.
                let bytes = min(max(1, configuration.maxBufferBytes / 2), 4 << 20)
                return (max(1, configuration.maxBufferRecords / 2), bytes)
            }
            return (configuration.batchRecords, max(1, configuration.maxBufferBytes / 2))
        }

        /// Encodes `record` into the buffer: with `lineBound` for a record already checked, or nil to check a call
        /// record while encoding it.
        /// - Returns: false, with nothing accepted, when the record was to be checked and may break a rule.
        func accept(_ record: CostRecord, lineBound: Int?) throws(CostLedgerError) -> Bool {
            // Encode into the scratch line without the buffer's lock, so that the syncing threads taking and
            // counting batches never wait for an encoding; the lock is held only to copy the line in. Another
            // caller holding the scratch line (or a line bound past it) means encoding in place, under the lock.
            guard (lineBound ?? 0) <= scratch.capacity, scratch.tryClaim() else {
                return try insert(record, lineBound: lineBound) { bytes -> Int? in
                    // Encode in place at the end of the buffer; the bytes count only once committed.
                    bytes.encodeUncommitted(record, lineBound: lineBound)
                }
            }
            defer { scratch.release() }
            guard let lineBytes = scratch.encode(record, lineBound: lineBound) else { return false }
            return try insert(record, lineBound: lineBound) { bytes -> Int? in
                bytes.copyUncommitted(scratch, count: lineBytes)
                return lineBytes
            }
        }

        /// Puts one encoded line into the buffer, under the policy when it is full: `encode` writes the line at
        /// the end of the buffer's bytes (uncommitted) and returns its length, or nil when the record was to be
        /// checked and may break a rule.
        @inline(__always)
        private func insert(
            _ record: CostRecord,
            lineBound: Int?,
            encode: (LedgerByteBuffer) -> Int?
        ) throws(CostLedgerError) -> Bool {
            let threshold = wakeThreshold
            let cutting = pool != nil
            var deadline: DispatchTime?
            while true {
                let result: AcceptResult = buffer.withLock { state in
                    // A record is checked before the closed state is reported, as it always was.
                    if state.closed { return lineBound == nil ? .unchecked : .closed }
                    guard let lineBytes = encode(state.bytes) else { return .unchecked }
                    if lineBytes - 1 > CostRecord.LineLimits.maxLineBytes {
                        return .tooLong(lineBytes)
                    }
                    let fits =
                        state.records == 0
                        || (state.bytes.count - state.front + lineBytes <= configuration.maxBufferBytes
                            && state.records < configuration.maxBufferRecords)
                    guard fits else {
                        if configuration.bufferPolicy.blockTimeout == nil {
                            state.stats.droppedRecords &+= 1
                            state.flushAll = true
                            if !state.flushRequested {
                                state.flushRequested = true
                                return .droppedWake
                            }
                            return .dropped
                        }
                        state.waiters += 1
                        state.flushAll = true
                        return .full
                    }
                    state.bytes.commit(lineBytes)
                    state.records += 1
                    if cutting, state.records % configuration.batchRecords == 0 { state.cuts.append(state.bytes.count) }
                    state.stats.acceptedRecords &+= 1
                    state.stats.pendingRecords &+= 1
                    if !state.flushRequested,
                        state.records >= threshold.records || state.bytes.count - state.front >= threshold.bytes
                    {
                        state.flushRequested = true
                        // Under concurrent syncs, with enough syncs in flight, the next to return takes the batch
                        // (read under this lock: see ``LedgerSyncPool/syncsInFlight``); no wake-up needed.
                        if let pool, pool.syncsInFlight >= pool.busyEnough { return .accepted }
                        return .acceptedWake
                    }
                    return .accepted
                }
                switch result {
                case .accepted:
                    return true
                case .acceptedWake:
                    // Under concurrent syncs a syncing thread appends the batch (the flusher keeps the interval).
                    if let pool { pool.wakeOne() } else { wake.signal() }
                    return true
                case .dropped:
                    return true
                case .droppedWake:
                    wake.signal()
                    return true
                case .unchecked:
                    return false
                case .closed:
                    throw CostLedgerError(.closed, reason: "the ledger writer is closed")
                case .tooLong(let bytes):
                    throw CostLedgerError(
                        .invalidRecord,
                        field: LedgerKey.recordID.name,
                        reason: "the record's line of \(bytes) bytes exceeds \(CostRecord.LineLimits.maxLineBytes) "
                            + "bytes: readers would skip it (\(AttributionError.quote(record.recordID)))"
                    )
                case .full:
                    wake.signal()
                    let timeout = configuration.bufferPolicy.blockTimeout ?? .zero
                    if deadline == nil { deadline = .now() + .nanoseconds(Self.nanoseconds(timeout)) }
                    let timedOut = room.wait(timeout: deadline ?? .now()) == .timedOut
                    let refused = buffer.withLock { state -> Bool in
                        state.waiters -= 1
                        if timedOut, DispatchTime.now() >= (deadline ?? .now()) {
                            state.stats.droppedRecords &+= 1
                            return true
                        }
                        return false
                    }
                    if refused {
                        throw CostLedgerError(
                            .bufferFull,
                            reason: "the ledger buffer stayed full for \(timeout); record "
                                + "\(AttributionError.quote(record.recordID)) was not written"
                        )
                    }
                }
            }
        }

        enum AcceptResult {
            case accepted
            case acceptedWake
            case dropped
            case droppedWake
            case full
            case closed
            case tooLong(Int)
            /// The record may break a rule: check it before encoding.
            case unchecked
        }

        static func nanoseconds(_ duration: Duration) -> Int {
            let (seconds, attoseconds) = duration.components
            let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            if overflow || seconds < 0 { return seconds < 0 ? 0 : Int.max / 2 }
            return Int(min(ns &+ attoseconds / 1_000_000_000, Int64(Int.max / 2)))
        }

        /// The flusher thread: writes at the interval or when woken, until stopped.
        func runFlusher() {
            let interval = Self.nanoseconds(configuration.flushInterval)
            while true {
                let timedOut = wake.wait(timeout: .now() + .nanoseconds(max(1_000_000, interval))) == .timedOut
                let closed = buffer.withLock { $0.closed }
                if closed { break }
                // Woken by a complete batch, the flusher takes whole batches only (under concurrent syncs); at the
                // interval, everything.
                try? flushOnce(all: timedOut)
            }
            // Stopped: a last flush when the writer went away without close().
            try? flushOnce()
            if let pool {
                // Every sync returns before the thread ends; batches of a failed one get a few more tries.
                for _ in 0..<3 {
                    pool.waitUntilIdle()
                    guard pool.needsRecovery else { break }
                    _ = try? io.withLock { (io: inout IOState) throws(CostLedgerError) in try recover(pool, &io) }
                }
                pool.stop()
            }
            io.withLock { io in
                // A batch left part-way by a failed write is reported by close(), not left half in the file.
                if let part = io.machine.unfinishedPart { _ = LedgerIO.truncate(part.fd, to: part.batchStart) }
                if let fd = io.machine.closed() { _ = LedgerIO.close(fd) }
            }
            let waiting = durability.withLock { state -> Int in
                state.flusherDone = true
                return state.durableWaiters
            }
            for _ in 0..<waiting { progress.signal() }
            finished.signal()
        }

        func requestFlush() -> Int {
            let usesPool = pool != nil
            let (position, wakeNow) = buffer.withLock { state -> (Int, Bool) in
                let wakeNow = !state.flushRequested && state.records > 0
                if wakeNow { state.flushRequested = true }
                if usesPool {
                    state.flushTarget = state.stats.acceptedRecords
                } else if state.records > 0 {
                    state.flushAll = true
                }
                return (state.stats.acceptedRecords, wakeNow)
            }
            if let pool {
                // The syncing threads take everything, the incomplete last batch too (flushTarget).
                pool.wakeOne()
            } else if wakeNow {
                wake.signal()
            }
            return position
        }

        func waitUntilDurable(_ position: Int, timeout: Duration) throws(CostLedgerError) {
            let deadline = DispatchTime.now() + .nanoseconds(Self.nanoseconds(timeout))
            let errorsBefore = durability.withLock { $0.writeErrors }
            // After a failed write the batch waits for the next flush: ask for it now rather than at the interval.
            if errorsBefore > 0 { wake.signal() }
            try waitUntilDurable(position, deadline: deadline, timeout: timeout, errorsBefore: errorsBefore)
        }

        /// Waits until `position` records are durable; throws when a write or sync fails after `errorsBefore`
        /// errors, the flusher has ended, or `deadline` passes.
        private func waitUntilDurable(
            _ position: Int,
            deadline: DispatchTime,
            timeout: Duration,
            errorsBefore: Int
        ) throws(CostLedgerError) {
            while true {
                enum Check {
                    case durable
                    case failed(String)
                    case ended(Int)
                    case wait
                }
                let check = durability.withLock { state -> Check in
                    if state.durableRecords >= position { return .durable }
                    if state.writeErrors != errorsBefore {
                        return .failed(state.lastError ?? "unknown error")
                    }
                    if state.flusherDone { return .ended(state.durableRecords) }
                    state.durableWaiters += 1
                    return .wait
                }
                switch check {
                case .durable:
                    return
                case .failed(let error):
                    throw CostLedgerError(.io, reason: "records up to \(position) are not durable: \(error)")
                case .ended(let durable):
                    throw CostLedgerError(
                        .closed,
                        reason: "the ledger writer closed with \(durable) of \(position) records durable"
                    )
                case .wait:
                    let timedOut = progress.wait(timeout: deadline) == .timedOut
                    let durable = durability.withLock { state -> Int in
                        state.durableWaiters -= 1
                        return state.durableRecords
                    }
                    if timedOut, durable < position, DispatchTime.now() >= deadline {
                        throw CostLedgerError(
                            .io,
                            reason: "\(durable) of \(position) records durable after waiting \(timeout)"
                        )
                    }
                }
            }
        }

        /// ``JSONLinesLedger/flush()``: writes what is buffered; under concurrent syncs, waits until it is durable.
        func flush() throws(CostLedgerError) {
            guard let pool else {
                let lostBefore = durability.withLock { $0.lostFilesReported }
                defer { durability.withLock { $0.lostFilesReported = $0.lostFiles } }
                try flushOnce()
                // What the flusher wrote before this call counts only if its file is still at its path now.
                try io.withLock { (io: inout IOState) throws(CostLedgerError) in
                    try run(io.machine.verifyRequested(), &io)
                }
                let (lost, lastError) = durability.withLock { ($0.lostFiles, $0.lastError) }
                if lost != lostBefore {
                    throw CostLedgerError(
                        .io,
                        reason: "records written since the last flush may be lost: \(lastError ?? "a file was lost")"
                    )
                }
                return
            }
            // A file lost since the last flush returned is reported even when a syncing thread found it (and its
            // batches went to a new file) before this call, as in serial mode.
            let lostBefore = durability.withLock { $0.lostFilesReported }
            defer { durability.withLock { $0.lostFilesReported = $0.lostFiles } }
            // Errors counted before the position is taken: one that happens in between is reported, not missed.
            let errorsBefore = durability.withLock { $0.writeErrors }
            let position = buffer.withLock { state -> Int in
                state.flushTarget = state.stats.acceptedRecords
                return state.stats.acceptedRecords
            }
            // The syncing threads append and sync the rest; batches to write again are the flusher's.
            if pool.needsRecovery || errorsBefore > 0 { wake.signal() }
            pool.wakeOne()
            try waitUntilDurable(position, deadline: .distantFuture, timeout: .seconds(0), errorsBefore: errorsBefore)
            let (lost, lastError) = durability.withLock { ($0.lostFiles, $0.lastError) }
            if lost != lostBefore {
                throw CostLedgerError(
                    .io,
                    reason: "records written since the last flush may be lost: \(lastError ?? "a file was lost")"
                )
            }
        }

        /// Takes everything buffered and writes it as one batch (after any batch left by a failed write), synced
        /// under `.fsync`.
        /// - Parameter all: under concurrent syncs, take an incomplete last batch too (otherwise it waits for its
        ///   records, unless a flush was asked for).
        func flushOnce(all: Bool = true) throws(CostLedgerError) {
            if let pool {
                defer {
                    // A batch completed while this thread held the lock found no syncing thread able to take it.
                    if buffer.withLock({ $0.hasWork }) { pool.wakeOne() }
                }
                try io.withLock { (io: inout IOState) throws(CostLedgerError) in
                    try flushBatches(pool, &io, all: all)
                }
                return
            }
            try io.withLock { (io: inout IOState) throws(CostLedgerError) in
                // A batch left by a failed write or sync goes first (to a new file after a failed sync).
                if io.machine.pendingBatch != nil { try run(io.machine.flushStarted(day: today()), &io) }
                var batch = io.spare
                var records = 0
                let waiters = buffer.withLock { state -> Int in
                    swap(&state.bytes, &batch)
                    records = state.records
                    state.records = 0
                    state.flushRequested = false
                    return state.waiters
                }
                for _ in 0..<waiters { room.signal() }
                if !batch.isEmpty {
                    swap(&io.carry, &batch)
                    io.spare = batch
                    let taken = LedgerWriterStateMachine.Batch(
                        bytes: io.carry.count,
                        records: records,
                        partition: partition(of: LedgerBatchBytes(io.carry))
                    )
                    try run(io.machine.batchTaken(taken, day: today()), &io)
                } else {
                    io.spare = batch
                }
            }
        }

        /// Under concurrent syncs: takes everything buffered and appends it batch by batch, each batch of
        /// ``Configuration/batchRecords`` records with one `write(2)`, handing each to the syncing threads as soon as
        /// it is written. Before a batch is written the window must have room; batches whose sync failed are written
        /// again first.
        private func flushBatches(
            _ pool: LedgerSyncPool,
            _ io: inout IOState,
            all: Bool
        ) throws(CostLedgerError) {
            // One recovery per flush at most: a disk whose syncs keep failing gets a new file per flush interval,
            // not a loop of them.
            var recovered = try recover(pool, &io)
            var taken = io.spare
            var cuts = io.spareCuts
            var records = 0
            let waiters = buffer.withLock { state -> Int in
                let everything = all || state.flushAll
                // Batches the syncing threads took leave the front: the rest starts the buffer again.
                state.compact(force: true)
                guard everything || !state.cuts.isEmpty else {
                    state.flushRequested = false
                    return 0
                }
                swap(&state.bytes, &taken)
                swap(&state.cuts, &cuts)
                records = state.records
                state.records = 0
                state.flushRequested = false
                if everything {
                    state.flushAll = false
                } else if let last = cuts.last, last < taken.count {
                    // The incomplete last batch stays, to be completed by the records still to come.
                    state.bytes.append(LedgerBatchBytes(taken, last..<taken.count))
                    taken.truncate(last)
                    state.records = records - cuts.count * configuration.batchRecords
                    records -= state.records
                }
                return state.waiters
            }
            for _ in 0..<waiters { room.signal() }
            defer {
                taken.removeAll()
                cuts.removeAll(keepingCapacity: true)
                io.spare = taken
                io.spareCuts = cuts
            }
            guard !taken.isEmpty else { return }
            var failure: CostLedgerError?
            var start = 0
            var left = records
            var cut = 0
            while start < taken.count {
                let end = cut < cuts.count ? cuts[cut] : taken.count
                cut &+= 1
                let count = min(configuration.batchRecords, left)
                left &-= count
                let batch = LedgerBatchBytes(taken, start..<end)
                start = end
                while failure == nil, !pool.waitForRoom() {
                    guard !recovered else {
                        failure = CostLedgerError(
                            .io,
                            field: io.machine.openFile?.path,
                            reason: "a sync failed again; the batches not yet durable wait for the next flush"
                        )
                        break
                    }
                    recovered = true
                    do throws(CostLedgerError) { try recover(pool, &io) } catch { failure = error }
                }
                guard failure == nil else {
                    // Kept, unwritten, for the next flush.
                    pool.submit(batch, records: count, file: nil)
                    continue
                }
                do throws(CostLedgerError) {
                    try append(batch, records: count, &io)
                    pool.submit(batch, records: count, file: io.machine.openFile?.syncFile)
                    buffer.withLock { state in
                        state.stats.flushes &+= 1
                        state.stats.writtenRecords &+= count
                        state.stats.pendingRecords &-= count
                    }
                } catch {
                    failure = error
                    pool.submit(batch, records: count, file: nil)
                }
            }
            if let failure { throw failure }
        }

        /// Called by syncing thread `index` with nothing to sync: appends the batch at the front of the buffer (a
        /// complete one, or under a requested flush the incomplete rest) with one `write(2)`, and returns it for
        /// that thread to sync. The thread that has just finished a sync thus writes and syncs the next batch
        /// itself, without a hand-off. While another thread is appending, it returns nil: that thread wakes a
        /// syncing thread once it has let go if more is waiting, as every appender does.
        /// - Returns: the batch's sequence number, the thread's descriptor of its file, its records; nil when the
        ///   window is full, nothing waits, or a batch must be written again first (the flusher does that).
        func pull(_ index: Int) -> (Int, Int32, Int)? {
            guard let pool, pool.hasRoom else { return nil }
            guard
                let result = io.withLockIfAvailable({ (io: inout IOState) -> (Int, Int32, Int, Int64)? in
                    pullOne(pool, index, &io)
                })
            else { return nil }
            // Counted written (its bytes too), and more waiting? Then another syncing thread takes the next batch
            // while this one syncs. (One lock for all of it: the caller takes this lock for every record.) Looked
            // at after taking nothing too: a syncing thread woken for a batch completed while this one held the
            // I/O lock was turned away by it, and nothing else would wake one.
            let more = buffer.withLock { state -> Bool in
                if let job = result {
                    state.stats.flushes &+= 1
                    state.stats.writtenRecords &+= job.2
                    state.stats.pendingRecords &-= job.2
                    state.stats.bytes &+= job.3
                }
                return state.hasWork
            }
            if more { pool.wakeOne() }
            return result.map { ($0.0, $0.1, $0.2) }
        }

        /// ``pull(_:)`` under the I/O lock; also returns the bytes written, for the caller to count.
        private func pullOne(
            _ pool: LedgerSyncPool,
            _ index: Int,
            _ io: inout IOState
        ) -> (Int, Int32, Int, Int64)? {
            guard pool.hasRoom else { return nil }
            var batch = pool.spareBuffer()
            // Bytes before the batch in a buffer handed over whole: dropped once the lock is let go.
            var skip = 0
            let records = buffer.withLock { state -> Int in
                let end: Int
                let records: Int
                if state.hasBatch {
                    end = state.cuts[state.cutHead]
                    state.cutHead &+= 1
                    records = configuration.batchRecords
                } else if state.hasWork {
                    end = state.bytes.count
                    records = state.records
                } else {
                    return 0
                }
                let tail = state.bytes.count - end
                if tail < end - state.front {
                    // Fewer bytes follow the batch than it holds: take the whole buffer and give the caller a
                    // fresh one with only those bytes, so the copy made while the caller waits for the lock is the
                    // smaller one.
                    swap(&state.bytes, &batch)
                    state.bytes.append(LedgerBatchBytes(batch, end..<batch.count))
                    batch.truncate(end)
                    skip = state.front
                    state.cuts.removeFirst(state.cutHead)
                    for i in state.cuts.indices { state.cuts[i] &-= end }
                    state.cutHead = 0
                    state.front = 0
                } else {
                    batch.append(LedgerBatchBytes(state.bytes, state.front..<end))
                    state.front = end
                    state.compact(force: false)
                }
                state.records &-= records
                state.flushRequested = false
                return records
            }
            guard records > 0 else {
                pool.recycle(batch)
                return nil
            }
            if skip > 0 { batch.removeFirst(skip) }
            let bytes = Int64(batch.count)
            do throws(CostLedgerError) {
                try append(LedgerBatchBytes(batch), records: records, &io, countBytes: false)
            } catch {
                // Kept, unwritten, for the next flush (the flusher is woken by the error).
                pool.submit(LedgerBatchBytes(batch), records: records, file: nil)
                pool.recycle(batch)
                wake.signal()
                return nil
            }
            guard let syncFile = io.machine.openFile?.syncFile else {
                // Not reached (a file is opened with its sync descriptors); kept safe: written again.
                buffer.withLock { $0.stats.bytes &+= bytes }
                pool.submit(LedgerBatchBytes(batch), records: records, file: nil)
                return nil
            }
            guard let sequence = pool.claim(batch, records: records, file: syncFile) else {
                // Written to a file condemned meanwhile: written again by the flusher, counted here.
                buffer.withLock { state in
                    state.stats.bytes &+= bytes
                    state.stats.flushes &+= 1
                    state.stats.writtenRecords &+= records
                    state.stats.pendingRecords &-= records
                }
                wake.signal()
                return nil
            }
            // The caller counts it written (``pull(_:)``).
            return (sequence, syncFile.descriptors[index], records, bytes)
        }

        /// Writes the batches whose write or sync failed again, to a new file when a sync of the open one failed.
        /// - Returns: whether there was anything to recover.
        @discardableResult
        private func recover(_ pool: LedgerSyncPool, _ io: inout IOState) throws(CostLedgerError) -> Bool {
            guard pool.needsRecovery else { return false }
            let suspects = pool.takeSuspects()
            // Nothing more goes to a file whose sync failed: the machine closes it, and the batches go to a new one.
            let condemned = io.machine.openFile?.syncFile.map { pool.isCondemned($0) } ?? false
            try run(io.machine.syncFailed(openFileCondemned: condemned), &io)
            for suspect in suspects {
                try append(LedgerBatchBytes(suspect.bytes), records: suspect.records, &io)
                guard let syncFile = io.machine.openFile?.syncFile else { continue }
                pool.resubmit(suspect.sequence, file: syncFile)
                buffer.withLock { state in
                    state.stats.flushes &+= 1
                    if !suspect.written {
                        state.stats.writtenRecords &+= suspect.records
                        state.stats.pendingRecords &-= suspect.records
                    }
                }
            }
            pool.finishRecovery()
            return true
        }

        /// Appends one batch with one `write(2)` (looping only on a short write), opening or rotating the file
        /// first. When the write fails the file is closed, so that whatever it left (a torn line) is never
        /// continued, and the batch is written again to a new file.
        /// - Parameter countBytes: false when the caller counts the bytes of a successful write itself (with the
        ///   batch's other counts, under one lock).
        private func append(
            _ batch: LedgerBatchBytes,
            records: Int,
            _ io: inout IOState,
            countBytes: Bool = true
        ) throws(CostLedgerError) {
            guard !batch.isEmpty else { return }
            let taken = LedgerWriterStateMachine.Batch(
                bytes: batch.count,
                records: records,
                partition: partition(of: batch)
            )
            try run(io.machine.batchTaken(taken, day: today()), &io, bytes: batch, countBytes: countBytes)
        }

        /// The I/O executor: performs the machine's actions, reporting each outcome back as an event, until the
        /// flush is over (``LedgerWriterStateMachine``). Throws the failure it ends in, once noted.
        /// - Parameters:
        ///   - bytes: the batch being written; nil for the serial batch in hand (``IOState/carry``).
        ///   - countBytes: false when the caller counts the bytes of a successful write itself.
        private func run(
            _ first: LedgerWriterStateMachine.Action,
            _ io: inout IOState,
            bytes: LedgerBatchBytes? = nil,
            countBytes: Bool = true
        ) throws(CostLedgerError) {
            var action = first
            while true {
                switch action {
                case .none, .appended:
                    return
                case .cutBack(let fd, let size):
                    let cut = LedgerIO.truncate(fd, to: size)
                    if cut > 0 { buffer.withLock { $0.stats.bytes &-= cut } }
                    action = io.machine.cutBackFinished(cut >= 0)
                case .checkPath(let path, let identity):
                    action = io.machine.pathChecked(identity != nil && LedgerFileIdentity(path: path) == identity)
                case .openFile(let fixedName, let closing, let lost, let partition):
                    if let closing { _ = LedgerIO.close(closing) }
                    if let lost { noteLost(lost) }
                    do {
                        action = io.machine.fileOpened(
                            try openFile(fixedName: fixedName, partition: partition, after: &io.lastFileStart)
                        )
                    } catch {
                        action = io.machine.openFailed(error)
                    }
                case .write(let fd, let from):
                    let batch = bytes ?? LedgerBatchBytes(io.carry)
                    let (written, failure, code) = batch.write(
                        to: fd,
                        from: from,
                        hook: configuration.writeHook,
                        path: io.machine.openFile?.path
                    )
                    if countBytes || failure != nil { buffer.withLock { $0.stats.bytes &+= Int64(written) } }
                    if let failure {
                        action = io.machine.writeFailed(bytes: written, error: failure, fileCannotGrow: code == EFBIG)
                    } else {
                        action = io.machine.writeFinished(bytes: written)
                    }
                case .sync(let fd, let records):
                    // Counted written before the sync, so a waiter woken by the sync sees it written too.
                    countWritten(records)
                    let syncData = configuration.syncDataOverride ?? { fd, _, _ in LedgerFiles.syncData(fd) }
                    if syncData(fd, 0, records) == 0 {
                        action = io.machine.syncFinished()
                    } else {
                        let reason = "sync failed: \(LedgerIO.errnoText())"
                        action = io.machine.syncFailed(
                            CostLedgerError(.io, field: io.machine.openFile?.path, reason: reason)
                        )
                    }
                case .durable(let records, let synced):
                    if !synced { countWritten(records) }
                    let waiting = durability.withLock { state -> Int in
                        if synced { state.syncs &+= 1 }
                        state.durableRecords &+= records
                        return state.durableWaiters
                    }
                    for _ in 0..<waiting { progress.signal() }
                    io.carry.removeAll()
                    return
                case .fail(let error, let closing, let lost, let uncountWritten):
                    if let closing { _ = LedgerIO.close(closing) }
                    if uncountWritten > 0 {
                        buffer.withLock { state in
                            state.stats.writtenRecords &-= uncountWritten
                            state.stats.pendingRecords &+= uncountWritten
                        }
                    }
                    if lost { durability.withLock { $0.lostFiles &+= 1 } }
                    note(error)
                    throw error
                case .rewrite(let closing):
                    if let closing { _ = LedgerIO.close(closing) }
                    return
                case .refuse(let error):
                    throw error
                }
            }
        }

        /// Counts a batch written.
        private func countWritten(_ records: Int) {
            buffer.withLock { state in
                state.stats.flushes &+= 1
                state.stats.writtenRecords &+= records
                state.stats.pendingRecords &-= records
            }
        }

        /// Counts and notes an open file found removed from its path; records written but not synced there are
        /// never counted durable.
        private func noteLost(_ path: String) {
            durability.withLock { $0.lostFiles &+= 1 }
            note(LedgerFiles.lostFile(path))
        }

        private func note(_ error: CostLedgerError) {
            let waiting = durability.withLock { state -> Int in
                state.writeErrors &+= 1
                state.lastError = error.description
                return state.durableWaiters
            }
            for _ in 0..<waiting { progress.signal() }
        }

        /// The UTC day now, for daily rotation.
        private func today() -> Int64 {
            configuration.clock.now().utcDay
        }

        /// The day partition of a batch: the UTC day of its first record's `started_at`, else `ts`; nil when the
        /// writer does not partition. (A first line the writer encoded always decodes; were it not to, the day now.)
        private func partition(of batch: LedgerBatchBytes) -> Int64? {
            guard configuration.partitionByDay else { return nil }
            let line = batch.firstLine(limit: CostRecord.LineLimits.maxLineBytes + 1)
            guard case .record(let record) = CostRecord.decodeStrictBody(line, location: nil) else { return today() }
            return (record.startedAt ?? record.timestamp).utcDay
        }

        /// Opens a new ledger file (the configured name when `fixedName`), in the day partition `partition` when
        /// given, making the directories again if they are gone (docs/ledger.md); under concurrent syncs with its
        /// descriptors for the syncing threads. A new name's start is the clock's milliseconds, or one more than
        /// `lastStart` (the previous name's) when the clock has not passed it: two files opened in the same
        /// millisecond (a batch written again elsewhere after a failed write) would otherwise sort by their random
        /// part, the later file first half the time.
        private func openFile(
            fixedName: Bool,
            partition: Int64?,
            after lastStart: inout Int64
        ) throws(CostLedgerError) -> LedgerWriterStateMachine.OpenFile {
            let now = configuration.clock.now()
            let name: String
            if fixedName, let fixed = configuration.fileName {
                name = fixed
            } else {
                let start =
                    lastStart == .min ? now.millisecondsSinceEpoch : max(now.millisecondsSinceEpoch, lastStart + 1)
                lastStart = start
                name = LedgerFileName.make(host: configuration.hostName, now: start).description
            }
            // A directory removed while the writer ran is made again, as at start (docs/ledger.md).
            try LedgerFiles.makeDirectory(configuration.directory)
            var directory = configuration.directory
            if let partition {
                directory = LedgerFiles.join(directory, LedgerFiles.partitionName(day: partition))
                // A new partition's entry in the ledger directory is synced too, as a new file's is.
                try LedgerFiles.makeDirectory(directory, syncParent: configuration.durability.syncs)
            }
            let path = LedgerFiles.join(directory, name)
            let opened = try LedgerFiles.openForAppend(path, syncDirectory: configuration.durability.syncs)
            var syncFile: LedgerSyncFile?
            if let pool {
                do {
                    syncFile = try pool.open(path)
                } catch {
                    _ = LedgerIO.close(opened.fd)
                    throw error
                }
            }
            buffer.withLock { state in
                state.stats.files &+= 1
                state.stats.currentFile = path
                state.stats.bytes &+= opened.repairBytes
            }
            return .init(
                fd: opened.fd,
                path: path,
                identity: LedgerFileIdentity(descriptor: opened.fd),
                size: opened.size,
                day: now.utcDay,
                syncFile: syncFile,
                partition: partition
            )
        }

        /// Stops the flusher without waiting (the writer object went away).
        func stop() {
            let alreadyStopping = buffer.withLock { state -> Bool in
                defer { state.closed = true }
                return state.closed
            }
            if !alreadyStopping { wake.signal() }
        }

        func close() throws(CostLedgerError) {
            let alreadyStopping = buffer.withLock { state -> Bool in
                defer { state.closed = true }
                return state.closed
            }
            if alreadyStopping { return }
            wake.signal()
            finished.wait()
            // The flusher's last flush ignored errors; report one here if records remain.
            let (pending, accepted) = buffer.withLock { ($0.stats.pendingRecords, $0.stats.acceptedRecords) }
            let (durable, lastError) = durability.withLock { ($0.durableRecords, $0.lastError) }
            let error = lastError ?? "unknown error"
            if pending > 0 {
                throw CostLedgerError(.io, reason: "\(pending) records could not be written: \(error)")
            }
            if pool != nil, durable < accepted {
                throw CostLedgerError(.io, reason: "\(accepted - durable) records could not be made durable: \(error)")
            }
        }
    }
}
