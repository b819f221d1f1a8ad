public import Attribution
import CostAudit
public import CostLedger

/// `cost-audit explain --feature F` as a value: a scope's cost per task in the last 30 days against the 30
/// before, the change, and the top drivers of that change (docs/reports.md, "explain").
///
/// The current window is `[now − 30 days, now)`, the previous one `[now − 60 days, now − 30 days)`. Cost per
/// task is the scope's recorded spend in a window ÷ the distinct tasks with spend in the scope and window (a
/// task whose spend straddles the two windows counts in both, its spend split by record time). Only recorded
/// spend has a task: spend the bill holds and no record carries is reported beside it (``Window/unrecordedUSD``)
/// and left out of cost per task.
///
/// A driver is a (dimension, value) pair over ``driverDimensions``, among the dimensions that take at least two
/// values in the scope's spend over both windows (a missing value counts as a value, `(none)` or `(unknown)`:
/// a dimension that goes from unset to set, such as a tool that appears, is a change worth naming). Drivers are
/// ranked by the absolute change of their spend per task, where a value's spend per task in a window is its
/// spend there ÷ all the scope's tasks in that window; a value new in the current window or gone from it counts
/// fully. Ties go to the dimension first in ``driverDimensions``, then to the value first bytewise.
///
/// ```swift
/// let audit = try Auditor.attribute(configuration)   // over ExplainReport.auditWindow(now: now)
/// let dataset = SpendDataset(audit)
/// let answer = try ExplainReport(dataset, scope: try .init(.feature, "draft_reply"), now: now)
/// print(answer.render(.table))
/// ```
public struct ExplainReport: Sendable {
    /// What is explained: every record whose `dimension` has `value`.
    public struct Scope: Sendable, Hashable, CustomStringConvertible {
        public let dimension: ReportDimension
        /// The value; a dimension's missing label (`(unknown)` for the five required fields) selects the records
        /// with no value for it.
        public let value: String

        /// A scope over one of ``ExplainReport/scopeDimensions``.
        ///
        /// - Throws: ``ReportError`` when the dimension cannot be a scope or the value is empty.
        public init(_ dimension: ReportDimension, _ value: String) throws(ReportError) {
            guard ExplainReport.scopeDimensions.contains(dimension) else {
                throw ReportError(
                    field: "scope",
                    value: dimension.name,
                    reason: "expected one of " + ExplainReport.scopeDimensions.map(\.name).joined(separator: ", ")
                )
            }
            guard !value.isEmpty else { throw ReportError(field: dimension.name, value: value, reason: "is empty") }
            self.dimension = dimension
            self.value = value
        }

        public var description: String { "\(dimension.name) \(value)" }
    }

    /// One of the two windows, with the scope's sums in it.
    public struct Window: Sendable, Hashable {
        /// `current` or `previous`.
        public let name: String
        /// The window's start (inclusive) and end (exclusive): 30 days.
        public let since: UTCTimestamp
        public let until: UTCTimestamp
        /// The part of the window the audit and the data cover; nil when they cover none of it.
        public let coveredSince: UTCTimestamp?
        public let coveredUntil: UTCTimestamp?
        /// Why the window is partial (`the data starts at …`, `the audit starts at …`), nil when it is whole.
        public let partialReason: String?
        /// Distinct tasks with recorded spend in the scope and window.
        public let tasks: Int
        /// The scope's recorded spend in the window.
        public let usd: Money
        /// The scope's spend in the window that no record carries (key-allocated spend of a team or project),
        /// known per day only and without a task: left out of ``usdPerTask``.
        public let unrecordedUSD: Money
        /// ``usd`` ÷ ``tasks``; zero when there are no tasks.
        public let usdPerTask: MoneyQuotient

        /// Whether the audit or the data cover only part of the window.
        public var isPartial: Bool { partialReason != nil }
    }

