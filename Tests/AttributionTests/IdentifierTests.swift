import Attribution
import AttributionTesting
import Testing

@Suite("Identifiers: W3C forms, validation, deterministic sources")
struct IdentifierTests {
    @Test("valid trace and leaf ids parse and print back unchanged")
    func valid() throws {
        #expect(try TraceID(Fixture.trace).description == Fixture.trace)
        #expect(try LeafID(Fixture.leaf).description == Fixture.leaf)
        #expect(try TraceID("00000000000000000000000000000001").low == 1)
        #expect(try LeafID("ffffffffffffffff").rawValue == .max)
    }

    @Test(
        "invalid trace ids are refused naming trace_id",
        arguments: [
            "4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e473", "4bf92f3577b34da6a3ce929d0e0e47366",
            "00000000000000000000000000000000", "4bf92f3577b34da6a3ce929d0e0e473g", "",
            " 4bf92f3577b34da6a3ce929d0e0e473",
            "4bf92f3577b34da6-3ce929d0e0e4736",
        ]
    )
    func invalidTrace(_ text: String) throws {
        #expect(throws: AttributionError(.invalidIdentifier, reason: "")) { try TraceID(text) }
        let error = decodeError(Fixture.replacing("trace_id", with: #""trace_id":"\#(text)""#))
        #expect(error?.code == .invalidIdentifier)
        #expect(error?.field == "trace_id")
    }

    @Test(
        "invalid leaf ids are refused naming the field they are in",
        arguments: [
            "00F067AA0BA902B7", "00f067aa0ba902b", "00f067aa0ba902b77", "0000000000000000", "00f067aa0ba902bz",
            "00f067aa0ba902b\u{e9}",
        ]
    )
    func invalidLeaf(_ text: String) throws {
        #expect(throws: AttributionError(.invalidIdentifier, reason: "")) { try LeafID(text) }
        for key in ["leaf_id", "root_id", "parent_id"] {
            let error = decodeError(Fixture.replacing(key, with: #""\#(key)":"\#(text)""#))
            #expect(error?.code == .invalidIdentifier, "\(key)")
            #expect(error?.field == key)
        }
    }

    @Test("an all-zero id says so")
    func allZero() throws {
        let error = decodeError(Fixture.replacing("leaf_id", with: #""leaf_id":"0000000000000000""#))
        #expect(error?.reason == "must not be all zero")
        #expect(TraceID(high: 0, low: 0) == nil)
        #expect(LeafID(rawValue: 0) == nil)
    }

    @Test("random ids are valid and differ")
    func random() throws {
        let leaves = Set((0..<1000).map { _ in LeafID.random() })
        #expect(leaves.count == 1000)
        let traces = Set((0..<1000).map { _ in TraceID.random() })
        #expect(traces.count == 1000)
        for id in leaves { #expect(try LeafID(id.description) == id) }
    }

    @Test("a deterministic source repeats its sequence for the same seed and differs for another")
    func deterministicSequence() throws {
        let a = DeterministicIdentifierSource(seed: 7)
        let b = DeterministicIdentifierSource(seed: 7)
        let c = DeterministicIdentifierSource(seed: 8)
        let first = (0..<5).map { _ in a.nextLeafID() }
        #expect(first == (0..<5).map { _ in b.nextLeafID() })
        #expect(first != (0..<5).map { _ in c.nextLeafID() })
        #expect(a.nextTraceID() == b.nextTraceID())
    }

    @Test("a deterministic source's ids are valid and distinct")
    func deterministicDistinct() throws {
        let source = DeterministicIdentifierSource(seed: 0)
        let leaves = (0..<20_000).map { _ in source.nextLeafID() }
        #expect(Set(leaves).count == leaves.count)
        let traces = (0..<5000).map { _ in source.nextTraceID() }
        #expect(Set(traces).count == traces.count)
        for id in leaves.prefix(100) { #expect(try LeafID(id.description) == id) }
    }

    @Test("a deterministic source shared by concurrent tasks never hands out the same id twice")
    func deterministicConcurrent() async throws {
        let source = DeterministicIdentifierSource(seed: 3)
        let ids = await withTaskGroup(of: [LeafID].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<500).map { _ in source.nextLeafID() } }
            }
            var all: [LeafID] = []
            for await batch in group { all += batch }
            return all
        }
        #expect(ids.count == 4000)
        #expect(Set(ids).count == 4000)
    }

    @Test("a fixed clock reads the same instant; a manual clock moves when told")
    func clocks() throws {
        let fixed = try FixedClock(rfc3339: "2026-11-24T16:02:00.123Z")
        #expect(fixed.now() == fixed.now())
        #expect(fixed.now().description == "2026-11-24T16:02:00.123Z")
        let manual = ManualClock(fixed.now())
        manual.advance(byMilliseconds: 1500)
        #expect(manual.now().description == "2026-11-24T16:02:01.623Z")
        manual.advance(byMilliseconds: -2000)
        #expect(manual.now().description == "2026-11-24T16:01:59.623Z")
        manual.set(UTCTimestamp(millisecondsSinceEpoch: 0))
        #expect(manual.now().description == "1970-01-01T00:00:00.000Z")
        manual.advance(byMilliseconds: .max)
        #expect(manual.now().nanosecondsSinceEpoch == .max)
    }
}
