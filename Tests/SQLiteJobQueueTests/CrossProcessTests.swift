import Attribution
import Foundation
import SQLiteJobQueue
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A running probe process and its standard output.
private final class Probe: Sendable {
    let process = Process()
    private let output = Pipe()
    private let buffer = Lock<[UInt8]>([])

    init(_ arguments: [String]) throws {
        process.executableURL = try builtExecutable("sqlite-queue-probe")
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
    }

    /// The next line the probe prints, or `nil` once it closed its output (it exited).
    func readLine() -> String? {
        while true {
            let line: String? = buffer.withLock { buffer in
                guard let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if let line { return line }
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { return nil }
            buffer.withLock { $0 += data }
        }
    }

    /// Every line left, up to the probe's exit.
    func readAll() -> [String] {
        var lines: [String] = []
        while let line = readLine() { lines.append(line) }
        process.waitUntilExit()
        return lines
    }

    /// `readLine()` on a thread of its own, so the wait holds no thread of the test pool.
    func nextLine() async throws -> String? { try await onOwnThread { self.readLine() } }

    /// `readAll()` on a thread of its own.
    func rest() async throws -> [String] { try await onOwnThread { self.readAll() } }
}

@Suite("SQLite job queue: across processes")
struct CrossProcessTests {
    @Test(
        "a job held by a process killed with SIGKILL is redelivered with claims = 2",
        .timeLimit(.minutes(1))
    )
    func sigkillRedelivery() async throws {
        try await withQueue { queue, directory in
            let id = try queue.enqueue(payload: bytes(#"{"job":"survives its worker"}"#), queue: "q", maxAttempts: 3)
            let probe = try Probe(["hold", directory.database(), "q", "probe-worker", "60000"])
            defer { if probe.process.isRunning { kill(probe.process.processIdentifier, SIGKILL) } }

            let line = try #require(try await probe.nextLine())
            #expect(line == "claimed \(id) 1")
            let held = try #require(try queue.job(id: id))
            #expect(held.state == .claimed)
            #expect(held.leasedBy == "probe-worker")
            let leaseUntil = try #require(held.leaseUntil)
            // The holder is alive: nobody else can take the job.
            #expect(try queue.claim(queue: "q", workerID: "test", leaseDuration: .seconds(1)) == nil)

            #expect(kill(probe.process.processIdentifier, SIGKILL) == 0)
            try await onOwnThread { probe.process.waitUntilExit() }
            #expect(probe.process.terminationReason == .uncaughtSignal)
            #expect(probe.process.terminationStatus == SIGKILL)

            // No hook ran for the killed worker: the job is still claimed until its lease expires.
            #expect(try queue.job(id: id)?.state == .claimed)
            let redelivered = try #require(
                try queue.claim(queue: "q", workerID: "test", leaseDuration: .seconds(30), now: leaseUntil)
            )
            #expect(redelivered.id == id)
            #expect(redelivered.claims == 2)
            #expect(redelivered.isRedelivery)
            #expect(redelivered.payload == bytes(#"{"job":"survives its worker"}"#))
            #expect(redelivered.lastError?.contains("\"probe-worker\"") == true)
            try queue.complete(redelivered)
            #expect(try queue.stats() == JobQueueStats(completed: 1))
        }
    }

    @Test(
        "worker processes sharing one file complete every job exactly once",
        .timeLimit(.minutes(1))
    )
    func processesShareTheQueue() async throws {
        try await withQueue { queue, directory in
            let jobCount = 200
            let ids = try queue.enqueue(
                (0..<jobCount).map { JobRequest(payload: bytes("job \($0)")) },
                defaultQueue: "q"
            )
            let probes = try (0..<3).map { try Probe(["work", directory.database(), "q", "process-\($0)", "60000"]) }
            var completed: [JobID] = []
            for probe in probes {
                for line in try await probe.rest() {
                    let fields = line.split(separator: " ")
                    #expect(fields.count == 3 && fields[0] == "completed" && fields[2] == "1", "\(line)")
                    if fields.count == 3, let raw = Int64(fields[1]) { completed.append(JobID(rawValue: raw)) }
                }
                #expect(probe.process.terminationStatus == 0)
            }
            #expect(completed.count == jobCount)
            #expect(Set(completed) == Set(ids))
            #expect(try queue.stats() == JobQueueStats(completed: jobCount))
        }
    }
}
