import Attribution
import AttributionTesting
import CostLedger
import Testing

@Suite("Unit announcements")
struct UnitAnnouncementTests {
    @Test("announce writes a unit record: id unit:+leaf_id, kind unit, lineage and attribution, no tokens")
    func announceShape() throws {
        let harness = MeterHarness()
        let parent = MeterEnvelopes.complete()
        let child = parent.child(tool: "search", ids: MeterTestIDs())
        try harness.meter.announce(child)
        let record = try #require(harness.sink.records.first)
        #expect(record.recordID == "unit:" + child.leafID.description)
        #expect(record.kind == .unit)
        #expect(record.provider == nil && record.model == nil && record.apiKeyID == nil)
        #expect(record.usage == TokenUsage())
        #expect(record.costUSD == nil && record.priceSource == nil)
        #expect(record.status == .ok)
        #expect(record.traceID == parent.traceID)
        #expect(record.leafID == child.leafID)
        #expect(record.parentID == parent.leafID)
        #expect(record.rootID == parent.rootID)
        #expect(record.attempt == 1)
        #expect(record.attribution[.tool] == "search")
        #expect(record.attribution[.userID] == "u_42")
        #expect(record.tags == ["env": "prod"])
        #expect(record.timestamp == UTCTimestamp(millisecondsSinceEpoch: MeterTestClock.start + 1_000))
        #expect(harness.meter.statistics.unitsAnnounced == 1)
    }

    @Test("tagging through the meter announces the root unit, stamped with created_at")
    func tagAnnouncesRoot() throws {
        let harness = MeterHarness()
        let envelope = try harness.meter.tag(
            userID: "u_7",
            feature: "search",
            team: "core",
            project: "web",
            taskType: "answer",
            pseudonymize: { "p_" + $0 }
        )
        #expect(envelope.isRoot)
        #expect(envelope.userID == "p_u_7")
        let record = try #require(harness.sink.records.first)
        #expect(record.recordID == "unit:" + envelope.leafID.description)
        #expect(record.kind == .unit)
        #expect(record.leafID == envelope.leafID && record.rootID == envelope.leafID && record.parentID == nil)
        #expect(record.traceID == envelope.traceID)
        #expect(record.timestamp == envelope.createdAt)
        #expect(record.attribution[.userID] == "p_u_7")
    }

    @Test("strict tagging with missing fields is refused and announces nothing; lenient tagging announces")
    func tagRefusal() throws {
        let strict = MeterHarness()
        let error = #expect(throws: AttributionError.self) {
            try strict.meter.tag(fields: [.userID: "u_1", .feature: "f"])
        }
        #expect(error?.code == .missingFields)
        #expect(error?.description == "required attribution missing: team, project, task_type")
        #expect(strict.sink.records.isEmpty)

