public import Attribution

/// Where record ids come from. A record id is minted before the call and serves as its idempotency key.
public protocol RecordIDSource: Sendable {
    /// A new, unique record id.
    func nextRecordID() -> String
}

/// Record ids of 32 lowercase hex characters (128 bits) from the system's secure generator.
public struct SystemRecordIDSource: RecordIDSource {
    /// Creates the source.
    public init() {}
    public func nextRecordID() -> String { TraceID.random().description }
}

/// The one place an application wraps its LLM client: refuses unattributed calls before they are sent,
/// writes the attribution into the provider's metadata, reads the usage, prices it, and writes one cost
/// record per call (docs/ledger.md), failed calls included.
///
/// ```swift
/// let meter = CostMeter(sink: ledger)   // strict: fail closed
/// let reply = try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(job)) { request in
///     let reply = try await client.chat(messages, idempotencyKey: request.recordID)
///     return (reply, TokenUsage(input: reply.promptTokens, output: reply.completionTokens))
/// }
/// print(reply.value, reply.record.costUSD ?? "unpriced")
/// ```
///
/// **Attribution is chosen at the call** (``CallAttribution``): `.envelope(job)`, `.current` (the task-local
/// one, by name) or `.unattributed`. An absent envelope never falls back to the task-local one.
///
/// **Strict and lenient.** In ``Mode/strict`` (the default) a call whose chosen envelope is absent or fails the
/// policy is refused before the closure runs, with the core's `AttributionError` (`missing_envelope`, or the
/// policy's `missing_fields` listing every missing field): the same error tagging throws. ``Mode/lenient``, chosen explicitly, makes the call
/// and records it with whatever envelope there is (none, partial, or with its invalid values left out), so a
/// migration can start by measuring; each such call is counted in ``MeterStatistics/unattributed``.
///
/// **Results.** Every call returns the record it wrote with its result (``MeteredResult``,
/// ``MeteredResponse``): record id, tokens, `cost_usd`, status. A call recorded without `cost_usd` is reported
/// to `onIssue` as ``MeteringIssue/Kind/unpriced`` and counted in ``MeterStatistics/unpricedCalls``.
///
/// **Failures.** A closure that throws still produces a record with `status: error` and whatever usage it
/// reported through ``MeteredCallError``; the call's own error is then rethrown. A provider's error response
/// (HTTP status 400 or above, or an error object) to a raw-JSON call is recorded with `status: error` and
/// thrown as ``ProviderCallError``, which says whether a retry may succeed. Metering failures after the
/// call (the sink refusing a record, a response whose usage cannot be read) never lose the caller's result:
/// the result is returned, the failure goes to `onIssue` as a ``MeteringIssue`` (a sink failure carries the
/// unwritten record, to spool or retry) and is counted in ``statistics``.
public struct CostMeter: Sendable {
    /// Whether unattributed calls are refused or recorded. A set that may grow.
    public struct Mode: Sendable, Hashable, CustomStringConvertible {
        /// The stable name.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// Fail closed: refuse before sending when the envelope is missing or fails the policy.
        public static let strict = Mode("strict")
        /// Make the call and record it with whatever attribution there is (for migrations).
        public static let lenient = Mode("lenient")
        public var description: String { name }
    }

    /// Where records go.
    public let sink: any CostSink
    /// Prices each call when it is recorded; a model it lacks gets no `cost_usd`.
    public let prices: PriceTable
    /// The fields a call's envelope must carry, and those it keeps out of provider requests: a field the
    /// policy withholds is written into no request (as ``MetadataPropagation/withheld``) and is not required
    /// of a call's envelope, which may have come through a queue without it. The ledger's records keep it.
    public let policy: AttributionPolicy
    /// Strict (refuse) or lenient (record unattributed).
    public let mode: Mode
    /// What the raw-JSON wrapper writes into request bodies.
    public let propagation: MetadataPropagation
    /// Bounds on request and response bodies.
    public let bodyLimits: UsageExtraction.Limits

    private let recordIDs: any RecordIDSource
    /// Where this meter's trace and leaf ids come from (`tag`). Pass it on to what mints units beside the meter
    /// (`AttributionJobMiddleware(ids:)`, `children(count:ids:)`, `mapChildren(ids:)`), so a test meter made
    /// from a seed makes every id of a run repeatable.
    public let ids: any IdentifierSource
    private let clock: any AttributionClock
    private let onIssue: (@Sendable (MeteringIssue) -> Void)?
    private let counters: MeterCounters

