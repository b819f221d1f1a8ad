import Foundation
import Testing

/// A ledger in `dir`: every day from 2026-09-01 to 2026-11-30 at noon, growth spends $10 (5,000,000 gpt-4.1
/// input tokens at the built-in $2 per million) and research $5.
private func forecastLedger(in dir: URL) throws -> String {
    let ledger = dir.appendingPathComponent("ledger")
    try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
    var text = ""
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd"
    let first = try #require(formatter.date(from: "2026-09-01"))
    for offset in 0..<91 {
        let day = formatter.string(from: first.addingTimeInterval(Double(offset) * 86_400))
        for (team, tokens) in [("growth", 5_000_000), ("research", 2_500_000)] {
            text +=
                #"{"v":1,"record_id":""# + "\(team)-\(day)" + #"","ts":""# + day + #"T12:00:00.000Z","#
                + #""provider":"openai","model":"gpt-4.1","input_tokens":"# + "\(tokens)"
                + #","output_tokens":0,"team":""# + team + #"","project":"p","feature":"f","user_id":"u","#
                + #""task_type":"t"}"# + "\n"
        }
    }
    try write(text, to: ledger.appendingPathComponent("a.jsonl"))
    return ledger.path
}

/// The one line on stderr, without its line feed.
private func oneErrorLine(_ run: ToolRun, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    #expect(run.stderr.filter { $0 == "\n" }.count == 1, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.hasPrefix("error: "), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    return String(run.stderr.dropLast())
}

@Suite("cost-audit forecast")
struct ForecastCommandTests {
    /// Made on 2026-11-11: growth spent $100 in 10 days and is projected $300 against a $250 budget, passed
    /// on 2026-11-26 ($260); research $50, projected $150 within its $200 budget.
    @Test("forecast --budgets prints each group's projection against its budget, with the day it runs out")
    func budgetsFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try forecastLedger(in: dir)
        let budgets = dir.appendingPathComponent("budgets.json")
        try write(#"{"team=growth": 250, "team=research": 200}"#, to: budgets)
        let run = try runTool([
            "forecast", ledger, "--month", "2026-11", "--now", "2026-11-11T10:00:00Z", "--budgets", budgets.path,
            "--format", "json", "--quiet",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["by"] as? [String] == ["team"])
        let groups = try #require(json["groups"] as? [[String: Any]])
        #expect(groups.map { $0["team"] as? String } == ["growth", "research"])
        #expect(groups.map { $0["spent_usd"] as? String } == ["100.000000000", "50.000000000"])
        #expect(groups.map { $0["projected_usd"] as? String } == ["300.00", "150.00"])
        #expect(groups.map { $0["low_usd"] as? String } == ["300.00", "150.00"])
        #expect(groups.map { $0["high_usd"] as? String } == ["300.00", "150.00"])
        #expect(groups.map { $0["budget_usd"] as? String } == ["250.000000000", "200.000000000"])
        #expect(groups[0]["runs_out"] as? String == "2026-11-26")
        #expect(groups[1]["runs_out"] is NSNull)
        let total = try #require(json["total"] as? [String: Any])
        #expect(total["projected_usd"] as? String == "450.00")

        let table = try runTool([
            "forecast", ledger, "--month", "2026-11", "--now", "2026-11-11", "--budgets", budgets.path, "--quiet",
        ])
        #expect(table.status == 0)
        #expect(
            table.stdout.contains("growth       100.00         300.00   300.00    300.00      250.00  2026-11-26\n")
        )
        #expect(table.stdout.contains("1 group projected over budget"))
    }

    @Test("budgets in the configuration file set the groups when --by is not given")
    func configurationBudgets() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try forecastLedger(in: dir)
        try write(
            #"{"ledgers": ["ledger"], "budgets": {"team=growth": 400}}"#,
            to: dir.appendingPathComponent("cost-audit.json")
        )
        let run = try runTool(
            ["forecast", "--month", "2026-11", "--now", "2026-11-11", "--format", "csv", "--quiet"],
            directory: dir
        )
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(
            run.stdout
                == "team,spent_usd,projected_usd,low_usd,high_usd,budget_usd,runs_out\n"
                + "growth,100.000000000,300.00,300.00,300.00,400.000000000,\n"
                + "research,50.000000000,150.00,150.00,150.00,,\n"
        )
        // By another dimension, the team budgets do not apply.
        let byFeature = try runTool(
            ["forecast", "--month", "2026-11", "--now", "2026-11-11", "--by", "feature", "--format", "csv", "--quiet"],
            directory: dir
        )
        #expect(
            byFeature.stdout
                == "feature,spent_usd,projected_usd,low_usd,high_usd\nf,150.000000000,450.00,450.00,450.00\n"
        )

        try write(
            #"{"ledgers": ["ledger"], "budgets": {"team=growth": -1}}"#,
            to: dir.appendingPathComponent("cost-audit.json")
        )
        let bad = try runTool(["forecast", "--month", "2026-11", "--quiet"], directory: dir)
        #expect(bad.status == 65)
        #expect(
            oneErrorLine(bad)
                == #"error: cost-audit.json: budgets: "team=growth": '-1' is not a valid budget: expected a number "#
                + "of USD from 0 to 1000000000000 with at most 9 decimal places"
        )
    }

    @Test(
        "bad usage is one line on stderr and exit 64",
        arguments: [
            ([], "missing '--month YYYY-MM'"),
            (["--month", "2026-13"], "the value '2026-13' is invalid for '--month'"),
            (["--month", "2026-11", "--since", "2026-11-02"], "'--since' cannot go with '--month'"),
            (["--month", "2026-11", "--by", "colour"], "the value 'colour' is invalid for '--by'"),
            (["--month", "2026-11", "--by", "team,team"], "the value 'team' is invalid for '--by'; is named twice"),
            (["--month", "2026-11", "--format", "yaml"], "the value 'yaml' is invalid for '--format'"),
        ]
    )
    func usageErrors(arguments: [String], message: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try forecastLedger(in: dir)
        let run = try runTool(["forecast", ledger, "--quiet"] + arguments)
        #expect(run.status == 64)
        let line = oneErrorLine(run)
        #expect(line.contains(message), "\(line)")
        #expect(line.hasSuffix("(see 'cost-audit forecast --help')"))
    }

    @Test(
        "a bad budgets file is one line naming the file, the key and the value, exit 65",
        arguments: [
            (#"{"team=growth": "ten"}"#, #""team=growth": 'ten' is not a valid budget"#),
            (#"{"team": 10}"#, "budgets: 'team' is not a group key: expected dim=value[,dim=value] in the --by order"),
            (#"{"feature=f": 10}"#, "budgets: 'feature' are keyed by other dimensions than '--by team'"),
            (#"["team=growth"]"#, "budgets: 'an array' is not a budgets object"),
        ]
    )
    func budgetsFileErrors(text: String, message: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try forecastLedger(in: dir)
        let budgets = dir.appendingPathComponent("budgets.json")
        try write(text, to: budgets)
        let run = try runTool([
            "forecast", ledger, "--month", "2026-11", "--by", "team", "--budgets", budgets.path, "--quiet",
        ])
        #expect(run.status == 65)
        let line = oneErrorLine(run)
        #expect(line.hasPrefix("error: \(budgets.path): \(message)"), "\(line)")
        #expect(run.stdout.isEmpty)

        let missing = try runTool([
            "forecast", ledger, "--month", "2026-11", "--budgets", dir.appendingPathComponent("none.json").path,
            "--quiet",
        ])
        #expect(missing.status == 65)
        #expect(oneErrorLine(missing).hasSuffix("none.json: no such file"))
    }
}
