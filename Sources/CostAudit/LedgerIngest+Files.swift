import Attribution
import CostLedger

extension LedgerIngest {
    static func readFiles(
        _ paths: [String],
        fields: [AttributionField],
        pricing: any AuditPricing,
        threads: Int,
        progress: ((AuditProgress) -> Void)?
    ) throws(CostAuditError) -> Result {
        throw CostAuditError(.io, reason: "ledger files are read once the ledger reader lands")
    }
}
