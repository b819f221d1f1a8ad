import Attribution
import AttributionLogging
import AttributionTesting
import InMemoryLogging
import Logging
import Testing

@Suite("Logging bridge: the attribution metadata provider")
struct LoggingBridgeTests {
    func envelope() throws -> AttributionEnvelope {
        try AttributionEnvelope.tag(
            userID: "alice@example.com",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            pseudonymize: { "u_" + String($0.utf8.count) },
            ids: DeterministicIdentifierSource(seed: 5)
        )
    }

    @Test("Every line inside an attributed unit carries its trace id, pseudonymized user, feature and task type")
    func insideUnit() async throws {
        var handler = InMemoryLogHandler()
        handler.metadataProvider = .attribution()
        let logger = Logger(label: "test", factory: { [handler] _ in handler })
        let envelope = try envelope()
        logger.info("before")
        await withAttribution(envelope) {
            logger.info("inside")
        }
        logger.info("after")
        let entries = handler.entries
        #expect(entries.map(\.message.description) == ["before", "inside", "after"])
        #expect(entries[0].metadata.isEmpty)
        #expect(
            entries[1].metadata == [
                "trace_id": .string(envelope.traceID.description), "user_id": "u_17", "feature": "summarize",
                "task_type": "summarize",
            ]
        )
        #expect(entries[2].metadata.isEmpty)
    }

    @Test("A pseudonymize function keeps a raw user id out of the log")
    func pseudonymizeForLogs() throws {
        var handler = InMemoryLogHandler()
        handler.metadataProvider = .attribution(pseudonymize: { "h(" + $0 + ")" })
        let logger = Logger(label: "test", factory: { [handler] _ in handler })
        var raw = try envelope()
        raw.userID = "bob"
        raw.feature = nil
        AttributionEnvelope.withAttribution(raw) { logger.info("raw") }
        #expect(handler.entries.first?.metadata["user_id"] == "h(bob)")
        #expect(handler.entries.first?.metadata["feature"] == nil)
    }
}
