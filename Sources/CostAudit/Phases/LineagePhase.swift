/// Lineage (docs/audit.md, "Units and lineage"): the resolved attribution of every unit without `U`, its
/// partial values with each missing field taken from its parent's resolved attribution, transitively, a root
/// standing in once per walk for a parent not in the ledger; and how each walk ended.
enum LineagePhase {
    /// The units as ``UnitsPhase`` leaves them: the lineage graph of the units without `U`.
    struct Input {
        /// Values per unit: the required fields.
        var required: Int
        var unitCount: Int
        /// Per unit: its number among the units without `U`, or -1 for a unit with `U`.
        var incomplete: SharedBuffer<Int32>
        /// Per unit without `U`, by that number: its partial values, `required` a unit (0 where it has none).
        var partial: SharedBuffer<Int32>
        /// Per unit without `U`, by that number: the parent and root leaf ids it names (0 for none).
        var parentLeaf: SharedBuffer<UInt64>
        var rootLeaf: SharedBuffer<UInt64>
        /// Per unit without `U`, by that number: the units of its parent and root, -1 when not in the ledger.
        var parentUnit: SharedBuffer<Int32>
        var rootUnit: SharedBuffer<Int32>
        /// The value of required field `field` of `unit`, a unit with `U` (that is, of `U`).
        var valueOfUnitWithU: (_ unit: Int, _ field: Int) -> Int32
        var workers: Int
    }

    struct Output {
        /// Per unit without `U`, by its number: its required values after lineage, `required` a unit.
        var resolved: SharedBuffer<Int32>
        /// Per unit without `U`, by its number: how its walk ended.
        var ends: SharedBuffer<LineageEnd>
        /// Units whose walk ended in a cycle (`lineage_cycles`).
        var cycles: Int
    }

    /// Walks every unit without `U`, in parallel over unit ranges.
    static func run(_ input: Input) -> Output {
        let workers = max(1, input.workers)
        let count = input.parentLeaf.count
        let resolved = SharedBuffer<Int32>(repeating: 0, count: count * input.required)
        let ends = SharedBuffer<LineageEnd>(repeating: .complete, count: count)
        let cycles = SharedBuffer<Int>(repeating: 0, count: workers)
        inParallel(workers) { worker in
            var walk = Walk(input: input, resolved: resolved)
            for unit in share(worker, of: workers, count: input.unitCount) where input.incomplete[unit] >= 0 {
                let end = walk.resolve(unit)
                ends[Int(input.incomplete[unit])] = end
                if end == .cycle { cycles[worker] += 1 }
            }
        }
        return Output(resolved: resolved, ends: ends, cycles: cycles.array.reduce(0, +))
    }

    /// One worker's walks, reusing its list of visited units.
    private struct Walk {
        let input: Input
        let resolved: SharedBuffer<Int32>
        private var visited: [Int32] = []

        init(input: Input, resolved: SharedBuffer<Int32>) {
            self.input = input
            self.resolved = resolved
        }

        /// Fills `unit`'s resolved values from its partial ones and its ancestors'; returns how the walk ended.
        mutating func resolve(_ unit: Int) -> LineageEnd {
            let required = input.required
            let base = Int(input.incomplete[unit]) * required
            var missing = 0
            for f in 0..<required {
                resolved[base + f] = input.partial[base + f]
                if input.partial[base + f] == 0 { missing += 1 }
            }
            if missing == 0 { return .complete }
            visited.removeAll(keepingCapacity: true)
            visited.append(Int32(unit))
            var current = unit
            var hops = 0
            var usedRoot = false
            while missing > 0 {
                let step: Int32
                switch next(after: current, from: unit, usedRoot: &usedRoot) {
                case .unit(let found): step = found
                case .end(let end): return end
                }
                if visited.contains(step) || hops == Auditor.maxLineageHops { return .cycle }
                hops += 1
                visited.append(step)
                missing -= take(from: Int(step), into: base)
                current = Int(step)
            }
            return .complete
        }

        private enum Step {
            case unit(Int32)
            case end(LineageEnd)
        }

        /// The unit after `current` on the walk from `start`: its parent, or when the parent is not in the
        /// ledger, once per walk, the trace's root (`current`'s, else `start`'s).
        private func next(after current: Int, from start: Int, usedRoot: inout Bool) -> Step {
            let number = Int(input.incomplete[current])
            let parentLeaf = input.parentLeaf[number]
            if parentLeaf == 0 { return .end(.reachedRoot) }
            let parent = input.parentUnit[number]
            if parent >= 0 { return .unit(parent) }
            let rootFrom = input.rootLeaf[number] != 0 ? number : Int(input.incomplete[start])
            let rootLeaf = input.rootLeaf[rootFrom]
            let root = input.rootUnit[rootFrom]
            // A root the walk has already visited is returned all the same: the walk then stops at a repeated
            // leaf id, a cycle, as when a parent leads back.
            guard !usedRoot, rootLeaf != 0, rootLeaf != parentLeaf, root >= 0 else { return .end(.brokenLink) }
            usedRoot = true
            return .unit(root)
        }

        /// Takes the fields still missing at `base` from `unit`'s own values; returns how many it filled.
        private func take(from unit: Int, into base: Int) -> Int {
            let number = Int(input.incomplete[unit])
            var filled = 0
            for f in 0..<input.required where resolved[base + f] == 0 {
                let value =
                    number >= 0 ? input.partial[number * input.required + f] : input.valueOfUnitWithU(unit, f)
                if value != 0 {
                    resolved[base + f] = value
                    filled += 1
                }
            }
            return filled
        }
    }
}

/// How a unit's lineage walk ended.
enum LineageEnd: UInt8 {
    /// Complete, or the walk reached a root with fields still missing.
    case complete = 0
    case reachedRoot = 1
    /// The walk ended at an id not in the ledger.
    case brokenLink = 2
    /// The walk met a unit twice or ran out of hops.
    case cycle = 3
}
