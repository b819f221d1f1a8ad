import Testing

@testable import CostReports

/// The statements' rounding to cents (docs/reports.md, "Exact first, then cents"): each row's floor, then a cent
/// each to the largest remainders, ties to the bytewise-first name; or a cent back from the smallest.
@Suite("statement: rounding to cents by largest remainder")
struct StatementRoundingTests {
    static let cent: Int128 = 10_000_000_000_000_000

    @Test("equal remainders: the cent goes to the bytewise-first name, and is taken back from the last")
    func tiesBytewise() {
        let half = Self.cent / 2
        // $0.005 and $0.005 to 1 cent: "a" gets it, whatever the order of the rows.
        #expect(MonthlyStatements.apportion([("b", half), ("a", half)], target: 1) == [0, 1])
        #expect(MonthlyStatements.apportion([("a", half), ("b", half)], target: 1) == [1, 0])
        // $0.015 and $0.015 to 2 cents (floors 1 + 1 = 2): nothing to move. To 1 cent: "b" gives one back.
        #expect(MonthlyStatements.apportion([("b", 3 * half), ("a", 3 * half)], target: 1) == [0, 1])
    }
}
