import Attribution
import AttributionTesting
import CostLedger
import Foundation
import SQLiteJobQueue
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A running example process, its standard output read line by line.
private final class ExampleProcess: Sendable {
    let process = Process()
    private let output = Pipe()
    private let buffer = Lock<[UInt8]>([])

    init(_ name: String, _ arguments: [String]) throws {
        process.executableURL = try builtExecutable(name)
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
    }

    /// The next line printed, or `nil` once the process closed its output.
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

    /// Every line left, up to the exit.
    func readAll() -> [String] {
        var lines: [String] = []
        while let line = readLine() { lines.append(line) }
        process.waitUntilExit()
        return lines
    }

    /// `readAll()` on a thread of its own, so the wait holds no thread of the test pool.
    func rest() async throws -> [String] { try await onOwnThread { self.readAll() } }

    /// Kills the process with SIGKILL if it still runs, and reaps it.
    func kill() {
        if process.isRunning { sendSIGKILL(process.processIdentifier) }
        process.waitUntilExit()
    }
}

/// Sends SIGKILL: the process gets no chance to run a failure hook or flush anything.
private func sendSIGKILL(_ pid: Int32) {
    _ = kill(pid, SIGKILL)
}

@Suite("End to end: producer and worker processes over one SQLite queue")
struct EndToEndTests {
    static let requiredFields: [AttributionField] = [.userID, .feature, .team, .project, .taskType]

    @Test(
        "three workers, one killed while it holds a job: every job completes and the ledger keeps identity and lineage",
        .timeLimit(.minutes(2))
    )
    func threeWorkersOneKilled() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.database()
        let ledger = directory.url.appendingPathComponent("ledger").path
        var workers: [ExampleProcess] = []
        defer { for worker in workers { worker.kill() } }

        let producer = try ExampleProcess("queue-producer", [database, ledger, "24", "42"])
        _ = try await producer.rest()
        #expect(producer.process.terminationStatus == 0)

        // The first worker holds its first successful job, so it can be killed while holding it. Waiting for it,
        // starting the two others and the kill run on a thread of their own: the doomed worker runs until it is
        // killed, so its kill must not wait for a thread of the test pool (see `onOwnThread`).
        let doomed = try ExampleProcess("queue-worker", [database, ledger, "worker-doomed", "--hold-ms", "60000"])
        workers.append(doomed)
        let (held, survivors) = try await onOwnThread { () throws -> (String?, [ExampleProcess]) in
            var held: String?
            while let line = doomed.readLine() {
                if line.hasPrefix("holding ") {
                    held = line
                    break
                }
            }
            var survivors: [ExampleProcess] = []
            defer { doomed.kill() }
            guard held != nil else { return (nil, survivors) }
            for name in ["worker-b", "worker-c"] {
                survivors.append(try ExampleProcess("queue-worker", [database, ledger, name, "--exit-when-drained"]))
            }
            return (held, survivors)
        }
        workers += survivors
        let holding = try #require(held, "the doomed worker never held a job").split(separator: " ")
        try #require(holding.count == 3)
        let heldLeaf = String(holding[2])
        #expect(doomed.process.terminationReason == .uncaughtSignal)

        let queue = try SQLiteJobQueue(path: database)
        let stats = try await queue.waitUntilDrained(
            queue: "llm",
            timeout: .seconds(60),
            pollInterval: .milliseconds(50)
        )
        var outcomes: [String] = []
        for worker in workers.dropFirst() {
            outcomes += try await worker.rest()
            #expect(worker.process.terminationStatus == 0)
        }

        // Every job completed: the 24 requests' jobs and their fanned-out children.
        #expect(stats.dead == 0)
        #expect(stats.completed == stats.total)
        #expect(stats.total > 24)

