import Attribution

/// What a provider's response says a call used, normalised to the ledger's convention.
///
/// ``tokens`` follows docs/ledger.md: `input` includes cached and cache-write tokens, `output` includes
/// reasoning tokens, whatever the provider's own convention (Anthropic reports its cache counts apart from
/// `input_tokens`; the adapters sum them in).
public struct ProviderUsage: Sendable, Hashable {
    /// Token counts as billed, in the ledger's convention.
    public var tokens: TokenUsage
    /// The model the response names (often a dated snapshot of the requested one), when it names one.
    public var model: String?
    /// The service tier the response says it was billed at, normalised: `nil` for the default tier
    /// (OpenAI's `default`, Anthropic's `standard`), otherwise the provider's name (`flex`, `priority`, `batch`).
    public var serviceTier: String?
    /// Whether the response carried its final usage. False for a stream that ended before its final usage
    /// event: ``tokens`` then holds what the stream reported so far (Anthropic's input, say).
    public var isComplete: Bool
    /// The provider's own error, when the response is an error object or a stream ended with an error event
    /// (`"invalid_request_error: max_tokens: …"`).
    public var providerError: String?

    /// Creates a usage report.
    public init(
        tokens: TokenUsage,
        model: String? = nil,
        serviceTier: String? = nil,
        isComplete: Bool = true,
        providerError: String? = nil
    ) {
        self.tokens = tokens
        self.model = model
        self.serviceTier = serviceTier
        self.isComplete = isComplete
        self.providerError = providerError
    }
}

/// Bounds on reading provider bodies and the shared helpers of the adapters.
public enum UsageExtraction {
    /// Bounds on one request or response body.
    public struct Limits: Sendable, Hashable {
        /// Larger bodies (a JSON response, a whole SSE stream, a request to tag) are refused before parsing.
        public var maxBodyBytes: Int
        /// Larger single SSE events are refused.
        public var maxEventBytes: Int
        /// Deepest JSON nesting accepted (tool schemas nest deeply).
        public var maxDepth: Int

        /// Creates limits.
        public init(maxBodyBytes: Int, maxEventBytes: Int, maxDepth: Int) {
            self.maxBodyBytes = maxBodyBytes
            self.maxEventBytes = maxEventBytes
            self.maxDepth = maxDepth
        }

        /// 64 MiB bodies, 16 MiB events, 128 levels.
        public static let `default` = Limits(maxBodyBytes: 64 << 20, maxEventBytes: 16 << 20, maxDepth: 128)
    }

