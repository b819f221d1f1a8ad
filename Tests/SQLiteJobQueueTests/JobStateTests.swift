import SQLiteJobQueue
import Testing

@Suite("Job states are CaseIterable")
struct JobStateTests {
    @Test("every state is listed once, in life order, and reads back from the name its column stores")
    func allCases() {
        #expect(JobState.allCases.map(\.name) == ["pending", "claimed", "completed", "failed", "dead"])
        #expect(JobState.allCases.allSatisfy { JobState(name: $0.name) == $0 })
    }
}
