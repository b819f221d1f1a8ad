import Attribution
import CostAudit
import CostLedger
import Testing

@testable import CostReports

/// The alert detectors' scan read in two shares of the rows, as `alerts` reads a large dataset on two threads
/// (docs/benchmarks.md): a user or a task whose rows fall in both shares still counts once, and the shares give
/// the alerts, values and contributors one share gives. Prices (ReportTestSupport): `mid-1` input $10 per million
/// tokens (1,000 tokens = $0.01), `big-1` $100 per million.
@Suite("alerts over rows read in shares")
struct AlertSharesTests {
    /// One call of `tokens` mid-1 input tokens (or `model`'s) by `user` at `at`, in task `task` (its `root_id`;
    /// no `leaf_id`, so that each call keeps its own fields).
    func call(
        _ id: String,
        at: String,
        user: String,
        tokens: Int64,
        task: UInt64,
        model: String = "mid-1",
        feature: String = "search"
    ) throws -> CostRecord {
        try modelCall(
            id,
            at: at,
            model: model,
            input: tokens,
            attribution: business(user: user, feature: feature),
            root: task
        )
    }

    /// The alerts of `detectors` evaluated for the periods before `now` that end in `window`, read in `shares`.
    func alerts(
        _ dataset: SpendDataset,
        _ detectors: [any ScanningDetector],
        now: String,
        window: ReportWindow,
        shares: Int
    ) throws -> [Alert] {
        let now = try instant(now)
        let scans = detectors.map { ($0, AlertReport.periods(of: $0, now: now, window: window)) }
        return AlertScans.alerts({ scans.map { entry in entry.0.scan(periods: entry.1) } }, dataset, shares: shares)
            .flatMap { $0 }
    }

    /// Whether the rows of `user` at or after `from` lie in both halves of the dataset's rows.
    func inBothHalves(_ dataset: SpendDataset, user: String, from: String) throws -> Bool {
        let from = try instant(from)
        var halves: Set<Int> = []
        for share in 0..<2 {
            for row in RowShares.range(share, of: 2, rows: dataset.count)
            where dataset.value(.userID, at: row) == user && dataset.time(at: row) >= from {
                halves.insert(share)
            }
        }
        return halves.count == 2
    }

    @Test("cost_per_active_user read in two shares counts a user with calls in both shares once")
    func activeUsersInBothShares() throws {
        // 20 users at $0.10 (10,000 tokens) at 14:00 on each of the 7 days before 30 Nov: median $0.10 per
        // active user, MAD 0. On 30 Nov at 14:00 the same 20 users make two calls of $0.05 each, one before and
        // one after the history in the ledger (so in both halves of the rows), and u_spike spends $4.00 with
        // big-1. Active users: 21, not 41. Value (2.00 + 4.00) / 21 = $0.285714 ≥ 2 × $0.10; at stake
        // 6.00 − 21 × 0.10 = $3.90. Each regular user's expected spend is 7 × $0.10 × 21 / 140 = $0.105, above
        // its $0.10: u_spike alone contributes, $4.00 above the $0 it spent before.
        var records: [CostRecord] = []
        for user in 1...20 {
            records.append(
                try call("a\(user)", at: "2026-11-30T14:05:00Z", user: "u\(user)", tokens: 5_000, task: UInt64(user))
            )
        }
        for day in 23...29 {
            for user in 1...20 {
                records.append(
                    try call(
                        "h\(day)-\(user)",
                        at: "2026-11-\(day)T14:00:00Z",
                        user: "u\(user)",
                        tokens: 10_000,
                        task: UInt64(day * 100 + user)
                    )
                )
            }
        }
        for user in 1...20 {
            records.append(
                try call("b\(user)", at: "2026-11-30T14:10:00Z", user: "u\(user)", tokens: 5_000, task: UInt64(user))
            )
        }
        records.append(
            try call("spike", at: "2026-11-30T14:30:00Z", user: "u_spike", tokens: 40_000, task: 99, model: "big-1")
        )
        let dataset = try dataset(records)
        #expect(try inBothHalves(dataset, user: "u1", from: "2026-11-30T00:00:00Z"))

        for shares in [1, 2] {
            let found = try alerts(
                dataset,
                [CostPerActiveUserDetector()],
                now: "2026-11-30T15:00:00Z",
                window: ReportWindow(hours: 1),
                shares: shares
            )
            #expect(found.count == 1, "\(shares) shares")
            let alert = try #require(found.first)
            #expect(alert.volume == 21, "\(shares) shares")
            #expect(alert.value(decimals: 6) == "0.285714", "\(shares) shares")
            #expect(alert.usdAtStake == (try dollars("3.90")), "\(shares) shares")
            #expect(
                alert.contributors.map(\.label) == [
                    "user_id=u_spike feature=search model=openai/big-1 prompt_version=(none)"
                ]
            )
            #expect(alert.contributors.first?.excessUSD == (try dollars("4.00")), "\(shares) shares")
        }
    }

    @Test("task_type_cost read in two shares counts a task with calls in both shares once")
    func tasksInBothShares() throws {
        // 20 one-call tasks a day at $0.10 on the 7 days before 30 Nov: mean $0.10 a task, threshold 1.5 × 0.10 =
        // $0.15. On 30 Nov, 20 tasks of two calls of $0.08 each, one before and one after the history in the
        // ledger: $0.16 a task over 20 tasks (not $0.08 over 40), so it fires; at stake 20 × (0.16 − 0.10) = $1.20.
        var records: [CostRecord] = []
        for task in 1...20 {
            records.append(
                try call("a\(task)", at: "2026-11-30T12:00:00Z", user: "u\(task)", tokens: 8_000, task: UInt64(task))
            )
        }
        for day in 23...29 {
            for task in 1...20 {
                records.append(
                    try call(
                        "h\(day)-\(task)",
                        at: "2026-11-\(day)T12:00:00Z",
                        user: "u\(task)",
                        tokens: 10_000,
                        task: UInt64(day * 100 + task)
                    )
                )
            }
        }
        for task in 1...20 {
            records.append(
                try call("b\(task)", at: "2026-11-30T12:30:00Z", user: "u\(task)", tokens: 8_000, task: UInt64(task))
            )
        }
        let dataset = try dataset(records)
        #expect(try inBothHalves(dataset, user: "u1", from: "2026-11-30T00:00:00Z"))

        var texts: [String] = []
        for shares in [1, 2] {
            let found = try alerts(
                dataset,
                [TaskTypeCostDetector(), CostPerActiveUserDetector(), FeatureRateDetector(), RetryWasteDetector()],
                now: "2026-12-01T00:00:00Z",
                window: .day,
                shares: shares
            )
            let alert = try #require(found.first { $0.detector == "task_type_cost" }, "\(shares) shares")
            #expect(alert.volume == 20, "\(shares) shares")
            #expect(alert.value(decimals: 6) == "0.160000", "\(shares) shares")
            #expect(alert.usdAtStake == (try dollars("1.20")), "\(shares) shares")
            texts.append(found.map(\.text).joined(separator: "\n"))
        }
        #expect(texts[0] == texts[1])
    }
}
