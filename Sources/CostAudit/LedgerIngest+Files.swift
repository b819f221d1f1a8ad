import Attribution
import CostLedger
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension LedgerIngest {
    /// A piece of one ledger file: whole lines, from the start of a line to just after a newline (or the end).
    struct Piece: Sendable {
        var file: Int
        var bytes: Range<Int64>
    }

    /// What a reader made of one piece.
    struct PieceOutput: Sendable {
        var worker: Int
        /// The piece's rows in its reader's table.
        var rows: Range<Int>
        /// Lines the piece holds, so the next piece of the file knows its first line's number.
        var lines: Int
        /// The piece's listed invalid records in its reader's table (lines counted from the piece's start, and
        /// reasons without their location, both completed once the pieces before it are counted).
        var invalid: Range<Int>
        /// The piece's listed skipped lines in its reader's list (lines counted from the piece's start).
        var skipped: Range<Int>
    }

    /// Reads ledger files on `threads` threads. The files are cut into pieces of about `pieceBytes` at line
    /// boundaries (``AuditConfiguration/readPieceBytes``: small enough that the readers finish together however
    /// the files are sized, and that one large file is read on every thread); each reader takes the next piece as it finishes one and adds its records to its own table
    /// (no lock on the hot path), and the tables are joined without copying.
    ///
    /// Each input is checked first (``LedgerInputs``): a directory, a `*.jsonl` file or a pipe, else an error;
    /// a pipe is copied once into a temporary file. A file read shorter than planned, or replaced meanwhile,
    /// is an error for that file; so is an input in which no line is a cost record.
    static func readFiles(
        _ paths: [String],
        fields: [AttributionField],
        pricing: any AuditPricing,
        threads: Int,
        pieceBytes: Int64,
        reportColumns: AuditReportColumns = [],
        progress: ((AuditProgress) -> Void)?
    ) throws(CostAuditError) -> Result {
        let inputs = try LedgerInputs.plan(paths)
        let files = inputs.files
        var planned: [Piece] = []
        for (index, file) in files.enumerated() {
            for bytes in try pieceRanges(file, target: max(1, pieceBytes)) {
                planned.append(Piece(file: index, bytes: bytes))
            }
        }
        let pieces = planned
        let totalBytes = pieces.reduce(Int64(0)) { $0 + Int64($1.bytes.count) }
        let workerCount = max(1, min(threads, pieces.count))

        let counters = ReadCounters()
        let nextPiece = Atomic<Int>(0)
        let outcomes = Lock<[Int: Swift.Result<WorkerOutput, CostAuditError>]>([:])
        let group = DispatchGroup()
        for worker in 0..<workerCount {
            group.enter()
            DispatchQueue.global(qos: .userInitiated).async {
                let outcome = Swift.Result<WorkerOutput, CostAuditError> { () throws(CostAuditError) -> WorkerOutput in
                    var table = LedgerTable(fields: fields, reportColumns: reportColumns)
                    var skipped: [SkippedLine] = []
                    var done: [(piece: Int, output: PieceOutput)] = []
                    while true {
                        let next = nextPiece.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard next < pieces.count else { break }
                        if done.count == 1, table.ledgerBytes > 0 {
                            // Size the arrays once, from the first piece's records per byte, for every record
                            // of the ledger: which pieces a reader gets depends on how fast it goes, and
                            // capacity never written takes address space, not memory, while a buffer that
                            // outgrows its capacity is copied and briefly held twice.
                            let perByte = Double(table.rows.count) / Double(table.ledgerBytes)
                            table.reserve(rows: Int(Double(totalBytes) * perByte * 1.02) + 1024)
                        }
                        let piece = pieces[next]
                        let firstRow = table.rows.count
                        let firstInvalid = table.invalidRecords.count
                        let firstSkipped = skipped.count
                        let lines = try readPiece(
                            files[piece.file],
                            index: Int32(piece.file),
                            bytes: piece.bytes,
                            into: &table,
                            pricing: pricing,
                            counters: counters,
                            skipped: &skipped
                        )
                        let output = PieceOutput(
                            worker: worker,
                            rows: firstRow..<table.rows.count,
                            lines: lines,
                            invalid: firstInvalid..<table.invalidRecords.count,
                            skipped: firstSkipped..<skipped.count
                        )
                        done.append((next, output))
                    }
                    return WorkerOutput(table: table, pieces: done, skipped: skipped)
                }
                outcomes.withLock { $0[worker] = outcome }
                group.leave()
            }
        }
        if let progress {
            while group.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
                progress(
                    AuditProgress(
                        phase: .reading,
                        records: counters.records.load(ordering: .relaxed),
                        bytes: counters.bytes.load(ordering: .relaxed)
                    )
                )
            }
        } else {
            group.wait()
        }
        var results = outcomes.withLock { results in
            let taken = results
            results = [:]
            return taken
        }
        var tables: [LedgerTable] = []
        var skippedByWorker: [[SkippedLine]] = []
        var bases: [Int] = []
        var byPiece = [PieceOutput?](repeating: nil, count: pieces.count)
        var base = 0
        for worker in 0..<workerCount {
            // Taken out, not copied: a table must have one owner when the parts are joined, or letting go of a
            // reader's string index there frees nothing (Interner.absorb).
            guard let outcome = results.removeValue(forKey: worker) else { continue }
            let output = try outcome.get()
            for (piece, done) in output.pieces { byPiece[piece] = done }
            bases.append(base)
            base += output.table.rows.count
            tables.append(output.table)
            skippedByWorker.append(output.skipped)
        }
        // Each file's rows, piece by piece in file order; invalid records numbered by their line in the file
        // and listed in file order, the first ``InvalidRecord/maxListed`` of them.
        var fileRows = [[Range<Int>]](repeating: [], count: files.count)
        var invalid: [InvalidRecord] = []
        var skippedLines: [SkippedLine] = []
        var lineBase = [Int](repeating: 0, count: files.count)
        for (number, piece) in pieces.enumerated() {
            guard let done = byPiece[number] else { continue }
            let offset = bases[done.worker]
            fileRows[piece.file].append((done.rows.lowerBound + offset)..<(done.rows.upperBound + offset))
            for k in done.skipped where skippedLines.count < SkippedLine.maxListed {
                var line = skippedByWorker[done.worker][k]
                line.line += lineBase[piece.file]
                skippedLines.append(line)
            }
            for k in done.invalid where invalid.count < InvalidRecord.maxListed {
                var record = tables[done.worker].invalidRecords[k]
                record.line += lineBase[piece.file]
                invalid.append(record)
            }
            lineBase[piece.file] += done.lines
        }
        for index in tables.indices { tables[index].invalidRecords = index == 0 ? invalid : [] }
        progress?(
            AuditProgress(
                phase: .reading,
                records: counters.records.load(ordering: .relaxed),
                bytes: counters.bytes.load(ordering: .relaxed)
            )
        )
        // An input in which no line is a cost record is no ledger (an empty directory, a file passed by mistake).
        for input in inputs.inputs {
            let rows = input.files.reduce(0) { sum, file in fileRows[file].reduce(sum) { $0 + $1.count } }
            guard rows == 0 else { continue }
            throw CostAuditError(
                .invalidLedger,
                file: input.path,
                reason: input.files.isEmpty
                    ? "no cost record: the directory holds no *.jsonl file"
                    : "no cost record: no line of it is a ledger record"
            )
        }
        var result = Result(
            store: RecordStore(parts: consume tables, fields: fields, pricing: pricing),
            fileNames: files.map(\.name),
            fileRows: fileRows
        )
        result.files = files
        result.spool = inputs.spool
        result.skippedLineDetails = skippedLines
        return result
    }

    struct WorkerOutput: Sendable {
        var table: LedgerTable
        var pieces: [(piece: Int, output: PieceOutput)]
        var skipped: [SkippedLine]
    }

    /// Cuts `path` into byte ranges of about `target` bytes that start at a line's start and end just after a
    /// newline (or at the end of the file).
    /// The size planned is the one the file had when the inputs were checked: bytes appended since are left
    /// for the next audit, so that every piece of the file ends where the plan says.
    static func pieceRanges(_ file: LedgerInputs.File, target: Int64) throws(CostAuditError) -> [Range<Int64>] {
        let size = file.size
        guard size > target else { return [0..<size] }
        let fd = SystemIO.open(file.readPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw CostAuditError(
                .invalidLedger,
                file: file.name,
                reason: "cannot open: \(SystemIO.errorMessage(code) ?? "error \(code)")"
            )
        }
        defer { close(fd) }
        var ranges: [Range<Int64>] = []
        var start: Int64 = 0
        var probe = [UInt8](repeating: 0, count: 65_536)
        while start < size {
            var end = start + target
            if end >= size {
                ranges.append(start..<size)
                break
            }
            // The piece ends just after the first newline at or past `end`.
            var found = false
            while !found, end < size {
                let n = SystemIO.read(fd, into: &probe, at: end)
                guard n > 0 else { break }
                if let newline = probe[..<n].firstIndex(of: 0x0A) {
                    end += Int64(newline) + 1
                    found = true
                } else {
                    end += Int64(n)
                }
            }
            if !found { end = size }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }
}

/// Progress shared by the reader threads.
final class ReadCounters: Sendable {
    let records = Atomic<Int>(0)
    let bytes = Atomic<Int64>(0)
}
