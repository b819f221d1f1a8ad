import Attribution
import CostAudit
import CostLedger
import Testing

// Prices (TestPrices): gpt-4.1 $2.00 input, $8.00 output, $0.50 cached per million tokens. So 500,000 input
// tokens cost $1.000000000, 125,000 output tokens cost $1.000000000, 1,000,000 cached tokens cost $0.50.

@Suite("Classification of every dollar (SPEC section 6)")
struct ClassificationTests {
    @Test("a record carrying every required field equal to its unit's is direct, with or without a leaf id")
    func direct() throws {
        let report = try audit([
            call("a", leaf: 1, root: 1, input: 500_000, fields: fullAttribution),  // $1
            call("b", input: 250_000, output: 62_500, fields: fullAttribution),  // $0.50 + $0.50, no envelope
        ])
        #expect(classes(report) == ["2.000000000", "0.000000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.totalUSD.formatted() == "2.000000000")
        #expect(report.recordedUSD.formatted() == "2.000000000")
        #expect(report.records == 2)
        #expect(report.unknownShareBefore.formatted == "0.000000")
        #expect(report.captureRate.formatted == "1.000000")
    }

    @Test("a call missing fields takes its unit's attribution: inherited")
    func inheritedFromSameUnit() throws {
        let report = try audit([
            call("a", leaf: 1, root: 1, input: 500_000, fields: fullAttribution),  // $1 direct
            call("b", leaf: 1, root: 1, input: 1_000_000, fields: [.userID: "u_42"]),  // $2 inherited
        ])
        #expect(classes(report) == ["1.000000000", "2.000000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.unknownShareBefore.formatted == "0.666667")
        #expect(report.unknownShareAfter.formatted == "0.000000")
        #expect(report.retryIdentityConflicts == 0)
    }

    @Test("fields resolve through several levels of lineage, each level filling only what is missing")
    func multiLevelLineage() throws {
        // root (1) has everything; child (2) overrides task_type; grandchild (3) has only an agent.
        let report = try audit([
            unit(1, fields: fullAttribution),
            unit(2, parent: 1, root: 1, fields: [.taskType: "classify"]),
            call("g", leaf: 3, parent: 2, root: 1, input: 750_000, fields: [.agent: "crawler"]),  // $1.50
            call("c", leaf: 2, parent: 1, root: 1, output: 250_000),  // $2.00
        ])
        #expect(classes(report) == ["0.000000000", "3.500000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.records == 4)
    }

    @Test("a parent with no calls of its own, known only from its unit record, attributes its children")
    func parentKnownOnlyFromUnitRecord() throws {
        let report = try audit([
            unit(10, fields: fullAttribution),
            call("child-1", leaf: 11, parent: 10, root: 10, input: 100_000),  // $0.20
            call("child-2", leaf: 12, parent: 10, root: 10, input: 150_000),  // $0.30
        ])
        #expect(classes(report) == ["0.000000000", "0.500000000", "0.000000000", "0.000000000", "0.000000000"])
    }

    @Test("when the parent is not in the ledger, the walk continues once from the root")
    func rootFallback() throws {
        let report = try audit([
            unit(1, fields: fullAttribution),
            // parent 2 was never recorded; root 1 was.
            call("x", leaf: 3, parent: 2, root: 1, input: 500_000),  // $1 inherited via root
        ])
        #expect(classes(report) == ["0.000000000", "1.000000000", "0.000000000", "0.000000000", "0.000000000"])
    }

