import Attribution
import CostAudit
public import CostLedger

/// `cost-audit statement`: each team's statement for one calendar month, showback or chargeback, in whole cents
/// that add up to the month's total (docs/reports.md, "statement").
///
/// A team's statement lists its spend by project and feature (spend, calls, tasks, cost per task). The month's
/// unknown spend is the spend with no team: a record of any class that carries a team (its own, inherited, from
/// a rule or from the key map) is that team's, and key-allocated spend is the key's team's. Showback shows each
/// team's attributed spend, and beside it (not added) what its share of the unknown spend would be; the unknown
/// spend is a statement of its own, `(unknown)`. Chargeback adds each team's share to its statement as an
/// `unknown_share` line; what no team can take (every weight zero, or no team with attributed spend) is the
/// statement `(unallocated)`, so no dollar vanishes.
///
/// Money is divided exactly first (attodollars; shares by largest remainder), then rounded to cents: the
/// statements by largest remainder to the month's total (the audit's classes, rounded half-even), then each
/// statement's lines by largest remainder to the statement's total.
///
/// ```swift
/// var configuration = AuditConfiguration(ledger: .files(["ledger"]), prices: PriceTable.builtIn)
/// let month = try StatementMonth(parsing: "2026-11")
/// (configuration.since, configuration.until) = (month.start, month.end)
/// let dataset = SpendDataset(try Auditor.attribute(configuration))
/// let statements = try MonthlyStatements(dataset, month: month, mode: .chargeback, allocation: .even)
/// print(statements.render(.table))
/// ```
public struct MonthlyStatements: Sendable {
    /// The statement of unknown spend that no team can take, in chargeback.
    public static let unallocatedLabel = "(unallocated)"

    /// What a line of a statement is.
    public struct LineKind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case spend
            case unknownShare = "unknown_share"
            case unallocated
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The team's spend on one project and feature.
        public static let spend = LineKind(.spend)
        /// Chargeback: the team's share of the month's unknown spend.
        public static let unknownShare = LineKind(.unknownShare)
        /// Chargeback: unknown spend no team could take (the `(unallocated)` statement's line).
        public static let unallocated = LineKind(.unallocated)

