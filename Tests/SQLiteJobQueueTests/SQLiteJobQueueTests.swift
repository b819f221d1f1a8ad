import Attribution
import AttributionTesting
import Foundation
import SQLiteJobQueue
import Testing

@Suite("SQLite job queue: enqueue, claim, complete")
struct EnqueueClaimCompleteTests {
    @Test("jobs are claimed oldest first, once each, and completing them drains the queue")
    func claimsInOrder() async throws {
        try await withQueue { queue, _ in
            let first = try queue.enqueue(payload: bytes(#"{"n":1}"#), queue: "q", now: at(0))
            let second = try queue.enqueue(payload: bytes(#"{"n":2}"#), queue: "q", now: at(1))
            try queue.enqueue(payload: bytes("other"), queue: "elsewhere", now: at(0))

            let a = try #require(try queue.claim(queue: "q", workerID: "w1", leaseDuration: .seconds(30), now: at(5)))
            let b = try #require(try queue.claim(queue: "q", workerID: "w2", leaseDuration: .seconds(30), now: at(5)))
            #expect(a.id == first)
            #expect(a.payload == bytes(#"{"n":1}"#))
            #expect(a.claims == 1)
            #expect(!a.isRedelivery)
            #expect(a.leaseUntil == at(30_005))
            #expect(b.id == second)
            #expect(try queue.claim(queue: "q", workerID: "w3", leaseDuration: .seconds(30), now: at(5)) == nil)

            #expect(try queue.stats(queue: "q") == JobQueueStats(claimed: 2))
            try queue.complete(a, now: at(6))
            try queue.complete(jobID: b.id, workerID: "w2", now: at(7))
            let stats = try queue.stats(queue: "q")
            #expect(stats == JobQueueStats(completed: 2))
            #expect(stats.isDrained)
            #expect(try queue.stats() == JobQueueStats(pending: 1, completed: 2))
            let record = try #require(try queue.job(id: first))
            #expect(record.state == .completed)
            #expect(record.leasedBy == "w1")
            #expect(record.leaseUntil == nil)
            #expect(record.updatedAt == at(6))
        }
    }

    @Test("a job is not claimable before its available_at")
    func availableAt() async throws {
        try await withQueue { queue, _ in
            let id = try queue.enqueue(payload: bytes("later"), queue: "q", availableAt: at(1000), now: at(0))
            #expect(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(999)) == nil)
            let job = try #require(
                try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(1000))
            )
            #expect(job.id == id)
        }
    }

    @Test("an empty payload comes back empty, and bytes that are not UTF-8 come back unchanged")
    func opaquePayloads() async throws {
        try await withQueue { queue, _ in
            let binary: [UInt8] = [0, 0xFF, 0xFE, 0x80, 10, 0]
            try queue.enqueue(payload: [], queue: "q", now: at(0))
            try queue.enqueue(payload: binary, queue: "q", now: at(1))
            let empty = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(2)))
            let other = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(2)))
            #expect(empty.payload == [])
            #expect(other.payload == binary)
        }
    }

    @Test("several jobs enqueued together land all or none")
    func batchEnqueue() async throws {
        try await withQueue(configuration: .init(synchronous: .normal, maxPayloadBytes: 8)) { queue, _ in
            let ids = try queue.enqueue(
                [JobRequest(payload: bytes("a")), JobRequest(payload: bytes("b"), queue: "other")],
                defaultQueue: "q",
                now: at(0)
            )
            #expect(ids.count == 2)
            #expect(try queue.job(id: ids[1])?.queue == "other")
            #expect(throws: SQLiteJobQueueError(.payloadTooLarge, reason: "")) {
                try queue.enqueue(
                    [JobRequest(payload: bytes("c")), JobRequest(payload: bytes("much too long"))],
                    defaultQueue: "q"
                )
            }
            #expect(try queue.stats().total == 2)
        }
    }

    enum InvalidCall: String, CaseIterable, Sendable {
        case emptyQueue, longQueue, zeroAttempts, emptyWorker, zeroLease, negativeLease

        var argument: String {
            switch self {
            case .emptyQueue, .longQueue: "queue"
            case .zeroAttempts: "maxAttempts"
            case .emptyWorker: "workerID"
            case .zeroLease, .negativeLease: "leaseDuration"
            }
        }

        func perform(_ queue: SQLiteJobQueue) throws(SQLiteJobQueueError) {
            switch self {
            case .emptyQueue: try queue.enqueue(payload: [], queue: "")
            case .longQueue: try queue.enqueue(payload: [], queue: String(repeating: "x", count: 257))
            case .zeroAttempts: try queue.enqueue(payload: [], queue: "q", maxAttempts: 0)
            case .emptyWorker: _ = try queue.claim(queue: "q", workerID: "", leaseDuration: .seconds(1))
            case .zeroLease: _ = try queue.claim(queue: "q", workerID: "w", leaseDuration: .zero)
            case .negativeLease: _ = try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(-5))
            }
        }
    }

    @Test(
        "arguments out of range are refused with invalid_argument, naming the argument",
        arguments: InvalidCall.allCases
    )
    func invalidArguments(call: InvalidCall) async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: [], queue: "q", availableAt: at(0))
            let error = try #require(throws: SQLiteJobQueueError.self) { try call.perform(queue) }
            #expect(error.code == .invalidArgument)
            #expect(error.reason.hasPrefix(call.argument + ":"))
            #expect(try queue.stats() == JobQueueStats(pending: 1))
        }
    }

    @Test("a payload over the configured limit is refused, naming its size")
    func payloadLimit() async throws {
        try await withQueue(configuration: .init(synchronous: .normal, maxPayloadBytes: 4)) { queue, _ in
            try queue.enqueue(payload: bytes("four"), queue: "q")
            let error = try #require(throws: SQLiteJobQueueError.self) {
                try queue.enqueue(payload: bytes("fives"), queue: "q")
            }
            #expect(error.code == .payloadTooLarge)
            #expect(error.reason.contains("5 bytes"))
        }
    }
}

