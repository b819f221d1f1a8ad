/// Lowercase-hex parsing and formatting shared by the W3C-form identifiers.
enum HexIdentifier {
    /// The value of one lowercase hex digit, or nil for anything else (uppercase included: the W3C forms are
    /// lowercase only).
    @inline(__always)
    static func nibble(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(byte &- UInt8(ascii: "a") &+ 10)
        default: return nil
        }
    }

    /// Parses exactly 16 lowercase hex digits.
    @inline(__always)
    static func parse64<C: Collection<UInt8>>(_ bytes: C) -> UInt64? {
        guard bytes.count == 16 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard let digit = nibble(byte) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends 16 lowercase hex digits.
    @inline(__always)
    static func append(_ value: UInt64, to out: inout [UInt8]) {
        var shift = 60
        while shift >= 0 {
            out.append(digits[Int((value >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }

    static func string(_ value: UInt64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
