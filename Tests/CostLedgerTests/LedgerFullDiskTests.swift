import Attribution
import Foundation
import Synchronization
import Testing

@testable import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A disk that fills up: armed, the next batch write stores only its first `keep` bytes and the write after that
/// fails with `ENOSPC`; then the disk has room again, unless it `staysFull`.
private final class DiskFullOnce: Sendable {
    private enum Step { case normal, part, full }
    private let step = Lock(Step.normal)
    private let keep: Int
    private let staysFull: Bool

    init(keep: Int, staysFull: Bool = false) {
        self.keep = keep
        self.staysFull = staysFull
    }

    func arm() { step.withLock { $0 = .part } }

    func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        let now = step.withLock { current -> Step in
            defer {
                switch current {
                case .part: current = .full
                case .full: current = staysFull ? .full : .normal
                case .normal: break
                }
            }
            return current
        }
        switch now {
        case .normal:
            return unsafe LedgerIO.write(fd, bytes, count)
        case .part:
            return unsafe LedgerIO.write(fd, bytes, min(keep, count))
        case .full:
            errno = ENOSPC
            return -1
        }
    }
}

/// The output of `ledger-crash-writer fill` run to its end.
private struct FillRun {
    var status: Int32
    var lines: [String]

    init(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = try crashWriterURL()
        process.arguments = ["fill"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The `stats …` line's value for `name`.
    func stat(_ name: String) -> Int? {
        guard let line = lines.last(where: { $0.hasPrefix("stats ") }) else { return nil }
        let pair = line.split(separator: " ").first { $0.hasPrefix(name + "=") }
        return pair.flatMap { Int($0.dropFirst(name.count + 1)) }
    }
}

@Suite("Ledger writer on a full disk")
struct LedgerFullDiskTests {
    @Test(
        "a batch cut short by a full disk is in the ledger exactly once when the disk has room again: no copy, no torn line",
        arguments: [LedgerDurability.none, .flush, .fsync, .fsync(concurrentSyncs: 4)]
    )
    func batchCutShortIsWrittenOnce(durability: LedgerDurability) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // Two and a half records' worth of bytes reach the file before the disk is full.
        let line = LedgerFixtures.callRecord("batch-0").jsonLine().count
        let disk = DiskFullOnce(keep: line * 5 / 2)
        var configuration = JSONLinesLedger.Configuration(directory: dir.path)
        configuration.flushInterval = .seconds(3600)
        configuration.batchRecords = 1_000_000
        configuration.durability = durability
        unsafe configuration.writeOverride = { unsafe disk.write($0, $1, $2) }
        let ledger = try JSONLinesLedger(configuration: configuration)
        try ledger.write(LedgerFixtures.callRecord("first"))
        try ledger.flush()
        disk.arm()
        for i in 0..<10 { try ledger.write(LedgerFixtures.callRecord("batch-\(i)")) }
        if durability.concurrentSyncs > 1 {
            // The syncing threads write the batch; the flusher may have written it again before the flush looks.
            _ = try? ledger.flush()
        } else {
            let error = try #require(throws: CostLedgerError.self) { try ledger.flush() }
            #expect(error.reason.contains("no space left on the device"))
        }
        try ledger.flush()
        try ledger.close()

        let read = try LedgerReader(path: dir.path).readAll()
        #expect(read.stats.skippedLines == 0)
        #expect(read.records.map(\.recordID) == ["first"] + (0..<10).map { "batch-\($0)" })
        for name in try dir.jsonlFiles() {
            #expect(try dir.contents(name).last == UInt8(ascii: "\n"), "\(name) ends in a whole line")
        }
    }

    @Test(
        "a disk that stays full: close() names the records it could not write, and none of them is left in the file",
        arguments: [LedgerDurability.none, .flush, .fsync, .fsync(concurrentSyncs: 4)]
    )
    func diskStaysFull(durability: LedgerDurability) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let line = LedgerFixtures.callRecord("batch-0").jsonLine().count
        let disk = DiskFullOnce(keep: line * 5 / 2, staysFull: true)
        var configuration = JSONLinesLedger.Configuration(directory: dir.path)
        configuration.flushInterval = .seconds(3600)
        configuration.batchRecords = 1_000_000
        configuration.durability = durability
        unsafe configuration.writeOverride = { unsafe disk.write($0, $1, $2) }
        let ledger = try JSONLinesLedger(configuration: configuration)
        try ledger.write(LedgerFixtures.callRecord("first"))
        try ledger.flush()
        disk.arm()
        for i in 0..<10 { try ledger.write(LedgerFixtures.callRecord("batch-\(i)")) }
        #expect(throws: CostLedgerError.self) { try ledger.flush() }
        let error = try #require(throws: CostLedgerError.self) { try ledger.close() }
        #expect(error.reason.contains("10 records could not be"), "\(error)")
        #expect(error.reason.contains("no space left on the device"), "\(error)")
        #expect(ledger.stats.durableRecords == 1)

        // Exactly the records counted durable are in the ledger: none of the 10 reported, no torn line.
        let read = try LedgerReader(path: dir.path).readAll()
        #expect(read.records.map(\.recordID) == ["first"])
        #expect(read.stats.skippedLines == 0)
    }

    @Test(
        "under a file-size limit (EFBIG) a flush fails with a clear error and its records are written later to a new file, each once",
        arguments: ["none", "flush", "fsync", "concurrent"]
    )
    func fileSizeLimit(mode: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // About two and a half batches of 8 records fit in a file.
        let run = try FillRun([dir.path, mode, "--fsize", "6000"])
        #expect(run.status == 0, "\(run.lines)")
        // Each failed write is counted and told: a flush that saw one fails with it (the background flusher may
        // have met it, and written the batch again to a new file, before a flush looked).
        #expect((run.stat("write_errors") ?? 0) > 0, "\(run.lines)")
        let errors = run.lines.filter { $0.hasPrefix("error ") || $0.hasPrefix("last error: ") }
        #expect(errors.contains { $0.hasPrefix("last error: ") }, "\(run.lines)")
        #expect(errors.allSatisfy { $0.contains("write failed: file too large") }, "\(errors)")
        #expect(run.lines.contains("closed"), "\(run.lines)")
        #expect(run.stat("pending") == 0)
        #expect(run.stat("dropped") == 0)
        #expect(run.stat("durable") == 160)
        #expect((run.stat("files") ?? 0) >= 2)

        var counts: [String: Int] = [:]
        let stats = try LedgerReader(path: dir.path).read { record, _ in counts[record.recordID, default: 0] += 1 }
        #expect(stats.skippedLines == 0)
        #expect(counts.count == 160)
        #expect(counts.values.allSatisfy { $0 == 1 })
        for name in try dir.jsonlFiles() {
            let bytes = try dir.contents(name)
            #expect(bytes.count <= 6000)
            #expect(bytes.last == UInt8(ascii: "\n"), "\(name) ends in a whole line")
        }
    }
}
