import Foundation
import Testing

/// One call of 1,000,000 input and 100,000 output tokens of gpt-4o at $2/M and $8/M: $2 input, $0.80 output.
private let ledgerLine = """
    {"v":1,"record_id":"r1","ts":"2025-03-01T10:00:00.000Z","provider":"openai","model":"gpt-4o",\
    "input_tokens":1000000,"output_tokens":100000,\
    "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"00f067aa0ba902b7","root_id":"00f067aa0ba902b7",\
    "attempt":1,"user_id":"u_1","feature":"summarize","team":"growth","project":"assistant",\
    "task_type":"summarize"}

    """

private let priceFile = #"{"source": "t", "models": {"openai/gpt-4o": [{"input": "2.00", "output": "8.00"}]}}"#

/// The one line a failure prints, checked to be exactly one line.
private func oneLine(_ run: ToolRun) -> String {
    #expect(run.stderr.filter { $0 == "\n" }.count == 1, "expected one line on stderr, got \(run.stderr)")
    return String(run.stderr.dropLast())
}

@Suite("cost-audit export --focus: the built binary's output and exit statuses")
struct ExportCommandTests {
    @Test("writes FOCUS rows to stdout or -o FILE and exits 0")
    func success() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = dir.appendingPathComponent("a.jsonl")
        let prices = dir.appendingPathComponent("prices.json")
        try write(ledgerLine, to: ledger)
        try write(priceFile, to: prices)
        let run = try runTool(
            ["export", "--focus", ledger.path, "--prices", prices.path, "--billing-account", "acme", "--quiet"]
        )
        #expect(run.status == 0)
        #expect(run.stderr == "")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("BilledCost,BillingAccountId,") == true)
        #expect(lines[1].hasPrefix("2,acme,acme,USD,2025-04-01T00:00:00Z,2025-03-01T00:00:00Z,Usage,,"))
        #expect(lines[2].hasPrefix("0.8,acme,acme,USD,"))

        let output = dir.appendingPathComponent("focus.csv")
        let toFile = try runTool(["export", "--focus", ledger.path, "--prices", prices.path, "-o", output.path])
        #expect(toFile.status == 0)
        #expect(toFile.stdout == "")
        #expect(
            try String(contentsOf: output, encoding: .utf8)
                == run.stdout.replacingOccurrences(of: "acme", with: "openai")
        )
    }

    @Test(
        "bad usage exits 64 with one line pointing at export's help",
        arguments: [
            (
                ["export", "L"],
                "error: missing the export format: '--focus' (FOCUS 1.2 CSV) is the only one "
                    + "(see 'cost-audit export --help')"
            ),
            (
                ["export", "--focus", "L", "--format", "json"],
                "error: the value 'json' is invalid for '--format'; export writes csv only "
                    + "(see 'cost-audit export --help')"
            ),
            (
                ["export", "--focus", "L", "--billing-account", " "],
                "error: the value ' ' is invalid for '--billing-account'; expected an id "
                    + "(see 'cost-audit export --help')"
            ),
        ]
    )
    func badUsage(arguments: [String], line: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try runTool(arguments, directory: dir)
        #expect(run.status == 64)
        #expect(oneLine(run) == line)
    }

    @Test("a missing ledger exits 65 and an output that cannot be written exits 1, each with one line")
    func failures() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("absent.jsonl").path
        let run = try runTool(["export", "--focus", missing])
        #expect(run.status == 65)
        #expect(oneLine(run).hasPrefix("error: \(missing): "))

        let ledger = dir.appendingPathComponent("a.jsonl")
        try write(ledgerLine, to: ledger)
        let output = dir.appendingPathComponent("no-such-dir/focus.csv").path
        let unwritable = try runTool(["export", "--focus", ledger.path, "-o", output, "--quiet"])
        #expect(unwritable.status == 1)
        #expect(oneLine(unwritable).hasPrefix("error: \(output): cannot be written"))

        let overwrite = try runTool(["export", "--focus", ledger.path, "-o", ledger.path, "--quiet"])
        #expect(overwrite.status == 64)
        #expect(oneLine(overwrite).hasPrefix("error: \(ledger.path): --output would overwrite the input"))
        #expect(try String(contentsOf: ledger, encoding: .utf8) == ledgerLine)
    }
}
