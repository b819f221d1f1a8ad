import Attribution
import CostLedger

enum AttributedWriter {
    static func write(
        engine: AuditEngine,
        configuration: AuditConfiguration,
        fields: [AttributionField],
        to path: String
    ) throws(CostAuditError) {
    }
}
