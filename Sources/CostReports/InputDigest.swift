import CostLedger
import Foundation

/// A fingerprint of every input a statement was made from (docs/reports.md, "statement"): the SHA-256 of the
/// lines `sha256sum` prints for the input files, sorted by path.
///
/// Each input file gives one line, exactly as `sha256sum FILE` prints it for a path without a backslash or line
/// break: the file's SHA-256 in 64 lowercase hexadecimal digits, two spaces, the path as given (bytes of its
/// UTF-8), a line feed. The lines are sorted by the bytes of their paths, a path given twice counts once, and
/// ``sha256`` is the SHA-256 of the lines joined, in lowercase hexadecimal. A ledger directory stands for the
/// `*.jsonl` files the audit reads in it (`files()`). So on a shell:
///
/// ```sh
/// printf '%s\n' ledger/*.jsonl usage.json keys.json | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum
/// ```
///
/// prints the same digest as ``InputDigest/init(ledgers:files:)`` with `ledgers: ["ledger"]` and `files:
/// ["usage.json", "keys.json"]`.
public struct InputDigest: Sendable, Hashable {
    /// One input file and its SHA-256.
    public struct Entry: Sendable, Hashable {
        /// The path as given (a ledger directory's files as `DIRECTORY/NAME`).
        public var path: String
        /// The file's SHA-256, 64 lowercase hexadecimal digits.
        public var sha256: String

        /// Creates an entry.
        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// The inputs, sorted by the bytes of their paths, each path once.
    public let entries: [Entry]

    /// Bytes read from a file at a time: 1 MiB.
    static let chunkBytes = 1 << 20

    /// A digest of entries whose files were hashed already.
    public init(entries: [Entry]) {
        let sorted = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        var unique: [Entry] = []
        for entry in sorted where unique.last?.path != entry.path { unique.append(entry) }
        self.entries = unique
    }

    /// Hashes every input file: the `*.jsonl` files of each ledger directory (a ledger file as itself), and
    /// `files` (usage and cost exports, key map, rules, prices, weights).
    ///
    /// - Throws: ``ReportError`` with field `input` and the path as its value when a file cannot be read or is
    ///   not a regular file (a pipe or a device cannot be read a second time, so it cannot be fingerprinted).
    public init(ledgers: [String], files: [String]) throws(ReportError) {
        var paths: [String] = []
        for ledger in ledgers {
            try Self.requireKind(ledger, directoryAllowed: true)
            do {
                paths += try LedgerReader(path: ledger).files()
            } catch {
                throw ReportError(field: "input", value: ledger, reason: "cannot be listed: \(error.reason)")
            }
        }
        paths += files
        var entries: [Entry] = []
        for path in paths { entries.append(Entry(path: path, sha256: try Self.sha256(ofFile: path))) }
        self.init(entries: entries)
    }

    /// The bytes hashed: one `sha256sum` line per entry, in order.
    public var serialized: [UInt8] {
        var bytes: [UInt8] = []
        for entry in entries {
            bytes += Array(entry.sha256.utf8)
            bytes += [0x20, 0x20]
            bytes += Array(entry.path.utf8)
            bytes.append(0x0A)
        }
        return bytes
    }

    /// The fingerprint: the SHA-256 of ``serialized``, 64 lowercase hexadecimal digits.
    public var sha256: String { SHA256Hash.hex(SHA256Hash.hash(serialized)) }

    /// The SHA-256 of a regular file's bytes, read a mebibyte at a time, in lowercase hexadecimal.
    ///
    /// - Throws: ``ReportError`` with field `input` and the path as its value when the file cannot be read or
    ///   is not a regular file.
    public static func sha256(ofFile path: String) throws(ReportError) -> String {
        try requireKind(path, directoryAllowed: false)
        var hash = SHA256Hash()
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            while let data = try handle.read(upToCount: chunkBytes), !data.isEmpty {
                hash.update(Array(data))
            }
        } catch {
            throw ReportError(field: "input", value: path, reason: "cannot be read")
        }
        return SHA256Hash.hex(hash.finalize())
    }

    /// Refuses anything but a regular file (or a directory, where one is allowed), following symbolic links.
    static func requireKind(_ path: String, directoryAllowed: Bool) throws(ReportError) {
        guard path != "-" else {
            throw ReportError(
                field: "input",
                value: path,
                reason: "is standard input: a statement fingerprints every input file (inputs_sha256), so each "
                    + "must be a regular file"
            )
        }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let type: FileAttributeType?
        do {
            type = try FileManager.default.attributesOfItem(atPath: resolved)[.type] as? FileAttributeType
        } catch {
            throw ReportError(field: "input", value: path, reason: "cannot be read: no such file or directory")
        }
        if type == .typeRegular || (directoryAllowed && type == .typeDirectory) { return }
        let what = type == .typeDirectory ? "a directory" : "not a regular file (a pipe or a device)"
        throw ReportError(
            field: "input",
            value: path,
            reason: "is \(what): a statement fingerprints every input file (inputs_sha256), so each must be "
                + (directoryAllowed ? "a regular file or a ledger directory" : "a regular file")
        )
    }
}
