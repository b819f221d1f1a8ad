package import Attribution
public import CostLedger

/// Monthly budgets of `cost-audit forecast --budgets FILE` (docs/forecast.md): a JSON object from a group key to
/// USD per month.
///
/// A key names one value for each dimension, in the `--by` order: `team=growth,project=assistant`. Every key of
/// one file names the same dimensions. A budget is a JSON number (or a decimal string) from 0 to 10¹², with
/// at most 9 decimal places, read exactly. A value cannot hold a comma; `(unknown)` names the group of spend
/// without that value.
///
/// ```swift
/// let budgets = try ForecastBudgets(json: Array(#"{"team=growth": 1200, "team=research": 400.50}"#.utf8))
/// let forecast = try MonthForecast(dataset, month: month, asOf: now, by: budgets.dimensions, budgets: budgets)
/// ```
public struct ForecastBudgets: Sendable, Hashable {
    /// Largest budgets file read: 1 MiB.
    public static let maxFileBytes = 1 << 20
    /// The largest budget, in dollars.
    public static let maxBudget: Int128 = 1_000_000_000_000

    /// The dimensions every key names, in order.
    public let dimensions: [ReportDimension]
    /// Budgets by the group's values (one per dimension).
    let amounts: [[String]: Money]

    /// The groups budgeted: their values, in the order of the file.
    public let groups: [[String]]

    /// The budget of the group with `values` (one per dimension), nil when it has none.
    public func budget(of values: [String]) -> Money? { amounts[values] }

    /// Budgets given in code: each key's values by dimension, in the order of `dimensions`.
    ///
    /// - Throws: ``ReportError`` when a group does not give one non-empty value per dimension (without a comma),
    ///   or a budget is negative or above 10¹² dollars.
    public init(dimensions: [ReportDimension], budgets: [(values: [String], usd: Money)]) throws(ReportError) {
        guard !dimensions.isEmpty else {
            throw ReportError(field: "budgets", value: "", reason: "needs at least one dimension")
        }
        var amounts: [[String]: Money] = [:]
        var groups: [[String]] = []
        for (values, usd) in budgets {
            let key = zip(dimensions, values).map { "\($0.name)=\($1)" }.joined(separator: ",")
            guard values.count == dimensions.count, values.allSatisfy({ !$0.isEmpty && !$0.contains(",") }) else {
                throw ReportError(
                    field: "budgets",
                    value: key,
                    reason: "is not a group key: expected one non-empty value without a comma for each of "
                        + dimensions.map(\.name).joined(separator: ",")
                )
            }
            guard usd >= .zero, usd.attodollars <= Self.maxBudget * 1_000_000_000_000_000_000 else {
                throw ReportError(field: Self.quoted(key), value: usd.exactDecimal, reason: Self.rangeReason)
            }
            guard amounts[values] == nil else {
                throw ReportError(field: "budgets", value: key, reason: "is named twice")
            }
            amounts[values] = usd
            groups.append(values)
        }
        self.dimensions = dimensions
        self.amounts = amounts
        self.groups = groups
    }

    /// Reads a budgets file's text.
    ///
    /// - Throws: ``ReportError``: field `budgets` when the text is not one JSON object (or is over
    ///   ``maxFileBytes``) or a key is not `dim=value[,dim=value]` with the same dimensions as the first key;
    ///   else the key (quoted) and the value at fault.
    public init(json bytes: [UInt8]) throws(ReportError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: .init(maxBytes: Self.maxFileBytes, maxDepth: 2))
        } catch {
            throw ReportError(field: "budgets", value: error.field ?? "", reason: "is not valid JSON: \(error.reason)")
        }
        try self.init(value: value)
    }

    /// Reads budgets from a parsed JSON value (a budgets file, or `budgets` in the configuration file).
    package init(value: JSONValue) throws(ReportError) {
        guard let object = value.objectValue else {
            throw ReportError(
                field: "budgets",
                value: value.typeName,
                reason: "is not a budgets object: expected {\"dim=value[,dim=value]\": USD, …}"
            )
        }
        guard !object.members.isEmpty else {
            throw ReportError(field: "budgets", value: "{}", reason: "names no group: expected at least one budget")
        }
        var dimensions: [ReportDimension]?
        var budgets: [(values: [String], usd: Money)] = []
        for member in object.members {
            let (names, values) = try Self.parseKey(member.key)
            if let dimensions, dimensions.map(\.name) != names.map(\.name) {
                throw ReportError(
                    field: "budgets",
                    value: Self.escaped(member.key),
                    reason: "names other dimensions than the first key ("
                        + dimensions.map(\.name).joined(separator: ",") + "): every key names the same, in order"
                )
            }
            dimensions = names
            let text: String
            switch member.value {
            case .number(let number): text = number
            case .string(let string): text = string
            default:
                throw ReportError(
                    field: Self.quoted(member.key),
                    value: member.value.typeName,
                    reason: Self.rangeReason
                )
            }
            guard !text.hasPrefix("-"), let usd = Money.parse(decimal: text, shift: 0),
                usd.attodollars % 1_000_000_000 == 0,
                usd.attodollars <= Self.maxBudget * 1_000_000_000_000_000_000
            else {
                throw ReportError(
                    field: Self.quoted(member.key),
                    value: Self.escaped(text),
                    reason: Self.rangeReason
                )
            }
            budgets.append((values, usd))
        }
        try self.init(dimensions: dimensions ?? [], budgets: budgets)
    }

    /// A key's dimensions and values: `team=growth,project=assistant`.
    static func parseKey(_ key: String) throws(ReportError) -> ([ReportDimension], [String]) {
        var dimensions: [ReportDimension] = []
        var values: [String] = []
        for part in key.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = part.firstIndex(of: "="), equals != part.startIndex,
                part.index(after: equals) != part.endIndex
            else {
                throw ReportError(
                    field: "budgets",
                    value: escaped(key),
                    reason: "is not a group key: expected dim=value[,dim=value] in the --by order, "
                        + "e.g. team=growth,project=assistant"
                )
            }
            let name = String(part[..<equals])
            let dimension: ReportDimension
            do {
                dimension = try ReportDimension(parsing: name)
            } catch {
                throw ReportError(
                    field: "budgets",
                    value: escaped(key),
                    reason: "names '\(escaped(name))', not a dimension: \(error.reason)"
                )
            }
            guard !dimensions.contains(dimension) else {
                throw ReportError(field: "budgets", value: escaped(key), reason: "names '\(name)' twice")
            }
            dimensions.append(dimension)
            values.append(String(part[part.index(after: equals)...]))
        }
        return (dimensions, values)
    }

    static let rangeReason =
        "is not a valid budget: expected a number of USD from 0 to 1000000000000 with at most 9 decimal places"

    static func quoted(_ key: String) -> String { AttributionError.quote(key) }

    /// The text with control characters escaped and shortened, without the quotes.
    static func escaped(_ text: String) -> String { String(AttributionError.quote(text).dropFirst().dropLast()) }
}
