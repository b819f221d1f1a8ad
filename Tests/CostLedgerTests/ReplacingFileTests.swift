import CostLedger
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tool's output files (`html -o`, `export -o`, `--emit-attributed`) are replaced whole or not at all.
@Suite("An output file replaced whole or not at all")
struct ReplacingFileTests {
    /// The names in `dir` that are left-over temporary files of a replacement.
    func leftovers(_ dir: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
    }

    @Test("a new file is written, and an existing one replaced with its permissions kept; nothing else is left")
    func writesAndReplaces() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try ReplacingFile.write(Array("first".utf8), to: dir.file("page.html"))
        #expect(try dir.contents("page.html") == Array("first".utf8))

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: dir.file("page.html"))
        try ReplacingFile.write(Array("second, longer".utf8), to: dir.file("page.html"))
        #expect(try dir.contents("page.html") == Array("second, longer".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: dir.file("page.html"))[.posixPermissions]
        #expect(mode as? Int == 0o640)
        #expect(try leftovers(dir).isEmpty)
    }

    @Test("a file replaced by root keeps its owner and group")
    func ownerKept() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("page.html", "yesterday")
        let before = try #require(SystemIO.status(path: dir.file("page.html")))
        // As root, give the page to nobody first; otherwise it is the tester's own, which it keeps too.
        let owner = getuid() == 0 ? (uid_t(65534), gid_t(65534)) : (before.st_uid, before.st_gid)
        try FileManager.default.setAttributes(
            [.ownerAccountID: Int(owner.0), .groupOwnerAccountID: Int(owner.1)],
            ofItemAtPath: dir.file("page.html")
        )
        try ReplacingFile.write(Array("today".utf8), to: dir.file("page.html"))
        let after = try #require(SystemIO.status(path: dir.file("page.html")))
        #expect(after.st_uid == owner.0)
        #expect(after.st_gid == owner.1)
        #expect(try dir.contents("page.html") == Array("today".utf8))
    }

    @Test("a file released before commit leaves the target as it was and removes what it wrote")
    func abandonedLeavesTarget() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("page.html", "yesterday's page")
        do {
            let file = try ReplacingFile(path: dir.file("page.html"))
            try file.write(Array("half a pa".utf8))
            #expect(try leftovers(dir).count == 1)
            // Released here without commit(), as when a write fails on a full disk.
        }
        #expect(try dir.contents("page.html") == Array("yesterday's page".utf8))
        #expect(try leftovers(dir).isEmpty)
    }

    @Test("a directory, or a directory that does not exist, is refused in plain words")
    func refusals() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        #expect(throws: ReplacingFile.Failure(reason: "is a directory, expected a file to write")) {
            try ReplacingFile.write([1], to: dir.path)
        }
        #expect(throws: ReplacingFile.Failure(reason: "no such directory: \(dir.file("missing"))")) {
            try ReplacingFile.write([1], to: dir.file("missing/page.html"))
        }
        try dir.write("plain", "a file, not a directory")
        #expect(throws: ReplacingFile.Failure(reason: "no such directory: \(dir.file("plain"))")) {
            try ReplacingFile.write([1], to: dir.file("plain/page.html"))
        }
    }

    @Test("a symbolic link to a file still points at it, and the file it names is replaced")
    func symbolicLink() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("real.html", "old")
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.html"), withDestinationPath: "real.html")
        try ReplacingFile.write(Array("new".utf8), to: dir.file("link.html"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("link.html")) == "real.html")
        #expect(try dir.contents("real.html") == Array("new".utf8))

        // A link to nothing yet: the file it names is made.
        try FileManager.default.createSymbolicLink(atPath: dir.file("ahead.html"), withDestinationPath: "later.html")
        try ReplacingFile.write(Array("made".utf8), to: dir.file("ahead.html"))
        #expect(try dir.contents("later.html") == Array("made".utf8))
        #expect(try leftovers(dir).isEmpty)
    }

    @Test("a FIFO is written in place and stays a FIFO")
    func fifo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("out.fifo")
        let mkfifo = Process()
        mkfifo.executableURL = URL(fileURLWithPath: "/usr/bin/mkfifo")
        mkfifo.arguments = [path]
        try mkfifo.run()
        mkfifo.waitUntilExit()
        try #require(mkfifo.terminationStatus == 0)
        let received = Received()
        let reader = Thread {
            // Opening for reading waits for the writer.
            received.set(FileHandle(forReadingAtPath: path).flatMap { try? $0.readToEnd() }.map { Array($0) } ?? [])
        }
        reader.start()
        try ReplacingFile.write(Array("through the pipe".utf8), to: path)
        #expect(received.wait(seconds: 10) == Array("through the pipe".utf8))
        let mode = try #require(SystemIO.status(path: path, followingLinks: false)).st_mode
        #expect(mode & S_IFMT == S_IFIFO)
        #expect(try leftovers(dir).isEmpty)
    }
}

/// What the reader of a FIFO received, handed from its thread to the test's.
private final class Received: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var bytes: [UInt8]?

    func set(_ value: [UInt8]) {
        lock.withLock { bytes = value }
        done.signal()
    }

    /// The bytes, once the reader has them (nil after `seconds` without).
    func wait(seconds: Int) -> [UInt8]? {
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        return lock.withLock { bytes }
    }
}