    /// Creates a meter.
    ///
    /// - Parameters:
    ///   - sink: where records go.
    ///   - prices: the price table (the dated built-in defaults unless given).
    ///   - policy: the fields every call's envelope must carry, and those kept out of provider requests.
    ///   - mode: ``Mode/strict`` (default) or ``Mode/lenient``.
    ///   - propagation: what is written into provider request metadata by ``callJSON(adapter:requestBody:model:attribution:apiKeyID:serviceTier:isolation:_:)``;
    ///     by default no user id leaves the process (``MetadataPropagation/UserIDPolicy``).
    ///   - recordIDs: where record ids come from.
    ///   - ids: where ``tag(userID:feature:team:project:taskType:tool:promptVersion:pipeline:priority:agent:tags:pseudonymize:)``
    ///     gets new trace and leaf ids.
    ///   - clock: the source of `started_at`, `ts` and `created_at`.
    ///   - bodyLimits: bounds on request and response bodies.
    ///   - onIssue: called, on the calling task, for each metering failure after a call.
    public init(
        sink: any CostSink,
        prices: PriceTable = .builtIn,
        policy: AttributionPolicy = .default,
        mode: Mode = .strict,
        propagation: MetadataPropagation = .default,
        recordIDs: any RecordIDSource = SystemRecordIDSource(),
        ids: any IdentifierSource = SystemIdentifierSource(),
        clock: any AttributionClock = SystemAttributionClock(),
        bodyLimits: UsageExtraction.Limits = .default,
        onIssue: (@Sendable (MeteringIssue) -> Void)? = nil
    ) {
        self.sink = sink
        self.prices = prices
        self.policy = policy
        self.mode = mode
        self.propagation = propagation
        self.bodyLimits = bodyLimits
        self.recordIDs = recordIDs
        self.ids = ids
        self.clock = clock
        self.onIssue = onIssue
        self.counters = MeterCounters()
    }

    /// The meter's counters so far (shared by every copy of this meter).
    public var statistics: MeterStatistics { counters.snapshot }

    // MARK: - Calls

    /// Meters one model call made by `perform`, which returns its result and the usage it reports.
    ///
    /// Refuses before `perform` runs when the chosen envelope is absent or fails the policy (strict mode). Mints
    /// the record id first and passes it in ``MeteredRequest/recordID`` for use as an idempotency key. After
    /// the call, prices the usage and writes one record; if `perform` throws, writes a `status: error` record
    /// with the usage a ``MeteredCallError`` carries and rethrows the call's own error.
    ///
    /// - Parameters:
    ///   - provider: the provider, as records name it (`openai`, `anthropic`).
    ///   - model: the model, as the provider names it.
    ///   - attribution: the call's attribution: `.envelope(job)`, `.current` or `.unattributed`.
    ///   - apiKeyID: which provider key pays (for reconciliation with the bill).
    ///   - serviceTier: the tier billed, when not `default`.
    ///   - isolation: the actor `perform` runs on; leave it to its default, the caller's.
    ///   - perform: makes the call.
    /// - Returns: `perform`'s result and the record written.
    /// - Throws: `AttributionError` (nothing was sent), ``CostLedgerError/Code/invalidRequest``
    ///   for an empty provider or model, or the error `perform` threw.
    public func call<Result>(
        provider: String,
        model: String,
        attribution: CallAttribution,
        apiKeyID: String? = nil,
        serviceTier: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ perform: (MeteredRequest) async throws -> (Result, TokenUsage)
    ) async throws -> MeteredResult<Result> {
        let prepared = try prepare(provider: provider, model: model, envelope: attribution.resolved)
        let outcome: (Result, TokenUsage)
        do {
            outcome = try await perform(prepared.request)
        } catch let failure as MeteredCallError {
            finish(
                prepared,
                usage: failure.usage ?? TokenUsage(),
                model: failure.model,
                apiKeyID: apiKeyID,
                serviceTier: serviceTier,
                status: .error
            )
            throw failure.underlying
        } catch {
            finish(
                prepared,
                usage: TokenUsage(),
                model: nil,
                apiKeyID: apiKeyID,
                serviceTier: serviceTier,
                status: .error
            )
            throw error
        }
        let record = finish(
            prepared,
            usage: outcome.1,
            model: nil,
            apiKeyID: apiKeyID,
            serviceTier: serviceTier,
            status: .ok
        )
        return MeteredResult(value: outcome.0, record: record)
    }

