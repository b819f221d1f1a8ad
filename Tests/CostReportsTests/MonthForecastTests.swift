import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

/// Days since 1970-01-01 of a UTC day written `YYYY-MM-DD`.
private func dayNumber(_ text: String) throws -> Int64 {
    try instant(text + "T00:00:00Z").nanosecondsSinceEpoch / 86_400_000_000_000
}

/// The label `YYYY-MM-DD` of a day number.
private func dayText(_ day: Int64) -> String {
    ReportPeriod.day.label(of: UTCTimestamp(nanosecondsSinceEpoch: day * 86_400_000_000_000))
}

/// One `mid-1` call a day at noon from `first` to `last` (inclusive), of `tokens(day)` input tokens ($10 per
/// million), for `team`.
private func daily(
    team: String,
    from first: String,
    through last: String,
    tokens: (Int64) -> Int64
) throws -> [CostRecord] {
    var records: [CostRecord] = []
    for day in try dayNumber(first)...dayNumber(last) {
        records.append(
            try modelCall(
                "\(team)-\(day)",
                at: dayText(day) + "T12:00:00Z",
                input: tokens(day),
                attribution: business(team: team),
                leaf: UInt64(day) * 16 + UInt64(team.utf8.count)
            )
        )
    }
    return records
}

@Suite("forecast: month-end spend from the recent daily series, with an interval and budgets")
struct MonthForecastTests {
    /// A series with a weekly pattern (weekends at 30% of a weekday) and a trend (+1% of the start a day), with
    /// ±6% of deterministic noise, from 2026-08-01. The forecasts of October and of November are made on each
    /// day from the 5th to the 25th (42 forecasts); rows after each cut are in the dataset and must not be read:
    /// the month's true total is what each projection is checked against. An 80% interval should hold the truth
    /// about 80% of the time: at least 70% of them here, and every projection within 3% of the truth.
    @Test("a series with a known weekly pattern and trend lands within its interval, close to the truth")
    func weeklyPatternAndTrend() throws {
        var noise: UInt64 = 0x9E37_79B9_7F4A_7C15
        let records = try daily(team: "growth", from: "2026-08-01", through: "2026-11-30") { day in
            // 1970-01-01 was a Thursday: day % 7 == 2 is a Saturday, 3 a Sunday.
            let weekend = day % 7 == 2 || day % 7 == 3
            let trend = 1_000_000 + 10_000 * (day - 20_666)
            noise = noise &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let jitter = Int64((noise >> 33) % 121) - 60  // -60...60 thousandths
            return trend * (weekend ? 3 : 10) / 10 * (1000 + jitter) / 1000
        }
        let data = try dataset(records)
        var inside = 0
        var made = 0
        for label in ["2026-10", "2026-11"] {
            let month = try StatementMonth(parsing: label)
            var truth: Int128 = 0
            for row in 0..<data.count where data.time(at: row) >= month.start && data.time(at: row) < month.end {
                truth += data.usd(at: row).attodollars
            }
            let actual = Money(attodollars: truth)
            for day in 5...25 {
                let asOf = try instant("\(label)-\(day < 10 ? "0" : "")\(day)T08:00:00Z")
                let forecast = try MonthForecast(data, month: month, asOf: asOf, by: [.team])
                let group = try #require(forecast.groups.first)
                #expect(forecast.groups.count == 1)
                #expect(forecast.historyDays == 56)
                // Data from 2026-08-01: early in October, fewer than 28 backtests fit, but enough to measure.
                #expect(forecast.backtests >= ForecastMethod.default.minimumBacktests)
                #expect(group.lowUSD < group.projectedUSD && group.projectedUSD < group.highUSD)
                #expect(group.lowUSD >= group.spentUSD)
                let error = abs(Double(group.projectedUSD.attodollars - truth)) / Double(truth)
                #expect(error < 0.03, "\(asOf): projected \(group.projectedUSD), actual \(actual)")
                #expect(forecast.total.projectedUSD == group.projectedUSD)
                made += 1
                if group.lowUSD <= actual && actual <= group.highUSD { inside += 1 }
            }
        }
        #expect(made == 42)
        #expect(inside * 10 >= made * 7, "\(inside) of \(made) intervals hold the truth")
        let month = try StatementMonth(parsing: "2026-11")
        // Without noise the method recovers the pattern and the trend: within 1% of the truth.
        let clean = try daily(team: "growth", from: "2026-08-01", through: "2026-11-30") { day in
            let weekend = day % 7 == 2 || day % 7 == 3
            return (1_000_000 + 10_000 * (day - 20_666)) * (weekend ? 3 : 10) / 10
        }
        let cleanData = try dataset(clean)
        var cleanTruth: Int128 = 0
        for row in 0..<cleanData.count where cleanData.time(at: row) >= month.start {
            cleanTruth += cleanData.usd(at: row).attodollars
        }
        let forecast = try MonthForecast(cleanData, month: month, asOf: try instant("2026-11-10T00:00:00Z"))
        let error = abs(Double(forecast.total.projectedUSD.attodollars - cleanTruth)) / Double(cleanTruth)
        #expect(error < 0.01, "projected \(forecast.total.projectedUSD), actual \(Money(attodollars: cleanTruth))")
        // Without dimensions, the one group is the total.
        #expect(forecast.groups.map(\.values) == [[]])
    }

