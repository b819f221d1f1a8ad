public import Attribution

/// A job to enqueue: its payload and where and when it runs.
///
/// Used for the children that ``SQLiteJobQueue/complete(jobID:workerID:enqueueChildren:now:)`` enqueues in
/// the same transaction that completes their parent.
public struct JobRequest: Sendable, Hashable {
    /// The opaque bytes a worker receives (typically a JSON payload holding an `attribution` envelope).
    public var payload: [UInt8]
    /// The queue to enqueue on; `nil` means the parent's queue.
    public var queue: String?
    /// When the job may first be claimed; `nil` means at once.
    public var availableAt: UTCTimestamp?
    /// How many claims the job may have; `nil` means the queue's ``SQLiteJobQueue/Configuration/defaultMaxAttempts``.
    public var maxAttempts: Int?

    /// Describes a job.
    /// - Parameters:
    ///   - payload: the bytes a worker receives.
    ///   - queue: the queue to enqueue on; `nil` for the parent's.
    ///   - availableAt: when the job may first be claimed; `nil` for at once.
    ///   - maxAttempts: how many claims the job may have; `nil` for the queue's default.
    public init(payload: [UInt8], queue: String? = nil, availableAt: UTCTimestamp? = nil, maxAttempts: Int? = nil) {
        self.payload = payload
        self.queue = queue
        self.availableAt = availableAt
        self.maxAttempts = maxAttempts
    }
}

/// A job a worker holds under a lease, as ``SQLiteJobQueue/claim(queue:workerID:leaseDuration:now:rewritePayload:)``
/// returns it.
///
/// ``claims`` is the queue's own count of how many times the job has been claimed, this claim included. It
/// is the attempt number: a job whose worker was killed is redelivered with `claims` one higher, although
/// no failure hook ran. Set the envelope's `attempt` from it (the `rewritePayload` hook of `claim` is the
/// place), so a redelivered job records a higher attempt.
public struct ClaimedJob: Sendable, Hashable {
    /// The job's id.
    public let id: JobID
    /// The queue it was claimed from.
    public let queue: String
    /// The payload, after the claim's `rewritePayload` hook when one was given.
    public let payload: [UInt8]
    /// How many times the job has been claimed, this claim included (1 on first delivery).
    public let claims: Int
    /// How many claims the job may have in all.
    public let maxAttempts: Int
    /// The worker holding the lease.
    public let workerID: String
    /// When the lease ends unless extended: after it, another worker may claim the job.
    public let leaseUntil: UTCTimestamp
    /// Whether this claim took the job from a worker whose lease expired (the worker died or hung).
    public let isRedelivery: Bool
    /// The job that enqueued this one as a child, if any.
    public let parentJobID: JobID?
    /// Why the previous attempt ended: a failure's message or an expired lease. `nil` on first delivery.
    public let lastError: String?
    /// When the job was enqueued.
    public let createdAt: UTCTimestamp

    /// Whether this is the last claim the job may have: if it fails, the job goes dead.
    public var isLastAttempt: Bool { claims >= maxAttempts }
}

/// A snapshot of one row of the `jobs` table, as ``SQLiteJobQueue/job(id:)`` reads it.
public struct JobRecord: Sendable, Hashable {
    /// The job's id.
    public let id: JobID
    /// The queue it belongs to.
    public let queue: String
    /// Its current payload (a retry may have replaced the original).
    public let payload: [UInt8]
    /// Its state.
    public let state: JobState
    /// How many times it has been claimed.
    public let claims: Int
    /// How many claims it may have in all.
    public let maxAttempts: Int
    /// When it may next be claimed, if pending or failed.
    public let availableAt: UTCTimestamp
    /// When the current lease ends, if claimed.
    public let leaseUntil: UTCTimestamp?
    /// The worker holding (or that last held) the lease, if claimed.
    public let leasedBy: String?
    /// Why the last attempt ended, when it did not complete.
    public let lastError: String?
    /// The job that enqueued this one as a child, if any.
    public let parentJobID: JobID?
    /// When it was enqueued.
    public let createdAt: UTCTimestamp
    /// When its row last changed.
    public let updatedAt: UTCTimestamp
}

/// How many jobs are in each state, as ``SQLiteJobQueue/stats(queue:)`` counts them.
public struct JobQueueStats: Sendable, Hashable, CustomStringConvertible {
    /// Jobs waiting for their first claim.
    public var pending: Int
    /// Jobs held by a worker (including those whose lease expired and await redelivery).
    public var claimed: Int
    /// Jobs done.
    public var completed: Int
    /// Jobs waiting for a scheduled retry.
    public var failed: Int
    /// Jobs given up on.
    public var dead: Int

    /// Creates counts.
    public init(pending: Int = 0, claimed: Int = 0, completed: Int = 0, failed: Int = 0, dead: Int = 0) {
        self.pending = pending
        self.claimed = claimed
        self.completed = completed
        self.failed = failed
        self.dead = dead
    }

    /// Every job counted.
    public var total: Int { pending + claimed + completed + failed + dead }

    /// Whether no job is left to run: none pending, claimed or awaiting a retry.
    public var isDrained: Bool { pending == 0 && claimed == 0 && failed == 0 }

    /// The count of one state.
    /// - Parameter state: the state to count.
    public subscript(state: JobState) -> Int {
        switch state {
        case .pending: pending
        case .claimed: claimed
        case .completed: completed
        case .failed: failed
        case .dead: dead
        default: 0
        }
    }

    public var description: String {
        "pending \(pending), claimed \(claimed), failed \(failed), completed \(completed), dead \(dead)"
    }
}
