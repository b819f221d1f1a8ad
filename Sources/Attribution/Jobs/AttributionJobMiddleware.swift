/// The job middleware that keeps attribution across a queue: it refuses untagged jobs at enqueue, hands
/// each delivery the envelope from the payload (with `attempt` from the queue's delivery count), and makes
/// retried payloads from the original envelope — never from whoever triggered the retry.
///
/// ```swift
/// let middleware = AttributionJobMiddleware(retryPolicy: RetryPolicy(maxAttempts: 5), announcer: meter)
/// // Producer, inside a request tagged with `requestEnvelope`:
/// let payload = try middleware.prepare(jobPayload, parent: requestEnvelope)   // a child minted at enqueue
/// let checked = try middleware.willEnqueue(payload, context: JobContext(jobName: "summarize"))
/// // Worker:
/// let envelope = try middleware.willPerform(delivered, context: context)
/// ```
public struct AttributionJobMiddleware: JobMiddleware {
    /// What happens to a job with no envelope, or one the policy refuses. A set that may grow.
    public struct Mode: Sendable, Hashable {
        private let strict: Bool
        private init(strict: Bool) { self.strict = strict }
        /// Refuse the job at enqueue (the default: fail closed).
        public static let strict = Mode(strict: true)
        /// Let it through; its model calls are recorded as unattributed (for migration: measure first).
        public static let lenient = Mode(strict: false)
        /// Whether this is the strict mode.
        public var isStrict: Bool { strict }
    }

    /// Which fields an enqueued job's envelope must carry.
    public var policy: AttributionPolicy
    /// Strict or lenient.
    public var mode: Mode
    /// When a failed job is retried.
    public var retryPolicy: RetryPolicy
    /// Records each job unit's creation (the metering layer's `CostMeter`), when set.
    public var announcer: (any UnitAnnouncer)?
    /// Where new leaf ids come from.
    public var ids: any IdentifierSource

    /// Creates the middleware.
    public init(
        policy: AttributionPolicy = .default,
        mode: Mode = .strict,
        retryPolicy: RetryPolicy = RetryPolicy(),
        announcer: (any UnitAnnouncer)? = nil,
        ids: any IdentifierSource = SystemIdentifierSource()
    ) {
        self.policy = policy
        self.mode = mode
        self.retryPolicy = retryPolicy
        self.announcer = announcer
        self.ids = ids
    }

    /// Stamps a job payload with the job's own envelope: a child of `parent` (the request or job that
    /// enqueues it), minted now, and announces the new unit.
    /// - Parameters:
    ///   - payload: the job's JSON object.
    ///   - parent: the envelope of the unit that enqueues the job.
    ///   - customize: overrides for the job unit (`task_type`, `tool`).
    public func prepare(
        _ payload: [UInt8],
        parent: AttributionEnvelope,
        customize: (inout AttributionEnvelope) -> Void = { _ in }
    ) throws -> [UInt8] {
        var child = parent.child(ids: ids)
        customize(&child)
        try policy.check(child)
        let stamped = try child.embed(into: payload)
        try announcer?.announce(child)
        return stamped
    }

    public func willEnqueue(_ payload: [UInt8], context: JobContext) throws -> [UInt8] {
        do {
            let envelope = try AttributionEnvelope.extract(from: payload)
            try policy.check(envelope)
        } catch {
            if mode.isStrict { throw error }
        }
        return payload
    }

    public func willPerform(_ payload: [UInt8], context: JobContext) throws -> AttributionEnvelope? {
        let envelope: AttributionEnvelope
        do {
            envelope = try AttributionEnvelope.extract(from: payload)
        } catch {
            if !mode.isStrict, error.code == .missingEnvelope { return nil }
            throw error
        }
        return Self.delivered(envelope, deliveryCount: context.deliveryCount)
    }

    public func didFail(_ payload: [UInt8], error: any Error, context: JobContext) -> FailureDecision {
        guard let envelope = try? AttributionEnvelope.extract(from: payload) else {
            return .giveUp
        }
        let current = Self.delivered(envelope, deliveryCount: context.deliveryCount)
        guard retryPolicy.shouldRetry(attempt: current.attempt, error: error),
            let retried = try? current.retried().embed(into: payload)
        else { return .giveUp }
        return .retry(payload: retried, after: retryPolicy.delay(after: current.attempt))
    }

    /// The envelope of a delivery: the payload's, with `attempt` raised to the queue's delivery count (a
    /// redelivery after a worker died ran no failure hook, so only the queue knows it is another try).
    static func delivered(_ envelope: AttributionEnvelope, deliveryCount: Int?) -> AttributionEnvelope {
        guard let count = deliveryCount, count > envelope.attempt else { return envelope }
        var next = envelope
        next.attempt = min(count, AttributionEnvelope.Limits.maxAttempt)
        return next
    }
}
