import Attribution
import Foundation
import SQLiteJobQueue
import Testing

@Suite("SQLite job queue: other writers, locks and bad rows")
struct RobustnessTests {
    @Test("a write waits for another connection's lock only up to the busy timeout, and reads never wait")
    func busyTimeout() async throws {
        try await withQueue(configuration: .init(synchronous: .normal, busyTimeout: .milliseconds(50))) {
            queue,
            directory in
            try queue.enqueue(payload: bytes("before"), queue: "q")
            let other = try RawSQLite(path: directory.database())
            try other.execute("BEGIN IMMEDIATE")
            let error = try #require(throws: SQLiteJobQueueError.self) {
                try queue.enqueue(payload: bytes("blocked"), queue: "q")
            }
            #expect(error.code == .busy)
            #expect(error.sqliteResultCode.map { $0 & 0xFF } == 5)  // SQLITE_BUSY
            // WAL: a reader is not blocked by the writer.
            #expect(try queue.stats() == JobQueueStats(pending: 1))
            try other.execute("COMMIT")
            try queue.enqueue(payload: bytes("after"), queue: "q")
            #expect(try queue.stats() == JobQueueStats(pending: 2))
        }
    }

    @Test("a file holding a later schema version is refused, naming the version")
    func laterSchema() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try SQLiteJobQueue(path: directory.database())
        try RawSQLite(path: directory.database()).execute("PRAGMA user_version = 99")
        let error = try #require(throws: SQLiteJobQueueError.self) {
            try SQLiteJobQueue(path: directory.database())
        }
        #expect(error.code == .unsupportedSchema)
        #expect(error.reason.contains("version 99"))
    }

    @Test("a stored payload over the limit is never handed out: its job goes dead and the claim moves on")
    func foreignOversizedPayload() async throws {
        try await withQueue(configuration: .init(synchronous: .normal, maxPayloadBytes: 16)) { queue, directory in
            try RawSQLite(path: directory.database()).execute(
                """
                INSERT INTO jobs (queue, payload, state, claims, max_attempts, available_at, created_at, updated_at)
                VALUES ('q', zeroblob(1000), 'pending', 0, 5, 0, 0, 0)
                """
            )
            let fine = try queue.enqueue(payload: bytes("fine"), queue: "q", now: at(0))
            let job = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(1)))
            #expect(job.id == fine)
            let dead = try #require(try queue.job(id: JobID(rawValue: 1)))
            #expect(dead.state == .dead)
            #expect(dead.lastError == "payload of 1000 bytes exceeds the limit of 16")
        }
    }

    @Test("a row with a claim count beyond any limit goes dead rather than blocking the queue")
    func foreignClaimCount() async throws {
        try await withQueue { queue, directory in
            let poisoned = try queue.enqueue(payload: bytes("x"), queue: "q", now: at(0))
            let fine = try queue.enqueue(payload: bytes("y"), queue: "q", now: at(1))
            try RawSQLite(path: directory.database()).execute(
                "UPDATE jobs SET claims = 5000000000, max_attempts = 9000000000 WHERE id = \(poisoned.rawValue)"
            )
            let job = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(2)))
            #expect(job.id == fine)
            #expect(try queue.stats() == JobQueueStats(claimed: 1, dead: 1))
            // Reading the row back reports it rather than trapping.
            let error = try #require(throws: SQLiteJobQueueError.self) { try queue.job(id: poisoned) }
            #expect(error.code == .corruptRow)
            #expect(error.reason.contains("claims"))
        }
    }

    @Test("an operator's requeue of a dead job continues its claim count and uses the retried payload")
    func requeueDead() async throws {
        try await withQueue { queue, _ in
            let id = try queue.enqueue(payload: bytes("attempt=1"), queue: "q", maxAttempts: 1, now: at(0))
            let first = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(0)))
            #expect(try queue.fail(first, error: "provider outage", retryAt: at(10), now: at(1)) == .dead)
            #expect(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(100)) == nil)

            try queue.requeue(jobID: id, retryPayload: bytes("attempt=2"), availableAt: at(200), now: at(150))
            #expect(try queue.job(id: id)?.state == .failed)
            #expect(try queue.job(id: id)?.maxAttempts == 2)
            #expect(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(199)) == nil)
            let second = try #require(
                try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(200))
            )
            #expect(second.claims == 2)
            #expect(second.payload == bytes("attempt=2"))
            #expect(second.lastError == "provider outage")
            try queue.complete(second, now: at(201))
        }
    }

    @Test("only dead or failed jobs can be requeued")
    func requeueRefused() async throws {
        try await withQueue { queue, _ in
            let id = try queue.enqueue(payload: [], queue: "q", now: at(0))
            let pending = try #require(throws: SQLiteJobQueueError.self) { try queue.requeue(jobID: id) }
            #expect(pending.code == .invalidState)
            #expect(pending.reason.contains("pending"))
            let job = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(0)))
            try queue.complete(job, now: at(1))
            #expect(throws: SQLiteJobQueueError(.invalidState, reason: "")) { try queue.requeue(jobID: id) }
            #expect(throws: SQLiteJobQueueError(.jobNotFound, reason: "")) {
                try queue.requeue(jobID: JobID(rawValue: 999))
            }
            #expect(try queue.stats() == JobQueueStats(completed: 1))
        }
    }

    @Test("purging refuses states of jobs still to run, and deletes nothing")
    func purgeRefusesUnfinished() async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: [], queue: "q", now: at(0))
            let error = try #require(throws: SQLiteJobQueueError.self) {
                try queue.purge(finishedBefore: at(1_000_000), states: [.completed, .pending])
            }
            #expect(error.code == .invalidArgument)
            #expect(error.reason.contains("pending"))
            #expect(try queue.stats() == JobQueueStats(pending: 1))
        }
    }

    @Test(
        "a database that cannot be in WAL mode, or a path that is not one, is refused",
        arguments: [(":memory:", "journal_mode"), ("", "invalid_argument"), ("jobs\u{0}.sqlite", "invalid_argument")]
    )
    func refusedPaths(path: String, code: String) throws {
        let error = try #require(throws: SQLiteJobQueueError.self) { try SQLiteJobQueue(path: path) }
        #expect(error.code.name == code)
    }
}
