public import Attribution

/// What the call wrapper hands the closure that performs a model call.
public struct MeteredRequest: Sendable, Hashable {
    /// The record's id, minted before the call. Send it as the request's idempotency key (an
    /// `Idempotency-Key` header, say) so a retried HTTP request is billed and recorded once.
    public let recordID: String
    /// The envelope the call is attributed to; nil for an unattributed call in lenient mode.
    public let envelope: AttributionEnvelope?
    /// The provider, as the record names it.
    public let provider: String
    /// The requested model.
    public let model: String
    /// When the request was sent (the record's `started_at`).
    public let startedAt: UTCTimestamp

    /// The idempotency key: the same as ``recordID``.
    public var idempotencyKey: String { recordID }

    /// Creates a request description.
    public init(
        recordID: String,
        envelope: AttributionEnvelope?,
        provider: String,
        model: String,
        startedAt: UTCTimestamp
    ) {
        self.recordID = recordID
        self.envelope = envelope
        self.provider = provider
        self.model = model
        self.startedAt = startedAt
    }
}

/// What ``CostMeter/callJSON(adapter:requestBody:model:envelope:apiKeyID:serviceTier:isolation:_:)`` hands
/// the closure that sends the HTTP request: the tagged body and the idempotency key.
public struct MeteredJSONRequest: Sendable, Hashable {
    /// The call's identity: record id (the idempotency key), envelope, provider, model, start time.
    public let request: MeteredRequest
    /// The request body to send, with the attribution written into the provider's metadata fields.
    public let body: [UInt8]
    /// What was written into the body and what did not fit.
    public let tagging: TaggedRequest

    /// Creates a request description.
    public init(request: MeteredRequest, tagging: TaggedRequest) {
        self.request = request
        self.body = tagging.body
        self.tagging = tagging
    }

    /// The idempotency key (the record id).
    public var idempotencyKey: String { request.recordID }
}

/// Thrown by a metered closure to report what a failed call used before it failed; the wrapper records the
/// usage in a `status: error` record and rethrows ``underlying``, the call's own error.
///
/// ```swift
/// do { … } catch {
///     throw MeteredCallError(usage: TokenUsage(input: promptTokens), underlying: error)
/// }
/// ```
public struct MeteredCallError: Error, CustomStringConvertible {
    /// The usage known when the call failed, in the ledger's convention.
    public var usage: TokenUsage?
    /// The part of a response body received before the failure (a stream cut mid-way); the raw-HTTP wrapper
    /// reads usage from it when ``usage`` is nil.
    public var partialBody: [UInt8]?
    /// The model the provider reported, if known.
    public var model: String?
    /// The call's own error, rethrown by the wrapper.
    public var underlying: any Error

    /// Creates an error carrying known usage.
    public init(usage: TokenUsage, model: String? = nil, underlying: any Error) {
        self.usage = usage
        self.partialBody = nil
        self.model = model
        self.underlying = underlying
    }

    /// Creates an error carrying the part of the response received (for the raw-HTTP wrapper).
    public init(partialBody: [UInt8], underlying: any Error) {
        self.usage = nil
        self.partialBody = partialBody
        self.model = nil
        self.underlying = underlying
    }

    public var description: String { "\(underlying)" }
}

/// Something that went wrong in metering after the call itself was made. The call's result is returned
/// regardless (a metering failure never loses it); the issue goes to the meter's `onIssue` handler and its
/// count to ``CostMeter/statistics``.
public struct MeteringIssue: Sendable, CustomStringConvertible {
    /// What went wrong. A set that may grow.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        /// The stable snake_case name.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// The sink refused or failed to write the record; ``MeteringIssue/record`` holds it, to spool or retry.
        public static let sinkFailed = Kind("sink_failed")
        /// The response could not be read for usage; the record was written with `status: error`.
        public static let usageUnreadable = Kind("usage_unreadable")
        /// The response ended before its final usage (a cut stream, a Chat Completions stream without
        /// `include_usage`); the record was written with `status: error` and the usage known.
        public static let usageIncomplete = Kind("usage_incomplete")
        /// The closure reported usage that breaks the ledger's rules (cached above input, say); it was
        /// written as reported.
        public static let usageInvalid = Kind("usage_invalid")
        /// Lenient mode recorded a call whose envelope was missing or failed the policy.
        public static let unattributed = Kind("unattributed")
        public var description: String { name }
    }

    /// What went wrong.
    public var kind: Kind
    /// The record concerned.
    public var record: CostRecord
    /// The error behind the issue, when there is one.
    public var error: (any Error)?

    /// Creates an issue.
    public init(kind: Kind, record: CostRecord, error: (any Error)? = nil) {
        self.kind = kind
        self.record = record
        self.error = error
    }

    public var description: String {
        if let error { return "\(kind) (\(record.recordID)): \(error)" }
        return "\(kind) (\(record.recordID))"
    }
}

/// Counters of a ``CostMeter``, shared by its copies.
public struct MeterStatistics: Sendable, Hashable {
    /// Calls refused before sending (strict mode: missing or invalid attribution).
    public var refused: Int = 0
    /// Calls made through the meter.
    public var calls: Int = 0
    /// Calls recorded with `status: error`.
    public var errorRecords: Int = 0
    /// Records (calls and units) the sink accepted.
    public var recordsWritten: Int = 0
    /// Records the sink failed to accept.
    public var sinkFailures: Int = 0
    /// Lenient-mode calls recorded without a complete, valid envelope.
    public var unattributed: Int = 0
    /// Responses whose usage could not be read.
    public var usageUnreadable: Int = 0
    /// Responses that ended before their final usage.
    public var usageIncomplete: Int = 0
    /// Unit announcements written.
    public var unitsAnnounced: Int = 0

    /// All zero.
    public init() {}
}
