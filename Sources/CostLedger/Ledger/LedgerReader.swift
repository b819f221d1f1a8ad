import Attribution

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams cost records from ledger directories and files in constant memory (docs/ledger.md).
///
/// Directories contribute their `*.jsonl` files; files given by path are read whatever their name. All files are
/// read in bytewise order of their paths, a chunk at a time, never whole. Bad lines never stop a
/// read: lines over 64 KiB, lines that are not one complete JSON object (a torn last line after a crash), and
/// complete objects that break the format are skipped and counted in ``LedgerReadStats``, with file, line and
/// field for the first thousand. Empty lines carry nothing and are passed over without a count. A last line
/// without its `\n` is read like any other: a whole record is kept, a torn one counted.
///
/// ```swift
/// let reader = LedgerReader(paths: ["ledger"])
/// let stats = try reader.read { record, location in
///     print(location, record.recordID, record.costUSD ?? .zero)
/// }
/// print("skipped \(stats.skippedLines), invalid \(stats.invalidRecords)")
/// ```
public struct LedgerReader: Sendable {
    /// Bytes read from a file at a time: 1 MiB.
    public static let chunkSize = 1 << 20

    /// The directories and files to read.
    public var paths: [String]

    /// Creates a reader of `paths`: ledger directories or single files.
    public init(paths: [String]) {
        self.paths = paths
    }

    /// Creates a reader of one ledger directory or file.
    public init(path: String) {
        self.paths = [path]
    }

    /// The files this reader reads, in reading order (bytewise by path, each once).
    /// - Throws: ``CostLedgerError/Code/io`` when a path does not exist or a directory cannot be listed.
    public func files() throws(CostLedgerError) -> [String] {
        var files: [String] = []
        for path in paths {
            guard let info = SystemIO.status(path: path) else {
                throw CostLedgerError(.io, field: path, reason: "cannot read: \(LedgerIO.errnoText())")
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                files.append(contentsOf: try LedgerIO.jsonlFiles(in: path))
            } else {
                files.append(path)
            }
        }
        files.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var unique: [String] = []
        unique.reserveCapacity(files.count)
        for file in files where unique.last != file { unique.append(file) }
        return unique
    }

    /// Calls `body` with every valid record and its location, in reading order.
    /// - Parameter body: receives each record; an error it throws stops the read and is rethrown.
    /// - Returns: what was read and skipped.
    /// - Throws: ``CostLedgerError/Code/io`` when a file cannot be read, or what `body` throws.
    @discardableResult
    public func read(_ body: (CostRecord, LedgerLocation) throws -> Void) throws -> LedgerReadStats {
        var stats = LedgerReadStats()
        for file in try files() {
            try Self.readFile(file, stats: &stats) { record, line in
                try body(record, LedgerLocation(file: file, line: line))
            }
        }
        return stats
    }

    /// Every valid record, for ledgers small enough to hold (tests, examples); ``read(_:)`` streams.
    /// - Returns: the records in reading order and the statistics.
    /// - Throws: ``CostLedgerError/Code/io`` when a file cannot be read.
    public func readAll() throws -> (records: [CostRecord], stats: LedgerReadStats) {
        var records: [CostRecord] = []
        let stats = try read { record, _ in records.append(record) }
        return (records, stats)
    }
}

/// Which file a path or descriptor is: its device and inode, compared to tell a file from one that replaced
/// it at the same path (or a path that leads, through links, to the same file).
package struct LedgerFileIdentity: Sendable, Hashable {
    package var device: UInt64
    package var inode: UInt64

    package init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    init(_ info: stat) {
        self.init(device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino))
    }

    /// The file `path` leads to (symbolic links followed); nil when there is none.
    package init?(path: String) {
        guard let info = SystemIO.status(path: path) else { return nil }
        self.init(info)
    }

    /// The file open at `fd`; nil when it cannot be asked.
    package init?(descriptor fd: Int32) {
        guard let info = SystemIO.status(descriptor: fd) else { return nil }
        self.init(info)
    }
}

/// Small file-system helpers over the C library.
enum LedgerIO {
    /// `close(2)`.
    @discardableResult
    static func close(_ fd: Int32) -> Int32 {
        #if canImport(Glibc)
        return Glibc.close(fd)
        #elseif canImport(Musl)
        return Musl.close(fd)
        #else
        return Darwin.close(fd)
        #endif
    }

    /// Cuts the file open at `fd` back to `size` bytes (`ftruncate(2)`), to take off the part of a batch a failed
    /// write left. Returns the bytes taken off, or -1 when the file could not be cut.
    static func truncate(_ fd: Int32, to size: Int64) -> Int64 {
        guard size >= 0, let before = SystemIO.status(descriptor: fd).map({ Int64($0.st_size) }) else { return -1 }
        return ftruncate(fd, off_t(size)) == 0 ? max(0, before - size) : -1
    }

    /// The error for a regular file found shorter than the bytes a reader planned to read from it.
    static func shrank(_ path: String, expected: Int64, now: Int64) -> CostLedgerError {
        CostLedgerError(
            .fileChanged,
            field: path,
            reason: "the file changed while it was read: \(expected) bytes were expected, it now holds \(now) "
                + "(truncated or rewritten by another process?)"
        )
    }

    static func errnoText(_ code: Int32 = errno) -> String { SystemErrorText.words(code) }

    /// The ledger files of `directory`: its `*.jsonl` regular files, and those of its day partitions, the
    /// subdirectories named `dt=YYYY-MM-DD` (one level; dot-files and other subdirectories are not read).
    static func jsonlFiles(in directory: String) throws(CostLedgerError) -> [String] {
        var files: [String] = []
        for (path, isDirectory) in try entries(of: directory) {
            if isDirectory {
                if isDayPartition(path) {
                    files += try entries(of: path).filter { !$0.isDirectory && $0.path.hasSuffix(".jsonl") }.map(\.path)
                }
            } else if path.hasSuffix(".jsonl") {
                files.append(path)
            }
        }
        return files
    }

    /// Whether the last component of `path` is `dt=YYYY-MM-DD` (digits where the form has them).
    static func isDayPartition(_ path: String) -> Bool {
        let name = path.utf8.split(separator: UInt8(ascii: "/")).last.map(Array.init) ?? []
        guard name.count == 13, name.starts(with: "dt=".utf8) else { return false }
        for (offset, byte) in name.dropFirst(3).enumerated() {
            let isDash = offset == 4 || offset == 7
            guard isDash ? byte == UInt8(ascii: "-") : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                return false
            }
        }
        return true
    }

    /// The regular files and directories in `directory` (following symbolic links), dot-files left out.
    private static func entries(of directory: String) throws(CostLedgerError) -> [(path: String, isDirectory: Bool)] {
        guard let names = SystemIO.directoryNames(directory) else {
            throw CostLedgerError(.io, field: directory, reason: "cannot list: \(errnoText())")
        }
        var entries: [(path: String, isDirectory: Bool)] = []
        for name in names {
            guard !name.hasPrefix(".") else { continue }
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard let info = SystemIO.status(path: path) else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG: entries.append((path, false))
            case S_IFDIR: entries.append((path, true))
            default: break
            }
        }
        return entries
    }
}
