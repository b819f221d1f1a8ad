import Foundation
import Testing

/// Issue 17's defects 1 and 4, the rest: decoders of whole files whose memory follows what they keep, and
/// `export --focus` locating the ledger lines it skipped.
@Suite("Hostile input: bounded decoders and located skipped lines (issue 17)")
struct HostileInputTests {
    @Test("export --focus, like the audit, says on stderr which ledger lines it skipped")
    func exportWarnsOfSkippedLines() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = try DecoderDefectsTests.ledgerWithSkippedLines(in: dir)
        let run = try runTool(["export", "--focus", ledger.path, "--quiet"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.split(separator: "\n").count > 1, "stdout: \(run.stdout)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 3, "stderr: \(run.stderr)")
        #expect(lines.first == "warning: 2 ledger lines were skipped", "stderr: \(run.stderr)")
        #expect(lines.dropFirst().first?.hasPrefix("warning: \(ledger.path):2: ") == true, "stderr: \(run.stderr)")
        #expect(lines.dropFirst(2).first?.hasPrefix("warning: \(ledger.path):3: ") == true, "stderr: \(run.stderr)")
    }

    /// A file of `count` entries, each made by `entry` from its number, joined by commas between `open` and
    /// `close`: a large valid input of many small entries, every value distinct.
    static func writeEntries(
        _ count: Int,
        open: String,
        close: String,
        to url: URL,
        entry: (String) -> String
    ) throws {
        var text = open
        text.reserveCapacity(count * 128)
        for n in 0..<count {
            if n > 0 { text += "," }
            let number = String(n)
            text += entry(String(repeating: "0", count: max(0, 8 - number.utf8.count)) + number)
        }
        text += close
        try Data(text.utf8).write(to: url)
    }

    /// Audits a one-record ledger with `option file` under an address-space limit; the run must succeed
    /// with nothing on stderr.
    static func auditWith(_ option: String, _ file: URL, in dir: URL, kilobytes: Int) async throws {
        let ledger = dir.appendingPathComponent("ledger.jsonl")
        try write(DecoderDefectsTests.record, to: ledger)
        let run = try await DecoderDefectsTests.runLimited(
            ["audit", ledger.path, option, file.path, "--quiet"],
            kilobytes: kilobytes
        )
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.isEmpty, "stderr: \(run.stderr)")
    }
}
