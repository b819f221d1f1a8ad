import Attribution
import CostLedger
import Testing

@testable import CostAudit

/// Each phase of the audit called on its own, with small plain inputs.
@Suite("Audit phases")
struct AuditPhaseTests {
    /// The ledger of `records` as the ingest phase reads it, with the default required fields.
    static func ingest(
        _ source: AuditLedgerSource,
        rules: AuditRules = .empty,
        keyMap: AuditKeyMap = .empty
    ) throws -> (IngestPhase.Output, AuditConfiguration) {
        let configuration = AuditConfiguration(ledger: source, keyMap: keyMap, rules: rules, prices: TestPrices())
        let fields = IngestPhase.trackedFields(required: configuration.required, rules: rules)
        let output = try IngestPhase.run(IngestPhase.Input(configuration: configuration, fields: fields))
        return (output, configuration)
    }

    static func dedupe(
        _ ingested: IngestPhase.Output,
        _ configuration: AuditConfiguration,
        workers: Int = 2
    )
        -> DedupePhase.Output
    {
        DedupePhase.run(
            DedupePhase.Input(
                store: ingested.ledger.store,
                fileNames: ingested.ledger.fileNames,
                ledger: configuration.ledger,
                readPaths: ingested.readPaths,
                workers: workers
            )
        )
    }

    static func units(
        _ ingested: IngestPhase.Output,
        _ deduped: DedupePhase.Output,
        workers: Int = 2
    )
        -> UnitsPhase.Output
    {
        UnitsPhase.run(
            UnitsPhase.Input(
                store: ingested.ledger.store,
                alive: deduped.alive,
                required: AttributionField.business.count,
                workers: workers
            )
        )
    }

    @Test("ingest keeps the required fields first, then the fields rules and top sources need, each once")
    func ingestTracksFields() throws {
        let rules = AuditRules(rules: [
            AuditRules.Rule(match: [.field(.agent): "eval", .provider: "openai"], set: [.tool: "grader", .team: "x"])
        ])
        let fields = IngestPhase.trackedFields(required: [.userID, .team], rules: rules)
        #expect(fields == [.userID, .team, .agent, .taskType, .tool, .project])

        let (ingested, _) = try Self.ingest(.records([call("a", input: 10), call("b", input: 20)]))
        #expect(ingested.ledger.store.count == 2)
        #expect(ingested.ledger.fileNames == ["memory"])
    }

    @Test("dedupe keeps the earliest copy of a record id, counts every other copy, and counts differing bytes")
    func dedupeKeepsFirst() throws {
        let records = [
            call("x", ts: "2026-11-20T10:00:00.000Z", input: 100),
            call("x", ts: "2026-11-20T10:00:00.000Z", input: 100),  // the same line again: a duplicate
            call("y", ts: "2026-11-20T10:00:00.000Z", input: 100),
            call("y", ts: "2026-11-20T09:00:00.000Z", input: 999),  // earlier, and different: it counts
        ]
        for workers in [1, 2, 3] {
            let (ingested, configuration) = try Self.ingest(.records(records))
            let deduped = Self.dedupe(ingested, configuration, workers: workers)
            #expect(deduped.alive == [true, false, false, true])
            #expect(deduped.duplicates == 2)
            #expect(deduped.recordIDConflicts == 1)
        }
    }

    @Test("dedupe breaks a tie in ts by the file path, bytewise")
    func dedupeTieBreaksByFile() throws {
        let copy = call("z", input: 5)
        let (ingested, configuration) = try Self.ingest(
            .recordFiles([(name: "b.jsonl", records: [copy]), (name: "a.jsonl", records: [copy])])
        )
        let deduped = Self.dedupe(ingested, configuration)
        #expect(deduped.alive == [false, true])
        #expect(deduped.duplicates == 1)
        #expect(deduped.recordIDConflicts == 0)
        #expect(DedupePhase.bytewiseRanks(["b", "a", "B"]) == [2, 1, 0])
    }

