import Attribution
import CostLedger
import Foundation
import Testing

/// A clock the test moves by hand.
final class ManualClock: AttributionClock {
    private let current: Lock<UTCTimestamp>
    init(_ start: UTCTimestamp) { current = Lock(start) }
    func now() -> UTCTimestamp { current.withLock { $0 } }
    func advance(milliseconds: Int64) {
        current.withLock { $0 = UTCTimestamp(millisecondsSinceEpoch: $0.millisecondsSinceEpoch + milliseconds) }
    }
}

/// A configuration whose flusher never runs by itself: only `flush()`, `close()` and full batches write.
private func quietConfiguration(_ dir: TemporaryDirectory) -> JSONLinesLedger.Configuration {
    var configuration = JSONLinesLedger.Configuration(directory: dir.path)
    configuration.flushInterval = .seconds(3600)
    configuration.batchRecords = 1_000_000
    configuration.hostName = "test-host"
    return configuration
}

/// Polls `condition` for up to ten seconds (work done by the background flusher).
private func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
    for _ in 0..<1000 {
        if try condition() { return true }
        usleep(10_000)
    }
    return false
}

@Suite("Ledger writer")
struct LedgerWriterTests {
    @Test("records come back from the reader in write order, and the counts say what happened")
    func writeAndRead() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let ledger = try JSONLinesLedger(configuration: quietConfiguration(dir))
        let records = (0..<100).map { LedgerFixtures.callRecord("r\($0)") }
        for record in records { try ledger.write(record) }
        try ledger.close()
        let (read, readStats) = try LedgerReader(path: dir.path).readAll()
        #expect(read == records)
        #expect(readStats.skippedLines == 0)
        let stats = ledger.stats
        #expect(stats.acceptedRecords == 100)
        #expect(stats.writtenRecords == 100)
        #expect(stats.pendingRecords == 0)
        #expect(stats.droppedRecords == 0)
        #expect(stats.files == 1)
        #expect(stats.bytes == Int64(records.reduce(0) { $0 + $1.jsonLine().count }))
    }

    @Test("the file is named {host}-{pid}-{start ms}-{random}.jsonl and the name parses back")
    func fileName() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = quietConfiguration(dir)
        configuration.hostName = "web/1 eu"
        configuration.clock = ManualClock(LedgerFixtures.ts)
        let ledger = try JSONLinesLedger(configuration: configuration)
        try ledger.write(LedgerFixtures.callRecord("r1"))
        try ledger.close()
        let names = try dir.jsonlFiles()
        #expect(names.count == 1)
        let name = try #require(names.first)
        let parsed = try #require(LedgerFileName(parsing: name))
        #expect(parsed.host == "web_1_eu")
        #expect(parsed.pid == Int64(ProcessInfo.processInfo.processIdentifier))
        #expect(parsed.startMilliseconds == LedgerFixtures.ts.millisecondsSinceEpoch)
        #expect(parsed.description == name)
        #expect(name.hasPrefix("web_1_eu-\(ProcessInfo.processInfo.processIdentifier)-1795536120123-"))
        #expect(
            name.utf8.count == "web_1_eu-\(ProcessInfo.processInfo.processIdentifier)-1795536120123-".utf8.count + 22
        )
        #expect(LedgerFileName(parsing: "my-host-12-34-00000000000000ff.jsonl")?.host == "my-host")
        #expect(LedgerFileName(parsing: "host-12-34-FF.jsonl") == nil)
    }

    @Test("two writers in one directory never share a file")
    func separateFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let a = try JSONLinesLedger(configuration: quietConfiguration(dir))
        let b = try JSONLinesLedger(configuration: quietConfiguration(dir))
        try a.write(LedgerFixtures.callRecord("a"))
        try b.write(LedgerFixtures.callRecord("b"))
        try a.close()
        try b.close()
        #expect(try dir.jsonlFiles().count == 2)
        #expect(try LedgerReader(path: dir.path).readAll().records.count == 2)
    }

    @Test("reopening a file whose last line is torn writes a newline first, so the next record reads")
    func repairTornLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let torn =
            LedgerFixtures.line(LedgerFixtures.callRecord("old"))
            + String(LedgerFixtures.line(LedgerFixtures.callRecord("t")).prefix(30))
        try dir.write("own.jsonl", torn)
        var configuration = quietConfiguration(dir)
        configuration.fileName = "own.jsonl"
        let ledger = try JSONLinesLedger(configuration: configuration)
        try ledger.write(LedgerFixtures.callRecord("new"))
        try ledger.close()
        let (records, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(records.map(\.recordID) == ["old", "new"])
        #expect(stats.skippedLines == 1)
        #expect(stats.issues.first?.location.line == 2)
        // A file that already ends in a newline gets nothing extra.
        let before = try dir.contents("own.jsonl").count
        let again = try JSONLinesLedger(configuration: configuration)
        try again.write(LedgerFixtures.callRecord("third"))
        try again.close()
        #expect(try dir.contents("own.jsonl").count == before + LedgerFixtures.callRecord("third").jsonLine().count)
    }

    @Test("files rotate by size: no batch goes into a file that it would take past the limit")
    func rotateBySize() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = quietConfiguration(dir)
        let lineBytes = LedgerFixtures.callRecord("r00").jsonLine().count
        configuration.maxFileBytes = Int64(lineBytes * 3)
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 10..<20 {
            try ledger.write(LedgerFixtures.callRecord("r\(i)"))
            try ledger.flush()
        }
        try ledger.close()
        let files = try dir.jsonlFiles()
        #expect(files.count == 4)
        for name in files {
            #expect(try dir.contents(name).count <= lineBytes * 3)
        }
        #expect(ledger.stats.files == 4)
        let records = try LedgerReader(path: dir.path).readAll().records
        #expect(records.map(\.recordID) == (10..<20).map { "r\($0)" })
    }

    @Test("files opened in the same millisecond sort by name in the order they were written")
    func sameMillisecondFilesSortInOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // The clock never moves: every file is opened in the same millisecond.
        let clock = ManualClock(UTCTimestamp(millisecondsSinceEpoch: 1_795_564_000_000))
        var configuration = quietConfiguration(dir)
        configuration.clock = clock
        configuration.maxFileBytes = Int64(LedgerFixtures.callRecord("r00").jsonLine().count)
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 10..<22 {
            try ledger.write(LedgerFixtures.callRecord("r\(i)"))
            try ledger.flush()
        }
        try ledger.close()
        let starts = try dir.jsonlFiles().compactMap { LedgerFileName(parsing: $0)?.startMilliseconds }.sorted()
        #expect(starts == (0..<12).map { 1_795_564_000_000 + Int64($0) })
        let records = try LedgerReader(path: dir.path).readAll().records
        #expect(records.map(\.recordID) == (10..<22).map { "r\($0)" })
    }

    @Test("files rotate when the UTC day changes, and the new name carries the new start time")
    func rotateByDay() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let clock = ManualClock(UTCTimestamp(millisecondsSinceEpoch: 1_795_564_799_000))  // 23:59:59 UTC
        var configuration = quietConfiguration(dir)
        configuration.clock = clock
        let ledger = try JSONLinesLedger(configuration: configuration)
        try ledger.write(LedgerFixtures.callRecord("before"))
        try ledger.flush()
        clock.advance(milliseconds: 500)
        try ledger.write(LedgerFixtures.callRecord("same-day"))
        try ledger.flush()
        clock.advance(milliseconds: 1000)  // 00:00:00.500 the next day
        try ledger.write(LedgerFixtures.callRecord("after"))
        try ledger.close()
        let names = try dir.jsonlFiles()
        #expect(names.count == 2)
        let starts = names.compactMap { LedgerFileName(parsing: $0)?.startMilliseconds }.sorted()
        #expect(starts == [1_795_564_799_000, 1_795_564_800_500])
        #expect(try LedgerReader(path: dir.path).readAll().records.count == 3)
    }

    @Test("under dropAndCount a full buffer drops records without waiting, and the count is visible")
    func dropAndCount() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = quietConfiguration(dir)
        configuration.maxBufferRecords = 4
        configuration.bufferPolicy = .dropAndCount
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 0..<200 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        try ledger.close()
        let stats = ledger.stats
        #expect(stats.droppedRecords > 0)
        #expect(stats.acceptedRecords + stats.droppedRecords == 200)
        #expect(stats.writtenRecords == stats.acceptedRecords)
        #expect(try LedgerReader(path: dir.path).readAll().records.count == stats.acceptedRecords)
    }

    @Test("under block a full buffer waits for the flusher, and nothing is lost")
    func blockWaits() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = quietConfiguration(dir)
        configuration.maxBufferRecords = 2
        configuration.bufferPolicy = .block(timeout: .seconds(30))
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 0..<100 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        try ledger.close()
        #expect(ledger.stats.droppedRecords == 0)
        #expect(ledger.stats.flushes >= 50)
        #expect(try LedgerReader(path: dir.path).readAll().records.map(\.recordID) == (0..<100).map { "r\($0)" })
    }

    @Test("under block, a buffer the disk cannot drain refuses records after the timeout, and counts them")
    func blockTimesOut() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = quietConfiguration(dir)
        configuration.directory = dir.file("ledger")
        configuration.maxBufferRecords = 1
        configuration.bufferPolicy = .block(timeout: .milliseconds(50))
        let ledger = try JSONLinesLedger(configuration: configuration)
        // Every open now fails: the directory is gone and a file holds its name, so it cannot be made again.
        try FileManager.default.removeItem(atPath: dir.file("ledger"))
        try dir.write("ledger", "not a directory")
        var refused = 0
        for i in 0..<6 {
            do {
                try ledger.write(LedgerFixtures.callRecord("r\(i)"))
            } catch {
                #expect(error.code == .bufferFull)
                refused += 1
            }
        }
        #expect(refused >= 1)
        #expect(ledger.stats.droppedRecords == refused)
        #expect(ledger.stats.writeErrors >= 1)
        #expect(throws: CostLedgerError.self) { try ledger.flush() }
        #expect(throws: CostLedgerError.self) { try ledger.close() }
    }

    @Test("durability none writes nothing before a flush; flush writes without syncing")
    func durabilityNone() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = quietConfiguration(dir)
        configuration.durability = .none
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 0..<10 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        #expect(try dir.jsonlFiles().isEmpty)
        #expect(ledger.stats.pendingRecords == 10)
        try ledger.flush()
        #expect(try LedgerReader(path: dir.path).readAll().records.count == 10)
        try ledger.close()
        #expect(ledger.stats.syncs == 0)
    }

    @Test("durability flush writes each complete batch without being asked")
    func durabilityFlush() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = quietConfiguration(dir)
        configuration.durability = .flush
        configuration.batchRecords = 4
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 0..<4 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        #expect(try eventually { try LedgerReader(path: dir.path).readAll().records.count == 4 })
        #expect(ledger.stats.syncs == 0)
        try ledger.close()
    }

    @Test("durability fsync syncs every batch it writes")
    func durabilityFsync() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = quietConfiguration(dir)
        configuration.durability = .fsync
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 0..<3 {
            try ledger.write(LedgerFixtures.callRecord("r\(i)"))
            try ledger.flush()
        }
        #expect(ledger.stats.flushes == 3)
        #expect(ledger.stats.syncs >= 3)
        try ledger.close()
    }

    @Test("a record that breaks the format is refused before it reaches the file")
    func refusesInvalid() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let ledger = try JSONLinesLedger(configuration: quietConfiguration(dir))
        var record = LedgerFixtures.callRecord("r")
        record.attribution[.team] = ""
        #expect(throws: CostLedgerError.self) { try ledger.write(record) }
        // Every value at its 256-byte limit and escaped six-fold: a line over 64 KiB, which readers would skip.
        let wide = String(repeating: "\u{1}", count: 256)
        var huge = LedgerFixtures.callRecord(wide)
        for field in AttributionField.all { huge.attribution[field] = wide }
        huge.tags = Dictionary(uniqueKeysWithValues: (0..<32).map { ("k\($0)", wide) })
        #expect(huge.jsonLine().count > 64 * 1024)
        #expect(throws: CostLedgerError.self) { try ledger.write(huge) }
        try ledger.close()
        #expect(ledger.stats.acceptedRecords == 0)
    }

    @Test("writing after close is refused with the closed code; closing twice is harmless")
    func closed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let ledger = try JSONLinesLedger(configuration: quietConfiguration(dir))
        try ledger.close()
        try ledger.close()
        do {
            try ledger.write(LedgerFixtures.callRecord("late"))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.code == .closed)
        }
    }

    @Test("many tasks writing at once: every record lands exactly once, on whole lines")
    func concurrentTasks() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = JSONLinesLedger.Configuration(directory: dir.path)
        configuration.maxBufferRecords = 64
        configuration.batchRecords = 16
        configuration.bufferPolicy = .block(timeout: .seconds(120))
        let ledger = try JSONLinesLedger(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<400 { try ledger.write(LedgerFixtures.callRecord("t\(task)-\(i)")) }
                }
            }
            try await group.waitForAll()
        }
        try ledger.close()
        let (records, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(stats.skippedLines == 0)
        #expect(records.count == 3200)
        #expect(Set(records.map(\.recordID)).count == 3200)
        // Each task's records keep their order.
        let task3 = records.map(\.recordID).filter { $0.hasPrefix("t3-") }
        #expect(task3 == (0..<400).map { "t3-\($0)" })
    }
}
