import Attribution
import AttributionTesting
import CostLedger
import Foundation
import Testing

@Suite("OpenAI adapter")
struct OpenAIAdapterTests {
    @Test("Chat Completions: usage, cached and reasoning tokens, model and tier from a real-shaped response")
    func chatCompletionFixture() throws {
        let usage = try ProviderAdapter.openAIChatCompletions.usage(
            from: MeterFixtures.bytes("openai_chat_completion.json")
        )
        #expect(usage.tokens == TokenUsage(input: 2_048, output: 396, cachedInput: 1_536, reasoning: 320))
        #expect(usage.model == "o3-2025-04-16")
        #expect(usage.serviceTier == nil)  // "default"
        #expect(usage.isComplete)
        #expect(usage.providerError == nil)
    }

    @Test("Chat Completions stream: usage from the final chunk sent with include_usage")
    func chatCompletionStreamFixture() throws {
        let usage = try ProviderAdapter.openAIChatCompletions.usage(from: MeterFixtures.bytes("openai_chat_stream.txt"))
        #expect(usage.tokens == TokenUsage(input: 1_210, output: 9, cachedInput: 1_024))
        #expect(usage.model == "gpt-4.1-2025-04-14")
        #expect(usage.isComplete)
    }

    @Test("Chat Completions stream without a usage chunk is incomplete, not an error")
    func chatCompletionStreamWithoutUsage() throws {
        let stream = FakeProvider(.openAIChatCompletions).streamBody(includeUsage: false)
        let usage = try ProviderAdapter.openAIChatCompletions.usage(from: stream)
        #expect(!usage.isComplete)
        #expect(usage.tokens == TokenUsage())
        #expect(usage.model == "gpt-4.1-2025-04-14")
    }

    @Test("Responses: usage, cached tokens and the flex tier from a real-shaped response")
    func responsesFixture() throws {
        let usage = try ProviderAdapter.openAIResponses.usage(from: MeterFixtures.bytes("openai_responses.json"))
        #expect(usage.tokens == TokenUsage(input: 3_072, output: 58, cachedInput: 2_048))
        #expect(usage.model == "gpt-4.1-2025-04-14")
        #expect(usage.serviceTier == "flex")
    }

    @Test("Responses stream: usage and reasoning tokens from response.completed")
    func responsesStreamFixture() throws {
        let usage = try ProviderAdapter.openAIResponses.usage(from: MeterFixtures.bytes("openai_responses_stream.txt"))
        #expect(usage.tokens == TokenUsage(input: 812, output: 1_350, reasoning: 1_280))
        #expect(usage.model == "o3-2025-04-16")
        #expect(usage.serviceTier == "priority")
        #expect(usage.isComplete)
    }

