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

/// What ``CostMeter/callJSON(adapter:requestBody:model:attribution:apiKeyID:serviceTier:isolation:_:)`` hands
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

/// What the closure of ``CostMeter/callJSON(adapter:requestBody:model:attribution:apiKeyID:serviceTier:isolation:_:)``
/// returns: the provider's response body and, when the HTTP client reports it, its HTTP status.
///
/// ```swift
/// let (data, response) = try await URLSession.shared.data(for: urlRequest)
/// return ProviderResponse(status: (response as? HTTPURLResponse)?.statusCode, body: Array(data))
/// ```
public struct ProviderResponse: Sendable, Hashable {
    /// The HTTP status code, when known. A status of 400 or above makes the call a provider error.
    public var status: Int?
    /// The response body as received: one JSON document or a server-sent event stream.
    public var body: [UInt8]

    /// Creates a response with its HTTP status.
    public init(status: Int?, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// Creates a response from its body alone (the HTTP status unknown): a provider error is then recognised
    /// by its body (`{"error": …}`) only.
    public init(body: [UInt8]) {
        self.init(status: nil, body: body)
    }
}

/// What ``CostMeter/callJSON(adapter:requestBody:model:attribution:apiKeyID:serviceTier:isolation:_:)``
/// returns: the response and the record the meter wrote for it.
public struct MeteredResponse: Sendable, Hashable {
    /// The response body, unchanged.
    public var body: [UInt8]
    /// The provider's HTTP status, when the closure reported it.
    public var status: Int?
    /// The record written to the sink (or, when the sink failed, handed to `onIssue`): record id, tokens,
    /// `cost_usd` (nil when unpriced) and `status` (`error` for a stream that ended before its usage or a
    /// body whose usage could not be read).
    public var record: CostRecord

    /// Creates a metered response.
    public init(body: [UInt8], status: Int?, record: CostRecord) {
        self.body = body
        self.status = status
        self.record = record
    }
}

/// What ``CostMeter/call(provider:model:attribution:apiKeyID:serviceTier:isolation:_:)`` and
/// ``CostMeter/callStreaming(adapter:requestBody:model:attribution:apiKeyID:serviceTier:isolation:_:)``
/// return: the closure's result and the record the meter wrote for the call.
public struct MeteredResult<Value> {
    /// What the closure returned.
    public var value: Value
    /// The record written to the sink (or, when the sink failed, handed to `onIssue`).
    public var record: CostRecord

    /// Creates a metered result.
    public init(value: Value, record: CostRecord) {
        self.value = value
        self.record = record
    }
}

extension MeteredResult: Sendable where Value: Sendable {}

/// A provider's error response (HTTP status 400 or above, or an error object in the body or stream), thrown
/// by the raw-JSON wrappers after the call is recorded with `status: error`.
///
/// ```swift
/// do {
///     let response = try await meter.callJSON(adapter: .openAIResponses, requestBody: body,
///                                             attribution: .envelope(job)) { request in … }
/// } catch let error as ProviderCallError where error.isRetryable {
///     // 408, 409, 429, 5xx: retry with the envelope's retry(), after error.record was written
/// }
/// ```
public struct ProviderCallError: RetryClassifiedError, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status, when the closure reported it.
    public var status: Int?
    /// The provider's error type or code (`rate_limit_exceeded`, `overloaded_error`), when the body names one.
    public var type: String?
    /// The provider's message, when the body has one.
    public var message: String?
    /// The response body as received.
    public var body: [UInt8]
    /// The record written for the call, with `status: error` and the usage the response reported.
    public var record: CostRecord

    /// Creates a provider error.
    public init(status: Int?, type: String?, message: String?, body: [UInt8], record: CostRecord) {
        self.status = status
        self.type = type
        self.message = message
        self.body = body
        self.record = record
    }

    /// Whether retrying the same request may succeed: HTTP 408, 409, 429 and 5xx; without a status, the
    /// providers' overload, rate-limit and server error types.
    public var isRetryable: Bool {
        if let status { return [408, 409, 429].contains(status) || (500...599).contains(status) }
        guard let type else { return false }
        return Self.retryableTypes.contains(type)
    }

    private static let retryableTypes: Set<String> = [
        "overloaded_error", "rate_limit_error", "api_error", "server_error", "rate_limit_exceeded",
    ]

    /// `provider error: HTTP 503: overloaded_error: Overloaded (record RECORD_ID)`.
    public var description: String {
        var parts: [String] = []
        if let status { parts.append("HTTP \(status)") }
        if let type { parts.append(type) }
        if let message { parts.append(message) }
        if parts.isEmpty { parts.append("error") }
        return "provider error: " + parts.joined(separator: ": ") + " (record \(record.recordID))"
    }
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
        /// The call was recorded without `cost_usd`: the price table lacks the model, its tier on that day, or
        /// a class of tokens it used. ``MeteringIssue/detail`` names the model and why.
        public static let unpriced = Kind("unpriced")
        public var description: String { name }
    }

    /// What went wrong.
    public var kind: Kind
    /// The record concerned.
    public var record: CostRecord
    /// The error behind the issue, when there is one.
    public var error: (any Error)?
    /// What happened, in words, when there is no error (``Kind/unpriced``:
    /// `model claude-sonnet-4-5 (anthropic): not in the price table`).
    public var detail: String?

    /// Creates an issue.
    public init(kind: Kind, record: CostRecord, error: (any Error)? = nil, detail: String? = nil) {
        self.kind = kind
        self.record = record
        self.error = error
        self.detail = detail
    }

    public var description: String {
        if let error { return "\(kind) (\(record.recordID)): \(error)" }
        if let detail { return "\(kind) (\(record.recordID)): \(detail)" }
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
    /// Calls recorded without `cost_usd` (each also reported to `onIssue` as ``MeteringIssue/Kind/unpriced``).
    public var unpricedCalls: Int = 0
    /// Calls whose response was a provider error (HTTP status 400 or above, or an error object), thrown as
    /// ``ProviderCallError``.
    public var providerErrors: Int = 0

    /// All zero.
    public init() {}
}
