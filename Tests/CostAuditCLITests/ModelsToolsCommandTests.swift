import Foundation
import Testing

/// A folder holding a four-call ledger and a price file, removed by the caller. Prices per million: mid-1 input
/// $10, output $20 (blended (3 × 10 + 20) ÷ 4 = $12.5); big-1 input $100, output $200. Feature search, task
/// type answer:
/// - 2026-11-27 (ISO week 48): r1 mid-1 1,000 input ($0.01) by tool web_search; r2 mid-1 1,000 input ($0.01),
///   no tool.
/// - 2026-12-01 (ISO week 49): r3 big-1 500 output ($0.10) by web_search; r4 mid-1 1,000 input ($0.01).
private struct ModelsInputs {
    let dir: URL
    var ledger: URL { dir.appendingPathComponent("ledger") }
    var prices: URL { dir.appendingPathComponent("prices.json") }

    static func record(
        _ id: String,
        _ ts: String,
        _ model: String,
        input: Int,
        output: Int,
        leaf: String,
        tool: String?
    )
        -> String
    {
        let toolField = tool.map { #","tool":"\#($0)""# } ?? ""
        return """
            {"v":1,"record_id":"\(id)","ts":"\(ts)","provider":"openai","model":"\(model)",\
            "input_tokens":\(input),"output_tokens":\(output),"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",\
            "leaf_id":"\(leaf)","root_id":"\(leaf)","attempt":1,"user_id":"u_1","feature":"search",\
            "team":"growth","project":"assistant","task_type":"answer"\(toolField)}

            """
    }

    init() throws {
        dir = try temporaryDirectory()
        try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
        let lines = [
            Self.record(
                "r1",
                "2026-11-27T10:00:00Z",
                "mid-1",
                input: 1000,
                output: 0,
                leaf: "00000000000000a1",
                tool: "web_search"
            ),
            Self.record(
                "r2",
                "2026-11-27T11:00:00Z",
                "mid-1",
                input: 1000,
                output: 0,
                leaf: "00000000000000a2",
                tool: nil
            ),
            Self.record(
                "r3",
                "2026-12-01T10:00:00Z",
                "big-1",
                input: 0,
                output: 500,
                leaf: "00000000000000a3",
                tool: "web_search"
            ),
            Self.record(
                "r4",
                "2026-12-01T11:00:00Z",
                "mid-1",
                input: 1000,
                output: 0,
                leaf: "00000000000000a4",
                tool: nil
            ),
        ]
        try write(lines.joined(), to: ledger.appendingPathComponent("a.jsonl"))
        try write(
            #"{"source": "cli-prices", "models": {"openai/mid-1": [{"input": "10", "output": "20"}], "#
                + #""openai/big-1": [{"input": "100", "output": "200"}]}}"#,
            to: prices
        )
    }

    func run(_ command: String, _ options: [String]) throws -> ToolRun {
        try runTool([command, ledger.path, "--prices", prices.path, "--now", "2026-12-06"] + options)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

/// The one line a failure prints, checked to be exactly one line.
private func onlyLine(_ run: ToolRun) -> String {
    #expect(run.stderr.filter { $0 == "\n" }.count == 1, "expected one line on stderr, got \(run.stderr)")
    return String(run.stderr.dropLast())
}

@Suite("cost-audit models and tools, run as the built binary")
struct ModelsToolsCommandTests {
    @Test("models prints cost per call and per task with the ratio to the cheapest model, as CSV")
    func modelsCSV() throws {
        let inputs = try ModelsInputs()
        defer { inputs.remove() }
        let run = try inputs.run("models", ["--format", "csv"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "feature,task_type,model,band,spend_usd,calls,tasks,usd_per_call,usd_per_task,ratio_to_cheapest",
                "search,answer,openai/mid-1,$10/M and up,0.030000000,3,3,0.010000000,0.010000000,1.000000",
                "search,answer,openai/big-1,$10/M and up,0.100000000,1,1,0.100000000,0.100000000,10.000000",
            ]
        )
    }

    @Test("models --bands moves the thresholds: mid-1 ($12.5/M blended) falls under $20/M")
    func modelsBands() throws {
        let inputs = try ModelsInputs()
        defer { inputs.remove() }
        let run = try inputs.run("models", ["--bands", "20", "--only", "bands", "--format", "csv"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.split(separator: "\n").map(String.init) == [
                "band,models,spend_usd,spend_share_pct,calls,calls_share_pct",
                "under $20/M,openai/mid-1,0.030000000,23.076923,3,75.000000",
                "$20/M and up,openai/big-1,0.100000000,76.923077,1,25.000000",
                "(no list price),,0.000000000,0.000000,0,0.000000",
                "(unrecorded),,0.000000000,0.000000,0,0.000000",
            ]
        )
    }

    @Test(
        "bad --bands or --only values exit 64 with one line naming the option and the value",
        arguments: [
            (["--bands", "10,1"], "'10,1' is invalid for '--bands'; thresholds must be strictly ascending"),
            (["--bands", "cheap"], "'cheap' is invalid for '--bands'; expected comma-separated decimal prices"),
            (["--only", "all"], "'all' is invalid for '--only'; expected costs or bands"),
        ]
    )
    func modelsUsageErrors(options: [String], message: String) throws {
        let inputs = try ModelsInputs()
        defer { inputs.remove() }
        let run = try inputs.run("models", options)
        #expect(run.status == 64)
        let line = onlyLine(run)
        #expect(line.hasPrefix("error: the value \(message)"), "\(line)")
        #expect(line.hasSuffix("(see 'cost-audit models --help')"))
        #expect(run.stdout.isEmpty)
    }

    @Test("tools prints each tool's weekly share and the shift in points, largest first, as JSON")
    func toolsJSON() throws {
        let inputs = try ModelsInputs()
        defer { inputs.remove() }
        let run = try inputs.run("tools", ["--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["tools"] as? [[String: Any]])
        // Week 49: web_search $0.10 of $0.11 = 90.909091% (50% the week before: +40.909091 points), no tool
        // $0.01 = 9.090909% (−40.909091); equal shifts, the higher spend first.
        let week49 = rows.filter { $0["week"] as? String == "2026-W49" }
        #expect(week49.map { $0["tool"] as? String } == ["web_search", "(none)"])
        #expect(
            run.stdout.contains(
                #""tool":"web_search","spend_usd":"0.100000000","share_pct":90.909091,"#
                    + #""previous_share_pct":50.000000,"shift_pp":40.909091"#
            )
        )
        #expect(object["total_usd"] as? String == "0.130000000")
    }

    @Test("tools with a ledger that does not exist exits 65 with one line naming it")
    func toolsMissingLedger() throws {
        let inputs = try ModelsInputs()
        defer { inputs.remove() }
        let missing = inputs.dir.appendingPathComponent("nowhere").path
        let run = try runTool(["tools", missing])
        #expect(run.status == 65)
        let line = onlyLine(run)
        #expect(line.hasPrefix("error: \(missing)"), "\(line)")
    }

    @Test("tools with a --now that is not a date exits 64")
    func toolsBadNow() throws {
        let inputs = try ModelsInputs()
        defer { inputs.remove() }
        let run = try runTool(["tools", inputs.ledger.path, "--now", "soon"])
        #expect(run.status == 64)
        #expect(onlyLine(run).contains("'soon'"))
    }
}