    /// Meters one model call sent as raw JSON by any HTTP client: writes the attribution into the request
    /// body's metadata (see ``MetadataPropagation``), hands `send` the tagged body, and reads the usage from
    /// the response body it returns (JSON or a server-sent event stream) with `adapter`.
    ///
    /// ```swift
    /// let response = try await meter.callJSON(adapter: .openAIResponses, requestBody: body,
    ///                                         attribution: .envelope(job)) { request in
    ///     let (status, bytes) = try await http.post(url, body: request.body,
    ///                                               headers: ["Idempotency-Key": request.idempotencyKey])
    ///     return ProviderResponse(status: status, body: bytes)
    /// }
    /// print(response.record.costUSD ?? "unpriced", response.record.usage.input)
    /// ```
    ///
    /// A provider error (HTTP status 400 or above, or an error object in the body or stream) is recorded with
    /// `status: error` and the usage the body reports, then thrown as ``ProviderCallError`` carrying the
    /// status, the provider's error type and message, and the record. A stream that ends before its usage is
    /// recorded with `status: error` and returned; a body whose usage cannot be read is recorded with
    /// `status: error`, reported to `onIssue` (``MeteringIssue/Kind/usageUnreadable``) and returned. The
    /// recorded model and service tier are the ones the response reports, when it reports them.
    ///
    /// - Parameters:
    ///   - adapter: the provider API.
    ///   - requestBody: the JSON request body.
    ///   - model: the requested model; read from the body's `model` when nil.
    ///   - attribution: the call's attribution: `.envelope(job)`, `.current` or `.unattributed`.
    ///   - apiKeyID: which provider key pays.
    ///   - serviceTier: the tier billed, when the response does not say.
    ///   - isolation: the actor `send` runs on; leave it to its default, the caller's.
    ///   - send: sends the request and returns the response: its body and, when known, its HTTP status. To
    ///     record usage of a cut stream, throw a ``MeteredCallError`` with the part received.
    /// - Returns: the response body, its HTTP status and the record written.
    /// - Throws: `AttributionError` or ``CostLedgerError/Code/invalidRequest`` before
    ///   anything is sent, ``ProviderCallError`` for a provider's error response, or the error `send` threw.
    public func callJSON(
        adapter: ProviderAdapter,
        requestBody: some Collection<UInt8>,
        model: String? = nil,
        attribution: CallAttribution,
        apiKeyID: String? = nil,
        serviceTier: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ send: (MeteredJSONRequest) async throws -> ProviderResponse
    ) async throws -> MeteredResponse {
        let (prepared, request) = try prepareJSON(
            adapter: adapter,
            requestBody: requestBody,
            model: model,
            envelope: attribution.resolved
        )
        let response: ProviderResponse
        do {
            response = try await send(request)
        } catch let failure as MeteredCallError {
            var usage = failure.usage
            var reported = failure.model
            if usage == nil, let partial = failure.partialBody,
                let read = try? adapter.usage(from: partial, limits: bodyLimits)
            {
                usage = read.tokens
                reported = reported ?? read.model
            }
            finish(
                prepared,
                usage: usage ?? TokenUsage(),
                model: reported,
                apiKeyID: apiKeyID,
                serviceTier: serviceTier,
                status: .error
            )
            throw failure.underlying
        } catch {
            finish(
                prepared,
                usage: TokenUsage(),
                model: nil,
                apiKeyID: apiKeyID,
                serviceTier: serviceTier,
                status: .error
            )
            throw error
        }
        let usage: Swift.Result<ProviderUsage, CostLedgerError>
        do {
            usage = .success(try adapter.usage(from: response.body, limits: bodyLimits))
        } catch {
            usage = .failure(error)
        }
        let record = try complete(
            prepared,
            reading: usage,
            httpStatus: response.status,
            body: response.body,
            apiKeyID: apiKeyID,
            serviceTier: serviceTier
        )
        return MeteredResponse(body: response.body, status: response.status, record: record)
    }