    @Test("a retry whose identity was overwritten takes the unit's attribution and counts a conflict")
    func retryIdentityOverwritten() throws {
        var operatorFields = fullAttribution
        operatorFields[.userID] = "operator_7"
        let report = try audit([
            call(
                "try-1",
                leaf: 5,
                root: 5,
                attempt: 1,
                ts: "2026-11-20T10:00:00.000Z",
                input: 500_000,
                fields: fullAttribution
            ),
            // The retry re-read the ambient identity: a scheduler's user id. Later ts, attempt 2.
            call(
                "try-2",
                leaf: 5,
                root: 5,
                attempt: 2,
                ts: "2026-11-20T10:05:00.000Z",
                input: 1_500_000,
                fields: operatorFields
            ),
        ])
        // try-1 is direct ($1); try-2 takes U outright: inherited ($3), a conflict of $3.
        #expect(classes(report) == ["1.000000000", "3.000000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.retryIdentityConflicts == 1)
        #expect(report.retryIdentityConflictUSD.formatted() == "3.000000000")
    }

    @Test("the earliest complete record by attempt, then ts, defines the unit even when a later one was written first")
    func earliestByAttempt() throws {
        var other = fullAttribution
        other[.team] = "other-team"
        let report = try audit([
            // Written first, but attempt 2: not U. $1.
            call("b", leaf: 7, root: 7, attempt: 2, ts: "2026-11-20T09:00:00.000Z", input: 500_000, fields: other),
            // Attempt 1, an hour and a half later: U. $2.
            call(
                "a",
                leaf: 7,
                root: 7,
                attempt: 1,
                ts: "2026-11-20T11:00:00.000Z",
                input: 1_000_000,
                fields: fullAttribution
            ),
        ])
        // By attempt: "a" is direct ($2), "b" takes U (inherited, $1) and is the conflict ($1). Ordered by ts
        // instead, "b" would be U: direct $1, inherited $2, a conflict of $2.
        #expect(classes(report) == ["2.000000000", "1.000000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.retryIdentityConflicts == 1)
        #expect(report.retryIdentityConflictUSD.formatted() == "1.000000000")
    }

