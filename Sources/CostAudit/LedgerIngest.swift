import Attribution
import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a ledger source into one compact ``LedgerTable``.
enum LedgerIngest {
    struct Result {
        var store: RecordStore
        /// File names by the index rows carry.
        var fileNames: [String]
        /// Each file's rows, in line order: one or more contiguous ranges (one per piece read), in file order.
        var fileRows: [[Range<Int>]]
        /// The files as planned, by the same index (empty for records in memory): where to read them again,
        /// and how many bytes.
        var files: [LedgerInputs.File] = []
        /// The copies of pipes read, kept until the audit is done with them.
        var spool: StreamSpool?
        /// The first skipped lines, in file order.
        var skippedLineDetails: [SkippedLine] = []

        init(store: RecordStore, fileNames: [String], fileRows: [[Range<Int>]]) {
            self.store = store
            self.fileNames = fileNames
            self.fileRows = fileRows
        }
    }

    static func read(
        _ source: AuditLedgerSource,
        fields: [AttributionField],
        configuration: AuditConfiguration,
        progress: ((AuditProgress) -> Void)?
    ) throws(CostAuditError) -> Result {
        switch source.storage {
        case .records(let files):
            var table = LedgerTable(fields: fields, reportColumns: configuration.reportColumns)
            var fileRows: [[Range<Int>]] = []
            for (fileIndex, file) in files.enumerated() {
                let first = table.rows.count
                defer { fileRows.append([first..<table.rows.count]) }
                for (offset, record) in file.records.enumerated() {
                    table.add(
                        record,
                        file: Int32(fileIndex),
                        position: Int64(offset),
                        pricing: configuration.prices
                    )
                }
            }
            progress?(AuditProgress(phase: .reading, records: table.rows.count, bytes: 0))
            return Result(
                store: RecordStore(parts: [table], fields: fields, pricing: configuration.prices),
                fileNames: files.map(\.name),
                fileRows: fileRows
            )
        case .files(let paths):
            return try readFiles(
                paths,
                fields: fields,
                pricing: configuration.prices,
                threads: configuration.readerThreads,
                pieceBytes: configuration.readPieceBytes,
                reportColumns: configuration.reportColumns,
                progress: progress
            )
        }
    }
}

/// The bytes of ledger lines read again by (file, offset), to tell a true duplicate (same bytes) from a
/// record id conflict (docs/ledger.md). Duplicates are few, so each comparison reads two lines with `pread`.
struct LineBytes {
    let source: AuditLedgerSource
    /// Where each file is read (a pipe's copy for a pipe).
    let readPaths: [String]
    private var descriptors: [Int32: Int32] = [:]

    init(source: AuditLedgerSource, readPaths: [String]) {
        self.source = source
        self.readPaths = readPaths
    }

    /// Whether two rows' lines are byte for byte the same (in-memory records: equal records).
    mutating func same(_ a: RecordRow, _ b: RecordRow) -> Bool {
        switch source.storage {
        case .records(let files):
            return files[Int(a.file)].records[Int(a.position)] == files[Int(b.file)].records[Int(b.position)]
        case .files:
            guard let first = line(a), let second = line(b) else { return false }
            return first == second
        }
    }

    /// The line at `row`'s offset, without its newline; nil when the file cannot be read again.
    private mutating func line(_ row: RecordRow) -> [UInt8]? {
        let fd: Int32
        if let open = descriptors[row.file] {
            fd = open
        } else {
            fd = SystemIO.open(readPaths[Int(row.file)], O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            descriptors[row.file] = fd
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var at = row.position
        while bytes.count <= CostRecord.LineLimits.maxLineBytes {
            let n = SystemIO.read(fd, into: &chunk, at: Int64(at))
            guard n > 0 else { break }
            if let newline = chunk[..<n].firstIndex(of: 0x0A) {
                bytes.append(contentsOf: chunk[..<newline])
                return bytes
            }
            bytes.append(contentsOf: chunk[..<n])
            at += Int64(n)
        }
        return bytes
    }

    func closeFiles() {
        for fd in descriptors.values { close(fd) }
    }
}
