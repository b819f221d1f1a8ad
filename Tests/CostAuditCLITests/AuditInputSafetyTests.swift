import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One ledger line: a call record, complete, with `extra` members added (`"cost_usd":10`).
private func recordLine(_ id: String, model: String = "gpt-4.1", extra: String = "") -> String {
    #"{"v":1,"record_id":""# + id
        + #"","ts":"2026-11-24T16:02:00.123Z","provider":"openai","model":""# + model
        + #"","input_tokens":1000,"output_tokens":200,"user_id":"u_1","feature":"chat","team":"t","project":"p","#
        + #""task_type":"qa""# + (extra.isEmpty ? "" : "," + extra) + "}\n"
}

/// A ledger directory `ledger` in `dir` holding `a.jsonl` with `text`.
private func ledger(in dir: URL, _ text: String) throws -> (directory: String, file: String) {
    let directory = dir.appendingPathComponent("ledger")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let file = directory.appendingPathComponent("a.jsonl")
    try write(text, to: file)
    return (directory.path, file.path)
}

/// The tool's stderr is one line, `error: FILE: …`, naming `file`.
private func expectOneErrorLine(_ run: ToolRun, naming file: String, saying words: String) {
    let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(lines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.hasPrefix("error: \(file): "), "stderr: \(run.stderr)")
    #expect(run.stderr.contains(words), "stderr: \(run.stderr)")
}

/// Runs the built tool through `bash -c script` (arguments `$0` the tool, then `arguments`), killing it if it has
/// not finished after a minute (a hang is then a failure, not a stuck test run).
private func runThroughShell(_ script: String, _ arguments: [String]) throws -> ToolRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script, try costAuditExecutable().path] + arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if process.isRunning { process.terminate() } }
    let (out, err) = readToEnd(output, error)
    process.waitUntilExit()
    return ToolRun(
        status: process.terminationStatus,
        stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self)
    )
}

private func json(_ run: ToolRun) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
}