@Suite("SQLite job queue: leases and redelivery")
struct LeaseTests {
    @Test("a job whose lease expires is redelivered to another worker with claims incremented")
    func redelivery() async throws {
        try await withQueue { queue, _ in
            let id = try queue.enqueue(payload: bytes("job"), queue: "q", now: at(0))
            let first = try #require(
                try queue.claim(queue: "q", workerID: "dies", leaseDuration: .seconds(10), now: at(0))
            )
            #expect(first.claims == 1)
            #expect(try queue.claim(queue: "q", workerID: "w2", leaseDuration: .seconds(10), now: at(9_999)) == nil)

            let second = try #require(
                try queue.claim(queue: "q", workerID: "w2", leaseDuration: .seconds(10), now: at(10_000))
            )
            #expect(second.id == id)
            #expect(second.claims == 2)
            #expect(second.isRedelivery)
            #expect(second.payload == bytes("job"))
            #expect(second.lastError?.contains("\"dies\"") == true)

            // The first worker comes back: its lease is gone, by id and by claim.
            let lost = try #require(throws: SQLiteJobQueueError.self) { try queue.complete(first, now: at(10_001)) }
            #expect(lost.code == .leaseLost)
            #expect(lost.reason.contains("\"w2\""))
            #expect(throws: SQLiteJobQueueError(.leaseLost, reason: "")) {
                try queue.fail(jobID: id, workerID: "dies", error: "late", retryAt: at(20_000), now: at(10_001))
            }
            try queue.complete(second, now: at(10_002))
            #expect(try queue.job(id: id)?.state == .completed)
            #expect(try queue.job(id: id)?.claims == 2)
        }
    }

    @Test("a claim that the same worker id re-took is not completed by the stale claim")
    func staleClaimSameWorker() async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: bytes("job"), queue: "q", now: at(0))
            let stale = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(0)))
            let fresh = try #require(
                try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(1000))
            )
            #expect(throws: SQLiteJobQueueError(.leaseLost, reason: "")) { try queue.complete(stale, now: at(1001)) }
            try queue.complete(fresh, now: at(1001))
        }
    }

    @Test("a lease that expired but nobody took still lets its holder complete")
    func expiredButUntaken() async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: bytes("job"), queue: "q", now: at(0))
            let job = try #require(
                try queue.claim(queue: "q", workerID: "slow", leaseDuration: .seconds(1), now: at(0))
            )
            try queue.complete(job, now: at(60_000))
            #expect(try queue.stats() == JobQueueStats(completed: 1))
            #expect(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(60_001)) == nil)
        }
    }

    @Test("extending a lease keeps the job from being redelivered at the old expiry")
    func extendLease() async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: bytes("job"), queue: "q", now: at(0))
            let job = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(0)))
            let until = try queue.extendLease(job, by: .seconds(5), now: at(900))
            #expect(until == at(5_900))
            #expect(try queue.claim(queue: "q", workerID: "x", leaseDuration: .seconds(1), now: at(5_899)) == nil)
            let again = try #require(
                try queue.claim(queue: "q", workerID: "x", leaseDuration: .seconds(1), now: at(5_900))
            )
            #expect(again.claims == 2)
            #expect(throws: SQLiteJobQueueError(.leaseLost, reason: "")) {
                try queue.extendLease(jobID: job.id, workerID: "w", by: .seconds(5), now: at(5_901))
            }
        }
    }

    @Test("a job whose worker dies on its last attempt goes dead instead of being redelivered")
    func deadAfterLastLease() async throws {
        try await withQueue { queue, _ in
            let poison = try queue.enqueue(payload: bytes("crashes"), queue: "q", maxAttempts: 2, now: at(0))
            let next = try queue.enqueue(payload: bytes("fine"), queue: "q", availableAt: at(2_500), now: at(1))
            _ = try #require(try queue.claim(queue: "q", workerID: "a", leaseDuration: .seconds(1), now: at(0)))
            let second = try #require(
                try queue.claim(queue: "q", workerID: "b", leaseDuration: .seconds(1), now: at(1000))
            )
            #expect(second.id == poison)
            #expect(second.isLastAttempt)
            // b dies too. Its lease expired at 2000, before `next` became available at 2500: the next claim
            // meets the exhausted job first, marks it dead, and takes the next one.
            let third = try #require(
                try queue.claim(queue: "q", workerID: "c", leaseDuration: .seconds(1), now: at(3000))
            )
            #expect(third.id == next)
            let record = try #require(try queue.job(id: poison))
            #expect(record.state == .dead)
            #expect(record.claims == 2)
            #expect(record.lastError?.contains("attempts exhausted") == true)
        }
    }

    @Test("the claim hook rewrites the payload from the claim count, and the rewrite is stored")
    func rewriteHook() async throws {
        try await withQueue { queue, _ in
            let id = try queue.enqueue(payload: bytes("attempt=1"), queue: "q", now: at(0))
            let rewrite: (ClaimedJob) throws -> [UInt8]? = { job in bytes("attempt=\(job.claims)") }
            let first = try #require(
                try queue.claim(
                    queue: "q",
                    workerID: "a",
                    leaseDuration: .seconds(1),
                    now: at(0),
                    rewritePayload: rewrite
                )
            )
            #expect(first.payload == bytes("attempt=1"))
            // Killed; redelivered.
            let second = try #require(
                try queue.claim(
                    queue: "q",
                    workerID: "b",
                    leaseDuration: .seconds(1),
                    now: at(1000),
                    rewritePayload: rewrite
                )
            )
            #expect(second.payload == bytes("attempt=2"))
            #expect(try queue.job(id: id)?.payload == bytes("attempt=2"))
        }
    }

    @Test("a payload the claim hook refuses goes dead with the hook's error, and the claim takes the next job")
    func rewriteHookRefuses() async throws {
        struct Unreadable: Error, CustomStringConvertible {
            var description: String { "no attribution envelope" }
        }
        try await withQueue { queue, _ in
            let bad = try queue.enqueue(payload: bytes("garbage"), queue: "q", now: at(0))
            let good = try queue.enqueue(payload: bytes("ok"), queue: "q", now: at(1))
            let job = try #require(
                try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(2)) { job in
                    if job.payload == bytes("garbage") { throw Unreadable() }
                    return nil
                }
            )
            #expect(job.id == good)
            #expect(job.payload == bytes("ok"))
            let record = try #require(try queue.job(id: bad))
            #expect(record.state == .dead)
            #expect(record.lastError == "payload rewrite failed: no attribution envelope")
        }
    }
}

