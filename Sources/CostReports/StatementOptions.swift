public import Attribution
import CostLedger
import WireFormat

/// The calendar month (UTC) a statement covers: `YYYY-MM`, from its first day at 00:00 to the next month's.
public struct StatementMonth: Sendable, Hashable, CustomStringConvertible {
    /// The first instant of the month, inclusive.
    public let start: UTCTimestamp
    /// The first instant of the next month: the month's end, exclusive.
    public let end: UTCTimestamp
    /// `YYYY-MM`.
    public let label: String

    /// The month written `YYYY-MM`, from 1970-01 to 2261-12 (the range of a nanosecond timestamp).
    ///
    /// - Throws: ``ReportError`` with field `month` for any other text.
    public init(parsing text: String) throws(ReportError) {
        let bytes = Array(text.utf8)
        let digits = bytes.enumerated().allSatisfy { index, byte in
            index == 4 ? byte == UInt8(ascii: "-") : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard bytes.count == 7, digits, let year = Int64(text.prefix(4)), let month = Int64(text.suffix(2)),
            (1...12).contains(month), (1970...2261).contains(year)
        else {
            throw ReportError(
                field: "month",
                value: text,
                reason: "is not a month: expected YYYY-MM, from 1970-01 to 2261-12"
            )
        }
        let days = CivilDate.days(year: year, month: month, day: 1)
        start = UTCTimestamp(nanosecondsSinceEpoch: days * ReportPeriod.nanosecondsPerDay)
        end = ReportPeriod.month.next(after: start)
        label = text
    }

    public var description: String { label }
}

/// Whether a statement charges the unknown spend to the teams (chargeback) or only shows each team what its
/// share would be (showback).
public struct StatementMode: Sendable, Hashable, CustomStringConvertible {
    private enum Base: String, Sendable, Hashable { case showback, chargeback }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Each team's attributed spend; its share of the unknown spend beside it, not added. The unknown spend is
    /// a statement of its own, `(unknown)`.
    public static let showback = StatementMode(.showback)
    /// Each team's attributed spend plus its share of the unknown spend, as a line of its statement.
    public static let chargeback = StatementMode(.chargeback)

    /// The mode named `showback` or `chargeback`.
    ///
    /// - Throws: ``ReportError`` with field `mode` for any other name.
    public init(parsing text: String) throws(ReportError) {
        guard let base = Base(rawValue: text) else {
            throw ReportError(field: "mode", value: text, reason: "expected showback or chargeback")
        }
        self.base = base
    }

    /// `showback` or `chargeback`.
    public var name: String { base.rawValue }
    public var description: String { name }
}

/// How the month's unknown spend is divided among the teams: in proportion to each team's attributed spend
/// (the default), evenly among the teams with attributed spend, or by the weights of a file.
public struct StatementAllocation: Sendable, Hashable, CustomStringConvertible {
    enum Base: Sendable, Hashable {
        case proportional
        case even
        case weights(StatementWeights)
    }
    let base: Base

    /// In proportion to each team's attributed spend in the month.
    public static let proportional = StatementAllocation(base: .proportional)
    /// In equal parts to every team with attributed spend (above zero) in the month.
    public static let even = StatementAllocation(base: .even)
    /// In proportion to each team's weight; a team the weights do not name weighs zero.
    public static func weights(_ weights: StatementWeights) -> StatementAllocation {
        StatementAllocation(base: .weights(weights))
    }

    /// `proportional`, `even` or `weights`: the `method` of a statement.
    public var name: String {
        switch base {
        case .proportional: return "proportional"
        case .even: return "even"
        case .weights: return "weights"
        }
    }