@Suite("cost-audit audit: inputs that lose data or lie")
struct AuditInputSafetyTests {
    @Test("--emit-attributed onto a ledger file, directly or through a symbolic link, is refused and the file kept")
    func emitOntoInput() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = recordLine("r1") + recordLine("r2")
        let (directory, file) = try ledger(in: dir, text)
        let link = dir.appendingPathComponent("out.jsonl").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        let usage = dir.appendingPathComponent("usage.json").path
        try write(#"{"object":"page","data":[]}"#, to: URL(fileURLWithPath: usage))
        for (output, input) in [(file, file), (link, file), (usage, usage)] {
            let run = try runTool(["audit", directory, "--usage", usage, "--emit-attributed", output])
            #expect(run.status == 64)
            expectOneErrorLine(run, naming: output, saying: "would overwrite the input \(input)")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == text)
        }
    }

    @Test(
        "an output onto the configuration file, named or found in the working directory, is refused and the file kept",
        arguments: [
            ["export", "--focus", "-o"], ["html", "--now", "2026-12-01", "-o"], ["audit", "--emit-attributed"],
        ]
    )
    func outputOntoConfiguration(command: [String]) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try ledger(in: dir, recordLine("r1"))
        let config = dir.appendingPathComponent("cost-audit.json").path
        let text = #"{"ledgers": ["ledger"]}"#
        try write(text, to: URL(fileURLWithPath: config))
        for (arguments, output) in [
            (command + [config, "--config", config], config),
            (command + ["cost-audit.json"], "cost-audit.json"),
        ] {
            let run = try runTool(arguments + ["--quiet"], directory: dir)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            expectOneErrorLine(run, naming: output, saying: "would overwrite the input \(output)")
            #expect(try String(contentsOfFile: config, encoding: .utf8) == text)
        }
    }

    @Test(
        "an output that is a directory, or in a directory that does not exist, is named in plain words, exit 1",
        arguments: [
            ["export", "--focus", "-o"], ["html", "--now", "2026-12-01", "-o"], ["audit", "--emit-attributed"],
        ]
    )
    func outputNotWritable(command: [String]) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (directory, _) = try ledger(in: dir, recordLine("r1"))
        let missing = dir.appendingPathComponent("missing").path
        for (output, words) in [
            (dir.path, "is a directory, expected a file to write"),
            (missing + "/out", "no such directory: \(missing)"),
        ] {
            let run = try runTool(command + [output, directory, "--quiet"])
            #expect(run.status == 1, "\(run.stderr)")
            expectOneErrorLine(run, naming: output, saying: words)
        }
    }

    @Test(
        "a file the user may write in a directory they may not is written in place; a new file there is refused"
    )
    func outputInLockedDirectory() throws {
        let dir = try temporaryDirectory()
        let locked = dir.appendingPathComponent("locked")
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path)
            try? FileManager.default.removeItem(at: dir)
        }
        let (directory, _) = try ledger(in: dir, recordLine("r1"))
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        let page = locked.appendingPathComponent("page.html").path
        try write("yesterday", to: URL(fileURLWithPath: page))
        // As root (which may write anywhere) the tool runs as `nobody`, who owns the page and not the directory,
        // from a copy in the test's directory (the checkout may be where nobody cannot reach, such as /root).
        var tool = try costAuditExecutable().path
        var prefix: [String] = []
        if getuid() == 0 {
            let setpriv = "/usr/bin/setpriv"
            try #require(
                FileManager.default.isExecutableFile(atPath: setpriv),
                "util-linux's setpriv runs it as nobody"
            )
            prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
            try FileManager.default.setAttributes([.ownerAccountID: 65534], ofItemAtPath: page)
            let copy = dir.appendingPathComponent("cost-audit").path
            try FileManager.default.copyItem(atPath: tool, toPath: copy)
            tool = copy
            for path in [dir.path, directory, directory + "/a.jsonl", copy] {
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
        func run(_ output: String) throws -> ToolRun {
            let arguments = ["html", directory, "--now", "2026-12-01", "-o", output, "--quiet"]
            guard let runner = prefix.first else { return try runExecutable(URL(fileURLWithPath: tool), arguments) }
            return try runExecutable(URL(fileURLWithPath: runner), prefix.dropFirst() + [tool] + arguments)
        }
        let written = try run(page)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try String(contentsOfFile: page, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))

        let new = locked.appendingPathComponent("new.html").path
        let refused = try run(new)
        #expect(refused.status == 1)
        expectOneErrorLine(refused, naming: new, saying: "cannot make a file in \(locked.path): permission denied")
    }

    @Test("money sums that would pass the largest supported total are an error naming the ledger file, exit 65")
    func overflowingSum() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let huge = #""cost_usd":100000000000000000000"#
        let (directory, file) = try ledger(
            in: dir,
            recordLine("r1", model: "no-such-model", extra: huge)
                + recordLine("r2", model: "no-such-model", extra: huge)
        )
        let run = try runTool(["audit", directory, "--format", "json"])
        #expect(run.status == 65)
        #expect(run.stdout.isEmpty)
        expectOneErrorLine(run, naming: file, saying: "passes the largest total the audit supports")
    }

    @Test("a negative cost_usd is an invalid record, located, never spend that cancels spend")
    func negativeCost() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let direct = recordLine("paid", model: "no-such-model", extra: #""cost_usd":10"#)
        let refund =
            #"{"v":1,"record_id":"refund","ts":"2026-11-24T16:02:00.123Z","provider":"openai","#
            + #""model":"no-such-model","input_tokens":1,"output_tokens":1,"cost_usd":-10}"# + "\n"
        let (directory, file) = try ledger(in: dir, direct + refund)
        let run = try runTool(["audit", directory, "--format", "json", "--fail-above", "0"])
        #expect(run.status == 0)
        let report = try json(run)
        #expect(report["total_usd"] as? String == "10.000000000")
        #expect(report["invalid_records"] as? Int == 1)
        #expect((report["classes"] as? [String: String])?["unknown"] == "0.000000000")
        let details = try #require(report["invalid_record_details"] as? [[String: Any]])
        #expect(details.first?["file"] as? String == file)
        #expect(details.first?["line"] as? Int == 2)
        #expect(details.first?["field"] as? String == "cost_usd")
    }

    @Test("a ledger given as a pipe (process substitution) is read, not taken for an empty ledger")
    func processSubstitution() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, file) = try ledger(in: dir, (0..<50).map { recordLine("r\($0)") }.joined())
        let run = try runThroughShell(#"exec "$0" audit <(cat "$1") --format json"#, [file])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try json(run)["records"] as? Int == 50)
    }

    @Test("a named FIFO as a ledger is opened once and read to its end: no hang, every record counted")
    func namedFIFO() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("ledger.fifo").path
        unsafe #expect(mkfifo(fifo, 0o600) == 0)
        let text = (0..<50).map { recordLine("r\($0)") }.joined() + recordLine("r0")
        let feeder = Thread {
            // Blocks until the tool opens the FIFO for reading.
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            handle.write(Data(text.utf8))
            try? handle.close()
        }
        feeder.start()
        let run = try runThroughShell(
            #"exec "$0" audit "$1" --format json --emit-attributed "$2""#,
            [
                fifo, dir.appendingPathComponent("out.jsonl").path,
            ]
        )
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let report = try json(run)
        #expect(report["records"] as? Int == 50)
        #expect(report["duplicates"] as? Int == 1)
        let emitted = try String(contentsOfFile: dir.appendingPathComponent("out.jsonl").path, encoding: .utf8)
        #expect(emitted.split(separator: "\n").count == 50)
    }

    @Test("a ledger input with no cost record in it is an error naming it, exit 65")
    func noCostRecord() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let run = try runTool(["audit", empty])
        #expect(run.status == 65)
        expectOneErrorLine(run, naming: empty, saying: "no cost record")

        let prices = dir.appendingPathComponent("prices.jsonl").path
        try write(
            #"{"gpt-4.1":{"input_cost_per_token":2e-06,"output_cost_per_token":8e-06}}"# + "\n",
            to: URL(fileURLWithPath: prices)
        )
        let mistaken = try runTool(["audit", prices])
        #expect(mistaken.status == 65)
        expectOneErrorLine(mistaken, naming: prices, saying: "no cost record")
    }

    @Test("a ledger input that is neither a directory, a *.jsonl file nor a pipe is refused in one line, exit 65")
    func wrongKind() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prices = dir.appendingPathComponent("prices.json").path
        try write("{}", to: URL(fileURLWithPath: prices))
        let missing = dir.appendingPathComponent("missing").path
        for path in [prices, "/dev/null", missing] {
            let run = try runTool(["audit", path])
            #expect(run.status == 65, "\(path)")
            expectOneErrorLine(run, naming: path, saying: path == missing ? "no such file" : "not a ledger")
        }
    }

    @Test("the table lists the first ten skipped lines as FILE:LINE: reason, and counts them all")
    func skippedLinesListed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let torn = (0..<12).map { _ in #"{"v":1,"record_id":"torn""# + "\n" }.joined()
        let (directory, file) = try ledger(in: dir, recordLine("r1") + torn)
        let run = try runTool(["audit", directory])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Skipped lines (first 10 of 12)"))
        for line in 2...11 { #expect(run.stdout.contains("  \(file):\(line): "), "line \(line)") }
        #expect(!run.stdout.contains("\(file):12: "))
        let report = try json(try runTool(["audit", directory, "--format", "json"]))
        #expect(report["skipped_lines"] as? Int == 12)
        #expect((report["skipped_line_details"] as? [[String: Any]])?.count == 10)
    }
}
