public import Attribution
internal import CSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A durable job queue in one SQLite file, shared safely by threads and processes.
///
/// Producers ``enqueue(payload:queue:availableAt:maxAttempts:now:)`` opaque payloads; workers
/// ``claim(queue:workerID:leaseDuration:now:rewritePayload:)`` a job under a lease, then
/// ``complete(jobID:workerID:enqueueChildren:now:)`` it (enqueuing child jobs in the same transaction) or
/// ``fail(jobID:workerID:error:retryAt:retryPayload:now:)`` it (scheduling a retry or giving up). A job
/// whose worker dies stays claimed until its lease expires; the next claim then takes it again with
/// ``ClaimedJob/claims`` one higher — no failure hook runs for a killed worker, so that count is how a
/// redelivered job learns its attempt number.
///
/// ```swift
/// let queue = try SQLiteJobQueue(path: "/var/lib/app/jobs.sqlite")
/// let id = try queue.enqueue(payload: Array(#"{"attribution":{…},"doc":42}"#.utf8), queue: "summarize")
///
/// // In a worker process:
/// if let job = try queue.claim(queue: "summarize", workerID: "worker-\(pid)", leaseDuration: .seconds(30)) {
///     let children = try perform(job.payload, attempt: job.claims)
///     try queue.complete(job, enqueueChildren: children.map { JobRequest(payload: $0) })
/// }
/// ```
///
/// Every instance owns one connection, opened in WAL mode, kept behind a `Lock`: calls from many
/// threads are serialized, calls from many processes (or many instances over one file) are
/// serialized by SQLite's locks, waiting up to ``Configuration/busyTimeout``. Every write runs in a
/// `BEGIN IMMEDIATE` transaction, so a claim reads and updates its job under the write lock and two
/// claimers never take the same job.
///
/// Calls are synchronous and may block for up to the busy timeout under heavy write contention.
///
/// Times are UTC milliseconds since the Unix epoch, taken from ``Configuration/clock`` unless a call
/// passes `now` (tests use it to move time forward without waiting).
public final class SQLiteJobQueue: Sendable {
    /// The schema version this library writes, kept in the file's `PRAGMA user_version`.
    public static let schemaVersion = 1
    /// The longest queue name or worker id accepted, in UTF-8 bytes.
    public static let maximumNameBytes = 256
    /// The longest error message stored in `last_error`, in UTF-8 bytes; longer ones are cut at a
    /// character boundary and end with `…`.
    public static let maximumErrorBytes = 4096

    /// The database file's path.
    public let path: String
    /// The configuration the queue was opened with.
    public let configuration: Configuration
    private let connection: Lock<SQLiteConnection>