@Suite("SQLite job queue: completion with children")
struct FanOutTests {
    @Test("completing a job enqueues its children in the same transaction, on the parent's queue by default")
    func childrenEnqueued() async throws {
        try await withQueue { queue, _ in
            let parent = try queue.enqueue(payload: bytes("parent"), queue: "q", now: at(0))
            let job = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(0)))
            let ids = try queue.complete(
                job,
                enqueueChildren: [
                    JobRequest(payload: bytes("child-1")),
                    JobRequest(payload: bytes("child-2"), queue: "tools", maxAttempts: 3),
                ],
                now: at(10)
            )
            #expect(ids.count == 2)
            let children = try queue.children(of: parent)
            #expect(children.map(\.id) == ids)
            #expect(children.map(\.payload) == [bytes("child-1"), bytes("child-2")])
            #expect(children.map(\.queue) == ["q", "tools"])
            #expect(children.map(\.parentJobID) == [parent, parent])
            #expect(children.map(\.state) == [.pending, .pending])
            #expect(children[1].maxAttempts == 3)
            #expect(children[0].maxAttempts == queue.configuration.defaultMaxAttempts)

            let child = try #require(
                try queue.claim(queue: "tools", workerID: "w", leaseDuration: .seconds(1), now: at(11))
            )
            #expect(child.parentJobID == parent)
        }
    }

    @Test("a completion refused for a lost lease enqueues no child")
    func lostLeaseNoChildren() async throws {
        try await withQueue { queue, _ in
            let parent = try queue.enqueue(payload: bytes("parent"), queue: "q", now: at(0))
            let stale = try #require(try queue.claim(queue: "q", workerID: "a", leaseDuration: .seconds(1), now: at(0)))
            _ = try #require(try queue.claim(queue: "q", workerID: "b", leaseDuration: .seconds(1), now: at(1000)))
            let error = try #require(throws: SQLiteJobQueueError.self) {
                try queue.complete(stale, enqueueChildren: [JobRequest(payload: bytes("child"))], now: at(1001))
            }
            #expect(error.code == .leaseLost)
            #expect(try queue.children(of: parent).isEmpty)
            #expect(try queue.stats() == JobQueueStats(claimed: 1))
        }
    }

    @Test("a completion whose child is refused leaves the parent claimed and enqueues no child")
    func refusedChildRollsBack() async throws {
        try await withQueue(configuration: .init(synchronous: .normal, maxPayloadBytes: 16)) { queue, _ in
            let parent = try queue.enqueue(payload: bytes("parent"), queue: "q", now: at(0))
            let job = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(1), now: at(0)))
            #expect(throws: SQLiteJobQueueError(.payloadTooLarge, reason: "")) {
                try queue.complete(
                    job,
                    enqueueChildren: [
                        JobRequest(payload: bytes("ok")), JobRequest(payload: bytes("far too long a child")),
                    ],
                    now: at(1)
                )
            }
            #expect(try queue.children(of: parent).isEmpty)
            #expect(try queue.job(id: parent)?.state == .claimed)
            // The worker can still finish it properly.
            try queue.complete(job, enqueueChildren: [JobRequest(payload: bytes("ok"))], now: at(2))
            #expect(try queue.children(of: parent).count == 1)
        }
    }
}

