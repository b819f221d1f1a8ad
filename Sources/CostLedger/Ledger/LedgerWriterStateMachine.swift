/// The ledger writer's file lifecycle as one value (docs/ledger.md, "The writer's states"): which file is open,
/// which batch is in hand and how far it got, what failed. Its transitions take events (a batch to write, a write
/// or a sync finished or failed, a path checked, the writer closing) and return the one action the I/O executor
/// must take next (``JSONLinesLedger``'s core, which holds the bytes and the locks); it does no I/O itself and
/// holds no bytes, only their counts, so that every transition can be tested on its own.
///
/// The states:
/// - ``State/idle(_:)``: open, buffering; no batch in hand (a file may be open).
/// - ``State/flushing(_:_:_:)``: a batch in hand, its file being opened, written or checked.
/// - ``State/rotating(_:_:)``: the batch goes to a new file (new UTC day, size limit, another day partition); the
///   old one is checked against its path before it is closed.
/// - ``State/syncing(_:_:)``: the batch is written; its sync (`.fsync`) runs or is checked.
/// - ``State/failed(_:_:)``: a write or sync failed; the batch waits for the next flush. After a failed sync no
///   file is kept: a descriptor whose sync failed is never synced again, the batch goes whole to a new file.
/// - ``State/closed(pending:)``: the writer closed; nothing more is written (a batch a failed write left is
///   reported, not written).
///
/// Under ``LedgerDurability/fsync(concurrentSyncs:)`` (``Mode/concurrent``) the same machine opens, rotates and
/// writes each batch, but the syncing threads sync it and the sync pool keeps it until it is durable; a failed
/// sync reaches the machine as ``syncFailed(openFileCondemned:)``, which closes the file so that the batches
/// not yet durable are written again to a new one.
struct LedgerWriterStateMachine {
    /// Who syncs and who keeps a batch until it is safe.
    enum Mode: Equatable {
        /// One batch at a time; the machine keeps it until written (and synced, with `syncs`) in a file still at
        /// its path.
        case serial(syncs: Bool)
        /// Under concurrent syncs: the machine writes; the sync pool syncs and keeps each batch until durable.
        case concurrent
    }

    /// What decides rotation and names.
    struct Policy: Equatable {
        var mode: Mode
        /// A new file when the UTC day changes.
        var rotateDaily: Bool
        /// A new file before a batch that would take the open one past this size.
        var maxFileBytes: Int64?
        /// The first file opened takes the configured name.
        var fixedFirstName: Bool
        /// Files go in day partitions (`dt=YYYY-MM-DD/`): a batch whose first record falls on another day than the
        /// open file's partition starts a new file.
        var partitionByDay = false
    }

    /// An open ledger file.
    struct OpenFile {
        var fd: Int32
        var path: String
        /// Which file `fd` is (device, inode), to notice when its path no longer leads to it.
        var identity: LedgerFileIdentity?
        var size: Int64
        /// The UTC day it was opened on (days since the epoch).
        var day: Int64
        /// Under concurrent syncs: its descriptors for the syncing threads.
        var syncFile: LedgerSyncFile?
        /// The day partition it lies in (days since the epoch), when the writer partitions by day.
        var partition: Int64? = nil
    }

    /// The batch in hand: counts only, its bytes stay with the executor.
    struct Batch: Equatable {
        var bytes: Int
        var records: Int
        /// Bytes of it already in the open file (a write failed part-way): the rest continues it there.
        var written = 0
        /// When the writer partitions by day: the UTC day of its first record (`started_at`, else `ts`).
        var partition: Int64? = nil
    }

    /// What a ``State/flushing(_:_:_:)`` batch waits for.
    enum FlushStep: Equatable {
        /// Part of it is in the open file: is that file still at its path?
        case resuming
        /// A new file is being opened for it.
        case opening
        /// It is being written.
        case writing
        /// It is written (serial mode): is its file still at its path?
        case verifying
        /// Its write failed part-way with `error`, where the rest cannot follow (concurrent mode, or a file that
        /// cannot grow): the part in the file is being cut off.
        case cuttingBack(CostLedgerError)
    }

    enum State {
        case idle(OpenFile?)
        case flushing(OpenFile?, Batch, FlushStep)
        case rotating(OpenFile, Batch)
        /// `verifying`: the sync returned; is the file still at its path?
        case syncing(OpenFile, Batch, verifying: Bool)
        case failed(OpenFile?, Batch)
        /// `pending`: the batch a failed write or sync left when the writer closed.
        case closed(pending: Batch?)
    }

