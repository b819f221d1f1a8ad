import Testing

@testable import CostLedger

/// The writer's state machine on its own: events in, actions out, no file touched.
@Suite("Ledger writer state machine")
struct LedgerWriterStateMachineTests {
    typealias Machine = LedgerWriterStateMachine

    static func policy(
        _ mode: Machine.Mode = .serial(syncs: false),
        maxFileBytes: Int64? = nil,
        fixedFirstName: Bool = false
    ) -> Machine.Policy {
        Machine.Policy(mode: mode, rotateDaily: true, maxFileBytes: maxFileBytes, fixedFirstName: fixedFirstName)
    }

    static func file(_ fd: Int32, day: Int64 = 100, size: Int64 = 0) -> Machine.OpenFile {
        Machine.OpenFile(
            fd: fd,
            path: "ledger/f\(fd).jsonl",
            identity: LedgerFileIdentity(device: 1, inode: UInt64(fd)),
            size: size,
            day: day,
            syncFile: nil
        )
    }

    static func check(_ file: Machine.OpenFile) -> Machine.Action {
        .checkPath(path: file.path, identity: file.identity)
    }

    static let diskFull = CostLedgerError(.io, field: "ledger/f3.jsonl", reason: "write failed: no space (errno 28)")
    static let syncError = CostLedgerError(.io, field: "ledger/f3.jsonl", reason: "sync failed: I/O error (errno 5)")

    /// A machine with file 3 open (opened for a first batch that was written whole), in `mode`.
    static func withOpenFile(_ mode: Machine.Mode, day: Int64 = 100) -> Machine {
        var machine = Machine(policy: policy(mode))
        _ = machine.batchTaken(.init(bytes: 10, records: 1), day: day)
        _ = machine.fileOpened(file(3, day: day))
        var action = machine.writeFinished(bytes: 10)
        while true {
            switch action {
            case .checkPath: action = machine.pathChecked(true)
            case .sync: action = machine.syncFinished()
            default: return machine
            }
        }
    }

