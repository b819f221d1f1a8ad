import Attribution
import Foundation
import Testing

@testable import CostLedger

/// The writer's day partitions (`dt=YYYY-MM-DD/`, spec section 4): each file lies in the partition of its first
/// record's `started_at`, else `ts`, and the reader reads them back like a flat ledger.
@Suite("Ledger day partitions")
struct LedgerPartitionTests {
    typealias Machine = LedgerWriterStateMachine

    /// 2026-11-24T16:02:00.123Z, its day, and instants on the days around it.
    static let day = LedgerFixtures.ts.utcDay
    static func at(dayOffset: Int64, hour: Int64 = 12) -> UTCTimestamp {
        UTCTimestamp(millisecondsSinceEpoch: ((day + dayOffset) * 24 + hour) * 3_600_000)
    }

    static func configuration(_ dir: TemporaryDirectory, clock: ManualClock) -> JSONLinesLedger.Configuration {
        var configuration = JSONLinesLedger.Configuration(directory: dir.path)
        configuration.flushInterval = .seconds(3600)
        configuration.batchRecords = 1_000_000
        configuration.hostName = "test-host"
        configuration.partitionByDay = true
        configuration.clock = clock
        return configuration
    }

    /// The ledger's files as `PARTITION/NAME` (or `NAME`), sorted, each with its records' ids in file order.
    static func layout(_ dir: TemporaryDirectory) throws -> [(file: String, ids: [String])] {
        try LedgerIO.jsonlFiles(in: dir.path).sorted().map { path in
            let relative = String(path.dropFirst(dir.path.count + 1))
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let ids = try text.split(separator: "\n").map { line -> String in
                guard case .record(let record) = CostRecord.decodeStrictBody(Array(line.utf8), location: nil) else {
                    throw CostLedgerError(.io, field: path, reason: "unreadable line")
                }
                return record.recordID
            }
            return (relative, ids)
        }
    }

    @Test("the partition name is dt= and the UTC date, and the reader takes it for a partition")
    func partitionName() {
        #expect(LedgerFiles.partitionName(day: 0) == "dt=1970-01-01")
        #expect(LedgerFiles.partitionName(day: Self.day) == "dt=2026-11-24")
        #expect(LedgerFiles.partitionName(day: Self.day + 38) == "dt=2027-01-01")
        #expect(LedgerIO.isDayPartition("ledger/" + LedgerFiles.partitionName(day: Self.day)))
    }