    @Test("units group rows by leaf: U is the earliest complete attempt, else partial values, parent and root")
    func unitsGroupByLeaf() throws {
        var retry = fullAttribution
        retry[.userID] = "operator_7"
        let records = [
            call("a2", leaf: 1, attempt: 2, fields: retry),  // row 0
            call("a1", leaf: 1, attempt: 1, fields: fullAttribution),  // row 1: U of leaf 1
            call("b1", leaf: 2, parent: 1, root: 1, ts: "2026-11-20T10:00:00.000Z", fields: [.feature: "f"]),  // 2
            call("b2", leaf: 2, parent: 9, ts: "2026-11-20T11:00:00.000Z", fields: [.team: "t", .feature: "g"]),  // 3
            call("c", fields: fullAttribution),  // row 4: no leaf
            call("d", leaf: 3, parent: 77),  // row 5: parent not in the ledger
        ]
        for workers in [1, 2] {
            let (ingested, configuration) = try Self.ingest(.records(records))
            let store = ingested.ledger.store
            let units = Self.units(ingested, Self.dedupe(ingested, configuration), workers: workers)
            #expect(units.unitCount == 3)
            #expect(units.unitOfRow == [0, 0, 1, 1, -1, 2])
            #expect(units.best[0] == 1)
            #expect(units.best[1] == -1 && units.best[2] == -1)
            #expect(units.incomplete.array == [-1, 0, 1])
            #expect(units.incompleteCount == 2)
            // Unit of leaf 2: feature from its earliest record, team from the later one.
            let fields = AttributionField.business
            let partial = (0..<fields.count).map { store.strings[units.partial[$0]] }
            #expect(partial[fields.firstIndex(of: .feature)!] == "f")
            #expect(partial[fields.firstIndex(of: .team)!] == "t")
            #expect(partial[fields.firstIndex(of: .userID)!] == "")
            #expect(units.parentLeaf[0] == 1 && units.rootLeaf[0] == 1)
            #expect(units.parentUnit[0] == 0 && units.rootUnit[0] == 0)
            #expect(units.parentLeaf[1] == 77 && units.parentUnit[1] == -1 && units.rootUnit[1] == -1)
        }
    }

    /// A lineage graph of seven units, two fields each. Unit 0 has U (values 100, 101); the others have none:
    /// 1 → 0; 2 → a missing parent, its root unit 0; 3 names no parent; 4 → 5 → 4; 6 → a missing parent and
    /// no root.
    static func graph(workers: Int) -> LineagePhase.Input {
        LineagePhase.Input(
            required: 2,
            unitCount: 7,
            incomplete: SharedBuffer<Int32>([-1, 0, 1, 2, 3, 4, 5]),
            partial: SharedBuffer<Int32>([5, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0]),
            parentLeaf: SharedBuffer<UInt64>([0xA, 0xB, 0, 0xE, 0xF, 0xD]),
            rootLeaf: SharedBuffer<UInt64>([0, 0xC, 0, 0, 0, 0]),
            parentUnit: SharedBuffer<Int32>([0, -1, -1, 5, 4, -1]),
            rootUnit: SharedBuffer<Int32>([-1, 0, -1, -1, -1, -1]),
            valueOfUnitWithU: { unit, field in unit == 0 ? Int32(100 + field) : 0 },
            workers: workers
        )
    }

    @Test("lineage inherits missing fields from the parent, takes the root for a missing parent, stops on cycles")
    func lineageInherits() {
        for workers in [1, 2, 4] {
            let lineage = LineagePhase.run(Self.graph(workers: workers))
            #expect(lineage.resolved.array == [5, 101, 100, 101, 0, 7, 0, 0, 0, 0, 0, 0])
            #expect(lineage.ends.array == [.complete, .complete, .reachedRoot, .cycle, .cycle, .brokenLink])
            #expect(lineage.cycles == 2)
        }
    }

