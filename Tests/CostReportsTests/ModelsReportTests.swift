import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

@Suite("models: cost per call and per task by model, and spend by price band")
struct ModelsReportTests {
    /// Feature `search`, two task types. Prices per million (ReportTestSupport): mid-1 input 10 output 20, big-1
    /// output 200, cheap-1 input 1.
    /// - answer, big-1: task 1 is two attempts, $0.20 (1,000 output) + $0.10 (500 output); task 2 is $0.30
    ///   (1,500 output). $0.60, 3 calls, 2 tasks: $0.20 a call, $0.30 a task.
    /// - answer, mid-1: task 3 is one call, $0.01 (1,000 input) + $0.01 (500 output) = $0.02; task 4 is a root
    ///   call of $0.02 (2,000 input) and a fan-out child of $0.02 (1,000 input, 500 output). $0.06, 3 calls,
    ///   2 tasks: $0.02 a call, $0.03 a task.
    /// - big-1 ÷ mid-1 per task: $0.30 ÷ $0.03 = 10.
    /// - summarize, cheap-1: task 6, 1,000 input = $0.001, its own cheapest.
    func twoModels() throws -> [CostRecord] {
        let summarize = business(taskType: "summarize")
        return [
            try modelCall("b1", at: "2026-11-02T10:00:00Z", model: "big-1", output: 1000, leaf: 1, attempt: 1),
            try modelCall("b2", at: "2026-11-02T10:01:00Z", model: "big-1", output: 500, leaf: 1, attempt: 2),
            try modelCall("b3", at: "2026-11-02T11:00:00Z", model: "big-1", output: 1500, leaf: 2),
            try modelCall("m1", at: "2026-11-03T10:00:00Z", input: 1000, output: 500, leaf: 3),
            try modelCall("m2", at: "2026-11-03T11:00:00Z", input: 2000, leaf: 4),
            try modelCall("m3", at: "2026-11-03T11:01:00Z", input: 1000, output: 500, leaf: 5, parent: 4, root: 4),
            try modelCall(
                "c1",
                at: "2026-11-04T10:00:00Z",
                model: "cheap-1",
                input: 1000,
                attribution: summarize,
                leaf: 6
            ),
        ]
    }

    @Test("cost per call and per task, and the ratio to the cheapest model of the same task type (big-1 is 10x)")
    func perTaskAndRatio() throws {
        let data = try dataset(try twoModels())
        let report = ModelsReport(data, prices: try reportPrices())
        // search/answer ($0.66) before search/summarize ($0.001); within it, the cheapest per task first.
        #expect(report.costs.map(\.model) == ["openai/mid-1", "openai/big-1", "openai/cheap-1"])
        #expect(report.costs.map(\.taskType) == ["answer", "answer", "summarize"])
        let mid = report.costs[0]
        let big = report.costs[1]
        #expect(mid.usd == (try dollars("0.06")))
        #expect(mid.calls == 3)
        #expect(mid.tasks == 2)
        #expect(mid.usdPerCall(decimals: 6) == "0.020000")
        #expect(mid.usdPerTask(decimals: 6) == "0.030000")
        #expect(mid.ratioToCheapest(decimals: 2) == "1.00")
        #expect(big.usd == (try dollars("0.60")))
        #expect(big.calls == 3)
        #expect(big.tasks == 2)
        #expect(big.usdPerCall(decimals: 6) == "0.200000")
        #expect(big.usdPerTask(decimals: 6) == "0.300000")
        #expect(big.ratioToCheapest(decimals: 2) == "10.00")
        #expect(big.cheapest?.usd == (try dollars("0.06")))
        #expect(big.cheapest?.tasks == 2)
        #expect(report.costs[2].ratioToCheapest(decimals: 2) == "1.00")
        #expect(report.recordedUSD == (try dollars("0.661")))
        #expect(report.calls == 7)
    }