    /// A (dimension, value) pair and how its spend per task moved.
    public struct Driver: Sendable, Hashable {
        public let dimension: ReportDimension
        /// The value, or the dimension's missing label (`(none)`, `(unknown)`).
        public let value: String
        /// The value's recorded spend in the scope, in each window.
        public let usdCurrent: Money
        public let usdPrevious: Money
        /// The value's spend ÷ all the scope's tasks, in each window.
        public let usdPerTaskCurrent: MoneyQuotient
        public let usdPerTaskPrevious: MoneyQuotient
        /// ``usdPerTaskCurrent`` − ``usdPerTaskPrevious``, signed and exact.
        public let usdPerTaskChange: MoneyQuotient
    }

    /// Current cost per task ÷ previous − 1, exact, and rounded half-even to 6 decimals for display.
    public struct Change: Sendable, Hashable, CustomStringConvertible {
        /// The exact fraction: ``numerator`` ÷ ``denominator`` (positive).
        public let numerator: Int128
        public let denominator: Int128
        /// The fraction in millionths, rounded half-even (`523412` is +52.3412%).
        public let millionths: Int128

        /// A decimal with 6 places (`"0.523412"`, `"-0.100000"`): what JSON and CSV write.
        public var fraction: String { Money.format(unitsOf: millionths, decimals: 6) }
        /// A signed percentage with 4 places (`"+52.3412%"`): what the table and Markdown write.
        public var percent: String {
            (millionths > 0 ? "+" : "") + Money.format(unitsOf: millionths, decimals: 4) + "%"
        }
        public var description: String { percent }
    }

    /// The dimensions a scope can be: `feature`, `team`, `project`, `task_type`, `user_id`.
    public static let scopeDimensions: [ReportDimension] = [.feature, .team, .project, .taskType, .userID]
    /// The dimensions drivers are drawn from, in the order ties are broken.
    public static let driverDimensions: [ReportDimension] = [
        .model, .tool, .promptVersion, .taskType, .agent, .userID, .apiKeyID,
    ]
    /// The length of each window: 30 days.
    public static let windowNanoseconds: Int64 = 30 * 86_400_000_000_000
    /// How late after a window's start the first record may be before the window counts as partial: a day, so
    /// that a quiet night or weekend at the start is not taken for missing data.
    public static let dataStartGraceNanoseconds: Int64 = 86_400_000_000_000

    public let scope: Scope
    public let now: UTCTimestamp
    public let current: Window
    public let previous: Window
    /// Current cost per task − previous, signed and exact.
    public let usdPerTaskChange: MoneyQuotient
    /// Nil when the previous cost per task is zero (no spend or no tasks before).
    public let change: Change?
    /// At most `top`, largest absolute change first; values whose spend per task did not move are left out.
    public let drivers: [Driver]
    /// The driver dimensions that take at least two values in the scope, in ``driverDimensions`` order.
    public let varyingDimensions: [ReportDimension]
    /// The time of the earliest record in the dataset, whatever its scope; nil when it has none.
    public let dataSince: UTCTimestamp?

    /// The window to audit for `now`: `[now − 60 days, now)` intersected with `since`/`until`; nil when the
    /// intersection is empty.
    public static func auditWindow(
        now: UTCTimestamp,
        since: UTCTimestamp? = nil,
        until: UTCTimestamp? = nil
    ) -> (since: UTCTimestamp, until: UTCTimestamp)? {
        let start = now.nanosecondsSinceEpoch.subtractingReportingOverflow(2 * windowNanoseconds)
        let lower = max(start.overflow ? Int64.min : start.partialValue, since?.nanosecondsSinceEpoch ?? .min)
        let upper = min(now.nanosecondsSinceEpoch, until?.nanosecondsSinceEpoch ?? .max)
        guard lower < upper else { return nil }
        return (UTCTimestamp(nanosecondsSinceEpoch: lower), UTCTimestamp(nanosecondsSinceEpoch: upper))
    }