    /// The next step for the executor.
    enum Action: Equatable {
        /// Nothing to do: the flush is over.
        case none
        /// Compare the file at `path` with `identity` and report ``pathChecked(_:)``.
        case checkPath(path: String, identity: LedgerFileIdentity?)
        /// Close `closing` (if any; when `lost` is set it was found gone from that path: count and note the loss),
        /// open a new file (the configured name when `fixedName`, else a new one, making the directory again if
        /// needed) and report ``fileOpened(_:)`` or ``openFailed(_:)``.
        case openFile(fixedName: Bool, closing: Int32?, lost: String?, partition: Int64? = nil)
        /// Write the batch's bytes from offset `from` to `fd`, looping on short writes; report
        /// ``writeFinished(bytes:)`` or ``writeFailed(bytes:error:)``.
        case write(fd: Int32, from: Int)
        /// Count the batch's `records` written, then sync `fd` and report ``syncFinished()`` or
        /// ``syncFailed(_:)``.
        case sync(fd: Int32, records: Int)
        /// The batch is done: `records` are durable (counted written first unless `synced`, when a sync covered
        /// them and counts); its bytes may be reused.
        case durable(records: Int, synced: Bool)
        /// Concurrent mode: the batch is in the file; hand it to the syncing threads.
        case appended
        /// A write failed part-way and the rest cannot continue it: truncate `fd` to `to` bytes, where the batch
        /// began, so that no part of it (no whole record to be read twice, no torn line) stays in the file; report
        /// ``cutBackFinished(_:)``.
        case cutBack(fd: Int32, to: Int64)
        /// Report `error` (the writer is closed) without counting it as a failed write.
        case refuse(CostLedgerError)
        /// Note `error`, close `closing` (if any; when `lost` is set, the file was found gone from its path: count
        /// the loss), take back `uncountWritten` records counted written, and report the error. The batch, in
        /// serial mode, waits for the next flush.
        case fail(CostLedgerError, closing: Int32?, lost: Bool, uncountWritten: Int)
        /// Concurrent mode, a sync failed: close `closing` (if any; the file whose sync failed is never written or
        /// synced again), then write the batches not yet durable again, to a new file.
        case rewrite(closing: Int32?)
    }

    let policy: Policy
    private(set) var state: State = .idle(nil)
    /// No file opened yet: the first takes the configured name, if any.
    private(set) var firstFile = true

    init(policy: Policy) {
        self.policy = policy
    }

    /// The file open now, if any.
    var openFile: OpenFile? {
        switch state {
        case .idle(let file), .flushing(let file, _, _), .failed(let file, _): file
        case .rotating(let file, _), .syncing(let file, _, _): file
        case .closed: nil
        }
    }

    /// The batch waiting for a flush after a failed write or sync (serial mode), if any; after close, the one that
    /// was never written.
    var pendingBatch: Batch? {
        switch state {
        case .failed(_, let batch), .closed(let batch?): batch
        default: nil
        }
    }

    /// The part of the batch in hand that a failed write left in the open file (serial mode, to be continued
    /// there): the file's descriptor and the offset where the batch began. The writer cuts it off when it closes
    /// without finishing the batch, so the file holds only records counted written, and no torn line.
    var unfinishedPart: (fd: Int32, batchStart: Int64)? {
        guard case .failed(let file?, let batch) = state, batch.written > 0 else { return nil }
        return (file.fd, file.size &- Int64(batch.written))
    }

    // MARK: Events

    /// A flush starts (serial mode): a batch left by a failed write or sync goes first, to the same file when part
    /// of it is there, else whole to the open file or a new one. `day` is the UTC day now.
    mutating func flushStarted(day: Int64) -> Action {
        switch state {
        case .failed(let file, let batch):
            return begin(file, batch, day: day)
        case .closed(let batch?):
            return .refuse(
                CostLedgerError(
                    .closed,
                    reason: "the ledger writer is closed; \(batch.records) records were not written"
                )
            )
        case .idle, .closed(nil), .flushing, .rotating, .syncing:
            return .none
        }
    }

