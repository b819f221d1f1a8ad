import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The ledger inputs of an audit, checked and turned into the files to read (docs/audit.md).
///
/// An input is a directory (its `*.jsonl` files), a `*.jsonl` regular file, or a pipe or FIFO (`audit
/// <(zcat ledger.jsonl.gz)`); anything else is refused with ``CostAuditError/Code/invalidLedger``. A pipe is
/// opened once and copied to its end into a private temporary file (``StreamSpool``): the audit reads that
/// copy, as often as it needs (duplicates are compared and `--emit-attributed` reads the ledger again), and
/// never the stream a second time, so a FIFO neither hangs on a second open nor reads as empty.
struct LedgerInputs {
    /// One file to read.
    struct File: Sendable {
        /// The name the audit reports (the path found, or the pipe's path as given).
        var name: String
        /// Where its bytes are read: `name`, or the copy of a pipe.
        var readPath: String
        /// Its size when planned: the audit reads this many bytes, and a file found shorter is an error.
        var size: Int64
        /// Which file it was when planned: one found replaced later is an error.
        var identity: LedgerFileIdentity
    }

    /// One input as given, and its files (indices into ``files``).
    struct Input {
        var path: String
        var files: [Int]
    }

    /// Every file, in reading order (bytewise by name, each once).
    var files: [File]
    var inputs: [Input]
    /// The copies of pipes, removed when the last reference goes.
    var spool: StreamSpool?

    /// Checks `paths` and lists their files.
    /// - Throws: ``CostAuditError/Code/invalidLedger`` naming the input that is missing, unreadable or of the
    ///   wrong kind; ``CostAuditError/Code/io`` when a pipe cannot be copied (no room for its copy).
    static func plan(_ paths: [String]) throws(CostAuditError) -> LedgerInputs {
        var found: [(name: String, input: Int, readPath: String)] = []
        var inputs: [Input] = []
        var spool: StreamSpool?
        var seen: [String: Int] = [:]
        for path in paths {
            // The same path twice is one input (a FIFO could not be opened twice).
            if seen[path] != nil { continue }
            seen[path] = inputs.count
            let input = inputs.count
            inputs.append(Input(path: path, files: []))
            guard let info = SystemIO.status(path: path) else {
                throw CostAuditError(.invalidLedger, file: path, reason: errnoText())
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let names: [String]
                do {
                    names = try LedgerReader(path: path).files()
                } catch {
                    throw CostAuditError(.invalidLedger, file: error.field ?? path, reason: error.reason)
                }
                for name in names { found.append((name, input, name)) }
            case S_IFREG:
                guard path.hasSuffix(".jsonl") else {
                    throw CostAuditError(
                        .invalidLedger,
                        file: path,
                        reason: "not a ledger: expected a directory of *.jsonl files, a *.jsonl file or a pipe"
                    )
                }
                found.append((path, input, path))
            case S_IFIFO:
                let copies = spool ?? StreamSpool()
                spool = copies
                found.append((path, input, try copies.copy(path)))
            default:
                throw CostAuditError(
                    .invalidLedger,
                    file: path,
                    reason: "not a ledger: \(kindName(info.st_mode)), not a directory, a *.jsonl file or a pipe"
                )
            }
        }
        found.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var files: [File] = []
        for entry in found {
            if files.last?.name == entry.name {
                inputs[entry.input].files.append(files.count - 1)
                continue
            }
            guard let info = SystemIO.status(path: entry.readPath) else {
                throw CostAuditError(.invalidLedger, file: entry.name, reason: errnoText())
            }
            inputs[entry.input].files.append(files.count)
            files.append(
                File(
                    name: entry.name,
                    readPath: entry.readPath,
                    size: Int64(info.st_size),
                    identity: LedgerFileIdentity(
                        device: UInt64(truncatingIfNeeded: info.st_dev),
                        inode: UInt64(truncatingIfNeeded: info.st_ino)
                    )
                )
            )
        }
        return LedgerInputs(files: files, inputs: inputs, spool: spool)
    }

    static func errnoText(_ code: Int32 = errno) -> String { SystemErrorText.words(code) }

    private static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }
}

/// Copies of pipes given as ledgers, in a private temporary directory (`$TMPDIR`, else `/tmp`) removed when the
/// audit lets go of it.
final class StreamSpool {
    /// Bytes copied at a time.
    static let chunkBytes = 1 << 20

    private var directory: String?
    private var copies: [String] = []

    /// Reads the pipe at `path` once, to its end, into a new file; returns that file's path.
    func copy(_ path: String) throws(CostAuditError) -> String {
        let directory: String
        if let made = self.directory { directory = made } else { directory = try makeDirectory() }
        let target = directory + "/stream-\(copies.count).jsonl"
        let source = SystemIO.open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else {
            throw CostAuditError(.invalidLedger, file: path, reason: "cannot open: \(LedgerInputs.errnoText())")
        }
        defer { close(source) }
        let out = SystemIO.open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
        guard out >= 0 else {
            throw CostAuditError(
                .io,
                file: target,
                reason: "cannot keep a copy of the pipe \(path): \(LedgerInputs.errnoText())"
            )
        }
        copies.append(target)
        defer { close(out) }
        var buffer = [UInt8](repeating: 0, count: Self.chunkBytes)
        while true {
            let n = SystemIO.read(source, into: &buffer)
            if n < 0 {
                if errno == EINTR { continue }
                throw CostAuditError(.invalidLedger, file: path, reason: LedgerInputs.errnoText())
            }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = SystemIO.write(out, buffer, written..<n)
                if w < 0 {
                    if errno == EINTR { continue }
                    throw CostAuditError(
                        .io,
                        file: target,
                        reason: "cannot keep a copy of the pipe \(path): \(LedgerInputs.errnoText())"
                    )
                }
                written += w
            }
        }
        return target
    }

    private func makeDirectory() throws(CostAuditError) -> String {
        var base = SystemIO.environment("TMPDIR") ?? "/tmp"
        if base.isEmpty { base = "/tmp" }
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        guard let path = SystemIO.makeTemporaryDirectory(base + "/cost-audit-pipe-XXXXXX") else {
            throw CostAuditError(
                .io,
                file: base,
                reason: "cannot make a temporary directory: \(LedgerInputs.errnoText())"
            )
        }
        directory = path
        return path
    }

    deinit {
        for copy in copies { _ = SystemIO.removeFile(copy) }
        if let directory { _ = SystemIO.removeDirectory(directory) }
    }
}