    /// Explains `scope` from the dataset's rows. Rows outside `[now − 60 days, now)` are ignored; the dataset's
    /// audit window (`since`, `until`) and its earliest record
    /// say which window is partial.
    ///
    /// - Parameters:
    ///   - dataset: the rows of an audit that covers the two windows (``auditWindow(now:since:until:)``).
    ///   - scope: the feature, team, project, task type or user to explain.
    ///   - now: where the current window ends.
    ///   - top: how many drivers to keep, at least 1 (the command keeps 3).
    /// - Throws: ``ReportError`` when `now` is too early to look 60 days back, `top` is below 1, or the sums are
    ///   too large to divide exactly (beyond 10¹¹ dollars in a window).
    public init(_ dataset: SpendDataset, scope: Scope, now: UTCTimestamp, top: Int = 3) throws(ReportError) {
        guard top >= 1 else { throw ReportError(field: "top", value: "\(top)", reason: "must be at least 1") }
        let end = now.nanosecondsSinceEpoch
        let middle = end.subtractingReportingOverflow(Self.windowNanoseconds)
        let start = middle.partialValue.subtractingReportingOverflow(Self.windowNanoseconds)
        guard !middle.overflow, !start.overflow else {
            throw ReportError(field: "now", value: now.description, reason: "is too early to look 60 days back")
        }
        self.scope = scope
        self.now = now

        // The scope's value as an interned id: 0 selects the rows with no value; nil matches no row.
        let scopeID: Int32? =
            scope.value == scope.dimension.missingLabel
            ? 0 : dataset.stringID(scope.value)
        let dimensions = Self.driverDimensions
        // The rows are read in shares on two threads and the shares' sums merged: sums, task sets and the
        // earliest time come out the same in any order.
        let bounds = (start: start.partialValue, middle: middle.partialValue, end: end)
        let scopeDimension = scope.dimension
        let shares = RowShares.map(dataset.count, shares: RowShares.count(dataset.count)) { rows in
            Sums(dataset, rows: rows, scope: scopeDimension, id: scopeID, bounds: bounds, dimensions: dimensions)
        }
        var sums = shares[0]
        for share in shares.dropFirst() { sums.merge(share) }
        let spend = sums.spend
        let unrecorded = sums.unrecorded
        let tasks = sums.tasks
        let byValue = sums.byValue
        let earliest = sums.earliest
        dataSince = earliest.map { UTCTimestamp(nanosecondsSinceEpoch: $0) }

        // A window with no tasks has no spend either: dividing by 1 keeps its per-task amounts at zero.
        let tasksPrevious = Int128(max(tasks[0].count, 1))
        let tasksCurrent = Int128(max(tasks[1].count, 1))
        let audit = (since: dataset.report.since, until: dataset.report.until)
        previous = try Self.window(
            "previous",
            start.partialValue,
            middle.partialValue,
            audit: audit,
            dataSince: earliest,
            usd: spend[0],
            unrecorded: unrecorded[0],
            tasks: tasks[0].count
        )
        current = try Self.window(
            "current",
            middle.partialValue,
            end,
            audit: audit,
            dataSince: earliest,
            usd: spend[1],
            unrecorded: unrecorded[1],
            tasks: tasks[1].count
        )

        usdPerTaskChange = MoneyQuotient(
            try Self.difference(spend[1], tasksPrevious, spend[0], tasksCurrent),
            try Self.product(tasksCurrent, tasksPrevious)
        )
        if spend[0] == 0 {
            change = nil
        } else {
            // (S_c / T_c) / (S_p / T_p) − 1 = (S_c·T_p − S_p·T_c) / (S_p·T_c)
            var numerator = try Self.difference(spend[1], tasksPrevious, spend[0], tasksCurrent)
            var denominator = try Self.product(spend[0], tasksCurrent)
            if denominator < 0 {
                // Negative spend (a record's stored refund): keep the denominator positive.
                numerator = try Self.product(numerator, -1)
                denominator = try Self.product(denominator, -1)
            }
            guard let millionths = Self.divideHalfEven(numerator, by: denominator, places: 6) else {
                throw Self.tooLarge(spend[0])
            }
            change = Change(numerator: numerator, denominator: denominator, millionths: millionths)
        }

        struct Candidate {
            var dimension: Int
            var id: Int32
            var label: String
            /// The change of spend per task × T_c × T_p: the same scale for every value, so it ranks exactly.
            var key: Int128
            var sums: PerWindow
        }
        var candidates: [Candidate] = []
        var varying: [ReportDimension] = []
        for (index, values) in byValue.enumerated() where values.count >= 2 {
            varying.append(dimensions[index])
            for (id, sums) in values {
                let key = try Self.difference(sums.current, tasksPrevious, sums.previous, tasksCurrent)
                guard key != 0 else { continue }
                let label = id == 0 ? dimensions[index].missingLabel : dataset.string(id)
                candidates.append(Candidate(dimension: index, id: id, label: label, key: key, sums: sums))
            }
        }
        varyingDimensions = varying
        candidates.sort { a, b in
            if a.key.magnitude != b.key.magnitude { return a.key.magnitude > b.key.magnitude }
            if a.dimension != b.dimension { return a.dimension < b.dimension }
            if a.label != b.label { return Array(a.label.utf8).lexicographicallyPrecedes(b.label.utf8) }
            return a.id < b.id
        }
        let bothTasks = try Self.product(tasksCurrent, tasksPrevious)
        drivers = candidates.prefix(top).map { candidate in
            Driver(
                dimension: dimensions[candidate.dimension],
                value: candidate.label,
                usdCurrent: Money(attodollars: candidate.sums.current),
                usdPrevious: Money(attodollars: candidate.sums.previous),
                usdPerTaskCurrent: MoneyQuotient(candidate.sums.current, tasksCurrent),
                usdPerTaskPrevious: MoneyQuotient(candidate.sums.previous, tasksPrevious),
                usdPerTaskChange: MoneyQuotient(candidate.key, bothTasks)
            )
        }
    }

