import Attribution
import AttributionTesting
import Foundation
import Testing

@Suite("Retry and fan-out: pure operations on the envelope")
struct LineageTests {
    @Test("a retry increments attempt and changes nothing else")
    func retry() throws {
        var envelope = try Fixture.typical()
        envelope.unknownFields = [.init(key: "later", json: "[1]")]
        let retried = envelope.retried()
        #expect(retried.attempt == 2)
        var expected = envelope
        expected.attempt = 2
        #expect(retried == expected)
        #expect(retried.retried().attempt == 3)
        #expect(
            try retried.canonicalJSONString()
                == envelope.canonicalJSONString().replacingOccurrences(of: #""attempt":1"#, with: #""attempt":2"#)
        )
    }

    @Test("a retry at the largest attempt stays valid instead of overflowing")
    func retryAtMax() throws {
        var envelope = try Fixture.typical()
        envelope.attempt = AttributionEnvelope.Limits.maxAttempt
        #expect(envelope.retried().attempt == AttributionEnvelope.Limits.maxAttempt)
        #expect(throws: Never.self) { try envelope.retried().canonicalJSON() }
    }

    @Test("a retry issued inside another user's context keeps the original user_id and trace_id")
    func operatorRetry() async throws {
        let ids = DeterministicIdentifierSource(seed: 1)
        let clock = try FixedClock(rfc3339: "2026-11-24T16:00:00.000Z")
        let original = try AttributionEnvelope.tag(
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            ids: ids,
            clock: clock
        )
        let operatorEnvelope = try AttributionEnvelope.tag(
            userID: "operator_7",
            feature: "admin",
            team: "ops",
            project: "console",
            taskType: "retry",
            ids: ids,
            clock: clock
        )
        let retried = await withAttribution(operatorEnvelope) { () async -> AttributionEnvelope in
            #expect(AttributionEnvelope.current?.userID == "operator_7")
            return original.retried()
        }
        #expect(retried.userID == "u_42")
        #expect(retried.traceID == original.traceID)
        #expect(retried.leafID == original.leafID)
        #expect(retried.attempt == 2)
        // The same holds for a child minted in that context.
        let child = AttributionEnvelope.withAttribution(operatorEnvelope) { original.child(tool: "search", ids: ids) }
        #expect(child.userID == "u_42")
        #expect(child.traceID == original.traceID)
    }

    @Test("a child has a new leaf, parent = this leaf, the same trace and root, attempt 1, the same attribution")
    func child() throws {
        var parent = try Fixture.typical()
        parent.attempt = 3
        let ids = DeterministicIdentifierSource(seed: 9)
        let child = parent.child(ids: ids)
        #expect(child.leafID != parent.leafID)
        #expect(child.parentID == parent.leafID)
        #expect(child.traceID == parent.traceID)
        #expect(child.rootID == parent.rootID)
        #expect(child.attempt == 1)
        for field in AttributionField.all { #expect(child[field] == parent[field], "\(field)") }
        #expect(child.tags == parent.tags)
        #expect(child.createdAt == parent.createdAt)
        // A grandchild keeps the root, and its parent is the child.
        let grandchild = child.child(ids: ids)
        #expect(grandchild.rootID == parent.leafID)
        #expect(grandchild.parentID == child.leafID)
        #expect(try AttributionEnvelope(json: grandchild.canonicalJSON()) == grandchild)
    }

    @Test("a child's overrides replace only the fields given; tags merge over the parent's")
    func childOverrides() throws {
        let parent = try Fixture.typical()
        let child = parent.child(taskType: "retrieval", tool: "vector_search", tags: ["env": "staging", "shard": "3"])
        #expect(child.tool == "vector_search")
        #expect(child.taskType == "retrieval")
        #expect(child.userID == parent.userID)
        #expect(child.feature == parent.feature)
        #expect(child.promptVersion == parent.promptVersion)
        #expect(child.tags == ["env": "staging", "region": "eu", "shard": "3"])
    }

    @Test("fan-out mints N children with distinct leaves, all children of this unit", arguments: [0, 1, 3, 50])
    func fanOut(_ count: Int) throws {
        let parent = try Fixture.typical()
        let children = parent.children(count: count) { index, child in child.tool = "tool_\(index)" }
        #expect(children.count == count)
        #expect(Set(children.map(\.leafID)).count == count)
        #expect(!children.contains { $0.leafID == parent.leafID })
        for (index, child) in children.enumerated() {
            #expect(child.parentID == parent.leafID)
            #expect(child.traceID == parent.traceID)
            #expect(child.rootID == parent.rootID)
            #expect(child.attempt == 1)
            #expect(child.tool == "tool_\(index)")
            #expect(child.userID == parent.userID)
        }
    }

    @Test("children(for:setting:) mints one child per value, in order, with the value in the chosen field")
    func childrenSettingKeyPath() throws {
        let parent = try Fixture.typical()
        let tools = ["web_search", "fetch", "rank"]
        let children = parent.children(for: tools, setting: \.tool)
        #expect(children.map(\.tool) == tools)
        #expect(Set(children.map(\.leafID)).count == 3)
        #expect(children.allSatisfy { $0.parentID == parent.leafID && $0.traceID == parent.traceID })
        #expect(children.allSatisfy { $0.rootID == parent.rootID && $0.taskType == parent.taskType })
    }

    @Test("children(for:customize:) mints one child per input and sets its fields from that input")
    func childrenForInputs() throws {
        let parent = try Fixture.typical()
        let shards = [(name: "eu", agent: "a1"), (name: "us", agent: "a2")]
        let children = parent.children(for: shards) { shard, child in
            child.tags["shard"] = shard.name
            child.agent = shard.agent
        }
        #expect(children.map { $0.tags["shard"] } == ["eu", "us"])
        #expect(children.map(\.agent) == ["a1", "a2"])
        #expect(children.allSatisfy { $0.parentID == parent.leafID && $0.attempt == 1 })
    }

    @Test("fan-out with a deterministic source is reproducible and still distinct")
    func fanOutDeterministic() throws {
        let parent = try Fixture.typical()
        let a = parent.children(count: 5, ids: DeterministicIdentifierSource(seed: 4))
        let b = parent.children(count: 5, ids: DeterministicIdentifierSource(seed: 4))
        #expect(a == b)
        #expect(Set(a.map(\.leafID)).count == 5)
    }
}
