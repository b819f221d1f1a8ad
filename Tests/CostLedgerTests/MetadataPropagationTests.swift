import Attribution
import AttributionTesting
import CostLedger
import Testing

@Suite("Metadata propagation")
struct MetadataPropagationTests {
    static func pairs(_ count: Int) -> [MetadataPair] {
        (1...count).map { MetadataPair(key: "k\($0)", value: "v\($0)") }
    }

    @Test("16 pairs fit; the 17th is dropped for the count limit")
    func pairCount() {
        let sixteen = MetadataPropagation.fitOpenAIMetadata(Self.pairs(16), existingKeys: [])
        #expect(sixteen.kept == Self.pairs(16))
        #expect(sixteen.dropped.isEmpty)
        let seventeen = MetadataPropagation.fitOpenAIMetadata(Self.pairs(17), existingKeys: [])
        #expect(seventeen.kept == Self.pairs(16))
        #expect(seventeen.dropped == [DroppedMetadata(key: "k17", reason: .countLimit)])
    }

    @Test("a 64-character key fits; a 65-character key is dropped whole")
    func keyLength() {
        let k64 = String(repeating: "k", count: 64)
        let k65 = String(repeating: "é", count: 65)  // characters, not bytes
        let fit = MetadataPropagation.fitOpenAIMetadata(
            [MetadataPair(key: k64, value: "a"), MetadataPair(key: k65, value: "b")],
            existingKeys: []
        )
        #expect(fit.kept == [MetadataPair(key: k64, value: "a")])
        #expect(fit.dropped == [DroppedMetadata(key: k65, reason: .keyTooLong)])
    }

    @Test("a 512-character value fits whole; a 513-character value is dropped, never truncated")
    func valueLength() {
        let v512 = String(repeating: "ü", count: 512)  // 1,024 bytes, 512 characters
        let v513 = String(repeating: "v", count: 513)
        let fit = MetadataPropagation.fitOpenAIMetadata(
            [MetadataPair(key: "a", value: v512), MetadataPair(key: "b", value: v513)],
            existingKeys: []
        )
        #expect(fit.kept == [MetadataPair(key: "a", value: v512)])
        #expect(fit.kept.allSatisfy { $0.value.unicodeScalars.count <= 512 })
        #expect(fit.dropped == [DroppedMetadata(key: "b", reason: .valueTooLong)])
    }

    @Test("the caller's keys are kept with the caller's values and count toward the 16")
    func callerKeysKept() throws {
        let body = #"{"model":"gpt-4.1","metadata":{"feature":"caller-feature","run":"r1"}}"#
        let tagged = try ProviderAdapter.openAIResponses.tag(
            requestBody: Array(body.utf8),
            envelope: Self.fullEnvelope(tags: 20),
            propagation: MetadataPropagation(openAIEndUserField: .none, userID: .raw)
        )
        let text = String(decoding: tagged.body, as: UTF8.self)
        #expect(text.contains(#""metadata":{"feature":"caller-feature","run":"r1","user_id":"u_42","team":"growth""#))
        #expect(!text.contains(#""feature":"summarize""#))
        #expect(tagged.dropped.first == DroppedMetadata(key: "metadata.feature", reason: .callerValueKept))
        #expect(tagged.propagated.count == 14)  // 16 − the caller's 2
    }

    @Test("a caller who already used all 16 pairs gets nothing added")
    func callerFull() throws {
        let members = (1...16).map { #""c\#($0)":"x""# }.joined(separator: ",")
        let body = Array((#"{"store":true,"metadata":{"# + members + "}}").utf8)
        let tagged = try ProviderAdapter.openAIChatCompletions.tag(
            requestBody: body,
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(openAIEndUserField: .none, userID: .raw)
        )
        #expect(tagged.body == body)
        #expect(tagged.propagated.isEmpty)
        #expect(tagged.dropped.allSatisfy { $0.reason == .countLimit })
        #expect(tagged.dropped.first?.key == "metadata.user_id")
    }

    @Test("what does not fit is dropped by priority: business fields, then lineage, then tags by key")
    func dropPriority() throws {
        let tagged = try ProviderAdapter.openAIResponses.tag(
            requestBody: Array("{}".utf8),
            envelope: Self.fullEnvelope(tags: 3),
            propagation: MetadataPropagation(openAIEndUserField: .none, userID: .raw)
        )
        #expect(
            tagged.propagated.map(\.key) == [
                "user_id", "feature", "team", "project", "task_type", "trace_id", "leaf_id", "tool",
                "prompt_version", "root_id", "parent_id", "attempt", "pipeline", "priority", "agent", "tag.t01",
            ]
        )
        #expect(
            tagged.dropped == [
                DroppedMetadata(key: "metadata.tag.t02", reason: .countLimit),
                DroppedMetadata(key: "metadata.tag.t03", reason: .countLimit),
            ]
        )
    }

    @Test("a custom priority moves fields ahead; unlisted fields keep the default order after them")
    func customPriority() throws {
        let propagation = MetadataPropagation(fieldPriority: ["agent", "tool"], userID: .raw)
        let keys = propagation.candidates(for: Self.fullEnvelope(tags: 1)).map(\.key)
        #expect(keys.prefix(4) == ["agent", "tool", "user_id", "feature"])
        #expect(keys.last == "tag.t01")
    }

    @Test("tag keys longer than the provider allows once prefixed are dropped, reported as such")
    func longTagKey() throws {
        var envelope = MeterEnvelopes.complete()
        envelope.tags = [String(repeating: "a", count: 64): "x"]
        let tagged = try ProviderAdapter.openAIResponses.tag(requestBody: Array("{}".utf8), envelope: envelope)
        #expect(
            tagged.dropped == [
                DroppedMetadata(key: "metadata.tag." + String(repeating: "a", count: 64), reason: .keyTooLong)
            ]
        )
    }

