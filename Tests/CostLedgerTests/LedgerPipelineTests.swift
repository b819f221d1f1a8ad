import Attribution
import CostLedger
import Foundation
import Testing

/// A writer whose flusher writes only when asked (no interval, no batch threshold in reach).
private func pipelineConfiguration(
    _ dir: TemporaryDirectory,
    _ durability: LedgerDurability
) -> JSONLinesLedger.Configuration {
    var configuration = JSONLinesLedger.Configuration(directory: dir.path)
    configuration.flushInterval = .seconds(3600)
    configuration.batchRecords = 1_000_000
    configuration.hostName = "pipeline-host"
    configuration.durability = durability
    return configuration
}

@Suite("Ledger pipelined flushing")
struct LedgerPipelineTests {
    @Test(
        "requestFlush hands the batch to the flusher; waitUntilDurable returns once it is written and synced",
        arguments: [LedgerDurability.fsync, .fsync(concurrentSyncs: 4), .flush, .none]
    )
    func requestThenWait(durability: LedgerDurability) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let ledger = try JSONLinesLedger(configuration: pipelineConfiguration(dir, durability))
        for i in 0..<10 { try ledger.write(LedgerFixtures.callRecord("r\(i)")) }
        #expect(ledger.stats.durableRecords == 0)
        let position = ledger.requestFlush()
        #expect(position == 10)
        try ledger.waitUntilDurable(records: position)
        let stats = ledger.stats
        #expect(stats.durableRecords == 10)
        #expect(stats.writtenRecords == 10)
        #expect(stats.syncs == (durability.concurrentSyncs > 0 ? 1 : 0))
        #expect(try LedgerReader(path: dir.path).readAll().records.map(\.recordID) == (0..<10).map { "r\($0)" })
        try ledger.close()
    }

    @Test(
        "a pipeline of batches: each acknowledged batch is on disk, in order, and every sync covers whole batches",
        arguments: [LedgerDurability.fsync, .fsync(concurrentSyncs: 4)]
    )
    func pipeline(durability: LedgerDurability) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let ledger = try JSONLinesLedger(configuration: pipelineConfiguration(dir, durability))
        var previous = 0
        var acknowledged: [Int] = []
        for batch in 0..<20 {
            for i in 0..<16 { try ledger.write(LedgerFixtures.callRecord("b\(batch)-\(i)")) }
            let position = ledger.requestFlush()
            try ledger.waitUntilDurable(records: previous)
            #expect(ledger.stats.durableRecords >= previous)
            acknowledged.append(previous)
            previous = position
        }
        try ledger.waitUntilDurable(records: previous)
        let stats = ledger.stats
        #expect(stats.durableRecords == 320)
        #expect(stats.syncs >= 10 && stats.syncs <= 20)
        #expect(acknowledged == (0..<20).map { $0 * 16 })
        let ids = try LedgerReader(path: dir.path).readAll().records.map(\.recordID)
        #expect(ids == (0..<20).flatMap { b in (0..<16).map { "b\(b)-\($0)" } })
        try ledger.close()
    }

    @Test(
        "waiting for records the writer can no longer make durable fails instead of hanging",
        arguments: [LedgerDurability.fsync, .fsync(concurrentSyncs: 4)]
    )
    func waitFails(durability: LedgerDurability) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = pipelineConfiguration(dir, durability)
        configuration.directory = dir.file("ledger")
        let ledger = try JSONLinesLedger(configuration: configuration)
        // Every open now fails: the directory is gone and a file holds its name, so it cannot be made again.
        try FileManager.default.removeItem(atPath: dir.file("ledger"))
        try dir.write("ledger", "not a directory")
        try ledger.write(LedgerFixtures.callRecord("lost"))
        let position = ledger.requestFlush()
        do {
            try ledger.waitUntilDurable(records: position, timeout: .seconds(20))
            Issue.record("a record that could not be written was reported durable")
        } catch {
            #expect(error.code == .io)
        }
        #expect(ledger.stats.durableRecords == 0)
        #expect(throws: CostLedgerError.self) { try ledger.close() }
        do {
            try ledger.waitUntilDurable(records: position, timeout: .seconds(20))
            Issue.record("waiting after close returned")
        } catch {
            #expect(error.code == .closed)
        }
    }
}
