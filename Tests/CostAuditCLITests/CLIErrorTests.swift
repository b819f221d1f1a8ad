import Attribution
import Foundation
import Testing

@testable import CostAuditCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder holding a small ledger, a key map, rules and a price file, removed by the caller.
private struct Inputs {
    let dir: URL
    var ledger: URL { dir.appendingPathComponent("ledger") }
    var keys: URL { dir.appendingPathComponent("keys.json") }
    var rules: URL { dir.appendingPathComponent("rules.json") }
    var prices: URL { dir.appendingPathComponent("prices.json") }
    var usage: URL { dir.appendingPathComponent("usage.json") }

    /// One call by `key_a` that lacks `team` and `project`: the key map fills them (`key_allocated`).
    static let record = """
        {"v":1,"record_id":"r1","ts":"2025-03-01T10:00:00.000Z","provider":"openai","model":"gpt-4o",\
        "api_key_id":"key_a","input_tokens":1000000,"output_tokens":100000,\
        "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"00f067aa0ba902b7","root_id":"00f067aa0ba902b7",\
        "attempt":1,"user_id":"u_1","feature":"summarize","task_type":"summarize"}

        """

    init() throws {
        dir = try temporaryDirectory()
        try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
        try write(Self.record, to: ledger.appendingPathComponent("a.jsonl"))
        try write(#"{"key_a": {"team": "growth", "project": "assistant"}}"#, to: keys)
        try write(#"[{"match": {"agent": "eval"}, "set": {"team": "ml"}}]"#, to: rules)
        try write(
            #"{"source": "test-prices", "models": {"openai/gpt-4o": [{"input": "2.00", "output": "8.00"}]}}"#,
            to: prices
        )
        try write(#"{"object": "page", "data": [], "has_more": false}"#, to: usage)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

/// The one line a failure prints, checked to be exactly one line.
private func oneLine(_ run: ToolRun) -> String {
    #expect(run.stderr.hasSuffix("\n"))
    #expect(run.stderr.filter { $0 == "\n" }.count == 1, "expected one line on stderr, got \(run.stderr)")
    return String(run.stderr.dropLast())
}

@Suite("cost-audit errors: one line, the right exit status, run as the built binary")
struct CLIErrorTests {
    @Test(
        "a missing input file exits 65 with one line naming it once and saying 'no such file'",
        arguments: ["--usage", "--keys", "--rules", "--prices"]
    )
    func missingInputFile(option: String) throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let missing = inputs.dir.appendingPathComponent("absent.json").path
        let run = try runTool(["audit", inputs.ledger.path, option, missing])
        #expect(run.status == 65)
        #expect(oneLine(run) == "error: \(missing): no such file")
        #expect(run.stdout.isEmpty)
    }

    @Test(
        "a directory given where a file is expected exits 65 and says so, with no Foundation text",
        arguments: [
            ("--usage", "usage export"), ("--keys", "key map"), ("--rules", "rules"), ("--prices", "price"),
        ]
    )
    func directoryAsInputFile(option: String, what: String) throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let run = try runTool(["audit", inputs.ledger.path, option, inputs.dir.path])
        #expect(run.status == 65)
        #expect(oneLine(run) == "error: \(inputs.dir.path): is a directory, expected a \(what) file")
        #expect(!run.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test(
        "an unreadable input file exits 65 with 'permission denied'",
        .enabled(if: geteuid() != 0, "root reads any file"),
        arguments: ["--usage", "--keys", "--rules", "--prices"]
    )
    func unreadableInputFile(option: String) throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let locked = inputs.dir.appendingPathComponent("locked.json")
        try write("{}", to: locked)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: locked.path)
        let run = try runTool(["audit", inputs.ledger.path, option, locked.path])
        #expect(run.status == 65)
        #expect(oneLine(run) == "error: \(locked.path): permission denied")
    }

    /// Each command that takes `--now`, with the arguments it needs besides the ledger.
    static let nowCommands: [[String]] = [
        ["report", "--by", "team"], ["explain", "--feature", "summarize"], ["alerts"], ["top-users"],
        ["forecast", "--month", "2025-03"], ["statement", "--month", "2025-03", "--all"], ["html", "-o", "page.html"],
        ["export", "--focus", "-o", "focus.csv"],
    ]

    @Test(
        "a --now before 1900 or from 2200 on exits 64 naming the range (the windows would leave the clock's range)",
        arguments: nowCommands
    )
    func nowOutOfRange(command: [String]) async throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let output = { (name: String) in inputs.dir.appendingPathComponent(name).path }
        let arguments = command.map { $0.hasSuffix(".html") || $0.hasSuffix(".csv") ? output($0) : $0 }
        for now in ["1677-09-22", "1899-12-31T23:59:59Z", "2200-01-01", "2262-04-11T23:00:00Z"] {
            let run = await runInProcess(
                arguments + [inputs.ledger.path, "--now", now, "--prices", inputs.prices.path]
            )
            #expect(run.status == 64, "\(command) --now \(now)")
            #expect(
                run.stderr.hasPrefix(
                    "error: the value '\(now)' is invalid for '--now'; expected a time from "
                        + "1900-01-01T00:00:00.000Z to before 2200-01-01T00:00:00.000Z"
                ),
                "\(run.stderr)"
            )
        }
        for now in ["1900-01-01", "2199-12-31T23:59:59Z"] {
            let run = await runInProcess(
                arguments + [inputs.ledger.path, "--now", now, "--prices", inputs.prices.path]
            )
            #expect([0, 2].contains(run.status), "\(command) --now \(now): \(run.stderr)")
        }
    }

    @Test("a system error is told in plain words: permission denied, no such file, is a directory")
    func errnoWords() {
        #expect(InputFileError(path: "f", errno: EACCES).description == "f: permission denied")
        #expect(InputFileError(path: "f", errno: EPERM).description == "f: permission denied")
        #expect(InputFileError(path: "f", errno: ENOENT).description == "f: no such file")
        #expect(InputFileError(path: "f", errno: EISDIR).description == "f: is a directory")
        #expect(InputFileError(path: "f", errno: EACCES).exitCode == .dataError)
        #expect(InputFileError(path: "f", errno: EMFILE).exitCode == .failure)
    }

    @Test("a missing ledger is worded as a missing usage file is: one line, 'no such file', exit 65")
    func missingLedgerWords() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-ledger-\(UUID())").path
        let run = try runTool(["audit", missing])
        #expect(run.status == 65)
        #expect(oneLine(run) == "error: \(missing): no such file")
    }

    @Test("an invalid input file exits 65 with one line naming the file once and the field at fault")
    func invalidInputFiles() throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        try write(#"{"key_a": {"team": "growth"}}"#, to: inputs.keys)
        let keys = try runTool(["audit", inputs.ledger.path, "--keys", inputs.keys.path])
        #expect(keys.status == 65)
        let keysLine = oneLine(keys)
        #expect(keysLine.hasPrefix("error: \(inputs.keys.path): key_a"))
        #expect(keysLine.components(separatedBy: inputs.keys.path).count == 2)

        try write(#"{"models": {"openai/gpt-4o": [{"input": "x"}]}}"#, to: inputs.prices)
        let prices = try runTool(["audit", inputs.ledger.path, "--prices", inputs.prices.path])
        #expect(prices.status == 65)
        let pricesLine = oneLine(prices)
        #expect(pricesLine.hasPrefix("error: \(inputs.prices.path): "))
        #expect(pricesLine.components(separatedBy: inputs.prices.path).count == 2)
        #expect(pricesLine.contains("openai/gpt-4o"))

        try write("not json\n", to: inputs.usage)
        let usage = try runTool(["audit", inputs.ledger.path, "--usage", inputs.usage.path])
        #expect(usage.status == 65)
        #expect(oneLine(usage).hasPrefix("error: \(inputs.usage.path): "))
    }

    @Test("a ledger path that does not exist exits 65, one line, naming it")
    func missingLedger() throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let absent = inputs.dir.appendingPathComponent("no-ledger").path
        let run = try runTool(["audit", absent])
        #expect(run.status == 65)
        #expect(oneLine(run).hasPrefix("error: \(absent): "))
    }

    @Test("an output that cannot be written is the tool's failure: exit 1, one line naming it")
    func unwritableOutput() throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let output = inputs.dir.appendingPathComponent("no-such-dir/attributed.jsonl").path
        let run = try runTool(["audit", inputs.ledger.path, "--emit-attributed", output])
        #expect(run.status == 1)
        #expect(oneLine(run).hasPrefix("error: \(output): "))
    }

    @Test(
        "standard output on a full disk is the tool's failure: exit 1, one line saying so",
        arguments: [["report", "--by", "team"], ["--help"]]
    )
    func standardOutputOnFullDisk(arguments: [String]) throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"), "Linux's /dev/full, always full")
        let process = Process()
        process.executableURL = try costAuditExecutable()
        process.arguments = arguments + (arguments == ["--help"] ? [] : [inputs.ledger.path])
        process.standardOutput = full
        let error = Pipe()
        process.standardError = error
        try process.run()
        let stderr = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "\(stderr)")
        #expect(stderr == "error: standard output: cannot write: no space left on the device\n")
    }

    @Test("output that could not be written turns exit 0 into 1 and keeps any other status, with one line")
    func outputFailureStatus() async throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        for (arguments, status) in [
            (["--version"], Int32(1)),
            (["report"], Int32(64)),
            // Unknown spend above --fail-above 0: the breach is still reported as 2.
            (["audit", inputs.ledger.path, "--fail-above", "0"], Int32(2)),
        ] {
            let err = Lock("")
            let io = CommandIO(
                writeOutput: { _ in },
                writeError: { text in err.withLock { $0 += text } },
                readInput: { _ in [] },
                errorIsTerminal: false,
                outputFailure: { "broken pipe" }
            )
            #expect(await CostAuditCommand.run(arguments: arguments, io: io) == status)
            #expect(err.withLock { $0 }.hasSuffix("error: standard output: cannot write: broken pipe\n"))
        }
    }

    @Test(
        "bad usage exits 64 with one lowercase 'error:' line pointing at the subcommand's help",
        arguments: [
            (["audit", "--bogus"], "error: unknown option '--bogus' (see 'cost-audit audit --help')"),
            (["audit", "-z"], "error: unknown option '-z' (see 'cost-audit audit --help')"),
            (
                ["audit", "--format", "yaml"],
                "error: the value 'yaml' is invalid for '--format'; expected one of: table, json, csv, markdown "
                    + "(see 'cost-audit audit --help')"
            ),
            (
                ["audit", "L", "--since", "2025-02-01", "--until", "2025-01-01"],
                "error: the window is empty: '--until' 2025-01-01T00:00:00.000Z is not after '--since' "
                    + "2025-02-01T00:00:00.000Z (see 'cost-audit audit --help')"
            ),
            (
                ["audit", "L", "--prices", "p.json", "--prices-effective-from", "January"],
                "error: the value 'January' is invalid for '--prices-effective-from'; expected YYYY-MM-DD or an "
                    + "RFC 3339 time (see 'cost-audit audit --help')"
            ),
            (
                ["audit", "L", "--fail-above", "150"],
                "error: the value '150' is invalid for '--fail-above'; expected a percent from 0 to 100 "
                    + "(see 'cost-audit audit --help')"
            ),
            (
                ["inspect", "--format", "yaml"],
                "error: the value 'yaml' is invalid for '--format'; expected one of: table, json "
                    + "(see 'cost-audit inspect --help')"
            ),
        ]
    )
    func badUsage(arguments: [String], line: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try runTool(arguments, directory: dir)
        #expect(run.status == 64)
        #expect(oneLine(run) == line)
        #expect(run.stdout.isEmpty)
    }

    @Test("audit without a ledger and without a configuration file is bad usage (64)")
    func noLedger() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try runTool(["audit"], directory: dir)
        #expect(run.status == 64)
        #expect(
            oneLine(run)
                == "error: missing expected argument '<ledger> ...' (or \"ledgers\" in cost-audit.json or the "
                + "file '--config' names) (see 'cost-audit audit --help')"
        )
    }

    @Test("--fail-above breached exits 2 with one 'error:' line")
    func threshold() throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let run = try runTool([
            "audit", inputs.ledger.path, "--prices", inputs.prices.path, "--fail-above", "5", "--format", "json",
        ])
        #expect(run.status == 2)
        #expect(oneLine(run).hasPrefix("error: the unknown share after reconciliation, 100."))
        #expect(run.stderr.contains("is above --fail-above 5%"))
    }
}