@Suite("SQLite job queue: failures and retries")
struct RetryTests {
    @Test("a failure schedules the retry at the given time with the retried payload, and the last one goes dead")
    func retryThenDead() async throws {
        try await withQueue { queue, _ in
            let id = try queue.enqueue(payload: bytes("attempt=1"), queue: "q", maxAttempts: 2, now: at(0))
            let first = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(0)))
            let state = try queue.fail(
                first,
                error: "429 rate limited",
                retryAt: at(2_000),
                retryPayload: bytes("attempt=2"),
                now: at(10)
            )
            #expect(state == .failed)
            let record = try #require(try queue.job(id: id))
            #expect(record.state == .failed)
            #expect(record.availableAt == at(2_000))
            #expect(record.lastError == "429 rate limited")
            #expect(record.leaseUntil == nil)
            #expect(try queue.stats() == JobQueueStats(failed: 1))
            #expect(!(try queue.stats().isDrained))

            #expect(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(1_999)) == nil)
            let second = try #require(
                try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(2_000))
            )
            #expect(second.claims == 2)
            #expect(!second.isRedelivery)
            #expect(second.payload == bytes("attempt=2"))
            #expect(second.lastError == "429 rate limited")

            let last = try queue.fail(second, error: "429 again", retryAt: at(4_000), now: at(2_010))
            #expect(last == .dead)
            #expect(try queue.job(id: id)?.state == .dead)
            #expect(try queue.job(id: id)?.lastError == "429 again")
            #expect(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(9_000)) == nil)
            #expect(try queue.stats().isDrained)
        }
    }

    @Test("a failure with no retry time gives up at once")
    func giveUp() async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: bytes("job"), queue: "q", maxAttempts: 5, now: at(0))
            let job = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(0)))
            #expect(try queue.fail(jobID: job.id, workerID: "w", error: "invalid request", retryAt: nil) == .dead)
            #expect(try queue.stats() == JobQueueStats(dead: 1))
        }
    }

    @Test("a long error message is stored cut at a character boundary")
    func longError() async throws {
        try await withQueue { queue, _ in
            let id = try queue.enqueue(payload: [], queue: "q", now: at(0))
            let job = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(0)))
            try queue.fail(job, error: String(repeating: "é", count: 5000), retryAt: nil, now: at(1))
            let stored = try #require(try queue.job(id: id)?.lastError)
            #expect(stored.utf8.count <= SQLiteJobQueue.maximumErrorBytes)
            #expect(stored.hasSuffix("é…"))
        }
    }

    @Test("purging removes finished jobs older than the cutoff and keeps the rest")
    func purge() async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: [], queue: "q", now: at(0))
            try queue.enqueue(payload: [], queue: "q", now: at(0))
            let pending = try queue.enqueue(payload: [], queue: "q", availableAt: at(1_000_000), now: at(0))
            let a = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(0)))
            try queue.complete(a, now: at(10))
            let b = try #require(try queue.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(0)))
            try queue.complete(b, now: at(500))
            #expect(try queue.purge(finishedBefore: at(100)) == 1)
            #expect(try queue.job(id: a.id) == nil)
            #expect(try queue.job(id: b.id) != nil)
            #expect(try queue.job(id: pending) != nil)
            // Ids are never reused.
            #expect(try queue.enqueue(payload: [], queue: "q") > pending)
        }
    }
}

