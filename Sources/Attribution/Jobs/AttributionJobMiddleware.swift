/// The job middleware that keeps attribution across a queue: it mints, checks and announces each job's unit
/// at enqueue, refuses untagged jobs, hands each delivery the envelope from the payload (with `attempt` from
/// the queue's delivery count), and makes retried payloads from the original envelope — never from whoever
/// triggered the retry.
///
/// ```swift
/// let middleware = AttributionJobMiddleware(retryPolicy: RetryPolicy(maxAttempts: 5), announcer: meter)
/// // Producer, inside a request tagged with `requestEnvelope`: a child minted, checked and announced.
/// let job = try middleware.prepare(payload: SummarizeJob(documentID: 42), parent: requestEnvelope)
/// let bytes = try JSONEncoder().encode(job)  // {"attribution":{...},"documentID":42}
/// // Worker:
/// let envelope = try middleware.willPerform(delivered, context: context)
/// ```
///
/// There is one safe way to start a job's unit, in three shapes: ``prepare(payload:parent:customize:)`` for a
/// `Codable` payload, ``prepare(_:parent:customize:)`` for a payload held as JSON bytes, and
/// ``jobEnvelope(parent:customize:)`` for a queue whose parameters type holds the envelope itself. Each
/// mints the child, checks the policy (strict mode) and announces the unit in one call.
///
/// The fields ``policy`` withholds (``AttributionPolicy/withholding(_:)``) never reach the queue: each shape
/// announces the job's unit in full, so the ledger keeps them and the audit finds them through lineage, and
/// hands the queue the envelope without them. At enqueue the policy's other required fields are checked
/// (``AttributionPolicy/checkReceived(_:)``): a withheld field is required where a request is tagged, not of an
/// envelope that may have come through a queue.
///
/// The middleware, ``RetryPolicy`` and the fan-out helpers live in this module, `Attribution`, which
/// depends on nothing else: a worker needs one import.
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

    /// Which fields an enqueued job's envelope must carry, and which are kept out of the queue.
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

    /// The envelope of a job `parent` enqueues: a child of `parent` (new leaf, same trace and root,
    /// `attempt` 1) minted now, with `customize`'s overrides, checked against ``policy`` in strict mode, and
    /// announced; returned without the fields ``policy`` withholds. For queues whose job parameters hold the envelope themselves (a swift-jobs `JobParameters`,
    /// a Vapor Queues `Payload`): store the result in their `attribution` property.
    ///
    /// ```swift
    /// let child = try middleware.jobEnvelope(parent: request) { $0.taskType = "summarize" }
    /// try await jobQueue.push(SummarizeDocument(attribution: child, documentID: 42))
    /// ```
    ///
    /// - Parameters:
    ///   - parent: the envelope of the unit that enqueues the job.
    ///   - customize: overrides for the job unit (`task_type`, `tool`).
    /// - Returns: the job's envelope, announced.
    /// - Throws: the policy's ``AttributionError`` (``AttributionError/Code/missingFields``; nothing is
    ///   announced), or the announcer's error.
    public func jobEnvelope(
        parent: AttributionEnvelope,
        customize: (inout AttributionEnvelope) -> Void = { _ in }
    ) throws -> AttributionEnvelope {
        var child = parent.child(ids: ids)
        customize(&child)
        if mode.isStrict { try policy.checkReceived(child) }
        try announcer?.announce(child)
        return policy.outbound(child)
    }

    /// A `Codable` job payload carrying the job's own envelope: ``jobEnvelope(parent:customize:)`` (minted,
    /// checked, announced) beside `payload`'s keys. Encode the result with any encoder, or hand it to a queue
    /// that encodes its payloads; the worker decodes `AttributedPayload<Payload>` or extracts the envelope
    /// from the bytes.
    ///
    /// ```swift
    /// let job = try middleware.prepare(payload: SummarizeJob(documentID: 42), parent: request)
    /// try await queue.enqueue(JSONEncoder().encode(job))
    /// ```
    ///
    /// `Payload` must encode as a keyed container (see ``AttributedPayload``); a payload held as `Data` or
    /// `[UInt8]` goes through ``prepare(_:parent:customize:)`` instead.
    /// - Parameters:
    ///   - payload: the job's own payload.
    ///   - parent: the envelope of the unit that enqueues the job.
    ///   - customize: overrides for the job unit (`task_type`, `tool`).
    /// - Returns: the payload with its envelope.
    /// - Throws: the policy's ``AttributionError``, or the announcer's error.
    public func prepare<Payload: Codable & Sendable>(
        payload: Payload,
        parent: AttributionEnvelope,
        customize: (inout AttributionEnvelope) -> Void = { _ in }
    ) throws -> AttributedPayload<Payload> {
        AttributedPayload(attribution: try jobEnvelope(parent: parent, customize: customize), payload: payload)
    }

    /// Stamps a job payload held as JSON bytes with the job's own envelope: ``jobEnvelope(parent:customize:)``
    /// (minted, checked, announced) embedded under `attribution` without the fields ``policy`` withholds, every
    /// other key left as it was.
    /// - Parameters:
    ///   - payload: the job's JSON object.
    ///   - parent: the envelope of the unit that enqueues the job.
    ///   - customize: overrides for the job unit (`task_type`, `tool`).
    /// - Returns: the payload's bytes with the envelope embedded.
    /// - Throws: the policy's ``AttributionError``, an ``AttributionError`` when `payload` is not a JSON
    ///   object (nothing is announced), or the announcer's error.
    public func prepare(
        _ payload: [UInt8],
        parent: AttributionEnvelope,
        customize: (inout AttributionEnvelope) -> Void = { _ in }
    ) throws -> [UInt8] {
        var child = parent.child(ids: ids)
        customize(&child)
        if mode.isStrict { try policy.checkReceived(child) }
        let stamped = try child.embed(into: payload, policy: policy)
        try announcer?.announce(child)
        return stamped
    }

    public func willEnqueue(_ payload: [UInt8], context: JobContext) throws -> [UInt8] {
        do {
            let envelope = try AttributionEnvelope.extract(from: payload)
            try policy.checkReceived(envelope)
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