    /// Meters one streamed model call sent as raw JSON, reading the usage from the stream as it passes, in
    /// constant memory: `stream` sends the tagged request and hands every chunk it receives to the
    /// ``StreamUsageRecorder`` while forwarding it wherever it goes.
    ///
    /// ```swift
    /// try await meter.callStreaming(adapter: .anthropicMessages, requestBody: body) { request, recorder in
    ///     for try await chunk in http.stream(url, body: request.body) {
    ///         recorder.consume(chunk)
    ///         try await client.send(chunk)
    ///     }
    /// }
    /// ```
    ///
    /// When `stream` returns, the record carries the stream's final usage (`status: error` when the stream
    /// ended before it). A stream that carried a provider error event, or whose HTTP status (reported with
    /// ``StreamUsageRecorder/record(status:)``) is 400 or above, is recorded with `status: error` and thrown
    /// as ``ProviderCallError``, as in `callJSON`. When `stream` throws, the record carries the usage read so
    /// far with `status: error`, and the error is rethrown.
    ///
    /// - Parameters: as ``callJSON(adapter:requestBody:model:attribution:apiKeyID:serviceTier:isolation:_:)``.
    /// - Returns: `stream`'s result and the record written.
    /// - Throws: `AttributionError` or ``CostLedgerError/Code/invalidRequest`` before
    ///   anything is sent, ``ProviderCallError`` for a provider's error, or the error `stream` threw.
    public func callStreaming<Result>(
        adapter: ProviderAdapter,
        requestBody: some Collection<UInt8>,
        model: String? = nil,
        attribution: CallAttribution,
        apiKeyID: String? = nil,
        serviceTier: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ stream: (MeteredJSONRequest, StreamUsageRecorder) async throws -> Result
    ) async throws -> MeteredResult<Result> {
        let (prepared, request) = try prepareJSON(
            adapter: adapter,
            requestBody: requestBody,
            model: model,
            envelope: attribution.resolved
        )
        let recorder = StreamUsageRecorder(adapter, limits: bodyLimits)
        let result: Result
        do {
            result = try await stream(request, recorder)
        } catch {
            let partial = recorder.finish()
            let usage = (try? partial.get())?.tokens ?? TokenUsage()
            let model = (try? partial.get())?.model
            finish(prepared, usage: usage, model: model, apiKeyID: apiKeyID, serviceTier: serviceTier, status: .error)
            throw (error as? MeteredCallError)?.underlying ?? error
        }
        let record = try complete(
            prepared,
            reading: recorder.finish(),
            httpStatus: recorder.status,
            body: [],
            apiKeyID: apiKeyID,
            serviceTier: serviceTier
        )
        return MeteredResult(value: result, record: record)
    }

    // MARK: - Internals

    struct Prepared {
        var request: MeteredRequest
        var record: CostRecord
    }

    /// Checks attribution, tags the body and prepares the record of a raw-JSON call.
    private func prepareJSON(
        adapter: ProviderAdapter,
        requestBody: some Collection<UInt8>,
        model: String?,
        envelope: AttributionEnvelope?
    ) throws -> (Prepared, MeteredJSONRequest) {
        let requested = envelope
        // Refuse on attribution before looking at the body: a refusal must not depend on the payload.
        try checkAttribution(requested)
        let tagging = try adapter.tag(
            requestBody: requestBody,
            envelope: attributedEnvelope(requested),
            propagation: propagation,
            limits: bodyLimits
        )
        let modelName: String
        if let model {
            modelName = model
        } else if let parsed = try? UsageExtraction.parseObject(tagging.body, limits: bodyLimits, field: "request"),
            let name = parsed["model"]?.stringValue
        {
            modelName = name
        } else {
            throw CostLedgerError(
                .invalidRequest,
                field: "model",
                reason: "not given and not a string in the request body"
            )
        }
        let prepared = try prepare(provider: adapter.provider, model: modelName, envelope: requested)
        return (prepared, MeteredJSONRequest(request: prepared.request, tagging: tagging))
    }

