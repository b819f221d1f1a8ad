import Attribution
import Foundation
import Testing

@testable import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A disk that fills up on cue: once armed, the next batch write stores only half its bytes and the write after
/// that fails with `ENOSPC`; then the disk has room again.
private final class FillingDisk: Sendable {
    private enum Step { case normal, half, full }
    private let step = Lock(Step.normal)

    func arm() { step.withLock { $0 = .half } }

    func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        let now = step.withLock { current -> Step in
            defer {
                switch current {
                case .half: current = .full
                case .full: current = .normal
                case .normal: break
                }
            }
            return current
        }
        switch now {
        case .normal:
            return unsafe LedgerIO.write(fd, bytes, count)
        case .half:
            return unsafe LedgerIO.write(fd, bytes, max(1, count / 2))
        case .full:
            errno = ENOSPC
            return -1
        }
    }
}

/// A writer that writes only when asked.
private func manualConfiguration(
    _ dir: TemporaryDirectory,
    _ durability: LedgerDurability
) -> JSONLinesLedger.Configuration {
    var configuration = JSONLinesLedger.Configuration(directory: dir.path)
    configuration.flushInterval = .seconds(3600)
    configuration.batchRecords = 1_000_000
    configuration.hostName = "fault-host"
    configuration.durability = durability
    return configuration
}

/// A writer in `dir` that flushed five records (`before-0` to `before-4`), then lost its directory, then accepted
/// five more (`after-0` to `after-4`), not yet flushed.
private func ledgerWithDirectoryRemoved(
    _ dir: TemporaryDirectory,
    _ durability: LedgerDurability
) throws -> JSONLinesLedger {
    let ledger = try JSONLinesLedger(configuration: manualConfiguration(dir, durability))
    for i in 0..<5 { try ledger.write(LedgerFixtures.callRecord("before-\(i)")) }
    try ledger.flush()
    try FileManager.default.removeItem(atPath: dir.path)
    for i in 0..<5 { try ledger.write(LedgerFixtures.callRecord("after-\(i)")) }
    return ledger
}

/// The next `flush()` fails naming the lost file; the one after it succeeds; after `close()` the ledger in `dir`
/// holds the five `after-` records of ``ledgerWithDirectoryRemoved(_:_:)``.
private func expectLostThenRecovered(
    _ ledger: JSONLinesLedger,
    in dir: TemporaryDirectory,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let error = try #require(throws: CostLedgerError.self, sourceLocation: sourceLocation) { try ledger.flush() }
    #expect(error.code == .io, sourceLocation: sourceLocation)
    #expect(error.description.contains("deleted or replaced"), sourceLocation: sourceLocation)
    try ledger.flush()
    try ledger.close()
    let records = try LedgerReader(path: dir.path).readAll().records
    #expect(Set(records.map(\.recordID)) == Set((0..<5).map { "after-\($0)" }), sourceLocation: sourceLocation)
}

@Suite("Ledger writer under file-system faults")
struct LedgerFaultTests {
    @Test(
        "a batch cut short by a full disk is finished in its own file after UTC midnight: no record is split",
        arguments: [LedgerDurability.none, .flush, .fsync]
    )
    func partialWriteAcrossMidnight(durability: LedgerDurability) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let clock = ManualClock(UTCTimestamp(millisecondsSinceEpoch: 1_795_564_799_000))  // 23:59:59 UTC
        let disk = FillingDisk()
        var configuration = manualConfiguration(dir, durability)
        configuration.clock = clock
        unsafe configuration.writeOverride = { unsafe disk.write($0, $1, $2) }
        let ledger = try JSONLinesLedger(configuration: configuration)
        try ledger.write(LedgerFixtures.callRecord("first"))
        try ledger.flush()
        disk.arm()
        for i in 0..<10 { try ledger.write(LedgerFixtures.callRecord("batch-\(i)")) }
        #expect(throws: CostLedgerError.self) { try ledger.flush() }
        clock.advance(milliseconds: 2000)  // 00:00:01 the next day
        try ledger.flush()
        try ledger.write(LedgerFixtures.callRecord("next-day"))
        try ledger.close()