    /// A batch taken from the buffer is to be written (after any pending batch is done). In concurrent mode the
    /// batch is written and handed on (``Action/appended``); a failed write closes the file.
    mutating func batchTaken(_ batch: Batch, day: Int64) -> Action {
        switch state {
        case .idle(let file):
            return begin(file, Batch(bytes: batch.bytes, records: batch.records, partition: batch.partition), day: day)
        case .closed:
            return .refuse(CostLedgerError(.closed, reason: "the ledger writer is closed"))
        case .failed, .flushing, .rotating, .syncing:
            // Not reached: the executor finishes one batch before it takes the next.
            return .none
        }
    }

    /// `flush()` checks that what the flusher wrote is still at its path (serial mode).
    mutating func verifyRequested() -> Action {
        guard case .idle(let file?) = state else { return .none }
        return .checkPath(path: file.path, identity: file.identity)
    }

    /// The result of ``Action/checkPath(path:identity:)``.
    mutating func pathChecked(_ atPath: Bool) -> Action {
        switch state {
        case .flushing(let file?, var batch, .resuming):
            if atPath {
                state = .flushing(file, batch, .writing)
                return .write(fd: file.fd, from: batch.written)
            }
            // The part already written went with its file: the batch starts again, whole, in a new one.
            batch.written = 0
            return open(for: batch, closing: file.fd, lost: file.path)
        case .rotating(let file, let batch):
            return open(for: batch, closing: file.fd, lost: atPath ? nil : file.path)
        case .flushing(let file?, var batch, .verifying):
            guard atPath else {
                // Written into a file no reader will find: written again, whole, to a new file next time.
                batch.written = 0
                state = .failed(nil, batch)
                return .fail(LedgerFiles.lostFile(file.path), closing: file.fd, lost: true, uncountWritten: 0)
            }
            if case .serial(syncs: true) = policy.mode {
                state = .syncing(file, batch, verifying: false)
                return .sync(fd: file.fd, records: batch.records)
            }
            state = .idle(file)
            return .durable(records: batch.records, synced: false)
        case .syncing(let file, var batch, verifying: true):
            guard atPath else {
                // Synced into a file no reader will find: not durable; written again, whole, to a new file.
                batch.written = 0
                state = .failed(nil, batch)
                return .fail(
                    LedgerFiles.lostFile(file.path),
                    closing: file.fd,
                    lost: true,
                    uncountWritten: batch.records
                )
            }
            state = .idle(file)
            return .durable(records: batch.records, synced: true)
        case .idle(let file?):
            guard !atPath else { return .none }
            state = .idle(nil)
            return .fail(LedgerFiles.lostFile(file.path), closing: file.fd, lost: true, uncountWritten: 0)
        case .idle(nil), .flushing, .syncing, .failed, .closed:
            return .none
        }
    }

    /// The new file of ``Action/openFile(fixedName:closing:lost:partition:)`` is open.
    mutating func fileOpened(_ file: OpenFile) -> Action {
        guard case .flushing(nil, let batch, .opening) = state else { return .none }
        state = .flushing(file, batch, .writing)
        return .write(fd: file.fd, from: batch.written)
    }

    /// Opening the new file failed: the batch waits for the next flush.
    mutating func openFailed(_ error: CostLedgerError) -> Action {
        guard case .flushing(nil, let batch, .opening) = state else { return .none }
        return failWrite(nil, batch, error)
    }

    /// The write of ``Action/write(fd:from:)`` put the batch's last byte in the file; `bytes` were written by it.
    mutating func writeFinished(bytes: Int) -> Action {
        guard case .flushing(var file?, var batch, .writing) = state else { return .none }
        file.size &+= Int64(bytes)
        batch.written &+= bytes
        if policy.mode == .concurrent {
            state = .idle(file)
            return .appended
        }
        state = .flushing(file, batch, .verifying)
        return .checkPath(path: file.path, identity: file.identity)
    }

    /// The write failed after `bytes` bytes. Serial mode, on a full disk: the file stays open and the rest of the
    /// batch continues the partial line there on the next flush (only this process appends to it). When the rest
    /// cannot follow there, under concurrent syncs (the pool writes the batch again whole) or when the file cannot
    /// grow (`fileCannotGrow`: `EFBIG`, a file-size limit), the part written is cut off first
    /// (``Action/cutBack(fd:to:)``), then the file is closed and the batch goes whole to a new file.
    mutating func writeFailed(bytes: Int, error: CostLedgerError, fileCannotGrow: Bool = false) -> Action {
        guard case .flushing(var file?, var batch, .writing) = state else { return .none }
        file.size &+= Int64(bytes)
        batch.written &+= bytes
        let restElsewhere = policy.mode == .concurrent || fileCannotGrow
        if restElsewhere, batch.written > 0 {
            state = .flushing(file, batch, .cuttingBack(error))
            return .cutBack(fd: file.fd, to: file.size &- Int64(batch.written))
        }
        if restElsewhere { return closeAfterFailedWrite(file, batch, error) }
        return failWrite(file, batch, error)
    }

