public import Attribution

/// One line of the cost ledger (docs/ledger.md): a model call with its tokens, price and attribution, or a
/// unit's creation (lineage and attribution, no tokens).
///
/// `input_tokens` includes cached and cache-write tokens; `output_tokens` includes reasoning tokens.
public struct CostRecord: Sendable, Hashable {
    /// What a record describes. A set that may grow.
    public struct Kind: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The wire name.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// A model call (the default).
        public static let call = Kind("call")
        /// A unit's creation: lineage and attribution, no tokens.
        public static let unit = Kind("unit")
        /// Every kind this version knows.
        public static let allCases: [Kind] = [.call, .unit]
        /// The kind with this wire name, if this version knows it.
        public init?(name: String) {
            switch name {
            case "call": self = .call
            case "unit": self = .unit
            default: return nil
            }
        }
        public var description: String { name }
    }

    /// How a call ended. A set that may grow.
    public struct Status: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The wire name.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// The call succeeded (the default).
        public static let ok = Status("ok")
        /// The call failed; it may still have cost.
        public static let error = Status("error")
        /// Every status this version knows.
        public static let allCases: [Status] = [.ok, .error]
        /// The status with this wire name, if this version knows it.
        public init?(name: String) {
            switch name {
            case "ok": self = .ok
            case "error": self = .error
            default: return nil
            }
        }
        public var description: String { name }
    }

    /// Unique per model call: the idempotency key. A unit record's id is `unit:` + its leaf id.
    public var recordID: String
    /// Call or unit.
    public var kind: Kind
    /// When the call completed.
    public var timestamp: UTCTimestamp
    /// When the request was sent.
    public var startedAt: UTCTimestamp?
    /// The provider, as it names itself (`openai`, `anthropic`).
    public var provider: String?
    /// The model, as the provider names it.
    public var model: String?
    /// Which provider key paid.
    public var apiKeyID: String?
    /// The service tier as billed; nil means `default`.
    public var serviceTier: String?
    /// Token counts as billed.
    public var usage: TokenUsage
    /// The cost computed when written; nil when the model had no price.
    public var costUSD: Money?
    /// Which price table priced it.
    public var priceSource: String?
    /// How the call ended.
    public var status: Status

    /// The trace, when the record carries an envelope.
    public var traceID: TraceID?
    /// The unit that made the call.
    public var leafID: LeafID?
    /// The unit's parent.
    public var parentID: LeafID?
    /// The trace's root unit.
    public var rootID: LeafID?
    /// Which try of the unit.
    public var attempt: Int?
    /// Business attribution, by field; a missing field means unknown.
    public var attribution: [AttributionField: String]
    /// Other tags.
    public var tags: [String: String]

    /// Creates a record.
    public init(
        recordID: String,
        kind: Kind = .call,
        timestamp: UTCTimestamp,
        startedAt: UTCTimestamp? = nil,
        provider: String? = nil,
        model: String? = nil,
        apiKeyID: String? = nil,
        serviceTier: String? = nil,
        usage: TokenUsage = TokenUsage(),
        costUSD: Money? = nil,
        priceSource: String? = nil,
        status: Status = .ok,
        traceID: TraceID? = nil,
        leafID: LeafID? = nil,
        parentID: LeafID? = nil,
        rootID: LeafID? = nil,
        attempt: Int? = nil,
        attribution: [AttributionField: String] = [:],
        tags: [String: String] = [:]
    ) {
        self.recordID = recordID
        self.kind = kind
        self.timestamp = timestamp
        self.startedAt = startedAt
        self.provider = provider
        self.model = model
        self.apiKeyID = apiKeyID
        self.serviceTier = serviceTier
        self.usage = usage
        self.costUSD = costUSD
        self.priceSource = priceSource
        self.status = status
        self.traceID = traceID
        self.leafID = leafID
        self.parentID = parentID
        self.rootID = rootID
        self.attempt = attempt
        self.attribution = attribution
        self.tags = tags
    }

    /// A record carrying `envelope`'s lineage and attribution.
    public init(recordID: String, kind: Kind = .call, timestamp: UTCTimestamp, envelope: AttributionEnvelope) {
        var attribution: [AttributionField: String] = [:]
        for field in AttributionField.all {
            if let value = envelope[field] { attribution[field] = value }
        }
        self.init(
            recordID: recordID,
            kind: kind,
            timestamp: timestamp,
            traceID: envelope.traceID,
            leafID: envelope.leafID,
            parentID: envelope.parentID,
            rootID: envelope.rootID,
            attempt: envelope.attempt,
            attribution: attribution,
            tags: envelope.tags
        )
    }
}

/// Token counts of one call, as billed, in the ledger's convention: ``input`` includes cached and cache-write
/// tokens, ``output`` includes reasoning tokens.
public struct TokenUsage: Sendable, Hashable {
    /// All input tokens, cached and cache-write included.
    public var input: Int64
    /// All output tokens, reasoning included.
    public var output: Int64
    /// Input tokens read from the prompt cache.
    public var cachedInput: Int64
    /// Input tokens written to the cache for 5 minutes (or an unspecified time).
    public var cacheWrite: Int64
    /// Input tokens written to the cache for 1 hour.
    public var cacheWrite1h: Int64
    /// Output tokens spent on reasoning.
    public var reasoning: Int64

    /// Creates usage; every count defaults to zero.
    public init(
        input: Int64 = 0,
        output: Int64 = 0,
        cachedInput: Int64 = 0,
        cacheWrite: Int64 = 0,
        cacheWrite1h: Int64 = 0,
        reasoning: Int64 = 0
    ) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.reasoning = reasoning
    }

    /// Input tokens billed at the plain input price: input less cached and cache writes.
    public var uncachedInput: Int64 { input - cachedInput - cacheWrite - cacheWrite1h }

    /// Sum of every class, for counting unpriced tokens.
    public var total: Int64 { input &+ output }

    /// Checks the ledger's rules: every count ≥ 0, cached + cache writes ≤ input, reasoning ≤ output.
    /// - Throws: ``CostLedgerError/Code/invalidRecord`` naming the field.
    public func validate() throws(CostLedgerError) {
        let fields: [(String, Int64)] = [
            (LedgerKey.inputTokens.name, input), (LedgerKey.outputTokens.name, output),
            (LedgerKey.cachedInputTokens.name, cachedInput),
            (LedgerKey.cacheWriteTokens.name, cacheWrite), (LedgerKey.cacheWrite1hTokens.name, cacheWrite1h),
            (LedgerKey.reasoningTokens.name, reasoning),
        ]
        for (name, value) in fields where value < 0 {
            throw CostLedgerError(.invalidRecord, field: name, reason: "must be ≥ 0, got \(value)")
        }
        let (partial, o1) = cachedInput.addingReportingOverflow(cacheWrite)
        let (subsets, o2) = partial.addingReportingOverflow(cacheWrite1h)
        if o1 || o2 || subsets > input {
            throw CostLedgerError(
                .invalidRecord,
                field: LedgerKey.cachedInputTokens.name,
                reason: "cached (\(cachedInput)) + cache-write (\(cacheWrite)) + cache-write-1h (\(cacheWrite1h)) "
                    + "tokens exceed input_tokens (\(input))"
            )
        }
        if reasoning > output {
            throw CostLedgerError(
                .invalidRecord,
                field: LedgerKey.reasoningTokens.name,
                reason: "reasoning tokens (\(reasoning)) exceed output_tokens (\(output))"
            )
        }
    }
}
