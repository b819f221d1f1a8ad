import Attribution
public import CostLedger

/// A deterministic stand-in for a model provider's HTTP API: produces real-shaped OpenAI Chat Completions,
/// OpenAI Responses and Anthropic Messages response bodies, non-streaming and as server-sent event streams,
/// from a seed, with the usage you configure and the failures you ask for.
///
/// ```swift
/// let fake = FakeProvider(.anthropicMessages, model: "claude-sonnet-4-5-20250929",
///                         usage: TokenUsage(input: 1_200, output: 80, cachedInput: 1_000))
/// let response = try await meter.callJSON(adapter: .anthropicMessages, requestBody: request,
///                                         attribution: .envelope(job)) { request in
///     ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body))
/// }
/// ```
///
/// Usage is given in the ledger's convention and written in the provider's own: for Anthropic, `input_tokens`
/// is the uncached remainder and the cache counts go apart (`reasoning` is not reported, as Anthropic does
/// not); OpenAI reports no cache writes, so ``TokenUsage/cacheWrite`` and ``TokenUsage/cacheWrite1h`` count
/// as plain input there.
public struct FakeProvider: Sendable {
    /// A failure to simulate. A set that may grow.
    public struct Failure: Sendable, Hashable {
        fileprivate enum Base: Sendable, Hashable {
            case errorResponse(status: Int, type: String, message: String)
            case transport
            case streamCut(afterEvents: Int)
            case connectionReset(afterEvents: Int)
        }
        fileprivate let base: Base

        /// The provider answers with its error body (`{"error": {…}}`, Anthropic's `{"type": "error", …}`).
        public static func errorResponse(
            status: Int = 400,
            type: String = "invalid_request_error",
            message: String = "The request is invalid."
        ) -> Failure {
            Failure(base: .errorResponse(status: status, type: type, message: message))
        }

        /// The request never gets a response: ``FakeProvider/respond(to:)`` throws
        /// ``FakeProviderError`` (`transport`).
        public static let transport = Failure(base: .transport)

        /// A stream ends after `afterEvents` events, cut in the middle of the next one, and the body so far is
        /// returned as if the connection closed normally.
        public static func streamCut(afterEvents: Int) -> Failure {
            Failure(base: .streamCut(afterEvents: afterEvents))
        }

        /// A stream breaks after `afterEvents` events: ``FakeProvider/respond(to:)`` throws a
        /// ``MeteredCallError`` carrying the part received, wrapping ``FakeProviderError`` (`connectionReset`).
        public static func connectionReset(afterEvents: Int) -> Failure {
            Failure(base: .connectionReset(afterEvents: afterEvents))
        }
    }

    /// The API imitated.
    public var api: ProviderAdapter
    /// Drives ids and generated text.
    public var seed: UInt64
    /// The model the response names.
    public var model: String
    /// The usage reported, in the ledger's convention.
    public var usage: TokenUsage
    /// The service tier reported, as the provider names it (`default`, `flex`, `priority`; Anthropic's
    /// `standard`, `priority`, `batch`). Nil reports the provider's default.
    public var serviceTier: String?
    /// The failure to simulate, if any.
    public var failure: Failure?
    /// How many words of text the reply holds.
    public var words: Int

    /// Creates a fake provider.
    public init(
        _ api: ProviderAdapter,
        seed: UInt64 = 1,
        model: String? = nil,
        usage: TokenUsage = TokenUsage(input: 120, output: 40),
        serviceTier: String? = nil,
        failure: Failure? = nil,
        words: Int = 12
    ) {
        self.api = api
        self.seed = seed
        self.model = model ?? (api == .anthropicMessages ? "claude-sonnet-4-5-20250929" : "gpt-4.1-2025-04-14")
        self.usage = usage
        self.serviceTier = serviceTier
        self.failure = failure
        self.words = words
    }

    /// Answers a request body: a stream when the body has `"stream": true`, one JSON body otherwise. A Chat
    /// Completions stream ends with its usage chunk only when `stream_options.include_usage` is true, as the
    /// real API does.
    /// - Throws: ``FakeProviderError`` for ``Failure/transport``; a ``MeteredCallError`` carrying the
    ///   partial stream for ``Failure/connectionReset(afterEvents:)``.
    public func respond(to requestBody: some Collection<UInt8>) throws -> [UInt8] {
        if failure?.base == .transport { throw FakeProviderError.transport }
        let request = try? JSONParser.parse(
            requestBody,
            limits: JSONParser.Limits(maxBytes: 64 << 20, maxDepth: 128),
            field: "request"
        ).objectValue
        guard request?["stream"] == .bool(true) else { return responseBody() }
        let includeUsage =
            api != .openAIChatCompletions || request?["stream_options"]?.objectValue?["include_usage"] == .bool(true)
        if case .connectionReset(let after)? = failure?.base {
            let partial = eventStream(includeUsage: includeUsage, cutAfter: after)
            throw MeteredCallError(partialBody: partial, underlying: FakeProviderError.connectionReset)
        }
        return streamBody(includeUsage: includeUsage)
    }

