import Foundation
import Testing

/// A ledger in `dir`: every day from 2026-09-01 to 2026-11-30 at noon, growth spends $10 (5,000,000 gpt-4.1
/// input tokens at the built-in $2 per million).
///
/// At `--now 2026-11-11T10:00:00Z` the last complete day is 2026-11-10: November is forecast as of 2026-11-11.
/// Growth spent $100 in 10 days and is projected $300 (20 more days at $10); against a $250 budget it fires with
/// $50 at stake, its spend passing $250 on 2026-11-26 ($260). Against $300 it does not fire.
private func budgetLedger(in dir: URL) throws -> String {
    let ledger = dir.appendingPathComponent("ledger")
    try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
    var text = ""
    for (month, days) in [(9, 30), (10, 31), (11, 30)] {
        for day in 1...days {
            let date = "2026-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
            text +=
                #"{"v":1,"record_id":"growth-"# + date + #"","ts":""# + date + #"T12:00:00.000Z","#
                + #""provider":"openai","model":"gpt-4.1","input_tokens":5000000,"output_tokens":0,"#
                + #""team":"growth","project":"p","feature":"f","user_id":"u","task_type":"t"}"# + "\n"
        }
    }
    try write(text, to: ledger.appendingPathComponent("a.jsonl"))
    return ledger.path
}

@Suite("cost-audit alerts: the budget detector")
struct BudgetAlertsCommandTests {
    @Test("alerts --budgets FILE exits 2 with the budget alert in JSON; a budget the projection meets exits 0")
    func budgetsFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try budgetLedger(in: dir)
        let budgets = dir.appendingPathComponent("budgets.json")
        try write(#"{"team=growth": 250}"#, to: budgets)
        let now = "2026-11-11T10:00:00Z"
        let run = try runTool([
            "alerts", ledger, "--now", now, "--budgets", budgets.path, "--format", "json", "--quiet",
        ])
        #expect(run.status == 2)
        #expect(run.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let alerts = try #require(object["alerts"] as? [[String: Any]])
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert["detector"] as? String == "budget")
        #expect(alert["subject"] as? String == "team=growth")
        #expect(alert["since"] as? String == "2026-11-10")
        #expect(alert["unit"] as? String == "usd")
        #expect(alert["value"] as? String == "300.000000000")
        #expect(alert["baseline"] as? String == "250.000000000")
        #expect(alert["ratio"] as? Double == 1.2)
        #expect(alert["usd_at_stake"] as? String == "50.000000000")
        let contributors = try #require(alert["contributors"] as? [[String: Any]])
        #expect(contributors.first?["user_id"] as? String == "u")
        #expect(contributors.first?["excess_usd"] as? String == "50.000000000")
        #expect(
            (alert["text"] as? String)?.contains(
                "$50.00 at stake. Budget of 2026-11 projected to run out on 2026-11-26."
            ) == true
        )

        try write(#"{"team=growth": 300}"#, to: budgets)
        let within = try runTool(["alerts", ledger, "--now", now, "--budgets", budgets.path, "--quiet"])
        #expect(within.status == 0, "a projection of $300 does not pass a $300 budget")
        #expect(within.stdout.contains("No alert fired."))
    }

    @Test("the configuration file's budgets feed the budget detector; without budgets it is silent")
    func configurationBudgets() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try budgetLedger(in: dir)
        let config = dir.appendingPathComponent("cost-audit.json")
        try write(#"{"ledgers": ["ledger"], "budgets": {"team=growth": "299.99"}}"#, to: config)
        let fired = try runTool(["alerts", "--config", config.path, "--now", "2026-11-11T10:00:00Z", "--quiet"])
        #expect(fired.status == 2)
        #expect(fired.stdout.contains("team=growth"))
        try write(#"{"ledgers": ["ledger"]}"#, to: config)
        let silent = try runTool(["alerts", "--config", config.path, "--now", "2026-11-11T10:00:00Z", "--quiet"])
        #expect(silent.status == 0)
    }

    @Test("a bad budgets file is one line naming the file, exit 65; an empty --budgets is a usage error")
    func badBudgets() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try budgetLedger(in: dir)
        let budgets = dir.appendingPathComponent("budgets.json")
        try write(#"{"team=growth": -5}"#, to: budgets)
        let bad = try runTool(["alerts", ledger, "--now", "2026-11-11", "--budgets", budgets.path])
        #expect(bad.status == 65)
        #expect(bad.stderr.hasPrefix("error: \(budgets.path): "))
        #expect(bad.stderr.contains("\"team=growth\""))
        #expect(bad.stderr.filter { $0 == "\n" }.count == 1)
        let empty = try runTool(["alerts", ledger, "--now", "2026-11-11", "--budgets", ""])
        #expect(empty.status == 64)
        #expect(
            empty.stderr
                == "error: the value '' is invalid for '--budgets'; expected a file (see 'cost-audit alerts --help')\n"
        )
    }
}