    @Test("a figure that is not a whole number of units is rounded half-even, never truncated")
    func perTaskRoundsHalfEven() throws {
        // mid-1: three tasks of one call each, $0.01 + $0.01 + $0.02 = $0.04: $0.04 ÷ 3 = 0.01333…, and per call
        // the same. To 4 places 0.0133; big-1 one task of $0.05 (250 output): 0.05 ÷ 0.0133… = 3.75 exactly,
        // which to one place is the tie 3.75 → 3.8 (8 is even), and to 0 places 4.
        let records = [
            try modelCall("m1", at: "2026-11-02T10:00:00Z", input: 1000, leaf: 1),
            try modelCall("m2", at: "2026-11-02T10:01:00Z", input: 1000, leaf: 2),
            try modelCall("m3", at: "2026-11-02T10:02:00Z", input: 2000, leaf: 3),
            try modelCall("b1", at: "2026-11-02T10:03:00Z", model: "big-1", output: 250, leaf: 4),
        ]
        let report = ModelsReport(try dataset(records), prices: try reportPrices())
        let mid = try #require(report.costs.first { $0.model == "openai/mid-1" })
        let big = try #require(report.costs.first { $0.model == "openai/big-1" })
        #expect(mid.usdPerTask(decimals: 4) == "0.0133")
        #expect(mid.usdPerTask(decimals: 9) == "0.013333333")
        #expect(big.ratioToCheapest(decimals: 2) == "3.75")
        #expect(big.ratioToCheapest(decimals: 1) == "3.8")
        #expect(big.ratioToCheapest(decimals: 0) == "4")
    }

    /// Bands at $2 and $50 per million blended tokens ((3 × input + output) ÷ 4): cheap-1 (3 + 2) ÷ 4 = 1.25 is
    /// under $2; mid-1 (30 + 20) ÷ 4 = 12.5 is $2 to $50; big-1 (300 + 200) ÷ 4 = 125 is $50 and up.
    /// Spend on 2026-11-18 and 19, usage for 2026-11-20 only:
    /// - cheap-1: 8 calls of 25,000 input, $0.025 each: $0.20
    /// - mid-1: 2 calls of 3,000 input: $0.06
    /// - big-1: 1 call of 200 output: $0.04
    /// - mystery-9 (not in the table), stored cost_usd $0.04: no list price
    /// - unrecorded: the bill's 6,000 input of mid-1 on key_z, no record: $0.06
    /// Total $0.40: spend shares 50%, 15%, 10%, 10%, 15%; 12 calls: 8/12, 2/12, 1/12, 1/12, 0.
    func bandLedger() throws -> (records: [CostRecord], usage: [UsageExportSource]) {
        var records: [CostRecord] = []
        for i in 1...8 {
            records.append(
                try modelCall("c\(i)", at: "2026-11-18T10:0\(i):00Z", model: "cheap-1", input: 25_000, leaf: UInt64(i))
            )
        }
        records.append(try modelCall("m1", at: "2026-11-19T10:00:00Z", input: 3000, leaf: 20))
        records.append(try modelCall("m2", at: "2026-11-19T10:01:00Z", input: 3000, leaf: 21))
        records.append(try modelCall("b1", at: "2026-11-19T10:02:00Z", model: "big-1", output: 200, leaf: 22))
        records.append(
            CostRecord(
                recordID: "x1",
                timestamp: try instant("2026-11-19T10:03:00Z"),
                provider: "openai",
                model: "mystery-9",
                usage: TokenUsage(input: 10),
                costUSD: try dollars("0.04"),
                leafID: leafID(23),
                attribution: business()
            )
        )
        return (records, [try reportUsageExport(day: "2026-11-20", [("key_z", "mid-1", 6000, 0)])])
    }