    /// growth spends $10 a day (1,000,000 mid-1 input tokens) and research $5, every day from 2026-09-01: a
    /// flat series, so the method forecasts $10 and $5 a day and every backtest is exact. November has 30 days;
    /// made on 2026-11-11, the first 10 days are known: growth spent $100 and is projected $100 + 20 × $10 =
    /// $300, research $50 + 20 × $5 = $150, with a zero-width interval.
    /// - growth, budget $250: the spend passes $250 on day 26 ($260 > $250; day 25 is $250, not above it).
    /// - research, budget $150: the projection is exactly the budget, which it does not pass.
    /// - finance, budget $50, no spend: projected $0.
    /// - The same growth budget at $95: passed on 2026-11-10 ($100), a day before the cut.
    @Test("budgets: each projection against its budget, and the day the budget runs out, worked by hand")
    func budgetsWorkedByHand() throws {
        let records =
            try daily(team: "growth", from: "2026-09-01", through: "2026-11-30") { _ in 1_000_000 }
            + daily(team: "research", from: "2026-09-01", through: "2026-11-30") { _ in 500_000 }
        let data = try dataset(records)
        let month = try StatementMonth(parsing: "2026-11")
        let budgets = try ForecastBudgets(
            json: Array(#"{"team=growth": 250, "team=research": "150.00", "team=finance": 50}"#.utf8)
        )
        #expect(budgets.dimensions == [.team])
        let forecast = try MonthForecast(
            data,
            month: month,
            asOf: try instant("2026-11-11T09:30:00Z"),
            by: [.team],
            budgets: budgets
        )
        #expect(forecast.cut == "2026-11-11")
        #expect(forecast.daysSpent == 10)
        #expect(forecast.daysForecast == 20)
        let rows = forecast.groups.map { group in
            [
                group.values.joined(separator: ","), group.spentUSD.formatted(decimals: 2),
                group.projectedUSD.formatted(decimals: 2), group.lowUSD.formatted(decimals: 2),
                group.highUSD.formatted(decimals: 2), group.budgetUSD?.formatted(decimals: 2) ?? "-",
                group.runsOut ?? "-", group.projectionPassesBudget() ? "over" : "within",
            ].joined(separator: " ")
        }
        #expect(
            rows == [
                "growth 100.00 300.00 300.00 300.00 250.00 2026-11-26 over",
                "research 50.00 150.00 150.00 150.00 150.00 - within",
                "finance 0.00 0.00 0.00 0.00 50.00 - within",
            ]
        )
        #expect(forecast.groups.first?.overBudgetUSD == (try dollars("50")))
        #expect(forecast.total.projectedUSD == (try dollars("450")))
        #expect(forecast.total.spentUSD == (try dollars("150")))

        let json = forecast.render(.json)
        #expect(
            json.contains(
                #"{"team":"growth","spent_usd":"100.000000000","projected_usd":"300.00","low_usd":"300.00","#
                    + #""high_usd":"300.00","budget_usd":"250.000000000","runs_out":"2026-11-26"}"#
            ),
            "\(json)"
        )
        #expect(json.contains(#""runs_out":null"#))
        #expect(json.contains(#""total":{"spent_usd":"150.000000000","projected_usd":"450.00""#))

        let passed = try MonthForecast(
            data,
            month: month,
            asOf: try instant("2026-11-11T00:00:00Z"),
            by: [.team],
            budgets: try ForecastBudgets(dimensions: [.team], budgets: [(["growth"], try dollars("95"))])
        )
        #expect(passed.groups.first { $0.values == ["growth"] }?.runsOut == "2026-11-10")

