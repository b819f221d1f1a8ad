// The "Testing your code" snippet of docs/metering.md: a test an application writes with the one-line test meter.
// The region between `// snippet:` and `// end snippet` is the page's snippet (its `import` lines are this file's
// imports), compared by DocsSnippetsTests; the function above it stands in for the application's code.
import Attribution
import AttributionTesting
import CostLedger
import Testing

/// The application's code under test: tags a request and summarizes a document under it through the meter.
private func summarize(documentID: Int, meter: CostMeter) async throws -> String {
    let request = try meter.tag(
        userID: "u_42",
        feature: "summarize",
        team: "growth",
        project: "assistant",
        taskType: "summarize"
    )
    let api = FakeProvider(.openAIResponses, usage: TokenUsage(input: 1_000, output: 50))
    let body = Array(#"{"model": "gpt-4.1", "input": "Summarize document \#(documentID)"}"#.utf8)
    let response = try await meter.callJSON(
        adapter: .openAIResponses,
        requestBody: body,
        attribution: .envelope(request)
    ) {
        request in ProviderResponse(status: api.httpStatus, body: try api.respond(to: request.body))
    }
    return String(decoding: response.body, as: UTF8.self)
}

// snippet: metering-testing
@Test("a summary is billed to the summarize feature")
func summaryIsBilledToItsFeature() async throws {
    let (meter, sink) = try CostMeter.testing(seed: 7, now: "2026-11-30T10:00:00Z")
    _ = try await summarize(documentID: 42, meter: meter)  // your code, given the meter
    #expect(sink.records.filter { $0.kind == .call }.map(\.attribution[.feature]) == ["summarize"])
}
// end snippet
