import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

/// Prices (ReportTestSupport): `cheap-1` input $1 per million tokens (1 token = $0.000001), `mid-1` input $10 per
/// million (1,000 tokens = $0.01). Each scenario evaluates one hour or day and checks the rule at its exact threshold
/// and one token below it.
@Suite("alerts: each detector at its threshold, its minimums, and the contributors of the excess")
struct AlertsTests {
    /// One call per (user, tokens) pair at `at`, each its own task.
    func calls(
        _ prefix: String,
        at: String,
        model: String = "mid-1",
        spend: [(user: String, tokens: Int64)],
        feature: String = "search",
        taskType: String = "answer",
        tool: String? = nil,
        attempt: Int? = nil,
        firstLeaf: UInt64
    ) throws -> [CostRecord] {
        try spend.enumerated().map { index, call in
            var extra: [AttributionField: String] = [:]
            if let tool { extra[.tool] = tool }
            return try modelCall(
                "\(prefix)-\(index)",
                at: at,
                model: model,
                input: call.tokens,
                attribution: business(user: call.user, feature: feature, taskType: taskType, extra: extra),
                leaf: firstLeaf + UInt64(index),
                attempt: attempt
            )
        }
    }

    func users(_ count: Int, tokens: Int64, prefix: String = "u") -> [(user: String, tokens: Int64)] {
        (1...count).map { ("\(prefix)\($0)", tokens) }
    }

    func report(
        _ records: [CostRecord],
        _ detector: any AlertDetector,
        now: String,
        window: ReportWindow = ReportWindow(hours: 1)
    ) throws -> AlertReport {
        try AlertReport(try dataset(records), detectors: [detector], now: try instant(now), window: window)
    }

    // MARK: cost_per_active_user

    /// 20 users call cheap-1 at 14:00 on each of the 7 days before 30 Nov; each user's spend that day is the
    /// hour's cost per active user: $0.06, 0.08, 0.10, 0.10, 0.10, 0.12, 0.14 (60,000 to 140,000 tokens). Median
    /// $0.10; absolute deviations 0.04, 0.02, 0, 0, 0, 0.02, 0.04, whose median (the MAD) is $0.02. Threshold:
    /// max(2 × 0.10, 0.10 + 4 × 1.4826 × 0.02) = max(0.20, 0.218608) = $0.218608 per active user.
    func costPerUserHistory() throws -> [CostRecord] {
        let values: [Int64] = [60_000, 80_000, 100_000, 100_000, 100_000, 120_000, 140_000]
        var records: [CostRecord] = []
        for (index, tokens) in values.enumerated() {
            records += try calls(
                "b\(index)",
                at: "2026-11-\(23 + index)T14:10:00Z",
                model: "cheap-1",
                spend: users(20, tokens: tokens),
                firstLeaf: UInt64(1000 * (index + 1))
            )
        }
        return records
    }

    @Test("cost_per_active_user fires at median + 4 × 1.4826 × MAD when that is above 2x, and not a token below")
    func costPerActiveUserThreshold() throws {
        let history = try costPerUserHistory()
        // 20 users at $0.218608 each: exactly the threshold. At stake: 20 × (0.218608 − 0.10) = $2.37216.
        let at = try calls(
            "now",
            at: "2026-11-30T14:20:00Z",
            model: "cheap-1",
            spend: users(20, tokens: 218_608),
            firstLeaf: 9000
        )
        let fired = try report(history + at, CostPerActiveUserDetector(), now: "2026-11-30T15:00:00Z")
        #expect(fired.alerts.count == 1)
        let alert = try #require(fired.alerts.first)
        #expect(alert.detector == "cost_per_active_user")
        #expect(alert.subject == "all")
        #expect(alert.since == "2026-11-30T14")
        #expect(alert.value(decimals: 6) == "0.218608")
        #expect(alert.baseline(decimals: 6) == "0.100000")
        #expect(alert.ratio(decimals: 5) == "2.18608")
        #expect(alert.volume == 20)
        #expect(alert.usdAtStake == (try dollars("2.37216")))
        // One user a token short: $0.21860795 per active user, below the threshold though above 2x.
        var below = try calls(
            "now",
            at: "2026-11-30T14:20:00Z",
            model: "cheap-1",
            spend: users(19, tokens: 218_608),
            firstLeaf: 9000
        )
        below += try calls(
            "last",
            at: "2026-11-30T14:30:00Z",
            model: "cheap-1",
            spend: [("u20", 218_607)],
            firstLeaf: 9100
        )
        #expect(try report(history + below, CostPerActiveUserDetector(), now: "2026-11-30T15:00:00Z").alerts.isEmpty)
    }