    /// Records a raw-JSON call that returned: its usage as read, or an error record when it could not be read.
    /// Throws ``ProviderCallError``, after recording, when the provider answered with an error.
    private func complete(
        _ prepared: Prepared,
        reading: Swift.Result<ProviderUsage, CostLedgerError>,
        httpStatus: Int?,
        body: [UInt8],
        apiKeyID: String?,
        serviceTier: String?
    ) throws(ProviderCallError) -> CostRecord {
        let read = try? reading.get()
        if let httpStatus, httpStatus >= 400 {
            // The provider refused or failed: its error body, not a usage reading, explains the call. Whatever
            // usage it reports is recorded; an unreadable error body (an HTML 502 page) is not a metering issue.
            throw providerFailure(prepared, read, httpStatus: httpStatus, body: body, apiKeyID, serviceTier)
        }
        if let read, read.providerError != nil {
            throw providerFailure(prepared, read, httpStatus: httpStatus, body: body, apiKeyID, serviceTier)
        }
        switch reading {
        case .success(let usage):
            let failed = !usage.isComplete
            let record = finish(
                prepared,
                usage: usage.tokens,
                model: usage.model,
                apiKeyID: apiKeyID,
                serviceTier: usage.serviceTier ?? serviceTier,
                status: failed ? .error : .ok
            )
            if !usage.isComplete {
                counters.update { $0.usageIncomplete += 1 }
                onIssue?(MeteringIssue(kind: .usageIncomplete, record: record))
            }
            return record
        case .failure(let error):
            counters.update { $0.usageUnreadable += 1 }
            let record = finish(
                prepared,
                usage: TokenUsage(),
                model: nil,
                apiKeyID: apiKeyID,
                serviceTier: serviceTier,
                status: .error
            )
            onIssue?(MeteringIssue(kind: .usageUnreadable, record: record, error: error))
            return record
        }
    }

    /// Records a provider's error response with `status: error` and returns the error to throw.
    private func providerFailure(
        _ prepared: Prepared,
        _ read: ProviderUsage?,
        httpStatus: Int?,
        body: [UInt8],
        _ apiKeyID: String?,
        _ serviceTier: String?
    ) -> ProviderCallError {
        counters.update { $0.providerErrors += 1 }
        let record = finish(
            prepared,
            usage: read?.tokens ?? TokenUsage(),
            model: read?.model,
            apiKeyID: apiKeyID,
            serviceTier: read?.serviceTier ?? serviceTier,
            status: .error
        )
        let (type, message) = Self.errorParts(read?.providerError)
        return ProviderCallError(status: httpStatus, type: type, message: message, body: body, record: record)
    }

    /// Splits an adapter's error description (`type: message`, a type alone, or a message alone) into the
    /// provider's error type and message. Types are identifiers (`overloaded_error`, `rate_limit_exceeded`).
    static func errorParts(_ description: String?) -> (type: String?, message: String?) {
        guard let description, description != "error" else { return (nil, nil) }
        let isIdentifier = { (text: Substring) in
            !text.isEmpty && text.unicodeScalars.allSatisfy { $0 == "_" || $0 == "." || $0.properties.isAlphabetic }
        }
        if let colon = description.firstIndex(of: ":"), isIdentifier(description[..<colon]) {
            let rest = description[description.index(after: colon)...]
            return (String(description[..<colon]), String(rest.drop { $0 == " " }))
        }
        if isIdentifier(description[...]) { return (description, nil) }
        return (nil, description)
    }

    /// Refuses in strict mode when the envelope is missing or fails the policy, with the core's
    /// `AttributionError` (as tagging does), so one `catch let error as AttributionError` takes every refusal.
    private func checkAttribution(_ envelope: AttributionEnvelope?) throws(AttributionError) {
        guard mode == .strict else { return }
        guard let envelope else {
            counters.update { $0.refused += 1 }
            let names = policy.required.map(\.name).joined(separator: ", ")
            throw AttributionError(
                .missingEnvelope,
                reason: "refused before sending: the call's attribution is absent (attribution: .envelope(nil), "
                    + ".unattributed, or .current with none bound)"
                    + (names.isEmpty ? "" : "; required attribution missing: \(names)")
            )
        }
        do {
            try policy.checkReceived(envelope)
        } catch {
            counters.update { $0.refused += 1 }
            throw error
        }
    }

