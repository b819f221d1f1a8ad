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
        // Replaced whole or not at all (``ReplacingFile``): a run that fails half-way leaves the last output as
        // it was.
        let file: ReplacingFile
        do throws(ReplacingFile.Failure) {
            file = try ReplacingFile(path: path)
        } catch {
            throw CostAuditError(.io, file: path, reason: "cannot open for writing: \(error.reason)")
        }
        var output = Output(file: file, path: path)
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
        do throws(ReplacingFile.Failure) {
            try file.commit()
        } catch {
            throw CostAuditError(.io, file: path, reason: error.reason)
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
        let file: ReplacingFile
        let path: String
        var buffer: [UInt8] = []

        init(file: ReplacingFile, path: String) {
            self.file = file
            self.path = path
            buffer.reserveCapacity(AttributedWriter.bufferBytes + 65_536)
        }

        mutating func append(_ bytes: [UInt8]) throws(CostAuditError) {
            buffer.append(contentsOf: bytes)
            if buffer.count >= AttributedWriter.bufferBytes { try flush() }
        }

        mutating func flush() throws(CostAuditError) {
            guard !buffer.isEmpty else { return }
            do throws(ReplacingFile.Failure) {
                try file.write(buffer)
            } catch {
                throw CostAuditError(.io, file: path, reason: error.reason)
            }
            buffer.removeAll(keepingCapacity: true)
        }
    }
}