    @Test("the user id leaves the process only as its keyed hash, in every field")
    func keyedHashInEveryField() async throws {
        let policy = MetadataPropagation.UserIDPolicy.keyedHash(key: Array("k".utf8))
        let hash = try #require(policy.outgoingValue(for: "u_42"))
        let harness = MeterHarness(propagation: MetadataPropagation(userID: policy))
        let sent = MeterSentBodies()
        for adapter in [ProviderAdapter.openAIChatCompletions, .openAIResponses, .anthropicMessages] {
            _ = try await harness.meter.callJSON(
                adapter: adapter,
                requestBody: Array(#"{"model":"gpt-4.1","store":true,"metadata":{}}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { request in
                sent.add(request.body)
                return ProviderResponse(status: 200, body: FakeProvider(adapter).responseBody())
            }
        }
        let bodies = sent.all
        try #require(bodies.count == 3)
        for body in bodies { #expect(!body.contains("u_42"), "\(body)") }
        #expect(bodies[0].contains(#""user_id":"\#(hash)""#) && bodies[0].contains(#""safety_identifier":"\#(hash)""#))
        #expect(bodies[2].contains(#""metadata":{"user_id":"\#(hash)"}"#))
        // The ledger keeps the envelope's id (docs/metering.md).
        #expect(harness.sink.records.allSatisfy { $0.attribution[.userID] == "u_42" })
    }

    @Test("safety_identifier: 64 characters fit, 65 are dropped; the caller's own is kept")
    func safetyIdentifierLength() throws {
        for (length, fits) in [(64, true), (65, false)] {
            var envelope = MeterEnvelopes.complete()
            envelope.userID = String(repeating: "u", count: length)
            let tagged = try ProviderAdapter.openAIResponses.tag(
                requestBody: Array("{}".utf8),
                envelope: envelope,
                propagation: MetadataPropagation(openAIMetadata: false, userID: .raw)
            )
            #expect((tagged.endUserID != nil) == fits)
            #expect(tagged.dropped == (fits ? [] : [DroppedMetadata(key: "safety_identifier", reason: .valueTooLong)]))
        }
        let callers = Array(#"{"safety_identifier":"theirs"}"#.utf8)
        let tagged = try ProviderAdapter.openAIResponses.tag(
            requestBody: callers,
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(openAIMetadata: false, userID: .raw)
        )
        #expect(tagged.body == callers)
        #expect(tagged.dropped == [DroppedMetadata(key: "safety_identifier", reason: .callerValueKept)])
    }

    @Test("Anthropic metadata.user_id: 256 characters fit, 257 are dropped; the caller's own is kept")
    func anthropicUserIDLength() throws {
        for (length, fits) in [(256, true), (257, false)] {
            var envelope = MeterEnvelopes.complete()
            envelope.userID = String(repeating: "h", count: length)
            let tagged = try ProviderAdapter.anthropicMessages.tag(
                requestBody: Array("{}".utf8),
                envelope: envelope,
                propagation: MetadataPropagation(userID: .raw)
            )
            #expect((tagged.endUserID != nil) == fits)
            if !fits { #expect(tagged.body == Array("{}".utf8)) }
        }
        let callers = Array(#"{"metadata":{"user_id":"theirs"}}"#.utf8)
        let tagged = try ProviderAdapter.anthropicMessages.tag(
            requestBody: callers,
            envelope: MeterEnvelopes.complete(),
            propagation: MetadataPropagation(userID: .raw)
        )
        #expect(tagged.body == callers)
        #expect(tagged.dropped == [DroppedMetadata(key: "metadata.user_id", reason: .callerValueKept)])
    }

    static func fullEnvelope(tags: Int) -> AttributionEnvelope {
        var envelope = MeterEnvelopes.complete()
        envelope.leafID = LeafID(rawValue: 0xB7)!
        envelope.parentID = LeafID(rawValue: 0xA1)!
        envelope.attempt = 2
        envelope.tool = "search"
        envelope.promptVersion = "v7"
        envelope.pipeline = "nightly"
        envelope.priority = "low"
        envelope.agent = "planner"
        envelope.tags = Dictionary(
            uniqueKeysWithValues: (1...max(1, tags)).map { ("t" + ($0 < 10 ? "0" : "") + String($0), "x") }
        )
        return envelope
    }
}

/// Request bodies seen by a test's fake transport.
final class MeterSentBodies: Sendable {
    private let state = Lock<[String]>([])
    var all: [String] { state.withLock { $0 } }
    func add(_ body: [UInt8]) { state.withLock { $0.append(String(decoding: body, as: UTF8.self)) } }
}
