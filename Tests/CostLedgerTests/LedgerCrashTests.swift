import Attribution
import CostLedger
import Foundation
import Testing

/// The built `ledger-crash-writer`, next to this test binary.
func crashWriterURL() throws -> URL {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // The test bundle may be a directory (`…PackageTests.xctest/…`); walk up to the build directory.
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("ledger-crash-writer")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw CostLedgerError(.io, reason: "ledger-crash-writer not found near \(testBinary.path)")
}

/// Reads a child's stdout line by line until `enough` lines arrived.
private final class LineCollector: @unchecked Sendable {
    // Guarded by `lock`; the pipe's reader thread appends, the test reads.
    private let lock = NSLock()
    private var pending = Data()
    private var lines: [String] = []

    func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        pending.append(data)
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return lines.count
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}

@Suite("Ledger crash safety")
struct LedgerCrashTests {
    @Test("killed writers (concurrent syncs in flight) lose no acknowledged record; torn line reported; append works")
    func killedWriters() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let executable = try crashWriterURL()

        // Three writer processes appending at once, each killed once it has acknowledged enough records, while
        // tasks of this process append to the same directory with concurrent syncs.
        var acknowledged: [String] = []
        var processes: [(Process, LineCollector, Pipe)] = []
        for (name, mode) in [("p1", "flush"), ("p2", "concurrent"), ("p3", "concurrent")] {
            let process = Process()
            process.executableURL = executable
            process.arguments = [dir.path, name, mode]
            let pipe = Pipe()
            process.standardOutput = pipe
            let collector = LineCollector()
            pipe.fileHandleForReading.readabilityHandler = { handle in collector.append(handle.availableData) }
            try process.run()
            processes.append((process, collector, pipe))
        }

        // Each writer is killed once it has acknowledged 300 records, from a thread of its own started now. Killed
        // from this test's task, the writers would live until the task next got a thread of the test pool, and a
        // pipe of another test's child, inherited by a writer spawned at the same moment, would stay open as long:
        // that test's read would hold a pool thread waiting for the kill that waits for a pool thread.
        let writers = processes.map { (process: $0.0, collector: $0.1) }
        let killer = OwnThread {
            writers.map { writer in
                var waited = 0
                while writer.collector.count < 300, writer.process.isRunning, waited < 60_000 {
                    usleep(10_000)
                    waited += 10
                }
                let ranUntilKilled = writer.process.isRunning
                kill(writer.process.processIdentifier, SIGKILL)
                writer.process.waitUntilExit()
                return (ranUntilKilled: ranUntilKilled, reason: writer.process.terminationReason)
            }
        }

        var configuration = JSONLinesLedger.Configuration(directory: dir.path)
        configuration.bufferPolicy = .block(timeout: .seconds(120))
        configuration.durability = .fsync(concurrentSyncs: 4)
        configuration.batchRecords = 16
        let local = try JSONLinesLedger(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for i in 0..<250 { try local.write(LedgerFixtures.callRecord("local\(task)-\(i)")) }
                }
            }
            try await group.waitForAll()
        }
        try local.close()
        #expect(local.stats.durableRecords == 1000)

        for ((_, collector, pipe), outcome) in zip(processes, try await killer.value) {
            pipe.fileHandleForReading.readabilityHandler = nil
            #expect(outcome.ranUntilKilled, "the writer stopped by itself")
            #expect(outcome.reason == .uncaughtSignal)
            acknowledged += collector.all
        }
        #expect(acknowledged.count >= 900)

        // A kill during a write(2) would leave a torn line; simulate one on a file of a writer killed with syncs
        // in flight.
        let files = try dir.jsonlFiles()
        let victim = try #require(files.first { $0.contains("-\(processes[1].0.processIdentifier)-") })
        let handle = try #require(FileHandle(forWritingAtPath: dir.file(victim)))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"v":1,"record_id":"torn","ts":"2026-11-2"#.utf8))
        handle.closeFile()

        var counts: [String: Int] = [:]
        let stats = try LedgerReader(path: dir.path).read { record, _ in counts[record.recordID, default: 0] += 1 }
        for id in acknowledged { #expect(counts[id] == 1, "acknowledged \(id) found \(counts[id] ?? 0) times") }
        for task in 0..<4 {
            for i in 0..<250 { #expect(counts["local\(task)-\(i)"] == 1) }
        }
        #expect(counts.values.allSatisfy { $0 == 1 })
        // The simulated torn line is skipped. A SIGKILL can also land inside a real write(2) and tear that
        // writer's last line: any other skipped line must be in a killed writer's file, never in one that closed.
        let killedFiles = Set(
            files.filter { file in processes.contains { file.contains("-\($0.0.processIdentifier)-") } }.map(dir.file)
        )
        #expect(stats.skippedLines >= 1)
        #expect(stats.invalidRecords == 0)
        #expect(stats.issues.contains { $0.location.file == dir.file(victim) })
        #expect(stats.issues.allSatisfy { killedFiles.contains($0.location.file) })

        // The next append to the torn file itself (a process reopening its own file) starts a new line.
        configuration.fileName = victim
        let after = try JSONLinesLedger(configuration: configuration)
        try after.write(LedgerFixtures.callRecord("after-crash"))
        try after.close()
        #expect(after.stats.durableRecords == 1)
        var found: String?
        let again = try LedgerReader(path: dir.path).read { record, location in
            if record.recordID == "after-crash" { found = location.file }
        }
        #expect(found == dir.file(victim))
        #expect(again.skippedLines == stats.skippedLines)
    }
}