    @Test("unknown spend carries a reason: no envelope, broken lineage, missing fields")
    func unknownReasons() throws {
        let report = try audit([
            call("no-env", input: 500_000, fields: [.userID: "u_1"]),  // $1 no_envelope
            call("broken", leaf: 20, parent: 21, root: 22, input: 1_000_000, fields: [.agent: "lost-agent"]),  // $2
            unit(30, fields: [.userID: "u_3", .feature: "f", .team: "t"]),
            call("missing", leaf: 31, parent: 30, root: 30, input: 1_500_000, fields: [.agent: "half-agent"]),  // $3
        ])
        #expect(classes(report) == ["0.000000000", "0.000000000", "0.000000000", "0.000000000", "6.000000000"])
        #expect(report[.noEnvelope].formatted() == "1.000000000")
        #expect(report[.brokenLineage].formatted() == "2.000000000")
        #expect(report[.missingFields].formatted() == "3.000000000")
        #expect(report[.unrecorded].formatted() == "0.000000000")
        // Only the missing_fields record counts here, in full under each field it lacks.
        #expect(report.unknownMissingFields["project"]?.formatted() == "3.000000000")
        #expect(report.unknownMissingFields["task_type"]?.formatted() == "3.000000000")
        #expect(report.unknownMissingFields["user_id"]?.formatted() == "0.000000000")
        #expect(report.unknownShareAfter.formatted == "1.000000")
        let agents = report.topUnknownSources.filter { $0.dimension == "agent" }
        #expect(agents.map(\.value) == ["half-agent", "lost-agent"])
        let missing = report.topUnknownSources.filter { $0.dimension == "missing_field" }
        // no-env lacks 4 fields ($1), broken lacks 5 ($2), missing lacks 2 ($3): project and task_type $6 each.
        #expect(missing.map(\.value) == ["project", "task_type", "feature", "team", "user_id"])
        #expect(
            missing.map { $0.usd.formatted() } == [
                "6.000000000", "6.000000000", "3.000000000", "3.000000000", "2.000000000",
            ]
        )
    }

    @Test("a record still incomplete on a mapped key is key_allocated; on an unmapped key it stays unknown")
    func keyAllocatedRecords() throws {
        let keys = AuditKeyMap(owners: ["key_team_a": .init(team: "team-a", project: "proj-a")])
        let report = try audit(
            [
                call("mapped", key: "key_team_a", input: 500_000),  // $1
                call("unmapped", key: "key_other", input: 250_000),  // $0.50
            ],
            keyMap: keys
        )
        #expect(classes(report) == ["0.000000000", "0.000000000", "0.000000000", "1.000000000", "0.500000000"])
        #expect(report[.noEnvelope].formatted() == "0.500000000")
    }

    @Test("the first matching rule wins, and its set fills only the missing fields")
    func rules() throws {
        let rules = try AuditRules(
            json: Array(
                """
                [{"match": {"agent": "nightly-eval-agent"},
                  "set": {"user_id": "system", "feature": "nightly_eval", "team": "ml-platform",
                          "project": "nightly-eval", "task_type": "eval"}},
                 {"match": {"agent": "nightly-eval-agent"}, "set": {"user_id": "never-used"}},
                 {"match": {"model": "gpt-4.1", "team": "growth"}, "set": {"user_id": "growth-bot"}}]
                """.utf8
            )
        )
        let report = try audit(
            [
                // Matches rule 0: complete after it ($1).
                call("eval", input: 500_000, fields: [.agent: "nightly-eval-agent", .team: "eval-team"]),
                // Matches rule 2 (model + team) but stays incomplete: unknown, no_envelope ($2).
                call("growth", input: 1_000_000, fields: [.team: "growth"]),
                // Matches nothing ($0.25).
                call("other", output: 31_250, fields: [.agent: "someone"]),
            ],
            rules: rules
        )
        #expect(classes(report) == ["0.000000000", "0.000000000", "1.000000000", "0.000000000", "2.250000000"])
    }

    @Test("rules match against values resolved through lineage")
    func rulesAfterResolution() throws {
        let rules = AuditRules(rules: [
            .init(match: [.field(.team): "search"], set: [.taskType: "batch"])
        ])
        let report = try audit(
            [
                unit(40, fields: [.userID: "u", .feature: "f", .team: "search", .project: "p"]),
                call("x", leaf: 41, parent: 40, root: 40, input: 500_000),
            ],
            rules: rules
        )
        #expect(classes(report) == ["0.000000000", "0.000000000", "1.000000000", "0.000000000", "0.000000000"])
    }

    @Test("a lineage cycle stops the walk, counts, and leaves the spend unknown as broken lineage")
    func lineageCycle() throws {
        let report = try audit([
            unit(50, parent: 51, root: 99, fields: [.userID: "u"]),
            unit(51, parent: 50, root: 99, fields: [.feature: "f"]),
            call("x", leaf: 50, parent: 51, root: 99, input: 500_000),
        ])
        #expect(classes(report) == ["0.000000000", "0.000000000", "0.000000000", "0.000000000", "1.000000000"])
        #expect(report[.brokenLineage].formatted() == "1.000000000")
        #expect(report.lineageCycles == 2)
    }

    @Test("a walk that comes back to a unit it visited is a cycle, also after a jump to the root")
    func cycleThroughRoot() throws {
        // Unit 60 names parent 69, not in the ledger, and root 61; unit 61 names 60 as its parent. Neither has
        // task_type, so no walk completes. 60's walk: 69 is missing → root 61 (team, project) → its parent 60,
        // already visited: a cycle. 61's walk: parent 60 (user_id, feature) → 69 is missing → the root it falls
        // back to, 61, is where it started: a repeated leaf id, a cycle too (docs/audit.md). Were the visited
        // check gone, 60's walk would step to 60 again and end broken there (its one root jump used), and 61's
        // likewise after 61 → 60 → 61 → 60: no cycle at all.
        let report = try audit([
            unit(60, parent: 69, root: 61, fields: [.userID: "u", .feature: "f"]),
            unit(61, parent: 60, root: 61, fields: [.team: "t", .project: "p"]),
            call("x", leaf: 60, parent: 69, root: 61, input: 500_000),  // $1
            call("y", leaf: 61, parent: 60, root: 61, input: 1_000_000),  // $2
        ])
        #expect(report.lineageCycles == 2)
        #expect(report[.brokenLineage].formatted() == "3.000000000")
        #expect(classes(report) == ["0.000000000", "0.000000000", "0.000000000", "0.000000000", "3.000000000"])
    }

    @Test("a walk stops after 64 hops: 64 ancestors resolve, the 65th does not")
    func hopLimit() throws {
        // Chain: unit 1 (complete root) ← 2 ← … ← 66. Unit k is k−1 hops from the root.
        var records: [CostRecord] = [unit(1, fields: fullAttribution)]
        for k in UInt64(2)...66 { records.append(unit(k, parent: k - 1, root: 1)) }
        records.append(call("at-64", leaf: 65, parent: 64, root: 1, input: 500_000))  // 64 hops: inherited $1
        records.append(call("at-65", leaf: 66, parent: 65, root: 1, input: 1_000_000))  // 65 hops: stopped $2
        let report = try audit(records)
        #expect(classes(report) == ["0.000000000", "1.000000000", "0.000000000", "0.000000000", "2.000000000"])
        #expect(report[.brokenLineage].formatted() == "2.000000000")
        #expect(report.lineageCycles == 1)
    }

    @Test("duplicates: the first by ts counts; a copy with different bytes is a record id conflict")
    func duplicatesAndConflicts() throws {
        let first = call("dup", ts: "2026-11-20T10:00:00.000Z", input: 500_000, fields: fullAttribution)
        let laterDifferent = call("dup", ts: "2026-11-20T10:00:01.000Z", input: 5_000_000, fields: fullAttribution)
        let report = try audit([laterDifferent, first, first])
        #expect(report.records == 1)
        #expect(report.duplicates == 2)
        #expect(report.recordIDConflicts == 1)
        #expect(classes(report) == ["1.000000000", "0.000000000", "0.000000000", "0.000000000", "0.000000000"])
    }

    @Test("a parent whose only row is a dropped copy is not in the ledger: the child's link is broken")
    func parentOnlyOnDroppedCopy() throws {
        // Record "p" twice with different bytes: the earlier copy (leaf 7) counts, the later one (leaf 5) is
        // dropped, so unit 5 has no rows. Child 6 names 5 as its parent and has no root to fall back on.
        let kept = call("p", leaf: 7, root: 7, ts: "2026-11-20T10:00:00.000Z", input: 500_000, fields: fullAttribution)
        let dropped = call(
            "p",
            leaf: 5,
            root: 5,
            ts: "2026-11-20T10:00:01.000Z",
            input: 500_000,
            fields: fullAttribution
        )
        let child = call("c", leaf: 6, parent: 5, input: 1_000_000)
        let report = try audit([dropped, child, kept])
        #expect(report.recordIDConflicts == 1)
        #expect(classes(report) == ["1.000000000", "0.000000000", "0.000000000", "0.000000000", "2.000000000"])
        #expect(report[.brokenLineage].formatted() == "2.000000000")
        // With the parent's row kept instead (the same record, earlier), the child inherits from it.
        let earlier = call(
            "p",
            leaf: 5,
            root: 5,
            ts: "2026-11-20T09:00:00.000Z",
            input: 500_000,
            fields: fullAttribution
        )
        let inherited = try audit([earlier, child, kept])
        #expect(classes(inherited) == ["1.000000000", "2.000000000", "0.000000000", "0.000000000", "0.000000000"])
    }

    @Test("same ts: the copy in the bytewise-first file wins, then the lower line")
    func duplicateOrderByFile() throws {
        let a = call("dup", input: 500_000, fields: fullAttribution)  // $1
        let b = call("dup", input: 1_000_000, fields: fullAttribution)  // $2
        let c = call("dup", input: 1_500_000, fields: fullAttribution)  // $3
        // Each run: which copy counts, seen in the direct dollars (every other copy differs in bytes: a conflict).
        func kept(_ files: [(name: String, records: [CostRecord])]) throws -> (direct: String, conflicts: Int) {
            let report = try Auditor.run(AuditConfiguration(ledger: .recordFiles(files), prices: TestPrices()))
            expectInvariant(report)
            return (report[.direct].formatted(), report.recordIDConflicts)
        }
        // Listed first, but "ledger/b.jsonl" sorts after "ledger/a.jsonl": a.jsonl's copy ($2) counts.
        #expect(try kept([("ledger/b.jsonl", [a]), ("ledger/a.jsonl", [b])]) == ("2.000000000", 1))
        // One file, equal ts: the lower line counts, whichever copy it holds.
        #expect(try kept([("ledger/a.jsonl", [b, a, c])]) == ("2.000000000", 2))
        #expect(try kept([("ledger/a.jsonl", [c, a, b])]) == ("3.000000000", 2))
        // The file decides before the line: line 2 of a.jsonl ($3) beats line 1 of b.jsonl ($1), beside
        // another record ($0.50) on a.jsonl's line 1.
        let other = call("other", input: 250_000, fields: fullAttribution)
        #expect(try kept([("ledger/b.jsonl", [a]), ("ledger/a.jsonl", [other, c])]) == ("3.500000000", 1))
    }

    @Test("costs of $9.22 and more and token counts above 2³² stay exact")
    func wideAmounts() throws {
        let report = try audit([
            // 2 × 10⁹ input tokens at $2/M: $4,000, beyond what 64-bit attodollars hold.
            call("big", leaf: 1, root: 1, input: 2_000_000_000, fields: fullAttribution),
            // 6 × 10⁹ cached tokens of a model without a cached price: charged at input, counted above 2³².
            call("cached", model: "codex-1", input: 6_000_000_000, cached: 6_000_000_000, fields: fullAttribution),
            // Unpriced, with 5 × 10⁹ + 1 tokens.
            call("unpriced", model: "mystery-1", input: 5_000_000_000, output: 1, fields: fullAttribution),
            // A stored cost of $12.5 for a model the table lacks.
            call("stored", model: "mystery-2", input: 10, costUSD: "12.5", fields: fullAttribution),
        ])
        #expect(report[.direct].formatted() == "19012.500000000")
        #expect(report.unpricedTokens == 5_000_000_001)
        #expect(report.cachedTokensAtInputPrice == 6_000_000_000)
        #expect(report.unpricedRecords == 1)
    }

    @Test("an unpriced model is counted with its tokens; a stored cost_usd prices a model the table lacks")
    func unpriced() throws {
        let report = try audit([
            call("m1", model: "mystery-1", input: 1000, output: 234, fields: fullAttribution),
            call("m2", model: "mystery-2", input: 10, output: 5, costUSD: "0.125", fields: fullAttribution),
            call("p", model: "gpt-4.1-2025-04-14", input: 500_000, fields: fullAttribution),
        ])
        #expect(report.unpricedRecords == 1)
        #expect(report.unpricedTokens == 1234)
        #expect(report.pricedFromRecord == 1)
        #expect(classes(report) == ["1.125000000", "0.000000000", "0.000000000", "0.000000000", "0.000000000"])
    }

    @Test("cached tokens with no cached price are charged at the input price and counted")
    func cachedAtInputPrice() throws {
        let report = try audit([
            call("c", model: "codex-1", input: 400_000, cached: 100_000, fields: fullAttribution)  // 400k × $2.50/M
        ])
        #expect(report[.direct].formatted() == "1.000000000")
        #expect(report.cachedTokensAtInputPrice == 100_000)
    }

    @Test("since is inclusive and until exclusive; out-of-window records still lend their attribution")
    func window() throws {
        let report = try audit(
            [
                unit(60, ts: "2026-11-18T09:00:00.000Z", fields: fullAttribution),
                call(
                    "before",
                    leaf: 60,
                    root: 60,
                    ts: "2026-11-19T23:59:59.999Z",
                    input: 500_000,
                    fields: fullAttribution
                ),
                call("at-since", leaf: 61, parent: 60, root: 60, ts: "2026-11-20T00:00:00.000Z", input: 500_000),
                call("last", leaf: 61, parent: 60, root: 60, ts: "2026-11-20T23:59:59.999Z", input: 250_000),
                call("at-until", leaf: 61, parent: 60, root: 60, ts: "2026-11-21T00:00:00.000Z", input: 500_000),
            ],
            since: "2026-11-20T00:00:00Z",
            until: "2026-11-21T00:00:00Z"
        )
        #expect(classes(report) == ["0.000000000", "1.500000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.records == 2)
    }

    @Test("started_at, when present, decides the window")
    func startedAtDecides() throws {
        let report = try audit(
            [
                call(
                    "x",
                    ts: "2026-11-21T00:00:05.000Z",
                    startedAt: "2026-11-20T23:59:58.000Z",
                    input: 500_000,
                    fields: fullAttribution
                )
            ],
            until: "2026-11-21T00:00:00Z"
        )
        #expect(report[.direct].formatted() == "1.000000000")
    }
}