    /// The truncation of ``Action/cutBack(fd:to:)`` returned: `done` when the file is back to where the batch
    /// began. The file is then closed and the batch goes whole to a new one. When it could not be cut back, a
    /// serial batch continues its file as after a full disk (one file that cannot grow is retried and reported);
    /// under concurrent syncs the file is closed as it is and the batch written again, whole, elsewhere.
    mutating func cutBackFinished(_ done: Bool) -> Action {
        guard case .flushing(var file?, var batch, .cuttingBack(let error)) = state else { return .none }
        if done {
            file.size &-= Int64(batch.written)
            batch.written = 0
        } else if policy.mode != .concurrent {
            return failWrite(file, batch, error)
        }
        return closeAfterFailedWrite(file, batch, error)
    }

    /// The sync of ``Action/sync(fd:records:)`` returned success.
    mutating func syncFinished() -> Action {
        guard case .syncing(let file, let batch, verifying: false) = state else { return .none }
        state = .syncing(file, batch, verifying: true)
        return .checkPath(path: file.path, identity: file.identity)
    }

    /// The sync failed. The file is never synced again (on Linux a second `fdatasync` can report success for data
    /// the first one lost): it is closed and the batch, no longer counted written, waits whole for the next
    /// flush, which writes it to a new file.
    mutating func syncFailed(_ error: CostLedgerError) -> Action {
        guard case .syncing(let file, var batch, verifying: false) = state else { return .none }
        batch.written = 0
        state = .failed(nil, batch)
        return .fail(error, closing: file.fd, lost: false, uncountWritten: batch.records)
    }

    /// Concurrent mode: a sync failed (or found its file gone) and the batches not yet durable are to be written
    /// again. When the open file is the one whose sync failed it is closed, never written or synced again; the
    /// batches then go to a new file.
    mutating func syncFailed(openFileCondemned: Bool) -> Action {
        guard case .idle(let file) = state else { return .none }
        guard openFileCondemned, let file else { return .rewrite(closing: nil) }
        state = .idle(nil)
        return .rewrite(closing: file.fd)
    }

    /// The writer closes: the open file is closed and nothing more is written; a batch a failed write left stays
    /// only to be reported. Returns the descriptor to close.
    mutating func closed() -> Int32? {
        let fd = openFile?.fd
        state = .closed(pending: pendingBatch)
        return fd
    }

    // MARK: Steps

    private mutating func begin(_ file: OpenFile?, _ batch: Batch, day: Int64) -> Action {
        var batch = batch
        if batch.written > 0 {
            if let file {
                state = .flushing(file, batch, .resuming)
                return .checkPath(path: file.path, identity: file.identity)
            }
            batch.written = 0
        }
        guard let file else { return open(for: batch, closing: nil, lost: nil) }
        let newDay = policy.rotateDaily && day != file.day
        let tooBig = policy.maxFileBytes.map { file.size > 0 && file.size &+ Int64(batch.bytes) > $0 } ?? false
        let newPartition = policy.partitionByDay && batch.partition != file.partition
        if newDay || tooBig || newPartition {
            // At rotation too, a file gone from its path is reported.
            state = .rotating(file, batch)
            return .checkPath(path: file.path, identity: file.identity)
        }
        state = .flushing(file, batch, .writing)
        return .write(fd: file.fd, from: 0)
    }

    private mutating func open(for batch: Batch, closing: Int32?, lost: String?) -> Action {
        let fixed = firstFile && policy.fixedFirstName
        firstFile = false
        state = .flushing(nil, batch, .opening)
        return .openFile(fixedName: fixed, closing: closing, lost: lost, partition: batch.partition)
    }

    /// A failed write whose batch goes whole to a new file: the file is closed.
    private mutating func closeAfterFailedWrite(_ file: OpenFile, _ batch: Batch, _ error: CostLedgerError) -> Action {
        if policy.mode == .concurrent {
            state = .idle(nil)
        } else {
            var batch = batch
            batch.written = 0
            state = .failed(nil, batch)
        }
        return .fail(error, closing: file.fd, lost: false, uncountWritten: 0)
    }