    /// A value's spend in each window.
    /// The scope's sums over some of the rows, by window (0: previous, 1: current).
    struct Sums: Sendable {
        var spend: [Int128] = [0, 0]
        var unrecorded: [Int128] = [0, 0]
        var tasks = [DistinctSet(), DistinctSet()]
        var byValue: [[Int32: PerWindow]]
        /// The earliest time of a recorded row, in the scope or not.
        var earliest: Int64?

        /// The sums of rows `rows`: those whose `scope` is `id` (nil: none), in the previous window
        /// `bounds.start..<bounds.middle` or the current one `bounds.middle..<bounds.end`.
        init(
            _ dataset: SpendDataset,
            rows: Range<Int>,
            scope: ReportDimension,
            id scopeID: Int32?,
            bounds: (start: Int64, middle: Int64, end: Int64),
            dimensions: [ReportDimension]
        ) {
            byValue = [[Int32: PerWindow]](repeating: [:], count: dimensions.count)
            // A task's rows mostly come together: the last task added to each window needs no set insertion.
            var lastTask: [TaskID?] = [nil, nil]
            for row in rows {
                // Every recorded row's time counts for the earliest; only the scope's rows are read further.
                let recorded = !dataset.dayOnly(row)
                if recorded {
                    let time = dataset.nanoseconds(row)
                    if earliest.map({ time < $0 }) ?? true { earliest = time }
                }
                guard let scopeID, dataset.fieldID(scope, at: row) == scopeID else { continue }
                let columns = dataset.columns(row)
                let time = columns.time
                let window: Int
                if time >= bounds.middle, time < bounds.end {
                    window = 1
                } else if time >= bounds.start, time < bounds.middle {
                    window = 0
                } else {
                    continue
                }
                let amount = columns.amount
                guard recorded else {
                    unrecorded[window] &+= amount
                    continue
                }
                // A record without dollars (a unit, an unpriced call) is no spend: it makes no task and no value.
                guard amount != 0 else { continue }
                spend[window] &+= amount
                let task = columns.task
                if task != lastTask[window] {
                    tasks[window].insert(task)
                    lastTask[window] = task
                }
                for (index, dimension) in dimensions.enumerated() {
                    byValue[index][dataset.fieldID(dimension, at: row) ?? 0, default: PerWindow()].add(amount, window)
                }
            }
        }