    /// The envelope whose attribution may leave the process: the valid parts of it, less what the policy
    /// withholds.
    private func attributedEnvelope(_ envelope: AttributionEnvelope?) -> AttributionEnvelope? {
        guard let envelope else { return nil }
        if (try? envelope.validate()) != nil { return policy.outbound(envelope) }
        return policy.outbound(Self.sanitized(envelope))
    }

    /// Checks attribution, mints the record id and the start time.
    private func prepare(
        provider: String,
        model: String,
        envelope: AttributionEnvelope?
    ) throws -> Prepared {
        try checkAttribution(envelope)
        if provider.isEmpty { throw CostLedgerError(.invalidRequest, field: "provider", reason: "must not be empty") }
        if model.isEmpty { throw CostLedgerError(.invalidRequest, field: "model", reason: "must not be empty") }
        let recordID = recordIDs.nextRecordID()
        let started = clock.now()
        var record: CostRecord
        var unattributedError: AttributionError?
        if let envelope {
            let valid = Self.sanitized(envelope)
            record = CostRecord(recordID: recordID, timestamp: started, envelope: valid)
            if !(1...AttributionEnvelope.Limits.maxAttempt).contains(envelope.attempt) { record.attempt = nil }
            do {
                try policy.checkReceived(envelope)
            } catch {
                unattributedError = error
            }
        } else {
            record = CostRecord(recordID: recordID, timestamp: started)
            unattributedError = AttributionError(.missingEnvelope, reason: "no attribution envelope")
        }
        record.startedAt = started
        record.provider = provider
        record.model = model
        if let unattributedError {
            counters.update { $0.unattributed += 1 }
            onIssue?(MeteringIssue(kind: .unattributed, record: record, error: unattributedError))
        }
        let request = MeteredRequest(
            recordID: recordID,
            envelope: envelope,
            provider: provider,
            model: model,
            startedAt: started
        )
        return Prepared(request: request, record: record)
    }

    /// Completes, prices and writes the record. Never throws: sink failures go to `onIssue`.
    @discardableResult
    private func finish(
        _ prepared: Prepared,
        usage: TokenUsage,
        model: String?,
        apiKeyID: String?,
        serviceTier: String?,
        status: CostRecord.Status
    ) -> CostRecord {
        var record = prepared.record
        record.timestamp = clock.now()
        if let model, !model.isEmpty { record.model = model }
        record.apiKeyID = apiKeyID
        record.serviceTier = UsageExtraction.normalisedServiceTier(serviceTier)
        record.usage = usage
        record.status = status
        do {
            try usage.validate()
        } catch {
            onIssue?(MeteringIssue(kind: .usageInvalid, record: record, error: error))
        }
        let quote = prices.quote(for: record)
        if let quote {
            record.costUSD = quote.cost
            record.priceSource = quote.priceSource
        }
        counters.update {
            $0.calls += 1
            if status == .error { $0.errorRecords += 1 }
            if quote == nil { $0.unpricedCalls += 1 }
        }
        if quote == nil {
            onIssue?(MeteringIssue(kind: .unpriced, record: record, detail: unpricedReason(record)))
        }
        write(record)
        return record
    }

    /// Why `record` has no price: `model claude-sonnet-4-5 (anthropic): not in the price table`.
    private func unpricedReason(_ record: CostRecord) -> String {
        let model = record.model ?? ""
        let provider = record.provider ?? ""
        let subject = "model \(model) (\(provider))"
        guard prices.matchedModelName(provider: record.provider, model: model) != nil else {
            return subject + ": not in the price table"
        }
        let day = (record.startedAt ?? record.timestamp).description.prefix(10)
        let tier = record.serviceTier ?? "default"
        guard
            prices.price(
                provider: record.provider,
                model: model,
                serviceTier: record.serviceTier,
                inputTokens: record.usage.input,
                on: record.startedAt ?? record.timestamp
            ) != nil
        else {
            return subject + ": no price for service tier \(tier) on \(day)"
        }
        return subject + ": a class of tokens it used has no price, or its usage breaks the ledger's rules"
    }

    /// Writes a record; a failure is counted and reported, never thrown.
    private func write(_ record: CostRecord) {
        do {
            try sink.write(record)
            counters.update { $0.recordsWritten += 1 }
        } catch {
            counters.update { $0.sinkFailures += 1 }
            onIssue?(MeteringIssue(kind: .sinkFailed, record: record, error: error))
        }
    }