    private mutating func failWrite(_ file: OpenFile?, _ batch: Batch, _ error: CostLedgerError) -> Action {
        if policy.mode == .concurrent {
            state = .idle(file)
        } else {
            state = .failed(file, batch)
        }
        return .fail(error, closing: nil, lost: false, uncountWritten: 0)
    }
}

/// A file as the sync window sees it: whether a sync of it failed.
protocol LedgerSyncWindowFile: AnyObject {
    /// A sync of this file failed: no batch of it that is not durable yet will be counted durable.
    var condemned: Bool { get set }
}

extension LedgerWriterStateMachine {
    /// Under ``LedgerDurability/fsync(concurrentSyncs:)``, the syncing half of the writer's state: the batches
    /// written and not yet durable, in append order, and which of them wait for a sync, synced, or must be written
    /// again. Like the machine it does no I/O; the sync pool holds it under its own lock (syncs return while the
    /// next batch is appended) and runs the syncs.
    ///
    /// A failed sync condemns its file: the batch, and every later batch of that file not yet durable whether or
    /// not its own sync succeeds, becomes a suspect, and ``needsRecovery`` asks the writer to close the file
    /// (``LedgerWriterStateMachine/syncFailed(openFileCondemned:)``) and write the suspects again, whole, to a new
    /// one (``suspects()``, ``resubmit(_:file:)``). The durable count advances only over the head of the window
    /// whose syncs all returned success.
    struct SyncWindow<File: LedgerSyncWindowFile> {
        enum EntryState: Equatable {
            /// Its sync is queued or running.
            case syncing
            /// Its sync returned success while its file was not condemned.
            case synced
            /// To be written again: its write or its sync failed, or its file was condemned first.
            case suspect
        }

        /// A batch written (or to be written) and not yet durable.
        struct Entry {
            var sequence: Int
            var records: Int
            /// A copy of its bytes, kept until it is durable so that it can be written again.
            var bytes: LedgerByteBuffer
            var file: File?
            var state: EntryState
            /// Whether a `write(2)` of it completed (its records count in ``JSONLinesLedger/Stats/writtenRecords``).
            var written: Bool
        }

        /// What a returned sync changed.
        struct Completion: Equatable {
            /// Records that became durable (the head of the window advanced over them).
            var durableRecords = 0
            /// Syncs that returned success and count.
            var syncs = 0
            /// The batches not yet durable must be written again to a new file.
            var rewrite = false
        }

        /// The most syncs in flight at once.
        let depth: Int
        /// The most batches written and not yet durable: a batch whose sync returned waits for the batches before
        /// it, and a slow sync at the head must not stop the others from starting.
        var capacity: Int { depth &* 4 }
        /// The window, in append order.
        private(set) var entries: [Entry] = []
        /// Sequence numbers of batches waiting for a syncing thread.
        private var queue: [Int] = []
        private var queueHead = 0
        private var nextSequence = 0
        /// Syncs queued or running.
        private(set) var inFlight = 0
        /// Some batch is suspect and must be written again before anything new is appended.
        private(set) var needsRecovery = false
        /// Buffers of batches that became durable, for reuse.
        private var spare: [LedgerByteBuffer] = []

        init(depth: Int) {
            self.depth = max(1, depth)
        }

        /// Whether a batch may be appended now: a sync slot is free, the window has room, nothing to write again.
        var hasRoom: Bool { !needsRecovery && inFlight < depth && entries.count < capacity }

        /// Whether a sync waits for a syncing thread.
        var hasQueued: Bool { queueHead < queue.count }

        /// Whether a sync of a condemned file (or of a batch whose file is gone) is still running: the suspects are
        /// taken only once it returned.
        var syncingCondemned: Bool { entries.contains { $0.state == .syncing && ($0.file?.condemned ?? true) } }

        /// The batches to write again, in order.
        var suspects: [Entry] { entries.filter { $0.state == .suspect } }

        /// An empty buffer for a batch's bytes, from those of batches already durable when there is one.
        mutating func spareBuffer() -> LedgerByteBuffer {
            let buffer = spare.popLast() ?? LedgerByteBuffer()
            buffer.removeAll()
            return buffer
        }

