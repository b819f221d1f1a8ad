import Attribution
import AttributionTesting
import Testing

@testable import CostLedger

@Suite("Call site: explicit attribution, results with their record, provider errors, unpriced calls")
struct CallSiteTests {
    /// The operator's envelope, bound around a worker (a retry under an operator's context).
    static func operatorEnvelope() -> AttributionEnvelope {
        AttributionEnvelope(
            traceID: TraceID(high: 0x0bad, low: 0xcafe)!,
            leafID: LeafID(rawValue: 0x0bad_cafe)!,
            userID: "ops_admin",
            feature: "ops-console",
            team: "platform",
            project: "operations",
            taskType: "retry"
        )
    }

    /// A job payload whose producer forgot to tag it: `extract` fails, `try?` turns that into nil.
    static let untaggedPayload = Array(#"{"doc":"d_9"}"#.utf8)

    @Test(
        "a worker whose untagged payload decodes to nil inside the operator's context never bills the operator",
        arguments: [CostMeter.Mode.strict, .lenient]
    )
    func operatorNeverBilled(mode: CostMeter.Mode) async throws {
        let harness = MeterHarness(mode: mode)
        let fake = FakeProvider(.openAIChatCompletions, usage: TokenUsage(input: 100, output: 10))
        let sent = Lock<[UInt8]>([])
        let outcome: Result<MeteredResponse, any Error> = await withAttribution(Self.operatorEnvelope()) {
            let job = try? AttributionEnvelope.extract(from: Self.untaggedPayload)
            #expect(job == nil)
            do {
                return .success(
                    try await harness.meter.callJSON(
                        adapter: .openAIChatCompletions,
                        requestBody: Array(#"{"model":"gpt-4.1","store":true,"messages":[]}"#.utf8),
                        attribution: .envelope(job)
                    ) { request in
                        sent.withLock { $0 = request.body }
                        return ProviderResponse(status: 200, body: try fake.respond(to: request.body))
                    }
                )
            } catch {
                return .failure(error)
            }
        }
        for record in harness.sink.records {
            #expect(record.attribution[.userID] != "ops_admin")
            #expect(record.leafID != Self.operatorEnvelope().leafID)
        }
        #expect(!String(decoding: sent.withLock { $0 }, as: UTF8.self).contains("ops"))
        if mode == .strict {
            // The same error type tagging throws: one catch clause takes every refusal.
            let error = try #require(outcome.failureValue as? AttributionError)
            #expect(error.code == .missingEnvelope)
            #expect(harness.sink.records.isEmpty)
            #expect(sent.withLock { $0 }.isEmpty)
        } else {
            let response = try outcome.get()
            #expect(response.record.leafID == nil)
            #expect(response.record.attribution.isEmpty)
            #expect(harness.sink.records == [response.record])
            #expect(harness.meter.statistics.unattributed == 1)
        }
    }

    @Test("attribution: .unattributed is refused in strict mode even with an envelope bound")
    func unattributedRefusedInStrictMode() async throws {
        let harness = MeterHarness()
        let error = await #expect(throws: AttributionError.self) {
            try await withAttribution(Self.operatorEnvelope()) {
                try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .unattributed) { _ in
                    ((), TokenUsage(input: 1, output: 1))
                }
            }
        }
        #expect(error?.code == .missingEnvelope)
        #expect(harness.sink.records.isEmpty)
    }

