import Attribution
import CostAudit
import CostLedger
import CostReports
import Foundation
import Testing

/// The November 2026 statements of `records` (audited over exactly that month with the test prices).
private func statements(
    _ records: [CostRecord],
    mode: StatementMode = .showback,
    allocation: StatementAllocation = .proportional,
    usage: [UsageExportSource] = [],
    keyMap: AuditKeyMap = .empty
) throws -> MonthlyStatements {
    let month = try StatementMonth(parsing: "2026-11")
    let data = try dataset(records, usage: usage, keyMap: keyMap, since: month.start, until: month.end)
    return try MonthlyStatements(data, month: month, mode: mode, allocation: allocation)
}

/// Each statement's team and total, in order, as shown.
private func totals(_ statements: MonthlyStatements) -> [String] {
    statements.statements.map { "\($0.team)=\($0.usd.formatted(decimals: 2))" }
}

/// Each line of `team`'s statement: `kind:project/feature=usd` (project and feature only on spend lines).
private func lines(_ statements: MonthlyStatements, _ team: String) -> [String] {
    (statements.statements.first { $0.team == team }?.lines ?? []).map { line in
        let place = line.project.map { ":\($0)/\(line.feature ?? "")" } ?? ""
        return "\(line.kind)\(place)=\(line.usd.formatted(decimals: 2))"
    }
}

/// The cents add up: every statement's lines to its total, and the statements of the month to its total.
private func expectCentsAddUp(_ statements: MonthlyStatements, sourceLocation: SourceLocation = #_sourceLocation) {
    var sum = Money.zero
    for statement in statements.statements {
        #expect(
            statement.lines.reduce(Money.zero) { $0 + $1.usd } == statement.usd,
            "lines of \(statement.team)",
            sourceLocation: sourceLocation
        )
        #expect(statement.usd.attodollars % 10_000_000_000_000_000 == 0, sourceLocation: sourceLocation)
        sum += statement.usd
    }
    #expect(sum == statements.monthTotalUSD, "statements add up to the month", sourceLocation: sourceLocation)
}

/// Three teams with $0.01 each (1,000 input tokens of mid-1) and one call with no team and no envelope: 100,000
/// input tokens of mid-1, $1.00 of unknown spend. The month's total is $1.03.
private func threeTeamsAndADollarUnknown() throws -> [CostRecord] {
    [
        try modelCall("a", at: "2026-11-02T10:00:00Z", input: 1000, attribution: business(team: "alpha"), leaf: 1),
        try modelCall("b", at: "2026-11-03T10:00:00Z", input: 1000, attribution: business(team: "beta"), leaf: 2),
        try modelCall("g", at: "2026-11-04T10:00:00Z", input: 1000, attribution: business(team: "gamma"), leaf: 3),
        try modelCall("u", at: "2026-11-05T10:00:00Z", input: 100_000, attribution: [.userID: "u_9"]),
    ]
}

@Suite("statement: showback and chargeback in cents that add up to the month")
struct StatementTests {
    /// $1.00 of unknown split three ways in proportion to $0.01 each: exactly 333,333,333,333,333,333
    /// attodollars each with 1 left over, which goes to the bytewise-first team, alpha (equal remainders).
    /// Chargeback, per team: alpha $0.343333333333333334, beta and gamma $0.343333333333333333; the month is
    /// $1.03 = 103 cents; floors 34 + 34 + 34 = 102, and the one cent left goes to the largest remainder, alpha's
    /// (…334 > …333). So alpha $0.35 (spend $0.01, share $0.34), beta and gamma $0.34 (spend $0.01, share $0.33).
    @Test("chargeback, proportional: $1.00 of unknown split three ways adds up to the cent by largest remainder")
    func proportionalThreeWays() throws {
        let charged = try statements(try threeTeamsAndADollarUnknown(), mode: .chargeback)
        #expect(totals(charged) == ["alpha=0.35", "beta=0.34", "gamma=0.34"])
        #expect(lines(charged, "alpha") == ["spend:assistant/search=0.01", "unknown_share=0.34"])
        #expect(lines(charged, "beta") == ["spend:assistant/search=0.01", "unknown_share=0.33"])
        #expect(charged.monthTotalUSD == (try dollars("1.03")))
        #expect(charged.unknownUSD == (try dollars("1.00")))
        #expect(charged.unallocatedUSD == .zero)
        expectCentsAddUp(charged)
    }

