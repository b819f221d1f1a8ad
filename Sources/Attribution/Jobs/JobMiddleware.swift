/// Where a job is in its life when a middleware hook runs.
public struct JobContext: Sendable {
    /// The queue's name for the job type (`summarize-document`).
    public var jobName: String
    /// The queue's own id of the job, when it has one.
    public var jobID: String?
    /// How many times the queue has handed this job to a worker, this delivery included, when the queue
    /// counts it. A redelivery after a worker died (no failure hook ran) shows up here, and sets the
    /// envelope's `attempt`.
    public var deliveryCount: Int?

    /// Creates a context.
    public init(jobName: String, jobID: String? = nil, deliveryCount: Int? = nil) {
        self.jobName = jobName
        self.jobID = jobID
        self.deliveryCount = deliveryCount
    }
}

/// What to do with a job whose perform threw.
public struct FailureDecision: Sendable {
    /// Run it again after `delay` with `payload` (same envelope, `attempt + 1`), or give up when nil.
    public var retry: (payload: [UInt8], delay: Duration)?

    /// Retry with `payload` after `delay`.
    public static func retry(payload: [UInt8], after delay: Duration) -> FailureDecision {
        FailureDecision(retry: (payload, delay))
    }

    /// Give up: the job has failed for good.
    public static let giveUp = FailureDecision(retry: nil)
}

/// Hooks around a job's life, working on its serialized payload so they fit any queue (swift-jobs, Vapor
/// Queues, SQS, a database table).
///
/// The payload is the queue's own bytes: a JSON object whose `attribution` key holds the envelope.
public protocol JobMiddleware: Sendable {
    /// Runs before a payload is enqueued; returns the payload to enqueue, or throws to refuse the job.
    func willEnqueue(_ payload: [UInt8], context: JobContext) throws -> [UInt8]

    /// Runs before a job is performed; returns the envelope the job runs under (nil when the job carries
    /// none and the middleware lets it run).
    func willPerform(_ payload: [UInt8], context: JobContext) throws -> AttributionEnvelope?

    /// Runs when perform threw; decides whether to retry and with which payload.
    func didFail(_ payload: [UInt8], error: any Error, context: JobContext) -> FailureDecision
}