        /// `spend`, `unknown_share` or `unallocated`.
        public var name: String { base.rawValue }
        public var description: String { name }
    }

    /// One line of a statement.
    public struct Line: Sendable, Hashable {
        public var kind: LineKind
        /// The project of a `spend` line (`(unknown)` when the spend has none); nil for other lines.
        public var project: String?
        /// The feature of a `spend` line (`(unknown)` when the spend has none); nil for other lines.
        public var feature: String?
        /// The line's dollars, exact.
        public var exactUSD: Money
        /// The line's dollars in whole cents, as the statement shows them.
        public var usd: Money
        public var calls: Int
        /// Distinct tasks with spend on the line.
        public var tasks: Int
        /// Recorded spend ÷ tasks, rounded half-even to a hundredth of a cent; nil without tasks.
        public var costPerTaskUSD: Money?
    }

    /// One team's statement (or `(unknown)`, `(unallocated)`).
    public struct TeamStatement: Sendable, Hashable {
        public var team: String
        /// `spend` lines, highest spend first, then the `unknown_share` or `unallocated` line.
        public var lines: [Line]
        /// The statement's dollars, exact.
        public var exactUSD: Money
        /// The statement's total in whole cents: the sum of its lines.
        public var usd: Money
        /// The `spend` lines' cents.
        public var attributedUSD: Money
        /// The team's share of the unknown spend, in cents: in chargeback its `unknown_share` line (in
        /// ``usd``); in showback what that share would be, beside the total and not in it.
        public var unknownShareUSD: Money
        public var calls: Int
        public var tasks: Int
        /// The team's recorded spend ÷ its tasks, rounded half-even to a hundredth of a cent; nil without tasks.
        public var costPerTaskUSD: Money?
    }

    public let month: StatementMonth
    public let mode: StatementMode
    public let allocation: StatementAllocation
    /// The fingerprint of the inputs, when given.
    public let inputs: InputDigest?
    /// The month's total in cents: the audit's classes (`classifiedUSD`) rounded
    /// half-even. Every statement of the month adds up to it.
    public let monthTotalUSD: Money
    /// The unknown spend as the statements carry it, in cents: the `(unknown)` statement in showback; the
    /// `unknown_share` lines and the `(unallocated)` statement in chargeback.
    public let unknownUSD: Money
    /// The part of the unknown spend that no team can take, in cents (showback: what would stay unallocated).
    public let unallocatedUSD: Money
    /// The cost exports' sum for the month, rounded half-even to cents; nil without a cost export.
    public let billedUSD: Money?
    /// Billed minus priced usage (over the providers with a cost export), rounded half-even to cents: its own
    /// line, in no statement and not in the month's total; nil without a cost export.
    public let pricingDifferenceUSD: Money?
    /// The price table the audit used.
    public let priceSource: String
    /// The statements: teams (highest total first), then `(unknown)` (showback) or `(unallocated)`
    /// (chargeback, when there is such spend).
    public private(set) var statements: [TeamStatement]
    /// The team ``selecting(team:)`` kept, nil for every team.
    public private(set) var selectedTeam: String?

    static let unitsPerCent: Int128 = 10_000_000_000_000_000

    /// Builds every team's statement from a dataset audited over exactly `month`.
    ///
    /// - Parameters:
    ///   - dataset: the audit of the month: `since` at the month's start, `until` at the next month's.
    ///   - month: the calendar month.
    ///   - mode: showback (the default) or chargeback.
    ///   - allocation: how unknown spend is divided (default: in proportion to attributed spend).
    ///   - inputs: the inputs' fingerprint, printed as `inputs_sha256`.
    /// - Throws: ``ReportError`` with field `month` when the dataset's audit window is not the month.
    public init(
        _ dataset: SpendDataset,
        month: StatementMonth,
        mode: StatementMode = .showback,
        allocation: StatementAllocation = .proportional,
        inputs: InputDigest? = nil
    ) throws(ReportError) {
        let report = dataset.report
        guard report.since == month.start, report.until == month.end else {
            throw ReportError(
                field: "month",
                value: month.label,
                reason: "is not the dataset's window: audit with since \(month.start) and until \(month.end)"
            )
        }
        self.month = month
        self.mode = mode
        self.allocation = allocation
        self.inputs = inputs
        priceSource = report.priceSource
        monthTotalUSD = Self.cents(Money.roundHalfEven(report.classifiedUSD.attodollars, toDecimals: 2))
        billedUSD = report.billedUSD.map { Self.cents(Money.roundHalfEven($0.attodollars, toDecimals: 2)) }
        pricingDifferenceUSD = report.pricingDifferenceUSD.map {
            Self.cents(Money.roundHalfEven($0.attodollars, toDecimals: 2))
        }

        // Sum each team's rows by project and feature; rows with no team are the unknown spend.
        var teams: [Int32: TeamSums] = [:]
        for row in 0..<dataset.count {
            let team = dataset.fieldID(.team, at: row) ?? 0
            let line = LineKey(
                project: dataset.fieldID(.project, at: row) ?? 0,
                feature: dataset.fieldID(.feature, at: row) ?? 0
            )
            teams[team, default: TeamSums()].add(dataset, row: row, line: line)
        }
        let unknown = teams.removeValue(forKey: 0) ?? TeamSums()
        var named: [String: TeamSums] = [:]
        for (id, sums) in teams { named[dataset.string(id)] = sums }
        if case .weights(let weights) = allocation.base {
            for team in weights.units.keys where named[team] == nil { named[team] = TeamSums() }
        }
        let names = named.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }

        // Divide the unknown spend exactly.
        let weights: [UInt128] = names.map { name in
            let attributed = named[name]?.total.usd ?? 0
            switch allocation.base {
            case .proportional: return attributed > 0 ? UInt128(attributed) : 0
            case .even: return attributed > 0 ? 1 : 0
            case .weights(let file): return UInt128(max(0, file.units[name] ?? 0))
            }
        }
        let shares = Self.allocate(unknown.total.usd, names: names, weights: weights)
        let unallocated = shares == nil ? unknown.total.usd : 0

        // Exact statements.
        var drafts: [Draft] = []
        for (index, name) in names.enumerated() {
            let sums = named[name] ?? TeamSums()
            var draft = Draft(team: name, sums: sums, lines: Self.spendLines(sums, dataset: dataset))
            draft.share = shares?[index] ?? 0
            if mode == .chargeback {
                draft.lines.append(DraftLine(kind: .unknownShare, name: "\u{7F}share", usd: draft.share))
            }
            drafts.append(draft)
        }
        drafts.sort { a, b in
            if a.exact != b.exact { return a.exact > b.exact }
            return a.team.utf8.lexicographicallyPrecedes(b.team.utf8)
        }
        if mode == .showback {
            drafts.append(
                Draft(
                    team: ReportDimension.unknownLabel,
                    sums: unknown,
                    lines: Self.spendLines(unknown, dataset: dataset),
                    isUnknown: true
                )
            )
        } else if unallocated != 0 {
            var draft = Draft(team: Self.unallocatedLabel, sums: TeamSums(), lines: [], isUnknown: true)
            draft.lines = [DraftLine(kind: .unallocated, name: "\u{7F}unallocated", usd: unallocated)]
            drafts.append(draft)
        }

        // Round: the statements to the month's total, then each statement's lines to its own total.
        let statementCents = LargestRemainder.round(
            drafts.map { ($0.team, Money(attodollars: $0.exact)) },
            decimals: 2
        )
        var statements: [TeamStatement] = []
        for (draft, cents) in zip(drafts, statementCents) {
            let lineCents = Self.apportion(draft.lines.map { ($0.name, $0.usd) }, target: cents)
            var lines: [Line] = []
            var attributed: Int128 = 0
            var share: Int128 = 0
            for (line, lineCent) in zip(draft.lines, lineCents) {
                if line.kind == .spend { attributed += lineCent } else { share += lineCent }
                lines.append(
                    Line(
                        kind: line.kind,
                        project: line.project,
                        feature: line.feature,
                        exactUSD: Money(attodollars: line.usd),
                        usd: Self.cents(lineCent),
                        calls: line.calls,
                        tasks: line.tasks,
                        costPerTaskUSD: Self.costPerTask(line.recorded, tasks: line.tasks)
                    )
                )
            }
            statements.append(
                TeamStatement(
                    team: draft.team,
                    lines: lines,
                    exactUSD: Money(attodollars: draft.exact),
                    usd: Self.cents(cents),
                    attributedUSD: Self.cents(attributed),
                    unknownShareUSD: Self.cents(share),
                    calls: draft.sums.total.calls,
                    tasks: draft.sums.total.tasks.count,
                    costPerTaskUSD: Self.costPerTask(draft.sums.total.recorded, tasks: draft.sums.total.tasks.count)
                )
            )
        }

        // Showback: the shares beside each team, rounded to add up to the (unknown) statement's cents.
        if mode == .showback, let unknownIndex = statements.indices.last {
            let rows =
                drafts.filter { !$0.isUnknown }.map { ($0.team, $0.share) } + [(Self.unallocatedLabel, unallocated)]
            let cents = Self.apportion(rows, target: statements[unknownIndex].usd.attodollars / Self.unitsPerCent)
            for index in 0..<unknownIndex { statements[index].unknownShareUSD = Self.cents(cents[index]) }
            unallocatedUSD = Self.cents(cents.last ?? 0)
            unknownUSD = statements[unknownIndex].usd
        } else {
            let carried = statements.reduce(Int128(0)) { sum, statement in
                sum + (statement.team == Self.unallocatedLabel ? statement.usd : statement.unknownShareUSD).attodollars
            }
            unknownUSD = Money(attodollars: carried)
            unallocatedUSD = statements.first { $0.team == Self.unallocatedLabel }?.usd ?? .zero
        }
        self.statements = statements
    }

    /// The same statements with only `team`'s kept (an empty statement when the month has nothing for it). The
    /// month's total and the other figures stay those of the whole month.
    public func selecting(team: String) -> MonthlyStatements {
        var copy = self
        copy.selectedTeam = team
        copy.statements = statements.filter { $0.team == team }
        if copy.statements.isEmpty {
            copy.statements = [
                TeamStatement(
                    team: team,
                    lines: [],
                    exactUSD: .zero,
                    usd: .zero,
                    attributedUSD: .zero,
                    unknownShareUSD: .zero,
                    calls: 0,
                    tasks: 0,
                    costPerTaskUSD: nil
                )
            ]
        }
        return copy
    }

    // MARK: - Exact division and rounding

    /// Divides `amount` in proportion to `weights`, exactly: each share is the floor of amount × weight ÷ total,
    /// and the attodollars left over go one each to the largest remainders (ties to the bytewise-first name).
    /// Nil when every weight is zero.
    static func allocate(_ amount: Int128, names: [String], weights: [UInt128]) -> [Int128]? {
        var total: UInt128 = 0
        for weight in weights {
            let (sum, overflow) = total.addingReportingOverflow(weight)
            guard !overflow else { return nil }
            total = sum
        }
        guard total > 0 else { return nil }
        let magnitude = amount.magnitude
        var shares: [UInt128] = []
        var remainders: [UInt128] = []
        var given: UInt128 = 0
        for weight in weights {
            let (quotient, remainder) = total.dividingFullWidth(magnitude.multipliedFullWidth(by: weight))
            shares.append(quotient)
            remainders.append(remainder)
            given += quotient
        }
        var left = magnitude - given
        let order = weights.indices.sorted { a, b in
            if remainders[a] != remainders[b] { return remainders[a] > remainders[b] }
            return names[a].utf8.lexicographicallyPrecedes(names[b].utf8)
        }
        for index in order where left > 0 && weights[index] > 0 {
            shares[index] += 1
            left -= 1
        }
        return shares.map { amount < 0 ? -Int128($0) : Int128($0) }
    }

    /// Rounds `rows` (attodollars) to whole cents adding up to `target` cents: each row's floor, then a cent
    /// each to the largest remainders (ties to the bytewise-first name), or back from the smallest.
    static func apportion(_ rows: [(name: String, amount: Int128)], target: Int128) -> [Int128] {
        guard !rows.isEmpty else { return [] }
        var floors: [Int128] = []
        var remainders: [Int128] = []
        for row in rows {
            var (q, r) = row.amount.quotientAndRemainder(dividingBy: unitsPerCent)
            if r < 0 {
                q -= 1
                r += unitsPerCent
            }
            floors.append(q)
            remainders.append(r)
        }
        var missing = target - floors.reduce(0, +)
        let order = rows.indices.sorted { a, b in
            if remainders[a] != remainders[b] { return remainders[a] > remainders[b] }
            return rows[a].name.utf8.lexicographicallyPrecedes(rows[b].name.utf8)
        }
        while missing > 0 {
            for index in order where missing > 0 {
                floors[index] += 1
                missing -= 1
            }
        }
        while missing < 0 {
            for index in order.reversed() where missing < 0 {
                floors[index] -= 1
                missing += 1
            }
        }
        return floors
    }

    static func cents(_ cents: Int128) -> Money { Money(attodollars: cents * unitsPerCent) }

    /// `recorded` ÷ `tasks` rounded half-even to 10⁻⁴ USD.
    static func costPerTask(_ recorded: Int128, tasks: Int) -> Money? {
        guard tasks > 0 else { return nil }
        let unit: Int128 = 100_000_000_000_000  // 10⁻⁴ USD in attodollars
        let divisor = Int128(tasks) * unit
        var (q, r) = recorded.quotientAndRemainder(dividingBy: divisor)
        if r < 0 {
            q -= 1
            r += divisor
        }
        if r * 2 > divisor || (r * 2 == divisor && q % 2 != 0) { q += 1 }
        return Money(attodollars: q * unit)
    }

    // MARK: - Sums

    struct LineKey: Hashable {
        var project: Int32
        var feature: Int32
    }

    struct Sums {
        var usd: Int128 = 0
        /// Spend of records (not of unrecorded spend, known per day only): cost per task divides this.
        var recorded: Int128 = 0
        var calls = 0
        var tasks: Set<TaskID> = []

        mutating func add(_ dataset: SpendDataset, row: Int) {
            let amount = dataset.attodollars(row)
            usd &+= amount
            if !dataset.dayOnly(row) { recorded &+= amount }
            calls += Int(dataset.callCount(row))
            let task = dataset.taskID(row)
            if !task.isNone, amount != 0 { tasks.insert(task) }
        }
    }

    struct TeamSums {
        var total = Sums()
        var lines: [LineKey: Sums] = [:]

        mutating func add(_ dataset: SpendDataset, row: Int, line: LineKey) {
            total.add(dataset, row: row)
            lines[line, default: Sums()].add(dataset, row: row)
        }
    }

    struct DraftLine {
        var kind: LineKind
        /// For ties in rounding: unique within a statement.
        var name: String
        var project: String?
        var feature: String?
        var usd: Int128
        var recorded: Int128 = 0
        var calls = 0
        var tasks = 0
    }

    struct Draft {
        var team: String
        var sums: TeamSums
        var lines: [DraftLine]
        var isUnknown = false
        /// Chargeback: in the lines; showback: beside them.
        var share: Int128 = 0

        /// The statement's exact total: the sum of its lines.
        var exact: Int128 { lines.reduce(0) { $0 + $1.usd } }
    }

    /// The spend lines of a team: one per project and feature, highest spend first (ties bytewise).
    static func spendLines(_ sums: TeamSums, dataset: SpendDataset) -> [DraftLine] {
        let unknown = ReportDimension.unknownLabel
        var lines: [DraftLine] = sums.lines.map { key, sums in
            let project = key.project == 0 ? unknown : dataset.string(key.project)
            let feature = key.feature == 0 ? unknown : dataset.string(key.feature)
            return DraftLine(
                kind: .spend,
                name: project + "\u{1F}" + feature,
                project: project,
                feature: feature,
                usd: sums.usd,
                recorded: sums.recorded,
                calls: sums.calls,
                tasks: sums.tasks.count
            )
        }
        lines.sort { a, b in
            if a.usd != b.usd { return a.usd > b.usd }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        return lines
    }
}