        let lenient = MeterHarness(mode: .lenient)
        let envelope = try lenient.meter.tag(fields: [.feature: "f"])
        #expect(lenient.sink.records.map(\.leafID) == [envelope.leafID])
    }

    @Test("every tagging refusal, the core's and the meter's, is an AttributionError caught by one catch clause")
    func oneRefusalError() throws {
        let strict = MeterHarness()
        let agentPolicy = CostMeter(
            sink: strict.sink,
            policy: AttributionPolicy(required: AttributionField.business + [.agent]),
            ids: MeterTestIDs(),
            clock: MeterTestClock()
        )
        let refusals: [(String, () throws -> AttributionEnvelope)] = [
            (
                "required attribution missing: user_id, feature, project, task_type",
                { try AttributionEnvelope.tag(fields: [.team: "t"], policy: .default) }
            ),
            (
                "required attribution missing: user_id, feature, project, task_type",
                { try strict.meter.tag(fields: [.team: "t"]) }
            ),
            (
                "required attribution missing: agent",
                { try agentPolicy.tag(userID: "u", feature: "f", team: "t", project: "p", taskType: "k") }
            ),
            (
                "feature: must not be empty",
                { try strict.meter.tag(userID: "u", feature: "", team: "t", project: "p", taskType: "k") }
            ),
        ]
        for (message, refusal) in refusals {
            do {
                let envelope = try refusal()
                Issue.record("not refused: \(envelope)")
            } catch let error as AttributionError {
                #expect(error.description == message)
            } catch {
                Issue.record("refused with \(type(of: error)), not AttributionError: \(error)")
            }
        }
        #expect(strict.sink.records.isEmpty)
    }

    @Test("an invalid envelope cannot be announced")
    func invalidEnvelope() throws {
        let harness = MeterHarness()
        var envelope = MeterEnvelopes.complete()
        envelope.attempt = 0
        let error = #expect(throws: CostLedgerError.self) { try harness.meter.announce(envelope) }
        #expect(error?.code == .invalidRecord)
        #expect(error?.attributionError?.field == "attempt")
        #expect(harness.sink.records.isEmpty)
    }

    @Test("announce throws the sink's error; tag returns the envelope and reports it")
    func sinkFailures() throws {
        let issues = MeterIssueLog()
        let meter = CostMeter(sink: MeterFailingSink(), clock: MeterTestClock(), onIssue: issues.append)
        #expect(throws: CostLedgerError.self) { try meter.announce(MeterEnvelopes.complete()) }
        let envelope = try meter.tag(userID: "u", feature: "f", team: "t", project: "p", taskType: "k")
        #expect(issues.all.map(\.record.recordID) == ["unit:" + envelope.leafID.description])
        #expect(meter.statistics.sinkFailures == 2)
    }

    @Test("a unit's calls and its announcement share the leaf, so lineage holds without a call at the root")
    func lineage() async throws {
        let harness = MeterHarness()
        let root = try harness.meter.tag(userID: "u", feature: "f", team: "t", project: "p", taskType: "k")
        let worker = root.child(tool: "summarize", ids: MeterTestIDs())
        _ = try await harness.meter.call(provider: "openai", model: "o3", attribution: .envelope(worker)) { _ in
            ((), TokenUsage(input: 10, output: 10))
        }
        let records = harness.sink.records
        try #require(records.count == 2)
        #expect(records[0].kind == .unit && records[1].kind == .call)
        #expect(records[1].parentID == records[0].leafID)
        #expect(records[1].rootID == records[0].leafID)
    }

    @Test("the unit record's ledger line carries lineage and attribution and no call fields")
    func unitWireForm() throws {
        let harness = MeterHarness()
        try harness.meter.announce(MeterEnvelopes.complete())
        let record = try #require(harness.sink.records.first)
        let line = String(decoding: record.jsonLine(), as: UTF8.self)
        #expect(
            line == #"{"v":1,"record_id":"unit:00f067aa0ba902b7","kind":"unit","ts":"2025-11-24T00:00:01.000Z","#
                + #""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"00f067aa0ba902b7","#
                + #""root_id":"00f067aa0ba902b7","attempt":1,"user_id":"u_42","feature":"summarize","team":"growth","#
                + #""project":"assistant","task_type":"summarize","tags":{"env":"prod"}}"# + "\n"
        )
        #expect(try CostRecord.decode(line: Array(line.utf8).dropLast()) == record)
    }

    @Test("a lenient unattributed call's ledger line has no envelope keys, and reads back")
    func unattributedWireForm() async throws {
        let harness = MeterHarness(mode: .lenient)
        _ = try await harness.meter.call(provider: "openai", model: "gpt-4.1", attribution: .unattributed) { _ in
            ((), TokenUsage(input: 100, output: 20))
        }
        let record = try #require(harness.sink.records.first)
        let line = String(decoding: record.jsonLine(), as: UTF8.self)
        for key in ["trace_id", "leaf_id", "root_id", "attempt", "user_id", "tags", "kind", "status"] {
            #expect(!line.contains("\"\(key)\""), "\(key) in \(line)")
        }
        #expect(line.contains(#""input_tokens":100,"output_tokens":20"#))
        #expect(try CostRecord.decode(line: Array(line.utf8).dropLast()) == record)
    }
}
