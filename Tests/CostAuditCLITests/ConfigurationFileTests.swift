import Foundation
import Testing

/// A folder with a ledger, a key map and a price file under `inputs/`, and a configuration file naming them by
/// paths relative to the configuration file's own folder.
private struct ConfiguredFolder {
    let root: URL
    var inputs: URL { root.appendingPathComponent("inputs") }
    var ledger: URL { inputs.appendingPathComponent("ledger") }
    var keys: URL { inputs.appendingPathComponent("keys.json") }
    var prices: URL { inputs.appendingPathComponent("prices.json") }
    var config: URL { inputs.appendingPathComponent("cost-audit.json") }

    static let record = """
        {"v":1,"record_id":"r1","ts":"2025-03-01T10:00:00.000Z","provider":"openai","model":"gpt-4o",\
        "api_key_id":"key_a","input_tokens":1000000,"output_tokens":100000,\
        "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"00f067aa0ba902b7","root_id":"00f067aa0ba902b7",\
        "attempt":1,"user_id":"u_1","feature":"summarize","task_type":"summarize"}

        """

    init(config: String = #"{"ledgers": ["ledger"], "keys": "keys.json", "prices": "prices.json"}"#) throws {
        root = try temporaryDirectory()
        try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
        try write(Self.record, to: ledger.appendingPathComponent("a.jsonl"))
        try write(#"{"key_a": {"team": "growth", "project": "assistant"}}"#, to: keys)
        try write(
            #"{"source": "config-prices", "models": {"openai/gpt-4o": [{"input": "2.00", "output": "8.00"}]}}"#,
            to: prices
        )
        try write(config, to: self.config)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

private func json(_ run: ToolRun) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
}

private func oneLine(_ run: ToolRun) -> String {
    #expect(run.stderr.filter { $0 == "\n" }.count == 1, "expected one line on stderr, got \(run.stderr)")
    return run.stderr.hasSuffix("\n") ? String(run.stderr.dropLast()) : run.stderr
}

@Suite("the configuration file, run as the built binary")
struct ConfigurationFileTests {
    @Test("--config FILE names the inputs, its relative paths read from its own folder, as the flags would")
    func configMatchesFlags() throws {
        let folder = try ConfiguredFolder()
        defer { folder.remove() }
        let configured = try runTool(
            ["audit", "--config", "inputs/cost-audit.json", "--format", "json"],
            directory: folder.root
        )
        #expect(configured.status == 0)
        #expect(configured.stderr.isEmpty)
        let flags = try runTool([
            "audit", folder.ledger.path, "--keys", folder.keys.path, "--prices", folder.prices.path,
            "--format", "json",
        ])
        #expect(configured.stdout == flags.stdout)
        let report = try json(configured)
        #expect(report["price_source"] as? String == "config-prices")
        let classes = try #require(report["classes"] as? [String: String])
        #expect(classes["key_allocated"] == "2.800000000")
    }

    @Test("cost-audit.json in the working directory is read without --config")
    func defaultFile() throws {
        let folder = try ConfiguredFolder()
        defer { folder.remove() }
        let run = try runTool(["audit", "--format", "json"], directory: folder.inputs)
        #expect(run.status == 0)
        let report = try json(run)
        #expect(report["price_source"] as? String == "config-prices")
        #expect(report["records"] as? Int == 1)
    }

    @Test("each option on the command line replaces the file's value for it")
    func flagsOverride() throws {
        let folder = try ConfiguredFolder(
            config: #"{"ledgers": ["missing-ledger"], "keys": "missing-keys.json", "prices": "prices.json"}"#
        )
        defer { folder.remove() }
        // The file's ledger and key map do not exist: the command line's replace them.
        let run = try runTool(
            ["audit", folder.ledger.path, "--keys", folder.keys.path, "--format", "json"],
            directory: folder.inputs
        )
        #expect(run.status == 0)
        let report = try json(run)
        #expect(report["price_source"] as? String == "config-prices")
        let classes = try #require(report["classes"] as? [String: String])
        #expect(classes["key_allocated"] == "2.800000000")
        // Without the override, the file's missing key map is the error, named as resolved from the file's folder.
        let plain = try runTool(["audit", folder.ledger.path], directory: folder.inputs)
        #expect(plain.status == 65)
        #expect(oneLine(plain) == "error: missing-keys.json: no such file")
        let elsewhere = try runTool(
            ["audit", folder.ledger.path, "--config", "inputs/cost-audit.json"],
            directory: folder.root
        )
        #expect(elsewhere.status == 65)
        #expect(oneLine(elsewhere) == "error: inputs/missing-keys.json: no such file")
    }

    @Test(
        "an invalid configuration file exits 65 with one line naming the file and the key",
        arguments: [
            (
                #"{"ledger": ["x"]}"#,
                "error: cost-audit.json: ledger: unknown key; expected one of ledgers, usage, keys, rules, prices, "
                    + "prices_effective_from, alerts, budgets"
            ),
            (#"{"ledgers": "x"}"#, "error: cost-audit.json: ledgers: expected an array of paths, got a string"),
            (#"{"usage": [1]}"#, "error: cost-audit.json: usage[0]: expected a path, got a number"),
            (#"{"keys": 3}"#, "error: cost-audit.json: keys: expected a path, got a number"),
            (#"{"rules": ""}"#, "error: cost-audit.json: rules: expected a path, got an empty string"),
            (
                #"{"prices_effective_from": "January"}"#,
                "error: cost-audit.json: prices_effective_from: expected a date YYYY-MM-DD or an RFC 3339 time, "
                    + "got \"January\""
            ),
            (
                #"{"prices_effective_from": "2025-01-01"}"#,
                "error: cost-audit.json: prices_effective_from: goes with \"prices\", and no price file is named"
            ),
            (#"["x"]"#, "error: cost-audit.json: expected a JSON object, got an array"),
            (#"{"keys": "a", "keys": "b"}"#, "error: cost-audit.json: not valid JSON: keys: "),
            ("{\"ledgers\": [\"a\"],}", "error: cost-audit.json: not valid JSON: "),
        ]
    )
    func invalidConfig(text: String, line: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(text, to: dir.appendingPathComponent("cost-audit.json"))
        let run = try runTool(["audit", "ledger"], directory: dir)
        #expect(run.status == 65)
        #expect(oneLine(run).hasPrefix(line))
        #expect(run.stdout.isEmpty)
    }

    @Test("a --config file that is missing or a directory exits 65 and says which")
    func unreadableConfig() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = try runTool(["audit", "ledger", "--config", "absent.json"], directory: dir)
        #expect(missing.status == 65)
        #expect(oneLine(missing) == "error: absent.json: no such file")
        let directory = try runTool(["audit", "ledger", "--config", "."], directory: dir)
        #expect(directory.status == 65)
        #expect(oneLine(directory) == "error: .: is a directory, expected a configuration file")
    }

    @Test("usage files named in the file resolve against its folder")
    func usageResolved() throws {
        let folder = try ConfiguredFolder(config: #"{"ledgers": ["ledger"], "usage": ["usage/absent.json"]}"#)
        defer { folder.remove() }
        let run = try runTool(["audit", "--config", folder.config.path])
        #expect(run.status == 65)
        #expect(oneLine(run) == "error: \(folder.inputs.path)/usage/absent.json: no such file")
    }
}
