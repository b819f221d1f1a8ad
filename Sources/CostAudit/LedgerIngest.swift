import Attribution
import CostLedger

/// Reads a ledger source into one compact ``LedgerTable``.
enum LedgerIngest {
    struct Result {
        var store: RecordStore
        /// File names by the index rows carry.
        var fileNames: [String]
        /// Each file's rows: contiguous, in line order.
        var fileRows: [Range<Int>]
    }

    static func read(
        _ source: AuditLedgerSource,
        fields: [AttributionField],
        configuration: AuditConfiguration,
        progress: ((AuditProgress) -> Void)?
    ) throws(CostAuditError) -> Result {
        switch source.storage {
        case .records(let files):
            var table = LedgerTable(fields: fields)
            var fileRows: [Range<Int>] = []
            for (fileIndex, file) in files.enumerated() {
                let first = table.rows.count
                defer { fileRows.append(first..<table.rows.count) }
                for (offset, record) in file.records.enumerated() {
                    table.add(
                        record,
                        file: Int32(fileIndex),
                        line: Int32(truncatingIfNeeded: offset + 1),
                        fingerprint: fingerprint(of: record),
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
                progress: progress
            )
        }
    }

    /// A digest of an in-memory record's content: equal records give equal digests within one process.
    static func fingerprint(of record: CostRecord) -> UInt64 {
        UInt64(bitPattern: Int64(record.hashValue))
    }

    /// A 64-bit digest of a ledger line's bytes, to tell a duplicate from a conflicting record. Eight bytes a
    /// step (a multiply-xorshift mix), so hashing a 900 MB ledger costs a fraction of reading it.
    static func fingerprint(of bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        let count = bytes.count
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        var offset = 0
        while offset + 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            hash = (hash ^ word) &* 0xff51_afd7_ed55_8ccd
            hash ^= hash >> 32
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            tail |= UInt64(raw.load(fromByteOffset: offset, as: UInt8.self)) << shift
            shift += 8
            offset += 1
        }
        hash = (hash ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        return hash ^ (hash >> 29)
    }
}