    @Test("a batch whose first record is on another day than the open file's partition starts a new file there")
    func machineRotatesOnPartition() {
        let policy = Machine.Policy(
            mode: .serial(syncs: false),
            rotateDaily: true,
            maxFileBytes: nil,
            fixedFirstName: false,
            partitionByDay: true
        )
        var machine = Machine(policy: policy)
        #expect(
            machine.batchTaken(.init(bytes: 10, records: 1, partition: 7), day: 100)
                == .openFile(fixedName: false, closing: nil, lost: nil, partition: 7)
        )
        let file = Machine.OpenFile(
            fd: 3,
            path: "ledger/dt=1970-01-08/f3.jsonl",
            identity: LedgerFileIdentity(device: 1, inode: 3),
            size: 0,
            day: 100,
            syncFile: nil,
            partition: 7
        )
        #expect(machine.fileOpened(file) == .write(fd: 3, from: 0))
        #expect(machine.writeFinished(bytes: 10) == .checkPath(path: file.path, identity: file.identity))
        #expect(machine.pathChecked(true) == .durable(records: 1, synced: false))
        // Same partition, same clock day: the same file.
        #expect(machine.batchTaken(.init(bytes: 10, records: 1, partition: 7), day: 100) == .write(fd: 3, from: 0))
        #expect(machine.writeFinished(bytes: 10) == .checkPath(path: file.path, identity: file.identity))
        #expect(machine.pathChecked(true) == .durable(records: 1, synced: false))
        // Another partition on the same clock day: the old file is checked, then a new one opened in it.
        #expect(
            machine.batchTaken(.init(bytes: 10, records: 1, partition: 8), day: 100)
                == .checkPath(path: file.path, identity: file.identity)
        )
        #expect(machine.pathChecked(true) == .openFile(fixedName: false, closing: 3, lost: nil, partition: 8))

        // Without partitioning the partition of a batch is never looked at.
        var flat = Machine(
            policy: .init(mode: .serial(syncs: false), rotateDaily: true, maxFileBytes: nil, fixedFirstName: false)
        )
        _ = flat.batchTaken(.init(bytes: 10, records: 1), day: 100)
        var flatFile = file
        flatFile.partition = nil
        _ = flat.fileOpened(flatFile)
        _ = flat.writeFinished(bytes: 10)
        _ = flat.pathChecked(true)
        #expect(flat.batchTaken(.init(bytes: 10, records: 1, partition: 9), day: 100) == .write(fd: 3, from: 0))
    }

    @Test("files go to the partition of their first record's started_at, else ts; the reader reads them all")
    func writerPartitions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let clock = ManualClock(Self.at(dayOffset: 0, hour: 23))
        let ledger = try JSONLinesLedger(configuration: Self.configuration(dir, clock: clock))
        // Batch 1: day 0 by ts.
        try ledger.write(LedgerFixtures.callRecord("a1", ts: Self.at(dayOffset: 0, hour: 10)))
        try ledger.write(LedgerFixtures.callRecord("a2", ts: Self.at(dayOffset: 0, hour: 11)))
        try ledger.flush()
        // Batch 2: completed on day 1 but started on day 0: its started_at names the partition, so it joins the
        // open file of day 0; a later record of day 1 in the same batch goes with it (the straddling batch).
        var straddler = LedgerFixtures.callRecord("b1", ts: Self.at(dayOffset: 1, hour: 0))
        straddler.startedAt = Self.at(dayOffset: 0, hour: 23)
        try ledger.write(straddler)
        try ledger.write(LedgerFixtures.callRecord("b2", ts: Self.at(dayOffset: 1, hour: 0)))
        try ledger.flush()
        // Batch 3: day 1: a new file in dt= day 1, though the clock has not moved.
        try ledger.write(LedgerFixtures.callRecord("c1", ts: Self.at(dayOffset: 1, hour: 1)))
        try ledger.flush()
        // Batch 4: a late record of day -1 (a retry from a queue): a file of its own in its own day.
        try ledger.write(LedgerFixtures.callRecord("d1", ts: Self.at(dayOffset: -1, hour: 5)))
        try ledger.close()

        let layout = try Self.layout(dir)
        #expect(layout.map(\.file.count).allSatisfy { $0 > 14 })
        #expect(
            layout.map { String($0.file.prefix(14)) } == ["dt=2026-11-23/", "dt=2026-11-24/", "dt=2026-11-25/"]
        )
        #expect(layout.map(\.ids) == [["d1"], ["a1", "a2", "b1", "b2"], ["c1"]])
        #expect(ledger.stats.files == 3)

        let (read, stats) = try LedgerReader(path: dir.path).readAll()
        #expect(Set(read.map(\.recordID)) == ["a1", "a2", "b1", "b2", "c1", "d1"])
        #expect(stats.skippedLines == 0)
    }

    @Test("docs/ledger.md's snippet: partitionByDay puts today's records under dt= today's date")
    func docsSnippet() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // snippet: ledger-partition-by-day
        var configuration = JSONLinesLedger.Configuration(directory: "ledger")
        configuration.partitionByDay = true
        // end snippet
        configuration.directory = dir.path
        let ledger = try JSONLinesLedger(configuration: configuration)
        let now = SystemAttributionClock().now()
        try ledger.write(LedgerFixtures.callRecord("today", ts: now))
        try ledger.close()
        let files = try LedgerIO.jsonlFiles(in: dir.path)
        #expect(files.count == 1)
        #expect(files.first?.hasPrefix(dir.path + "/" + LedgerFiles.partitionName(day: now.utcDay) + "/") == true)
    }

    @Test("partitioned writing under fsync and under concurrent syncs keeps every record, once")
    func partitionsUnderEachDurability() throws {
        for durability in [LedgerDurability.fsync(concurrentSyncs: 1), .fsync(concurrentSyncs: 4), .flush] {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let clock = ManualClock(Self.at(dayOffset: 0))
            var configuration = Self.configuration(dir, clock: clock)
            configuration.durability = durability
            configuration.batchRecords = 8
            let ledger = try JSONLinesLedger(configuration: configuration)
            // 3 days, 40 records each, in day order, flushed between days.
            var written: [String] = []
            for offset: Int64 in 0..<3 {
                for i in 0..<40 {
                    let id = "r\(offset)-\(i)"
                    try ledger.write(LedgerFixtures.callRecord(id, ts: Self.at(dayOffset: offset, hour: 1)))
                    written.append(id)
                }
                try ledger.flush()
            }
            try ledger.close()
            let layout = try Self.layout(dir)
            let partitions = Set(layout.map { String($0.file.prefix(13)) })
            #expect(partitions == ["dt=2026-11-24", "dt=2026-11-25", "dt=2026-11-26"], "\(durability)")
            for entry in layout {
                let day = entry.file.prefix(13)
                let expected = "r\(["dt=2026-11-24": 0, "dt=2026-11-25": 1, "dt=2026-11-26": 2][String(day)] ?? -1)-"
                #expect(entry.ids.allSatisfy { $0.hasPrefix(expected) }, "\(durability) \(entry.file)")
            }
            #expect(layout.flatMap(\.ids).sorted() == written.sorted(), "\(durability)")
            #expect(ledger.stats.durableRecords == 120, "\(durability)")
        }
    }

    @Test("a partition directory removed while the writer runs is made again, and its records are written there")
    func partitionRemoved() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let clock = ManualClock(Self.at(dayOffset: 0))
        let ledger = try JSONLinesLedger(configuration: Self.configuration(dir, clock: clock))
        try ledger.write(LedgerFixtures.callRecord("a1", ts: Self.at(dayOffset: 0)))
        try ledger.flush()
        try FileManager.default.removeItem(atPath: dir.path + "/dt=2026-11-24")
        try ledger.write(LedgerFixtures.callRecord("a2", ts: Self.at(dayOffset: 0)))
        // The flush that finds the file gone says so; the record goes to a new file in the partition made again.
        #expect(throws: CostLedgerError.self) { try ledger.flush() }
        try ledger.flush()
        try ledger.close()
        let layout = try Self.layout(dir)
        #expect(layout.count == 1)
        #expect(layout.first?.file.hasPrefix("dt=2026-11-24/") == true)
        #expect(layout.first?.ids == ["a2"])
    }
}