@Suite("SQLite job queue: one file, many connections")
struct SharedFileTests {
    @Test("the database is in WAL mode, with the WAL file beside it")
    func walMode() async throws {
        try await withQueue { queue, directory in
            try queue.enqueue(payload: bytes("x"), queue: "q")
            #expect(try queue.journalMode() == "wal")
            #expect(FileManager.default.fileExists(atPath: directory.database() + "-wal"))
            // WAL is a property of the file: a second connection sees it too.
            let other = try SQLiteJobQueue(path: directory.database())
            #expect(try other.journalMode() == "wal")
        }
    }

    @Test("two connections to one file see each other's writes")
    func twoConnections() async throws {
        try await withQueue { producer, directory in
            let worker = try SQLiteJobQueue(path: directory.database())
            let id = try producer.enqueue(payload: bytes("from producer"), queue: "q", now: at(0))
            let job = try #require(try worker.claim(queue: "q", workerID: "w", leaseDuration: .seconds(5), now: at(1)))
            #expect(job.id == id)
            #expect(job.payload == bytes("from producer"))
            #expect(try producer.stats() == JobQueueStats(claimed: 1))
            try worker.complete(job, enqueueChildren: [JobRequest(payload: bytes("child"))], now: at(2))
            #expect(try producer.stats() == JobQueueStats(pending: 1, completed: 1))
            #expect(try producer.children(of: id).map(\.payload) == [bytes("child")])
        }
    }

