/// Hexadecimal, in one place: lowercase, the form of the W3C identifiers and JSON's `\u00xx` escapes, parsed
/// strictly (uppercase refused) and written; and the digits of either case that JSON `\u` escapes and
/// percent-encoding read, with the uppercase ones percent-encoding and error messages write.
public enum Hex {
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
    @inlinable
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
        func word(_ at: Int) -> UInt64 {
            var w: UInt64 = 0
            for k in 0..<8 { w |= UInt64(bytes[at + k]) << UInt64(8 * k) }
            return w
        }
        return parse16(littleEndian: word(start), word(start + 8))
    }

    /// The 16 digits of `bytes` from `start` (in bounds: checked by the callers), read as two words.
    private static func parse16(_ bytes: ArraySlice<UInt8>, from start: Int) -> UInt64? {
        parseUInt64(bytes.span, at: start - bytes.startIndex)
    }

    /// The value of 16 lowercase hex digits given as two words of eight bytes each, first byte in the least
    /// significant bits (a little-endian load of the text), or nil when any byte is not such a digit.
    @inlinable
    public static func parse16(littleEndian first: UInt64, _ second: UInt64) -> UInt64? {
        guard let high = parse8(littleEndian: first), let low = parse8(littleEndian: second) else { return nil }
        return high << 32 | low
    }

    /// The value (below 2³²) of 8 lowercase hex digits given as one word, first byte in the least significant
    /// bits, or nil. Read without a branch per digit (random hex makes a per-digit branch mispredict a third of
    /// the time): every digit of a word is checked and converted at once.
    @inlinable
    public static func parse8(littleEndian x: UInt64) -> UInt64? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        guard x & tops == 0 else { return nil }
        // With every byte below 0x80, adding a constant below 0x80 to each never carries into the next byte, and
        // sets a byte's top bit exactly when the byte is at least (0x80 − constant).
        let atLeast0 = x &+ ones &* (0x80 - 0x30)
        let above9 = x &+ ones &* (0x7F - 0x39)
        let atLeastA = x &+ ones &* (0x80 - 0x61)
        let aboveF = x &+ ones &* (0x7F - 0x66)
        guard ((atLeast0 & ~above9) | (atLeastA & ~aboveF)) & tops == tops else { return nil }
        // '0'…'9' → 0…9; 'a'…'f' (bit 6 set, low nibble 1…6) → 10…15.
        let v = (x & (ones &* 0x0F)) &+ ((x >> 6) & ones) &* 9
        // Bytes hold digits first-to-last from the low end: pack them into one number, first digit highest.
        let pairs = ((v & 0x000F_000F_000F_000F) << 4) | ((v >> 8) & 0x000F_000F_000F_000F)
        let quads = ((pairs & 0x0000_00FF_0000_00FF) << 8) | ((pairs >> 16) & 0x0000_00FF_0000_00FF)
        return ((quads & 0xFFFF) << 16) | ((quads >> 32) & 0xFFFF)
    }

    /// The 8 lowercase hex digits of `value` as one word, first (most significant) digit in the least
    /// significant byte: its little-endian store is the text. The nibbles are spread one per byte and turned
    /// into ASCII in a register.
    @inlinable
    public static func digits8(_ value: UInt32) -> UInt64 {
        var n = UInt64(value)
        n = ((n & 0xFFFF_0000) << 16) | (n & 0xFFFF)
        n = ((n & 0x0000_FF00_0000_FF00) << 8) | (n & 0x0000_00FF_0000_00FF)
        n = ((n & 0x00F0_00F0_00F0_00F0) << 4) | (n & 0x000F_000F_000F_000F)
        // Byte i now holds nibble i (least significant first); digits ≥ 10 get 'a' − '0' − 10 more.
        let letters = ((n &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        let ascii = n &+ 0x3030_3030_3030_3030 &+ letters &* 39
        return ascii.byteSwapped
    }

    /// Appends `value` as 16 lowercase hex digits.
    package static func append(_ value: UInt64, to out: inout [UInt8]) {
        out.append(addingCapacity: 16) { write(value, to: &$0) }
    }

    /// Writes `value` as 16 lowercase hex digits; `out` has room for them.
    package static func write(_ value: UInt64, to out: inout OutputSpan<UInt8>) {
        let high = digits8(UInt32(truncatingIfNeeded: value >> 32))
        let low = digits8(UInt32(truncatingIfNeeded: value))
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: high >> UInt64(8 * k))) }
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: low >> UInt64(8 * k))) }
    }

    /// Appends `byte` as 2 lowercase hex digits.
    @inlinable
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

    /// `bytes` as lowercase hex, two digits each.
    package static func string(bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { append(byte: byte, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }
}
