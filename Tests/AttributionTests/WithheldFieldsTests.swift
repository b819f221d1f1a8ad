import Attribution
import Foundation
import Synchronization
import Testing

/// Records announced units in memory.
private final class UnitLog: UnitAnnouncer {
    let units = Lock<[AttributionEnvelope]>([])
    func announce(_ envelope: AttributionEnvelope) throws { units.withLock { $0.append(envelope) } }
}

@Suite("A policy keeps withheld fields out of every outbound form, omitted and never hashed")
struct WithheldFieldsTests {
    /// Requires the five business fields; keeps `user_id` and `project` in the process.
    static let policy = AttributionPolicy.default.withholding([.userID, .project])

    /// `Fixture.typicalJSON` without `"user_id":"u_42",` and `"project":"assistant",`: the envelope's other
    /// bytes, in place.
    static let withheldJSON =
        #"{"v":1,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"00f067aa0ba902b7","#
        + #""root_id":"00f067aa0ba902b7","attempt":1,"created_at":"2026-11-24T16:02:00.123Z","#
        + #""feature":"summarize","team":"growth","task_type":"summarize","tool":"web_search","#
        + #""prompt_version":"v3","tags":{"env":"prod","region":"eu"}}"#

    @Test("withholding adds to what is withheld, keeps what is required, and leaves the default unchanged")
    func policyValue() throws {
        #expect(AttributionPolicy.default.withheld.isEmpty)
        #expect(Self.policy.required == AttributionField.business)
        #expect(Self.policy.withheld == [.userID, .project])
        #expect(Self.policy.withholding([.tool, .userID]).withheld == [.userID, .project, .tool])
        let typical = try Fixture.typical()
        #expect(AttributionPolicy.default.outbound(typical) == typical)
        let out = Self.policy.outbound(typical)
        #expect(out.userID == nil && out.project == nil)
        #expect(out.feature == "summarize" && out.team == "growth" && out.tags == typical.tags)
        // Tagging still requires a withheld field: it is required in the process, only kept from leaving it.
        #expect(throws: AttributionError.self) {
            try AttributionEnvelope.tag(
                fields: [.feature: "f", .team: "t", .project: "p", .taskType: "k"],
                policy: Self.policy
            )
        }
    }

    @Test("the JSON form omits the withheld keys and keeps every other byte")
    func jsonForm() throws {
        let typical = try Fixture.typical()
        #expect(try typical.canonicalJSONString() == Fixture.typicalJSON)
        let bytes = try typical.canonicalJSON(policy: Self.policy)
        #expect(String(decoding: bytes, as: UTF8.self) == Self.withheldJSON)
        #expect(try typical.canonicalJSON(policy: .default) == typical.canonicalJSON())
    }

    @Test("the header form has no baggage member for a withheld field")
    func headerForm() throws {
        let typical = try Fixture.typical()
        let full = try typical.headerFields()
        let fields = try typical.headerFields(policy: Self.policy)
        #expect(fields.map(\.name) == ["traceparent", "baggage"])
        #expect(fields[0].value == full[0].value)
        let members = fields[1].value.split(separator: ",").map { $0.split(separator: "=")[0] }
        #expect(!members.contains("user_id") && !members.contains("project"))
        #expect(members.contains("feature") && members.contains("team") && members.contains("tag.env"))
        #expect(!fields[1].value.contains("u_42") && !fields[1].value.contains("assistant"))
        // Read back, the envelope is the one the policy lets out, and passes the receiving check.
        let back = try AttributionEnvelope(headers: fields)
        #expect(back == Self.policy.outbound(typical))
        try Self.policy.checkReceived(back)
        #expect(throws: AttributionError.self) { try Self.policy.check(back) }
    }

    @Test("a payload embed carries the envelope without the withheld fields, and the payload's own keys as they were")
    func payloadEmbed() throws {
        let typical = try Fixture.typical()
        let job = Array(#"{"document_id":"d_9","user_id":"kept: the job's own key"}"#.utf8)
        let payload = try typical.embed(into: job, policy: Self.policy)
        #expect(
            String(decoding: payload, as: UTF8.self)
                == #"{"attribution":"# + Self.withheldJSON
                + #","document_id":"d_9","user_id":"kept: the job's own key"}"#
        )
    }

    @Test("the job middleware announces the unit in full and hands the queue the envelope without withheld fields")
    func middleware() throws {
        let log = UnitLog()
        let middleware = AttributionJobMiddleware(policy: Self.policy, announcer: log)
        let request = try AttributionEnvelope.tag(
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize"
        )
        // Bytes.
        let payload = try middleware.prepare(Array(#"{"n":1}"#.utf8), parent: request)
        let text = String(decoding: payload, as: UTF8.self)
        #expect(!text.contains("user_id") && !text.contains("u_42") && !text.contains("assistant"))
        let queued = try AttributionEnvelope.extract(from: payload)
        #expect(queued.userID == nil && queued.project == nil && queued.feature == "summarize")
        // The ledger's announcement keeps them: the audit resolves the job's records through this unit.
        let announced = log.units.withLock { $0 }
        #expect(announced.count == 1)
        #expect(announced.first?.userID == "u_42" && announced.first?.project == "assistant")
        #expect(announced.first.map(Self.policy.outbound) == queued)
        // The enqueue hook accepts the payload it was given; the worker gets the withheld envelope.
        let context = JobContext(jobName: "summarize")
        #expect(try middleware.willEnqueue(payload, context: context) == payload)
        #expect(try middleware.willPerform(payload, context: context) == queued)
        // A worker enqueuing a follow-up job from the envelope it received is not refused for the withheld field.
        let next = try middleware.jobEnvelope(parent: queued)
        #expect(next.userID == nil && next.parentID == queued.leafID)
        // Codable.
        struct Job: Codable, Sendable { var n: Int }
        let codable = try middleware.prepare(payload: Job(n: 2), parent: request)
        let encoded = String(decoding: try JSONEncoder().encode(codable), as: UTF8.self)
        #expect(!encoded.contains("user_id") && !encoded.contains("assistant"))
        // A field the policy requires and does not withhold is still refused.
        var partial = queued
        partial.team = nil
        #expect(throws: AttributionError.self) { try middleware.jobEnvelope(parent: partial) }
    }
}
