import Attribution
import AttributionTesting
import CostLedger
import Foundation
import Testing

@Suite("Provider metadata leaves out the fields an attribution policy withholds")
struct WithheldMetadataTests {
    /// user_id and project stay in the process; the user id would otherwise leave as its keyed hash.
    static let policy = AttributionPolicy.default.withholding([.userID, .project])
    static let userIDPolicy = MetadataPropagation.UserIDPolicy.keyedHash(key: Array("k".utf8))

    @Test("a withheld user_id is sent in no field, neither raw nor hashed; other fields still are")
    func neitherRawNorHashed() async throws {
        let hash = try #require(Self.userIDPolicy.outgoingValue(for: "u_42"))
        let harness = MeterHarness(
            propagation: MetadataPropagation(userID: Self.userIDPolicy, withheld: Self.policy.withheld)
        )
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
        for body in bodies {
            #expect(!body.contains("u_42") && !body.contains(hash), "\(body)")
            #expect(!body.contains("user_id") && !body.contains("safety_identifier") && !body.contains("project"))
        }
        // OpenAI still gets the fields not withheld; Anthropic, whose only metadata is the user id, gets none.
        for body in bodies[0...1] {
            #expect(body.contains(#""feature":"summarize""#) && body.contains(#""team":"growth""#), "\(body)")
        }
        #expect(bodies[2] == #"{"model":"gpt-4.1","store":true,"metadata":{}}"#)
        // The ledger is not an outbound form: its records keep every field (docs/formats.md).
        #expect(harness.sink.records.count == 3)
        #expect(
            harness.sink.records.allSatisfy {
                $0.attribution[.userID] == "u_42" && $0.attribution[.project] == "assistant"
            }
        )
    }

    @Test("a meter's own policy keeps its withheld fields out of the requests it tags, and in its records")
    func meterPolicy() async throws {
        let sink = MeterRecordingSink()
        let meter = CostMeter(
            sink: sink,
            policy: Self.policy,
            propagation: MetadataPropagation(userID: Self.userIDPolicy)  // nothing withheld here: the policy decides
        )
        let hash = try #require(Self.userIDPolicy.outgoingValue(for: "u_42"))
        let sent = MeterSentBodies()
        for adapter in [ProviderAdapter.openAIResponses, .anthropicMessages] {
            _ = try await meter.callJSON(
                adapter: adapter,
                requestBody: Array(#"{"model":"gpt-4.1"}"#.utf8),
                attribution: .envelope(MeterEnvelopes.complete())
            ) { request in
                sent.add(request.body)
                return ProviderResponse(status: 200, body: FakeProvider(adapter).responseBody())
            }
        }
        let bodies = sent.all
        try #require(bodies.count == 2)
        for body in bodies {
            #expect(!body.contains(hash) && !body.contains("user_id") && !body.contains("assistant"), "\(body)")
        }
        #expect(bodies[0].contains(#""feature":"summarize""#))
        #expect(sink.records.count == 2)
        #expect(
            sink.records.allSatisfy { $0.attribution[.userID] == "u_42" && $0.attribution[.project] == "assistant" }
        )
    }

    @Test("docs/formats.md's snippet: one policy keeps user_id out of the queue, the headers and the provider")
    func docsSnippet() async throws {
        let ledger = MeterRecordingSink()
        let request = MeterEnvelopes.complete()
        let job = Array(#"{"document_id":42}"#.utf8)

        // snippet: formats-withheld-fields
        // user_id is required where a request is tagged, and never leaves the process.
        let policy = AttributionPolicy.default.withholding([.userID])
        let meter = CostMeter(sink: ledger, policy: policy)  // no user_id in provider requests either
        let middleware = AttributionJobMiddleware(policy: policy, announcer: meter)
        let payload = try middleware.prepare(job, parent: request)  // no user_id in the queue
        let headers = try request.headerFields(policy: policy)  // none in the baggage of an HTTP hop
        // end snippet

        #expect(!String(decoding: payload, as: UTF8.self).contains("user_id"))
        #expect(headers.count == 2 && !headers[1].value.contains("user_id"))
        let worker = try AttributionEnvelope.extract(from: payload)
        let body = Array(#"{"model":"gpt-4.1","store":true}"#.utf8)
        _ = try await meter.callJSON(adapter: .openAIResponses, requestBody: body, attribution: .envelope(worker)) {
            request in
            let sent = String(decoding: request.body, as: UTF8.self)
            #expect(!sent.contains("user_id") && !sent.contains("u_42") && sent.contains(#""feature":"summarize""#))
            return ProviderResponse(status: 200, body: FakeProvider(.openAIResponses).responseBody())
        }
        // The ledger holds the job's unit with its user id, and the worker's call without it: the audit gives
        // the call the unit's attribution through its leaf id (docs/audit.md).
        let records = ledger.records
        try #require(records.count == 2)
        #expect(records[0].kind == .unit && records[0].attribution[.userID] == "u_42")
        #expect(records[1].leafID == records[0].leafID && records[1].attribution[.userID] == nil)
    }

    @Test("withheld fields are no candidates at all, so they take none of OpenAI's 16 slots")
    func noCandidates() {
        let full = MetadataPropagation(userID: .raw).candidates(for: MeterEnvelopes.complete()).map(\.key)
        let withheld = MetadataPropagation(userID: .raw, withheld: Self.policy.withheld)
            .candidates(for: MeterEnvelopes.complete()).map(\.key)
        #expect(full.contains("user_id") && full.contains("project"))
        #expect(withheld == full.filter { $0 != "user_id" && $0 != "project" })
    }

    @Test("the tagged request reports no end-user id when user_id is withheld")
    func noEndUserID() throws {
        for adapter in [ProviderAdapter.openAIResponses, .anthropicMessages] {
            let tagged = try adapter.tag(
                requestBody: Array("{}".utf8),
                envelope: MeterEnvelopes.complete(),
                propagation: MetadataPropagation(openAIMetadata: false, userID: .raw, withheld: [.userID])
            )
            #expect(tagged.endUserID == nil)
            #expect(tagged.body == Array("{}".utf8))
        }
    }
}
