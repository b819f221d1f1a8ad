import Foundation
import Testing

/// A ledger folder and price file, removed by the caller. mid-1 input costs $10 per million tokens: 10,000 tokens
/// are $0.10. Every day from 23 to 29 Nov at 10:00, users u1…u20 each make one call of feature search (task type
/// answer) at $0.10, each its own task. On 30 Nov at 10:00 the same 20 users make one call each at $0.30:
/// feature_rate fires (3x, $4.00 at stake), and so do cost_per_active_user (hour 10, $4.00) and task_type_cost
/// (the day, $4.00).
private struct AlertsInputs {
    let dir: URL
    var ledger: URL { dir.appendingPathComponent("ledger") }
    var prices: URL { dir.appendingPathComponent("prices.json") }

    init() throws {
        dir = try temporaryDirectory()
        try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
        var lines = ""
        var leaf = 0x100
        for day in 23...30 {
            for user in 1...20 {
                leaf += 1
                let tokens = day == 30 ? 30_000 : 10_000
                let minute = user < 10 ? "0\(user)" : "\(user)"
                lines += """
                    {"v":1,"record_id":"r\(leaf)","ts":"2026-11-\(day)T10:\(minute):00Z","provider":"openai",\
                    "model":"mid-1","input_tokens":\(tokens),"output_tokens":0,\
                    "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"\(String(format: "%016x", leaf))",\
                    "attempt":1,"user_id":"u\(user)","feature":"search","team":"growth","project":"assistant",\
                    "task_type":"answer"}

                    """
            }
        }
        try write(lines, to: ledger.appendingPathComponent("calls.jsonl"))
        try write(
            #"{"source": "alerts-tests", "models": {"openai/mid-1": [{"input": "10", "output": "20"}]}}"#,
            to: prices
        )
    }

    func arguments(_ command: String, now: String, _ extra: [String] = []) -> [String] {
        [command, ledger.path, "--prices", prices.path, "--now", now, "--quiet"] + extra
    }
}

@Suite("cost-audit alerts and top-users, run as the built binary")
struct AlertsCommandTests {
    @Test("an alert exits 2 with the alerts in JSON, largest at stake first; a quiet day exits 0")
    func exitCodes() throws {
        let inputs = try AlertsInputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let fired = try runTool(inputs.arguments("alerts", now: "2026-12-01", ["--format", "json"]))
        #expect(fired.status == 2)
        #expect(fired.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(fired.stdout.utf8)) as? [String: Any])
        let alerts = try #require(object["alerts"] as? [[String: Any]])
        #expect(alerts.map { $0["detector"] as? String } == ["cost_per_active_user", "feature_rate", "task_type_cost"])
        let rate = try #require(alerts.first { $0["detector"] as? String == "feature_rate" })
        #expect(rate["subject"] as? String == "feature=search")
        #expect(rate["since"] as? String == "2026-11-30T10")
        #expect(rate["value"] as? String == "0.300000000")
        #expect(rate["baseline"] as? String == "0.100000000")
        #expect(rate["ratio"] as? Double == 3)
        #expect(rate["usd_at_stake"] as? String == "4.000000000")
        let contributors = try #require(rate["contributors"] as? [[String: Any]])
        #expect(contributors.count == 3)
        #expect(contributors.first?["excess_usd"] as? String == "0.200000000")

        let quiet = try runTool(inputs.arguments("alerts", now: "2026-11-30"))
        #expect(quiet.status == 0)
        #expect(quiet.stdout.contains("No alert fired."))

        let selected = try runTool(inputs.arguments("alerts", now: "2026-12-01", ["--detector", "tool_share"]))
        #expect(selected.status == 0, "only tool_share, which has no tool to see")
        let raised = try runTool(
            inputs.arguments(
                "alerts",
                now: "2026-12-01",
                ["--detector", "feature_rate", "--set", "feature_rate.ratio=3.5"]
            )
        )
        #expect(raised.status == 0, "3x does not reach a ratio of 3.5")
    }

    @Test("a bad --detector, --window or --set is a usage error on one line")
    func usageErrors() throws {
        let inputs = try AlertsInputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let cases: [([String], String)] = [
            (
                ["--detector", "spend_cap"],
                "error: the value 'spend_cap' is invalid for '--detector'; expected one of: cost_per_active_user, "
                    + "feature_rate, task_type_cost, tool_share, retry_waste, budget (see 'cost-audit alerts --help')\n"
            ),
            (
                ["--window", "0h"],
                "error: the value '0h' is invalid for '--window'; expected a whole number of hours or days, such as "
                    + "24h or 7d (at most 3660d) (see 'cost-audit alerts --help')\n"
            ),
            (
                ["--set", "feature_rate.minimum_calls=many"],
                "error: the value 'many' is invalid for '--set'; feature_rate.minimum_calls: expected a whole number "
                    + "from 0 to 1000000000 (see 'cost-audit alerts --help')\n"
            ),
            (
                ["--set", "tool_share.minimum_shift_points=100.5"],
                "error: the value '100.5' is invalid for '--set'; tool_share.minimum_shift_points: expected a number "
                    + "from 0 to 100 (see 'cost-audit alerts --help')\n"
            ),
            (
                ["--webhook", "ftp://example.com/hook"],
                "error: the value 'ftp://example.com/hook' is invalid for '--webhook'; expected an http:// or "
                    + "https:// URL (see 'cost-audit alerts --help')\n"
            ),
        ]
        for (extra, message) in cases {
            let run = try runTool(inputs.arguments("alerts", now: "2026-12-01", extra))
            #expect(run.status == 64, "\(extra)")
            #expect(run.stderr == message)
        }
    }