    /// Showback of the same month: the teams' attributed spend ($0.01 each) and the (unknown) statement of
    /// $1.00, adding up to $1.03. Beside each team, its share rounded to add up to the (unknown) statement's 100
    /// cents: floors 33 + 33 + 33, and the cent left to alpha's larger remainder: $0.34, $0.33, $0.33, the same
    /// shares chargeback charges.
    @Test("showback shows each team's share beside its total; chargeback adds it as a line")
    func showbackAgainstChargeback() throws {
        let shown = try statements(try threeTeamsAndADollarUnknown())
        #expect(totals(shown) == ["alpha=0.01", "beta=0.01", "gamma=0.01", "(unknown)=1.00"])
        #expect(shown.statements.map { $0.unknownShareUSD.formatted(decimals: 2) } == ["0.34", "0.33", "0.33", "0.00"])
        #expect(lines(shown, "alpha") == ["spend:assistant/search=0.01"])
        #expect(lines(shown, "(unknown)") == ["spend:(unknown)/(unknown)=1.00"])
        #expect(shown.unknownUSD == (try dollars("1.00")))
        expectCentsAddUp(shown)

        let charged = try statements(try threeTeamsAndADollarUnknown(), mode: .chargeback)
        for team in ["alpha", "beta", "gamma"] {
            let showback = try #require(shown.statements.first { $0.team == team })
            let chargeback = try #require(charged.statements.first { $0.team == team })
            #expect(chargeback.usd == showback.usd + showback.unknownShareUSD)
            #expect(chargeback.attributedUSD == showback.attributedUSD)
        }
        #expect(!charged.statements.contains { $0.team == "(unknown)" })
    }

