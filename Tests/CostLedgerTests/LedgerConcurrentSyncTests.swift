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

/// Stands in for `fdatasync(2)` in the writer: records every call, holds chosen batches back until released,
/// fails chosen calls, and otherwise syncs for real.
private final class SyncProbe: Sendable {
    struct State {
        /// Batches (by sequence number) whose syncs returned success, with their records, in completion order.
        var completed: [(batch: Int, records: Int)] = []
        /// Every call: batch sequence numbers in call order.
        var calls: [Int] = []
        var inFlight = 0
        var maxInFlight = 0
        /// Batches to hold back until ``release(_:)``.
        var held: Set<Int> = []
        /// Batches whose next sync fails with `EIO`.
        var failing: Set<Int> = []
    }
    let state = Lock(State())
    private let released = DispatchSemaphore(value: 0)
    /// Extra delay per sync, in microseconds, chosen per call.
    let delay: @Sendable (Int) -> UInt32

    init(delay: @escaping @Sendable (Int) -> UInt32 = { _ in 0 }) { self.delay = delay }

    var sync: @Sendable (Int32, Int, Int) -> Int32 {
        { [self] fd, batch, records in
            let (hold, fail) = state.withLock { state -> (Bool, Bool) in
                state.calls.append(batch)
                state.inFlight += 1
                state.maxInFlight = max(state.maxInFlight, state.inFlight)
                return (state.held.contains(batch), state.failing.remove(batch) != nil)
            }
            // Bounded: a writer that never lets other syncs start while this one is held fails the test, not hangs.
            if hold { _ = released.wait(timeout: .now() + .seconds(20)) }
            let pause = delay(batch)
            if pause > 0 { usleep(pause) }
            let result: Int32 = fail ? -1 : fdatasync(fd)
            let code = errno
            state.withLock { state in
                state.inFlight -= 1
                if result == 0 { state.completed.append((batch, records)) }
            }
            if fail { errno = EIO } else { errno = code }
            return result
        }
    }

    func release() { released.signal() }

    /// Records in the longest prefix of batches 0, 1, 2, … whose syncs have returned success.
    var completedPrefixRecords: Int {
        state.withLock { state in
            let byBatch = Dictionary(state.completed.map { ($0.batch, $0.records) }, uniquingKeysWith: { a, _ in a })
            var total = 0
            var batch = 0
            while let records = byBatch[batch] {
                total += records
                batch += 1
            }
            return total
        }
    }
}

/// What the concurrent-writers test shares between its threads.
private final class Shared: Sendable {
    let stop = Atomic<Bool>(false)
    let violations = Lock<[String]>([])
    let acknowledged = Lock<[String]>([])
    let observerDone = DispatchSemaphore(value: 0)
}

