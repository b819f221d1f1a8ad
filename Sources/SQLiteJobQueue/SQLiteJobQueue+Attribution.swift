public import Attribution

extension SQLiteJobQueue {
    /// A `rewritePayload` hook for JSON payloads carrying an `attribution` envelope: raises the envelope's
    /// `attempt` to the job's claim count, changing nothing else.
    ///
    /// A worker killed while it held a job runs no failure hook, so the stored envelope still names the
    /// killed attempt. On redelivery the queue's ``ClaimedJob/claims`` is one higher; this hook writes it
    /// into the envelope (and the stored payload), so the redelivered unit records a higher `attempt` with
    /// the same `trace_id`, `leaf_id` and attribution. On a first delivery, or a retry whose payload the
    /// retry middleware already moved to `attempt + 1`, the envelope's attempt is not below `claims` and the
    /// payload is delivered as it is.
    ///
    /// ```swift
    /// let job = try queue.claim(
    ///     queue: "summarize",
    ///     workerID: workerID,
    ///     leaseDuration: .seconds(30),
    ///     rewritePayload: SQLiteJobQueue.raiseEnvelopeAttemptToClaims
    /// )
    /// ```
    ///
    /// Only the envelope's bytes change; the rest of the payload is copied byte for byte (see
    /// `AttributionEnvelope.embed(into:)`).
    ///
    /// - Parameter job: the job being claimed.
    /// - Returns: the payload with the raised attempt, or `nil` to deliver it unchanged: when the attempt
    ///   is already at least `claims`, or when the payload holds no `attribution` key (an unattributed job
    ///   runs as it is; the attribution policy decides what becomes of it).
    /// - Throws: `AttributionError` when the payload is not a JSON object or its envelope is invalid: the
    ///   claim then marks the job `dead` with the error, since no delivery could read it.
    public static func raiseEnvelopeAttemptToClaims(_ job: ClaimedJob) throws(AttributionError) -> [UInt8]? {
        var envelope: AttributionEnvelope
        do {
            envelope = try AttributionEnvelope.extract(from: job.payload)
        } catch  where error.code == .missingEnvelope {
            return nil
        }
        guard envelope.attempt < job.claims else { return nil }
        envelope.attempt = job.claims
        return try envelope.embed(into: job.payload)
    }
}
