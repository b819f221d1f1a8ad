import Foundation
import Testing

@Suite("cost-audit explain, run as the built binary")
struct ExplainCommandTests {
    /// A ledger where `draft_reply` moves from prompt reply-v1 to reply-v2, which reads three times the input,
    /// and a price file where `openai/mid-1` costs $10 per million input tokens and $20 per million output:
    /// - previous window ([2026-10-02, 2026-11-01)): two tasks of 1,000 input + 500 output on reply-v1 ($0.02
    ///   each): $0.02 per task;
    /// - current window: one task on reply-v1 ($0.02) and one on reply-v2 (3,000 input + 500 output: $0.04):
    ///   $0.03 per task, a change of 0.5.
    /// Drivers (÷ 2 tasks): reply-v2 $0 → $0.02 per task (+$0.02), reply-v1 $0.02 → $0.01 (−$0.01).
    struct Inputs {
        let dir: URL
        var ledger: URL { dir.appendingPathComponent("ledger") }
        var prices: URL { dir.appendingPathComponent("prices.json") }

        static func line(_ id: String, _ ts: String, input: Int, prompt: String, leaf: Int) -> String {
            #"{"v":1,"record_id":"\#(id)","ts":"\#(ts)","provider":"openai","model":"mid-1","#
                + #""input_tokens":\#(input),"output_tokens":500,"leaf_id":"\#(String(format: "%016x", leaf))","#
                + #""user_id":"u_1","feature":"draft_reply","team":"support","project":"helpdesk","#
                + #""task_type":"generate","prompt_version":"\#(prompt)"}"#
        }

        init() throws {
            dir = try temporaryDirectory()
            try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
            let lines = [
                Self.line("p1", "2026-10-02T02:00:00.000Z", input: 1000, prompt: "reply-v1", leaf: 1),
                Self.line("p2", "2026-10-20T10:00:00.000Z", input: 1000, prompt: "reply-v1", leaf: 2),
                Self.line("c1", "2026-11-05T10:00:00.000Z", input: 1000, prompt: "reply-v1", leaf: 3),
                Self.line("c2", "2026-11-20T10:00:00.000Z", input: 3000, prompt: "reply-v2", leaf: 4),
            ]
            try write(lines.joined(separator: "\n") + "\n", to: ledger.appendingPathComponent("a.jsonl"))
            try write(
                #"{"source": "explain-test", "models": {"openai/mid-1": [{"input": "10", "output": "20"}]}}"#,
                to: prices
            )
        }

        func arguments(_ extra: [String]) -> [String] {
            ["explain", ledger.path, "--prices", prices.path, "--now", "2026-12-01", "--quiet"] + extra
        }
    }

    @Test("a scope value no record has (a typo) still answers, and stderr names the closest values; exit 0")
    func typoGetsSuggestions() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let typo = try runTool(inputs.arguments(["--feature", "draft_replay"]))
        #expect(typo.status == 0, "\(typo.stderr)")
        #expect(typo.stdout.contains("The scope has no recorded spend in either window."))
        #expect(
            typo.stderr
                == "warning: no record in the audited window has feature 'draft_replay'; did you mean --feature "
                + "'draft_reply'?\n"
        )
        let user = try runTool(inputs.arguments(["--user", "U_1"]))
        #expect(user.stderr.contains("has user_id 'U_1'; did you mean --user 'u_1'?"), "\(user.stderr)")
        let unlike = try runTool(inputs.arguments(["--team", "finance"]))
        #expect(unlike.stderr == "warning: no record in the audited window has team 'finance'\n")
        // A value some record has, and the missing label when some record lacks the field: no warning.
        #expect(try runTool(inputs.arguments(["--team", "support"])).stderr.isEmpty)
        #expect(try runTool(inputs.arguments(["--task-type", "generate"])).stderr.isEmpty)
    }

    @Test("explain --feature names the planted prompt version as the first driver, exit 0")
    func explainsTheFeature() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let run = try runTool(inputs.arguments(["--feature", "draft_reply", "--format", "json"]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
            "\(run.stdout)"
        )
        let costPerTask = try #require(object["cost_per_task"] as? [String: Any])
        #expect(costPerTask["current"] as? String == "0.030000000")
        #expect(costPerTask["previous"] as? String == "0.020000000")
        #expect(costPerTask["change"] as? Double == 0.5)
        let drivers = try #require(object["drivers"] as? [[String: String]])
        #expect(drivers.map { $0["value"] } == ["reply-v2", "reply-v1"])
        #expect(drivers.first?["dimension"] == "prompt_version")
        #expect(drivers.first?["usd_per_task_change"] == "0.020000000")
        #expect(drivers.first?["usd_current"] == "0.040000000")
        #expect(object["partial"] as? [String] == [])

        let table = try runTool(inputs.arguments(["--feature", "draft_reply"]))
        #expect(table.status == 0)
        #expect(table.stdout.contains("Change in cost per task: +50.0000% (+0.010000 per task)."))
    }

    @Test("explain with no scope option is a usage error naming the options, exit 64")
    func noScope() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let run = try runTool(inputs.arguments([]))
        #expect(run.status == 64)
        #expect(
            run.stderr
                == "error: no scope given: give one of '--feature', '--team', '--project', '--task-type' or "
                + "'--user' (see 'cost-audit explain --help')\n"
        )
        #expect(run.stdout.isEmpty)
    }

    @Test("explain with two scope options is a usage error naming both, exit 64")
    func twoScopes() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let run = try runTool(inputs.arguments(["--team", "support", "--feature", "draft_reply"]))
        #expect(run.status == 64)
        #expect(
            run.stderr
                == "error: '--feature' and '--team' cannot be given together: give one scope option "
                + "(see 'cost-audit explain --help')\n"
        )
    }

    @Test("explain with --since not before --now is a usage error, exit 64")
    func emptyWindow() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let run = try runTool(inputs.arguments(["--feature", "draft_reply", "--since", "2026-12-05"]))
        #expect(run.status == 64)
        #expect(
            run.stderr
                == "error: the window is empty: '--since' 2026-12-05T00:00:00.000Z is not before '--now' "
                + "2026-12-01T00:00:00.000Z (see 'cost-audit explain --help')\n"
        )
    }

    @Test("explain --since that cuts into the previous window says it is partial")
    func sinceCutsIn() throws {
        let inputs = try Inputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let run = try runTool(inputs.arguments(["--feature", "draft_reply", "--since", "2026-10-20"]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains(
                "The previous window is partial: the audit starts at 2026-10-20T00:00:00.000Z; it covers "
                    + "2026-10-20T00:00:00.000Z to 2026-11-01T00:00:00.000Z."
            )
        )
        // p1 (2026-10-02) is outside the audit: one task before (p2, within a day of the cut), at $0.02.
        #expect(run.stdout.contains("previous  2026-10-02T00:00:00.000Z  2026-11-01T00:00:00.000Z      1"))
    }
}
