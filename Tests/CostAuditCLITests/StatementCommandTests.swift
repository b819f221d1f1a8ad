import Foundation
import Testing

/// A ledger line of gpt-4.1 (built-in price: $2 per million input tokens) on 2026-11-24 with `fields`.
private func statementLine(_ id: String, input: Int, fields: String) -> String {
    #"{"v":1,"record_id":""# + id + #"","ts":"2026-11-24T16:02:00.123Z","provider":"openai","model":"gpt-4.1","#
        + #""input_tokens":"# + "\(input)" + #","output_tokens":0"# + (fields.isEmpty ? "" : "," + fields) + "}\n"
}

/// A ledger in `dir`: alpha $0.01 (5,000 input tokens), beta $0.01, and $1.00 with no team (500,000 tokens).
private func statementLedger(in dir: URL) throws -> String {
    let ledger = dir.appendingPathComponent("ledger")
    try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
    let text =
        statementLine("a", input: 5000, fields: #""team":"alpha","project":"p","feature":"f""#)
        + statementLine("b", input: 5000, fields: #""team":"beta","project":"p","feature":"f""#)
        + statementLine("u", input: 500_000, fields: #""user_id":"u_9""#)
    try write(text, to: ledger.appendingPathComponent("a.jsonl"))
    return ledger.path
}

/// The one line on stderr, without its line feed.
private func oneErrorLine(_ run: ToolRun, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    #expect(run.stderr.filter { $0 == "\n" }.count == 1, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.hasPrefix("error: "), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    return String(run.stderr.dropLast())
}

@Suite("cost-audit statement")
struct StatementCommandTests {
    /// Chargeback, proportional: the $1.00 unknown splits $0.50/$0.50 between alpha and beta ($0.01 each): $0.51
    /// each, the month $1.02.
    @Test("statement --all in chargeback prints statements that add up to the month, with the inputs' fingerprint")
    func chargebackAll() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try statementLedger(in: dir)
        let run = try runTool([
            "statement", ledger, "--all", "--month", "2026-11", "--mode", "chargeback", "--format", "json", "--quiet",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["month_total_usd"] as? String == "1.02")
        #expect(json["method"] as? String == "proportional")
        let statements = try #require(json["statements"] as? [[String: Any]])
        #expect(statements.map { $0["team"] as? String } == ["alpha", "beta"])
        #expect(statements.map { $0["total_usd"] as? String } == ["0.51", "0.51"])
        let fingerprint = try #require(json["inputs_sha256"] as? String)
        #expect(fingerprint.count == 64)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c", #"printf '%s\n' "$1"/*.jsonl | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum"#, "sh",
                ledger,
            ]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(String(String(decoding: data, as: UTF8.self).prefix(64)) == fingerprint)
        }

        let one = try runTool([
            "statement", ledger, "--team", "beta", "--month", "2026-11", "--mode", "chargeback", "--quiet",
        ])
        #expect(one.status == 0, "stderr: \(one.stderr)")
        #expect(one.stdout.contains("Chargeback statement of beta, 2026-11"))
        let shareLine = one.stdout.split(separator: "\n").first { $0.hasPrefix("beta") && $0.contains("unknown_share") }
        #expect(shareLine?.contains(" 0.50 ") == true, "\(one.stdout)")
        #expect(!one.stdout.contains("alpha"))
        #expect(one.stdout.contains("inputs_sha256: \(fingerprint)"))
        #expect(one.stderr.isEmpty)

        // A team no record has: its (empty) statement, and a warning naming the closest teams.
        let typo = try runTool(["statement", ledger, "--team", "betta", "--month", "2026-11", "--quiet"])
        #expect(typo.status == 0, "stderr: \(typo.stderr)")
        #expect(typo.stdout.contains("Showback statement of betta, 2026-11"))
        #expect(typo.stderr == "warning: no record in 2026-11 has team 'betta'; did you mean --team 'beta'?\n")
    }

    @Test(
        "bad usage is one line on stderr and exit 64",
        arguments: [
            (["--all"], "missing '--month YYYY-MM'"),
            (["--all", "--month", "2026-13"], "the value '2026-13' is invalid for '--month'"),
            (["--all", "--month", "2026-11", "--since", "2026-11-02"], "'--since' cannot go with '--month'"),
            (["--all", "--month", "2026-11", "--until", "2026-11-02"], "'--until' cannot go with '--month'"),
            (["--all", "--month", "2026-11", "--team", "alpha"], "give '--team TEAM' or '--all', not both"),
            (["--month", "2026-11"], "missing '--team TEAM' or '--all'"),
            (["--all", "--month", "2026-11", "--allocate", "weights"], "'--allocate weights' needs '--weights FILE'"),
            (
                ["--all", "--month", "2026-11", "--allocate", "even", "--weights", "w.json"],
                "goes with '--allocate weights'"
            ),
            (["--all", "--month", "2026-11", "--mode", "invoice"], "the value 'invoice' is invalid for '--mode'"),
            (
                ["--all", "--month", "2026-11", "--allocate", "random"],
                "the value 'random' is invalid for '--allocate'"
            ),
        ]
    )
    func usageErrors(arguments: [String], message: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try statementLedger(in: dir)
        let run = try runTool(["statement", ledger, "--quiet"] + arguments)
        #expect(run.status == 64)
        let line = oneErrorLine(run)
        #expect(line.contains(message), "\(line)")
        #expect(line.hasSuffix("(see 'cost-audit statement --help')"))
    }

    @Test("a bad weights file is one line naming the file, the team and the value, exit 65")
    func weightsFileErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try statementLedger(in: dir)
        let weights = dir.appendingPathComponent("weights.json")
        try write(#"{"alpha": 2, "beta": -1}"#, to: weights)
        let run = try runTool([
            "statement", ledger, "--all", "--month", "2026-11", "--weights", weights.path, "--quiet",
        ])
        #expect(run.status == 65)
        #expect(
            oneErrorLine(run)
                == "error: \(weights.path): \"beta\": '-1' is not a valid weight: expected a JSON number from 0 to "
                + "1000000000000 with at most 18 decimal places"
        )

        let missing = dir.appendingPathComponent("absent.json").path
        let absent = try runTool(["statement", ledger, "--all", "--month", "2026-11", "--weights", missing, "--quiet"])
        #expect(absent.status == 65)
        #expect(oneErrorLine(absent).hasPrefix("error: \(missing): "))

        // Good weights: alpha 3, beta 1 of the $1.00: $0.75 and $0.25.
        try write(#"{"alpha": 3, "beta": 1}"#, to: weights)
        let good = try runTool([
            "statement", ledger, "--all", "--month", "2026-11", "--mode", "chargeback", "--allocate", "weights",
            "--weights", weights.path, "--format", "csv", "--quiet",
        ])
        #expect(good.status == 0, "stderr: \(good.stderr)")
        #expect(good.stdout.contains("alpha,total,,,0.76,"))
        #expect(good.stdout.contains("beta,total,,,0.26,"))
        #expect(good.stdout.contains("(month),month_total,,,1.02,"))
    }

    @Test("a ledger that is a pipe cannot be fingerprinted: refused in one line before it is read, exit 65")
    func pipeRefused() throws {
        let mkfifo = "/usr/bin/mkfifo"
        guard FileManager.default.isExecutableFile(atPath: mkfifo) else { return }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("ledger.jsonl").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mkfifo)
        process.arguments = [fifo]
        try process.run()
        process.waitUntilExit()
        let run = try runTool(["statement", fifo, "--all", "--month", "2026-11", "--quiet"])
        #expect(run.status == 65)
        let line = oneErrorLine(run)
        #expect(line.hasPrefix("error: \(fifo): is not a regular file"), "\(line)")
    }
}
