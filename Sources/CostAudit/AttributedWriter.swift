import Attribution
import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `--emit-attributed`: every deduplicated record in the window as a ledger line with its required
/// fields filled where its class allows, plus `attribution_class` and, for unknown spend, `unknown_reason`.
///
/// The ledger is read a second time (the audit keeps no record bytes); each file's rows are in line order (in
/// contiguous runs, one per piece the reader took), so a cursor per file finds each line's row without a
/// lookup table.
enum AttributedWriter {
    /// Bytes buffered before a write.
    static let bufferBytes = 1 << 20

    static func write(
        engine: AuditEngine,
        ledger: AuditLedgerSource,
        fields: [AttributionField],
        to path: String
    ) throws(CostAuditError) {
        // As `fopen(path, "w")`: created (mode 0666 less the umask) or truncated.
        let fd = SystemIO.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o666)
        guard fd >= 0 else {
            throw CostAuditError(.io, file: path, reason: "cannot open for writing: \(Output.errnoWords())")
        }
        var output = Output(fd: fd, path: path)
        defer { close(fd) }
        try forEachRecord(engine: engine, ledger: ledger, fields: fields) { (filled, row) throws(CostAuditError) in
            let outcome = engine.outcomes[row]
            var line = filled.jsonLine()
            // Replace the closing `}\n` with the class (and reason), then close again.
            if line.last == UInt8(ascii: "\n") { line.removeLast() }
            if line.last == UInt8(ascii: "}") { line.removeLast() }
            line.append(contentsOf: ",\"\(AttributionClass.fieldName)\":\"".utf8)
            line.append(contentsOf: AttributionClass.all[Int(outcome.classIndex)].name.utf8)
            line.append(UInt8(ascii: "\""))
            if Int(outcome.classIndex) == AttributionClass.all.count - 1 {
                line.append(contentsOf: #","unknown_reason":""#.utf8)
                line.append(contentsOf: UnknownReason.all[Int(outcome.reasonIndex)].name.utf8)
                line.append(UInt8(ascii: "\""))
            }
            line.append(contentsOf: "}\n".utf8)
            try output.append(line)
        }
        try output.flush()
    }

    /// Calls `body` with every deduplicated, classified record in the window, in the ledger's order (file by
    /// file, line by line), its required fields filled where its class allows, and its row. The engine must have
    /// kept the filled values (``AuditEngine/run(_:required:fields:keepFilledValues:progress:)``).
    static func forEachRecord(
        engine: AuditEngine,
        ledger: AuditLedgerSource,
        fields: [AttributionField],
        _ body: (CostRecord, Int) throws(CostAuditError) -> Void
    ) throws(CostAuditError) {
        let fileRows = engine.ledger.fileRows
        let requiredFields = Array(fields.prefix(engine.required))
        func visit(_ record: CostRecord, row: Int) throws(CostAuditError) {
            guard engine.inWindow[row] else { return }
            guard engine.outcomes[row].classIndex < AttributionClass.all.count else { return }
            var filled = record
            for (f, field) in requiredFields.enumerated() {
                let value = engine.emitted[row * engine.required + f]
                if value != 0 { filled.attribution[field] = engine.table.strings[value] }
            }
            try body(filled, row)
        }
        switch ledger.storage {
        case .records(let files):
            for (fileIndex, file) in files.enumerated() {
                let rows = fileRows[fileIndex].first ?? 0..<0
                for (offset, record) in file.records.enumerated() where rows.lowerBound + offset < rows.upperBound {
                    let row = rows.lowerBound + offset
                    guard engine.alive[row] else { continue }
                    try visit(record, row: row)
                }
            }
        case .files:
            for (fileIndex, file) in engine.fileNames.enumerated() {
                // The file's rows in line order, piece after piece: a cursor walks them beside the lines.
                var rows = RowCursor(ranges: fileRows[fileIndex])
                var failure: CostAuditError?
                var stats = LedgerReadStats()
                // The bytes the audit read, from the same file (a pipe's copy for a pipe).
                let planned = fileIndex < engine.files.count ? engine.files[fileIndex] : nil
                do {
                    unsafe try LedgerReader.scanLines(
                        planned?.readPath ?? file,
                        range: planned.map { 0..<$0.size },
                        identity: planned?.identity,
                        stats: &stats
                    ) { line, number, offset, _ in
                        guard failure == nil else { return }
                        while let row = rows.current, engine.table[row].position < offset { rows.advance() }
                        guard let cursor = rows.current, engine.table[cursor].position == offset,
                            engine.alive[cursor]
                        else { return }
                        guard
                            case .record(let record) = unsafe CostRecord.decodeOutcome(
                                line,
                                file: file,
                                lineNumber: number
                            )
                        else { return }
                        do throws(CostAuditError) {
                            try visit(record, row: cursor)
                        } catch {
                            failure = error
                        }
                    }
                } catch let error as CostLedgerError {
                    throw CostAuditError(.invalidLedger, file: file, reason: "cannot read it again: \(error.reason)")
                } catch {
                    throw CostAuditError(.invalidLedger, file: file, reason: "cannot read it again: \(error)")
                }
                if let failure { throw failure }
            }
        }
    }

    /// Rows given as ranges in order, one at a time.
    struct RowCursor {
        let ranges: [Range<Int>]
        private var range = 0
        private(set) var current: Int?

        init(ranges: [Range<Int>]) {
            self.ranges = ranges
            current = nil
            settle(at: ranges.first?.lowerBound)
        }

        mutating func advance() {
            guard let row = current else { return }
            settle(at: row + 1)
        }

        /// Moves to `row`, or to the next non-empty range when `row` is past the current one.
        private mutating func settle(at row: Int?) {
            guard var row else { return }
            while range < ranges.count {
                if row < ranges[range].upperBound {
                    current = max(row, ranges[range].lowerBound)
                    return
                }
                range += 1
                if range < ranges.count { row = ranges[range].lowerBound }
            }
            current = nil
        }
    }

    /// The output file, written ``AttributedWriter/bufferBytes`` at a time.
    struct Output {
        let fd: Int32
        let path: String
        var buffer: [UInt8] = []

        init(fd: Int32, path: String) {
            self.fd = fd
            self.path = path
            buffer.reserveCapacity(AttributedWriter.bufferBytes + 65_536)
        }

        mutating func append(_ bytes: [UInt8]) throws(CostAuditError) {
            buffer.append(contentsOf: bytes)
            if buffer.count >= AttributedWriter.bufferBytes { try flush() }
        }

        mutating func flush() throws(CostAuditError) {
            guard !buffer.isEmpty else { return }
            var written = 0
            while written < buffer.count {
                let n = SystemIO.write(fd, buffer, from: written)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    throw CostAuditError(.io, file: path, reason: "cannot write: \(Self.errnoWords())")
                }
                written += n
            }
            buffer.removeAll(keepingCapacity: true)
        }

        /// The C library's words for `errno` (`strerror(3)`), as the messages have always said it.
        static func errnoWords() -> String {
            let code = errno
            return SystemIO.errorMessage(code) ?? "error \(code)"
        }
    }
}
