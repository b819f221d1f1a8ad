extension SQLiteJobQueue {
    /// Waits until no job is left to run — none pending, claimed or awaiting a retry — polling
    /// ``stats(queue:)``.
    ///
    /// Meant for tests and examples that start workers (threads or processes) and wait for them to
    /// finish. A job held by a dead worker keeps the queue undrained until a live worker redelivers and
    /// finishes it; a `dead` job counts as finished.
    ///
    /// The timeout is measured on the continuous clock, not ``Configuration/clock``: it bounds real
    /// waiting.
    ///
    /// - Parameters:
    ///   - queue: the queue to watch; `nil` for every queue.
    ///   - timeout: how long to wait at most.
    ///   - pollInterval: how long to sleep between polls.
    /// - Returns: the counts once drained.
    /// - Throws: ``SQLiteJobQueueError/Code/timedOut`` (its reason gives the last counts) when the queue
    ///   is still busy after `timeout`; ``SQLiteJobQueueError/Code/sqlite``; `CancellationError` when the
    ///   task is cancelled.
    @discardableResult
    public func waitUntilDrained(
        queue: String? = nil,
        timeout: Duration,
        pollInterval: Duration = .milliseconds(20)
    ) async throws -> JobQueueStats {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let stats = try stats(queue: queue)
            if stats.isDrained { return stats }
            guard clock.now < deadline else {
                throw SQLiteJobQueueError(
                    .timedOut,
                    reason: "\(queue.map { "queue \(SQLiteConnection.quote($0))" } ?? "the queue") "
                        + "not drained after \(timeout): \(stats)"
                )
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}