        let read = try LedgerReader(path: dir.path).readAll()
        #expect(read.stats.skippedLines == 0)
        #expect(read.stats.invalidRecords == 0)
        #expect(read.records.map(\.recordID) == ["first"] + (0..<10).map { "batch-\($0)" } + ["next-day"])
        // The cut batch stayed in the first day's file; the next day's file starts with the next record.
        let names = try dir.jsonlFiles()
        #expect(names.count == 2)
        for name in names {
            let bytes = try dir.contents(name)
            #expect(bytes.last == UInt8(ascii: "\n"), "\(name) ends in a whole line")
        }
    }

    @Test("a failed fdatasync under .fsync is never retried on the same file: the batch is written to a new one")
    func failedSyncNotRetriedOnTheSameFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // The first sync fails with EIO. Each call is kept with the inode of the file its descriptor is open on
        // (descriptor numbers are reused after a close; inodes of live files are not).
        let calls = Lock<[(inode: UInt64, failed: Bool)]>([])
        var configuration = manualConfiguration(dir, .fsync)
        configuration.syncDataOverride = { fd, _, _ in
            var info = stat()
            _ = unsafe fstat(fd, &info)
            let fail = calls.withLock { made -> Bool in
                made.append((UInt64(info.st_ino), made.isEmpty))
                return made.count == 1
            }
            if fail {
                errno = EIO
                return -1
            }
            return fdatasync(fd)
        }
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 0..<10 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        let error = try #require(throws: CostLedgerError.self) { try ledger.flush() }
        #expect(error.reason.contains("sync failed"))
        #expect(ledger.stats.durableRecords == 0)
        try ledger.flush()
        try ledger.close()
        #expect(ledger.stats.durableRecords == 10)
        let made = calls.withLock { $0 }
        let failed = try #require(made.first)
        #expect(failed.failed)
        #expect(made.count >= 2)
        // No sync after the failure touched the file whose sync failed: it was closed and the batch rewritten.
        #expect(made.dropFirst().allSatisfy { $0.inode != failed.inode && !$0.failed })
        // Every record is in the ledger, whole, in the new file (the failed one may hold a copy: at least once).
        let read = try LedgerReader(path: dir.path).readAll()
        #expect(read.stats.skippedLines == 0)
        #expect(Set(read.records.map(\.recordID)) == Set((0..<10).map { "r\($0)" }))
        #expect(try dir.jsonlFiles().count == 2)
    }

    @Test(
        "after the ledger directory is removed, a flush fails, and the records go to a new file in it made again",
        arguments: [LedgerDurability.none, .flush, .fsync, .fsync(concurrentSyncs: 4)]
    )
    func directoryRemoved(durability: LedgerDurability) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let ledger = try ledgerWithDirectoryRemoved(dir, durability)
        // The batch found in the lost file is written again; the caller may also retry it (at least once).
        try expectLostThenRecovered(ledger, in: dir)
        #expect(ledger.stats.writeErrors >= 1)
    }

    @Test(
        "under concurrent syncs, a file lost and recovered from before flush() is called still fails that flush",
        arguments: [2, 4]
    )
    func lostBeforeFlushIsReported(syncs: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let ledger = try ledgerWithDirectoryRemoved(dir, .fsync(concurrentSyncs: syncs))
        // A syncing thread takes the records, finds their file gone after the sync, and they are written again to
        // a new file: all before the caller flushes (on a loaded machine a thread can do this on its own).
        ledger.requestFlush()
        var waited = 0
        while ledger.stats.durableRecords < 10, waited < 1000 {
            usleep(10_000)
            waited += 1
        }
        #expect(ledger.stats.durableRecords == 10)
        #expect(ledger.stats.writeErrors >= 1)
        // Reported once: the flush after the failing one has nothing new to report.
        try expectLostThenRecovered(ledger, in: dir)
    }

    @Test("a flush fails when the records the background flusher wrote went with a file deleted before it")
    func backgroundWriteLost() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = JSONLinesLedger.Configuration(directory: dir.path)
        configuration.batchRecords = 1
        configuration.hostName = "fault-host"
        let ledger = try JSONLinesLedger(configuration: configuration)
        try ledger.write(LedgerFixtures.callRecord("written-by-the-flusher"))
        var waited = 0
        while ledger.stats.writtenRecords < 1, waited < 1000 {
            usleep(10_000)
            waited += 1
        }
        #expect(ledger.stats.writtenRecords == 1)
        let file = try #require(ledger.stats.currentFile)
        try FileManager.default.removeItem(atPath: file)
        #expect(throws: CostLedgerError.self) { try ledger.flush() }
        try ledger.write(LedgerFixtures.callRecord("retried"))
        try ledger.flush()
        try ledger.close()
        #expect(try LedgerReader(path: dir.path).readAll().records.map(\.recordID) == ["retried"])
    }
}