    @Test("concurrent claimers on separate connections never take the same job, and take every job")
    func concurrentClaimers() async throws {
        try await withQueue { queue, directory in
            let jobCount = 300
            let ids = try queue.enqueue(
                (0..<jobCount).map { JobRequest(payload: bytes("job \($0)")) },
                defaultQueue: "q"
            )
            let path = directory.database()
            let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        let connection = try SQLiteJobQueue(path: path, configuration: .init(synchronous: .normal))
                        var mine: [JobID] = []
                        while let job = try connection.claim(
                            queue: "q",
                            workerID: "worker-\(worker)",
                            leaseDuration: .seconds(60)
                        ) {
                            mine.append(job.id)
                            try connection.complete(job)
                            if mine.count % 8 == 0 { await Task.yield() }
                        }
                        return mine
                    }
                }
                var all: [JobID] = []
                for try await mine in group { all += mine }
                return all
            }
            #expect(claimed.count == jobCount)
            #expect(Set(claimed) == Set(ids))
            #expect(try queue.stats() == JobQueueStats(completed: jobCount))
            let drained = try await queue.waitUntilDrained(timeout: .seconds(5))
            #expect(drained.completed == jobCount)
        }
    }

    @Test("four connections opening one new file at the same moment all open it, in WAL mode")
    func concurrentOpensOfANewFile() async throws {
        // Two processes started together open one new file: SQLite refuses the second switch to WAL with
        // SQLITE_BUSY at once, without waiting for the busy timeout, unless the opener tries again.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for round in 0..<25 {
            let path = directory.database("jobs-\(round).sqlite")
            let start = DispatchSemaphore(value: 0)
            let openers = (0..<4).map { _ in
                OwnThread { () throws -> Bool in
                    start.wait()
                    let queue = try SQLiteJobQueue(path: path, configuration: .init(synchronous: .normal))
                    return try queue.stats() == JobQueueStats()
                }
            }
            for _ in openers { start.signal() }
            for opener in openers { #expect(try await opener.value) }
        }
    }

    @Test("waiting for a queue that does not drain times out with the counts")
    func drainTimeout() async throws {
        try await withQueue { queue, _ in
            try queue.enqueue(payload: [], queue: "q")
            let error = try await #require(throws: SQLiteJobQueueError.self) {
                try await queue.waitUntilDrained(timeout: .milliseconds(50), pollInterval: .milliseconds(10))
            }
            #expect(error.code == .timedOut)
            #expect(error.reason.contains("pending 1"))
        }
    }

    @Test("opening a path in a missing directory fails with SQLite's reason")
    func openFailure() throws {
        let error = try #require(throws: SQLiteJobQueueError.self) {
            try SQLiteJobQueue(path: "/nonexistent-\(UUID().uuidString)/jobs.sqlite")
        }
        #expect(error.code == .sqlite)
        #expect(error.sqliteResultCode != nil)
        #expect(error.reason.contains("cannot open database"))
    }
}

@Suite("SQLite job queue: the configured clock")
struct ClockTests {
    @Test("without a `now` argument, leases run on the configured clock")
    func manualClock() async throws {
        let clock = ManualClock(at(0))
        try await withQueue(configuration: .init(synchronous: .normal, clock: clock)) { queue, _ in
            let id = try queue.enqueue(payload: bytes("job"), queue: "q")
            let first = try #require(try queue.claim(queue: "q", workerID: "a", leaseDuration: .seconds(30)))
            #expect(first.leaseUntil == at(30_000))
            clock.advance(byMilliseconds: 29_999)
            #expect(try queue.claim(queue: "q", workerID: "b", leaseDuration: .seconds(30)) == nil)
            clock.advance(byMilliseconds: 1)
            let second = try #require(try queue.claim(queue: "q", workerID: "b", leaseDuration: .seconds(30)))
            #expect(second.id == id)
            #expect(second.claims == 2)
            #expect(try queue.job(id: id)?.createdAt == at(0))
        }
    }
}
