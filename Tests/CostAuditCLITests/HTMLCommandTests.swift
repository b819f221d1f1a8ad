import Foundation
import Testing

@Suite("cost-audit html")
struct HTMLCommandTests {
    /// A ledger of two calls on 2026-11-30, one with a hostile team name.
    func ledger(in dir: URL) throws -> String {
        let ledger = dir.appendingPathComponent("ledger")
        try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
        let text =
            #"{"v":1,"record_id":"a","ts":"2026-11-30T10:00:00.000Z","provider":"openai","model":"gpt-4.1","#
            + #""input_tokens":5000,"output_tokens":0,"team":"<script>x</script>","project":"p","feature":"f","#
            + #""user_id":"u","task_type":"t"}"# + "\n"
            + #"{"v":1,"record_id":"b","ts":"2026-11-30T11:00:00.000Z","provider":"openai","model":"gpt-4.1","#
            + #""input_tokens":5000,"output_tokens":0,"user_id":"u"}"# + "\n"
        try write(text, to: ledger.appendingPathComponent("a.jsonl"))
        return ledger.path
    }

    @Test("the page's current alerts are the alerts command's: the demo's planted spike, largest at stake first")
    func pageShowsAlerts() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let demo = dir.appendingPathComponent("demo")
        #expect(try runTool(["demo", demo.path, "--quiet"]).status == 0)
        let out = dir.appendingPathComponent("page.html")
        let config = demo.appendingPathComponent("cost-audit.json").path
        let run = try runTool(["html", "--config", config, "--now", "2026-12-01", "-o", out.path, "--quiet"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let page = try String(contentsOf: out, encoding: .utf8)
        let first = try #require(page.range(of: "task_type=summarize"))
        let second = try #require(page.range(of: "feature=summarize"))
        #expect(first.lowerBound < second.lowerBound)
        #expect(!page.contains("No alerts."))
    }

    @Test("html -o writes one page with its charts and the hostile value escaped, exit 0")
    func writesPage() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("page.html")
        let run = try runTool(["html", try ledger(in: dir), "--now", "2026-12-01", "-o", out.path, "--quiet"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.isEmpty && run.stderr.isEmpty)
        let page = try String(contentsOf: out, encoding: .utf8)
        #expect(page.ranges(of: "<svg ").count == 7)
        #expect(page.contains("&lt;script&gt;x&lt;/script&gt;"))
        #expect(!page.contains("<script"))
    }

    @Test("-o onto an input is refused before the audit reads anything: exit 64 even for a ledger it would refuse")
    func outputOntoInputBeforeAudit() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Not a cost record: auditing it would stop with exit 65.
        let file = dir.appendingPathComponent("notes.jsonl")
        try write("{\"hello\": \"world\"}\n", to: file)
        let run = try runTool(["html", file.path, "-o", file.path, "--quiet"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr == "error: \(file.path): --output would overwrite the input \(file.path)\n")
        #expect(try String(contentsOf: file, encoding: .utf8) == "{\"hello\": \"world\"}\n")
    }

    @Test(
        "bad usage is one line and exit 64; an output that cannot be written is exit 1",
        arguments: [
            ([], 64, "error: missing '-o FILE': the HTML file to write (see 'cost-audit html --help')"),
            (["-o", "x.html", "--days", "0"], 64, "error: the value '0' is invalid for '--days'"),
            (["-o", "/nonexistent-dir/x.html"], 1, "error: /nonexistent-dir/x.html: cannot be written"),
        ]
    )
    func failures(arguments: [String], status: Int32, message: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try runTool(["html", try ledger(in: dir), "--quiet"] + arguments, directory: dir)
        #expect(run.status == status)
        #expect(run.stderr.filter { $0 == "\n" }.count == 1, "\(run.stderr)")
        #expect(run.stderr.hasPrefix(message), "\(run.stderr)")
    }
}
