public import CostLedger

/// Rounds the rows of a money table so that they add up to their rounded total (docs/prices.md).
///
/// Each row is first rounded down to `decimals` places; the units still missing from the total (the sum
/// rounded half-even) go one each to the rows with the largest remainders, ties to the bytewise-first row
/// name. So a table of three rows of $0.3333333333 shows 0.333333334, 0.333333333 and 0.333333333, adding up
/// to the reported 1.000000000.
///
/// ```swift
/// let shown = LargestRemainder.formatted([("a", third), ("b", third), ("c", third)])
/// // ["0.333333334", "0.333333333", "0.333333333"]
/// ```
public enum LargestRemainder {
    /// The rows rounded to `decimals` places, in units of 10^−decimals, in the order given.
    ///
    /// - Parameters:
    ///   - rows: each row's name (for ties) and exact amount.
    ///   - decimals: places to keep, 0 through 18 (default 9, the spec's).
    /// - Returns: one rounded amount per row, adding up to the sum of `rows` rounded half-even.
    public static func round(_ rows: [(name: String, amount: Money)], decimals: Int = 9) -> [Int128] {
        let places = max(0, min(decimals, Money.scale))
        var divisor: Int128 = 1
        for _ in 0..<(Money.scale - places) { divisor *= 10 }
        var floors: [Int128] = []
        var remainders: [Int128] = []
        floors.reserveCapacity(rows.count)
        remainders.reserveCapacity(rows.count)
        var sum: Int128 = 0
        var floorSum: Int128 = 0
        for row in rows {
            let value = row.amount.attodollars
            var (q, r) = value.quotientAndRemainder(dividingBy: divisor)
            if r < 0 {
                q -= 1
                r += divisor
            }
            floors.append(q)
            remainders.append(r)
            sum &+= value
            floorSum &+= q
        }
        let target = Money.roundHalfEven(sum, toDecimals: places)
        var missing = target - floorSum
        guard missing > 0 else { return floors }
        let names = rows.map { Array($0.name.utf8) }
        let order = rows.indices.sorted { a, b in
            if remainders[a] != remainders[b] { return remainders[a] > remainders[b] }
            return names[a].lexicographicallyPrecedes(names[b])
        }
        for index in order where missing > 0 {
            floors[index] += 1
            missing -= 1
        }
        return floors
    }

    /// The rows rounded as ``round(_:decimals:)`` does, as decimal strings with exactly `decimals` places.
    public static func formatted(_ rows: [(name: String, amount: Money)], decimals: Int = 9) -> [String] {
        let places = max(0, min(decimals, Money.scale))
        return round(rows, decimals: places).map { Money.format(unitsOf: $0, decimals: places) }
    }
}
