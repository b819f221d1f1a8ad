import Attribution
import Testing

/// When a tracer owns `traceparent`, its span id is the parent-id there and the envelope's own `leaf_id` travels in
/// baggage (docs/formats.md, the header form): a reader prefers the baggage's `leaf_id`, so lineage survives the
/// tracer's span ids while `trace_id` stays shared with the tracer.
@Suite("Header form under a tracer that owns traceparent")
struct TracerOwnedTraceparentTests {
    /// The tracer's span id in `traceparent`, and the unit's own leaf id in baggage.
    let tracerSpan = "b7ad6b7169203331"
    let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"

    @Test("A leaf_id in baggage is the envelope's leaf id, preferred to the traceparent's parent-id")
    func baggageLeafIDWins() throws {
        let envelope = try AttributionEnvelope(
            traceparent: "00-\(traceID)-\(tracerSpan)-01",
            baggage: "user_id=u_42,leaf_id=00f067aa0ba902b7,root_id=1111111111111111,parent_id=2222222222222222"
        )
        #expect(envelope.traceID.description == traceID)
        #expect(envelope.leafID.description == "00f067aa0ba902b7")
        #expect(envelope.parentID?.description == "2222222222222222")
        #expect(envelope.rootID.description == "1111111111111111")
        #expect(envelope.userID == "u_42")
    }

    @Test("A root read with leaf_id in baggage and no root_id has root_id = that leaf_id")
    func rootFromBaggageLeafID() throws {
        let envelope = try AttributionEnvelope(
            traceparent: "00-\(traceID)-\(tracerSpan)-01",
            baggage: "leaf_id=00f067aa0ba902b7"
        )
        #expect(envelope.leafID.description == "00f067aa0ba902b7")
        #expect(envelope.rootID.description == "00f067aa0ba902b7")
    }

    @Test("The tracer-owned baggage writes leaf_id first and reads back under another span id")
    func roundTripUnderTracerSpan() throws {
        let original = try AttributionEnvelope(
            traceparent: "00-\(traceID)-00f067aa0ba902b7-01",
            baggage: "user_id=u_42,feature=summarize,root_id=1111111111111111,parent_id=2222222222222222,attempt=2"
        )
        let headers = AttributionHeaders(envelope: original)
        let baggage = try headers.baggage(carryingLeafID: true)
        #expect(baggage.hasPrefix("leaf_id=00f067aa0ba902b7,"))
        #expect(try headers.baggage() == String(baggage.dropFirst("leaf_id=00f067aa0ba902b7,".count)))
        let read = try AttributionEnvelope(traceparent: "00-\(traceID)-\(tracerSpan)-01", baggage: baggage)
        #expect(read == original)
    }

    @Test("A leaf_id twice in baggage, or not a leaf id, is refused naming leaf_id; trace_id stays refused")
    func refusals() {
        let parent = "00-\(traceID)-\(tracerSpan)-01"
        #expect {
            try AttributionEnvelope(traceparent: parent, baggage: "leaf_id=00f067aa0ba902b7,leaf_id=00f067aa0ba902b8")
        } throws: { error in
            (error as? AttributionError)?.code == .duplicateKey && (error as? AttributionError)?.field == "leaf_id"
        }
        #expect {
            try AttributionEnvelope(traceparent: parent, baggage: "leaf_id=XYZ")
        } throws: { error in
            (error as? AttributionError)?.code == .invalidIdentifier && (error as? AttributionError)?.field == "leaf_id"
        }
        #expect {
            try AttributionEnvelope(traceparent: parent, baggage: "trace_id=\(traceID)")
        } throws: { error in
            (error as? AttributionError)?.code == .malformedHeader && (error as? AttributionError)?.field == "trace_id"
        }
    }
}
