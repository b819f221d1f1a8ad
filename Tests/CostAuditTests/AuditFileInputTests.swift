import Attribution
import CostAudit
import Foundation
import Testing

/// The audit's small inputs read from a FIFO or a pipe, as the command line reads them (issue 17, defect 4:
/// Foundation's whole-file read said "You don't have permission" for a FIFO, as root).
@Suite("Audit file inputs")
struct AuditFileInputTests {
    /// A FIFO in a fresh directory, fed `text` by another thread once a reader opens it.
    static func fifo(holding text: String) throws -> (path: String, directory: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-fifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("input.json").path
        let mkfifo = Process()
        mkfifo.executableURL = URL(fileURLWithPath: "/usr/bin/mkfifo")
        mkfifo.arguments = [path]
        try mkfifo.run()
        mkfifo.waitUntilExit()
        guard mkfifo.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        let bytes = Data(text.utf8)
        Thread.detachNewThread {
            // Opening for writing waits for the reader.
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            handle.write(bytes)
            try? handle.close()
        }
        return (path, dir)
    }

    @Test("rules, a key map and a usage export named by a FIFO are read to its end")
    func fifoInputsAreRead() throws {
        let rules = try Self.fifo(holding: #"[{"match": {"agent": "a"}, "set": {"team": "t"}}]"#)
        defer { try? FileManager.default.removeItem(at: rules.directory) }
        let read = try AuditRules(contentsOfFile: rules.path)
        #expect(read.rules.count == 1)
        #expect(read.rules.first?.set[.team] == "t")

        let keys = try Self.fifo(holding: #"{"key_a": {"team": "t", "project": "p"}}"#)
        defer { try? FileManager.default.removeItem(at: keys.directory) }
        let map = try AuditKeyMap(contentsOfFile: keys.path)
        #expect(map.owners["key_a"] == AuditKeyMap.Owner(team: "t", project: "p"))
    }

    @Test("a directory given as the rules file is named as one, not as a permission problem")
    func directoryIsNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-dir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect {
            try AuditRules(contentsOfFile: dir.path)
        } throws: { error in
            "\(error)".contains("is a directory")
        }
        #expect {
            try AuditRules(contentsOfFile: dir.appendingPathComponent("missing.json").path)
        } throws: { error in
            "\(error)".contains("no such file")
        }
    }
}
