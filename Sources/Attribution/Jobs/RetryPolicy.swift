/// When to retry a failed unit of work, and how long to wait first.
///
/// Exponential backoff with jitter: the wait before try `n + 1` is
/// `min(maxDelay, initialDelay × multiplier^(n − 1))`, less a random fraction of up to ``jitter`` of it.
/// Whether an error is worth retrying is the ``isRetryable`` predicate's call; the default,
/// ``isRetryableByDefault(_:)``, never retries a refusal (``AttributionError``: another try is refused the same
/// way), asks an error that classifies itself (``RetryClassifiedError``, such as the metering layer's provider
/// errors, where a 400 is final and a 503 is not), and retries anything else.
///
/// ```swift
/// let policy = RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(200), isRetryable: { $0 is TimeoutError })
/// ```
public struct RetryPolicy: Sendable {
    /// The most tries of one unit, the first included.
    public var maxAttempts: Int
    /// The wait before the second try.
    public var initialDelay: Duration
    /// The factor by which each wait grows.
    public var multiplier: Double
    /// The longest wait.
    public var maxDelay: Duration
    /// The largest fraction of a wait taken off at random (0 … 1), so retries of many jobs spread out.
    public var jitter: Double
    /// Whether an error is worth another try.
    public var isRetryable: @Sendable (any Error) -> Bool

    /// Creates a policy.
    public init(
        maxAttempts: Int = 3,
        initialDelay: Duration = .milliseconds(100),
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(30),
        jitter: Double = 0.2,
        isRetryable: @escaping @Sendable (any Error) -> Bool = RetryPolicy.isRetryableByDefault
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = max(1, multiplier)
        self.maxDelay = maxDelay
        self.jitter = min(max(0, jitter), 1)
        self.isRetryable = isRetryable
    }

    /// Never retries.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// The default predicate: `false` for an ``AttributionError`` (a refusal does not change on retry), the
    /// error's own ``RetryClassifiedError/isRetryable`` when it has one, `true` otherwise.
    /// - Parameter error: the error a try failed with.
    /// - Returns: whether another try could succeed.
    public static func isRetryableByDefault(_ error: any Error) -> Bool {
        if error is AttributionError { return false }
        if let classified = error as? any RetryClassifiedError { return classified.isRetryable }
        return true
    }

    /// Whether a unit that failed on try `attempt` with `error` should be tried again.
    public func shouldRetry(attempt: Int, error: any Error) -> Bool {
        attempt < maxAttempts && isRetryable(error)
    }

    /// The wait before the try after `attempt` (so `delay(after: 1)` is the wait before the second try).
    public func delay(after attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let initial = Self.seconds(initialDelay)
        let exponent = Double(max(0, attempt - 1))
        var seconds = initial * pow(multiplier, exponent)
        seconds = min(seconds, Self.seconds(maxDelay))
        if !seconds.isFinite { seconds = Self.seconds(maxDelay) }
        if jitter > 0 { seconds -= seconds * jitter * Double.random(in: 0...1, using: &generator) }
        return .nanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// The wait before the try after `attempt`, with the system's generator.
    public func delay(after attempt: Int) -> Duration {
        var rng = SystemRandomNumberGenerator()
        return delay(after: attempt, using: &rng)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    private func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var i = 0.0
        while i < exponent, result < 1e12 {
            result *= base
            i += 1
        }
        return result
    }
}

/// An error that says whether another try could succeed; ``RetryPolicy``'s default predicate reads it.
///
/// The metering layer's provider errors conform (`isRetryable` for HTTP 408, 409, 429 and 5xx), so a worker's
/// retries skip a request the provider rejected for good.
public protocol RetryClassifiedError: Error {
    /// Whether the same work, tried again unchanged, could succeed.
    var isRetryable: Bool { get }
}