    @Test("attribution: .current with nothing bound is refused in strict mode")
    func currentWithNothingBound() async throws {
        let harness = MeterHarness()
        await #expect(throws: AttributionError.self) {
            try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .current) { _ in
                ((), TokenUsage())
            }
        }
        #expect(CallAttribution.current.description == "current")
        #expect(CallAttribution.envelope(nil).description == "envelope(none)")
    }

    @Test("an HTTP 503 with a JSON error body is recorded as status: error and thrown as retryable")
    func http503Thrown() async throws {
        let harness = MeterHarness()
        let body = Array(#"{"error":{"message":"The server is overloaded.","type":"server_error","code":null}}"#.utf8)
        let error = await #expect(throws: ProviderCallError.self) {
            try await harness.meter.callJSON(
                adapter: .openAIResponses,
                requestBody: Array(#"{"model":"gpt-4.1","input":"hi"}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { _ in ProviderResponse(status: 503, body: body) }
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        #expect(record.attribution[.userID] == "u_42")
        #expect(error?.status == 503)
        #expect(error?.type == "server_error")
        #expect(error?.message == "The server is overloaded.")
        #expect(error?.isRetryable == true)
        #expect(error?.record.recordID == record.recordID)
        #expect(
            error?.description
                == "provider error: HTTP 503: server_error: The server is overloaded. (record rec-000001)"
        )
    }

    @Test("an HTTP error without a JSON body (a proxy's HTML page) is still recorded and thrown with its status")
    func httpErrorWithoutJSON() async throws {
        let issues = MeterIssueLog()
        let harness = MeterHarness(onIssue: issues.append)
        let error = await #expect(throws: ProviderCallError.self) {
            try await harness.meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: Array(#"{"model":"gpt-4.1","messages":[]}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { _ in ProviderResponse(status: 502, body: Array("<html>Bad gateway</html>".utf8)) }
        }
        #expect(error?.status == 502)
        #expect(error?.isRetryable == true)
        #expect(harness.sink.records.first?.status == .error)
        #expect(!issues.kinds.contains(.usageUnreadable))
    }

    @Test("a 400 is not retryable; an error body without a status is still thrown")
    func nonRetryableAndStatusless() async throws {
        let harness = MeterHarness()
        let invalid = FakeProvider(
            .openAIChatCompletions,
            failure: .errorResponse(status: 400, type: "invalid_request_error")
        )
        let badRequest = await #expect(throws: ProviderCallError.self) {
            try await harness.meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: Array(#"{"model":"gpt-4.1","messages":[]}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { request in ProviderResponse(status: invalid.httpStatus, body: try invalid.respond(to: request.body)) }
        }
        #expect(badRequest?.isRetryable == false)
        #expect(badRequest?.type == "invalid_request_error")
        let statusless = await #expect(throws: ProviderCallError.self) {
            try await harness.meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: Array(#"{"model":"gpt-4.1","messages":[]}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { request in ProviderResponse(body: try invalid.respond(to: request.body)) }
        }
        #expect(statusless?.status == nil)
        #expect(statusless?.type == "invalid_request_error")
        #expect(harness.sink.records.map(\.status) == [.error, .error])
    }

    @Test("the default retry policy retries a 503, never a 400 or a refusal, under the job's own envelope")
    func defaultRetryPolicyReadsProviderErrors() async throws {
        let harness = MeterHarness()
        let job = MeterEnvelopes.complete()
        let policy = RetryPolicy(maxAttempts: 3)  // the default predicate
        func run(
            _ failing: FakeProvider,
            succeedOnTry: Int,
            attribution: (AttributionEnvelope) -> CallAttribution
        )
            async -> (tries: Int, error: (any Error)?)
        {
            let tries = Lock(0)
            let ok = FakeProvider(.openAIChatCompletions)
            do {
                _ = try await job.withRetries(policy: policy, sleep: { _ in }) { envelope in
                    let attempt = tries.withLock {
                        $0 += 1
                        return $0
                    }
                    let fake = attempt >= succeedOnTry ? ok : failing
                    return try await harness.meter.callJSON(
                        adapter: .openAIChatCompletions,
                        requestBody: Array(#"{"model":"gpt-4.1","messages":[]}"#.utf8),
                        attribution: attribution(envelope)
                    ) { request in ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body)) }
                }
                return (tries.withLock { $0 }, nil)
            } catch {
                return (tries.withLock { $0 }, error)
            }
        }
        let unavailable = FakeProvider(
            .openAIChatCompletions,
            failure: .errorResponse(status: 503, type: "server_error")
        )
        let retried = await run(unavailable, succeedOnTry: 3) { .envelope($0) }
        #expect(retried.tries == 3)
        #expect(retried.error == nil)
        let invalid = FakeProvider(
            .openAIChatCompletions,
            failure: .errorResponse(status: 400, type: "invalid_request_error")
        )
        let final = await run(invalid, succeedOnTry: 3) { .envelope($0) }
        #expect(final.tries == 1)
        #expect((final.error as? ProviderCallError)?.status == 400)
        let refused = await run(unavailable, succeedOnTry: 1) { _ in .unattributed }
        #expect(refused.tries == 1)
        #expect(refused.error is AttributionError)
        // Three tries of the 503 job, the last one ok, each attempt numbered; one 400; the refusal wrote nothing.
        #expect(harness.sink.records.map(\.status) == [.error, .error, .ok, .error])
        #expect(harness.sink.records.prefix(3).map(\.attempt) == [1, 2, 3])
    }

    @Test("a streamed call whose recorder is told an HTTP error status is recorded and thrown")
    func streamingProviderError() async throws {
        let harness = MeterHarness()
        let fake = FakeProvider(.anthropicMessages, failure: .errorResponse(status: 529, type: "overloaded_error"))
        let error = await #expect(throws: ProviderCallError.self) {
            try await harness.meter.callStreaming(
                adapter: .anthropicMessages,
                requestBody: Array(#"{"model":"claude-haiku-4-5","stream":true,"max_tokens":8,"messages":[]}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { request, recorder in
                recorder.record(status: fake.httpStatus)
                recorder.consume(try fake.respond(to: request.body))
            }
        }
        #expect(error?.status == 529)
        #expect(error?.isRetryable == true)
        #expect(harness.sink.records.first?.status == .error)
    }

    @Test("a call recorded without cost_usd is reported to onIssue, naming the model and why, and counted")
    func unpricedReported() async throws {
        let issues = MeterIssueLog()
        let harness = MeterHarness(onIssue: issues.append)
        let priced = try await harness.meter.call(
            provider: "openai",
            model: "gpt-4.1",
            attribution: .envelope(MeterEnvelopes.complete())
        ) { _ in ((), TokenUsage(input: 10, output: 1)) }
        #expect(priced.record.costUSD != nil)
        #expect(issues.all.isEmpty)
        let unpriced = try await harness.meter.call(
            provider: "anthropic",
            model: "claude-opus-9",
            attribution: .envelope(MeterEnvelopes.complete())
        ) { _ in ((), TokenUsage(input: 10, output: 1)) }
        #expect(unpriced.record.costUSD == nil)
        #expect(harness.meter.statistics.unpricedCalls == 1)
        let issue = try #require(issues.all.first)
        #expect(issue.kind == .unpriced)
        #expect(issue.record == unpriced.record)
        #expect(issue.detail == "model claude-opus-9 (anthropic): not in the price table")
        #expect("\(issue)" == "unpriced (rec-000002): model claude-opus-9 (anthropic): not in the price table")
    }
}