        // The survivors printed one line per job outcome in plain words (the killed worker completed nothing),
        // and a last line each.
        for line in outcomes where !line.hasPrefix("done ") {
            let words = line.split(separator: ": ", maxSplits: 2).map(String.init)
            #expect(words.count == 3 && words[1].hasPrefix("job "), "\(line)")
            #expect(
                words.last.map { $0.hasPrefix("completed") || $0.hasPrefix("retry scheduled (") } == true,
                "\(line)"
            )
        }
        #expect(outcomes.filter { $0.contains(": completed") }.count == stats.completed)
        #expect(outcomes.contains { $0.contains(": retry scheduled (simulated provider overload (HTTP 529))") })
        #expect(outcomes.filter { $0.hasPrefix("done ") }.count == 2)

        let (records, readStats) = try LedgerReader(path: ledger).readAll()
        #expect(readStats.skippedLines == 0)
        let files = try LedgerReader(path: ledger).files()
        // One file per process: the producer, the killed worker, and each survivor that performed a job.
        #expect((3...4).contains(files.count))

        // No record is duplicated.
        var seen: Set<String> = []
        for record in records {
            #expect(seen.insert(record.recordID).inserted, "record \(record.recordID) appears twice")
        }
        // No record misses a required field.
        for record in records {
            for field in Self.requiredFields {
                #expect(record.attribution[field] != nil, "record \(record.recordID) has no \(field)")
            }
        }

        let units = Dictionary(
            records.filter { $0.kind == .unit }.compactMap { record in record.leafID.map { ($0, record) } },
            uniquingKeysWith: { first, _ in first }
        )
        let calls = records.filter { $0.kind == .call }
        #expect(calls.count >= stats.completed)

        // Lineage: every unit's parent is a unit of the same trace, and its root is the trace's root.
        var roots: [TraceID: LeafID] = [:]
        for unit in units.values where unit.parentID == nil {
            let trace = try #require(unit.traceID)
            roots[trace] = unit.leafID
        }
        #expect(roots.count == 24)
        var childUnits = 0
        for unit in units.values {
            guard let parentID = unit.parentID else { continue }
            childUnits += 1
            let parent = try #require(units[parentID], "unit \(unit.recordID) has no parent unit \(parentID)")
            #expect(parent.traceID == unit.traceID)
            let trace = try #require(unit.traceID)
            #expect(unit.rootID == roots[trace])
            #expect(parent.attribution[.userID] == unit.attribution[.userID])
        }
        // One job unit per job, and perhaps a few more: children announced by the killed worker's attempt.
        #expect(childUnits >= stats.total)

        // Every call is made by a job unit and keeps that unit's identity, whatever the attempt.
        var callsByLeaf: [LeafID: [CostRecord]] = [:]
        for call in calls {
            let leaf = try #require(call.leafID)
            let unit = try #require(units[leaf], "call \(call.recordID) belongs to no announced unit")
            #expect(call.traceID == unit.traceID)
            #expect(call.parentID == unit.parentID)
            #expect(call.rootID == unit.rootID)
            #expect(call.attribution == unit.attribution)
            callsByLeaf[leaf, default: []].append(call)
        }
        // Retried or redelivered jobs: several calls of one leaf, distinct attempts, one of them above 1.
        var retried = 0
        for (_, attempts) in callsByLeaf where attempts.count > 1 {
            retried += 1
            let numbers = attempts.compactMap(\.attempt)
            #expect(Set(numbers).count == attempts.count)
            #expect(numbers.contains(1))
            #expect(numbers.contains { $0 >= 2 })
            #expect(Set(attempts.map(\.traceID)).count == 1)
            #expect(Set(attempts.map { $0.attribution[.userID] }).count == 1)
        }
        #expect(retried >= 6)  // every fourth job fails its first attempt
        #expect(calls.contains { $0.status == .error && $0.attempt == 1 })

        // The killed worker's job was redelivered: a second call of the same leaf at a higher attempt.
        let killedCalls = callsByLeaf.first { $0.key.description == heldLeaf }?.value ?? []
        let killedSuccesses = killedCalls.filter { $0.status == .ok }
        #expect(killedSuccesses.count >= 2, "the held job's call was not made again after the kill")
        #expect(killedSuccesses.contains { ($0.attempt ?? 0) >= 2 })
    }
}

@Suite("Operator retry through the SQLite queue and the meter")
struct OperatorRetryThroughQueueTests {
    struct Overloaded: Error {}

    @Test("a retry scheduled by code running under an operator's envelope is billed to the original user")
    func operatorRetryKeepsOriginalUser() async throws {
        try await withQueue { queue, _ in
            let sink = InMemoryCostSink()
            let meter = CostMeter(sink: sink)
            let middleware = AttributionJobMiddleware(retryPolicy: RetryPolicy(maxAttempts: 3), announcer: meter)
            let request = try meter.tag(
                userID: "u_original",
                feature: "contract-review",
                team: "legal-tools",
                project: "assistant",
                taskType: "request"
            )
            let payload = try middleware.prepare(Array(#"{"document":7}"#.utf8), parent: request)
            try queue.enqueue(payload: payload, queue: "llm", middleware: middleware, now: at(0))
            let first = try #require(
                try queue.claim(queue: "llm", workerID: "w", leaseDuration: .seconds(5), now: at(0))
            )
            let job = try #require(try middleware.willPerform(first.payload, context: first.jobContext))

            // The operator clicks "retry" from an admin request: their envelope is the ambient one.
            let operatorEnvelope = try meter.tag(
                userID: "ops-admin",
                feature: "admin-console",
                team: "platform",
                project: "ops",
                taskType: "admin"
            )
            let state = try AttributionEnvelope.withAttribution(operatorEnvelope) {
                try queue.fail(first, error: Overloaded(), middleware: middleware, now: at(10))
            }
            #expect(state == .failed)

            let second = try #require(
                try queue.claim(
                    queue: "llm",
                    workerID: "w",
                    leaseDuration: .seconds(5),
                    now: at(60_000),
                    rewritePayload: SQLiteJobQueue.raiseEnvelopeAttemptToClaims
                )
            )
            // The retried try runs while the operator's envelope is still ambient: the payload's wins.
            let retried = try #require(try middleware.willPerform(second.payload, context: second.jobContext))
            try await AttributionEnvelope.withAttribution(operatorEnvelope) {
                _ = try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(retried)) { _ in
                    ((), TokenUsage(input: 100, output: 10))
                }
            }
            try queue.complete(second)

            #expect(retried.attempt == 2)
            #expect(retried.leafID == job.leafID)
            #expect(retried.traceID == request.traceID)
            let call = try #require(sink.records.first { $0.kind == .call })
            #expect(call.attribution[.userID] == "u_original")
            #expect(call.traceID == request.traceID)
            #expect(call.leafID == job.leafID)
            #expect(call.attempt == 2)
        }
    }
}