    @Test(
        "a count that is not a non-negative integer is refused, naming the field and the value",
        arguments: [
            ("-3", "expected a non-negative integer, got -3"),
            ("12.5", "expected a non-negative integer, got 12.5"),
            ("\"12\"", "expected a non-negative integer, got the string \"12\""),
            ("true", "expected a non-negative integer, got a boolean"),
            ("99999999999999999999", "expected a non-negative integer, got 99999999999999999999"),
        ]
    )
    func badCounts(value: String, reason: String) throws {
        let body = #"{"model":"gpt-4.1","usage":{"prompt_tokens":"# + value + #","completion_tokens":1}}"#
        let error = #expect(throws: CostLedgerError.self) {
            try ProviderAdapter.openAIChatCompletions.usage(from: Array(body.utf8))
        }
        #expect(error?.code == .invalidResponse)
        #expect(error?.field == "usage.prompt_tokens")
        #expect(error?.reason == reason)
    }

    @Test("cached tokens above the input total are refused, naming both fields")
    func cachedAboveInput() throws {
        let body = #"{"usage":{"input_tokens":10,"output_tokens":1,"input_tokens_details":{"cached_tokens":11}}}"#
        let error = #expect(throws: CostLedgerError.self) {
            try ProviderAdapter.openAIResponses.usage(from: Array(body.utf8))
        }
        #expect(error?.description == "usage.input_tokens_details.cached_tokens: 11 exceeds usage.input_tokens (10)")
    }

    @Test("a response without usage is an error; an error body is a provider error with no tokens")
    func missingUsageAndErrorBody() throws {
        let error = #expect(throws: CostLedgerError.self) {
            try ProviderAdapter.openAIChatCompletions.usage(from: Array(#"{"id":"x","choices":[]}"#.utf8))
        }
        #expect(error?.field == "usage")
        let fake = FakeProvider(
            .openAIResponses,
            failure: .errorResponse(type: "rate_limit_exceeded", message: "Slow down")
        )
        let usage = try ProviderAdapter.openAIResponses.usage(from: fake.responseBody())
        #expect(usage.providerError == "rate_limit_exceeded: Slow down")
        #expect(usage.tokens == TokenUsage())
    }

    @Test("a body over the size limit is refused before parsing")
    func sizeLimit() throws {
        let limits = UsageExtraction.Limits(maxBodyBytes: 64, maxEventBytes: 64, maxDepth: 16)
        let error = #expect(throws: CostLedgerError.self) {
            try ProviderAdapter.openAIChatCompletions.usage(
                from: MeterFixtures.bytes("openai_chat_completion.json"),
                limits: limits
            )
        }
        #expect(error?.code == .invalidResponse)
        #expect(error?.reason.contains("exceeds the limit of 64 bytes") == true)
    }

    @Test(
        "usage survives the round trip through real-shaped fake responses, streamed and not",
        arguments: [ProviderAdapter.openAIChatCompletions, .openAIResponses],
        [
            TokenUsage(input: 0, output: 0),
            TokenUsage(input: 1_000, output: 200, cachedInput: 999, reasoning: 200),
            TokenUsage(input: 4_000_000_000, output: 123_456_789, cachedInput: 3_000_000_000, reasoning: 7),
        ]
    )
    func fakeRoundTrip(adapter: ProviderAdapter, usage: TokenUsage) throws {
        let fake = FakeProvider(adapter, seed: 11, usage: usage)
        #expect(try adapter.usage(from: fake.responseBody()).tokens == usage)
        let streamed = try adapter.usage(from: fake.streamBody())
        #expect(streamed.tokens == usage)
        #expect(streamed.isComplete)
    }

    @Test("the fake provider is deterministic for a seed and differs across seeds")
    func fakeDeterminism() {
        let a = FakeProvider(.openAIResponses, seed: 5)
        let b = FakeProvider(.openAIResponses, seed: 5)
        let c = FakeProvider(.openAIResponses, seed: 6)
        #expect(a.streamBody() == b.streamBody())
        #expect(a.responseBody() != c.responseBody())
    }

    @Test("tagging writes metadata and safety_identifier and keeps every other member's original text")
    func taggingKeepsBody() throws {
        let body = #"{"model":"gpt-4.1", "temperature": 1.0, "input":[{"role":"user","content":"h\u00e9"}]}"#
        let tagged = try ProviderAdapter.openAIResponses.tag(
            requestBody: Array(body.utf8),
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(userID: .raw)
        )
        let text = String(decoding: tagged.body, as: UTF8.self)
        #expect(text.hasPrefix(#"{"model":"gpt-4.1","temperature":1.0,"input":[{"role":"user","content":"h\u00e9"}],"#))
        #expect(
            text.hasSuffix(
                #""metadata":{"user_id":"u_42","feature":"summarize","team":"growth","project":"assistant","#
                    + #""task_type":"summarize","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","#
                    + #""leaf_id":"00f067aa0ba902b7","attempt":"1","tag.env":"prod"},"safety_identifier":"u_42"}"#
            )
        )
        #expect(tagged.endUserID == "u_42")
        #expect(tagged.dropped.isEmpty)
    }

    @Test(
        "Chat Completions gets metadata only when the request stores its output; store is never turned on",
        arguments: [
            (#"{"model":"gpt-4.1"}"#, false),
            (#"{"model":"gpt-4.1","store":false}"#, false),
            (#"{"model":"gpt-4.1","store":null}"#, false),
            (#"{"model":"gpt-4.1","store":true}"#, true),
        ]
    )
    func chatCompletionsMetadataNeedsStore(body: String, stores: Bool) throws {
        let tagged = try ProviderAdapter.openAIChatCompletions.tag(
            requestBody: Array(body.utf8),
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(userID: .raw)
        )
        let text = String(decoding: tagged.body, as: UTF8.self)
        let prefix = String(body.dropLast())
        if stores {
            #expect(text.hasPrefix(prefix + #","metadata":{"user_id":"u_42","feature":"summarize""#))
            #expect(tagged.dropped.isEmpty)
        } else {
            // What OpenAI accepts without storage: the request as sent plus the end-user field, nothing else.
            #expect(text == prefix + #","safety_identifier":"u_42"}"#)
            #expect(tagged.propagated.isEmpty)
            #expect(tagged.dropped.first == DroppedMetadata(key: "metadata.user_id", reason: .storeDisabled))
            #expect(tagged.dropped.allSatisfy { $0.reason == .storeDisabled })
        }
        #expect(tagged.endUserID == "u_42")
    }

    @Test(
        "Responses gets metadata unless the request says store: false (it stores by default)",
        arguments: [
            (#"{"model":"gpt-4.1"}"#, true),
            (#"{"model":"gpt-4.1","store":true}"#, true),
            (#"{"model":"gpt-4.1","store":false}"#, false),
        ]
    )
    func responsesMetadataUnlessStoreFalse(body: String, stores: Bool) throws {
        let tagged = try ProviderAdapter.openAIResponses.tag(
            requestBody: Array(body.utf8),
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(userID: .raw)
        )
        let text = String(decoding: tagged.body, as: UTF8.self)
        #expect(text.contains(#""metadata":"#) == stores, "\(text)")
        #expect(text.contains(#""store":true"#) == body.contains(#""store":true"#))
        #expect(text.hasSuffix(#""safety_identifier":"u_42"}"#))
    }

    @Test(
        "the end-user field is safety_identifier, user, or none as configured",
        arguments: [
            (MetadataPropagation.EndUserField.safetyIdentifier, #""safety_identifier":"u_42""#),
            (.user, #""user":"u_42""#),
        ]
    )
    func endUserField(field: MetadataPropagation.EndUserField, expected: String) throws {
        let tagged = try ProviderAdapter.openAIChatCompletions.tag(
            requestBody: Array(#"{"model":"gpt-4.1"}"#.utf8),
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(openAIMetadata: false, openAIEndUserField: field, userID: .raw)
        )
        #expect(String(decoding: tagged.body, as: UTF8.self) == #"{"model":"gpt-4.1","# + expected + "}")
    }

    @Test("with nothing to write the body is returned byte for byte")
    func untouchedBody() throws {
        let body = Array("{ \"model\" : \"gpt-4.1\",\n  \"messages\": [] }".utf8)
        let none = try ProviderAdapter.openAIChatCompletions.tag(requestBody: body, envelope: nil)
        #expect(none.body == body)
        let disabled = try ProviderAdapter.openAIChatCompletions.tag(
            requestBody: body,
            envelope: MeterEnvelopes.complete(),
            propagation: .disabled
        )
        #expect(disabled.body == body)
    }

    @Test("a streaming Chat Completions request gets stream_options.include_usage unless the caller set it")
    func streamOptions() throws {
        let adapter = ProviderAdapter.openAIChatCompletions
        let added = try adapter.tag(requestBody: Array(#"{"stream":true}"#.utf8), envelope: nil)
        #expect(
            String(decoding: added.body, as: UTF8.self) == #"{"stream":true,"stream_options":{"include_usage":true}}"#
        )
        #expect(added.requestedStreamUsage)
        let merged = try adapter.tag(
            requestBody: Array(#"{"stream":true,"stream_options":{"x":1}}"#.utf8),
            envelope: nil
        )
        #expect(
            String(decoding: merged.body, as: UTF8.self)
                == #"{"stream":true,"stream_options":{"x":1,"include_usage":true}}"#
        )
        let callerChoice = Array(#"{"stream":true,"stream_options":{"include_usage":false}}"#.utf8)
        #expect(try adapter.tag(requestBody: callerChoice, envelope: nil).body == callerChoice)
        let responses = Array(#"{"stream":true}"#.utf8)
        #expect(try ProviderAdapter.openAIResponses.tag(requestBody: responses, envelope: nil).body == responses)
    }

    @Test("a request body that is not a JSON object, or whose metadata is not an object, is refused")
    func badRequests() throws {
        for (body, field) in [("[1]", "request"), (#"{"metadata":"x"}"#, "metadata"), ("{", "request")] {
            let error = #expect(throws: CostLedgerError.self) {
                try ProviderAdapter.openAIResponses.tag(
                    requestBody: Array(body.utf8),
                    envelope: MeterEnvelopes.complete()
                )
            }
            #expect(error?.code == .invalidRequest)
            #expect(error?.field == field, "\(body)")
        }
    }

    @Test(
        "a stream read incrementally in chunks of any size gives the same usage as read whole",
        arguments: [
            ("openai_chat_stream.txt", ProviderAdapter.openAIChatCompletions),
            ("openai_responses_stream.txt", .openAIResponses),
            ("anthropic_stream.txt", .anthropicMessages),
        ],
        [1, 7, 64, 1_000_000]
    )
    func incrementalReading(fixture: (String, ProviderAdapter), chunkSize: Int) throws {
        let (name, adapter) = fixture
        var stream = try MeterFixtures.bytes(name)
        // CRLF line endings, as some proxies send them, must read the same.
        if chunkSize == 7 {
            stream = Array(String(decoding: stream, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
        }
        let whole = try adapter.usage(fromStream: stream)
        var reader = StreamUsageReader(adapter)
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + chunkSize)
            try reader.consume(stream[start..<end])
            start = end
        }
        let incremental = try reader.finish()
        #expect(incremental == whole)
        #expect(incremental.isComplete)
        #expect(reader.eventCount > 3)
    }

    @Test("a single SSE line longer than the event limit is refused while reading, naming the event")
    func longLine() throws {
        var reader = StreamUsageReader(
            .openAIChatCompletions,
            limits: UsageExtraction.Limits(maxBodyBytes: 1 << 20, maxEventBytes: 100, maxDepth: 16)
        )
        try reader.consume(Array("data: {}\n\n".utf8))
        let error = #expect(throws: CostLedgerError.self) {
            try reader.consume(Array(repeating: UInt8(ascii: "x"), count: 101))
        }
        #expect(error?.field == "stream event 2")
    }
}