    /// Whether `body` looks like a server-sent event stream (its first non-blank line starts with `event:`,
    /// `data:`, `id:`, `retry:` or a `:` comment) rather than one JSON document.
    public static func looksLikeEventStream(_ body: some Collection<UInt8>) -> Bool {
        for byte in body {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): return false
            case UInt8(ascii: "e"), UInt8(ascii: "d"), UInt8(ascii: "i"), UInt8(ascii: "r"), UInt8(ascii: ":"):
                return true
            default: return false
            }
        }
        return false
    }

    // MARK: - JSON helpers shared by the adapters

    /// Parses one JSON document and requires an object.
    static func parseObject(
        _ bytes: some Collection<UInt8>,
        limits: Limits,
        field: String,
        code: CostLedgerError.Code = .invalidResponse
    ) throws(CostLedgerError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(
                bytes,
                limits: JSONParser.Limits(maxBytes: limits.maxBodyBytes, maxDepth: limits.maxDepth),
                field: field
            )
        } catch {
            throw CostLedgerError(code, field: error.field ?? field, reason: error.reason)
        }
        guard let object = value.objectValue else {
            throw CostLedgerError(code, field: field, reason: "expected a JSON object, got \(value.typeName)")
        }
        return object
    }

    /// A token count at `object[key]`: nil when absent or `null`, otherwise a non-negative integer or an error
    /// naming `path.key` and the value.
    static func count(_ object: JSONObject, _ key: String, path: String) throws(CostLedgerError) -> Int64? {
        guard let value = object[key] else { return nil }
        let field = path.isEmpty ? key : path + "." + key
        switch value {
        case .null: return nil
        case .number(let text):
            if let integer = JSONValue.integer(fromLiteral: text), integer >= 0 { return Int64(integer) }
            throw CostLedgerError(
                .invalidResponse,
                field: field,
                reason: "expected a non-negative integer, got \(text.count <= 40 ? text : text.prefix(40) + "…")"
            )
        case .string(let text):
            throw CostLedgerError(
                .invalidResponse,
                field: field,
                reason: "expected a non-negative integer, got the string \(AttributionError.quote(text, limit: 40))"
            )
        default:
            throw CostLedgerError(
                .invalidResponse,
                field: field,
                reason: "expected a non-negative integer, got \(value.typeName)"
            )
        }
    }

    /// A nested object at `object[key]`: nil when absent or `null`, an error when it is another type.
    static func object(_ object: JSONObject, _ key: String, path: String) throws(CostLedgerError) -> JSONObject? {
        guard let value = object[key] else { return nil }
        switch value {
        case .null: return nil
        case .object(let nested): return nested
        default:
            throw CostLedgerError(
                .invalidResponse,
                field: path.isEmpty ? key : path + "." + key,
                reason: "expected an object, got \(value.typeName)"
            )
        }
    }

    /// A string at `object[key]`, when it is one.
    static func string(_ object: JSONObject, _ key: String) -> String? {
        object[key]?.stringValue
    }

    /// `a + b`, or an error naming `field` when the sum does not fit.
    static func add(_ a: Int64, _ b: Int64, field: String) throws(CostLedgerError) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow {
            throw CostLedgerError(.invalidResponse, field: field, reason: "token counts \(a) + \(b) overflow")
        }
        return sum
    }

    /// Checks that a subset count does not exceed its total.
    static func requireSubset(
        _ part: Int64,
        of total: Int64,
        partField: String,
        totalField: String
    ) throws(CostLedgerError) {
        if part > total {
            throw CostLedgerError(
                .invalidResponse,
                field: partField,
                reason: "\(part) exceeds \(totalField) (\(total))"
            )
        }
    }

    /// Maps a provider's tier name to the ledger's: default tiers become nil.
    static func normalisedServiceTier(_ tier: String?) -> String? {
        guard let tier, !tier.isEmpty else { return nil }
        switch tier {
        case "default", "standard", "auto": return nil
        default: return tier
        }
    }

    /// A readable summary of a provider error object (`{"type": …, "message": …}`).
    static func describeError(_ value: JSONValue?) -> String {
        guard let value else { return "error" }
        if let text = value.stringValue { return String(text.prefix(300)) }
        guard let object = value.objectValue else { return "error" }
        let type = object["type"]?.stringValue ?? object["code"]?.stringValue
        let message = object["message"]?.stringValue
        switch (type, message) {
        case let (type?, message?): return String((type + ": " + message).prefix(300))
        case let (type?, nil): return type
        case let (nil, message?): return String(message.prefix(300))
        case (nil, nil): return "error"
        }
    }

    // MARK: - Server-sent events

    /// One server-sent event: its `event:` name, if any, and its `data:` lines joined by `\n`.
    struct ServerSentEvent: Sendable {
        var name: String?
        var data: [UInt8]
        /// 1-based position in the stream, for errors.
        var index: Int
    }

    /// An incremental `text/event-stream` decoder: bytes go in as they arrive, whole events come out. It holds
    /// at most one line and one event, each bounded by ``Limits/maxEventBytes``.
    struct EventStreamDecoder: Sendable {
        let limits: Limits
        private var line: [UInt8] = []
        private var name: String?
        private var data: [UInt8] = []
        private var hasData = false
        private(set) var eventCount = 0

        init(limits: Limits) { self.limits = limits }

        /// Decodes `bytes`, calling `visit` for each complete event with data.
        mutating func feed(
            _ bytes: some Collection<UInt8>,
            _ visit: (ServerSentEvent, _ terminated: Bool) throws(CostLedgerError) -> Void
        ) throws(CostLedgerError) {
            for byte in bytes {
                if byte == 0x0A {
                    if line.last == 0x0D { line.removeLast() }
                    try process(visit)
                    line.removeAll(keepingCapacity: true)
                } else {
                    line.append(byte)
                    if line.count > limits.maxEventBytes {
                        throw CostLedgerError(
                            .invalidResponse,
                            field: "stream event \(eventCount + 1)",
                            reason: "a line of more than \(limits.maxEventBytes) bytes"
                        )
                    }
                }
            }
        }

        /// Ends the stream: a last line without its newline and a last event without its blank line are still
        /// visited, marked unterminated (a stream cut by a crash ends that way; the caller decides whether the
        /// data is usable).
        mutating func finish(
            _ visit: (ServerSentEvent, _ terminated: Bool) throws(CostLedgerError) -> Void
        ) throws(CostLedgerError) {
            if !line.isEmpty {
                if line.last == 0x0D { line.removeLast() }
                try process(visit)
                line.removeAll()
            }
            try dispatch(terminated: false, visit)
        }

        private mutating func process(
            _ visit: (ServerSentEvent, _ terminated: Bool) throws(CostLedgerError) -> Void
        ) throws(CostLedgerError) {
            if line.isEmpty {
                try dispatch(terminated: true, visit)
                return
            }
            if line[0] == UInt8(ascii: ":") { return }  // a comment
            let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
            var valueStart = colon < line.endIndex ? colon + 1 : colon
            if valueStart < line.endIndex, line[valueStart] == 0x20 { valueStart += 1 }
            let field = line[..<colon]
            if field.elementsEqual("data".utf8) {
                if hasData { data.append(0x0A) }
                data.append(contentsOf: line[valueStart...])
                hasData = true
                if data.count > limits.maxEventBytes {
                    throw CostLedgerError(
                        .invalidResponse,
                        field: "stream event \(eventCount + 1)",
                        reason: "data of more than \(limits.maxEventBytes) bytes"
                    )
                }
            } else if field.elementsEqual("event".utf8) {
                name = String(decoding: line[valueStart...], as: UTF8.self)
            }
        }

        private mutating func dispatch(
            terminated: Bool,
            _ visit: (ServerSentEvent, _ terminated: Bool) throws(CostLedgerError) -> Void
        ) throws(CostLedgerError) {
            defer {
                name = nil
                data.removeAll(keepingCapacity: true)
                hasData = false
            }
            guard hasData else { return }
            eventCount += 1
            try visit(ServerSentEvent(name: name, data: data, index: eventCount), terminated)
        }
    }

    /// Parses an event's data as a JSON object; nil for `[DONE]` and for a torn last event.
    static func eventObject(
        _ event: ServerSentEvent,
        terminated: Bool,
        limits: Limits
    ) throws(CostLedgerError) -> JSONObject? {
        if event.data.elementsEqual("[DONE]".utf8) { return nil }
        do {
            let value = try JSONParser.parse(
                event.data,
                limits: JSONParser.Limits(maxBytes: limits.maxEventBytes, maxDepth: limits.maxDepth),
                field: "stream event \(event.index)"
            )
            guard let object = value.objectValue else {
                throw CostLedgerError(
                    .invalidResponse,
                    field: "stream event \(event.index)",
                    reason: "expected a JSON object, got \(value.typeName)"
                )
            }
            return object
        } catch {
            // A stream cut mid-event leaves a torn last event: it carries nothing usable, and is not an error.
            if !terminated { return nil }
            throw CostLedgerError(
                .invalidResponse,
                field: "stream event \(event.index)",
                reason: "\(error)"
            )
        }
    }
}