/// Polls `condition` every millisecond for at most 20 s.
private func eventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<20_000 {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

private func concurrentConfiguration(
    _ dir: TemporaryDirectory,
    depth: Int,
    probe: SyncProbe
) -> JSONLinesLedger.Configuration {
    var configuration = JSONLinesLedger.Configuration(directory: dir.path)
    configuration.durability = .fsync(concurrentSyncs: depth)
    configuration.batchRecords = 64
    configuration.flushInterval = .seconds(3600)
    configuration.bufferPolicy = .block(timeout: .seconds(60))
    configuration.hostName = "sync-host"
    configuration.syncDataOverride = probe.sync
    return configuration
}

@Suite("Ledger concurrent syncs")
struct LedgerConcurrentSyncTests {
    @Test("the durability setting names its depth and clamps it")
    func setting() {
        #expect(LedgerDurability.fsync(concurrentSyncs: 8).concurrentSyncs == 8)
        #expect(LedgerDurability.fsync(concurrentSyncs: 8).description == "fsync(concurrentSyncs: 8)")
        #expect(LedgerDurability.fsync(concurrentSyncs: 1) == .fsync)
        #expect(LedgerDurability.fsync(concurrentSyncs: 0) == .fsync)
        #expect(LedgerDurability.fsync(concurrentSyncs: 10_000).concurrentSyncs == LedgerDurability.maxConcurrentSyncs)
        #expect(LedgerDurability.fsync.concurrentSyncs == 1)
        #expect(LedgerDurability.flush.concurrentSyncs == 0)
    }

    @Test("while one batch's sync is held, later batches' syncs run and return, yet nothing counts as durable")
    func watermarkWaitsForTheFirstBatch() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let probe = SyncProbe()
        probe.state.withLock { $0.held = [0] }
        let ledger = try JSONLinesLedger(configuration: concurrentConfiguration(dir, depth: 4, probe: probe))
        // Four batches of 64, each written before the next is buffered.
        for batch in 0..<4 {
            for i in 0..<64 { try ledger.write(LedgerFixtures.callRecord("r\(batch * 64 + i)")) }
            ledger.requestFlush()
            #expect(eventually { ledger.stats.flushes == batch + 1 })
        }
        let position = ledger.requestFlush()
        #expect(position == 256)
        // Batches 1, 2 and 3 are synced while batch 0's sync is still running: four syncs in flight at once.
        #expect(eventually { probe.state.withLock { $0.completed.count } == 3 })
        #expect(probe.state.withLock { $0.calls.contains(0) && !$0.completed.contains { $0.batch == 0 } })
        #expect(probe.state.withLock { $0.maxInFlight } >= 2)
        // The probe sees a sync return just before the ledger counts it.
        #expect(eventually { ledger.stats.syncs == 3 })
        #expect(ledger.stats.writtenRecords == 256)
        #expect(ledger.stats.durableRecords == 0)
        #expect(throws: CostLedgerError.self) { try ledger.waitUntilDurable(records: 64, timeout: .milliseconds(50)) }
        probe.release()
        try ledger.waitUntilDurable(records: position, timeout: .seconds(20))
        let stats = ledger.stats
        #expect(stats.durableRecords == 256)
        #expect(stats.syncs == 4)
        #expect(stats.flushes == 4)
        // Written in order, each batch once.
        let ids = try LedgerReader(path: dir.path).readAll().records.map(\.recordID)
        #expect(ids == (0..<256).map { "r\($0)" })
        try ledger.close()
    }

    @Test("concurrent writers: every acknowledged record is in the file exactly once; a batch per sync, never ahead")
    func concurrentWriters() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // Syncs of varying length, so they complete out of order.
        let probe = SyncProbe { batch in UInt32((batch &* 7919) % 5) * 300 }
        var configuration = concurrentConfiguration(dir, depth: 8, probe: probe)
        configuration.batchRecords = 16
        configuration.maxBufferRecords = 200
        configuration.flushInterval = .milliseconds(20)
        let ledger = try JSONLinesLedger(configuration: configuration)

        // An observer checks, over and over, that the durable count never covers a batch whose sync (or the sync
        // of a batch before it) has not returned.
        let shared = Shared()
        let observer = Thread {
            while !shared.stop.load(ordering: .relaxed) {
                let durable = ledger.stats.durableRecords
                let synced = probe.completedPrefixRecords
                if durable > synced {
                    shared.violations.withLock { $0.append("durable \(durable) > synced prefix \(synced)") }
                }
                usleep(100)
            }
            shared.observerDone.signal()
        }
        observer.start()

        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<6 {
                group.addTask {
                    var mine: [String] = []
                    for i in 0..<400 {
                        let id = "t\(task)-\(i)"
                        try ledger.write(LedgerFixtures.callRecord(id))
                        mine.append(id)
                        if i % 50 == 49 {
                            try ledger.flush()
                            shared.acknowledged.withLock { $0 += mine }
                            mine = []
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try ledger.close()
        shared.stop.store(true, ordering: .relaxed)
        #expect(shared.observerDone.wait(timeout: .now() + .seconds(20)) == .success)

        #expect(shared.violations.withLock { $0 }.isEmpty)
        let stats = ledger.stats
        #expect(stats.acceptedRecords == 2400)
        #expect(stats.durableRecords == 2400)
        #expect(stats.writeErrors == 0)
        // One sync per batch, each batch at most `batchRecords` records, and they add up.
        #expect(stats.syncs == stats.flushes)
        let completed = probe.state.withLock { $0.completed }
        #expect(completed.count == stats.syncs)
        #expect(completed.allSatisfy { $0.records >= 1 && $0.records <= 16 })
        #expect(completed.map(\.records).reduce(0, +) == 2400)
        #expect(Set(completed.map(\.batch)).count == completed.count)
        #expect(probe.state.withLock { $0.maxInFlight } > 1)

        var counts: [String: Int] = [:]
        let read = try LedgerReader(path: dir.path).read { record, _ in counts[record.recordID, default: 0] += 1 }
        #expect(read.skippedLines == 0)
        let acknowledged = shared.acknowledged.withLock { $0 }
        #expect(acknowledged.count == 2400)
        for id in acknowledged { #expect(counts[id] == 1, "\(id) found \(counts[id] ?? 0) times") }
        #expect(counts.count == 2400)
    }

    @Test("a failed sync is reported and its batch is written again to a new file and synced there")
    func failedSync() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let probe = SyncProbe()
        probe.state.withLock { $0.failing = [1] }
        let ledger = try JSONLinesLedger(configuration: concurrentConfiguration(dir, depth: 4, probe: probe))
        for i in 0..<64 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        try ledger.flush()
        for i in 64..<128 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        // The flush throws when it sees the failure; if the flusher already wrote the batch again (it is woken by
        // the failure), the flush finds the records durable.
        do {
            try ledger.flush()
        } catch {
            #expect(error.code == .io)
            try ledger.flush()
        }
        let failed = ledger.stats
        #expect(failed.writeErrors == 1)
        #expect(failed.lastError?.contains("sync failed") == true)
        #expect(failed.lastError?.contains("input/output error") == true)
        #expect(failed.durableRecords == 128)
        #expect(probe.state.withLock { $0.calls } == [0, 1, 1])

        // Batch 1 went again to a new file, where the next batch follows it.
        for i in 128..<192 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        try ledger.flush()
        let stats = ledger.stats
        #expect(stats.durableRecords == 192)
        #expect(stats.files == 2)
        try ledger.close()

        let files = try dir.jsonlFiles()
        #expect(files.count == 2)
        var counts: [String: Int] = [:]
        var inFile: [String: Set<String>] = [:]
        let read = try LedgerReader(path: dir.path).read { record, location in
            counts[record.recordID, default: 0] += 1
            inFile[record.recordID, default: []].insert(location.file)
        }
        #expect(read.skippedLines == 0)
        // Batch 0 was durable before the failure and is written once; batch 1 is in both files (at least once, as
        // the ledger's delivery is); batch 2 went to the new file only.
        for i in 0..<64 { #expect(counts["r\(i)"] == 1) }
        for i in 64..<128 { #expect(counts["r\(i)"] == 2 && inFile["r\(i)"]?.count == 2) }
        for i in 128..<192 { #expect(counts["r\(i)"] == 1) }
    }

    @Test("a batch is written once it is complete; its incomplete successor waits for its records or a request")
    func wholeBatches() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let probe = SyncProbe()
        let ledger = try JSONLinesLedger(configuration: concurrentConfiguration(dir, depth: 4, probe: probe))
        for i in 0..<100 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        #expect(eventually { ledger.stats.durableRecords == 64 })
        #expect(ledger.stats.writtenRecords == 64)
        let position = ledger.requestFlush()
        try ledger.waitUntilDurable(records: position, timeout: .seconds(20))
        #expect(ledger.stats.flushes == 2)
        #expect(probe.state.withLock { $0.completed.map(\.records) } == [64, 36])
        try ledger.close()
    }

    @Test("rotation with syncs in flight on the old file: every record lands once, and each file holds whole batches")
    func rotation() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // Slow syncs, so that the old file's batches are still syncing when the next batch opens a new file.
        let probe = SyncProbe { _ in 1000 }
        var configuration = concurrentConfiguration(dir, depth: 8, probe: probe)
        configuration.maxFileBytes = 64 << 10
        let ledger = try JSONLinesLedger(configuration: configuration)
        for i in 0..<2000 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        try ledger.flush()
        let stats = ledger.stats
        #expect(stats.durableRecords == 2000)
        #expect(stats.files > 3)
        try ledger.close()
        #expect(try dir.jsonlFiles().count == stats.files)
        var counts: [String: Int] = [:]
        let read = try LedgerReader(path: dir.path).read { record, _ in counts[record.recordID, default: 0] += 1 }
        #expect(read.skippedLines == 0)
        #expect(counts.count == 2000)
        #expect(counts.values.allSatisfy { $0 == 1 })
    }

    @Test("close waits for the syncs in flight and makes every record durable")
    func closeDrains() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let probe = SyncProbe { _ in 2000 }
        let ledger = try JSONLinesLedger(configuration: concurrentConfiguration(dir, depth: 16, probe: probe))
        for i in 0..<1000 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        try ledger.close()
        #expect(ledger.stats.durableRecords == 1000)
        #expect(probe.state.withLock { $0.inFlight } == 0)
        #expect(try LedgerReader(path: dir.path).readAll().records.count == 1000)
    }

    @Test("batches that waited behind a full window go out whole, in order, one write and one sync each")
    func backlogBehindAFullWindow() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let probe = SyncProbe()
        probe.state.withLock { $0.held = [0] }
        // Two syncs in flight, eight batches written and not durable at most.
        let ledger = try JSONLinesLedger(configuration: concurrentConfiguration(dir, depth: 2, probe: probe))
        // Lines of varying length, so that a batch is sometimes longer and sometimes shorter than what follows it
        // in the buffer (the batch is then taken by handing the buffer over, or by copying it out).
        func id(_ i: Int) -> String { "r\(i)-" + String(repeating: "x", count: (i &* 37) % 200) }
        let total = 12 * 64 + 17
        for i in 0..<total { try ledger.write(LedgerFixtures.callRecord(id(i))) }
        // Batch 0's sync is held: batches 1-7 are written and synced, the window is then full, and the rest waits.
        #expect(eventually { ledger.stats.flushes == 8 && probe.state.withLock { $0.completed.count } == 7 })
        #expect(ledger.stats.durableRecords == 0)
        #expect(ledger.stats.pendingRecords == total - 8 * 64)
        probe.release()
        let position = ledger.requestFlush()
        #expect(position == total)
        try ledger.waitUntilDurable(records: position, timeout: .seconds(20))
        let stats = ledger.stats
        #expect(stats.durableRecords == total)
        #expect(stats.flushes == 13)
        #expect(stats.syncs == 13)
        let completed = probe.state.withLock { $0.completed }.sorted { $0.batch < $1.batch }
        #expect(completed.map(\.batch) == Array(0..<13))
        #expect(completed.map(\.records) == Array(repeating: 64, count: 12) + [17])
        try ledger.close()
        let read = try LedgerReader(path: dir.path).readAll()
        #expect(read.stats.skippedLines == 0)
        #expect(read.records.map(\.recordID) == (0..<total).map(id))
    }

    @Test("threads writing at once: each thread's records land once, in the order it wrote them")
    func perThreadOrder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let probe = SyncProbe { batch in UInt32((batch &* 31) % 3) * 200 }
        let ledger = try JSONLinesLedger(configuration: concurrentConfiguration(dir, depth: 8, probe: probe))
        // Several writers contend for the scratch line: some encode there, some under the buffer's lock.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for i in 0..<500 {
                        let pad = String(repeating: "y", count: (i &* 13 &+ task) % 120)
                        try ledger.write(LedgerFixtures.callRecord("t\(task)-\(i)-\(pad)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        try ledger.flush()
        #expect(ledger.stats.durableRecords == 2000)
        try ledger.close()
        let read = try LedgerReader(path: dir.path).readAll()
        #expect(read.stats.skippedLines == 0)
        var next = [Int](repeating: 0, count: 4)
        for record in read.records {
            let parts = record.recordID.split(separator: "-")
            guard parts.count >= 2, let task = Int(parts[0].dropFirst()), let i = Int(parts[1]),
                next.indices.contains(task)
            else {
                Issue.record("unexpected id \(record.recordID)")
                continue
            }
            #expect(i == next[task], "thread \(task): \(i) after \(next[task] - 1)")
            next[task] = i + 1
        }
        #expect(next == [500, 500, 500, 500])
    }

    @Test("a batch completed while enough syncs are in flight wakes no thread, and the next sync to return takes it")
    func batchTakenByTheNextSyncToReturn() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let probe = SyncProbe()
        probe.state.withLock { $0.held = [0, 1] }
        // Depth 8: two syncs in flight are enough for a completed batch not to wake a syncing thread.
        let ledger = try JSONLinesLedger(configuration: concurrentConfiguration(dir, depth: 8, probe: probe))
        for batch in 0..<2 {
            for i in 0..<64 { try ledger.write(LedgerFixtures.callRecord("r\(batch * 64 + i)")) }
            #expect(eventually { probe.state.withLock { $0.calls.contains(batch) } })
        }
        // Batch 2 completes with batches 0 and 1 held in their syncs; nothing asks for a flush, and the flusher's
        // interval is an hour away.
        for i in 128..<192 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        probe.release()
        // One held sync returns; its thread takes batch 2.
        #expect(eventually { ledger.stats.flushes == 3 })
        #expect(eventually { probe.state.withLock { $0.calls.contains(2) } })
        probe.release()
        try ledger.waitUntilDurable(records: 192, timeout: .seconds(20))
        #expect(ledger.stats.syncs == 3)
        try ledger.close()
        let ids = try LedgerReader(path: dir.path).readAll().records.map(\.recordID)
        #expect(ids == (0..<192).map { "r\($0)" })
    }

    @Test("the scratch line is held by one caller at a time")
    func scratchLine() {
        let line = LedgerScratchLine(capacity: CostRecord.maxCheckedLineBytes)
        #expect(line.capacity == CostRecord.maxCheckedLineBytes)
        #expect(line.tryClaim())
        #expect(!line.tryClaim())
        line.release()
        #expect(line.tryClaim())
        line.release()
    }
}
