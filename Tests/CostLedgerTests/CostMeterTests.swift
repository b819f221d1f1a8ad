import Attribution
import AttributionTesting
import CostLedger
import Foundation
import Testing

@Suite("Call wrapper")
struct CostMeterTests {
    @Test("a call missing required fields is refused before the closure runs, listing every missing field")
    func refusesMissingFields() async throws {
        let harness = MeterHarness()
        var envelope = MeterEnvelopes.complete()
        envelope.feature = nil
        envelope.team = nil
        envelope.taskType = nil
        let called = Lock(false)
        let error = await #expect(throws: AttributionError.self) {
            try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(envelope)) { _ in
                called.withLock { $0 = true }
                return ("reply", TokenUsage(input: 10, output: 2))
            }
        }
        #expect(called.withLock { $0 } == false)
        let attribution = try #require(error)
        #expect(attribution.code == .missingFields)
        for field in ["feature", "team", "task_type"] {
            #expect(attribution.reason.contains(field), "missing \(field) in \(attribution.reason)")
        }
        #expect(!attribution.reason.contains("user_id"))
        #expect(harness.sink.records.isEmpty)
        #expect(harness.meter.statistics.refused == 1)
    }

    @Test("a call with no envelope at all is refused in strict mode, naming the required fields")
    func refusesWithoutEnvelope() async throws {
        let harness = MeterHarness()
        let called = Lock(false)
        let error = await #expect(throws: AttributionError.self) {
            try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .current) { _ in
                called.withLock { $0 = true }
                return (1, TokenUsage())
            }
        }
        #expect(called.withLock { $0 } == false)
        #expect(error?.code == .missingEnvelope)
        #expect(error?.reason.contains("user_id, feature, team, project, task_type") == true)
        #expect(harness.sink.records.isEmpty)
    }

    @Test("an envelope with an invalid value is refused in strict mode")
    func refusesInvalidEnvelope() async throws {
        let harness = MeterHarness()
        var envelope = MeterEnvelopes.complete()
        envelope.team = String(repeating: "x", count: 300)
        let error = await #expect(throws: AttributionError.self) {
            try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(envelope)) { _ in
                (1, TokenUsage())
            }
        }
        #expect(error?.field == "team")
    }

    @Test("the raw-HTTP wrapper also refuses before sending")
    func rawWrapperRefuses() async throws {
        let harness = MeterHarness()
        var envelope = MeterEnvelopes.complete()
        envelope.userID = nil
        let called = Lock(false)
        let error = await #expect(throws: AttributionError.self) {
            try await harness.meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: Array(#"{"model":"gpt-4.1","messages":[]}"#.utf8),
                attribution: .envelope(envelope)
            ) { _ in
                called.withLock { $0 = true }
                return ProviderResponse(body: [])
            }
        }
        #expect(called.withLock { $0 } == false)
        #expect(error?.code == .missingFields)
        #expect(error?.reason.contains("user_id") == true)
    }

    @Test("lenient mode records a call without an envelope as unattributed, and counts it")
    func lenientRecordsUnattributed() async throws {
        let issues = MeterIssueLog()
        let harness = MeterHarness(mode: .lenient, onIssue: issues.append)
        let reply = try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .current) { _ in
            ("hello", TokenUsage(input: 100, output: 20))
        }
        #expect(reply.value == "hello")
        #expect(reply.record == harness.sink.records.first)
        let record = try #require(harness.sink.records.first)
        #expect(record.kind == .call)
        #expect(record.traceID == nil && record.leafID == nil && record.rootID == nil && record.attempt == nil)
        #expect(record.attribution.isEmpty && record.tags.isEmpty)
        #expect(record.usage == TokenUsage(input: 100, output: 20))
        #expect(record.status == .ok)
        #expect(harness.meter.statistics.unattributed == 1)
        #expect(issues.kinds == [.unattributed])
    }

    @Test("lenient mode keeps a partial envelope's fields and leaves out values that break the format")
    func lenientKeepsPartialEnvelope() async throws {
        let harness = MeterHarness(mode: .lenient)
        var envelope = MeterEnvelopes.complete()
        envelope.project = nil
        envelope.tool = String(repeating: "t", count: 257)
        _ = try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(envelope)) { _ in
            ((), TokenUsage(input: 1, output: 1))
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.leafID == envelope.leafID)
        #expect(record.attribution[.userID] == "u_42")
        #expect(record.attribution[.project] == nil)
        #expect(record.attribution[.tool] == nil)
        #expect(harness.meter.statistics.unattributed == 1)
    }

    @Test("attribution: .current reads AttributionEnvelope.current, by name")
    func usesTaskLocalEnvelope() async throws {
        let harness = MeterHarness()
        let envelope = MeterEnvelopes.complete()
        let seen = try await withAttribution(envelope) {
            try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .current) { request in
                (request.envelope?.leafID, TokenUsage(input: 5, output: 1))
            }
        }
        #expect(seen.value == envelope.leafID)
        let record = try #require(harness.sink.records.first)
        #expect(record.leafID == envelope.leafID)
        #expect(record.traceID == envelope.traceID)
        #expect(record.attribution[.feature] == "summarize")
        #expect(record.tags == ["env": "prod"])
    }

    @Test("the record id is minted before the call, passed to the closure, and timestamps come from the clock")
    func recordIDAndTimes() async throws {
        let harness = MeterHarness()
        let envelope = MeterEnvelopes.complete()
        let key = try await harness.meter.call(
            provider: "openai",
            model: "gpt-4.1",
            attribution: .envelope(envelope),
            apiKeyID: "key_live_1",
            serviceTier: "flex"
        ) { request in
            (request.idempotencyKey, TokenUsage(input: 5, output: 1))
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.recordID == key.value)
        #expect(key.value == "rec-000001")
        #expect(key.record == record)
        #expect(record.startedAt == UTCTimestamp(millisecondsSinceEpoch: MeterTestClock.start + 1_000))
        #expect(record.timestamp == UTCTimestamp(millisecondsSinceEpoch: MeterTestClock.start + 2_000))
        #expect(record.apiKeyID == "key_live_1")
        #expect(record.serviceTier == "flex")
        #expect(record.provider == "openai" && record.model == "gpt-4.1")
    }

    @Test("a throwing call still writes a status: error record with its partial usage, then rethrows its error")
    func throwingCallWritesErrorRecord() async throws {
        let harness = MeterHarness()
        struct Timeout: Error, Equatable {}
        await #expect(throws: Timeout.self) {
            try await harness.meter.call(
                provider: "openai",
                model: "gpt-4.1",
                attribution: .envelope(MeterEnvelopes.complete())
            ) {
                _ -> (String, TokenUsage) in
                throw MeteredCallError(usage: TokenUsage(input: 1_000, cachedInput: 200), underlying: Timeout())
            }
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        #expect(record.usage == TokenUsage(input: 1_000, cachedInput: 200))
        // Failed calls still cost: 800 × $2 + 200 × $0.50 per million.
        #expect(record.costUSD == (try Money(decimal: "0.0017")))
        #expect(harness.meter.statistics.errorRecords == 1)
    }

    @Test("a call throwing a plain error writes a zero-usage error record and rethrows that error")
    func plainErrorRecord() async throws {
        let harness = MeterHarness()
        await #expect(throws: CancellationError.self) {
            try await harness.meter.call(
                provider: "openai",
                model: "gpt-4.1",
                attribution: .envelope(MeterEnvelopes.complete())
            ) {
                _ -> (Int, TokenUsage) in throw CancellationError()
            }
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        #expect(record.usage == TokenUsage())
    }

    @Test("a known model is priced exactly; an unknown model gets no cost_usd, never a guess")
    func pricing() async throws {
        let harness = MeterHarness()
        let envelope = MeterEnvelopes.complete()
        let usage = TokenUsage(input: 1_000, output: 100, cachedInput: 200)
        _ = try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(envelope)) { _ in
            ((), usage)
        }
        _ = try await harness.meter.call(provider: "openai", model: "gpt-4.1-turbo", attribution: .envelope(envelope)) {
            _ in
            ((), usage)
        }
        let records = harness.sink.records
        try #require(records.count == 2)
        // (800 × 2.00 + 200 × 0.50 + 100 × 8.00) / 1,000,000
        #expect(records[0].costUSD == (try Money(decimal: "0.0025")))
        #expect(records[0].priceSource == PriceTable.builtInSource)
        #expect(records[1].costUSD == nil)
        #expect(records[1].priceSource == nil)
        #expect(records[1].usage == usage)
    }

    @Test("a sink failure returns the call's result and reports the unwritten record and a count")
    func sinkFailureKeepsResult() async throws {
        let issues = MeterIssueLog()
        let sink = MeterFailingSink()
        let meter = CostMeter(
            sink: sink,
            recordIDs: MeterRecordIDs(),
            clock: MeterTestClock(),
            onIssue: issues.append
        )
        let reply = try await meter.call(
            provider: "openai",
            model: "gpt-4.1",
            attribution: .envelope(MeterEnvelopes.complete())
        ) {
            _ in ("answer", TokenUsage(input: 3, output: 4))
        }
        #expect(reply.value == "answer")
        #expect(reply.record.usage == TokenUsage(input: 3, output: 4))
        #expect(meter.statistics.sinkFailures == 1)
        #expect(meter.statistics.recordsWritten == 0)
        let issue = try #require(issues.all.first)
        #expect(issue.kind == .sinkFailed)
        #expect(issue.record.usage == TokenUsage(input: 3, output: 4))
        #expect((issue.error as? CostLedgerError)?.code == .bufferFull)
    }

    @Test("the raw-HTTP wrapper sends the tagged body and records the usage and model the response reports")
    func rawWrapperRecordsUsage() async throws {
        let harness = MeterHarness()
        let fake = FakeProvider(
            .openAIChatCompletions,
            seed: 7,
            usage: TokenUsage(input: 1_500, output: 300, cachedInput: 1_024, reasoning: 64)
        )
        let sent = Lock<[UInt8]>([])
        let body = try await harness.meter.callJSON(
            adapter: .openAIChatCompletions,
            requestBody: Array(#"{"model":"gpt-4.1","store":true,"messages":[{"role":"user","content":"hi"}]}"#.utf8),
            attribution: .envelope(MeterEnvelopes.complete())
        ) { request in
            sent.withLock { $0 = request.body }
            return ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body))
        }
        #expect(body.body == fake.responseBody())
        #expect(body.status == 200)
        #expect(body.record == harness.sink.records.first)
        let sentText = String(decoding: sent.withLock { $0 }, as: UTF8.self)
        #expect(sentText.contains(#""metadata":{"feature":"summarize""#))
        // By default no user id leaves the process (docs/metering.md).
        #expect(!sentText.contains("u_42"))
        #expect(!sentText.contains("safety_identifier"))
        let record = try #require(harness.sink.records.first)
        #expect(record.model == "gpt-4.1-2025-04-14")
        #expect(record.usage == TokenUsage(input: 1_500, output: 300, cachedInput: 1_024, reasoning: 64))
        #expect(record.status == .ok)
        #expect(record.costUSD != nil)
    }

    @Test("a streaming Chat Completions call asks for usage and records it from the final chunk")
    func rawWrapperStreaming() async throws {
        let harness = MeterHarness()
        let fake = FakeProvider(.openAIChatCompletions, seed: 3, usage: TokenUsage(input: 640, output: 48))
        _ = try await harness.meter.callJSON(
            adapter: .openAIChatCompletions,
            requestBody: Array(#"{"model":"gpt-4.1","stream":true,"messages":[]}"#.utf8),
            attribution: .envelope(MeterEnvelopes.complete())
        ) { request in
            #expect(request.tagging.requestedStreamUsage)
            return ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body))
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.usage == TokenUsage(input: 640, output: 48))
        #expect(record.status == .ok)
    }

    @Test("a provider error response is recorded as status: error, then thrown with its status, type and record")
    func rawWrapperProviderError() async throws {
        let harness = MeterHarness()
        let fake = FakeProvider(.anthropicMessages, failure: .errorResponse(status: 529, type: "overloaded_error"))
        let error = await #expect(throws: ProviderCallError.self) {
            try await harness.meter.callJSON(
                adapter: .anthropicMessages,
                requestBody: Array(#"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[]}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { request in ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body)) }
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        #expect(record.usage == TokenUsage())
        #expect(record.model == "claude-sonnet-4-5")
        #expect(error?.status == 529)
        #expect(error?.type == "overloaded_error")
        #expect(error?.isRetryable == true)
        #expect(error?.record == record)
        let errorText = String(decoding: error?.body ?? [], as: UTF8.self)
        #expect(errorText.contains("overloaded_error"))
        #expect(harness.meter.statistics.providerErrors == 1)
    }

    @Test("a stream cut before its usage is recorded as status: error with the usage known, and reported")
    func rawWrapperCutStream() async throws {
        let issues = MeterIssueLog()
        let harness = MeterHarness(onIssue: issues.append)
        let fake = FakeProvider(
            .anthropicMessages,
            usage: TokenUsage(input: 2_000, output: 500, cachedInput: 1_500),
            failure: .streamCut(afterEvents: 4)
        )
        _ = try await harness.meter.callJSON(
            adapter: .anthropicMessages,
            requestBody: Array(#"{"model":"claude-sonnet-4-5","stream":true,"max_tokens":64,"messages":[]}"#.utf8),
            attribution: .envelope(MeterEnvelopes.complete())
        ) { request in ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body)) }
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        #expect(record.usage.input == 2_000)
        #expect(record.usage.cachedInput == 1_500)
        #expect(record.usage.output == 1)
        #expect(issues.kinds == [.usageIncomplete])
        #expect(harness.meter.statistics.usageIncomplete == 1)
    }

    @Test("a connection reset mid-stream rethrows the transport error after recording the partial stream's usage")
    func rawWrapperConnectionReset() async throws {
        let harness = MeterHarness()
        let fake = FakeProvider(
            .anthropicMessages,
            usage: TokenUsage(input: 900, output: 200),
            failure: .connectionReset(afterEvents: 3)
        )
        await #expect(throws: FakeProviderError.connectionReset) {
            try await harness.meter.callJSON(
                adapter: .anthropicMessages,
                requestBody: Array(#"{"model":"claude-sonnet-4-5","stream":true,"messages":[]}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { request in ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body)) }
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        #expect(record.usage.input == 900)
        #expect(record.model == "claude-sonnet-4-5-20250929")
    }

    @Test("a response whose usage cannot be read is returned, recorded as status: error and reported")
    func rawWrapperUnreadableUsage() async throws {
        let issues = MeterIssueLog()
        let harness = MeterHarness(onIssue: issues.append)
        let reply = Array(#"{"id":"x","usage":{"prompt_tokens":-3,"completion_tokens":1}}"#.utf8)
        let body = try await harness.meter.callJSON(
            adapter: .openAIChatCompletions,
            requestBody: Array(#"{"model":"gpt-4.1","messages":[]}"#.utf8),
            attribution: .envelope(MeterEnvelopes.complete())
        ) { _ in ProviderResponse(status: 200, body: reply) }
        #expect(body.body == reply)
        #expect(body.record.status == .error)
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        let issue = try #require(issues.all.first)
        #expect(issue.kind == .usageUnreadable)
        #expect(
            "\(issue.error.map { "\($0)" } ?? "")" == "usage.prompt_tokens: expected a non-negative integer, got -3"
        )
    }

    @Test("the raw-HTTP wrapper reads the model from the request body, and refuses a body without one")
    func rawWrapperModel() async throws {
        let harness = MeterHarness()
        let error = await #expect(throws: CostLedgerError.self) {
            try await harness.meter.callJSON(
                adapter: .openAIResponses,
                requestBody: Array(#"{"input":"hi"}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { _ in ProviderResponse(body: []) }
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.field == "model")
        #expect(harness.sink.records.isEmpty)
    }

    @Test("a streamed call is metered from the chunks as they pass, and the caller's result is returned")
    func streamingCall() async throws {
        let harness = MeterHarness()
        let fake = FakeProvider(
            .openAIResponses,
            seed: 21,
            usage: TokenUsage(input: 5_000, output: 900, cachedInput: 4_096, reasoning: 512)
        )
        let forwarded = try await harness.meter.callStreaming(
            adapter: .openAIResponses,
            requestBody: Array(#"{"model":"o3","stream":true,"input":"hi"}"#.utf8),
            attribution: .envelope(MeterEnvelopes.complete())
        ) { request, recorder in
            let stream = try fake.respond(to: request.body)
            var forwarded = 0
            var start = 0
            while start < stream.count {
                let chunk = stream[start..<min(stream.count, start + 100)]
                recorder.consume(chunk)
                forwarded += chunk.count
                start += 100
            }
            return forwarded
        }
        #expect(forwarded.value == fake.streamBody().count)
        #expect(forwarded.record == harness.sink.records.first)
        let record = try #require(harness.sink.records.first)
        #expect(record.usage == TokenUsage(input: 5_000, output: 900, cachedInput: 4_096, reasoning: 512))
        #expect(record.model == "gpt-4.1-2025-04-14")
        #expect(record.status == .ok)
    }

    @Test("a streamed call that throws mid-stream records the usage read so far, then rethrows")
    func streamingCallThrows() async throws {
        let harness = MeterHarness()
        let stream = FakeProvider(.anthropicMessages, usage: TokenUsage(input: 3_000, output: 400)).streamBody()
        struct Disconnected: Error {}
        await #expect(throws: Disconnected.self) {
            try await harness.meter.callStreaming(
                adapter: .anthropicMessages,
                requestBody: Array(#"{"model":"claude-sonnet-4-5","stream":true}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { _, recorder in
                recorder.consume(stream.prefix(stream.count / 2))
                throw Disconnected()
            }
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        #expect(record.usage.input == 3_000)
    }

    @Test("a malformed event stops the metering, never the caller's stream")
    func streamingMalformedEvent() async throws {
        let issues = MeterIssueLog()
        let harness = MeterHarness(onIssue: issues.append)
        let result = try await harness.meter.callStreaming(
            adapter: .openAIChatCompletions,
            requestBody: Array(#"{"model":"gpt-4.1","stream":true}"#.utf8),
            attribution: .envelope(MeterEnvelopes.complete())
        ) { _, recorder in
            recorder.consume(Array("data: {\"usage\":{\"prompt_tokens\":\"x\"}}\n\n".utf8))
            recorder.consume(Array("data: [DONE]\n\n".utf8))
            return "delivered"
        }
        #expect(result.value == "delivered")
        #expect(issues.kinds == [.usageUnreadable])
        #expect(harness.sink.records.first?.status == .error)
    }

    @Test("concurrent calls through one meter each get their own record id and record")
    func concurrentCalls() async throws {
        let harness = MeterHarness()
        let envelope = MeterEnvelopes.complete()
        let meter = harness.meter
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(envelope)) {
                        request in
                        (request.recordID, TokenUsage(input: Int64(index), output: 1))
                    }.value
                }
            }
            var keys: Set<String> = []
            for try await key in group { keys.insert(key) }
            return keys
        }
        #expect(keys.count == 200)
        #expect(Set(harness.sink.records.map(\.recordID)) == keys)
        #expect(harness.meter.statistics.recordsWritten == 200)
        #expect(harness.sink.records.map(\.usage.input).reduce(0, +) == (0..<200).reduce(0, +))
    }

    @Test("lenient raw-JSON call without an envelope sends the body as given and records it unattributed")
    func lenientRawCall() async throws {
        let harness = MeterHarness(mode: .lenient)
        let body = Array(#"{"model":"gpt-4.1","input":"hi"}"#.utf8)
        let fake = FakeProvider(.openAIResponses, usage: TokenUsage(input: 30, output: 5))
        _ = try await harness.meter.callJSON(adapter: .openAIResponses, requestBody: body, attribution: .current) {
            request in
            #expect(request.body == body)
            #expect(request.request.envelope == nil)
            return ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body))
        }
        let record = try #require(harness.sink.records.first)
        #expect(record.leafID == nil && record.attribution.isEmpty)
        #expect(record.usage == TokenUsage(input: 30, output: 5))
        #expect(record.status == .ok)
    }

    @Test("a Chat Completions stream whose caller turned usage off is recorded as incomplete")
    func streamWithoutUsage() async throws {
        let issues = MeterIssueLog()
        let harness = MeterHarness(onIssue: issues.append)
        let fake = FakeProvider(.openAIChatCompletions, usage: TokenUsage(input: 30, output: 5))
        _ = try await harness.meter.callJSON(
            adapter: .openAIChatCompletions,
            requestBody: Array(#"{"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":false}}"#.utf8),
            attribution: .envelope(MeterEnvelopes.complete())
        ) { request in ProviderResponse(status: fake.httpStatus, body: try fake.respond(to: request.body)) }
        let record = try #require(harness.sink.records.first)
        #expect(record.status == .error)
        #expect(record.usage == TokenUsage())
        #expect(issues.kinds == [.usageIncomplete])
    }
}

// MARK: - Test doubles shared by the metering tests

/// A sink that keeps records in memory.
final class MeterRecordingSink: CostSink {
    private let state = Lock<[CostRecord]>([])
    var records: [CostRecord] { state.withLock { $0 } }
    func write(_ record: CostRecord) throws(CostLedgerError) { state.withLock { $0.append(record) } }
    func flush() throws(CostLedgerError) {}
}

/// A sink that refuses every record.
struct MeterFailingSink: CostSink {
    func write(_ record: CostRecord) throws(CostLedgerError) {
        throw CostLedgerError(.bufferFull, reason: "the buffer is full")
    }
    func flush() throws(CostLedgerError) {}
}

/// Record ids `rec-000001`, `rec-000002`, …
final class MeterRecordIDs: RecordIDSource {
    private let next = Lock(0)
    func nextRecordID() -> String {
        let n = next.withLock {
            $0 += 1
            return $0
        }
        let digits = String(n)
        return "rec-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}

/// A clock that advances one second per reading, from 2025-11-24T00:00:00Z.
final class MeterTestClock: AttributionClock {
    static let start: Int64 = 1_763_942_400_000
    private let ticks = Lock(Int64(0))
    func now() -> UTCTimestamp {
        let tick = ticks.withLock {
            $0 += 1
            return $0
        }
        return UTCTimestamp(millisecondsSinceEpoch: Self.start + tick * 1_000)
    }
}

/// Leaf and trace ids counting up from 1.
final class MeterTestIDs: IdentifierSource {
    private let next = Lock(UInt64(0))
    func nextTraceID() -> TraceID {
        TraceID(
            high: 0xABCD,
            low: next.withLock {
                $0 += 1
                return $0
            }
        )!
    }
    func nextLeafID() -> LeafID {
        LeafID(
            rawValue: 0x1000
                + next.withLock {
                    $0 += 1
                    return $0
                }
        )!
    }
}

/// Collects metering issues.
final class MeterIssueLog: Sendable {
    private let state = Lock<[MeteringIssue]>([])
    var all: [MeteringIssue] { state.withLock { $0 } }
    var kinds: [MeteringIssue.Kind] { all.map(\.kind) }
    var append: @Sendable (MeteringIssue) -> Void { { issue in self.state.withLock { $0.append(issue) } } }
}

/// A meter over a recording sink with deterministic ids and clock.
struct MeterHarness {
    let sink = MeterRecordingSink()
    let meter: CostMeter

    init(
        mode: CostMeter.Mode = .strict,
        propagation: MetadataPropagation = .default,
        onIssue: (@Sendable (MeteringIssue) -> Void)? = nil
    ) {
        meter = CostMeter(
            sink: sink,
            mode: mode,
            propagation: propagation,
            recordIDs: MeterRecordIDs(),
            ids: MeterTestIDs(),
            clock: MeterTestClock(),
            onIssue: onIssue
        )
    }
}

enum MeterEnvelopes {
    static let trace = TraceID(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736)!
    static let root = LeafID(rawValue: 0x00f0_67aa_0ba9_02b7)!

    /// A root envelope carrying every required field and a tag.
    static func complete() -> AttributionEnvelope {
        AttributionEnvelope(
            traceID: trace,
            leafID: root,
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            tags: ["env": "prod"]
        )
    }
}

enum MeterFixtures {
    /// The bytes of `Fixtures/name`, found next to this file.
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
            .appendingPathComponent(name)
        return Array(try Data(contentsOf: url))
    }
}