    /// Opens the queue in the database file at `path`, creating the file and its schema when needed.
    ///
    /// Switches the file to write-ahead logging (`PRAGMA journal_mode=WAL`, which persists in the file),
    /// sets `synchronous` and `busy_timeout` on this connection, and creates the `jobs` table under a
    /// write lock, so several processes may open a new file at once.
    ///
    /// - Parameters:
    ///   - path: the database file; its directory must exist.
    ///   - configuration: durability, timeouts, limits and clock.
    /// - Throws: ``SQLiteJobQueueError/Code/sqlite`` when the file cannot be opened or the schema created,
    ///   ``SQLiteJobQueueError/Code/journalMode`` when SQLite will not use WAL for it,
    ///   ``SQLiteJobQueueError/Code/unsupportedSchema`` when the file holds a later schema version,
    ///   ``SQLiteJobQueueError/Code/invalidArgument`` for an empty path, a path holding NUL, or a
    ///   configuration out of range.
    public init(path: String, configuration: Configuration = Configuration()) throws(SQLiteJobQueueError) {
        try Self.validateAttempts(configuration.defaultMaxAttempts, argument: "defaultMaxAttempts")
        guard (0...Int(Int32.max)).contains(configuration.maxPayloadBytes) else {
            throw SQLiteJobQueueError(
                .invalidArgument,
                reason: "maxPayloadBytes: expected 0…\(Int32.max), got \(configuration.maxPayloadBytes)"
            )
        }
        let busyMilliseconds = try Self.milliseconds(
            configuration.busyTimeout,
            argument: "busyTimeout",
            allowZero: true
        )
        guard busyMilliseconds <= Int64(Int32.max) else {
            throw SQLiteJobQueueError(
                .invalidArgument,
                reason: "busyTimeout: expected at most \(Int32.max) ms, got \(busyMilliseconds) ms"
            )
        }
        // A C string ends at the first NUL: such a path would open a different file than the one named.
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw SQLiteJobQueueError(
                .invalidArgument,
                reason: "path: expected a file path without NUL characters, got \(SQLiteConnection.quote(path))"
            )
        }
        let connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: Int32(busyMilliseconds))
        let mode = try Self.switchToWAL(connection, waitingUpTo: busyMilliseconds)
        guard mode == "wal" else {
            throw SQLiteJobQueueError(
                .journalMode,
                reason: "\(SQLiteConnection.quote(path)): SQLite kept journal_mode \(mode), not wal"
            )
        }
        try connection.execute("PRAGMA synchronous = \(configuration.synchronous.name)")
        try Self.migrate(connection, path: path)
        self.path = path
        self.configuration = configuration
        self.connection = Lock(connection)
    }

    // MARK: - Enqueue

    /// Adds a job.
    ///
    /// - Parameters:
    ///   - payload: the bytes a worker will receive, as they are (typically a JSON payload holding an
    ///     `attribution` envelope).
    ///   - queue: the queue's name, 1 to ``maximumNameBytes`` UTF-8 bytes.
    ///   - availableAt: when the job may first be claimed; `nil` for now.
    ///   - maxAttempts: how many claims the job may have in all (first delivery, retries and
    ///     redeliveries after a lease expired); `nil` for ``Configuration/defaultMaxAttempts``.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: the new job's id.
    /// - Throws: ``SQLiteJobQueueError/Code/invalidArgument``, ``SQLiteJobQueueError/Code/payloadTooLarge``,
    ///   or ``SQLiteJobQueueError/Code/sqlite`` when the write fails.
    @discardableResult
    public func enqueue(
        payload: [UInt8],
        queue: String,
        availableAt: UTCTimestamp? = nil,
        maxAttempts: Int? = nil,
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> JobID {
        let request = JobRequest(payload: payload, queue: queue, availableAt: availableAt, maxAttempts: maxAttempts)
        return try enqueue([request], defaultQueue: queue, now: now)[0]
    }

    /// Adds several jobs in one transaction: all of them, or none when one is refused.
    ///
    /// - Parameters:
    ///   - requests: the jobs.
    ///   - defaultQueue: the queue of requests that name none.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: the new jobs' ids, in the order of `requests`.
    /// - Throws: as ``enqueue(payload:queue:availableAt:maxAttempts:now:)``.
    @discardableResult
    public func enqueue(
        _ requests: [JobRequest],
        defaultQueue: String,
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> [JobID] {
        let nowMs = milliseconds(now)
        try Self.validateName(defaultQueue, argument: "queue")
        for request in requests { try validate(request) }
        return try withConnection { db throws(SQLiteJobQueueError) in
            try db.immediateTransaction { () throws(SQLiteJobQueueError) in
                var ids: [JobID] = []
                ids.reserveCapacity(requests.count)
                for request in requests {
                    ids.append(try insert(db, request, defaultQueue: defaultQueue, parent: nil, nowMs: nowMs))
                }
                return ids
            }
        }
    }

    // MARK: - Claim

    /// Claims the oldest job ready on `queue`, or returns `nil` when none is.
    ///
    /// A job is ready when it is `pending` or `failed` (awaiting a retry) and its `available_at` has
    /// passed, or when it is `claimed` but its lease has expired — its worker died, hung or lost its
    /// connection: that is a *redelivery*. Ready jobs are taken in order of the time they became ready
    /// (`available_at`, or `lease_until` for an expired lease), then of id.
    ///
    /// The claim increments the job's `claims`, records `workerID` and sets `lease_until` to
    /// `now + leaseDuration`, all in one `BEGIN IMMEDIATE` transaction. A job is never claimed more than
    /// `max_attempts` times: a ready job that has had all its claims (its last worker died holding it)
    /// goes `dead` instead, and the claim moves on to the next ready job.
    ///
    /// `rewritePayload` runs inside the transaction, before the job is returned, with the job as it will
    /// be returned (its new ``ClaimedJob/claims``, its stored payload). Return new bytes to store and
    /// deliver them, or `nil` to keep the payload. This is where a worker sets the envelope's `attempt`
    /// from `claims`, so a job redelivered after its worker was killed carries a higher attempt, and so
    /// the stored payload already holds it if this worker is killed too. The hook must be quick (it
    /// holds the database's write lock), deterministic, and must not call this queue (it runs under the
    /// queue's lock, which is not reentrant). A hook that throws marks the job `dead` with the error as `last_error` (a payload
    /// that cannot be read will never run), and the claim moves on to the next ready job.
    ///
    /// - Parameters:
    ///   - queue: the queue to claim from.
    ///   - workerID: who claims, 1 to ``maximumNameBytes`` UTF-8 bytes; unique per live worker (a process
    ///     id with a host name and a start time, say), since the lease is checked by it.
    ///   - leaseDuration: how long the job is this worker's; at least one millisecond. Extend it with
    ///     ``extendLease(jobID:workerID:by:now:)`` for long work.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    ///   - rewritePayload: an optional hook that returns the payload to store for this claim.
    /// - Returns: the claimed job, or `nil` when no job is ready.
    /// - Throws: ``SQLiteJobQueueError/Code/invalidArgument``, ``SQLiteJobQueueError/Code/payloadTooLarge``
    ///   when the hook's payload is over the limit (nothing is changed), ``SQLiteJobQueueError/Code/sqlite``.
    public func claim(
        queue: String,
        workerID: String,
        leaseDuration: Duration,
        now: UTCTimestamp? = nil,
        rewritePayload: ((ClaimedJob) throws -> [UInt8]?)? = nil
    ) throws(SQLiteJobQueueError) -> ClaimedJob? {
        try Self.validateName(queue, argument: "queue")
        try Self.validateName(workerID, argument: "workerID")
        let leaseMs = try Self.milliseconds(leaseDuration, argument: "leaseDuration", allowZero: false)
        let nowMs = milliseconds(now)
        let (leaseUntil, overflow) = nowMs.addingReportingOverflow(leaseMs)
        guard !overflow else {
            throw SQLiteJobQueueError(.invalidArgument, reason: "leaseDuration: \(leaseDuration) from now overflows")
        }
        let maxPayloadBytes = configuration.maxPayloadBytes
        return try withConnection { db throws(SQLiteJobQueueError) in
            try db.immediateTransaction { () throws(SQLiteJobQueueError) -> ClaimedJob? in
                while let candidate = try Self.nextReady(db, queue: queue, nowMs: nowMs) {
                    // `claims >= Int32.max` only in a row written by something else: it could not be counted on.
                    if candidate.claims >= candidate.maxAttempts || candidate.claims >= Int64(Int32.max) {
                        let why =
                            candidate.state == .claimed
                            ? "lease of \(candidate.leasedBy.map(SQLiteConnection.quote) ?? "an unknown worker") "
                                + "expired on claim \(candidate.claims) of \(candidate.maxAttempts): attempts exhausted"
                            : "claimed \(candidate.claims) of \(candidate.maxAttempts) times: attempts exhausted"
                        try Self.markDead(db, candidate.id, error: why, nowMs: nowMs)
                        continue
                    }
                    guard candidate.payloadBytes <= maxPayloadBytes else {
                        let why = "payload of \(candidate.payloadBytes) bytes exceeds the limit of \(maxPayloadBytes)"
                        try Self.markDead(db, candidate.id, error: why, nowMs: nowMs)
                        continue
                    }
                    let lastError =
                        candidate.state == .claimed
                        ? "lease of \(candidate.leasedBy.map(SQLiteConnection.quote) ?? "an unknown worker") "
                            + "expired at \(UTCTimestamp(millisecondsSinceEpoch: candidate.readyAt))"
                        : candidate.lastError
                    var job = ClaimedJob(
                        id: candidate.id,
                        queue: queue,
                        payload: try Self.readPayload(db, candidate.id),
                        claims: Int(candidate.claims + 1),
                        maxAttempts: Int(min(candidate.maxAttempts, Int64(Int32.max))),
                        workerID: workerID,
                        leaseUntil: UTCTimestamp(millisecondsSinceEpoch: leaseUntil),
                        isRedelivery: candidate.state == .claimed,
                        parentJobID: candidate.parentJobID,
                        lastError: lastError,
                        createdAt: UTCTimestamp(millisecondsSinceEpoch: candidate.createdAt)
                    )
                    var newPayload: [UInt8]? = nil
                    if let rewritePayload {
                        do {
                            newPayload = try rewritePayload(job)
                        } catch {
                            try Self.markDead(db, candidate.id, error: "payload rewrite failed: \(error)", nowMs: nowMs)
                            continue
                        }
                    }
                    if let newPayload {
                        guard newPayload.count <= maxPayloadBytes else {
                            throw SQLiteJobQueueError(
                                .payloadTooLarge,
                                reason: "rewritePayload returned \(newPayload.count) bytes for job \(job.id), "
                                    + "over the limit of \(maxPayloadBytes)"
                            )
                        }
                        job = job.replacingPayload(newPayload)
                    }
                    let update = try db.prepare(
                        """
                        UPDATE jobs SET state = 'claimed', claims = ?2, leased_by = ?3, lease_until = ?4,
                            last_error = ?5, updated_at = ?6 WHERE id = ?1
                        """
                    )
                    try update.bind(1, candidate.id.rawValue)
                    try update.bind(2, Int64(job.claims))
                    try update.bind(3, workerID)
                    try update.bind(4, leaseUntil)
                    try update.bind(5, lastError)
                    try update.bind(6, nowMs)
                    try update.step()
                    if let newPayload {
                        let store = try db.prepare("UPDATE jobs SET payload = ?2 WHERE id = ?1")
                        try store.bind(1, candidate.id.rawValue)
                        try store.bind(2, blob: newPayload)
                        try store.step()
                    }
                    return job
                }
                return nil
            }
        }
    }

    // MARK: - Complete

    /// Completes a job and enqueues its children in the same transaction.
    ///
    /// Either the job becomes `completed` and every child is enqueued (each with `parent_job_id` set to
    /// this job), or nothing changes: a worker killed mid-call leaves the job claimed with no child, to
    /// be redelivered whole.
    ///
    /// The caller must still hold the lease: the job is `claimed` by `workerID`. A lease that expired
    /// but that no other worker has taken yet still counts (the work is done; nobody else started it).
    ///
    /// - Parameters:
    ///   - jobID: the job.
    ///   - workerID: the worker that claimed it.
    ///   - children: jobs to enqueue (fan-out); a child naming no queue goes on this job's queue.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: the children's ids, in the order given.
    /// - Throws: ``SQLiteJobQueueError/Code/leaseLost`` when another worker has claimed the job since, or
    ///   it is no longer claimed (nothing is changed, no child is enqueued);
    ///   ``SQLiteJobQueueError/Code/jobNotFound``; ``SQLiteJobQueueError/Code/invalidArgument`` or
    ///   ``SQLiteJobQueueError/Code/payloadTooLarge`` for a child; ``SQLiteJobQueueError/Code/sqlite``.
    @discardableResult
    public func complete(
        jobID: JobID,
        workerID: String,
        enqueueChildren children: [JobRequest] = [],
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> [JobID] {
        try complete(jobID: jobID, workerID: workerID, claim: nil, children: children, now: now)
    }

    /// Completes a claimed job and enqueues its children in the same transaction, checking that this very
    /// claim still holds the lease.
    ///
    /// As ``complete(jobID:workerID:enqueueChildren:now:)``, and also refused when the job was claimed
    /// again since `job` was (even by a worker with the same id).
    ///
    /// - Parameters:
    ///   - job: the job as ``claim(queue:workerID:leaseDuration:now:rewritePayload:)`` returned it.
    ///   - children: jobs to enqueue; a child naming no queue goes on this job's queue.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: the children's ids, in the order given.
    /// - Throws: as ``complete(jobID:workerID:enqueueChildren:now:)``.
    @discardableResult
    public func complete(
        _ job: ClaimedJob,
        enqueueChildren children: [JobRequest] = [],
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> [JobID] {
        try complete(jobID: job.id, workerID: job.workerID, claim: job.claims, children: children, now: now)
    }

    private func complete(
        jobID: JobID,
        workerID: String,
        claim: Int?,
        children: [JobRequest],
        now: UTCTimestamp?
    ) throws(SQLiteJobQueueError) -> [JobID] {
        let nowMs = milliseconds(now)
        for child in children { try validate(child) }
        return try withConnection { db throws(SQLiteJobQueueError) in
            try db.immediateTransaction { () throws(SQLiteJobQueueError) -> [JobID] in
                let held = try Self.requireLease(db, jobID, workerID: workerID, claim: claim)
                let update = try db.prepare(
                    "UPDATE jobs SET state = 'completed', lease_until = NULL, updated_at = ?2 WHERE id = ?1"
                )
                try update.bind(1, jobID.rawValue)
                try update.bind(2, nowMs)
                try update.step()
                var ids: [JobID] = []
                ids.reserveCapacity(children.count)
                for child in children {
                    ids.append(try insert(db, child, defaultQueue: held.queue, parent: jobID, nowMs: nowMs))
                }
                return ids
            }
        }
    }

    // MARK: - Fail

    /// Records a failed attempt: schedules a retry at `retryAt`, or marks the job `dead`.
    ///
    /// The job goes `dead` when `retryAt` is `nil` (the caller gives up: a non-retryable error) or when
    /// it has had all its claims (``ClaimedJob/isLastAttempt``). Otherwise it becomes `failed`, claimable
    /// again from `retryAt` on (the retry policy's backoff), with `retryPayload` replacing its payload
    /// when given — the retry middleware's payload: the same envelope with `attempt + 1`.
    ///
    /// - Parameters:
    ///   - jobID: the job.
    ///   - workerID: the worker that claimed it.
    ///   - error: why the attempt failed, stored as `last_error` (cut to ``maximumErrorBytes``).
    ///   - retryAt: when to retry; `nil` to give up.
    ///   - retryPayload: the payload for the retry; `nil` to keep the current one.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: ``JobState/failed`` when a retry is scheduled, ``JobState/dead`` when not.
    /// - Throws: ``SQLiteJobQueueError/Code/leaseLost`` (nothing is changed),
    ///   ``SQLiteJobQueueError/Code/jobNotFound``, ``SQLiteJobQueueError/Code/payloadTooLarge``,
    ///   ``SQLiteJobQueueError/Code/sqlite``.
    @discardableResult
    public func fail(
        jobID: JobID,
        workerID: String,
        error: String,
        retryAt: UTCTimestamp?,
        retryPayload: [UInt8]? = nil,
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> JobState {
        try fail(
            jobID: jobID,
            workerID: workerID,
            claim: nil,
            error: error,
            retryAt: retryAt,
            retryPayload: retryPayload,
            now: now
        )
    }

    /// Records a failed attempt of a claimed job, checking that this very claim still holds the lease.
    ///
    /// As ``fail(jobID:workerID:error:retryAt:retryPayload:now:)``.
    ///
    /// - Parameters:
    ///   - job: the job as ``claim(queue:workerID:leaseDuration:now:rewritePayload:)`` returned it.
    ///   - error: why the attempt failed.
    ///   - retryAt: when to retry; `nil` to give up.
    ///   - retryPayload: the payload for the retry; `nil` to keep the current one.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: ``JobState/failed`` when a retry is scheduled, ``JobState/dead`` when not.
    /// - Throws: as ``fail(jobID:workerID:error:retryAt:retryPayload:now:)``.
    @discardableResult
    public func fail(
        _ job: ClaimedJob,
        error: String,
        retryAt: UTCTimestamp?,
        retryPayload: [UInt8]? = nil,
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> JobState {
        try fail(
            jobID: job.id,
            workerID: job.workerID,
            claim: job.claims,
            error: error,
            retryAt: retryAt,
            retryPayload: retryPayload,
            now: now
        )
    }

    private func fail(
        jobID: JobID,
        workerID: String,
        claim: Int?,
        error: String,
        retryAt: UTCTimestamp?,
        retryPayload: [UInt8]?,
        now: UTCTimestamp?
    ) throws(SQLiteJobQueueError) -> JobState {
        let nowMs = milliseconds(now)
        if let retryPayload { try validatePayload(retryPayload, argument: "retryPayload") }
        let message = Self.truncate(error)
        return try withConnection { db throws(SQLiteJobQueueError) in
            try db.immediateTransaction { () throws(SQLiteJobQueueError) -> JobState in
                let held = try Self.requireLease(db, jobID, workerID: workerID, claim: claim)
                guard let retryAt, held.claims < held.maxAttempts else {
                    try Self.markDead(db, jobID, error: message, nowMs: nowMs)
                    return .dead
                }
                let update = try db.prepare(
                    """
                    UPDATE jobs SET state = 'failed', available_at = ?2, lease_until = NULL, last_error = ?3,
                        updated_at = ?4 WHERE id = ?1
                    """
                )
                try update.bind(1, jobID.rawValue)
                try update.bind(2, retryAt.millisecondsSinceEpoch)
                try update.bind(3, message)
                try update.bind(4, nowMs)
                try update.step()
                if let retryPayload {
                    let store = try db.prepare("UPDATE jobs SET payload = ?2 WHERE id = ?1")
                    try store.bind(1, jobID.rawValue)
                    try store.bind(2, blob: retryPayload)
                    try store.step()
                }
                return .failed
            }
        }
    }

    // MARK: - Leases

    /// Extends a held lease to `now + duration`, for work that outlasts the lease it was claimed with.
    ///
    /// - Parameters:
    ///   - jobID: the job.
    ///   - workerID: the worker that claimed it.
    ///   - duration: the new lease's length from `now`; at least one millisecond.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: the new end of the lease.
    /// - Throws: ``SQLiteJobQueueError/Code/leaseLost`` when another worker has claimed the job since, or
    ///   it is no longer claimed; ``SQLiteJobQueueError/Code/jobNotFound``;
    ///   ``SQLiteJobQueueError/Code/invalidArgument``; ``SQLiteJobQueueError/Code/sqlite``.
    @discardableResult
    public func extendLease(
        jobID: JobID,
        workerID: String,
        by duration: Duration,
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> UTCTimestamp {
        try extendLease(jobID: jobID, workerID: workerID, claim: nil, by: duration, now: now)
    }

    /// Extends the lease of a claimed job, checking that this very claim still holds it.
    ///
    /// - Parameters:
    ///   - job: the job as ``claim(queue:workerID:leaseDuration:now:rewritePayload:)`` returned it.
    ///   - duration: the new lease's length from `now`; at least one millisecond.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: the new end of the lease.
    /// - Throws: as ``extendLease(jobID:workerID:by:now:)``.
    @discardableResult
    public func extendLease(
        _ job: ClaimedJob,
        by duration: Duration,
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> UTCTimestamp {
        try extendLease(jobID: job.id, workerID: job.workerID, claim: job.claims, by: duration, now: now)
    }

    private func extendLease(
        jobID: JobID,
        workerID: String,
        claim: Int?,
        by duration: Duration,
        now: UTCTimestamp?
    ) throws(SQLiteJobQueueError) -> UTCTimestamp {
        let leaseMs = try Self.milliseconds(duration, argument: "duration", allowZero: false)
        let nowMs = milliseconds(now)
        let (leaseUntil, overflow) = nowMs.addingReportingOverflow(leaseMs)
        guard !overflow else {
            throw SQLiteJobQueueError(.invalidArgument, reason: "duration: \(duration) from now overflows")
        }
        return try withConnection { db throws(SQLiteJobQueueError) in
            try db.immediateTransaction { () throws(SQLiteJobQueueError) -> UTCTimestamp in
                _ = try Self.requireLease(db, jobID, workerID: workerID, claim: claim)
                let update = try db.prepare("UPDATE jobs SET lease_until = ?2, updated_at = ?3 WHERE id = ?1")
                try update.bind(1, jobID.rawValue)
                try update.bind(2, leaseUntil)
                try update.bind(3, nowMs)
                try update.step()
                return UTCTimestamp(millisecondsSinceEpoch: leaseUntil)
            }
        }
    }

    // MARK: - Requeue

    /// Puts a `dead` or `failed` job back on its queue: an operator's retry.
    ///
    /// The job keeps its `claims`, so its next claim counts on from the last one: an envelope whose
    /// `attempt` is set from ``ClaimedJob/claims`` records the operator's retry as the next attempt of the
    /// same unit. Pass the retried payload (the retry middleware's: the job's own envelope with
    /// `attempt + 1`, nothing read from the operator's context) as `retryPayload`, or keep the stored one.
    /// `max_attempts` is raised, when needed, so the job may be claimed `additionalAttempts` more times.
    ///
    /// - Parameters:
    ///   - jobID: the job.
    ///   - retryPayload: the payload for the retry; `nil` to keep the current one.
    ///   - additionalAttempts: how many more claims the job may have; at least 1.
    ///   - availableAt: when the job may be claimed; `nil` for now.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Throws: ``SQLiteJobQueueError/Code/invalidState`` when the job is pending, claimed or completed;
    ///   ``SQLiteJobQueueError/Code/jobNotFound``; ``SQLiteJobQueueError/Code/invalidArgument``;
    ///   ``SQLiteJobQueueError/Code/payloadTooLarge``; ``SQLiteJobQueueError/Code/sqlite``.
    public func requeue(
        jobID: JobID,
        retryPayload: [UInt8]? = nil,
        additionalAttempts: Int = 1,
        availableAt: UTCTimestamp? = nil,
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) {
        try Self.validateAttempts(additionalAttempts, argument: "additionalAttempts")
        if let retryPayload { try validatePayload(retryPayload, argument: "retryPayload") }
        let nowMs = milliseconds(now)
        try withConnection { db throws(SQLiteJobQueueError) in
            try db.immediateTransaction { () throws(SQLiteJobQueueError) in
                let read = try db.prepare("SELECT state, claims, max_attempts FROM jobs WHERE id = ?1")
                try read.bind(1, jobID.rawValue)
                guard try read.step() else {
                    throw SQLiteJobQueueError(.jobNotFound, reason: "no job with id \(jobID)")
                }
                let state = read.text(0) ?? ""
                let claims = try Self.count(read.int64(1), field: "claims", job: jobID)
                let maxAttempts = try Self.count(read.int64(2), field: "max_attempts", job: jobID)
                read.reset()
                guard state == JobState.dead.name || state == JobState.failed.name else {
                    throw SQLiteJobQueueError(
                        .invalidState,
                        reason: "job \(jobID) is \(state); only dead or failed jobs can be requeued"
                    )
                }
                let needed = claims + additionalAttempts  // both at most Int32.max: no overflow in Int
                guard needed <= Int(Int32.max) else {
                    throw SQLiteJobQueueError(
                        .invalidArgument,
                        reason: "additionalAttempts: \(claims) claims + \(additionalAttempts) exceeds \(Int32.max)"
                    )
                }
                let update = try db.prepare(
                    """
                    UPDATE jobs SET state = 'failed', available_at = ?2, max_attempts = ?3, lease_until = NULL,
                        updated_at = ?4 WHERE id = ?1
                    """
                )
                try update.bind(1, jobID.rawValue)
                try update.bind(2, availableAt?.millisecondsSinceEpoch ?? nowMs)
                try update.bind(3, Int64(max(maxAttempts, needed)))
                try update.bind(4, nowMs)
                try update.step()
                if let retryPayload {
                    let store = try db.prepare("UPDATE jobs SET payload = ?2 WHERE id = ?1")
                    try store.bind(1, jobID.rawValue)
                    try store.bind(2, blob: retryPayload)
                    try store.step()
                }
            }
        }
    }

    // MARK: - Reading

    /// Counts jobs by state.
    ///
    /// - Parameter queue: the queue to count; `nil` for every queue.
    /// - Returns: the counts.
    /// - Throws: ``SQLiteJobQueueError/Code/sqlite``; ``SQLiteJobQueueError/Code/corruptRow`` for a state
    ///   this library does not know.
    public func stats(queue: String? = nil) throws(SQLiteJobQueueError) -> JobQueueStats {
        try withConnection { db throws(SQLiteJobQueueError) in
            let statement: SQLiteStatement
            if let queue {
                statement = try db.prepare("SELECT state, count(*) FROM jobs WHERE queue = ?1 GROUP BY state")
                try statement.bind(1, queue)
            } else {
                statement = try db.prepare("SELECT state, count(*) FROM jobs GROUP BY state")
            }
            var stats = JobQueueStats()
            while try statement.step() {
                let name = statement.text(0) ?? ""
                let count = Int(statement.int64(1))
                switch JobState(name: name) {
                case .pending?: stats.pending = count
                case .claimed?: stats.claimed = count
                case .completed?: stats.completed = count
                case .failed?: stats.failed = count
                case .dead?: stats.dead = count
                default:
                    throw SQLiteJobQueueError(
                        .corruptRow,
                        reason: "state: unknown state \(SQLiteConnection.quote(name)) on \(count) jobs"
                    )
                }
            }
            return stats
        }
    }

    /// Reads one job.
    ///
    /// - Parameter id: the job's id.
    /// - Returns: the job's row, or `nil` when there is none.
    /// - Throws: ``SQLiteJobQueueError/Code/sqlite``, ``SQLiteJobQueueError/Code/corruptRow``.
    public func job(id: JobID) throws(SQLiteJobQueueError) -> JobRecord? {
        try withConnection { db throws(SQLiteJobQueueError) in
            let statement = try db.prepare("SELECT \(Self.recordColumns) FROM jobs WHERE id = ?1")
            try statement.bind(1, id.rawValue)
            guard try statement.step() else { return nil }
            return try Self.record(statement)
        }
    }

    /// Reads the jobs a job enqueued when it completed, in the order they were enqueued.
    ///
    /// - Parameter parent: the parent job's id.
    /// - Returns: its children's rows.
    /// - Throws: ``SQLiteJobQueueError/Code/sqlite``, ``SQLiteJobQueueError/Code/corruptRow``.
    public func children(of parent: JobID) throws(SQLiteJobQueueError) -> [JobRecord] {
        try withConnection { db throws(SQLiteJobQueueError) in
            let statement = try db.prepare(
                "SELECT \(Self.recordColumns) FROM jobs WHERE parent_job_id = ?1 ORDER BY id"
            )
            try statement.bind(1, parent.rawValue)
            var records: [JobRecord] = []
            while try statement.step() { records.append(try Self.record(statement)) }
            return records
        }
    }

    /// Deletes finished jobs (`completed` and `dead`) last changed before `cutoff`, to keep the file small.
    ///
    /// Ids are never reused, so a child's `parent_job_id` never names another job after its parent is
    /// purged.
    ///
    /// - Parameters:
    ///   - cutoff: jobs finished at or after it are kept.
    ///   - states: the states to purge: ``JobState/completed``, ``JobState/dead`` or both.
    /// - Returns: how many jobs were deleted.
    /// - Throws: ``SQLiteJobQueueError/Code/invalidArgument`` for a state of jobs still to run (nothing is
    ///   deleted); ``SQLiteJobQueueError/Code/sqlite``.
    @discardableResult
    public func purge(
        finishedBefore cutoff: UTCTimestamp,
        states: [JobState] = [.completed, .dead]
    ) throws(SQLiteJobQueueError) -> Int {
        if let unfinished = states.first(where: { $0 != .completed && $0 != .dead }) {
            throw SQLiteJobQueueError(
                .invalidArgument,
                reason: "states: only completed and dead jobs can be purged, got \(unfinished)"
            )
        }
        let names = states.map(\.name)
        return try withConnection { db throws(SQLiteJobQueueError) in
            try db.immediateTransaction { () throws(SQLiteJobQueueError) -> Int in
                var deleted = 0
                for name in Set(names) {
                    let statement = try db.prepare("DELETE FROM jobs WHERE state = ?1 AND updated_at < ?2")
                    try statement.bind(1, name)
                    try statement.bind(2, cutoff.millisecondsSinceEpoch)
                    try statement.step()
                    deleted += Int(db.changes)
                }
                return deleted
            }
        }
    }

    /// The journal mode SQLite reports for the file: `wal` for every queue this library opened.
    ///
    /// - Returns: SQLite's answer to `PRAGMA journal_mode`, lowercased.
    /// - Throws: ``SQLiteJobQueueError/Code/sqlite``.
    public func journalMode() throws(SQLiteJobQueueError) -> String {
        try withConnection { db throws(SQLiteJobQueueError) in try Self.readJournalMode(db, set: nil) }
    }
}

// MARK: - Internals

extension SQLiteJobQueue {
    private struct Candidate {
        var id: JobID
        var state: JobState
        var claims: Int64
        var maxAttempts: Int64
        var readyAt: Int64
        var leasedBy: String?
        var lastError: String?
        var parentJobID: JobID?
        var createdAt: Int64
        var payloadBytes: Int
    }

    private func withConnection<T: Sendable>(
        _ body: (SQLiteConnection) throws(SQLiteJobQueueError) -> T
    ) throws(SQLiteJobQueueError) -> T {
        try connection.withLock { db throws(SQLiteJobQueueError) -> T in
            defer { db.resetAll() }
            return try body(db)
        }
    }

    private func milliseconds(_ now: UTCTimestamp?) -> Int64 {
        (now ?? configuration.clock.now()).millisecondsSinceEpoch
    }

    private static let schema = """
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            payload BLOB NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'completed', 'failed', 'dead')),
            claims INTEGER NOT NULL DEFAULT 0 CHECK (claims >= 0),
            max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
            available_at INTEGER NOT NULL,
            lease_until INTEGER,
            leased_by TEXT,
            last_error TEXT,
            parent_job_id INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX jobs_ready ON jobs (queue, state, available_at, id);
        CREATE INDEX jobs_leases ON jobs (queue, lease_until, id) WHERE state = 'claimed';
        CREATE INDEX jobs_parent ON jobs (parent_job_id) WHERE parent_job_id IS NOT NULL;
        PRAGMA user_version = 1;
        """

    private static func migrate(_ db: SQLiteConnection, path: String) throws(SQLiteJobQueueError) {
        try db.immediateTransaction { () throws(SQLiteJobQueueError) in
            let statement = try db.prepare("PRAGMA user_version")
            try statement.step()
            let version = statement.int64(0)
            statement.reset()
            switch version {
            case 0: try db.execute(schema)
            case Int64(schemaVersion): break
            default:
                throw SQLiteJobQueueError(
                    .unsupportedSchema,
                    reason: "\(SQLiteConnection.quote(path)) holds schema version \(version); "
                        + "this library reads version \(schemaVersion)"
                )
            }
        }
    }

    /// `PRAGMA journal_mode = WAL`, tried again while another connection holds the file's lock, for up to
    /// `milliseconds`: SQLite answers `SQLITE_BUSY` at once, without calling the busy handler, when two
    /// connections switch a new file to WAL at the same moment (two processes started together; measured
    /// here: one of two concurrent openers failed in 15 to 207 of 300 trials).
    /// - Returns: the journal mode SQLite reports afterwards.
    private static func switchToWAL(
        _ db: SQLiteConnection,
        waitingUpTo milliseconds: Int64
    ) throws(SQLiteJobQueueError) -> String {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        var pause = Duration.milliseconds(1)
        while true {
            do {
                return try readJournalMode(db, set: "WAL")
            } catch  where error.code == .busy && ContinuousClock.now + pause < deadline {
                usleep(UInt32(pause / .microseconds(1)))
                pause = min(pause * 2, .milliseconds(50))
            }
        }
    }

    private static func readJournalMode(_ db: SQLiteConnection, set mode: String?) throws(SQLiteJobQueueError) -> String
    {
        let statement = try db.prepare(mode.map { "PRAGMA journal_mode = \($0)" } ?? "PRAGMA journal_mode")
        defer { statement.reset() }
        guard try statement.step() else { return "" }
        return (statement.text(0) ?? "").lowercased()
    }

    private static let candidateColumns =
        "id, state, claims, max_attempts, leased_by, last_error, parent_job_id, created_at, length(payload)"

    /// The next ready job: the earliest of the oldest pending, the oldest failed-and-due and the oldest
    /// expired lease. Three queries, each answered in order by an index, rather than one whose `OR`
    /// would sort every ready row.
    private static func nextReady(
        _ db: SQLiteConnection,
        queue: String,
        nowMs: Int64
    ) throws(SQLiteJobQueueError) -> Candidate? {
        var best: Candidate?
        for state in ["pending", "failed"] {
            let statement = try db.prepare(
                """
                SELECT \(candidateColumns), available_at FROM jobs
                WHERE queue = ?1 AND state = ?2 AND available_at <= ?3 ORDER BY available_at, id LIMIT 1
                """
            )
            try statement.bind(1, queue)
            try statement.bind(2, state)
            try statement.bind(3, nowMs)
            if try statement.step() { best = earlier(best, try candidate(statement)) }
            statement.reset()
        }
        let expired = try db.prepare(
            """
            SELECT \(candidateColumns), lease_until FROM jobs
            WHERE queue = ?1 AND state = 'claimed' AND lease_until <= ?2 ORDER BY lease_until, id LIMIT 1
            """
        )
        try expired.bind(1, queue)
        try expired.bind(2, nowMs)
        if try expired.step() { best = earlier(best, try candidate(expired)) }
        expired.reset()
        return best
    }

    private static func earlier(_ a: Candidate?, _ b: Candidate) -> Candidate {
        guard let a else { return b }
        return (b.readyAt, b.id.rawValue) < (a.readyAt, a.id.rawValue) ? b : a
    }

    private static func candidate(_ statement: SQLiteStatement) throws(SQLiteJobQueueError) -> Candidate {
        let id = JobID(rawValue: statement.int64(0))
        let stateName = statement.text(1) ?? ""
        guard let state = JobState(name: stateName) else {
            throw SQLiteJobQueueError(
                .corruptRow,
                reason: "job \(id): state: unknown state \(SQLiteConnection.quote(stateName))"
            )
        }
        return Candidate(
            id: id,
            state: state,
            claims: statement.int64(2),
            maxAttempts: statement.int64(3),
            readyAt: statement.int64(9),
            leasedBy: statement.text(4),
            lastError: statement.text(5),
            parentJobID: statement.optionalInt64(6).map(JobID.init(rawValue:)),
            createdAt: statement.int64(7),
            payloadBytes: Int(statement.int64(8))
        )
    }

    private static func count(_ value: Int64, field: String, job: JobID) throws(SQLiteJobQueueError) -> Int {
        guard value >= 0, value <= Int64(Int32.max) else {
            throw SQLiteJobQueueError(
                .corruptRow,
                reason: "job \(job): \(field): expected 0…\(Int32.max), got \(value)"
            )
        }
        return Int(value)
    }

    private static func readPayload(_ db: SQLiteConnection, _ id: JobID) throws(SQLiteJobQueueError) -> [UInt8] {
        let statement = try db.prepare("SELECT payload FROM jobs WHERE id = ?1")
        defer { statement.reset() }
        try statement.bind(1, id.rawValue)
        guard try statement.step() else {
            throw SQLiteJobQueueError(.jobNotFound, reason: "no job with id \(id)")
        }
        return statement.blob(0)
    }

    private static func markDead(
        _ db: SQLiteConnection,
        _ id: JobID,
        error: String,
        nowMs: Int64
    ) throws(SQLiteJobQueueError) {
        let statement = try db.prepare(
            "UPDATE jobs SET state = 'dead', lease_until = NULL, last_error = ?2, updated_at = ?3 WHERE id = ?1"
        )
        try statement.bind(1, id.rawValue)
        try statement.bind(2, truncate(error))
        try statement.bind(3, nowMs)
        try statement.step()
    }

    private struct Lease {
        var queue: String
        var claims: Int
        var maxAttempts: Int
    }

    /// Checks, inside a write transaction, that `workerID` (and, when given, this claim) holds the job.
    private static func requireLease(
        _ db: SQLiteConnection,
        _ id: JobID,
        workerID: String,
        claim: Int?
    ) throws(SQLiteJobQueueError) -> Lease {
        let statement = try db.prepare("SELECT state, leased_by, claims, max_attempts, queue FROM jobs WHERE id = ?1")
        defer { statement.reset() }
        try statement.bind(1, id.rawValue)
        guard try statement.step() else {
            throw SQLiteJobQueueError(.jobNotFound, reason: "no job with id \(id)")
        }
        let state = statement.text(0) ?? ""
        let holder = statement.text(1)
        let claims = try count(statement.int64(2), field: "claims", job: id)
        let maxAttempts = try count(statement.int64(3), field: "max_attempts", job: id)
        let worker = SQLiteConnection.quote(workerID)
        guard state == JobState.claimed.name else {
            throw SQLiteJobQueueError(.leaseLost, reason: "job \(id) is \(state), no longer claimed by \(worker)")
        }
        guard holder == workerID else {
            let other = holder.map(SQLiteConnection.quote) ?? "an unknown worker"
            throw SQLiteJobQueueError(
                .leaseLost,
                reason: "job \(id) is claimed by \(other) (claim \(claims)), not by \(worker): its lease expired"
            )
        }
        if let claim, claim != claims {
            throw SQLiteJobQueueError(
                .leaseLost,
                reason: "job \(id) was claimed again (claim \(claims)) after claim \(claim) by \(worker) expired"
            )
        }
        return Lease(queue: statement.text(4) ?? "", claims: claims, maxAttempts: maxAttempts)
    }

    private func insert(
        _ db: SQLiteConnection,
        _ request: JobRequest,
        defaultQueue: String,
        parent: JobID?,
        nowMs: Int64
    ) throws(SQLiteJobQueueError) -> JobID {
        let statement = try db.prepare(
            """
            INSERT INTO jobs (queue, payload, state, claims, max_attempts, available_at, parent_job_id,
                created_at, updated_at)
            VALUES (?1, ?2, 'pending', 0, ?3, ?4, ?5, ?6, ?6)
            """
        )
        try statement.bind(1, request.queue ?? defaultQueue)
        try statement.bind(2, blob: request.payload)
        try statement.bind(3, Int64(request.maxAttempts ?? configuration.defaultMaxAttempts))
        try statement.bind(4, request.availableAt?.millisecondsSinceEpoch ?? nowMs)
        try statement.bind(5, parent?.rawValue)
        try statement.bind(6, nowMs)
        try statement.step()
        return JobID(rawValue: db.lastInsertRowID)
    }

    private func validate(_ request: JobRequest) throws(SQLiteJobQueueError) {
        if let queue = request.queue { try Self.validateName(queue, argument: "queue") }
        if let maxAttempts = request.maxAttempts { try Self.validateAttempts(maxAttempts, argument: "maxAttempts") }
        try validatePayload(request.payload, argument: "payload")
    }

    private func validatePayload(_ payload: [UInt8], argument: String) throws(SQLiteJobQueueError) {
        guard payload.count <= configuration.maxPayloadBytes else {
            throw SQLiteJobQueueError(
                .payloadTooLarge,
                reason: "\(argument): \(payload.count) bytes, over the limit of \(configuration.maxPayloadBytes)"
            )
        }
    }

    private static func validateName(_ name: String, argument: String) throws(SQLiteJobQueueError) {
        let count = name.utf8.count
        guard count >= 1, count <= maximumNameBytes else {
            throw SQLiteJobQueueError(
                .invalidArgument,
                reason: "\(argument): expected 1…\(maximumNameBytes) UTF-8 bytes, got \(count): "
                    + SQLiteConnection.quote(name)
            )
        }
    }

    private static func validateAttempts(_ attempts: Int, argument: String) throws(SQLiteJobQueueError) {
        guard attempts >= 1, attempts <= Int(Int32.max) else {
            throw SQLiteJobQueueError(.invalidArgument, reason: "\(argument): expected 1…\(Int32.max), got \(attempts)")
        }
    }

    /// Whole milliseconds in `duration`, rounded down; refused when negative, zero (unless allowed) or
    /// beyond `Int64` milliseconds.
    static func milliseconds(
        _ duration: Duration,
        argument: String,
        allowZero: Bool
    ) throws(SQLiteJobQueueError) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !overflow, !overflow2, total > 0 || (allowZero && total == 0), duration >= .zero else {
            throw SQLiteJobQueueError(
                .invalidArgument,
                reason: "\(argument): expected \(allowZero ? "at least 0" : "at least 1") ms, got \(duration)"
            )
        }
        return total
    }

    static func truncate(_ message: String) -> String {
        guard message.utf8.count > maximumErrorBytes else { return message }
        var out = ""
        var bytes = 0
        for character in message {
            let size = character.utf8.count
            if bytes + size > maximumErrorBytes - 3 { break }  // room for "…" (3 bytes)
            out.append(character)
            bytes += size
        }
        return out + "…"
    }

    private static let recordColumns = """
        id, queue, payload, state, claims, max_attempts, available_at, lease_until, leased_by, last_error,
        parent_job_id, created_at, updated_at
        """

    private static func record(_ statement: SQLiteStatement) throws(SQLiteJobQueueError) -> JobRecord {
        let id = JobID(rawValue: statement.int64(0))
        let stateName = statement.text(3) ?? ""
        guard let state = JobState(name: stateName) else {
            throw SQLiteJobQueueError(
                .corruptRow,
                reason: "job \(id): state: unknown state \(SQLiteConnection.quote(stateName))"
            )
        }
        return JobRecord(
            id: id,
            queue: statement.text(1) ?? "",
            payload: statement.blob(2),
            state: state,
            claims: try count(statement.int64(4), field: "claims", job: id),
            maxAttempts: try count(statement.int64(5), field: "max_attempts", job: id),
            availableAt: UTCTimestamp(millisecondsSinceEpoch: statement.int64(6)),
            leaseUntil: statement.optionalInt64(7).map(UTCTimestamp.init(millisecondsSinceEpoch:)),
            leasedBy: statement.text(8),
            lastError: statement.text(9),
            parentJobID: statement.optionalInt64(10).map(JobID.init(rawValue:)),
            createdAt: UTCTimestamp(millisecondsSinceEpoch: statement.int64(11)),
            updatedAt: UTCTimestamp(millisecondsSinceEpoch: statement.int64(12))
        )
    }
}

extension ClaimedJob {
    fileprivate func replacingPayload(_ payload: [UInt8]) -> ClaimedJob {
        ClaimedJob(
            id: id,
            queue: queue,
            payload: payload,
            claims: claims,
            maxAttempts: maxAttempts,
            workerID: workerID,
            leaseUntil: leaseUntil,
            isRedelivery: isRedelivery,
            parentJobID: parentJobID,
            lastError: lastError,
            createdAt: createdAt
        )
    }
}
