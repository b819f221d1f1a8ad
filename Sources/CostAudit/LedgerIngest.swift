import Attribution
import CostLedger

/// Reads a ledger source into one compact ``LedgerTable``.
enum LedgerIngest {
    struct Result {
        var store: RecordStore
        /// File names by the index rows carry.
        var fileNames: [String]
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
            for (fileIndex, file) in files.enumerated() {
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
                fileNames: files.map(\.name)
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

    /// A digest of a ledger line's bytes (FNV-1a), to tell a duplicate from a conflicting record.
    static func fingerprint(of bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}