        /// Adds the sums of other rows.
        mutating func merge(_ other: Sums) {
            for window in 0..<2 {
                spend[window] &+= other.spend[window]
                unrecorded[window] &+= other.unrecorded[window]
                tasks[window].formUnion(other.tasks[window])
            }
            for (index, values) in other.byValue.enumerated() {
                for (id, sums) in values {
                    byValue[index][id, default: PerWindow()].current &+= sums.current
                    byValue[index][id, default: PerWindow()].previous &+= sums.previous
                }
            }
            if let time = other.earliest, earliest.map({ time < $0 }) ?? true { earliest = time }
        }
    }

    struct PerWindow: Sendable {
        var previous: Int128 = 0
        var current: Int128 = 0

        mutating func add(_ amount: Int128, _ window: Int) {
            if window == 1 { current &+= amount } else { previous &+= amount }
        }
    }

    static func window(
        _ name: String,
        _ since: Int64,
        _ until: Int64,
        audit: (since: UTCTimestamp?, until: UTCTimestamp?),
        dataSince: Int64?,
        usd: Int128,
        unrecorded: Int128,
        tasks: Int
    ) throws(ReportError) -> Window {
        var lower = since
        var upper = until
        var reasons: [String] = []
        if let auditSince = audit.since?.nanosecondsSinceEpoch, auditSince > lower {
            lower = auditSince
            reasons.append("the audit starts at \(UTCTimestamp(nanosecondsSinceEpoch: auditSince))")
        }
        if let auditUntil = audit.until?.nanosecondsSinceEpoch, auditUntil < upper {
            upper = auditUntil
            reasons.append("the audit ends at \(UTCTimestamp(nanosecondsSinceEpoch: auditUntil))")
        }
        let grace = lower.addingReportingOverflow(dataStartGraceNanoseconds)
        if lower < upper, let dataSince, !grace.overflow, dataSince > grace.partialValue {
            lower = dataSince
            reasons.append("the data starts at \(UTCTimestamp(nanosecondsSinceEpoch: dataSince))")
        }
        let covered = lower < upper
        let count = Int128(max(tasks, 1))
        return Window(
            name: name,
            since: UTCTimestamp(nanosecondsSinceEpoch: since),
            until: UTCTimestamp(nanosecondsSinceEpoch: until),
            coveredSince: covered ? UTCTimestamp(nanosecondsSinceEpoch: lower) : nil,
            coveredUntil: covered ? UTCTimestamp(nanosecondsSinceEpoch: upper) : nil,
            partialReason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
            tasks: tasks,
            usd: Money(attodollars: usd),
            unrecordedUSD: Money(attodollars: unrecorded),
            usdPerTask: MoneyQuotient(usd, count)
        )
    }

    /// `a·b − c·d`, refused when it leaves `Int128`.
    static func difference(_ a: Int128, _ b: Int128, _ c: Int128, _ d: Int128) throws(ReportError) -> Int128 {
        let (result, overflow) = try product(a, b).subtractingReportingOverflow(try product(c, d))
        guard !overflow else { throw tooLarge(a) }
        return result
    }

    static func product(_ a: Int128, _ b: Int128) throws(ReportError) -> Int128 {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw tooLarge(a) }
        return result
    }

    static func tooLarge(_ amount: Int128) -> ReportError {
        ReportError(
            field: "usd",
            value: Money(attodollars: amount).formatted(),
            reason: "is too large to divide exactly"
        )
    }

    /// `n ÷ d` rounded half-even to `places` decimals, as a count of 10^−places units; nil when `d` is not
    /// positive or a step leaves 128 bits. Exact: long division, one decimal at a time.
    static func divideHalfEven(_ n: Int128, by d: Int128, places: Int) -> Int128? {
        guard d > 0 else { return nil }
        let divisor = d.magnitude
        var (quotient, remainder) = n.magnitude.quotientAndRemainder(dividingBy: divisor)
        for _ in 0..<max(0, places) {
            let (shifted, overflowQ) = quotient.multipliedReportingOverflow(by: 10)
            let (carried, overflowR) = remainder.multipliedReportingOverflow(by: 10)
            guard !overflowQ, !overflowR else { return nil }
            let (digit, rest) = carried.quotientAndRemainder(dividingBy: divisor)
            let (next, overflow) = shifted.addingReportingOverflow(digit)
            guard !overflow else { return nil }
            (quotient, remainder) = (next, rest)
        }
        // Half-even on the magnitude: symmetric for negative values. `remainder > divisor − remainder` is
        // `2·remainder > divisor` without overflow.
        let rest = divisor - remainder
        if remainder > rest || (remainder == rest && quotient & 1 == 1) {
            let (next, overflow) = quotient.addingReportingOverflow(1)
            guard !overflow else { return nil }
            quotient = next
        }
        guard quotient <= UInt128(Int128.max) else { return nil }
        return n < 0 ? -Int128(quotient) : Int128(quotient)
    }
}