    public var description: String { name }
}

/// The weights of `--allocate weights`: a JSON object `{"TEAM": number, …}`.
///
/// Each weight is a JSON number from 0 to 10¹² with at most 18 decimal places, read exactly from its text
/// (never through a binary float). A team the weights do not name weighs zero; a team named here with no
/// spend in the month still takes its share, in a statement of its own. Team names are non-empty, at most
/// 256 bytes, and not one of the labels `(unknown)` and `(unallocated)`.
///
/// ```swift
/// let weights = try StatementWeights(json: Array(#"{"growth": 2, "research": 1}"#.utf8))
/// let statements = try MonthlyStatements(dataset, month: month, allocation: .weights(weights))
/// ```
public struct StatementWeights: Sendable, Hashable {
    /// Largest weights file read: 1 MiB.
    public static let maxFileBytes = 1 << 20
    /// The largest weight.
    public static let maxWeight: Int128 = 1_000_000_000_000

    /// Weights by team, exact, in units of 10⁻¹⁸.
    let units: [String: Int128]

    /// The teams named, bytewise.
    public var teams: [String] { units.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

    /// A team's weight as the exact decimal it was written as (`"2.5"`), nil when the team is not named.
    public func weight(of team: String) -> String? { units[team].map { Money(attodollars: $0).exactDecimal } }

    /// Weights given in code: each from 0 to 10¹².
    ///
    /// - Throws: ``ReportError`` naming the team and the value when a weight is out of range or a team name is
    ///   empty, longer than 256 bytes, or a reserved label.
    public init(_ weights: [String: Int]) throws(ReportError) {
        var units: [String: Int128] = [:]
        for (team, weight) in weights {
            try Self.checkTeam(team)
            guard weight >= 0, Int128(weight) <= Self.maxWeight else {
                throw ReportError(field: Self.fieldName(team), value: "\(weight)", reason: Self.rangeReason)
            }
            units[team] = Int128(weight) * 1_000_000_000_000_000_000
        }
        self.units = units
    }

    /// Reads a weights file's text.
    ///
    /// - Throws: ``ReportError``: field `weights` when the text is not one JSON object (or is over
    ///   ``maxFileBytes``), else the team (quoted) and the value at fault.
    public init(json bytes: [UInt8]) throws(ReportError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: .init(maxBytes: Self.maxFileBytes, maxDepth: 2))
        } catch {
            throw ReportError(field: "weights", value: error.field ?? "", reason: "is not valid JSON: \(error.reason)")
        }
        guard let object = value.objectValue else {
            throw ReportError(
                field: "weights",
                value: value.typeName,
                reason: "is not a weights file: expected a JSON object {\"TEAM\": number, …}"
            )
        }
        var units: [String: Int128] = [:]
        for member in object.members {
            try Self.checkTeam(member.key)
            guard let text = member.value.numberText else {
                let shown = member.value.stringValue.map { AttributionError.quote($0) } ?? member.value.typeName
                throw ReportError(field: Self.fieldName(member.key), value: shown, reason: Self.rangeReason)
            }
            guard !text.hasPrefix("-"), let exact = Money.parse(decimal: text, shift: 0),
                exact.attodollars <= Self.maxWeight * 1_000_000_000_000_000_000
            else {
                throw ReportError(field: Self.fieldName(member.key), value: text, reason: Self.rangeReason)
            }
            units[member.key] = exact.attodollars
        }
        self.units = units
    }

    static let rangeReason =
        "is not a valid weight: expected a JSON number from 0 to 1000000000000 with at most 18 decimal places"

    static func fieldName(_ team: String) -> String { AttributionError.quote(team) }

    /// The team's name with control characters escaped and shortened, without the quotes.
    static func escaped(_ team: String) -> String { String(AttributionError.quote(team).dropFirst().dropLast()) }

    static func checkTeam(_ team: String) throws(ReportError) {
        guard !team.isEmpty, team.utf8.count <= 256 else {
            throw ReportError(
                field: "weights",
                value: escaped(team),
                reason: "is not a team: expected a non-empty name of at most 256 bytes"
            )
        }
        guard team != ReportDimension.unknownLabel, team != MonthlyStatements.unallocatedLabel else {
            throw ReportError(
                field: "weights",
                value: escaped(team),
                reason: "is a label of the statements, not a team: the unknown spend is what the weights divide"
            )
        }
    }
}