        // Budgets by other dimensions than the forecast's are refused.
        #expect(throws: ReportError.self) {
            try MonthForecast(data, month: month, asOf: try instant("2026-11-11T00:00:00Z"), budgets: budgets)
        }
    }

    /// The same $10-a-day series: made after the month's end, the month is complete and nothing is forecast;
    /// made before it starts, every day is forecast ($300).
    @Test("a month already over is its spend exactly; a month not begun is all forecast")
    func completeAndFutureMonths() throws {
        let data = try dataset(try daily(team: "growth", from: "2026-09-01", through: "2026-11-30") { _ in 1_000_000 })
        let month = try StatementMonth(parsing: "2026-10")
        let complete = try MonthForecast(data, month: month, asOf: try instant("2026-12-05T00:00:00Z"))
        #expect(complete.daysForecast == 0)
        #expect(complete.total.spentUSD == (try dollars("310")))
        #expect(complete.total.lowUSD == complete.total.spentUSD && complete.total.highUSD == complete.total.spentUSD)
        let future = try MonthForecast(
            data,
            month: try StatementMonth(parsing: "2026-12"),
            asOf: try instant("2026-11-20T00:00:00Z")
        )
        #expect(future.daysSpent == 0 && future.daysForecast == 31)
        #expect(future.total.spentUSD == .zero)
        #expect(future.total.projectedUSD == (try dollars("310")))
    }

    @Test(
        "a bad budgets file is refused, naming the key or field and the value",
        arguments: [
            ("not json", "budgets: '"),
            (#"[1, 2]"#, "budgets: 'an array' is not a budgets object"),
            (#"{}"#, "budgets: '{}' names no group"),
            (#"{"team": 5}"#, "budgets: 'team' is not a group key"),
            (#"{"team=": 5}"#, "budgets: 'team=' is not a group key"),
            (#"{"=growth": 5}"#, "budgets: '=growth' is not a group key"),
            (#"{"colour=red": 5}"#, "budgets: 'colour=red' names 'colour', not a dimension"),
            (#"{"team=a,team=b": 5}"#, "budgets: 'team=a,team=b' names 'team' twice"),
            (#"{"team=a": 5, "feature=b": 5}"#, "budgets: 'feature=b' names other dimensions than the first key"),
            (#"{"team=a": -5}"#, #""team=a": '-5' is not a valid budget"#),
            (#"{"team=a": 0.0000000001}"#, #""team=a": '0.0000000001' is not a valid budget"#),
            (#"{"team=a": 1000000000001}"#, #""team=a": '1000000000001' is not a valid budget"#),
            (#"{"team=a": "lots"}"#, #""team=a": 'lots' is not a valid budget"#),
            (#"{"team=a": true}"#, #""team=a": 'a boolean' is not a valid budget"#),
            (#"{"team=a": 5, "team=a": 6}"#, "budgets: 'team=a' is not valid JSON: the key appears more than once"),
        ]
    )
    func badBudgets(text: String, message: String) throws {
        let error = try #require(throws: ReportError.self) { try ForecastBudgets(json: Array(text.utf8)) }
        #expect(error.description.hasPrefix(message), "\(error)")
    }
}

@Suite("forecast: budgets given in code are checked as a budgets file is")
struct ForecastBudgetsAPITests {
    @Test(
        "a group key with a comma, an empty value or the wrong number of values, a negative or too large budget, and a group named twice are refused"
    )
    func badBudgetsInCode() throws {
        func refused(_ budgets: [(values: [String], usd: Money)]) throws -> String {
            try #require(throws: ReportError.self) {
                try ForecastBudgets(dimensions: [.team, .project], budgets: budgets)
            }
            .description
        }
        let five = try dollars("5")
        #expect(try refused([(["a,b", "x"], five)]).hasPrefix("budgets: 'team=a,b,project=x' is not a group key"))
        #expect(try refused([(["", "x"], five)]).hasPrefix("budgets: 'team=,project=x' is not a group key"))
        #expect(try refused([(["a"], five)]).hasPrefix("budgets: 'team=a' is not a group key"))
        #expect(try refused([(["a", "x"], try dollars("-0.01"))]).hasPrefix(#""team=a,project=x": '-0.01'"#))
        #expect(
            try refused([(["a", "x"], try dollars("1000000000000.01"))])
                .hasPrefix(#""team=a,project=x": '1000000000000.01'"#)
        )
        #expect(
            try refused([(["a", "x"], five), (["a", "x"], five)]) == "budgets: 'team=a,project=x' is named twice"
        )
        let fine = try ForecastBudgets(
            dimensions: [.team, .project],
            budgets: [(["a", "x"], five), (["b", "x"], .zero)]
        )
        #expect(fine.budget(of: ["a", "x"]) == five)
        #expect(fine.budget(of: ["b", "x"]) == .zero)
        #expect(fine.budget(of: ["c", "x"]) == nil)
    }
}