    @Test("band shares of spend and calls add up to 100% of the total, unrecorded spend its own line")
    func bandShares() throws {
        let (records, usage) = try bandLedger()
        let data = try dataset(records, usage: usage)
        let bands = try PriceBands(parsing: "2,50")
        let report = ModelsReport(data, prices: try reportPrices(), bands: bands)
        #expect(
            report.bandShares.map(\.band) == [
                "under $2/M", "$2/M to $50/M", "$50/M and up", "(no list price)", "(unrecorded)",
            ]
        )
        #expect(
            report.bandShares.map(\.usd) == [
                try dollars("0.20"), try dollars("0.06"), try dollars("0.04"), try dollars("0.04"), try dollars("0.06"),
            ]
        )
        #expect(report.bandShares.map(\.calls) == [8, 2, 1, 1, 0])
        #expect(
            report.bandShares.map(\.models) == [
                ["openai/cheap-1"], ["openai/mid-1"], ["openai/big-1"], ["mystery-9"], ["openai/mid-1"],
            ]
        )
        #expect(
            report.bandShares.map { report.spendSharePercent($0, decimals: 2) } == [
                "50.00", "15.00", "10.00", "10.00", "15.00",
            ]
        )
        #expect(
            report.bandShares.map { report.callSharePercent($0, decimals: 4) } == [
                "66.6667", "16.6667", "8.3333", "8.3333", "0.0000",
            ]
        )
        let sum = report.bandShares.reduce(Money.zero) { $0 + $1.usd }
        #expect(sum == report.totalUSD)
        #expect(report.totalUSD == data.report.classifiedUSD)
        #expect(report.totalUSD == (try dollars("0.40")))
        #expect(report.unrecordedUSD == (try dollars("0.06")))
        // Unrecorded spend has no calls or tasks: the cost rows hold the recorded $0.34 only.
        #expect(report.costs.reduce(Money.zero) { $0 + $1.usd } == (try dollars("0.34")))
        #expect(report.recordedUSD == (try dollars("0.34")))
    }

    @Test("the standard bands put mid-1 and big-1 in '$10/M and up' and cheap-1 in '$1/M to $10/M'")
    func standardBands() throws {
        let (records, _) = try bandLedger()
        let report = ModelsReport(try dataset(records), prices: try reportPrices())
        #expect(
            report.bandShares.map(\.band) == [
                "under $1/M", "$1/M to $10/M", "$10/M and up", "(no list price)", "(unrecorded)",
            ]
        )
        #expect(report.bandShares.map(\.calls) == [0, 8, 3, 1, 0])
        #expect(report.bandShares[2].models == ["openai/mid-1", "openai/big-1"])
    }

    @Test("the CSV holds the cost table, or the band shares with --only bands; JSON writes null where no figure")
    func csvAndJSON() throws {
        let (records, usage) = try bandLedger()
        let report = ModelsReport(
            try dataset(records, usage: usage),
            prices: try reportPrices(),
            bands: try PriceBands(parsing: "2,50")
        )
        let costs = report.render(.csv).split(separator: "\n").map(String.init)
        #expect(
            costs.first
                == "feature,task_type,model,band,spend_usd,calls,tasks,usd_per_call,usd_per_task,ratio_to_cheapest"
        )
        // cheap-1: 8 tasks at $0.025 each is the cheapest per task; mid-1 $0.03 is 1.2x.
        #expect(costs[1] == "search,answer,openai/cheap-1,under $2/M,0.200000000,8,8,0.025000000,0.025000000,1.000000")
        #expect(costs[2] == "search,answer,openai/mid-1,$2/M to $50/M,0.060000000,2,2,0.030000000,0.030000000,1.200000")
        let bands = report.render(.csv, only: .bands).split(separator: "\n").map(String.init)
        #expect(bands.first == "band,models,spend_usd,spend_share_pct,calls,calls_share_pct")
        #expect(bands.last == "(unrecorded),openai/mid-1,0.060000000,15.000000,0,0.000000")
        let empty = ModelsReport(try dataset([]), prices: try reportPrices())
        let json = empty.render(.json)
        #expect(
            json.contains(
                #""band":"(unrecorded)","models":[],"spend_usd":"0.000000000","spend_share_pct":null,"calls":0,"calls_share_pct":null"#
            )
        )
    }

    @Test("--bands must be ascending prices above zero", arguments: ["10,1", "0,5", "1,1", "cheap", "", "1,,2"])
    func badBands(text: String) {
        #expect(throws: ReportError.self) { try PriceBands(parsing: text) }
    }

    @Test("a band label names its range, without trailing zeros")
    func bandLabels() throws {
        #expect(
            try PriceBands(parsing: "0.5,5.250,20").labels == [
                "under $0.5/M", "$0.5/M to $5.25/M", "$5.25/M to $20/M", "$20/M and up",
            ]
        )
        #expect(PriceBands.standard.labels == ["under $1/M", "$1/M to $10/M", "$10/M and up"])
    }
}
