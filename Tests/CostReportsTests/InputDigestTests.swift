import CostLedger
import CostReports
import Foundation
import Testing

@Suite("SHA-256 and the inputs fingerprint of a statement")
struct InputDigestTests {
    /// The examples of FIPS 180-4 (NIST's "SHA256.pdf" and the long-message vector).
    @Test(
        "SHA-256 gives the FIPS 180-4 example digests",
        arguments: [
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ]
    )
    func nistVectors(message: String, digest: String) {
        #expect(SHA256Hash.hex(SHA256Hash.hash(Array(message.utf8))) == digest)
    }

    @Test("SHA-256 of one million 'a', whole and fed in uneven pieces")
    func millionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256Hash.hex(SHA256Hash.hash(message)) == expected)
        var pieces = SHA256Hash()
        var offset = 0
        var size = 1
        while offset < message.count {
            let end = min(message.count, offset + size)
            pieces.update(Array(message[offset..<end]))
            offset = end
            size = size % 997 + 63
        }
        #expect(SHA256Hash.hex(pieces.finalize()) == expected)
    }

    @Test("the fingerprint's lines are sha256sum's, sorted by path bytes, each path once")
    func serialization() {
        let digest = InputDigest(entries: [
            .init(path: "b", sha256: String(repeating: "1", count: 64)),
            .init(path: "B", sha256: String(repeating: "2", count: 64)),
            .init(path: "a", sha256: String(repeating: "3", count: 64)),
            .init(path: "b", sha256: String(repeating: "1", count: 64)),
        ])
        let text =
            String(repeating: "2", count: 64) + "  B\n" + String(repeating: "3", count: 64) + "  a\n"
            + String(repeating: "1", count: 64) + "  b\n"
        #expect(String(decoding: digest.serialized, as: UTF8.self) == text)
        #expect(digest.sha256 == SHA256Hash.hex(SHA256Hash.hash(Array(text.utf8))))
    }

    /// The docs' one-liner, run on real files: `printf '%s\n' LEDGER/*.jsonl FILES | LC_ALL=C sort | xargs -d
    /// '\n' sha256sum | sha256sum`. Where `sha256sum` is missing, the same lines are built by hand.
    @Test("the fingerprint is what the documented sha256sum one-liner prints")
    func oneLiner() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stmt-digest-\(UUID().uuidString)")
        let ledger = dir.appendingPathComponent("ledger")
        try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files: [(String, String)] = [
            ("ledger/b.jsonl", "{\"b\": 1}\n"), ("ledger/a.jsonl", "{\"a\": 1}\n"), ("ledger/notes.txt", "not read"),
            ("Usage.json", "{}"), ("keys.json", "{\"k\": {\"team\": \"t\", \"project\": \"p\"}}"),
        ]
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        let usage = dir.appendingPathComponent("Usage.json").path
        let keys = dir.appendingPathComponent("keys.json").path
        let digest = try InputDigest(ledgers: [ledger.path], files: [usage, keys])
        #expect(
            digest.entries.map(\.path)
                == [
                    dir.appendingPathComponent("Usage.json").path, keys, ledger.path + "/a.jsonl",
                    ledger.path + "/b.jsonl",
                ].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        )
        #expect(
            digest.entries.first { $0.path == keys }?.sha256 == SHA256Hash.hex(SHA256Hash.hash(Array(files[4].1.utf8)))
        )

        let tool = ["/usr/bin/sha256sum", "/bin/sha256sum"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let expected: String
        if tool != nil {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c", #"printf '%s\n' "$1"/*.jsonl "$2" "$3" | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum"#,
                "sh", ledger.path, usage, keys,
            ]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            expected = String(String(decoding: data, as: UTF8.self).prefix(64))
        } else {
            var lines: [(String, String)] = []
            for path in [usage, keys, ledger.path + "/a.jsonl", ledger.path + "/b.jsonl"] {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                lines.append((path, SHA256Hash.hex(SHA256Hash.hash(bytes)) + "  " + path + "\n"))
            }
            let text = lines.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }.map(\.1).joined()
            expected = SHA256Hash.hex(SHA256Hash.hash(Array(text.utf8)))
        }
        #expect(digest.sha256 == expected)

        // One byte changed in one ledger file changes the fingerprint.
        try Data("{\"b\": 2}\n".utf8).write(to: ledger.appendingPathComponent("b.jsonl"))
        #expect(try InputDigest(ledgers: [ledger.path], files: [usage, keys]).sha256 != digest.sha256)
    }

    @Test("standard input, a missing file and a directory where a file is expected cannot be fingerprinted")
    func unreadableInputs() throws {
        for path in ["-", "/no/such/file.json", FileManager.default.temporaryDirectory.path] {
            let error = try #require(throws: ReportError.self) { try InputDigest(ledgers: [], files: [path]) }
            #expect(error.field == "input")
            #expect(error.value == path)
        }
    }
}
