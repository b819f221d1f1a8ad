/// An exact fraction of integers of any size: the shares, shifts, ratios and per-unit amounts of the `models` and
/// `tools` reports are computed with it and rounded only when printed (half-even), so no figure depends on the
/// order of operations and no product of two `Int128` sums can overflow.
struct WideFraction: Sendable {
    /// Magnitudes as little-endian 32-bit limbs, without high zero limbs (zero is `[]`).
    typealias Magnitude = [UInt32]

    var negative: Bool
    var numerator: Magnitude
    /// Never zero.
    var denominator: Magnitude

    /// `numerator / denominator`; nil when the denominator is zero.
    init?(_ numerator: Int128, _ denominator: Int128) {
        guard denominator != 0 else { return nil }
        self.negative = (numerator < 0) != (denominator < 0) && numerator != 0
        self.numerator = Self.magnitude(numerator.magnitude)
        self.denominator = Self.magnitude(denominator.magnitude)
    }

    init(negative: Bool, numerator: Magnitude, denominator: Magnitude) {
        self.negative = negative && !numerator.isEmpty
        self.numerator = numerator
        self.denominator = denominator
    }

    static let zero = WideFraction(negative: false, numerator: [], denominator: [1])

    var isZero: Bool { numerator.isEmpty }

    /// The fraction times a whole number (100 for a percentage).
    func scaled(by factor: UInt32) -> WideFraction {
        WideFraction(negative: negative, numerator: Self.multiply(numerator, [factor]), denominator: denominator)
    }

    /// `self / other`; nil when `other` is zero.
    func dividing(by other: WideFraction) -> WideFraction? {
        guard !other.isZero else { return nil }
        return WideFraction(
            negative: negative != other.negative,
            numerator: Self.multiply(numerator, other.denominator),
            denominator: Self.multiply(denominator, other.numerator)
        )
    }

    /// `self - other`.
    func subtracting(_ other: WideFraction) -> WideFraction {
        let left = Self.multiply(numerator, other.denominator)
        let right = Self.multiply(other.numerator, denominator)
        let denominator = Self.multiply(self.denominator, other.denominator)
        // self − other = (±left) − (±right).
        if negative != other.negative {
            return WideFraction(negative: negative, numerator: Self.add(left, right), denominator: denominator)
        }
        if Self.compare(left, right) >= 0 {
            return WideFraction(negative: negative, numerator: Self.subtract(left, right), denominator: denominator)
        }
        return WideFraction(negative: !negative, numerator: Self.subtract(right, left), denominator: denominator)
    }

    /// Compares the absolute values: -1, 0 or 1.
    func compareMagnitude(_ other: WideFraction) -> Int {
        Self.compare(Self.multiply(numerator, other.denominator), Self.multiply(other.numerator, denominator))
    }

    /// Compares the values: -1, 0 or 1.
    func compare(_ other: WideFraction) -> Int {
        if negative != other.negative {
            if isZero && other.isZero { return 0 }
            return negative ? -1 : 1
        }
        let order = compareMagnitude(other)
        return negative ? -order : order
    }