    @Test("the configuration file's alerts settings apply, and a bad one names the file and the setting")
    func configurationSettings() throws {
        let inputs = try AlertsInputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let config = inputs.dir.appendingPathComponent("cost-audit.json")
        try write(
            #"{"ledgers": ["ledger"], "prices": "prices.json", "alerts": {"feature_rate.minimum_calls": 21, "#
                + #""cost_per_active_user.minimum_active_users": "21", "task_type_cost.minimum_tasks": 21}}"#,
            to: config
        )
        let run = try runTool(["alerts", "--config", config.path, "--now", "2026-12-01"])
        #expect(run.status == 0, "20 calls, users and tasks are below the file's minimums of 21")
        try write(#"{"ledgers": ["ledger"], "alerts": {"feature_rate.ratio": "x"}}"#, to: config)
        let bad = try runTool(["alerts", "--config", config.path, "--now", "2026-12-01"])
        #expect(bad.status == 65)
        #expect(
            bad.stderr == "error: \(config.path): alerts: feature_rate.ratio: 'x' expected a number from 0 to 10^12\n"
        )
        // A value past its parameter's own range is refused when the file is read, by `html` too (which used to
        // draw the page without alerts, and `alerts` to fail with exit 1).
        try write(#"{"ledgers": ["ledger"], "alerts": {"tool_share.minimum_shift_points": 366}}"#, to: config)
        let page = inputs.dir.appendingPathComponent("page.html").path
        for command in [["alerts"], ["html", "-o", page]] {
            let run = try runTool(command + ["--config", config.path, "--now", "2026-12-01"])
            #expect(run.status == 65, "\(command)")
            #expect(
                run.stderr
                    == "error: \(config.path): alerts: tool_share.minimum_shift_points: '366' expected a number from 0 "
                    + "to 100\n"
            )
        }
        #expect(!FileManager.default.fileExists(atPath: page))
    }

    @Test("--webhook posts each alert as one JSON message with a text field to a server on loopback")
    func webhookDelivered() throws {
        let inputs = try AlertsInputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let server = try LoopbackHTTPServer(status: 200)
        defer { server.stop() }
        let run = try runTool(inputs.arguments("alerts", now: "2026-12-01", ["--webhook", server.url]))
        #expect(run.status == 2)
        #expect(run.stderr.isEmpty)
        let messages = try server.bodies.map { body in
            try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        }
        #expect(messages.count == 3)
        let texts = messages.compactMap { $0["text"] as? String }
        #expect(texts.count == 3)
        #expect(texts.first?.hasPrefix("cost_per_active_user alert: all since 2026-11-30T10") == true)
        #expect((messages.first?["alert"] as? [String: Any])?["usd_at_stake"] as? String == "4.000000000")
    }

    @Test("a failed delivery is one line on stderr and the exit status stays 2")
    func webhookFailed() throws {
        let inputs = try AlertsInputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        let server = try LoopbackHTTPServer(status: 500)
        defer { server.stop() }
        let run = try runTool(
            inputs.arguments("alerts", now: "2026-12-01", ["--webhook", server.url, "--detector", "feature_rate"])
        )
        #expect(run.status == 2)
        #expect(
            run.stderr
                == "error: \(server.url): 1 of 1 alert messages not delivered (first: alert 1: HTTP status 500)\n"
        )
        #expect(server.bodies.count == 1)
        #expect(run.stdout.contains("feature_rate"))
    }

    @Test("top-users lists the window's users with their share and exits 0")
    func topUsers() throws {
        let inputs = try AlertsInputs()
        defer { try? FileManager.default.removeItem(at: inputs.dir) }
        // 30 Nov: 20 users at $0.30 each, $6.00 in all; each 5%.
        let run = try runTool(inputs.arguments("top-users", now: "2026-12-01", ["--limit", "2", "--format", "csv"]))
        #expect(run.status == 0)
        #expect(
            run.stdout == """
                rank,user_id,spend_usd,share_pct,calls,tasks,usd_per_task,top_feature
                1,u1,0.300000000,5.000000,1,1,0.300000000,search
                2,u10,0.300000000,5.000000,1,1,0.300000000,search
                ,(other),5.400000000,90.000000,18,18,0.300000000,search
                ,(unknown),0.000000000,0.000000,0,0,,

                """
        )
        let bad = try runTool(inputs.arguments("top-users", now: "2026-12-01", ["--limit", "0"]))
        #expect(bad.status == 64)
        #expect(
            bad.stderr
                == "error: the value '0' is invalid for '--limit'; expected a whole number of at least 1 (see 'cost-audit top-users --help')\n"
        )
    }
}
