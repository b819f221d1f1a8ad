import Testing

@testable import CostAudit

/// The mapping rules' index (docs/audit.md, "Key map and rules"): the first matching rule in file order, found
/// without trying every rule on every record.
@Suite("Rule index")
struct RuleIndexTests {
    /// A small deterministic generator (SplitMix64), so a failure reproduces.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    typealias Rule = ClassifyPhase.CompiledRule

    /// The plain reading of docs/audit.md: rules in file order, the first whose every `match` pair equals the
    /// record's value (a value never seen, -1, or a field not tracked matches nothing).
    static func reference(_ rules: [Rule], _ subject: RuleIndex.Subject) -> Int? {
        for (number, rule) in rules.enumerated() {
            var all = true
            for (slot, value) in rule.match {
                let actual: Int32?
                switch slot {
                case -1: actual = subject.provider
                case -2: actual = subject.model
                case -3: actual = subject.apiKey
                case 0..<10: actual = subject.values[slot]
                default: actual = nil
                }
                if value < 0 || actual != value {
                    all = false
                    break
                }
            }
            if all { return number }
        }
        return nil
    }

    static func subject(
        _ values: [Int32],
        provider: Int32 = 1,
        model: Int32 = 1,
        apiKey: Int32 = 0
    )
        -> RuleIndex.Subject
    {
        var inline = InlineArray<10, Int32>(repeating: 0)
        for (slot, value) in values.enumerated() { inline[slot] = value }
        return RuleIndex.Subject(values: inline, provider: provider, model: model, apiKey: apiKey)
    }

    @Test("20,000 exact-match rules: a record is compared with a handful of rules, not with all of them")
    func manyExactRulesAreNotEachTried() {
        // 20,000 rules `{"match": {"agent": "agent-N"}}` (slot 0, value N), the last a catch-all; 1,000
        // records spread over the agents. Tried in turn, a record is compared with N rules, 10,000 on average.
        var rules: [Rule] = (1...20_000).map { Rule(match: [(0, Int32($0))], set: [(1, 7)]) }
        rules.append(Rule(match: [], set: [(1, 8)]))
        let index = RuleIndex(rules)
        var matcher = RuleMatcher(index)
        var generator = Generator(state: 17)
        var probes = 0
        for _ in 0..<1_000 {
            let agent = Int32(1 + generator.below(25_000))
            let found = matcher.firstMatch(Self.subject([agent]), probes: &probes)
            #expect(found == (agent <= 20_000 ? Int(agent) - 1 : 20_000))
        }
        // Two groups of rules (by agent; the catch-all): at most a few comparisons a record.
        #expect(probes <= 1_000 * 4, "\(probes) rule comparisons for 1,000 records")
    }

    @Test(
        "Over generated rules and records, overlapping exact and catch-all ones, the index finds the reference's rule"
    )
    func indexAgreesWithFirstMatchInFileOrder() {
        var generator = Generator(state: 2026)
        // Slots: provider, model, api key, four tracked fields, and one not tracked (-99).
        let slots = [-1, -2, -3, 0, 1, 2, 3, -99]
        var compared = 0
        var matched = 0
        for _ in 0..<300 {
            var rules: [Rule] = []
            for _ in 0..<generator.below(30) {
                var match: [(Int, Int32)] = []
                var used: Set<Int> = []
                // Mostly one or two fields, now and then none (a catch-all) or several.
                let fieldCount = generator.below(40) == 0 ? 0 : [1, 1, 1, 2, 2, 2, 3, 5][generator.below(8)]
                for _ in 0..<fieldCount {
                    let slot = generator.below(50) == 0 ? -99 : slots[generator.below(slots.count - 1)]
                    guard used.insert(slot).inserted else { continue }
                    // Values 1...3, sometimes one never seen in the ledger (-1).
                    let value: Int32 = generator.below(20) == 0 ? -1 : Int32(1 + generator.below(3))
                    match.append((slot, value))
                }
                rules.append(Rule(match: match, set: [(4, Int32(1 + generator.below(3)))]))
            }
            let index = RuleIndex(rules)
            var matcher = RuleMatcher(index, capacity: 8)
            for _ in 0..<60 {
                // 0 is a missing value: it matches no rule's value.
                let values = (0..<4).map { _ in Int32(generator.below(4)) }
                let subject = Self.subject(
                    values,
                    provider: Int32(1 + generator.below(2)),
                    model: Int32(1 + generator.below(3)),
                    apiKey: Int32(generator.below(3))
                )
                let expected = Self.reference(rules, subject)
                var probes = 0
                #expect(index.firstMatch(subject, probes: &probes) == expected, "rules \(rules.map(\.match))")
                // Asked twice, through the cache: the same answer.
                #expect(matcher.firstMatch(subject, probes: &probes) == expected)
                #expect(matcher.firstMatch(subject, probes: &probes) == expected)
                compared += 1
                if expected != nil { matched += 1 }
            }
        }
        // The generator exercises both outcomes.
        #expect(matched > compared / 10 && matched < compared * 9 / 10, "\(matched) of \(compared) matched")
    }
}