    @Test("the first batch opens a file with the configured name, is written whole, checked at its path, durable")
    func firstBatch() {
        var machine = Machine(policy: Self.policy(fixedFirstName: true))
        #expect(
            machine.batchTaken(.init(bytes: 120, records: 2), day: 100)
                == .openFile(fixedName: true, closing: nil, lost: nil)
        )
        #expect(machine.fileOpened(Self.file(3)) == .write(fd: 3, from: 0))
        #expect(machine.writeFinished(bytes: 120) == Self.check(Self.file(3)))
        #expect(machine.pathChecked(true) == .durable(records: 2, synced: false))
        #expect(machine.openFile?.fd == 3)
        #expect(machine.openFile?.size == 120)
        // The next batch goes to the same file, and a later new file never takes the configured name again.
        #expect(machine.batchTaken(.init(bytes: 60, records: 1), day: 100) == .write(fd: 3, from: 0))
    }

    @Test("under .fsync a written batch is synced, then checked at its path, and only then durable")
    func syncedBatch() {
        var machine = Machine(policy: Self.policy(.serial(syncs: true)))
        #expect(
            machine.batchTaken(.init(bytes: 50, records: 5), day: 100)
                == .openFile(fixedName: false, closing: nil, lost: nil)
        )
        #expect(machine.fileOpened(Self.file(3)) == .write(fd: 3, from: 0))
        #expect(machine.writeFinished(bytes: 50) == Self.check(Self.file(3)))
        #expect(machine.pathChecked(true) == .sync(fd: 3, records: 5))
        #expect(machine.syncFinished() == Self.check(Self.file(3)))
        #expect(machine.pathChecked(true) == .durable(records: 5, synced: true))
        #expect(machine.pendingBatch == nil)
    }

    @Test("a failed sync closes the file, which is never synced or written again; the batch goes whole to a new file")
    func syncFailureRewritesToNewFile() {
        var machine = Machine(policy: Self.policy(.serial(syncs: true)))
        _ = machine.batchTaken(.init(bytes: 50, records: 5), day: 100)
        _ = machine.fileOpened(Self.file(3))
        _ = machine.writeFinished(bytes: 50)
        #expect(machine.pathChecked(true) == .sync(fd: 3, records: 5))
        #expect(
            machine.syncFailed(Self.syncError)
                == .fail(Self.syncError, closing: 3, lost: false, uncountWritten: 5)
        )
        #expect(machine.openFile == nil)
        #expect(machine.pendingBatch == Machine.Batch(bytes: 50, records: 5, written: 0))
        // The next flush opens a new file for the batch (the old descriptor is not in any action) and syncs there.
        #expect(machine.flushStarted(day: 100) == .openFile(fixedName: false, closing: nil, lost: nil))
        #expect(machine.fileOpened(Self.file(4)) == .write(fd: 4, from: 0))
        #expect(machine.writeFinished(bytes: 50) == Self.check(Self.file(4)))
        #expect(machine.pathChecked(true) == .sync(fd: 4, records: 5))
        #expect(machine.syncFinished() == Self.check(Self.file(4)))
        #expect(machine.pathChecked(true) == .durable(records: 5, synced: true))
    }

    @Test("a sync that returns for a file gone from its path does not make the batch durable; it is written again")
    func syncedIntoLostFile() {
        var machine = Machine(policy: Self.policy(.serial(syncs: true)))
        _ = machine.batchTaken(.init(bytes: 50, records: 5), day: 100)
        _ = machine.fileOpened(Self.file(3))
        _ = machine.writeFinished(bytes: 50)
        _ = machine.pathChecked(true)
        #expect(machine.syncFinished() == Self.check(Self.file(3)))
        #expect(
            machine.pathChecked(false)
                == .fail(LedgerFiles.lostFile("ledger/f3.jsonl"), closing: 3, lost: true, uncountWritten: 5)
        )
        #expect(machine.flushStarted(day: 100) == .openFile(fixedName: false, closing: nil, lost: nil))
    }

    @Test("concurrent syncs: a failed sync of the open file closes it and rewrites the batches to a new file")
    func concurrentSyncFailure() {
        var machine = Self.withOpenFile(.concurrent)
        #expect(machine.openFile?.fd == 3)
        // A failure of an older file's sync leaves the open file alone.
        #expect(machine.syncFailed(openFileCondemned: false) == .rewrite(closing: nil))
        #expect(machine.openFile?.fd == 3)
        #expect(machine.syncFailed(openFileCondemned: true) == .rewrite(closing: 3))
        #expect(machine.openFile == nil)
        // The batches written again go to a new file.
        #expect(
            machine.batchTaken(.init(bytes: 10, records: 1), day: 100)
                == .openFile(fixedName: false, closing: nil, lost: nil)
        )
        #expect(machine.fileOpened(Self.file(4)) == .write(fd: 4, from: 0))
        #expect(machine.writeFinished(bytes: 10) == .appended)
    }

    @Test("rotation: a batch taken on a new UTC day, or one past the size limit, goes to a new file; the old is closed")
    func rotation() {
        var machine = Self.withOpenFile(.serial(syncs: false), day: 100)
        #expect(machine.batchTaken(.init(bytes: 10, records: 1), day: 101) == Self.check(Self.file(3)))
        #expect(machine.pathChecked(true) == .openFile(fixedName: false, closing: 3, lost: nil))
        #expect(machine.fileOpened(Self.file(4, day: 101)) == .write(fd: 4, from: 0))

        var sized = Machine(policy: Self.policy(maxFileBytes: 100))
        _ = sized.batchTaken(.init(bytes: 90, records: 9), day: 100)
        _ = sized.fileOpened(Self.file(3))
        _ = sized.writeFinished(bytes: 90)
        _ = sized.pathChecked(true)
        // 90 + 10 fits the limit; 90 + 11 does not.
        #expect(sized.batchTaken(.init(bytes: 10, records: 1), day: 100) == .write(fd: 3, from: 0))
        _ = sized.writeFinished(bytes: 10)
        _ = sized.pathChecked(true)
        #expect(sized.batchTaken(.init(bytes: 1, records: 1), day: 100) == Self.check(Self.file(3)))
        // Found gone at rotation: reported as a loss, and the batch still goes to the new file.
        #expect(sized.pathChecked(false) == .openFile(fixedName: false, closing: 3, lost: "ledger/f3.jsonl"))
    }

    @Test("a write that fails part-way keeps the batch; the rest goes to the same file, even on a new day")
    func partialWrite() {
        var machine = Self.withOpenFile(.serial(syncs: false), day: 100)
        #expect(machine.batchTaken(.init(bytes: 40, records: 4), day: 100) == .write(fd: 3, from: 0))
        #expect(
            machine.writeFailed(bytes: 15, error: Self.diskFull)
                == .fail(Self.diskFull, closing: nil, lost: false, uncountWritten: 0)
        )
        #expect(machine.pendingBatch == Machine.Batch(bytes: 40, records: 4, written: 15))
        #expect(machine.openFile?.fd == 3)
        // No rotation in the middle of a batch: the file is checked at its path and continued at byte 15.
        #expect(machine.flushStarted(day: 101) == Self.check(Self.file(3)))
        #expect(machine.pathChecked(true) == .write(fd: 3, from: 15))
        #expect(
            machine.writeFinished(bytes: 25) == .checkPath(path: "ledger/f3.jsonl", identity: Self.file(3).identity)
        )
        #expect(machine.pathChecked(true) == .durable(records: 4, synced: false))
        // The rotation the day asked for happens at the next batch.
        #expect(machine.batchTaken(.init(bytes: 10, records: 1), day: 101) == Self.check(Self.file(3)))
    }

    @Test("a part-written batch whose file is gone from its path starts again, whole, in a new file")
    func partialWriteFileLost() {
        var machine = Self.withOpenFile(.serial(syncs: false))
        _ = machine.batchTaken(.init(bytes: 40, records: 4), day: 100)
        _ = machine.writeFailed(bytes: 15, error: Self.diskFull)
        #expect(machine.flushStarted(day: 100) == Self.check(Self.file(3)))
        #expect(machine.pathChecked(false) == .openFile(fixedName: false, closing: 3, lost: "ledger/f3.jsonl"))
        #expect(machine.fileOpened(Self.file(4)) == .write(fd: 4, from: 0))
    }

    @Test("a batch written to a file gone from its path is not durable and is written again to a new file")
    func writtenIntoLostFile() {
        var machine = Self.withOpenFile(.serial(syncs: false))
        _ = machine.batchTaken(.init(bytes: 40, records: 4), day: 100)
        _ = machine.writeFinished(bytes: 40)
        #expect(
            machine.pathChecked(false)
                == .fail(LedgerFiles.lostFile("ledger/f3.jsonl"), closing: 3, lost: true, uncountWritten: 0)
        )
        #expect(machine.pendingBatch == Machine.Batch(bytes: 40, records: 4, written: 0))
        #expect(machine.flushStarted(day: 100) == .openFile(fixedName: false, closing: nil, lost: nil))
    }

    @Test("a file that cannot be opened fails the flush and keeps the batch for the next one")
    func openFailure() {
        var machine = Machine(policy: Self.policy())
        _ = machine.batchTaken(.init(bytes: 40, records: 4), day: 100)
        let error = CostLedgerError(.io, field: "ledger", reason: "exists and is not a directory")
        #expect(machine.openFailed(error) == .fail(error, closing: nil, lost: false, uncountWritten: 0))
        #expect(machine.pendingBatch == Machine.Batch(bytes: 40, records: 4, written: 0))
        #expect(machine.flushStarted(day: 100) == .openFile(fixedName: false, closing: nil, lost: nil))
    }

    @Test("after a failed write, new batches wait: the failed one is written first, then the next is taken")
    func batchAfterFailure() {
        var machine = Self.withOpenFile(.serial(syncs: false))
        _ = machine.batchTaken(.init(bytes: 40, records: 4), day: 100)
        _ = machine.writeFailed(bytes: 0, error: Self.diskFull)
        // Taking another batch while one failed is refused (nothing to do): the flush resumes the failed one first.
        #expect(machine.batchTaken(.init(bytes: 10, records: 1), day: 100) == .none)
        #expect(machine.pendingBatch?.records == 4)
        #expect(machine.flushStarted(day: 100) == .write(fd: 3, from: 0))
        #expect(machine.writeFinished(bytes: 40) == Self.check(Self.file(3)))
        #expect(machine.pathChecked(true) == .durable(records: 4, synced: false))
        #expect(machine.batchTaken(.init(bytes: 10, records: 1), day: 100) == .write(fd: 3, from: 0))
    }

    @Test("concurrent syncs: a write that fails part-way is cut off its file, which is closed: no torn line, no copy")
    func concurrentWriteFailure() {
        var machine = Self.withOpenFile(.concurrent)
        #expect(machine.batchTaken(.init(bytes: 40, records: 4), day: 100) == .write(fd: 3, from: 0))
        // The file held 10 bytes before the batch (withOpenFile): it is cut back to them.
        #expect(machine.writeFailed(bytes: 7, error: Self.diskFull) == .cutBack(fd: 3, to: 10))
        #expect(
            machine.cutBackFinished(true) == .fail(Self.diskFull, closing: 3, lost: false, uncountWritten: 0)
        )
        #expect(machine.openFile == nil)
        #expect(machine.pendingBatch == nil)
        #expect(
            machine.batchTaken(.init(bytes: 40, records: 4), day: 100)
                == .openFile(fixedName: false, closing: nil, lost: nil)
        )
        // A write that failed before its first byte leaves nothing to cut.
        var clean = Self.withOpenFile(.concurrent)
        _ = clean.batchTaken(.init(bytes: 40, records: 4), day: 100)
        #expect(
            clean.writeFailed(bytes: 0, error: Self.diskFull)
                == .fail(Self.diskFull, closing: 3, lost: false, uncountWritten: 0)
        )
    }

    @Test(
        "a file that cannot grow (EFBIG): the part written is cut off, the file closed, the batch goes whole to a new one"
    )
    func fileCannotGrow() {
        var machine = Self.withOpenFile(.serial(syncs: false), day: 100)
        _ = machine.batchTaken(.init(bytes: 40, records: 4), day: 100)
        #expect(machine.writeFailed(bytes: 15, error: Self.diskFull, fileCannotGrow: true) == .cutBack(fd: 3, to: 10))
        #expect(
            machine.cutBackFinished(true) == .fail(Self.diskFull, closing: 3, lost: false, uncountWritten: 0)
        )
        #expect(machine.pendingBatch == Machine.Batch(bytes: 40, records: 4, written: 0))
        #expect(machine.openFile == nil)
        #expect(machine.flushStarted(day: 100) == .openFile(fixedName: false, closing: nil, lost: nil))
        #expect(machine.fileOpened(Self.file(4)) == .write(fd: 4, from: 0))

        // Could not be cut back: the batch stays in hand in its file, to be continued there, as on a full disk.
        var stuck = Self.withOpenFile(.serial(syncs: false), day: 100)
        _ = stuck.batchTaken(.init(bytes: 40, records: 4), day: 100)
        _ = stuck.writeFailed(bytes: 15, error: Self.diskFull, fileCannotGrow: true)
        #expect(stuck.cutBackFinished(false) == .fail(Self.diskFull, closing: nil, lost: false, uncountWritten: 0))
        #expect(stuck.pendingBatch == Machine.Batch(bytes: 40, records: 4, written: 15))
        #expect(stuck.openFile?.fd == 3)
    }

    @Test("flush() finds the open file gone from its path: the loss is reported and the file closed")
    func verifyLostFile() {
        var machine = Self.withOpenFile(.serial(syncs: false))
        #expect(machine.verifyRequested() == Self.check(Self.file(3)))
        #expect(machine.pathChecked(true) == .none)
        #expect(machine.verifyRequested() == Self.check(Self.file(3)))
        #expect(
            machine.pathChecked(false)
                == .fail(LedgerFiles.lostFile("ledger/f3.jsonl"), closing: 3, lost: true, uncountWritten: 0)
        )
        #expect(machine.openFile == nil)
        #expect(machine.verifyRequested() == .none)
    }

    @Test("closing with a batch pending closes the file; later flushes and batches are refused as closed, not written")
    func closeWithPendingBatch() {
        var machine = Self.withOpenFile(.serial(syncs: true))
        _ = machine.batchTaken(.init(bytes: 40, records: 4), day: 100)
        _ = machine.writeFailed(bytes: 0, error: Self.diskFull)
        #expect(machine.pendingBatch != nil)
        #expect(machine.closed() == 3)
        #expect(machine.openFile == nil)
        // The batch is reported, never written: no file is opened after close.
        #expect(machine.pendingBatch == Machine.Batch(bytes: 40, records: 4, written: 0))
        let flush = machine.flushStarted(day: 100)
        guard case .refuse(let flushError) = flush else {
            Issue.record("expected a refusal, got \(flush)")
            return
        }
        #expect(flushError.code == .closed)
        #expect(flushError.description.contains("4 records were not written"))
        let batch = machine.batchTaken(.init(bytes: 10, records: 1), day: 100)
        guard case .refuse(let batchError) = batch else {
            Issue.record("expected a refusal, got \(batch)")
            return
        }
        #expect(batchError.code == .closed)
        #expect(machine.closed() == nil)
    }

    @Test("closing with nothing pending: a later flush has nothing to do")
    func closeIdle() {
        var machine = Self.withOpenFile(.serial(syncs: false))
        #expect(machine.closed() == 3)
        #expect(machine.flushStarted(day: 100) == .none)
        #expect(machine.verifyRequested() == .none)
    }

    // MARK: The sync window (concurrent syncs)

    final class FakeFile: LedgerSyncWindowFile {
        var condemned = false
    }

    typealias Window = Machine.SyncWindow<FakeFile>

    static func bytes(_ text: String) -> LedgerByteBuffer {
        let buffer = LedgerByteBuffer()
        unsafe Array(text.utf8).withUnsafeBytes { unsafe buffer.append($0) }
        return buffer
    }

    @Test("concurrent syncs: records count durable only over the head of the window whose syncs all returned")
    func windowDurableInOrder() {
        let file = FakeFile()
        var window = Window(depth: 4)
        let queued = [
            window.submit(Self.bytes("a\n"), records: 2, file: file),
            window.submit(Self.bytes("b\n"), records: 3, file: file),
        ]
        #expect(queued == [true, true])
        #expect(window.popQueued()?.sequence == 0)
        #expect(window.popQueued()?.sequence == 1)
        // The later batch syncs first: it waits for the one before it.
        #expect(window.syncReturned(1, failed: false) == Window.Completion(durableRecords: 0, syncs: 1))
        #expect(window.syncReturned(0, failed: false) == Window.Completion(durableRecords: 5, syncs: 1))
        #expect(window.entries.isEmpty)
        #expect(!window.needsRecovery)
    }

    @Test("concurrent syncs: a failed sync condemns the file; its later batches are rewritten even if their syncs pass")
    func windowSyncFailure() {
        let old = FakeFile()
        var window = Window(depth: 4)
        for text in ["a\n", "b\n", "c\n"] { _ = window.submit(Self.bytes(text), records: 1, file: old) }
        // The syncing threads take the three syncs, on the old file.
        let taken = (0..<3).map { _ in window.popQueued() }
        #expect(taken.map { $0?.sequence } == [0, 1, 2])
        #expect(taken.allSatisfy { $0?.file === old })
        #expect(window.syncReturned(0, failed: false) == Window.Completion(durableRecords: 1, syncs: 1))
        #expect(window.syncReturned(1, failed: true) == Window.Completion(durableRecords: 0, syncs: 0, rewrite: true))
        #expect(old.condemned)
        // Batch 2's sync returns success on the condemned file: not trusted, not counted.
        #expect(window.syncReturned(2, failed: false) == Window.Completion(durableRecords: 0, syncs: 0, rewrite: true))
        #expect(window.needsRecovery)
        #expect(!window.hasRoom)
        #expect(window.suspects.map(\.sequence) == [1, 2])
        #expect(window.suspects.map(\.written) == [true, true])
        // Nothing more is synced on the old file: a batch claimed for it, or a suspect resubmitted to it, is refused.
        #expect(window.claim(Self.bytes("d\n"), records: 1, file: old) == nil)
        let resubmittedToOld = window.resubmit(1, file: old)
        #expect(!resubmittedToOld)
        // Written again to a new file, the suspects are synced there and then count.
        let new = FakeFile()
        let resubmitted = [1, 2, 3].map { window.resubmit($0, file: new) }
        #expect(resubmitted == [true, true, true])
        window.finishRecovery()
        #expect(!window.needsRecovery)
        let next = window.popQueued()
        #expect(next?.sequence == 1)
        #expect(next?.file === new)
        #expect(window.syncReturned(1, failed: false).durableRecords == 1)
        #expect(window.syncReturned(2, failed: false).durableRecords == 1)
        #expect(window.syncReturned(3, failed: false).durableRecords == 1)
    }

    @Test("concurrent syncs: a batch whose write failed waits to be written again; room is bounded by the depth")
    func windowBounds() {
        let file = FakeFile()
        var window = Window(depth: 2)
        #expect(window.hasRoom)
        _ = window.submit(Self.bytes("a\n"), records: 1, file: file)
        _ = window.submit(Self.bytes("b\n"), records: 1, file: file)
        #expect(window.inFlight == 2)
        #expect(!window.hasRoom)
        _ = window.syncReturned(1, failed: false)
        window.syncEnded()
        #expect(window.hasRoom)
        let unwritten = window.submit(Self.bytes("c\n"), records: 1, file: nil)
        #expect(!unwritten)
        #expect(window.needsRecovery)
        #expect(!window.hasRoom)
        #expect(window.suspects.map(\.written) == [false])
    }
}