/// An amount of money divided by a count (tasks), kept exact: rounded half-even only when shown.
public struct MoneyQuotient: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The amount divided, in attodollars (10⁻¹⁸ USD).
    public let attodollars: Int128
    /// What it is divided by: positive, at most `Int64.max`.
    public let divisor: Int128

    /// Zero.
    public static let zero = MoneyQuotient(0, 1)

    /// `attodollars ÷ divisor`; the divisor is clamped to 1 … `Int64.max`, which keeps ``formatted(decimals:)``
    /// within 128 bits.
    init(_ attodollars: Int128, _ divisor: Int128) {
        self.attodollars = attodollars
        self.divisor = min(max(divisor, 1), Int128(Int64.max))
    }

    /// `amount ÷ count` (a count below 1 is taken as 1).
    public init(_ amount: Money, per count: Int) { self.init(amount.attodollars, Int128(count)) }

    /// The amount in dollars with `decimals` places (0 to 18), rounded half-even: `"0.012345679"`.
    public func formatted(decimals: Int = 9) -> String {
        let places = max(0, min(decimals, Money.scale))
        // divisor ≤ Int64.max < 10¹⁹, so divisor × 10¹⁸ < 10³⁷ fits in Int128, and every step of the long
        // division stays below 10 × that.
        var scale: Int128 = 1
        for _ in 0..<Money.scale { scale *= 10 }
        let units =
            ExplainReport.divideHalfEven(attodollars, by: divisor * scale, places: places)
            ?? Money.roundHalfEven(attodollars / divisor, toDecimals: places)
        return Money.format(unitsOf: units, decimals: places)
    }

    /// The sign: -1, 0 or 1.
    public var signum: Int { attodollars > 0 ? 1 : attodollars < 0 ? -1 : 0 }

    public var description: String { "$" + formatted() }

    public static func == (lhs: Self, rhs: Self) -> Bool { compare(lhs, rhs) == 0 }

    public func hash(into hasher: inout Hasher) {
        // Equal quotients hash equally: hash the reduced fraction.
        let common = Int128(Self.gcd(attodollars.magnitude, divisor.magnitude))
        hasher.combine(attodollars / common)
        hasher.combine(divisor / common)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { compare(lhs, rhs) < 0 }

    /// Compares `a/b` with `c/d` exactly: by integer part first, then by the remainders' cross products, which
    /// stay below 2⁶³ × 2⁶³.
    static func compare(_ lhs: Self, _ rhs: Self) -> Int {
        let (q1, r1) = floorDivision(lhs.attodollars, lhs.divisor)
        let (q2, r2) = floorDivision(rhs.attodollars, rhs.divisor)
        if q1 != q2 { return q1 < q2 ? -1 : 1 }
        let left = r1 * rhs.divisor
        let right = r2 * lhs.divisor
        return left == right ? 0 : left < right ? -1 : 1
    }

    static func floorDivision(_ n: Int128, _ d: Int128) -> (Int128, Int128) {
        var (q, r) = n.quotientAndRemainder(dividingBy: d)
        if r < 0 {
            q -= 1
            r += d
        }
        return (q, r)
    }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return max(x, 1)
    }
}