    /// The phases up to classification over `records`.
    static func classify(
        _ records: [CostRecord],
        rules: AuditRules = .empty,
        keyMap: AuditKeyMap = .empty
    ) throws -> (ClassifyPhase.Output, RecordStore) {
        let (ingested, configuration) = try Self.ingest(.records(records), rules: rules, keyMap: keyMap)
        var store = ingested.ledger.store
        let deduped = Self.dedupe(ingested, configuration)
        let units = Self.units(ingested, deduped)
        let required = AttributionField.business.count
        let lineage = LineagePhase.run(AuditEngine.lineageInput(units, store: store, required: required, workers: 2))
        let policy = ClassifyPhase.Policy(configuration, fields: store.fields, strings: &store.strings)
        let output = ClassifyPhase.run(
            ClassifyPhase.Input(
                store: store,
                alive: deduped.alive,
                unitOfRow: units.unitOfRow,
                best: units.best,
                incomplete: units.incomplete,
                resolved: lineage.resolved,
                ends: lineage.ends,
                required: required,
                policy: policy,
                emitting: true,
                workers: 2
            )
        )
        return (output, store)
    }

    @Test("classify buckets every record: direct, inherited, rule, key_allocated, or unknown with its reason")
    func classifyBuckets() throws {
        let rules = AuditRules(rules: [
            AuditRules.Rule(
                match: [.field(.feature): "triage"],
                set: [.userID: "u_rule", .team: "ops", .project: "desk", .taskType: "route"]
            )
        ])
        let keyMap = AuditKeyMap(owners: ["key_a": AuditKeyMap.Owner(team: "platform", project: "api")])
        let records = [
            call("direct", input: 1_000_000, fields: fullAttribution),  // $2.00
            unit(5, fields: fullAttribution),
            call("child", leaf: 5, input: 500_000),  // $1.00 inherited
            call("ruled", input: 250_000, fields: [.feature: "triage"]),  // $0.50 rule
            call(
                "keyed",
                key: "key_a",
                input: 125_000,
                fields: [.userID: "u_1", .feature: "f", .taskType: "t"]
            ),  // $0.25 key_allocated
            call("loose", input: 50_000, fields: [.userID: "u_2"]),  // $0.10 unknown, no envelope
            call("orphan", leaf: 7, parent: 99, input: 25_000),  // $0.05 unknown, broken lineage
            call("bare", leaf: 8, input: 5_000),  // $0.01 unknown, missing fields
        ]
        let (output, store) = try Self.classify(records, rules: rules, keyMap: keyMap)
        let classes = (0..<records.count).map { AttributionClass.all[Int(output.outcomes[$0].classIndex)] }
        #expect(classes == [.direct, .direct, .inherited, .rule, .keyAllocated, .unknown, .unknown, .unknown])
        let reasons = (5..<8).map { UnknownReason.all[Int(output.outcomes[$0].reasonIndex)] }
        #expect(reasons == [.noEnvelope, .brokenLineage, .missingFields])
        let dollars = (0..<5).map { Money(attodollars: output.totals.classDollars[$0]).formatted() }
        #expect(dollars == ["2.000000000", "1.000000000", "0.500000000", "0.250000000", "0.160000000"])
        let byReason = (0..<4).map { Money(attodollars: output.totals.reasonDollars[$0]).formatted() }
        #expect(byReason == ["0.100000000", "0.050000000", "0.010000000", "0.000000000"])
        #expect(output.totals.records == records.count)

        // What the attributed output writes: the key map fills only team and project.
        let fields = AttributionField.business
        let required = fields.count
        let keyed = (0..<required).map { store.strings[output.emitted[4 * required + $0]] }
        #expect(keyed[fields.firstIndex(of: .team)!] == "platform")
        #expect(keyed[fields.firstIndex(of: .project)!] == "api")
        let ruled = (0..<required).map { store.strings[output.emitted[3 * required + $0]] }
        #expect(ruled[fields.firstIndex(of: .userID)!] == "u_rule")
    }