    @Test("cost_per_active_user: users whose calls in the hour cost $0 are not active users")
    func zeroDollarUsersAreNotActive() throws {
        // The threshold scenario, plus five users whose only calls in the hour cost $0 (no tokens) and one $0
        // call by a user who also spends: still 20 active users at $0.218608 each, so it still fires (25 users
        // would make it $0.17488 per active user, below the threshold).
        let at =
            try calls(
                "now",
                at: "2026-11-30T14:20:00Z",
                model: "cheap-1",
                spend: users(20, tokens: 218_608),
                firstLeaf: 9000
            )
            + calls(
                "zero",
                at: "2026-11-30T14:40:00Z",
                model: "cheap-1",
                spend: users(5, tokens: 0, prefix: "z") + [("u1", 0)],
                firstLeaf: 9500
            )
        let alert = try #require(
            try report(try costPerUserHistory() + at, CostPerActiveUserDetector(), now: "2026-11-30T15:00:00Z")
                .alerts.first
        )
        #expect(alert.volume == 20)
        #expect(alert.value(decimals: 6) == "0.218608")
        #expect(alert.usdAtStake == (try dollars("2.37216")))
    }

    @Test(
        "cost_per_active_user: 19 active users or $0.20 at stake suppress an alert that fires once the minimum is lowered"
    )
    func costPerActiveUserMinimums() throws {
        // Every day before: 20 users at $0.01 (10,000 cheap-1 tokens); median $0.01, MAD 0, threshold $0.02.
        var history: [CostRecord] = []
        for day in 23...29 {
            history += try calls(
                "b\(day)",
                at: "2026-11-\(day)T09:00:00Z",
                model: "cheap-1",
                spend: users(20, tokens: 10_000),
                firstLeaf: UInt64(day * 100)
            )
        }
        // 20 users at $0.02: fires on the ratio, but only $0.20 is at stake.
        let small = try calls(
            "n",
            at: "2026-11-30T09:00:00Z",
            model: "cheap-1",
            spend: users(20, tokens: 20_000),
            firstLeaf: 9000
        )
        #expect(try report(history + small, CostPerActiveUserDetector(), now: "2026-11-30T10:00:00Z").alerts.isEmpty)
        var lowered = CostPerActiveUserDetector()
        lowered.minimumUSDAtStake = try dollars("0.20")
        #expect(try report(history + small, lowered, now: "2026-11-30T10:00:00Z").alerts.count == 1)
        // 19 users at $1.00 each: $18.81 at stake, but fewer than 20 active users.
        let few = try calls(
            "n",
            at: "2026-11-30T09:00:00Z",
            model: "cheap-1",
            spend: users(19, tokens: 1_000_000),
            firstLeaf: 9000
        )
        #expect(try report(history + few, CostPerActiveUserDetector(), now: "2026-11-30T10:00:00Z").alerts.isEmpty)
        var fewer = CostPerActiveUserDetector()
        fewer.minimumActiveUsers = 19
        let alert = try #require(try report(history + few, fewer, now: "2026-11-30T10:00:00Z").alerts.first)
        #expect(alert.usdAtStake == (try dollars("18.81")))
    }

    @Test(
        "contributors name the planted cause: the one user who spent far above the baseline, on its feature and model"
    )
    func contributorsNameTheCause() throws {
        // 20 users at $0.10 (10,000 mid-1 tokens) at 14:00 every day before; on 30 Nov the same 20 users at the
        // same cost and one more, u_spike, spending $4.00 on summarize with big-1 (40,000 input tokens at $100 per
        // million). Value (2.00 + 4.00) / 21 = $0.285714 ≥ 2 × $0.10; at stake 6.00 − 21 × 0.10 = $3.90.
        // Expected spend of each regular user: 7 × $0.10 × 21 / 140 = $0.105, above its $0.10: no excess.
        var records: [CostRecord] = []
        for day in 23...29 {
            records += try calls(
                "b\(day)",
                at: "2026-11-\(day)T14:00:00Z",
                spend: users(20, tokens: 10_000),
                firstLeaf: UInt64(day * 100)
            )
        }
        records += try calls("n", at: "2026-11-30T14:05:00Z", spend: users(20, tokens: 10_000), firstLeaf: 9000)
        records += try calls(
            "spike",
            at: "2026-11-30T14:30:00Z",
            model: "big-1",
            spend: [("u_spike", 40_000)],
            feature: "summarize",
            firstLeaf: 9500
        )
        let alerts = try report(records, CostPerActiveUserDetector(), now: "2026-11-30T15:00:00Z").alerts
        let alert = try #require(alerts.first)
        #expect(alert.usdAtStake == (try dollars("3.90")))
        #expect(alert.contributors.count == 1)
        let cause = try #require(alert.contributors.first)
        #expect(cause.label == "user_id=u_spike feature=summarize model=openai/big-1 prompt_version=(none)")
        #expect(cause.excessUSD == (try dollars("4.00")))
        #expect(alert.text.contains("Top contributors: user_id=u_spike feature=summarize model=openai/big-1"))
    }

    // MARK: feature_rate

    /// 20 calls of `search` at $0.10 at 10:00 on each of the 7 days before: median $0.10 per call, MAD 0.
    func featureHistory() throws -> [CostRecord] {
        var records: [CostRecord] = []
        for day in 23...29 {
            records += try calls(
                "b\(day)",
                at: "2026-11-\(day)T10:00:00Z",
                spend: users(20, tokens: 10_000),
                firstLeaf: UInt64(day * 100)
            )
        }
        return records
    }

    /// Features beta and alpha, each 20 calls at $0.10 at 10:00 and at 11:00 on 23-29 Nov, then 20 calls at $0.20
    /// in both hours of 30 Nov: four alerts of $2.00 at stake each, and in each the 20 users share the excess
    /// equally ($0.10 each).
    @Test("alerts of equal dollars at stake are listed by subject, then start; contributors of equal excess by label")
    func equalAlertsOrdered() throws {
        var records: [CostRecord] = []
        var leaf: UInt64 = 1
        for feature in ["beta", "alpha"] {
            for day in 23...30 {
                for hour in ["10", "11"] {
                    records += try calls(
                        "\(feature)-\(day)-\(hour)",
                        at: "2026-11-\(day)T\(hour):00:00Z",
                        spend: users(20, tokens: day == 30 ? 20_000 : 10_000),
                        feature: feature,
                        firstLeaf: leaf
                    )
                    leaf += 100
                }
            }
        }
        let alerts = try report(
            records,
            FeatureRateDetector(),
            now: "2026-11-30T12:00:00Z",
            window: ReportWindow(hours: 2)
        )
        .alerts
        #expect(
            alerts.map { "\($0.subject) \($0.since)" } == [
                "feature=alpha 2026-11-30T10", "feature=alpha 2026-11-30T11", "feature=beta 2026-11-30T10",
                "feature=beta 2026-11-30T11",
            ]
        )
        #expect(alerts.allSatisfy { $0.usdAtStake == Money(attodollars: 2_000_000_000_000_000_000) })
        let first = try #require(alerts.first)
        #expect(first.contributors.map { $0.values.first } == ["u1", "u10", "u11"])
        #expect(first.contributors.allSatisfy { $0.excessUSD == Money(attodollars: 100_000_000_000_000_000) })
    }

    @Test("feature_rate fires at 2x the feature's median cost per call, and not a token below")
    func featureRateThreshold() throws {
        let history = try featureHistory()
        // 20 calls at $0.20: exactly 2x, $2.00 at stake.
        let doubled = try calls("n", at: "2026-11-30T10:15:00Z", spend: users(20, tokens: 20_000), firstLeaf: 9000)
        let alert = try #require(
            try report(history + doubled, FeatureRateDetector(), now: "2026-11-30T11:00:00Z").alerts.first
        )
        #expect(alert.subject == "feature=search")
        #expect(alert.ratio(decimals: 2) == "2.00")
        #expect(alert.usdAtStake == (try dollars("2.00")))
        #expect(alert.volume == 20)
        var below = try calls("n", at: "2026-11-30T10:15:00Z", spend: users(19, tokens: 20_000), firstLeaf: 9000)
        below += try calls("m", at: "2026-11-30T10:20:00Z", spend: [("u20", 19_999)], firstLeaf: 9100)
        #expect(try report(history + below, FeatureRateDetector(), now: "2026-11-30T11:00:00Z").alerts.isEmpty)
    }

    @Test("a feature whose traffic doubles at a constant cost per call does not fire feature_rate")
    func featureTrafficDoubles() throws {
        let history = try featureHistory()
        // 40 calls at $0.10: spend doubled ($4.00 against $2.00), cost per call unchanged.
        let busy = try calls("n", at: "2026-11-30T10:15:00Z", spend: users(40, tokens: 10_000), firstLeaf: 9000)
        #expect(try report(history + busy, FeatureRateDetector(), now: "2026-11-30T11:00:00Z").alerts.isEmpty)
    }

    @Test("feature_rate: 19 calls suppress the alert")
    func featureRateMinimumCalls() throws {
        // 19 calls at $1.00: 10x the rate and $17.10 at stake, but below 20 calls.
        let few = try calls("n", at: "2026-11-30T10:15:00Z", spend: users(19, tokens: 100_000), firstLeaf: 9000)
        #expect(
            try report(try featureHistory() + few, FeatureRateDetector(), now: "2026-11-30T11:00:00Z").alerts.isEmpty
        )
    }

    // MARK: task_type_cost

    /// 20 tasks of `answer` a day on 23-29 Nov: six days at $0.10 a task, 26 Nov at $0.17.
    func taskTypeHistory() throws -> [CostRecord] {
        var history: [CostRecord] = []
        for day in 23...29 {
            history += try calls(
                "b\(day)",
                at: "2026-11-\(day)T12:00:00Z",
                spend: users(20, tokens: day == 26 ? 17_000 : 10_000),
                firstLeaf: UInt64(day * 100)
            )
        }
        return history
    }

    @Test("task_type_cost fires at 1.5x the mean of the previous 7 days' cost per task (the mean, not the median)")
    func taskTypeThreshold() throws {
        // 20 tasks a day: six days at $0.10 a task, one at $0.17. Mean (0.60 + 0.17) / 7 = $0.11 (the median
        // would be $0.10); threshold 1.5 × 0.11 = $0.165. 30 Nov: 20 tasks at $0.165, at stake 20 × 0.055 = $1.10.
        let history = try taskTypeHistory()
        let at = try calls("n", at: "2026-11-30T12:00:00Z", spend: users(20, tokens: 16_500), firstLeaf: 9000)
        let alert = try #require(
            try report(history + at, TaskTypeCostDetector(), now: "2026-12-01T00:00:00Z", window: .day).alerts.first
        )
        #expect(alert.subject == "task_type=answer")
        #expect(alert.since == "2026-11-30")
        #expect(alert.baseline(decimals: 6) == "0.110000")
        #expect(alert.usdAtStake == (try dollars("1.10")))
        // One task a token short: below 1.5x the mean (above 1.5x the median).
        var below = try calls("n", at: "2026-11-30T12:00:00Z", spend: users(19, tokens: 16_500), firstLeaf: 9000)
        below += try calls("m", at: "2026-11-30T12:30:00Z", spend: [("u20", 16_499)], firstLeaf: 9100)
        #expect(
            try report(history + below, TaskTypeCostDetector(), now: "2026-12-01T00:00:00Z", window: .day).alerts
                .isEmpty
        )
    }

    @Test("task_type_cost: a task whose calls that day cost $0 is not counted")
    func zeroDollarTasksAreNotCounted() throws {
        // The threshold scenario's history; on 30 Nov, 20 tasks at $0.165 and five more tasks whose only calls
        // cost $0: still 20 tasks at $0.165 each, so it fires (25 would make it $0.132 a task, below 1.5x).
        let history = try taskTypeHistory()
        let at =
            try calls("n", at: "2026-11-30T12:00:00Z", spend: users(20, tokens: 16_500), firstLeaf: 9000)
            + calls("z", at: "2026-11-30T13:00:00Z", spend: users(5, tokens: 0, prefix: "z"), firstLeaf: 9500)
        let alert = try #require(
            try report(history + at, TaskTypeCostDetector(), now: "2026-12-01T00:00:00Z", window: .day).alerts.first
        )
        #expect(alert.volume == 20)
        #expect(alert.value(decimals: 6) == "0.165000")
        #expect(alert.usdAtStake == (try dollars("1.10")))
    }

    @Test("minimum_baseline_periods: two earlier days with tasks are too few at 3, enough at 2")
    func baselinePeriodsMinimum() throws {
        // Tasks of the type on 28 and 29 Nov only, at $0.10 each; 30 Nov: 20 tasks at $0.30 (3x, $4.00 at stake).
        var records: [CostRecord] = []
        for day in 28...29 {
            records += try calls(
                "b\(day)",
                at: "2026-11-\(day)T12:00:00Z",
                spend: users(20, tokens: 10_000),
                firstLeaf: UInt64(day * 100)
            )
        }
        records += try calls("n", at: "2026-11-30T12:00:00Z", spend: users(20, tokens: 30_000), firstLeaf: 9000)
        #expect(
            try report(records, TaskTypeCostDetector(), now: "2026-12-01T00:00:00Z", window: .day).alerts.isEmpty
        )
        var lowered = TaskTypeCostDetector()
        lowered.minimumBaselinePeriods = 2
        let alert = try #require(
            try report(records, lowered, now: "2026-12-01T00:00:00Z", window: .day).alerts.first
        )
        #expect(alert.baseline(decimals: 2) == "0.10")
        #expect(alert.usdAtStake == (try dollars("4.00")))
    }

    // MARK: tool_share

    /// Week 48 (23-29 Nov): web_search $2.00, other calls $8.00 (20%). 30 Nov (Monday, week 49): web_search
    /// `toolTokens` mid-1 tokens, other calls $7.00.
    func toolWeeks(toolTokens: Int64, scale: Int64 = 1) throws -> [CostRecord] {
        try calls("w", at: "2026-11-24T10:00:00Z", spend: [("u1", 200_000 / scale)], tool: "web_search", firstLeaf: 100)
            + calls("x", at: "2026-11-25T10:00:00Z", spend: [("u1", 800_000 / scale)], firstLeaf: 200)
            + calls("y", at: "2026-11-30T10:00:00Z", spend: [("u1", toolTokens)], tool: "web_search", firstLeaf: 300)
            + calls("z", at: "2026-11-30T11:00:00Z", spend: [("u1", 700_000 / scale)], firstLeaf: 400)
    }

    @Test("tool_share fires on a rise of 10 points in the week's share, and not just below")
    func toolShareThreshold() throws {
        // web_search $3.00 of $10.00 = 30%, against 20%: +10 points; at stake 3.00 − 20% × 10.00 = $1.00.
        let fired = try report(
            try toolWeeks(toolTokens: 300_000),
            ToolShareDetector(),
            now: "2026-12-01T00:00:00Z",
            window: .day
        )
        let alert = try #require(fired.alerts.first)
        #expect(alert.subject == "tool=web_search")
        #expect(alert.since == "2026-11-30")
        #expect(alert.value(decimals: 2) == "30.00")
        #expect(alert.baseline(decimals: 2) == "20.00")
        #expect(alert.usdAtStake == (try dollars("1.00")))
        // $2.99999 of $9.99999: 29.99999...% , a shift just under 10 points.
        let below = try report(
            try toolWeeks(toolTokens: 299_999),
            ToolShareDetector(),
            now: "2026-12-01T00:00:00Z",
            window: .day
        )
        #expect(below.alerts.isEmpty)
    }

    @Test("tool_share: a tool that spent less than $1.00 this week does not fire")
    func toolShareMinimum() throws {
        // A tenth of the spend: web_search $0.30 of $1.00 against 20%, the same 10 points.
        let records = try toolWeeks(toolTokens: 30_000, scale: 10)
        #expect(try report(records, ToolShareDetector(), now: "2026-12-01T00:00:00Z", window: .day).alerts.isEmpty)
        var lowered = ToolShareDetector()
        lowered.minimumToolUSD = try dollars("0.30")
        #expect(try report(records, lowered, now: "2026-12-01T00:00:00Z", window: .day).alerts.count == 1)
    }

    // MARK: retry_waste

    /// A first attempt of search ($1.00, not waste) at 08:00 on each of 23-29 Nov, and a second attempt of $1.00 on
    /// the days `retryDays`.
    func retryHistory(retryDays: ClosedRange<Int>) throws -> [CostRecord] {
        var history: [CostRecord] = []
        for day in 23...29 {
            history += try calls(
                "f\(day)",
                at: "2026-11-\(day)T08:00:00Z",
                spend: [("u1", 100_000)],
                firstLeaf: UInt64(day * 10)
            )
            guard retryDays.contains(day) else { continue }
            history += try calls(
                "r\(day)",
                at: "2026-11-\(day)T08:05:00Z",
                spend: [("u1", 100_000)],
                attempt: 2,
                firstLeaf: UInt64(day * 10 + 1)
            )
        }
        return history
    }

    @Test("retry_waste: a day with spend but no retry of the feature counts as $0 in the baseline")
    func retryFreeDaysCountAsZero() throws {
        // 23-29 Nov: a first attempt of search every day ($1.00), and a retry ($1.00) on 23, 24 and 25 Nov only.
        // The baseline's days are $1, $1, $1, $0, $0, $0, $0: median $0 and deviation 0, so 30 Nov's $1.50 of
        // retries fires with $1.50 at stake. Without the retry-free days as $0 the median would be $1.00 and
        // $1.50 below its 2x.
        var records = try retryHistory(retryDays: 23...25)
        records += try calls("n", at: "2026-11-30T08:00:00Z", spend: [("u1", 150_000)], attempt: 2, firstLeaf: 9000)
        let alert = try #require(
            try report(records, RetryWasteDetector(), now: "2026-12-01T00:00:00Z", window: .day).alerts.first
        )
        #expect(alert.subject == "feature=search")
        #expect(alert.baseline(decimals: 2) == "0.00")
        #expect(alert.usdAtStake == (try dollars("1.50")))
    }

    @Test("retry_waste fires at 2x the median daily spend on retries, not a token below, and not under $1.00 at stake")
    func retryWasteThreshold() throws {
        // Each day before: a first attempt ($1.00, not waste) and a second attempt of $1.00 of search. Median $1.00,
        // MAD 0: threshold $2.00. 30 Nov: retries of $2.00, $1.00 at stake.
        let history = try retryHistory(retryDays: 23...29)
        func day(_ tokens: [Int64]) throws -> [CostRecord] {
            try calls("n", at: "2026-11-30T08:00:00Z", spend: tokens.map { ("u1", $0) }, attempt: 3, firstLeaf: 9000)
        }
        let alert = try #require(
            try report(
                history + day([100_000, 100_000]),
                RetryWasteDetector(),
                now: "2026-12-01T00:00:00Z",
                window: .day
            )
            .alerts.first
        )
        #expect(alert.subject == "feature=search")
        #expect(alert.value(decimals: 2) == "2.00")
        #expect(alert.usdAtStake == (try dollars("1.00")))
        #expect(
            try report(
                history + day([100_000, 99_999]),
                RetryWasteDetector(),
                now: "2026-12-01T00:00:00Z",
                window: .day
            )
            .alerts.isEmpty
        )
        // Half the amounts: 2x again, but $0.50 at stake.
        let halfHistory = history.map { record in
            var record = record
            record.usage = TokenUsage(input: record.usage.input / 2)
            return record
        }
        #expect(
            try report(
                halfHistory + day([50_000, 50_000]),
                RetryWasteDetector(),
                now: "2026-12-01T00:00:00Z",
                window: .day
            )
            .alerts.isEmpty
        )
    }

    // MARK: the report

    @Test("alerts are listed largest dollars at stake first, and the JSON names every field of each alert")
    func orderAndJSON() throws {
        // Two features at 10:00 each day: search 20 calls at $0.10, draft 20 calls at $0.10. On 30 Nov search
        // costs $0.30 a call ($4.00 at stake) and draft $0.20 ($2.00 at stake).
        var records = try featureHistory()
        for day in 23...29 {
            records += try calls(
                "d\(day)",
                at: "2026-11-\(day)T10:00:00Z",
                spend: users(20, tokens: 10_000),
                feature: "draft",
                firstLeaf: UInt64(day * 100 + 50)
            )
        }
        records += try calls("s", at: "2026-11-30T10:10:00Z", spend: users(20, tokens: 30_000), firstLeaf: 9000)
        records += try calls(
            "d",
            at: "2026-11-30T10:10:00Z",
            spend: users(20, tokens: 20_000),
            feature: "draft",
            firstLeaf: 9500
        )
        let report = try self.report(records, FeatureRateDetector(), now: "2026-11-30T11:00:00Z")
        #expect(report.alerts.map(\.subject) == ["feature=search", "feature=draft"])
        #expect(report.alerts.map(\.usdAtStake) == [try dollars("4.00"), try dollars("2.00")])
        let json = report.render(.json)
        for key in [
            #""detector":"feature_rate""#, #""subject":"feature=search""#, #""since":"2026-11-30T10""#,
            #""value":"0.300000000""#, #""baseline":"0.100000000""#, #""ratio":3.000000"#,
            #""usd_at_stake":"4.000000000""#, #""contributors":[{"user_id":"#,
        ] {
            #expect(json.contains(key), "\(key) in \(json)")
        }
        #expect(report.webhookMessages().count == 2)
        #expect(
            report.webhookMessages()[0].hasPrefix(#"{"text":"feature_rate alert: feature=search since 2026-11-30T10"#)
        )
    }

    @Test("the evaluated periods are the complete hours or days that end in the window before now")
    func evaluatedPeriods() throws {
        let now = try instant("2026-12-01T10:30:00Z")
        let hours = AlertReport.periods(of: FeatureRateDetector(), now: now, window: .day)
        #expect(hours.count == 24)
        #expect(hours.first == (try instant("2026-11-30T10:00:00Z")))
        #expect(hours.last == (try instant("2026-12-01T09:00:00Z")))
        let days = AlertReport.periods(of: TaskTypeCostDetector(), now: now, window: .day)
        #expect(days == [try instant("2026-11-30T00:00:00Z")])
        // The audit reaches 7 days before the first hour; tool_share, the Monday of the week before.
        let window = AlertReport.auditWindow(detectors: AlertDetectors.standard, now: now, window: .day)
        #expect(window.since == (try instant("2026-11-23T00:00:00Z")))
        #expect(window.until == now)
    }

    @Test("parameters are named and settable, and a bad one is refused naming it")
    func parameters() throws {
        let detectors = try AlertDetectors.configured([
            ("feature_rate.minimum_calls", "50"), ("retry_waste.ratio", "3"),
        ])
        let rate = try #require(detectors.first { $0.name == "feature_rate" })
        #expect(rate.parameters.first { $0.name == "minimum_calls" }?.value == "50")
        #expect(throws: ReportError.self) { try AlertDetectors.configured([("feature_rate.nope", "1")]) }
        #expect(throws: ReportError.self) { try AlertDetectors.configured([("feature_rate.ratio", "-1")]) }
        #expect(throws: ReportError.self) { try AlertDetectors.configured([("budget.ratio", "2")]) }
    }
}
