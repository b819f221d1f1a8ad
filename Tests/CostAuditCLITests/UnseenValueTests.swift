import Foundation
import Testing

/// Options naming a value no record has (a typo, most often): the command answers as usual and stderr names the
/// closest values records do have.
@Suite("cost-audit: a value no record has is warned about, with the closest ones")
struct UnseenValueTests {
    /// Two gpt-4.1 calls on 2026-11-24, tagged `env` and `region`.
    func ledger(in dir: URL) throws -> String {
        let ledger = dir.appendingPathComponent("ledger")
        try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
        func line(_ id: String, _ tags: String) -> String {
            #"{"v":1,"record_id":""# + id + #"","ts":"2026-11-24T16:02:00.123Z","provider":"openai","#
                + #""model":"gpt-4.1","input_tokens":5000,"output_tokens":0,"team":"alpha","tags":"# + tags + "}\n"
        }
        try write(
            line("a", #"{"env":"prod","region":"eu"}"#) + line("b", #"{"env":"dev"}"#),
            to: ledger.appendingPathComponent("a.jsonl")
        )
        return ledger.path
    }

    @Test("report and forecast --by tags.KEY with a key no record has: the answer, and the closest keys on stderr")
    func unknownTagKey() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try ledger(in: dir)
        let report = try runTool(["report", ledger, "--by", "tags.evn,team", "--quiet"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("(none)"))
        #expect(
            report.stderr
                == "warning: no record in the audited window has the tag 'evn'; did you mean --by 'tags.env'?\n"
        )
        let unlike = try runTool(["report", ledger, "--by", "tags.customer", "--quiet"])
        #expect(unlike.stderr == "warning: no record in the audited window has the tag 'customer'\n")
        #expect(try runTool(["report", ledger, "--by", "tags.region", "--quiet"]).stderr.isEmpty)
        let forecast = try runTool([
            "forecast", ledger, "--month", "2026-11", "--now", "2026-11-25", "--by", "tags.Env", "--quiet",
        ])
        #expect(forecast.status == 0, "\(forecast.stderr)")
        #expect(forecast.stderr.hasSuffix("has the tag 'Env'; did you mean --by 'tags.env'?\n"), "\(forecast.stderr)")
    }
}