@Suite("cost-audit: version, help and short options, run as the built binary")
struct CLISurfaceBinaryTests {
    @Test("--version prints 'cost-audit' and the version, and exits 0")
    func version() throws {
        let run = try runTool(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout == "cost-audit \(CostAuditCommand.version)\n")
        #expect(run.stderr.isEmpty)
        #expect(!CostAuditCommand.version.isEmpty)
    }

    @Test("help for an unknown subcommand exits 64 with one line listing the subcommands")
    func helpUnknown() throws {
        let run = try runTool(["help", "nope"])
        #expect(run.status == 64)
        #expect(
            oneLine(run)
                == "error: unknown subcommand 'nope'; the subcommands are alerts, audit, demo, explain, export, forecast, html, inspect, models, report, sql, statement, tools, top-users "
                + "(see 'cost-audit --help')"
        )
        #expect(run.stdout.isEmpty)
        let unknown = try runTool(["nope"])
        #expect(unknown.status == 64)
        #expect(oneLine(unknown) == oneLine(run))
        let none = try runTool([])
        #expect(none.status == 64)
        #expect(
            oneLine(none).hasPrefix(
                "error: no subcommand given; the subcommands are alerts, audit, demo, explain, export, forecast, html, inspect, models, report, sql, statement, tools, top-users"
            )
        )
    }

    @Test(
        "--help on every subcommand prints its help and exits 0",
        arguments: [
            "alerts", "audit", "demo", "explain", "export", "forecast", "html", "inspect", "models", "report",
            "sql", "statement", "tools", "top-users",
        ]
    )
    func subcommandHelp(name: String) throws {
        for arguments in [[name, "--help"], [name, "-h"], ["help", name]] {
            let run = try runTool(arguments)
            #expect(run.status == 0)
            #expect(run.stdout.hasPrefix("OVERVIEW: "))
            #expect(run.stdout.contains("USAGE: cost-audit \(name)"))
            #expect(run.stderr.isEmpty)
        }
        let root = try runTool(["--help"])
        #expect(root.stdout.contains("--version"))
    }

    @Test("-q is the short form of --quiet: accepted, listed in the help, and the report is unchanged")
    func shortQuiet() throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let short = try runTool(["audit", "-q", inputs.ledger.path, "--format", "json"])
        let long = try runTool(["audit", "--quiet", inputs.ledger.path, "--format", "json"])
        #expect(short.status == 0)
        #expect(short.stderr.isEmpty)
        #expect(short.stdout == long.stdout)
        #expect(short.stdout.hasPrefix("{"))
        #expect(try runTool(["audit", "--help"]).stdout.contains("-q, --quiet"))
    }
}
