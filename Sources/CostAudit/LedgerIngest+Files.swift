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
    /// Reads ledger files on `threads` threads, each reading whole files into its own table, then joins the
    /// tables. Files go to the least-loaded reader, largest first, so both cores finish together.
    static func readFiles(
        _ paths: [String],
        fields: [AttributionField],
        pricing: any AuditPricing,
        threads: Int,
        progress: ((AuditProgress) -> Void)?
    ) throws(CostAuditError) -> Result {
        let files: [String]
        do {
            files = try LedgerReader(paths: paths).files()
        } catch {
            throw CostAuditError(.io, file: error.field, reason: error.reason)
        }
        let sizes = files.map { path -> Int64 in
            var info = stat()
            return stat(path, &info) == 0 ? Int64(info.st_size) : 0
        }
        let workerCount = max(1, min(threads, files.count))
        var assignment = [[Int]](repeating: [], count: workerCount)
        var load = [Int64](repeating: 0, count: workerCount)
        for file in files.indices.sorted(by: { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }) {
            let worker = load.indices.min { load[$0] < load[$1] } ?? 0
            assignment[worker].append(file)
            load[worker] += sizes[file]
        }
        for worker in assignment.indices { assignment[worker].sort() }

        let counters = ReadCounters()
        let outcomes = Mutex<[Int: Swift.Result<WorkerOutput, CostAuditError>]>([:])
        let group = DispatchGroup()
        for worker in 0..<workerCount {
            let mine = assignment[worker]
            group.enter()
            DispatchQueue.global(qos: .userInitiated).async {
                let outcome = Swift.Result<WorkerOutput, CostAuditError> { () throws(CostAuditError) -> WorkerOutput in
                    var table = LedgerTable(fields: fields)
                    var ranges: [(file: Int, rows: Range<Int>)] = []
                    for (position, file) in mine.enumerated() {
                        if position == 1, table.ledgerBytes > 0 {
                            // Size the arrays once from the first file's records per byte, so they do not
                            // double (and briefly triple) while the rest is read.
                            let remaining = mine.dropFirst().reduce(Int64(0)) { $0 + sizes[$1] }
                            let perByte = Double(table.rows.count) / Double(table.ledgerBytes)
                            table.reserve(rows: table.rows.count + Int(Double(remaining) * perByte * 1.02) + 1024)
                        }
                        let first = table.rows.count
                        try readFile(
                            files[file],
                            index: Int32(file),
                            into: &table,
                            pricing: pricing,
                            counters: counters
                        )
                        ranges.append((file, first..<table.rows.count))
                    }
                    return WorkerOutput(table: table, ranges: ranges)
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
        let results = outcomes.withLock { results in
            let taken = results
            results = [:]
            return taken
        }
        var tables: [LedgerTable] = []
        var fileRows = [Range<Int>](repeating: 0..<0, count: files.count)
        var base = 0
        for worker in 0..<workerCount {
            guard let outcome = results[worker] else { continue }
            let output = try outcome.get()
            for (file, rows) in output.ranges {
                fileRows[file] = (rows.lowerBound + base)..<(rows.upperBound + base)
            }
            base += output.table.rows.count
            tables.append(output.table)
        }
        progress?(
            AuditProgress(
                phase: .reading,
                records: counters.records.load(ordering: .relaxed),
                bytes: counters.bytes.load(ordering: .relaxed)
            )
        )
        return Result(
            store: RecordStore(parts: tables, fields: fields, pricing: pricing),
            fileNames: files,
            fileRows: fileRows
        )
    }

    struct WorkerOutput: Sendable {
        var table: LedgerTable
        var ranges: [(file: Int, rows: Range<Int>)]
    }

    /// Reads one ledger file into `table`, counting what it skips.
    static func readFile(
        _ path: String,
        index: Int32,
        into table: inout LedgerTable,
        pricing: any AuditPricing,
        counters: ReadCounters
    ) throws(CostAuditError) {
        var stats = LedgerReadStats()
        var sinceReport = 0
        do {
            var scanned = CostRecordFields()
            try LedgerReader.scanLines(path, stats: &stats) { line, number, offset, _ in
                if scanned.scan(line), scanned.allASCII, scanned.tagCount <= 1 {
                    table.add(
                        scanned: scanned,
                        line: line,
                        file: index,
                        offset: offset,
                        pricing: pricing
                    )
                    sinceReport += 1
                    if sinceReport == 65_536 {
                        counters.records.add(sinceReport, ordering: .relaxed)
                        sinceReport = 0
                    }
                    return
                }
                switch CostRecord.decodeOutcome(line, file: path, lineNumber: number) {
                case .record(let record):
                    table.add(
                        record,
                        file: index,
                        position: offset,
                        pricing: pricing
                    )
                    sinceReport += 1
                case .malformed:
                    table.skippedLines &+= 1
                case .invalid(let error):
                    table.invalidRecordCount &+= 1
                    if table.invalidRecords.count < InvalidRecord.maxListed {
                        table.invalidRecords.append(
                            InvalidRecord(file: path, line: number, field: error.field, reason: error.reason)
                        )
                    }
                case .otherKind:
                    table.skippedKinds &+= 1
                }
            }
        } catch let error as CostLedgerError {
            throw CostAuditError(.io, file: path, reason: error.reason)
        } catch {
            throw CostAuditError(.io, file: path, reason: "\(error)")
        }
        counters.records.add(sinceReport, ordering: .relaxed)
        counters.bytes.add(stats.bytes, ordering: .relaxed)
        table.ledgerBytes &+= stats.bytes
        table.skippedLines &+= stats.skippedLines
    }
}

/// Progress shared by the reader threads.
final class ReadCounters: Sendable {
    let records = Atomic<Int>(0)
    let bytes = Atomic<Int64>(0)
}
