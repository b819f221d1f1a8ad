import Attribution
import AttributionTesting
import CostLedger
import Testing

/// Tags a request, fans out two announced children and meters one call under the first: the same steps a
/// service under test would take.
private func exercise(_ meter: CostMeter) async throws {
    let request = try meter.tag(userID: "u_7", feature: "search", team: "core", project: "app", taskType: "answer")
    // Children minted beside the meter take their ids from the meter's own seeded source.
    let children = request.children(count: 2, ids: meter.ids)
    for child in children { try meter.announce(child) }
    _ = try await meter.call(provider: "openai", model: "gpt-4.1", attribution: .envelope(children[0])) { _ in
        ("reply", TokenUsage(input: 1_000, output: 200))
    }
}

@Suite("The test kit's one-line meter")
struct TestMeterTests {
    @Test("two test meters with the same seed and time write identical records")
    func sameSeedSameRecords() async throws {
        let (first, firstSink) = try CostMeter.testing(seed: 7, now: "2026-11-30T10:00:00Z")
        let (second, secondSink) = try CostMeter.testing(seed: 7, now: "2026-11-30T10:00:00Z")
        try await exercise(first)
        try await exercise(second)
        #expect(firstSink.records.count == 4)
        #expect(firstSink.records == secondSink.records)
        let call = try #require(firstSink.records.first { $0.kind == .call })
        #expect(call.timestamp == (try UTCTimestamp(rfc3339: "2026-11-30T10:00:00Z")))
        #expect(call.attribution[.userID] == "u_7")
    }

    @Test("a different seed gives different ids and record ids")
    func differentSeedDifferentIDs() async throws {
        let (first, firstSink) = try CostMeter.testing(seed: 7)
        let (second, secondSink) = try CostMeter.testing(seed: 8)
        try await exercise(first)
        try await exercise(second)
        #expect(firstSink.records.map(\.traceID) != secondSink.records.map(\.traceID))
        #expect(firstSink.records.map(\.recordID) != secondSink.records.map(\.recordID))
    }

    @Test("a test meter's time that is not RFC 3339 is refused, naming `now` and the value")
    func badTimeRefused() {
        let error = #expect(throws: AttributionError.self) {
            _ = try CostMeter.testing(now: "yesterday")
        }
        #expect(error?.field == "now")
        #expect(error?.description.contains("yesterday") == true)
    }

    @Test("deterministic record ids repeat per seed, never within one source, as 32 lowercase hex characters")
    func deterministicRecordIDs() {
        let a = DeterministicRecordIDSource(seed: 3)
        let b = DeterministicRecordIDSource(seed: 3)
        let first = (0..<10_000).map { _ in a.nextRecordID() }
        #expect(first == (0..<10_000).map { _ in b.nextRecordID() })
        #expect(Set(first).count == first.count)
        #expect(
            first.allSatisfy {
                $0.utf8.count == 32 && $0.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
            }
        )
        #expect(DeterministicRecordIDSource(seed: 4).nextRecordID() != first[0])
    }
}
