import Attribution

/// An exact amount of US dollars, in integer units of 10⁻¹⁸ USD (attodollars).
///
/// Prices are parsed from their decimal text exactly, per-record amounts are never rounded, and totals are
/// sums of those, so a million records add up to exactly the price of their summed tokens. Rounding happens
/// only when an amount is shown: ``formatted(decimals:)`` rounds half-even.
///
/// ```swift
/// let price = try Money(decimal: "2.50")        // $2.50
/// let perToken = try Money(decimal: "2.5e-06")  // LiteLLM's per-token form
/// print((perToken * 1_000_000).formatted())      // "2.500000000"
/// ```
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The amount in 10⁻¹⁸ USD.
    public var attodollars: Int128

    /// Decimal places of the unit: 18.
    public static let scale = 18

    /// Zero dollars.
    public static let zero = Money(attodollars: 0)

    /// Creates an amount from attodollars.
    public init(attodollars: Int128) { self.attodollars = attodollars }

    /// Parses a decimal number exactly: `12`, `-0.5`, `2.5e-06`, `1E+3`. Never goes through `Double`.
    /// - Parameters:
    ///   - text: the number, in decimal or exponent notation.
    ///   - field: the name used in errors.
    /// - Throws: ``CostLedgerError/Code/invalidAmount`` when the text is not a number, has more precision than
    ///   10⁻¹⁸ USD, or does not fit.
    public init(decimal text: some StringProtocol, field: String = "amount") throws(CostLedgerError) {
        guard let value = Self.parse(Array(text.utf8), shift: 0) else {
            throw CostLedgerError(
                .invalidAmount,
                field: field,
                reason: "expected a decimal number with at most 18 decimal places of a dollar, got "
                    + AttributionError.quote(text)
            )
        }
        self.attodollars = value
    }

    /// Parses a decimal number scaled by 10^`shift` (a per-million price with `shift: -6` gives the per-token
    /// amount) exactly.
    package static func parse(decimal text: some StringProtocol, shift: Int) -> Money? {
        parse(Array(text.utf8), shift: shift).map(Money.init(attodollars:))
    }

    /// Parses a decimal number scaled by 10^`shift` exactly, then rounds it half-even to a whole number of
    /// attodollars: `2.9999900000000002e-06` is 2,999,990,000,000 attodollars and `4.0000000000000003e-07` is
    /// 400,000,000,000. For numbers written by a program from binary floats (LiteLLM's price file), whose
    /// shortest decimal carries noise below 10⁻¹⁸. Never goes through `Double`.
    package static func parse(decimalRoundingHalfEven text: some StringProtocol, shift: Int) -> Money? {
        parse(Array(text.utf8), shift: shift, rounding: true).map(Money.init(attodollars:))
    }

    private static func parse(_ bytes: [UInt8], shift: Int, rounding: Bool = false) -> Int128? {
        guard !bytes.isEmpty, bytes.count <= 128 else { return nil }
        var i = 0
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var sawDigit = false
        var sawPoint = false
        while i < bytes.count {
            let b = bytes[i]
            if b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
                sawDigit = true
                digits.append(b - UInt8(ascii: "0"))
                if sawPoint { fractionDigits += 1 }
            } else if b == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            i += 1
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var sawExpDigit = false
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                sawExpDigit = true
                exponent = exponent * 10 + Int(bytes[i] - UInt8(ascii: "0"))
                guard exponent < 1000 else { return nil }
                i += 1
            }
            guard sawExpDigit else { return nil }
            if expNegative { exponent = -exponent }
        }
        guard i == bytes.count else { return nil }
        // value = digits × 10^(exponent − fractionDigits + shift); in attodollars multiply by 10^18.
        var power = exponent - fractionDigits + shift + scale
        // Drop trailing zeros that a negative power would otherwise need to divide away.
        while power < 0, let last = digits.last, last == 0 {
            digits.removeLast()
            power += 1
        }
        var roundUp = false
        if power < 0 {
            // Finer than 10⁻¹⁸ USD: not representable exactly. Refused, or rounded half-even when asked.
            guard rounding else { return nil }
            let dropCount = -power
            guard dropCount <= digits.count else {
                // Every digit is below the unit's tenth: the value is less than half a unit.
                return 0
            }
            let dropped = digits[(digits.count - dropCount)...]
            digits.removeLast(dropCount)
            power = 0
            let first = dropped.first ?? 0
            if first > 5 || (first == 5 && dropped.dropFirst().contains(where: { $0 != 0 })) {
                roundUp = true
            } else if first == 5 {
                roundUp = (digits.last ?? 0) % 2 == 1
            }
        }
        var value: Int128 = 0
        for d in digits {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int128(d))
            guard !o1, !o2 else { return nil }
            value = s
        }
        for _ in 0..<min(power, 40) {
            let (m, o) = value.multipliedReportingOverflow(by: 10)
            guard !o else { return nil }
            value = m
        }
        if power > 40, value != 0 { return nil }
        if roundUp {
            let (s, o) = value.addingReportingOverflow(1)
            guard !o else { return nil }
            value = s
        }
        return negative ? -value : value
    }

    /// The amount as a decimal string with exactly `decimals` places, rounded half-even
    /// (`formatted()` gives the spec's 9 places: `"12.345678901"`).
    public func formatted(decimals: Int = 9) -> String {
        let places = max(0, min(decimals, Self.scale))
        let rounded = Self.roundHalfEven(attodollars, toDecimals: places)
        return Self.format(unitsOf: rounded, decimals: places)
    }

    /// `value` (in attodollars) rounded half-even to a multiple of 10^(18 − decimals), returned as a count of
    /// 10^−decimals units.
    package static func roundHalfEven(_ value: Int128, toDecimals decimals: Int) -> Int128 {
        var divisor: Int128 = 1
        for _ in 0..<(scale - decimals) { divisor *= 10 }
        let (q, r) = value.quotientAndRemainder(dividingBy: divisor)
        let twice = r.magnitude * 2
        let d = divisor.magnitude
        if twice > d || (twice == d && q % 2 != 0) {
            return value < 0 ? q - 1 : q + 1
        }
        return q
    }

    /// Formats a count of 10^−decimals units as a decimal string.
    package static func format(unitsOf units: Int128, decimals: Int) -> String {
        let negative = units < 0
        var digits = String(units.magnitude)
        if decimals > 0 {
            if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return negative ? "-" + digits : digits
    }

    /// The exact decimal value, without rounding and without trailing zeros (`"0.0000025"`).
    public var exactDecimal: String {
        var text = Self.format(unitsOf: attodollars, decimals: Self.scale)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    public var description: String { "$" + formatted() }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.attodollars < rhs.attodollars }

    public static func + (lhs: Money, rhs: Money) -> Money { Money(attodollars: lhs.attodollars + rhs.attodollars) }

    public static func - (lhs: Money, rhs: Money) -> Money { Money(attodollars: lhs.attodollars - rhs.attodollars) }

    public static func += (lhs: inout Money, rhs: Money) { lhs.attodollars += rhs.attodollars }

    public static func -= (lhs: inout Money, rhs: Money) { lhs.attodollars -= rhs.attodollars }

    /// A per-token price times a token count.
    public static func * (lhs: Money, rhs: Int64) -> Money { Money(attodollars: lhs.attodollars * Int128(rhs)) }
}
