import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

@Suite("top-users: the daily digest of users by spend")
struct TopUsersTests {
    /// The window is 30 Nov (24 hours before 1 Dec). mid-1 input: 1,000 tokens = $0.01.
    /// - alice: search $0.30 (task 1) and draft $0.10 (task 2): $0.40, 2 calls, 2 tasks, $0.20 a task, top search.
    /// - bob: two calls of search at $0.10 in one task (root 3): $0.20, 2 calls, 1 task, $0.20 a task.
    /// - carol: draft $0.10; dave: search $0.05.
    /// - no user: search $0.05 (task 6); and $0.10 on the bill for 30 Nov that no record carries (cheap-1,
    ///   100,000 input tokens on key_z): (unknown) $0.15, of which $0.05 recorded in 1 task.
    /// - alice's $5.00 at 23:00 on 29 Nov is outside the window.
    /// Total $0.90: alice 44.44%, bob 22.22%, carol 11.11%, dave 5.56%, (unknown) 16.67%.
    func digest(limit: Int) throws -> TopUsersReport {
        func call(
            _ id: String,
            _ at: String,
            _ user: String,
            _ feature: String,
            _ tokens: Int64,
            root: UInt64
        ) throws
            -> CostRecord
        {
            try modelCall(
                id,
                at: at,
                input: tokens,
                attribution: business(user: user, feature: feature),
                leaf: root * 10 + UInt64(id.count),
                root: root
            )
        }
        let records = [
            try call("a1", "2026-11-30T09:00:00Z", "alice", "search", 30_000, root: 1),
            try call("a2", "2026-11-30T10:00:00Z", "alice", "draft", 10_000, root: 2),
            try call("b1", "2026-11-30T11:00:00Z", "bob", "search", 10_000, root: 3),
            try call("b22", "2026-11-30T11:01:00Z", "bob", "search", 10_000, root: 3),
            try call("c1", "2026-11-30T12:00:00Z", "carol", "draft", 10_000, root: 4),
            try call("d1", "2026-11-30T13:00:00Z", "dave", "search", 5_000, root: 5),
            try call("n1", "2026-11-30T14:00:00Z", "", "search", 5_000, root: 6),
            try call("old", "2026-11-29T23:00:00Z", "alice", "search", 500_000, root: 7),
        ]
        let usage = try reportUsageExport(day: "2026-11-30", [("key_z", "cheap-1", 100_000, 0)])
        return try TopUsersReport(
            try dataset(records, usage: [usage]),
            now: try instant("2026-12-01T00:00:00Z"),
            window: .day,
            limit: limit
        )
    }

    func line(_ row: TopUsersReport.Row) -> String {
        [
            row.user, row.usd.formatted(decimals: 2), row.sharePercent(decimals: 2) ?? "-", "\(row.calls)",
            "\(row.tasks)", row.usdPerTask?.formatted(decimals: 2) ?? "-", row.topFeature ?? "-",
        ].joined(separator: " ")
    }

    @Test(
        "users by spend in the window with share, calls, tasks, cost per task and top feature; unknown spend its own row"
    )
    func digestRows() throws {
        let report = try digest(limit: 10)
        #expect(report.totalUSD == (try dollars("0.90")))
        #expect(
            report.rows.map(line) == [
                "alice 0.40 44.44 2 2 0.20 search",
                "bob 0.20 22.22 2 1 0.20 search",
                "carol 0.10 11.11 1 1 0.10 draft",
                "dave 0.05 5.56 1 1 0.05 search",
                "(unknown) 0.15 16.67 1 1 0.05 search",
            ]
        )
        #expect(report.other == nil)
    }

    @Test("users past the limit are folded into (other), so the rows still add up to the total")
    func limitFolds() throws {
        let report = try digest(limit: 2)
        #expect(
            report.rows.map(line) == [
                "alice 0.40 44.44 2 2 0.20 search",
                "bob 0.20 22.22 2 1 0.20 search",
                // carol's draft $0.10 beats dave's search $0.05.
                "(other) 0.15 16.67 2 2 0.08 draft",
                "(unknown) 0.15 16.67 1 1 0.05 search",
            ]
        )
        let csv = report.render(.csv)
        #expect(
            csv.hasPrefix("rank,user_id,spend_usd,share_pct,calls,tasks,usd_per_task,top_feature\n1,alice,0.400000000,")
        )
        #expect(throws: ReportError.self) { try TopUsersReport(try dataset([]), now: .now(), limit: 0) }
    }

    @Test("a user's top feature on a tie is the bytewise-first; a row at now is outside the window")
    func tieAndWindowEnd() throws {
        // erin spends $0.10 on "zeta" and on "alpha" in the window: the tie goes to "alpha", whichever comes
        // first. frank's call at exactly 1 Dec 00:00 is at the window's end, which it does not include.
        let records = [
            try modelCall(
                "e1",
                at: "2026-11-30T08:00:00Z",
                input: 10_000,
                attribution: business(user: "erin", feature: "zeta")
            ),
            try modelCall(
                "e2",
                at: "2026-11-30T09:00:00Z",
                input: 10_000,
                attribution: business(user: "erin", feature: "alpha")
            ),
            try modelCall("f1", at: "2026-12-01T00:00:00Z", input: 50_000, attribution: business(user: "frank")),
        ]
        let report = try TopUsersReport(try dataset(records), now: try instant("2026-12-01T00:00:00Z"), window: .day)
        #expect(report.totalUSD == (try dollars("0.20")))
        #expect(report.rows.map(line) == ["erin 0.20 100.00 2 2 0.10 alpha", "(unknown) 0.00 0.00 0 0 - -"])
    }
}
