/// Hexadecimal, in one place: lowercase, the form of the W3C identifiers and JSON's `\u00xx` escapes, parsed
/// strictly (uppercase refused) and written; and the digits of either case that JSON `\u` escapes and
/// percent-encoding read, with the uppercase ones percent-encoding and error messages write.
package enum Hex {
    /// The value of one lowercase hex digit, or nil for anything else (uppercase included).
    package static func digitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        default: return nil
        }
    }

    /// The value of one hex digit of either case, or nil.
    package static func digitValue(anyCase byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        default: return digitValue(byte)
        }
    }

    /// The uppercase hex digit of `value` (0…15).
    package static func upperDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") &+ value : UInt8(ascii: "A") &+ (value &- 10)
    }

    /// Appends `byte` as 2 uppercase hex digits.
    package static func appendUpper(byte: UInt8, to out: inout [UInt8]) {
        out.append(upperDigit(byte >> 4))
        out.append(upperDigit(byte & 0xF))
    }

    /// The lowercase hex digit of `value` (0…15).
    package static func digit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") &+ value : UInt8(ascii: "a") &+ (value &- 10)
    }

    /// The value of exactly 16 lowercase hex digits, or nil.
    package static func parseUInt64(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard bytes.count == 16 else { return nil }
        return parse16(bytes, from: bytes.startIndex)
    }

    /// The value of exactly 32 lowercase hex digits as its high and low 64 bits, or nil.
    package static func parseUInt128(_ bytes: ArraySlice<UInt8>) -> (high: UInt64, low: UInt64)? {
        guard bytes.count == 32, let high = parse16(bytes, from: bytes.startIndex),
            let low = parse16(bytes, from: bytes.startIndex + 16)
        else { return nil }
        return (high, low)
    }

    /// The value of the 16 lowercase hex digits of `bytes` at `start`, or nil (also when they do not fit).
    package static func parseUInt64(_ bytes: [UInt8], at start: Int) -> UInt64? {
        parseUInt64(bytes.span, at: start)
    }

    /// The value of the 16 lowercase hex digits of `bytes` at `start`, or nil (also when they do not fit).
    package static func parseUInt64(_ bytes: Span<UInt8>, at start: Int) -> UInt64? {
        guard start >= 0, bytes.count - start >= 16 else { return nil }
        var value: UInt64 = 0
        var invalid = false
        for i in start..<(start + 16) {
            // As ``digitValue(_:)``, without a branch per digit.
            let decimal = bytes[i] &- UInt8(ascii: "0")
            let letter = bytes[i] &- UInt8(ascii: "a")
            invalid = invalid || (decimal > 9 && letter > 5)
            value = value << 4 | UInt64(decimal > 9 ? letter &+ 10 : decimal) & 0xF
        }
        return invalid ? nil : value
    }

    /// The 16 digits of `bytes` from `start` (in bounds: checked by the callers).
    private static func parse16(_ bytes: ArraySlice<UInt8>, from start: Int) -> UInt64? {
        parseUInt64(bytes.span, at: start - bytes.startIndex)
    }

    /// Appends `value` as 16 lowercase hex digits.
    package static func append(_ value: UInt64, to out: inout [UInt8]) {
        out.append(addingCapacity: 16) { write(value, to: &$0) }
    }

    /// Writes `value` as 16 lowercase hex digits; `out` has room for them.
    package static func write(_ value: UInt64, to out: inout OutputSpan<UInt8>) {
        var shift: UInt64 = 64
        while shift > 0 {
            shift -= 4
            out.append(digit(UInt8(truncatingIfNeeded: value >> shift) & 0xF))
        }
    }

    /// Appends `byte` as 2 lowercase hex digits.
    package static func append(byte: UInt8, to out: inout [UInt8]) {
        out.append(digit(byte >> 4))
        out.append(digit(byte & 0xF))
    }

    /// `value` as 16 lowercase hex digits.
    package static func string(_ value: UInt64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
