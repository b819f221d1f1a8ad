import CostLedger
import Testing

@Suite("The record's kinds and statuses are CaseIterable")
struct RecordSetTests {
    @Test("every kind and status is listed once and reads back from its wire name")
    func allCases() {
        #expect(CostRecord.Kind.allCases.map(\.name) == ["call", "unit"])
        #expect(CostRecord.Kind.allCases.allSatisfy { CostRecord.Kind(name: $0.name) == $0 })
        #expect(CostRecord.Status.allCases.map(\.name) == ["ok", "error"])
        #expect(CostRecord.Status.allCases.allSatisfy { CostRecord.Status(name: $0.name) == $0 })
    }
}