    /// Even among the teams with spend: alpha $0.20 (1,000 output of big-1), beta $0.01, gamma $0.001 (1,000
    /// input of cheap-1); unknown $0.10 (10,000 input of mid-1). Each team's share: 33,333,333,333,333,333
    /// attodollars, the 1 left over to alpha. Exact statements: alpha $0.233333333333333334, beta
    /// $0.043333333333333333, gamma $0.034333333333333333; the month $0.311 → 31 cents; floors 23 + 4 + 3 = 30,
    /// the cent left to gamma (remainder 0.433 of a cent, the largest). Gamma's lines, to 4 cents: spend $0.001
    /// (floor 0, remainder 0.1) and share (floor 3, remainder 0.33): the cent goes to the share.
    @Test("chargeback, even: equal shares, and the cent left over goes to the largest remainder")
    func evenSplit() throws {
        let records = [
            try modelCall(
                "a",
                at: "2026-11-02T10:00:00Z",
                model: "big-1",
                output: 1000,
                attribution: business(team: "alpha"),
                leaf: 1
            ),
            try modelCall("b", at: "2026-11-03T10:00:00Z", input: 1000, attribution: business(team: "beta"), leaf: 2),
            try modelCall(
                "g",
                at: "2026-11-04T10:00:00Z",
                model: "cheap-1",
                input: 1000,
                attribution: business(team: "gamma"),
                leaf: 3
            ),
            try modelCall("u", at: "2026-11-05T10:00:00Z", input: 10_000, attribution: [.userID: "u_9"]),
        ]
        let charged = try statements(records, mode: .chargeback, allocation: .even)
        #expect(totals(charged) == ["alpha=0.23", "beta=0.04", "gamma=0.04"])
        #expect(lines(charged, "alpha") == ["spend:assistant/search=0.20", "unknown_share=0.03"])
        #expect(lines(charged, "gamma") == ["spend:assistant/search=0.00", "unknown_share=0.04"])
        #expect(charged.monthTotalUSD == (try dollars("0.31")))
        expectCentsAddUp(charged)

        // Showback: alpha $0.20, beta $0.01, gamma $0.00, (unknown) $0.10; the shares beside, to 10 cents:
        // floors 3 + 3 + 3, the cent to alpha.
        let shown = try statements(records, allocation: .even)
        #expect(totals(shown) == ["alpha=0.20", "beta=0.01", "gamma=0.00", "(unknown)=0.10"])
        #expect(
            shown.statements.prefix(3).map { $0.unknownShareUSD.formatted(decimals: 2) } == ["0.04", "0.03", "0.03"]
        )
        expectCentsAddUp(shown)
    }

    /// Weights alpha 1.5, beta 0.5, delta 2 (a team with no spend this month); gamma is not named and weighs 0.
    /// Of $1.00: alpha $0.375, beta $0.125, delta $0.50, gamma $0. Statements: delta $0.50, alpha $0.385, beta
    /// $0.135, gamma $0.01 = $1.03; floors 50 + 38 + 13 + 1 = 102, the cent to alpha (remainders 0.5 and 0.5,
    /// alpha bytewise first). Alpha's lines to 39 cents: spend 1 + share 37 (remainder 0.5) → share $0.38.
    @Test("chargeback, weights: a team named only in the weights gets its share; an unnamed team weighs zero")
    func weightsSplit() throws {
        let weights = try StatementWeights(json: Array(#"{"alpha": 1.5, "beta": 0.5, "delta": 2}"#.utf8))
        #expect(weights.weight(of: "alpha") == "1.5")
        #expect(weights.teams == ["alpha", "beta", "delta"])
        let charged = try statements(
            try threeTeamsAndADollarUnknown(),
            mode: .chargeback,
            allocation: .weights(weights)
        )
        #expect(totals(charged) == ["delta=0.50", "alpha=0.39", "beta=0.13", "gamma=0.01"])
        #expect(lines(charged, "delta") == ["unknown_share=0.50"])
        #expect(lines(charged, "alpha") == ["spend:assistant/search=0.01", "unknown_share=0.38"])
        #expect(lines(charged, "beta") == ["spend:assistant/search=0.01", "unknown_share=0.12"])
        #expect(lines(charged, "gamma") == ["spend:assistant/search=0.01", "unknown_share=0.00"])
        #expect(charged.allocation.name == "weights")
        expectCentsAddUp(charged)
    }

    /// Every weight zero: no team can take the $1.00, so it is the (unallocated) statement; the teams keep their
    /// $0.01 and a share of $0.00. The month still adds up to $1.03.
    @Test("all-zero weights: the unknown spend goes to an (unallocated) statement and never vanishes")
    func allZeroWeights() throws {
        let weights = try StatementWeights(json: Array(#"{"alpha": 0, "beta": 0.0}"#.utf8))
        let charged = try statements(
            try threeTeamsAndADollarUnknown(),
            mode: .chargeback,
            allocation: .weights(weights)
        )
        #expect(totals(charged) == ["alpha=0.01", "beta=0.01", "gamma=0.01", "(unallocated)=1.00"])
        #expect(lines(charged, "(unallocated)") == ["unallocated=1.00"])
        #expect(charged.unallocatedUSD == (try dollars("1.00")))
        #expect(charged.unknownUSD == (try dollars("1.00")))
        expectCentsAddUp(charged)

        // Showback says the same: every share $0.00, $1.00 would stay unallocated.
        let shown = try statements(try threeTeamsAndADollarUnknown(), allocation: .weights(weights))
        #expect(shown.statements.map(\.unknownShareUSD) == [.zero, .zero, .zero, .zero])
        #expect(shown.unallocatedUSD == (try dollars("1.00")))
        expectCentsAddUp(shown)
        #expect(shown.render(.table).contains("Unallocated: $1.00"))
    }

    @Test("proportional with no attributed spend at all: the unknown spend is (unallocated)")
    func proportionalWithoutTeams() throws {
        let onlyUnknown = [try modelCall("u", at: "2026-11-05T10:00:00Z", input: 100_000, attribution: [.userID: "u"])]
        let charged = try statements(onlyUnknown, mode: .chargeback)
        #expect(totals(charged) == ["(unallocated)=1.00"])
        expectCentsAddUp(charged)
    }

    /// Usage for 2026-11-20: 100,000 input tokens of mid-1 on key k1 ($1.00). The ledger: alpha's call on k1 of
    /// 50,000 input ($0.50). The other $0.50 is on the bill with no record: unknown (key k1 is not in a key map).
    /// The cost export bills $1.10: the pricing difference is $0.10. The month's total is the audit's classes,
    /// $1.00; chargeback gives alpha all of it; the $0.10 is its own line, in no statement.
    @Test("a cost export's difference from priced usage is its own pricing_difference line, not spread")
    func pricingDifference() throws {
        let records = [
            try modelCall(
                "a",
                at: "2026-11-20T10:00:00Z",
                input: 50_000,
                attribution: business(team: "alpha"),
                leaf: 1,
                apiKey: "k1"
            )
        ]
        let charged = try statements(records, mode: .chargeback, usage: try billedUsage(costs: "1.10"))
        #expect(totals(charged) == ["alpha=1.00"])
        #expect(lines(charged, "alpha") == ["spend:assistant/search=0.50", "unknown_share=0.50"])
        #expect(charged.monthTotalUSD == (try dollars("1.00")))
        #expect(charged.billedUSD == (try dollars("1.10")))
        #expect(charged.pricingDifferenceUSD == (try dollars("0.10")))
        expectCentsAddUp(charged)
        #expect(charged.render(.csv).contains("(bill),pricing_difference,,,0.10,"))
        let json = try parse(charged.render(.json))
        #expect(json["pricing_difference_usd"] as? String == "0.10")
        #expect(json["billed_usd"] as? String == "1.10")
        #expect(json["month_total_usd"] as? String == "1.00")

        // Without a cost export there is no such line.
        let unbilled = try statements(records, mode: .chargeback, usage: try billedUsage(costs: nil))
        #expect(unbilled.pricingDifferenceUSD == nil)
        #expect(!unbilled.render(.csv).contains("pricing_difference"))
        #expect(try parse(unbilled.render(.json))["pricing_difference_usd"] is NSNull)
    }

    /// The same bill with key k1 mapped to beta/platform: the $0.50 no record carries is key-allocated, so it is
    /// beta's (project platform, feature unknown), not unknown spend. A record of class unknown that carries its
    /// own team (alpha's call with no feature: missing fields) is alpha's too. Nothing is left to allocate.
    @Test(
        "unknown spend is spend with no team: key-allocated spend is the key's team's, a team's unknown record is the team's"
    )
    func whichSpendIsUnknown() throws {
        let records = [
            try modelCall(
                "a",
                at: "2026-11-20T10:00:00Z",
                input: 50_000,
                attribution: business(team: "alpha"),
                leaf: 1,
                apiKey: "k1"
            ),
            try modelCall("m", at: "2026-11-21T10:00:00Z", input: 1000, attribution: [.team: "alpha"], leaf: 2),
        ]
        let keys = AuditKeyMap(owners: ["k1": .init(team: "beta", project: "platform")])
        let charged = try statements(records, mode: .chargeback, usage: try billedUsage(costs: nil), keyMap: keys)
        #expect(totals(charged) == ["alpha=0.51", "beta=0.50"])
        #expect(
            lines(charged, "alpha") == [
                "spend:assistant/search=0.50", "spend:(unknown)/(unknown)=0.01", "unknown_share=0.00",
            ]
        )
        #expect(lines(charged, "beta") == ["spend:platform/(unknown)=0.50", "unknown_share=0.00"])
        let beta = try #require(charged.statements.first { $0.team == "beta" })
        // Spend known per day only has no task: no cost per task.
        #expect(beta.lines[0].tasks == 0)
        #expect(beta.lines[0].costPerTaskUSD == nil)
        #expect(charged.unknownUSD == .zero)
        expectCentsAddUp(charged)
    }

    /// Alpha: task 10 tried twice ($0.01 each) and task 11 ($0.01): 3 calls, 2 tasks, $0.03, $0.015 per task.
    @Test("lines carry calls, tasks and cost per task (retries are one task)")
    func costPerTask() throws {
        let records = [
            try modelCall(
                "a1",
                at: "2026-11-02T10:00:00Z",
                input: 1000,
                attribution: business(team: "alpha"),
                leaf: 10,
                attempt: 1
            ),
            try modelCall(
                "a2",
                at: "2026-11-02T10:01:00Z",
                input: 1000,
                attribution: business(team: "alpha"),
                leaf: 10,
                attempt: 2
            ),
            try modelCall("b", at: "2026-11-03T10:00:00Z", input: 1000, attribution: business(team: "alpha"), leaf: 11),
        ]
        let shown = try statements(records)
        let alpha = try #require(shown.statements.first)
        #expect(alpha.lines.count == 1)
        #expect(alpha.lines[0].calls == 3)
        #expect(alpha.lines[0].tasks == 2)
        #expect(alpha.lines[0].costPerTaskUSD == (try dollars("0.015")))
        #expect(alpha.costPerTaskUSD == (try dollars("0.015")))
        #expect(shown.render(.csv).contains("alpha,spend,assistant,search,0.03,3,2,0.0150,"))
    }

    @Test("the spend of a team is split by project and feature, highest first")
    func linesByProjectAndFeature() throws {
        let records = [
            try modelCall(
                "a",
                at: "2026-11-02T10:00:00Z",
                input: 1000,
                attribution: business(feature: "chat", team: "alpha"),
                leaf: 1
            ),
            try modelCall(
                "b",
                at: "2026-11-03T10:00:00Z",
                input: 3000,
                attribution: business(feature: "search", team: "alpha", project: "web"),
                leaf: 2
            ),
            try modelCall(
                "c",
                at: "2026-11-04T10:00:00Z",
                input: 2000,
                attribution: business(feature: "chat", team: "alpha", project: "web"),
                leaf: 3
            ),
        ]
        let shown = try statements(records)
        #expect(lines(shown, "alpha") == ["spend:web/search=0.03", "spend:web/chat=0.02", "spend:assistant/chat=0.01"])
        #expect(totals(shown) == ["alpha=0.06", "(unknown)=0.00"])
    }

    @Test("lines of equal spend are listed bytewise by project, then feature")
    func equalLinesBytewise() throws {
        let records = [
            try modelCall(
                "a",
                at: "2026-11-02T10:00:00Z",
                input: 1000,
                attribution: business(feature: "zeta", team: "alpha", project: "web"),
                leaf: 1
            ),
            try modelCall(
                "b",
                at: "2026-11-03T10:00:00Z",
                input: 1000,
                attribution: business(feature: "beta", team: "alpha", project: "web"),
                leaf: 2
            ),
            try modelCall(
                "c",
                at: "2026-11-04T10:00:00Z",
                input: 1000,
                attribution: business(feature: "zeta", team: "alpha"),
                leaf: 3
            ),
        ]
        #expect(
            lines(try statements(records), "alpha") == [
                "spend:assistant/zeta=0.01", "spend:web/beta=0.01", "spend:web/zeta=0.01",
            ]
        )
    }

    /// A team whose only call in the month cost $0 weighs nothing in a proportional split: the $1.00 of unknown
    /// goes to the three teams that spent, to the attodollar, as without it.
    @Test("chargeback, proportional: a team with no spend gets no share, not even an attodollar")
    func noSpendNoShare() throws {
        let idle = try modelCall("i", at: "2026-11-06T10:00:00Z", attribution: business(team: "idle"), leaf: 9)
        let charged = try statements(try threeTeamsAndADollarUnknown() + [idle], mode: .chargeback)
        let statement = try #require(charged.statements.first { $0.team == "idle" })
        #expect(statement.exactUSD == .zero)
        #expect(statement.unknownShareUSD == .zero)
        #expect(totals(charged) == ["alpha=0.35", "beta=0.34", "gamma=0.34", "idle=0.00"])
        expectCentsAddUp(charged)
    }

    @Test("one team's statement is the same as in every team's, the month total still the month's")
    func selectingOneTeam() throws {
        let charged = try statements(try threeTeamsAndADollarUnknown(), mode: .chargeback)
        let beta = charged.selecting(team: "beta")
        #expect(beta.statements == charged.statements.filter { $0.team == "beta" })
        #expect(beta.monthTotalUSD == (try dollars("1.03")))
        #expect(beta.render(.table).contains("Chargeback statement of beta, 2026-11"))
        let nobody = charged.selecting(team: "nobody")
        #expect(totals(nobody) == ["nobody=0.00"])
        #expect(nobody.statements[0].lines.isEmpty)
    }

    @Test(
        "the JSON names month, mode, method, inputs_sha256, month_total_usd and statements with team, lines, total_usd"
    )
    func jsonKeys() throws {
        let charged = try statements(try threeTeamsAndADollarUnknown(), mode: .chargeback, allocation: .even)
        let json = try parse(charged.render(.json))
        #expect(json["month"] as? String == "2026-11")
        #expect(json["mode"] as? String == "chargeback")
        #expect(json["method"] as? String == "even")
        #expect(json["inputs_sha256"] is NSNull)
        #expect(json["month_total_usd"] as? String == "1.03")
        let list = try #require(json["statements"] as? [[String: Any]])
        #expect(list.map { $0["team"] as? String } == ["alpha", "beta", "gamma"])
        #expect(list.map { $0["total_usd"] as? String } == ["0.35", "0.34", "0.34"])
        let alphaLines = try #require(list[0]["lines"] as? [[String: Any]])
        #expect(alphaLines.map { $0["line"] as? String } == ["spend", "unknown_share"])
        #expect(alphaLines.map { $0["spend_usd"] as? String } == ["0.01", "0.34"])
    }

    /// The example of docs/reports.md, "statement", ("In code"), on files: alpha $0.01 and $1.00 with no team, weights
    /// research 2 and growth 1 (alpha weighs 0): growth takes $1.00 × 1/3 = $0.333… and research $0.666…, the
    /// attodollar left to research (larger remainder). Statements: research $0.67, growth $0.33, alpha $0.01.
    @Test("the library example of the docs runs on files and fingerprints them")
    func docsExample() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stmt-docs-\(UUID().uuidString)")
        let ledgerDirectory = dir.appendingPathComponent("ledger")
        try FileManager.default.createDirectory(at: ledgerDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let records = [
            try modelCall("a", at: "2026-11-02T10:00:00Z", input: 1000, attribution: business(team: "alpha"), leaf: 1),
            try modelCall("u", at: "2026-11-05T10:00:00Z", input: 100_000, attribution: [.userID: "u_9"]),
        ]
        try Data(records.flatMap { $0.jsonLine() }).write(to: ledgerDirectory.appendingPathComponent("a.jsonl"))
        let keysPath = dir.appendingPathComponent("keys.json").path
        try Data("{}".utf8).write(to: URL(fileURLWithPath: keysPath))
        let ledger = ledgerDirectory.path

        let (statements, markdown) = try statementDocsExample(
            ledger: ledger,
            keys: keysPath,
            prices: try reportPrices()
        )
        #expect(totals(statements) == ["research=0.67", "growth=0.33", "alpha=0.01"])
        #expect(statements.inputs?.entries.map(\.path) == [keysPath, ledger + "/a.jsonl"])
        let json = try parse(statements.render(.json))
        #expect(json["inputs_sha256"] as? String == statements.inputs?.sha256)
        #expect(markdown.contains("| research | total |  |  | 0.67 |"))
    }

    @Test("a dataset audited over another window is refused: the month must be the audit's window")
    func windowMustBeTheMonth() throws {
        let data = try dataset(try threeTeamsAndADollarUnknown())
        let month = try StatementMonth(parsing: "2026-11")
        let error = try #require(throws: ReportError.self) { try MonthlyStatements(data, month: month) }
        #expect(error.field == "month")
        #expect(error.value == "2026-11")
    }

    @Test("a month is YYYY-MM, from its first day to the next month's, in UTC")
    func months() throws {
        let december = try StatementMonth(parsing: "2026-12")
        #expect(december.start == (try instant("2026-12-01T00:00:00Z")))
        #expect(december.end == (try instant("2027-01-01T00:00:00Z")))
        for bad in ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "1969-12", "2026-11-01", ""] {
            let error = try #require(throws: ReportError.self) { try StatementMonth(parsing: bad) }
            #expect(error.field == "month")
            #expect(error.value == bad)
        }
    }

    @Test(
        "a weights file is refused, naming the team and the value, unless it is a JSON object of non-negative numbers",
        arguments: [
            (#"{"alpha": -1}"#, #""alpha""#, "-1"),
            (#"{"alpha": "2"}"#, #""alpha""#, #""2""#),
            (#"{"alpha": null}"#, #""alpha""#, "null"),
            (#"{"alpha": 1e13}"#, #""alpha""#, "1e13"),
            (#"{"alpha": 0.0000000000000000001}"#, #""alpha""#, "0.0000000000000000001"),
            (#"{"alpha": [1]}"#, #""alpha""#, "an array"),
            (#"[1, 2]"#, "weights", "an array"),
            (#"{"alpha": 1, "alpha": 2}"#, "weights", ""),
            (#"{"": 1}"#, "weights", ""),
            (#"{"(unknown)": 1}"#, "weights", "(unknown)"),
            (#"{"alpha": 1"#, "weights", ""),
        ]
    )
    func weightsErrors(text: String, field: String, value: String) throws {
        let error = try #require(throws: ReportError.self) { try StatementWeights(json: Array(text.utf8)) }
        #expect(error.field == field, "\(error)")
        if !value.isEmpty { #expect(error.value == value, "\(error)") }
    }

    @Test("a weights file larger than 1 MiB is refused before it is parsed")
    func weightsTooLarge() throws {
        let text = "{\"a\": 1" + String(repeating: " ", count: StatementWeights.maxFileBytes) + "}"
        let error = try #require(throws: ReportError.self) { try StatementWeights(json: Array(text.utf8)) }
        #expect(error.field == "weights")
        #expect(error.reason.contains("exceeds"))
    }
}

/// The example of docs/reports.md, "statement", ("In code"), region for region as the page shows it.
private func statementDocsExample(
    ledger: String,
    keys: String,
    prices: PriceTable
) throws -> (statements: MonthlyStatements, markdown: String) {
    // snippet: statement-in-code
    let month = try StatementMonth(parsing: "2026-11")
    var configuration = AuditConfiguration(ledger: .files([ledger]), prices: prices)
    configuration.keyMap = try AuditKeyMap(contentsOfFile: keys)
    (configuration.since, configuration.until) = (month.start, month.end)
    let dataset = SpendDataset(try Auditor.attribute(configuration))
    let weights = try StatementWeights(["research": 2, "growth": 1])
    let statements = try MonthlyStatements(
        dataset,
        month: month,
        mode: .chargeback,
        allocation: .weights(weights),
        inputs: try InputDigest(ledgers: [ledger], files: [keys])
    )
    let research = statements.selecting(team: "research").render(.markdown)
    // end snippet
    return (statements, research)
}

/// An OpenAI usage page for 2026-11-20 (mid-1, key k1, 100,000 input tokens: $1.00) and, when `costs` is given,
/// an OpenAI costs page billing `costs` dollars that day.
private func billedUsage(costs: String?) throws -> [UsageExportSource] {
    let usage = """
        {"object": "page", "data": [{"object": "bucket", "start_time": 1795132800, "end_time": 1795219200,
        "results": [{"object": "organization.usage.completions.result", "input_tokens": 100000,
        "input_cached_tokens": 0, "output_tokens": 0, "num_model_requests": 3, "project_id": null, "user_id": null,
        "api_key_id": "k1", "model": "mid-1", "batch": false}]}], "has_more": false, "next_page": null}
        """
    var sources: [UsageExportSource] = [.text(usage, name: "usage.json")]
    if let costs {
        let page = """
            {"object": "page", "data": [{"object": "bucket", "start_time": 1795132800, "end_time": 1795219200,
            "results": [{"object": "organization.costs.result", "amount": {"value": \(costs), "currency": "usd"},
            "line_item": null, "project_id": null}]}], "has_more": false, "next_page": null}
            """
        sources.append(.text(page, name: "costs.json"))
    }
    return sources
}

private func parse(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}