    @Test("classify gives a retry that re-stamps the user its unit's U and counts an identity conflict")
    func classifyRetryConflictAndWindow() throws {
        var retry = fullAttribution
        retry[.userID] = "operator_7"
        let records = [
            call("a", leaf: 2, attempt: 1, input: 500_000, fields: fullAttribution),
            call("b", leaf: 2, attempt: 2, ts: "2026-11-21T10:00:00.000Z", input: 500_000, fields: retry),
        ]
        let (output, _) = try Self.classify(records)
        #expect(output.outcomes[0].classIndex == 0)
        #expect(output.outcomes[1].classIndex == 1)
        #expect(output.totals.retryConflicts == 1)
        #expect(Money(attodollars: output.totals.retryConflictDollars).formatted() == "1.000000000")
        #expect(output.inWindow.array == [true, true])
    }

    @Test("reconcile allocates each cell's gap by key to the exact cent: mapped keys, unknown, keyless last")
    func reconcileAllocatesByKey() {
        var strings = Interner()
        let provider = strings.id("openai")
        let model = strings.id("gpt-4.1")
        let keyA = strings.id("key_a")
        let keyB = strings.id("key_b")
        let keyC = strings.id("key_c")
        func cell(_ key: Int32) -> ReconcileCell {
            ReconcileCell(day: 20_000, provider: provider, model: model, key: key)
        }
        func cents(_ n: Int128) -> Int128 { n * 10_000_000_000_000_000 }
        let usage = [cell(keyA): cents(300), cell(keyB): cents(200), cell(keyC): cents(10), cell(0): cents(50)]
        let recorded = [cell(keyA): cents(125), cell(keyB): cents(250)]
        var (overRecorded, remaining) = ReconcilePhase.gaps(usage: usage, recorded: recorded)
        #expect(overRecorded == cents(50))  // key_b's ledger is above its bill
        #expect(remaining == [cell(keyA): cents(175), cell(keyC): cents(10), cell(0): cents(50)])

        // $1.00 of keyless records: the keyless cell first ($0.50), then key_a ($0.50 of its $1.75).
        overRecorded &+= ReconcilePhase.netKeyless([cell(0): cents(100)], against: &remaining, strings: strings)
        #expect(overRecorded == cents(50))
        #expect(remaining == [cell(keyA): cents(125), cell(keyC): cents(10), cell(0): 0])

        let keyMap = AuditKeyMap(owners: ["key_a": AuditKeyMap.Owner(team: "platform", project: "api")])
        let unrecorded = ReconcilePhase.unrecordedSpend(remaining, keyMap: keyMap, strings: strings)
        #expect(unrecorded.keyAllocated == cents(125))
        #expect(unrecorded.unknown == cents(10))
        #expect(unrecorded.byKey.entries.map(\.key) == [keyC])
        #expect(unrecorded.byModel.entries.map(\.value) == [cents(10)])

        // More keyless spend than gaps: the excess is over-recorded.
        var small = [cell(keyA): cents(20)]
        #expect(ReconcilePhase.netKeyless([cell(0): cents(30)], against: &small, strings: strings) == cents(10))
        #expect(small == [cell(keyA): 0])
    }

