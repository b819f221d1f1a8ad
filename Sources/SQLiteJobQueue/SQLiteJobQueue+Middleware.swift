public import Attribution

extension ClaimedJob {
    /// The context a `JobMiddleware` hook receives for this delivery: the queue as the job's name, the
    /// job's id, and ``claims`` as the delivery count — so a redelivery after a killed worker reaches the
    /// middleware as another attempt.
    public var jobContext: JobContext {
        JobContext(jobName: queue, jobID: id.description, deliveryCount: claims)
    }
}

extension SQLiteJobQueue {
    /// Enqueues a payload after the middleware's `JobMiddleware.willEnqueue(_:context:)` accepted it.
    ///
    /// With `AttributionJobMiddleware` in strict mode, a payload without a valid envelope is refused here
    /// and nothing is enqueued.
    ///
    /// - Parameters:
    ///   - payload: the job's payload.
    ///   - queue: the queue's name; also the context's job name.
    ///   - middleware: the middleware that checks (and may rewrite) the payload.
    ///   - availableAt: when the job may first be claimed; `nil` for now.
    ///   - maxAttempts: how many claims the job may have; `nil` for ``Configuration/defaultMaxAttempts``.
    ///     Keep it equal to the retry policy's `maxAttempts`, so the queue and the policy give up together.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: the new job's id.
    /// - Throws: the middleware's error, or the queue's as in
    ///   ``enqueue(payload:queue:availableAt:maxAttempts:now:)``.
    @discardableResult
    public func enqueue(
        payload: [UInt8],
        queue: String,
        middleware: some JobMiddleware,
        availableAt: UTCTimestamp? = nil,
        maxAttempts: Int? = nil,
        now: UTCTimestamp? = nil
    ) throws -> JobID {
        let checked = try middleware.willEnqueue(payload, context: JobContext(jobName: queue))
        return try enqueue(payload: checked, queue: queue, availableAt: availableAt, maxAttempts: maxAttempts, now: now)
    }

    /// Records a failed attempt as the middleware's `JobMiddleware.didFail(_:error:context:)` decides:
    /// a retry of its retried payload after its delay, or giving up.
    ///
    /// With `AttributionJobMiddleware` the retried payload is the job's own envelope with `attempt + 1`
    /// (never read from the ambient context), delayed by the retry policy's backoff. The job still goes
    /// `dead` when it has had all the claims the queue allows.
    ///
    /// - Parameters:
    ///   - job: the job as ``claim(queue:workerID:leaseDuration:now:rewritePayload:)`` returned it.
    ///   - error: why the attempt failed; its description is stored as `last_error`.
    ///   - middleware: the middleware that decides.
    ///   - now: the current time; `nil` to ask ``Configuration/clock``.
    /// - Returns: ``JobState/failed`` when a retry is scheduled, ``JobState/dead`` when not.
    /// - Throws: as ``fail(_:error:retryAt:retryPayload:now:)``, and
    ///   ``SQLiteJobQueueError/Code/invalidArgument`` for a delay that overflows the clock.
    @discardableResult
    public func fail(
        _ job: ClaimedJob,
        error: any Error,
        middleware: some JobMiddleware,
        now: UTCTimestamp? = nil
    ) throws(SQLiteJobQueueError) -> JobState {
        let now = now ?? configuration.clock.now()
        let decision = middleware.didFail(job.payload, error: error, context: job.jobContext)
        guard let retry = decision.retry else {
            return try fail(job, error: "\(error)", retryAt: nil, now: now)
        }
        let delay = try Self.milliseconds(retry.delay, argument: "delay", allowZero: true)
        let (retryAt, overflow) = now.millisecondsSinceEpoch.addingReportingOverflow(delay)
        guard !overflow else {
            throw SQLiteJobQueueError(.invalidArgument, reason: "delay: \(retry.delay) from now overflows")
        }
        return try fail(
            job,
            error: "\(error)",
            retryAt: UTCTimestamp(millisecondsSinceEpoch: retryAt),
            retryPayload: retry.payload,
            now: now
        )
    }
}
