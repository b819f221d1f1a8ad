/// The mapping rules, indexed so that finding a record's first matching rule does not try every rule
/// (docs/audit.md, "Key map and rules": the first rule, in file order, whose `match` fields all equal the
/// record's values applies).
///
/// Rules are grouped by the set of fields they match (their signature); within a group, a hash table maps the
/// matched values to the rules carrying them, in file order. A record is looked up once per group, groups taken
/// in the order of their first rule, stopping as soon as no later group can hold an earlier match; each candidate
/// is then compared in full (the table is keyed by a hash of the values), so the answer is exactly the first
/// match in file order. The work per record grows with the number of distinct signatures (at most one per subset
/// of the 13 matchable fields, in practice a handful), not with the number of rules.
struct RuleIndex {
    /// The values a rule may match: the tracked fields (after lineage) and the record's provider, model and key.
    struct Subject {
        var values: InlineArray<10, Int32>
        var provider: Int32
        var model: Int32
        var apiKey: Int32

        func value(at slot: Int) -> Int32? {
            switch slot {
            case -1: return provider
            case -2: return model
            case -3: return apiKey
            case 0..<10: return values[slot]
            default: return nil
            }
        }
    }

    /// The rules matching one set of fields.
    private struct Group {
        /// The slots matched, ascending.
        var slots: [Int]
        /// The group's first rule in file order.
        var firstRule: Int
        /// The hash of a rule's matched values (in `slots` order) → the group's rules with that hash, in file order.
        var rules: [Int: [Int32]]
    }

    let rules: [ClassifyPhase.CompiledRule]
    /// The groups, by their first rule.
    private let groups: [Group]

    init(_ rules: [ClassifyPhase.CompiledRule]) {
        self.rules = rules
        var groups: [Group] = []
        var groupOfSlots: [[Int]: Int] = [:]
        for (number, rule) in rules.enumerated() {
            // A value never seen in the ledger (-1) or a field not tracked matches no record: left out.
            if rule.match.contains(where: { $0.1 < 0 || !(-3..<10).contains($0.0) }) { continue }
            let pairs = rule.match.sorted { $0.0 < $1.0 }
            let slots = pairs.map(\.0)
            var hasher = Hasher()
            for (_, value) in pairs { hasher.combine(value) }
            let key = hasher.finalize()
            if let group = groupOfSlots[slots] {
                groups[group].rules[key, default: []].append(Int32(number))
            } else {
                groupOfSlots[slots] = groups.count
                groups.append(Group(slots: slots, firstRule: number, rules: [key: [Int32(number)]]))
            }
        }
        self.groups = groups
    }

    var isEmpty: Bool { rules.isEmpty }

    /// The index in file order of the first rule matching `subject`, nil when none does; `probes` counts the
    /// groups looked up and the rules compared with the subject.
    func firstMatch(_ subject: Subject, probes: inout Int) -> Int? {
        var best = Int.max
        for group in groups {
            if group.firstRule >= best { break }
            probes += 1
            var hasher = Hasher()
            for slot in group.slots { hasher.combine(subject.value(at: slot) ?? 0) }
            guard let candidates = group.rules[hasher.finalize()] else { continue }
            for number in candidates {
                if Int(number) >= best { break }
                probes += 1
                if Self.matches(rules[Int(number)], subject) {
                    best = Int(number)
                    break
                }
            }
        }
        return best == Int.max ? nil : best
    }

    static func matches(_ rule: ClassifyPhase.CompiledRule, _ subject: Subject) -> Bool {
        for (slot, value) in rule.match {
            guard value >= 0, let actual = subject.value(at: slot), actual == value else { return false }
        }
        return true
    }
}

/// One worker's view of the ``RuleIndex``, remembering the answer for each distinct subject it has asked about
/// (records share few distinct attribution tuples), up to `capacity` of them so its memory stays bounded.
struct RuleMatcher {
    let index: RuleIndex
    let capacity: Int
    private var cache: [Key: Int32] = [:]

    /// A subject as a cache key.
    private struct Key: Hashable {
        var subject: RuleIndex.Subject

        static func == (a: Key, b: Key) -> Bool {
            guard a.subject.provider == b.subject.provider, a.subject.model == b.subject.model,
                a.subject.apiKey == b.subject.apiKey
            else { return false }
            for slot in 0..<10 where a.subject.values[slot] != b.subject.values[slot] { return false }
            return true
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(subject.provider)
            hasher.combine(subject.model)
            hasher.combine(subject.apiKey)
            for slot in 0..<10 { hasher.combine(subject.values[slot]) }
        }
    }

    init(_ index: RuleIndex, capacity: Int = 1 << 16) {
        self.index = index
        self.capacity = capacity
    }

    /// ``RuleIndex/firstMatch(_:probes:)``, answered from the cache when this subject was seen before.
    mutating func firstMatch(_ subject: RuleIndex.Subject, probes: inout Int) -> Int? {
        let key = Key(subject: subject)
        if let known = cache[key] { return known < 0 ? nil : Int(known) }
        let found = index.firstMatch(subject, probes: &probes)
        if cache.count < capacity { cache[key] = Int32(found ?? -1) }
        return found
    }
}