@Suite("The worked example of docs/audit.md")
struct WorkedExampleTests {
    @Test("five records: direct $1, inherited $3 with one retry conflict, unknown $0.50")
    func workedExample() throws {
        var operatorFields = fullAttribution
        operatorFields[.userID] = "operator_7"
        let report = try audit([
            unit(1, fields: fullAttribution),
            call("a", leaf: 2, parent: 1, root: 1, attempt: 1, input: 500_000, fields: fullAttribution),
            call("b", leaf: 2, parent: 1, root: 1, attempt: 2, input: 500_000, fields: operatorFields),
            call("c", leaf: 3, parent: 1, root: 1, input: 1_000_000, fields: [.agent: "crawler"]),
            call("d", input: 250_000, fields: [.userID: "u_42"]),
        ])
        #expect(classes(report) == ["1.000000000", "3.000000000", "0.000000000", "0.000000000", "0.500000000"])
        #expect(report.share(of: .direct).percent == "22.2222%")
        #expect(report.share(of: .inherited).percent == "66.6667%")
        #expect(report.unknownShareBefore.percent == "77.7778%")
        #expect(report.unknownShareAfter.percent == "11.1111%")
        #expect(report.retryIdentityConflicts == 1)
        #expect(report.retryIdentityConflictUSD.formatted() == "1.000000000")
    }
}

@Suite("Large units")
struct LargeUnitTests {
    @Test("a unit of many records still takes U from its earliest complete record by attempt")
    func manyRecords() throws {
        var other = fullAttribution
        other[.userID] = "scheduler"
        var records: [CostRecord] = []
        for n in 0..<40 {
            records.append(
                call(
                    "r\(n)",
                    leaf: 3,
                    root: 3,
                    attempt: 2,
                    ts: "2026-11-20T10:00:\(n < 10 ? "0" : "")\(n).000Z",
                    input: 500_000,
                    fields: other
                )
            )
        }
        records.append(
            call(
                "first",
                leaf: 3,
                root: 3,
                attempt: 1,
                ts: "2026-11-20T10:59:00.000Z",
                input: 500_000,
                fields: fullAttribution
            )
        )
        let report = try audit(records)
        #expect(classes(report) == ["1.000000000", "40.000000000", "0.000000000", "0.000000000", "0.000000000"])
        #expect(report.retryIdentityConflicts == 40)
    }
}
