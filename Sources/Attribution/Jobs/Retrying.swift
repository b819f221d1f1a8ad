extension AttributionEnvelope {
    /// Runs `operation` until it succeeds or `policy` gives up, without a queue: each try runs with the
    /// envelope of that try (`attempt` 1, 2, …) bound as ``current`` and passed in.
    ///
    /// The envelope of every try is derived from this one with ``retried()``; nothing is read from the
    /// ambient context, so code that triggers the retry under another user's envelope cannot change who the
    /// work was for.
    ///
    /// ```swift
    /// let summary = try await envelope.withRetries(policy: .init(maxAttempts: 3)) { tryEnvelope in
    ///     try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(tryEnvelope)) { ... }
    /// }
    /// ```
    /// The full call:
    ///
    /// ```swift
    /// func withRetries<Result>(
    ///     policy: RetryPolicy,
    ///     sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
    ///     isolation: isolated (any Actor)? = #isolation,
    ///     operation: (AttributionEnvelope) async throws -> Result
    /// ) async throws -> Result
    /// ```
    ///
    /// Every try runs isolated to `isolation` (by default the caller's actor, `@MainActor` included), so
    /// `operation` need not be `Sendable` and may touch the actor's state.
    /// - Parameters:
    ///   - policy: when to retry and how long to wait.
    ///   - sleep: how to wait (tests pass one that returns at once).
    ///   - isolation: the actor the tries run on; leave it to its default, the caller's.
    ///   - operation: one try, given that try's envelope.
    /// - Returns: the first successful try's result.
    /// - Throws: the last try's error once the policy gives up, or what `sleep` throws (cancellation).
    public func withRetries<Result>(
        policy: RetryPolicy,
        sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        isolation: isolated (any Actor)? = #isolation,
        operation: (AttributionEnvelope) async throws -> Result
    ) async throws -> Result {
        var envelope = self
        while true {
            do {
                let current = envelope
                return try await AttributionEnvelope.withAttribution(current, isolation: isolation) {
                    try await operation(current)
                }
            } catch {
                guard policy.shouldRetry(attempt: envelope.attempt, error: error) else { throw error }
                try await sleep(policy.delay(after: envelope.attempt))
                envelope = envelope.retried()
            }
        }
    }
}
