import Foundation
import Testing

/// Issue 17's defects 1 and 4 in the built tool: decoders whose memory follows what they keep, not the input's
/// size (run under an address-space limit the old code exceeded), and bad input located and named plainly.
@Suite("Decoder defects (issue 17)")
struct DecoderDefectsTests {
    /// One complete call record.
    static let record =
        #"{"v":1,"record_id":"fa6facfda44a212ffb17ef0d802e576e","ts":"2026-11-24T16:02:00.123Z","provider":"openai","#
        + #""model":"gpt-4.1","api_key_id":"key_a","input_tokens":1000,"output_tokens":200,"user_id":"u_1","#
        + #""feature":"chat","team":"t","project":"p","task_type":"qa"}"# + "\n"

    /// Runs the built tool under `ulimit -v kilobytes` (an address-space limit: an allocation past it fails and
    /// the tool dies), killed after ten minutes so a run that cannot allocate never hangs the suite. It runs on a
    /// Dispatch thread: a debug build takes many seconds over these inputs, and waiting for it on the cooperative
    /// pool (two threads on a 2-core machine) would hold up every other test meanwhile.
    static func runLimited(_ arguments: [String], kilobytes: Int) async throws -> ToolRun {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runLimitedBlocking(arguments, kilobytes: kilobytes) })
            }
        }
    }

    /// Whether this test process (and so the tool, built with it) carries a sanitizer's shadow memory:
    /// AddressSanitizer and ThreadSanitizer reserve terabytes of address space at start, so an address-space
    /// limit stops every run of the tool before it reads anything. The memory bounds are then checked by the
    /// ordinary build's run only; the exit status and message are still checked here (.ci/sanitizers.sh).
    static let addressSpaceIsSanitizerShadowed: Bool = {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
            let kilobytes = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        else { return false }
        return kilobytes > 1 << 30  // over 1 TiB
    }()

    /// `bytes`, or 1 MiB in a sanitizer build: there the memory bound is not checked (no limit, above), and the
    /// tool built with ThreadSanitizer took over ten minutes over 32 MiB of blank lines on the loaded 2-core
    /// machine and was killed by the timeout (exit 9); the exit status and message do not depend on the size.
    static func inputBytes(_ bytes: Int) -> Int { addressSpaceIsSanitizerShadowed ? 1 << 20 : bytes }

    private static func runLimitedBlocking(_ arguments: [String], kilobytes: Int) throws -> ToolRun {
        let tool = try costAuditExecutable().path
        let limit = addressSpaceIsSanitizerShadowed ? "" : "ulimit -v \(kilobytes) && "
        // One malloc arena: glibc gives a thread that finds the arena locked one of its own, each reserving 64 MB
        // of address space, so how many there are depends on timing (a loaded machine made one 16 MB read fail
        // at 260 MB while the tool's heap needed 200). With one arena the limit measures the heap alone.
        let command = limit + "MALLOC_ARENA_MAX=1 exec \"$0\" \"$@\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-s", "KILL", "600", "/bin/sh", "-c", command, tool] + arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let (out, err) = readToEnd(output, error)
        process.waitUntilExit()
        return ToolRun(
            status: process.terminationStatus,
            stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self)
        )
    }

    @Test("a usage export of 32 MiB of blank lines is refused in one line inside a 600 MB address space")
    func blankUsageExportIsBounded() async throws {
        // Split into a list of lines, 32 Mi newlines took over 1 GB (25-35x the input); read in place, the
        // file's bytes and a copy at most.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = dir.appendingPathComponent("ledger.jsonl")
        try write(Self.record, to: ledger)
        let usage = dir.appendingPathComponent("usage.json")
        try Data(repeating: 0x0A, count: Self.inputBytes(32 << 20)).write(to: usage)
        let run = try await Self.runLimited(
            ["audit", ledger.path, "--usage", usage.path, "--quiet"],
            kilobytes: 600 * 1024
        )
        #expect(run.status == 65, "stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("error: \(usage.path): "), "stderr: \(run.stderr)")
        #expect(run.stderr.filter { $0 == "\n" }.count == 1, "stderr: \(run.stderr)")
    }

    @Test("inspect of 16 MiB of empty header lines says the input is empty inside a 400 MB address space")
    func blankHeaderLinesAreBounded() async throws {
        // 16 Mi empty lines split into Swift strings took 604 MB; scanned in place, the input's bytes twice.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("headers.txt")
        try Data(repeating: 0x0A, count: Self.inputBytes(16 << 20)).write(to: input)
        let run = try await Self.runLimited(["inspect", input.path], kilobytes: 400 * 1024)
        #expect(run.status == 65, "stderr: \(run.stderr)")
        #expect(run.stderr == "error: \(input.path): the input is empty\n")
    }

    @Test("inspect reads the last response's headers among many, a status line starting each")
    func headerLinesStillRead() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("headers.txt")
        let traceparent = "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let text =
            "HTTP/1.1 301 Moved\r\n\(traceparent)\r\nx-other: 1\r\n\r\nHTTP/2 200\r\n\(traceparent)\r\n"
            + "baggage: user_id=u_9\r\n\r\n"
        try write(text, to: input)
        let run = try runTool(["inspect", input.path, "--require", "user_id"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("u_9"))
        // Two traceparents in the last response are refused, counted.
        try write("HTTP/2 200\r\n\(traceparent)\r\n\(traceparent)\r\n", to: input)
        let twice = try runTool(["inspect", input.path])
        #expect(twice.status == 65)
        #expect(twice.stderr.contains("2 traceparent headers"), "stderr: \(twice.stderr)")
        // A line without a colon is named by its number.
        try write("\(traceparent)\n\nnot a header\n", to: input)
        let bad = try runTool(["inspect", input.path])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("line 3"), "stderr: \(bad.stderr)")
    }

    @Test("a 60,000-digit v is an invalid record named as out of range, with a short excerpt, not a non-integer")
    func hugeVersionIsOutOfRange() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = dir.appendingPathComponent("ledger.jsonl")
        let digits = String(repeating: "9", count: 60_000)
        try write(Self.record + #"{"v":"# + digits + #","record_id":"x"}"# + "\n", to: ledger)
        let run = try runTool(["audit", ledger.path, "--format", "json", "--quiet"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let details = report?["invalid_record_details"] as? [[String: Any]] ?? []
        #expect(details.count == 1)
        #expect(details.first?["field"] as? String == "v")
        let reason = details.first?["reason"] as? String ?? ""
        #expect(reason.contains("out of range"), "\(reason)")
        #expect(reason.contains("99999999999999999999… (60000 characters)"), "\(reason)")
        #expect(reason.utf8.count < 200, "\(reason.utf8.count) bytes")
    }

    /// A ledger with a good line, a line that is not UTF-8 (line 2) and a torn last line (line 3).
    static func ledgerWithSkippedLines(in dir: URL) throws -> URL {
        let ledger = dir.appendingPathComponent("ledger.jsonl")
        var bytes = Array(Self.record.utf8)
        bytes += Array(#"{"v":1,"record_id":"b"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8) + [0x0A]
        bytes += Array(#"{"v":1,"record_id":"tor"#.utf8)
        try Data(bytes).write(to: ledger)
        return ledger
    }

    @Test("skipped lines are located in the CSV and Markdown outputs, as in the table and JSON")
    func skippedLinesLocatedInEveryFormat() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try Self.ledgerWithSkippedLines(in: dir)
        let csv = try runTool(["audit", ledger.path, "--format", "csv", "--quiet"])
        #expect(csv.status == 0, "stderr: \(csv.stderr)")
        let rows = csv.stdout.split(separator: "\n").filter { $0.hasPrefix("skipped_line,") }
        #expect(rows.count == 2, "\(csv.stdout)")
        #expect(rows.first?.contains("\(ledger.path):2: ") == true, "\(rows)")
        #expect(rows.last?.contains("\(ledger.path):3: ") == true, "\(rows)")
        let markdown = try runTool(["audit", ledger.path, "--format", "markdown", "--quiet"])
        #expect(markdown.status == 0, "stderr: \(markdown.stderr)")
        #expect(markdown.stdout.contains("| Skipped line (first 2 of 2) | Reason |"), "\(markdown.stdout)")
        #expect(markdown.stdout.contains("| \(ledger.path):2 | "), "\(markdown.stdout)")
        #expect(markdown.stdout.contains("| \(ledger.path):3 | "), "\(markdown.stdout)")
    }

    @Test("report, like the audit, says on stderr which ledger lines it skipped")
    func reportWarnsOfSkippedLines() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try Self.ledgerWithSkippedLines(in: dir)
        let run = try runTool(["report", ledger.path, "--quiet"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.first == "warning: 2 ledger lines were skipped", "stderr: \(run.stderr)")
        #expect(lines.dropFirst().first?.hasPrefix("warning: \(ledger.path):2: ") == true, "stderr: \(run.stderr)")
        #expect(lines.dropFirst(2).first?.hasPrefix("warning: \(ledger.path):3: ") == true, "stderr: \(run.stderr)")
    }
}