    /// The HTTP status the response would carry: the error's status, or 200.
    public var httpStatus: Int {
        if case .errorResponse(let status, _, _)? = failure?.base { return status }
        return 200
    }

    /// A non-streaming response body (an error body when ``failure`` is ``Failure/errorResponse(status:type:message:)``).
    public func responseBody() -> [UInt8] {
        if case .errorResponse(_, let type, let message)? = failure?.base {
            return Self.encode(errorBody(type: type, message: message))
        }
        switch api {
        case .openAIChatCompletions: return Self.encode(chatCompletion())
        case .openAIResponses: return Self.encode(response(status: "completed", withUsage: true))
        default: return Self.encode(anthropicMessage(usage: anthropicUsage(final: true), stopped: true))
        }
    }

    /// A `text/event-stream` body, cut when ``failure`` says so.
    /// - Parameter includeUsage: for Chat Completions, whether the final usage chunk is sent.
    public func streamBody(includeUsage: Bool = true) -> [UInt8] {
        var cut: Int?
        switch failure?.base {
        case .streamCut(let after)?, .connectionReset(let after)?: cut = after
        default: cut = nil
        }
        return eventStream(includeUsage: includeUsage, cutAfter: cut)
    }

    // MARK: - Generation

    private var id: String {
        var rng = SplitMix64(seed: seed)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var out = ""
        for _ in 0..<24 { out.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
        return out
    }

    private var created: Int64 { 1_764_000_000 + Int64(seed % 100_000) }

    private var textPieces: [String] {
        let vocabulary = [
            "The", "ledger", "records", "every", "call", "with", "its", "tokens", "and", "price", "so", "each",
            "team", "sees", "what", "its", "features", "cost", "per", "user", "today", "exactly", "once", "again",
        ]
        var rng = SplitMix64(seed: seed &+ 0x9E37)
        var pieces: [String] = []
        for index in 0..<max(1, words) {
            let word = vocabulary[Int(rng.next() % UInt64(vocabulary.count))]
            pieces.append(index == 0 ? word : " " + word)
        }
        pieces[pieces.count - 1] += "."
        return pieces
    }

    private var text: String { textPieces.joined() }

    private var tier: J { serviceTier.map { .s($0) } ?? .s(api == .anthropicMessages ? "standard" : "default") }

    private func errorBody(type: String, message: String) -> J {
        if api == .anthropicMessages {
            return .o([
                ("type", .s("error")), ("error", .o([("type", .s(type)), ("message", .s(message))])),
                ("request_id", .s("req_" + id)),
            ])
        }
        return .o([
            ("error", .o([("message", .s(message)), ("type", .s(type)), ("param", .null), ("code", .null)]))
        ])
    }

    private var openAIChatUsage: J {
        .o([
            ("prompt_tokens", .i(usage.input)), ("completion_tokens", .i(usage.output)),
            ("total_tokens", .i(usage.input &+ usage.output)),
            ("prompt_tokens_details", .o([("cached_tokens", .i(usage.cachedInput)), ("audio_tokens", .i(0))])),
            (
                "completion_tokens_details",
                .o([
                    ("reasoning_tokens", .i(usage.reasoning)), ("audio_tokens", .i(0)),
                    ("accepted_prediction_tokens", .i(0)), ("rejected_prediction_tokens", .i(0)),
                ])
            ),
        ])
    }

    private func chatCompletion() -> J {
        .o([
            ("id", .s("chatcmpl-" + id)), ("object", .s("chat.completion")), ("created", .i(created)),
            ("model", .s(model)),
            (
                "choices",
                .a([
                    .o([
                        ("index", .i(0)),
                        (
                            "message",
                            .o([
                                ("role", .s("assistant")), ("content", .s(text)), ("refusal", .null),
                                ("annotations", .a([])),
                            ])
                        ),
                        ("logprobs", .null), ("finish_reason", .s("stop")),
                    ])
                ])
            ),
            ("usage", openAIChatUsage), ("service_tier", tier), ("system_fingerprint", .s("fp_" + id.prefix(10))),
        ])
    }

    private func chatChunk(delta: J, finish: J, usage: J = .null, choices: Bool = true) -> J {
        .o([
            ("id", .s("chatcmpl-" + id)), ("object", .s("chat.completion.chunk")), ("created", .i(created)),
            ("model", .s(model)), ("service_tier", tier), ("system_fingerprint", .s("fp_" + id.prefix(10))),
            (
                "choices",
                choices
                    ? .a([.o([("index", .i(0)), ("delta", delta), ("logprobs", .null), ("finish_reason", finish)])])
                    : .a([])
            ),
            ("usage", usage),
        ])
    }

    private var responsesUsage: J {
        .o([
            ("input_tokens", .i(usage.input)), ("input_tokens_details", .o([("cached_tokens", .i(usage.cachedInput))])),
            ("output_tokens", .i(usage.output)),
            ("output_tokens_details", .o([("reasoning_tokens", .i(usage.reasoning))])),
            ("total_tokens", .i(usage.input &+ usage.output)),
        ])
    }

    private var outputMessage: J {
        .o([
            ("type", .s("message")), ("id", .s("msg_" + id)), ("status", .s("completed")), ("role", .s("assistant")),
            ("content", .a([.o([("type", .s("output_text")), ("annotations", .a([])), ("text", .s(text))])])),
        ])
    }

    private func response(status: String, withUsage: Bool) -> J {
        .o([
            ("id", .s("resp_" + id)), ("object", .s("response")), ("created_at", .i(created)), ("status", .s(status)),
            ("error", .null), ("incomplete_details", .null), ("instructions", .null), ("max_output_tokens", .null),
            ("model", .s(model)), ("output", withUsage ? .a([outputMessage]) : .a([])),
            ("parallel_tool_calls", .b(true)), ("previous_response_id", .null),
            ("reasoning", .o([("effort", .null), ("summary", .null)])), ("service_tier", tier), ("store", .b(true)),
            ("temperature", .i(1)), ("text", .o([("format", .o([("type", .s("text"))]))])),
            ("tool_choice", .s("auto")), ("tools", .a([])), ("top_p", .i(1)), ("truncation", .s("disabled")),
            ("usage", withUsage ? responsesUsage : .null), ("user", .null), ("metadata", .o([])),
        ])
    }

    private func anthropicUsage(final: Bool) -> J {
        let write = usage.cacheWrite &+ usage.cacheWrite1h
        let uncached = max(0, usage.input &- usage.cachedInput &- write)
        return .o([
            ("input_tokens", .i(uncached)), ("cache_creation_input_tokens", .i(write)),
            ("cache_read_input_tokens", .i(usage.cachedInput)),
            (
                "cache_creation",
                .o([
                    ("ephemeral_5m_input_tokens", .i(usage.cacheWrite)),
                    ("ephemeral_1h_input_tokens", .i(usage.cacheWrite1h)),
                ])
            ),
            ("output_tokens", .i(final ? usage.output : min(1, usage.output))), ("service_tier", tier),
        ])
    }

    private func anthropicMessage(usage: J, stopped: Bool) -> J {
        .o([
            ("id", .s("msg_" + id)), ("type", .s("message")), ("role", .s("assistant")), ("model", .s(model)),
            ("content", stopped ? .a([.o([("type", .s("text")), ("text", .s(text))])]) : .a([])),
            ("stop_reason", stopped ? .s("end_turn") : .null), ("stop_sequence", .null), ("usage", usage),
        ])
    }

    /// The stream's events as (name, data) pairs.
    private func events(includeUsage: Bool) -> [(String?, J?)] {
        var events: [(String?, J?)] = []
        switch api {
        case .openAIChatCompletions:
            events.append((nil, chatChunk(delta: .o([("role", .s("assistant")), ("content", .s(""))]), finish: .null)))
            for piece in textPieces {
                events.append((nil, chatChunk(delta: .o([("content", .s(piece))]), finish: .null)))
            }
            events.append((nil, chatChunk(delta: .o([]), finish: .s("stop"))))
            if includeUsage {
                events.append((nil, chatChunk(delta: .null, finish: .null, usage: openAIChatUsage, choices: false)))
            }
            events.append((nil, nil))  // [DONE]
        case .openAIResponses:
            var sequence: Int64 = 0
            func event(_ type: String, _ members: [(String, J)]) -> (String?, J?) {
                defer { sequence += 1 }
                return (type, .o([("type", .s(type)), ("sequence_number", .i(sequence))] + members))
            }
            events.append(event("response.created", [("response", response(status: "in_progress", withUsage: false))]))
            events.append(
                event("response.in_progress", [("response", response(status: "in_progress", withUsage: false))])
            )
            let item = J.o([
                ("id", .s("msg_" + id)), ("type", .s("message")), ("status", .s("in_progress")), ("content", .a([])),
                ("role", .s("assistant")),
            ])
            events.append(event("response.output_item.added", [("output_index", .i(0)), ("item", item)]))
            let emptyPart = J.o([("type", .s("output_text")), ("annotations", .a([])), ("text", .s(""))])
            let ids: [(String, J)] = [("item_id", .s("msg_" + id)), ("output_index", .i(0)), ("content_index", .i(0))]
            events.append(event("response.content_part.added", ids + [("part", emptyPart)]))
            for piece in textPieces {
                events.append(event("response.output_text.delta", ids + [("delta", .s(piece)), ("logprobs", .a([]))]))
            }
            events.append(event("response.output_text.done", ids + [("text", .s(text)), ("logprobs", .a([]))]))
            let part = J.o([("type", .s("output_text")), ("annotations", .a([])), ("text", .s(text))])
            events.append(event("response.content_part.done", ids + [("part", part)]))
            events.append(event("response.output_item.done", [("output_index", .i(0)), ("item", outputMessage)]))
            events.append(event("response.completed", [("response", response(status: "completed", withUsage: true))]))
        default:
            events.append(
                (
                    "message_start",
                    .o([
                        ("type", .s("message_start")),
                        ("message", anthropicMessage(usage: anthropicUsage(final: false), stopped: false)),
                    ])
                )
            )
            events.append(
                (
                    "content_block_start",
                    .o([
                        ("type", .s("content_block_start")), ("index", .i(0)),
                        ("content_block", .o([("type", .s("text")), ("text", .s(""))])),
                    ])
                )
            )
            events.append(("ping", .o([("type", .s("ping"))])))
            for piece in textPieces {
                events.append(
                    (
                        "content_block_delta",
                        .o([
                            ("type", .s("content_block_delta")), ("index", .i(0)),
                            ("delta", .o([("type", .s("text_delta")), ("text", .s(piece))])),
                        ])
                    )
                )
            }
            events.append(("content_block_stop", .o([("type", .s("content_block_stop")), ("index", .i(0))])))
            events.append(
                (
                    "message_delta",
                    .o([
                        ("type", .s("message_delta")),
                        ("delta", .o([("stop_reason", .s("end_turn")), ("stop_sequence", .null)])),
                        ("usage", anthropicUsage(final: true)),
                    ])
                )
            )
            events.append(("message_stop", .o([("type", .s("message_stop"))])))
        }
        return events
    }

    private func eventStream(includeUsage: Bool, cutAfter: Int?) -> [UInt8] {
        if case .errorResponse(_, let type, let message)? = failure?.base {
            if api == .anthropicMessages {
                return Array("event: error\ndata: ".utf8) + Self.encode(errorBody(type: type, message: message))
                    + Array("\n\n".utf8)
            }
            return responseBody()
        }
        var out: [UInt8] = []
        for (index, (name, data)) in events(includeUsage: includeUsage).enumerated() {
            var event: [UInt8] = []
            if let name { event += Array("event: \(name)\n".utf8) }
            event += Array("data: ".utf8) + (data.map(Self.encode) ?? Array("[DONE]".utf8)) + Array("\n\n".utf8)
            if let cutAfter, index >= cutAfter {
                out += event.prefix(event.count / 2)
                break
            }
            out += event
        }
        return out
    }

    // MARK: - JSON

    fileprivate indirect enum J {
        case o([(String, J)])
        case a([J])
        case s(String)
        case i(Int64)
        case b(Bool)
        case null
    }

    private static func encode(_ value: J) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        write(value, to: &writer)
        return writer.bytes
    }

    private static func write(_ value: J, to writer: inout JSONWriter) {
        switch value {
        case .o(let members):
            writer.raw(UInt8(ascii: "{"))
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.key(key)
                write(member, to: &writer)
            }
            writer.raw(UInt8(ascii: "}"))
        case .a(let items):
            writer.raw(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { writer.raw(UInt8(ascii: ",")) }
                write(item, to: &writer)
            }
            writer.raw(UInt8(ascii: "]"))
        case .s(let text): writer.string(text)
        case .i(let number): writer.integer(number)
        case .b(let flag): writer.raw(flag ? "true" : "false")
        case .null: writer.raw("null")
        }
    }
}

/// A simulated transport failure of ``FakeProvider``.
public struct FakeProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }
    /// No response at all.
    public static let transport = FakeProviderError("transport")
    /// The connection broke mid-stream.
    public static let connectionReset = FakeProviderError("connection_reset")
    public var description: String { "fake provider: \(name)" }
}

/// A small deterministic generator (SplitMix64) for ids and text.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
