import Attribution
import AttributionTesting
import CostLedger
import Foundation
import Testing

@Suite("Anthropic adapter")
struct AnthropicAdapterTests {
    let adapter = ProviderAdapter.anthropicMessages

    @Test("cache reads and writes are summed into input, with the 5-minute and 1-hour writes apart")
    func messageFixture() throws {
        let usage = try adapter.usage(from: MeterFixtures.bytes("anthropic_message.json"))
        // input_tokens 42 (uncached) + cache_read 6,400 + cache_creation 1,800
        #expect(
            usage.tokens
                == TokenUsage(input: 8_242, output: 87, cachedInput: 6_400, cacheWrite: 1_200, cacheWrite1h: 600)
        )
        #expect(usage.tokens.uncachedInput == 42)
        #expect(usage.model == "claude-sonnet-4-5-20250929")
        #expect(usage.serviceTier == nil)  // "standard"
        #expect(usage.isComplete)
    }

    @Test("stream: message_start usage updated by the cumulative message_delta usage")
    func streamFixture() throws {
        let usage = try adapter.usage(from: MeterFixtures.bytes("anthropic_stream.txt"))
        #expect(usage.tokens == TokenUsage(input: 4_121, output: 15, cachedInput: 4_096))
        #expect(usage.model == "claude-sonnet-4-5-20250929")
        #expect(usage.isComplete)
    }

    @Test("a stream cut before message_delta is incomplete and keeps the input reported by message_start")
    func cutStream() throws {
        let fixture = try MeterFixtures.bytes("anthropic_stream.txt")
        let text = String(decoding: fixture, as: UTF8.self)
        let cut = try #require(text.range(of: "event: message_delta"))
        let usage = try adapter.usage(fromStream: Array(text[..<cut.lowerBound].utf8) + Array("data: {\"ty".utf8))
        #expect(!usage.isComplete)
        #expect(usage.tokens == TokenUsage(input: 4_121, output: 1, cachedInput: 4_096))
    }

    @Test("several message_delta events: the last cumulative counts win, never a sum")
    func cumulativeDeltas() throws {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"model":"claude-opus-4-1","usage":{"input_tokens":10,"output_tokens":1}}}

            event: message_delta
            data: {"type":"message_delta","delta":{},"usage":{"output_tokens":30}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":45}}

            """
        let usage = try adapter.usage(from: Array(stream.utf8))
        #expect(usage.tokens == TokenUsage(input: 15, output: 45, cachedInput: 5))
    }

    @Test("cache_creation_input_tokens without a split counts as 5-minute (unspecified) writes")
    func unsplitCacheWrites() throws {
        let body = #"{"usage":{"input_tokens":3,"cache_creation_input_tokens":500,"output_tokens":2}}"#
        let usage = try adapter.usage(from: Array(body.utf8))
        #expect(usage.tokens == TokenUsage(input: 503, output: 2, cacheWrite: 500))
    }

    @Test("a split larger than the cache-write total is refused, naming the field")
    func inconsistentSplit() throws {
        let body = #"""
            {"usage":{"input_tokens":3,"cache_creation_input_tokens":10,"cache_creation":{"ephemeral_5m_input_tokens":8,"ephemeral_1h_input_tokens":4},"output_tokens":2}}
            """#
        let error = #expect(throws: CostLedgerError.self) { try adapter.usage(from: Array(body.utf8)) }
        #expect(error?.field == "usage.cache_creation")
    }

    @Test("a negative count is refused, naming the field and the value")
    func negativeCount() throws {
        let body = #"{"usage":{"input_tokens":3,"cache_read_input_tokens":-7,"output_tokens":2}}"#
        let error = #expect(throws: CostLedgerError.self) { try adapter.usage(from: Array(body.utf8)) }
        #expect(error?.description == "usage.cache_read_input_tokens: expected a non-negative integer, got -7")
    }

    @Test("an error body and an error event are provider errors")
    func providerErrors() throws {
        let fake = FakeProvider(
            .anthropicMessages,
            failure: .errorResponse(type: "overloaded_error", message: "Overloaded")
        )
        #expect(try adapter.usage(from: fake.responseBody()).providerError == "overloaded_error: Overloaded")
        let stream = try adapter.usage(from: fake.streamBody())
        #expect(stream.providerError == "overloaded_error: Overloaded")
        #expect(!stream.isComplete)
    }

    @Test("the priority tier is read from usage.service_tier")
    func priorityTier() throws {
        let fake = FakeProvider(.anthropicMessages, serviceTier: "priority")
        #expect(try adapter.usage(from: fake.responseBody()).serviceTier == "priority")
        #expect(try adapter.usage(from: fake.streamBody()).serviceTier == "priority")
    }

    @Test(
        "usage survives the round trip through real-shaped fake responses, streamed and not",
        arguments: [
            TokenUsage(input: 1, output: 1),
            TokenUsage(input: 10_000, output: 700, cachedInput: 8_000, cacheWrite: 1_000, cacheWrite1h: 500),
            TokenUsage(input: 2_000_000, output: 64_000, cacheWrite1h: 2_000_000),
        ]
    )
    func fakeRoundTrip(usage: TokenUsage) throws {
        let fake = FakeProvider(.anthropicMessages, seed: 99, usage: usage)
        #expect(try adapter.usage(from: fake.responseBody()).tokens == usage)
        let streamed = try adapter.usage(from: fake.streamBody())
        #expect(streamed.tokens == usage)
        #expect(streamed.isComplete)
    }

    @Test("tagging writes the keyed hash of the user id as metadata.user_id and nothing else")
    func tagging() throws {
        let tagged = try adapter.tag(
            requestBody: Array(#"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[]}"#.utf8),
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(userID: .keyedHash(key: Array("Jefe".utf8)))
        )
        // HMAC-SHA256("Jefe", "u_42").
        let hash =
            "\(MetadataPropagation.UserIDPolicy.keyedHash(key: Array("Jefe".utf8)).outgoingValue(for: "u_42") ?? "")"
        #expect(hash.count == 64)
        #expect(
            String(decoding: tagged.body, as: UTF8.self)
                == #"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[],"metadata":{"user_id":""# + hash
                + #""}}"#
        )
        #expect(tagged.endUserID == hash)
    }
}