        /// Takes back a buffer ``spareBuffer()`` gave that was not used.
        mutating func recycle(_ buffer: LedgerByteBuffer) {
            spare.append(buffer)
        }

        /// Takes a batch into the window: written to `file`, to be synced by a syncing thread (queued), or with
        /// `file` nil, not written (its write failed) and to be written again. A batch appended to a file already
        /// condemned is not trusted either.
        /// - Returns: whether it was queued for a sync.
        mutating func submit(_ bytes: LedgerByteBuffer, records: Int, file: File?) -> Bool {
            let sequence = add(bytes, records: records, file: file, written: file != nil)
            guard entries[entries.count - 1].state == .syncing else { return false }
            queue.append(sequence)
            return true
        }

        /// Takes a batch just written to `file`, for the calling thread to sync itself (not queued).
        /// - Returns: its sequence number; nil when `file` was condemned meanwhile (the batch is then a suspect).
        mutating func claim(_ bytes: LedgerByteBuffer, records: Int, file: File) -> Int? {
            let sequence = add(bytes, records: records, file: file, written: true)
            return entries[entries.count - 1].state == .syncing ? sequence : nil
        }

        /// Takes the next queued sync: its sequence number, file and records; nil when its batch left the window.
        mutating func popQueued() -> (sequence: Int, file: File, records: Int)? {
            guard hasQueued else { return nil }
            let sequence = queue[queueHead]
            queueHead &+= 1
            if queueHead == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            }
            guard let entry = entries.first(where: { $0.sequence == sequence }), let file = entry.file else {
                return nil
            }
            return (sequence, file, entry.records)
        }

        /// The file batch `sequence` was written to, while it is in the window.
        func file(of sequence: Int) -> File? {
            entries.first { $0.sequence == sequence }?.file
        }

        /// Batch `sequence`'s sync returned: `failed` when it failed or found its file gone from its path. A
        /// failure condemns the file (never synced or written again) and asks for the batches not yet durable to be
        /// written again to a new file; a success on a condemned file does not count (its pages' write-back error
        /// may have gone to the failed call). Then the durable count advances over the head of the window.
        mutating func syncReturned(_ sequence: Int, failed: Bool) -> Completion {
            var result = Completion()
            if let index = entries.firstIndex(where: { $0.sequence == sequence }) {
                let file = entries[index].file
                if failed {
                    file?.condemned = true
                    entries[index].state = .suspect
                    needsRecovery = true
                } else if file?.condemned ?? true {
                    entries[index].state = .suspect
                    needsRecovery = true
                } else {
                    entries[index].state = .synced
                    result.syncs = 1
                }
            }
            result.rewrite = needsRecovery
            var head = 0
            while head < entries.count, entries[head].state == .synced {
                result.durableRecords &+= entries[head].records
                spare.append(entries[head].bytes)
                head &+= 1
            }
            if head > 0 { entries.removeFirst(head) }
            return result
        }

        /// A sync counted in ``inFlight`` is over (its outcome already recorded by ``syncReturned(_:failed:)``).
        mutating func syncEnded() {
            inFlight &-= 1
        }

        /// A suspect batch has been written again, to `file`: queue its sync.
        /// - Returns: whether it was queued (false when `file` is condemned too: it stays a suspect).
        mutating func resubmit(_ sequence: Int, file: File) -> Bool {
            guard let index = entries.firstIndex(where: { $0.sequence == sequence }),
                entries[index].state == .suspect, !file.condemned
            else { return false }
            entries[index].file = file
            entries[index].state = .syncing
            entries[index].written = true
            queue.append(sequence)
            inFlight &+= 1
            return true
        }

        /// Ends a recovery: ``needsRecovery`` stays only while some batch is still a suspect.
        mutating func finishRecovery() {
            needsRecovery = entries.contains { $0.state == .suspect }
        }

        private mutating func add(_ bytes: LedgerByteBuffer, records: Int, file: File?, written: Bool) -> Int {
            let sequence = nextSequence
            nextSequence &+= 1
            let syncing = file.map { !$0.condemned } ?? false
            entries.append(
                Entry(
                    sequence: sequence,
                    records: records,
                    bytes: bytes,
                    file: file,
                    state: syncing ? .syncing : .suspect,
                    written: written
                )
            )
            if syncing {
                inFlight &+= 1
            } else {
                needsRecovery = true
            }
            return sequence
        }
    }
}