    /// The value as a decimal with exactly `decimals` places, rounded half-even (`-` only when the rounded value
    /// is not zero).
    func formatted(decimals: Int) -> String {
        var scaled = numerator
        for _ in 0..<max(0, decimals) { scaled = Self.multiply(scaled, [10]) }
        var (quotient, remainder) = Self.divide(scaled, by: denominator)
        let twice = Self.add(remainder, remainder)
        let order = Self.compare(twice, denominator)
        if order > 0 || (order == 0 && (quotient.first ?? 0) & 1 == 1) { quotient = Self.add(quotient, [1]) }
        var digits = Self.decimalDigits(quotient)
        if decimals > 0 {
            if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return (negative && !quotient.isEmpty ? "-" : "") + digits
    }

    // MARK: - Magnitudes

    static func magnitude(_ value: UInt128) -> Magnitude {
        var limbs: Magnitude = []
        var rest = value
        while rest != 0 {
            limbs.append(UInt32(truncatingIfNeeded: rest))
            rest >>= 32
        }
        return limbs
    }

    static func normalized(_ limbs: Magnitude) -> Magnitude {
        var limbs = limbs
        while limbs.last == 0 { limbs.removeLast() }
        return limbs
    }

    static func compare(_ a: Magnitude, _ b: Magnitude) -> Int {
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for i in stride(from: a.count - 1, through: 0, by: -1) where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return 0
    }

    static func add(_ a: Magnitude, _ b: Magnitude) -> Magnitude {
        var result: Magnitude = []
        result.reserveCapacity(max(a.count, b.count) + 1)
        var carry: UInt64 = 0
        for i in 0..<max(a.count, b.count) {
            let sum = UInt64(i < a.count ? a[i] : 0) + UInt64(i < b.count ? b[i] : 0) + carry
            result.append(UInt32(truncatingIfNeeded: sum))
            carry = sum >> 32
        }
        if carry != 0 { result.append(UInt32(carry)) }
        return result
    }

    /// `a - b` for `a >= b`.
    static func subtract(_ a: Magnitude, _ b: Magnitude) -> Magnitude {
        var result: Magnitude = []
        result.reserveCapacity(a.count)
        var borrow: Int64 = 0
        for i in 0..<a.count {
            var difference = Int64(a[i]) - Int64(i < b.count ? b[i] : 0) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 1 << 32 }
            result.append(UInt32(truncatingIfNeeded: difference))
        }
        return normalized(result)
    }

    static func multiply(_ a: Magnitude, _ b: Magnitude) -> Magnitude {
        guard !a.isEmpty, !b.isEmpty else { return [] }
        var result = Magnitude(repeating: 0, count: a.count + b.count)
        for i in 0..<a.count {
            var carry: UInt64 = 0
            for j in 0..<b.count {
                let product = UInt64(a[i]) * UInt64(b[j]) + UInt64(result[i + j]) + carry
                result[i + j] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            result[i + b.count] = UInt32(truncatingIfNeeded: carry)
        }
        return normalized(result)
    }

    /// Quotient and remainder of `a / b` for a nonzero `b`, by shifting and subtracting one bit at a time.
    static func divide(_ a: Magnitude, by b: Magnitude) -> (quotient: Magnitude, remainder: Magnitude) {
        guard compare(a, b) >= 0 else { return ([], a) }
        var quotient = Magnitude(repeating: 0, count: a.count)
        var remainder: Magnitude = []
        for bit in stride(from: a.count * 32 - 1, through: 0, by: -1) {
            remainder = add(remainder, remainder)
            if (a[bit / 32] >> UInt32(bit % 32)) & 1 == 1 { remainder = add(remainder, [1]) }
            if compare(remainder, b) >= 0 {
                remainder = subtract(remainder, b)
                quotient[bit / 32] |= 1 << UInt32(bit % 32)
            }
        }
        return (normalized(quotient), remainder)
    }

    /// The decimal digits of a magnitude (`0` for zero).
    static func decimalDigits(_ value: Magnitude) -> String {
        guard !value.isEmpty else { return "0" }
        var chunks: [UInt32] = []
        var rest = value
        while !rest.isEmpty {
            // Divide by 10⁹ limb by limb, from the top.
            var remainder: UInt64 = 0
            var quotient = Magnitude(repeating: 0, count: rest.count)
            for i in stride(from: rest.count - 1, through: 0, by: -1) {
                let current = remainder << 32 | UInt64(rest[i])
                quotient[i] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            chunks.append(UInt32(remainder))
            rest = normalized(quotient)
        }
        var text = "\(chunks.last ?? 0)"
        for chunk in chunks.dropLast().reversed() {
            let part = "\(chunk)"
            text += String(repeating: "0", count: 9 - part.count) + part
        }
        return text
    }
}
