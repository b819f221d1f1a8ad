import Foundation
import Testing

@Suite("docs/jobs.md's snippets")
struct JobsGuideTests {
    @Test("the guide's example runs: the job is retried as the same unit, and every child is announced")
    func exampleRuns() throws {
        let run = try runBuilt("JobsGuide")
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("retry enqueued: attempt 2, user u_42, same leaf true"))
        #expect(lines.contains("summary of 42 for u_42, try 2"))
        #expect(lines.contains("minted web_search, fetch, rank"))
        #expect(lines.filter { $0.hasPrefix("d_") && $0.contains(" fetched by ") }.count == 3)
        #expect(lines.last == "unit records: 5 (request, job, 3 fetches)")
    }
}