    @Test("reconcile prices usage rows per cell and nets the ledger's records on covered days")
    func reconcileRun() throws {
        let records = [
            call("k", key: "key_a", input: 1_000_000, fields: fullAttribution),  // $2.00 on key_a
            call("n", input: 250_000, fields: fullAttribution),  // $0.50, no key
            call("late", ts: "2026-11-22T10:00:00.000Z", input: 1_000_000),  // a day the usage does not cover
        ]
        let (output, store) = try Self.classify(records)
        var exports = UsageExports()
        let start = timestamp("2026-11-20T00:00:00.000Z").nanosecondsSinceEpoch
        exports.usageRows = [
            UsageRow(
                provider: "openai",
                start: start,
                model: "gpt-4.1",
                apiKey: "key_a",
                serviceTier: nil,
                usage: TokenUsage(input: 1_500_000, output: 0)
            ),  // $3.00 billed on key_a
            UsageRow(
                provider: "openai",
                start: start,
                model: "gpt-9",
                apiKey: nil,
                serviceTier: nil,
                usage: TokenUsage(input: 70, output: 30)
            ),
        ]
        let reconciled = ReconcilePhase.run(
            ReconcilePhase.Input(
                exports: exports,
                store: store,
                inWindow: output.inWindow,
                keyMap: .empty,
                pricing: TestPrices(),
                since: Int64.min,
                until: Int64.max,
                workers: 2
            )
        )
        #expect(reconciled.sawUsage)
        #expect(Money(attodollars: reconciled.pricedUsage).formatted() == "3.000000000")
        #expect(reconciled.unpricedUsageTokens == 100)
        // key_a: $3.00 billed, $2.00 recorded; the keyless $0.50 nets against the gap: $0.50 unrecorded.
        #expect(Money(attodollars: reconciled.unrecorded.unknown).formatted() == "0.500000000")
        #expect(reconciled.overRecorded == 0)
        #expect(Money(attodollars: reconciled.notReconciled).formatted() == "2.000000000")
        #expect(reconciled.strings.existingID("gpt-9") != nil)
        #expect(reconciled.billed == nil)
    }

    @Test("report adds unrecorded spend to its class and ranks top sources by dollars, then bytewise")
    func reportAddsUnrecorded() throws {
        let (ingested, _) = try Self.ingest(.records([]))
        var strings = ingested.ledger.store.strings
        let keyB = strings.id("key_b")
        let keyA = strings.id("key_a")
        let model = strings.id("gpt-4.1")
        var totals = ClassTotals(required: 2)
        totals.classDollars[0] = 7
        totals.classDollars[4] = 3
        totals.reasonDollars[0] = 3
        totals.topSources[2].add(keyB, 3)
        var unrecorded = ReconcilePhase.UnrecordedSpend(keyAllocated: 5, unknown: 3)
        unrecorded.byModel.add(model, 3)
        unrecorded.byKey.add(keyA, 3)
        let reconciled = ReconcilePhase.Output(
            sawUsage: true,
            pricedUsage: 18,
            unpricedUsageTokens: 0,
            notReconciled: 0,
            capture: CaptureFigures(),
            overRecorded: 0,
            unrecorded: unrecorded,
            billed: nil,
            pricingDifference: nil,
            strings: strings
        )
        let report = ReportPhase.run(
            ReportPhase.Input(
                totals: totals,
                reconciled: reconciled,
                duplicates: 4,
                recordIDConflicts: 1,
                lineageCycles: 2,
                store: ingested.ledger.store,
                skippedLineDetails: [],
                duplicateUsageRows: 0,
                required: [.userID, .team],
                pricing: TestPrices(),
                since: nil,
                until: nil
            )
        )
        #expect(report[.direct].attodollars == 7)
        #expect(report[.keyAllocated].attodollars == 5)
        #expect(report[.unknown].attodollars == 6)
        #expect(report[.unrecorded].attodollars == 3)
        #expect(report.totalUSD.attodollars == 18)
        #expect(report.duplicates == 4 && report.recordIDConflicts == 1 && report.lineageCycles == 2)
        let keys = report.topUnknownSources.filter { $0.dimension == "api_key_id" }.map(\.value)
        #expect(keys == ["key_a", "key_b"])
        #expect(report.topUnknownSources.filter { $0.dimension == "model" }.map(\.value) == ["gpt-4.1"])
    }

    @Test("a shared buffer written by several workers at once holds its value at every index, whatever the split")
    func parallelFill() {
        // Counts that split unevenly (and not at all), over one to more workers than elements.
        for count in [0, 1, 7, 1_000, 65_537] {
            for workers in [1, 2, 3, 8] {
                let buffer = SharedBuffer<Int32>(repeating: -5, count: count, workers: workers)
                #expect(buffer.count == count)
                #expect(buffer.array == [Int32](repeating: -5, count: count))
            }
        }
    }
}
