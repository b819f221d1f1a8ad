import Attribution
import AttributionTesting
import Testing

@Suite("Tagging at submission: fail closed, stamped, pseudonymised once")
struct TaggingTests {
    let ids = DeterministicIdentifierSource(seed: 11)
    let clock = FixedClock(UTCTimestamp(nanosecondsSinceEpoch: 1_795_968_120_123_456_789))

    @Test("tagging mints a root unit of a new trace, stamped with the clock's time to the millisecond")
    func mintsRoot() throws {
        let envelope = try AttributionEnvelope.tag(
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            tool: "web_search",
            tags: ["env": "prod"],
            ids: ids,
            clock: clock
        )
        #expect(envelope.rootID == envelope.leafID)
        #expect(envelope.parentID == nil)
        #expect(envelope.attempt == 1)
        #expect(envelope.createdAt?.description == "2026-11-29T16:02:00.123Z")
        #expect(envelope.createdAt?.nanosecondsSinceEpoch == 1_795_968_120_123_000_000)
        #expect(envelope.tool == "web_search")
        // The tagged value survives the wire unchanged.
        #expect(try AttributionEnvelope(json: envelope.canonicalJSON()) == envelope)
        let other = try AttributionEnvelope.tag(
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            ids: ids,
            clock: clock
        )
        #expect(other.traceID != envelope.traceID)
    }

    @Test("a missing required field is refused, and one error lists every missing field")
    func failsClosed() throws {
        let error = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.tag(
                fields: [.userID: "u_42", .team: "growth"],
                policy: .default,
                ids: ids,
                clock: clock
            )
        }
        #expect(error?.code == .missingFields)
        #expect(error?.reason == "required attribution missing: feature, project, task_type")
        let all = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.tag(fields: [:], policy: .default, ids: ids, clock: clock)
        }
        #expect(all?.reason == "required attribution missing: user_id, feature, team, project, task_type")
        let one = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.tag(
                fields: [.userID: "u", .feature: "f", .team: "t", .project: "p"],
                policy: .default,
                ids: ids,
                clock: clock
            )
        }
        #expect(one?.field == "task_type")
        // The message names the missing field once, not once as the field and again in the reason.
        #expect(one?.description == "required attribution missing: task_type")
        #expect(error?.description == "required attribution missing: feature, project, task_type")
    }

    @Test("the labelled form takes the five required fields; a custom policy's extra field is checked at run time")
    func requiredFieldsAreParameters() throws {
        // `AttributionEnvelope.tag()` and any call leaving out one of userID, feature, team, project or
        // taskType do not compile: those parameters have no default.
        let custom = AttributionPolicy(required: AttributionField.business + [.agent])
        let refused = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.tag(
                userID: "u",
                feature: "f",
                team: "t",
                project: "p",
                taskType: "k",
                policy: custom,
                ids: ids,
                clock: clock
            )
        }
        #expect(refused?.code == .missingFields)
        #expect(refused?.description == "required attribution missing: agent")
        let envelope = try AttributionEnvelope.tag(
            userID: "u",
            feature: "f",
            team: "t",
            project: "p",
            taskType: "k",
            agent: "planner",
            policy: custom,
            ids: ids,
            clock: clock
        )
        #expect(envelope.agent == "planner")
        #expect(AttributionField.business.allSatisfy { envelope[$0] != nil })
    }

    @Test("the fields form sets any field by AttributionField, whose allCases is every field in canonical order")
    func fieldsForm() throws {
        #expect(
            AttributionField.allCases.map(\.name) == [
                "user_id", "feature", "team", "project", "task_type", "tool", "prompt_version", "pipeline",
                "priority", "agent",
            ]
        )
        let fields = Dictionary(uniqueKeysWithValues: AttributionField.allCases.map { ($0, "v_" + $0.name) })
        let envelope = try AttributionEnvelope.tag(
            fields: fields,
            pseudonymize: { "p_" + $0 },
            policy: .default,
            ids: ids,
            clock: clock
        )
        for field in AttributionField.allCases where field != .userID {
            #expect(envelope[field] == "v_" + field.name, "\(field)")
        }
        #expect(envelope.userID == "p_v_user_id")
    }

    @Test("a policy decides which fields are required")
    func policy() throws {
        let envelope = try AttributionEnvelope.tag(fields: [.feature: "nightly"], policy: .none, ids: ids, clock: clock)
        #expect(envelope.feature == "nightly")
        let custom = AttributionPolicy(required: [.agent, .team])
        let error = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.tag(fields: [.team: "ml"], policy: custom, ids: ids, clock: clock)
        }
        #expect(error?.reason == "required attribution missing: agent")
        #expect(custom.missingFields(in: try Fixture.typical()) == [.agent])
    }

    @Test("an invalid value is refused at tagging, naming the field")
    func invalidValue() throws {
        let error = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.tag(
                userID: "u",
                feature: "",
                team: "t",
                project: "p",
                taskType: "x",
                ids: ids,
                clock: clock
            )
        }
        #expect(error?.field == "feature")
        let tagError = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.tag(
                userID: "u",
                feature: "f",
                team: "t",
                project: "p",
                taskType: "x",
                tags: ["Bad Key": "v"],
                ids: ids,
                clock: clock
            )
        }
        #expect(tagError?.field == "tags")
    }

    @Test("pseudonymising happens once, at tagging, and every later form carries the same id")
    func pseudonymiseOnce() throws {
        let calls = Lock(0)
        let envelope = try AttributionEnvelope.tag(
            userID: "alice@example.com",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            pseudonymize: { raw in
                calls.withLock { $0 += 1 }
                return "u_" + String(raw.utf8.count)
            },
            ids: ids,
            clock: clock
        )
        #expect(envelope.userID == "u_17")
        let child = envelope.child(tool: "search", ids: ids)
        let retried = child.retried()
        let decoded = try AttributionEnvelope(json: retried.canonicalJSON())
        #expect(child.userID == "u_17")
        #expect(decoded.userID == "u_17")
        #expect(try !decoded.canonicalJSONString().contains("alice"))
        #expect(calls.withLock { $0 } == 1)
    }
}
