/// Canonical JSON string escaping into raw memory: only `"`, `\` and U+0000–U+001F are escaped (the short
/// forms where JSON has them, else `\u00XX`), as ``JSONWriter`` writes them. The envelope's encoders share it.
enum JSONEscaping {
    /// Writes `utf8` escaped at `base + start` (the caller has room for six bytes per input byte) and returns
    /// where the written text ends.
    @inline(__always)
    static func write(_ utf8: UnsafeBufferPointer<UInt8>, to base: UnsafeMutablePointer<UInt8>, at start: Int) -> Int {
        var i = start
        for b in utf8 {
            if b >= 0x20, b != 0x22, b != 0x5C {
                base[i] = b
                i &+= 1
                continue
            }
            base[i] = UInt8(ascii: "\\")
            let short: UInt8
            switch b {
            case 0x22: short = UInt8(ascii: "\"")
            case 0x5C: short = UInt8(ascii: "\\")
            case 0x08: short = UInt8(ascii: "b")
            case 0x0C: short = UInt8(ascii: "f")
            case 0x0A: short = UInt8(ascii: "n")
            case 0x0D: short = UInt8(ascii: "r")
            case 0x09: short = UInt8(ascii: "t")
            default: short = 0
            }
            if short != 0 {
                base[i &+ 1] = short
                i &+= 2
            } else {
                let digits: StaticString = "0123456789abcdef"
                base[i &+ 1] = UInt8(ascii: "u")
                base[i &+ 2] = UInt8(ascii: "0")
                base[i &+ 3] = UInt8(ascii: "0")
                base[i &+ 4] = digits.utf8Start[Int(b >> 4)]
                base[i &+ 5] = digits.utf8Start[Int(b & 0xF)]
                i &+= 6
            }
        }
        return i
    }
}