@Suite("User ids sent to providers: omitted, keyed hash, or raw by choice")
struct UserIDPolicyTests {
    static let key = Array("a key the application keeps secret".utf8)

    @Test(
        "by default no user id is written into any provider request field",
        arguments: [ProviderAdapter.openAIResponses, .openAIChatCompletions, .anthropicMessages]
    )
    func omittedByDefault(adapter: ProviderAdapter) throws {
        let body = Array(#"{"model":"m","store":true}"#.utf8)
        let tagged = try adapter.tag(requestBody: body, envelope: MeterEnvelopes.complete())
        let text = String(decoding: tagged.body, as: UTF8.self)
        #expect(!text.contains("u_42"))
        #expect(!text.contains("user_id") && !text.contains("safety_identifier"))
        #expect(tagged.endUserID == nil)
    }

    @Test(
        "with a key, every provider field carries HMAC-SHA256(key, user_id) in lowercase hex",
        arguments: [ProviderAdapter.openAIResponses, .anthropicMessages]
    )
    func keyedHash(adapter: ProviderAdapter) throws {
        let policy = MetadataPropagation.UserIDPolicy.keyedHash(key: Self.key)
        let expected = try #require(policy.outgoingValue(for: "u_42"))
        #expect(expected.count == 64)
        #expect(expected.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(expected != policy.outgoingValue(for: "u_43"))
        #expect(expected != MetadataPropagation.UserIDPolicy.keyedHash(key: [1]).outgoingValue(for: "u_42"))
        let tagged = try adapter.tag(
            requestBody: Array(#"{"model":"m"}"#.utf8),
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(userID: policy)
        )
        let text = String(decoding: tagged.body, as: UTF8.self)
        #expect(!text.contains("u_42"))
        #expect(tagged.endUserID == expected)
        if adapter == .anthropicMessages {
            #expect(text.contains(#""metadata":{"user_id":"\#(expected)"}"#))
        } else {
            #expect(text.contains(#""user_id":"\#(expected)""#))
            #expect(text.contains(#""safety_identifier":"\#(expected)""#))
        }
    }

    @Test("the keyed hash fits OpenAI's 64-character safety_identifier and the ledger keeps the raw id")
    func ledgerKeepsRawID() async throws {
        let harness = MeterHarness(propagation: MetadataPropagation(userID: .keyedHash(key: Self.key)))
        let fake = FakeProvider(.openAIResponses, usage: TokenUsage(input: 5, output: 1))
        let sent = Lock<TaggedRequest?>(nil)
        let response = try await harness.meter.callJSON(
            adapter: .openAIResponses,
            requestBody: Array(#"{"model":"gpt-4.1","input":"hi"}"#.utf8),
            attribution: .envelope(MeterEnvelopes.complete())
        ) { request in
            sent.withLock { $0 = request.tagging }
            return ProviderResponse(status: 200, body: try fake.respond(to: request.body))
        }
        let tagging = try #require(sent.withLock { $0 })
        #expect(!tagging.dropped.contains { $0.key == "safety_identifier" })
        #expect(tagging.endUserID?.count == 64)
        #expect(response.record.attribution[.userID] == "u_42")
    }

    @Test("raw ids leave only when chosen; an empty key sends nothing; the policy never prints its key")
    func rawAndEmptyKey() throws {
        #expect(MetadataPropagation.UserIDPolicy.raw.outgoingValue(for: "u_42") == "u_42")
        #expect(MetadataPropagation.UserIDPolicy.omit.outgoingValue(for: "u_42") == nil)
        #expect(MetadataPropagation.UserIDPolicy.keyedHash(key: []).outgoingValue(for: "u_42") == nil)
        #expect("\(MetadataPropagation.UserIDPolicy.keyedHash(key: Self.key))" == "keyed_hash")
        let tagged = try ProviderAdapter.openAIChatCompletions.tag(
            requestBody: Array(#"{"model":"m"}"#.utf8),
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(userID: .raw)
        )
        #expect(String(decoding: tagged.body, as: UTF8.self).contains(#""safety_identifier":"u_42""#))
    }

    @Test("HMAC-SHA256 matches RFC 4231 test cases 1, 2, 6 and 7", arguments: RFC4231.cases)
    func rfc4231(testCase: RFC4231.Case) {
        let policy = MetadataPropagation.UserIDPolicy.keyedHash(key: testCase.key)
        #expect(policy.outgoingValue(for: testCase.data) == testCase.mac)
    }
}

enum RFC4231 {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var key: [UInt8]
        var data: String
        var mac: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "test case 1",
            key: [UInt8](repeating: 0x0b, count: 20),
            data: "Hi There",
            mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        Case(
            name: "test case 2",
            key: Array("Jefe".utf8),
            data: "what do ya want for nothing?",
            mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        Case(
            name: "test case 6 (a key longer than the block)",
            key: [UInt8](repeating: 0xaa, count: 131),
            data: "Test Using Larger Than Block-Size Key - Hash Key First",
            mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        Case(
            name: "test case 7 (a long key and a long message)",
            key: [UInt8](repeating: 0xaa, count: 131),
            data:
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
            mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

@Suite("SHA-256 against the FIPS 180-4 examples")
struct SHA256Tests {
    @Test(
        "SHA-256 of the empty message, one block and two blocks",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ]
    )
    func vectors(message: String, digest: String) {
        #expect(SHA256Hash.hex(SHA256Hash.hash(Array(message.utf8))) == digest)
    }

    @Test("SHA-256 of a million a's (many blocks)")
    func millionA() {
        let digest = SHA256Hash.hex(SHA256Hash.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
        #expect(digest == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