    /// Writes a unit record, throwing the sink's error.
    func writeUnit(_ record: CostRecord) throws(CostLedgerError) {
        do {
            try sink.write(record)
        } catch {
            counters.update { $0.sinkFailures += 1 }
            throw error
        }
        counters.update {
            $0.recordsWritten += 1
            $0.unitsAnnounced += 1
        }
    }

    /// Reports a unit record the sink refused, without throwing.
    func reportUnitFailure(_ record: CostRecord, _ error: CostLedgerError) {
        onIssue?(MeteringIssue(kind: .sinkFailed, record: record, error: error))
    }

    var now: UTCTimestamp { clock.now() }
    var identifierSource: any IdentifierSource { ids }
    var clockSource: any AttributionClock { clock }

    /// `envelope` with every value that breaks the format left out, so a lenient record stays a valid
    /// ledger line.
    static func sanitized(_ envelope: AttributionEnvelope) -> AttributionEnvelope {
        var clean = envelope
        for field in AttributionField.all {
            if let value = clean[field], (try? AttributionEnvelope.validateValue(value, field: field.name)) == nil {
                clean[field] = nil
            }
        }
        var tags: [String: String] = [:]
        for key in envelope.tags.keys.sorted() where tags.count < AttributionEnvelope.Limits.maxTags {
            guard let value = envelope.tags[key],
                (try? AttributionEnvelope.validateTagKey(key)) != nil,
                (try? AttributionEnvelope.validateValue(value, field: EnvelopeKey.tags.name)) != nil
            else { continue }
            tags[key] = value
        }
        clean.tags = tags
        return clean
    }
}

/// Receives a streamed response's bytes for ``CostMeter/callStreaming(adapter:requestBody:model:attribution:apiKeyID:serviceTier:isolation:_:)``
/// and reads its usage as they pass.
///
/// Never throws: a malformed event stops the reading (the call is then recorded as unreadable), never the
/// caller's stream.
public final class StreamUsageRecorder: Sendable {
    private let state:
        Lock<
            (
                reader: StreamUsageReader, failure: CostLedgerError?,
                finished: Swift.Result<ProviderUsage, CostLedgerError>?, status: Int?
            )
        >

    /// Creates a recorder for `adapter`'s stream.
    public init(_ adapter: ProviderAdapter, limits: UsageExtraction.Limits = .default) {
        state = Lock((StreamUsageReader(adapter, limits: limits), nil, nil, nil))
    }

    /// Records the response's HTTP status. A status of 400 or above makes the call a provider error: it is
    /// recorded with `status: error` and thrown as ``ProviderCallError`` when the stream closure returns.
    public func record(status: Int) {
        state.withLock { $0.status = status }
    }

    /// The HTTP status given to ``record(status:)``, if any.
    public var status: Int? { state.withLock { $0.status } }

    /// Reads the next bytes of the stream.
    public func consume(_ bytes: some Collection<UInt8>) {
        state.withLock { state in
            guard state.failure == nil, state.finished == nil else { return }
            do throws(CostLedgerError) {
                try state.reader.consume(bytes)
            } catch {
                state.failure = error
            }
        }
    }

    /// The usage read so far (for progress displays); complete once the final usage event has passed.
    public var usage: ProviderUsage? {
        state.withLock { state in try? state.reader.usage }
    }

    /// Ends the stream and returns its usage, or the error that stopped the reading. Later calls return the
    /// same outcome.
    func finish() -> Swift.Result<ProviderUsage, CostLedgerError> {
        state.withLock { state in
            if let finished = state.finished { return finished }
            let outcome: Swift.Result<ProviderUsage, CostLedgerError>
            if let failure = state.failure {
                outcome = .failure(failure)
            } else {
                do throws(CostLedgerError) {
                    outcome = .success(try state.reader.finish())
                } catch {
                    outcome = .failure(error)
                }
            }
            state.finished = outcome
            return outcome
        }
    }
}

/// The meter's counters, shared by copies of a meter.
final class MeterCounters: Sendable {
    private let state = Lock(MeterStatistics())

    var snapshot: MeterStatistics { state.withLock { $0 } }

    func update(_ body: (inout MeterStatistics) -> Void) {
        state.withLock { body(&$0) }
    }
}
