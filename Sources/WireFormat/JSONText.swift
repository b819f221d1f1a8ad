/// JSON text written in the package's canonical style: only `"`, `\` and U+0000–U+001F escaped (the short
/// escapes `\b \f \n \r \t` where JSON has them, `\u00xx` in lowercase hex otherwise), integers in minimal
/// form. The one escape encoder of the package.
package enum JSONText {
    /// Whether `b` must be escaped inside a string.
    package static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

    /// Appends `value` quoted, with canonical escaping.
    package static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let utf8 = value.utf8
        if !utf8.contains(where: needsEscape) {
            // The usual value: copied whole.
            out.append(contentsOf: utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        var runStart = utf8.startIndex
        var i = runStart
        while i != utf8.endIndex {
            let b = utf8[i]
            if needsEscape(b) {
                out.append(contentsOf: utf8[runStart..<i])
                appendEscape(b, to: &out)
                runStart = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        out.append(contentsOf: utf8[runStart..<utf8.endIndex])
        out.append(UInt8(ascii: "\""))
    }

    /// The length of `value` written by ``appendString(_:to:)``, quotes included.
    package static func quotedLength(_ value: String) -> Int {
        var length = 2 + value.utf8.count
        for b in value.utf8 where needsEscape(b) {
            switch b {
            case 0x22, 0x5C, 0x08, 0x0C, 0x0A, 0x0D, 0x09: length += 1
            default: length += 5
            }
        }
        return length
    }

    /// Appends the canonical escape of one byte that needs one.
    package static func appendEscape(_ b: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch b {
        case 0x22: out.append(UInt8(ascii: "\""))
        case 0x5C: out.append(UInt8(ascii: "\\"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            out.append(UInt8(ascii: "u"))
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "0"))
            Hex.append(byte: b, to: &out)
        }
    }

    /// Appends an integer in minimal form (`0`, `-12`, never `+1`, `01` or `1.0`).
    package static func appendInteger<T: BinaryInteger>(_ value: T, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: T.Magnitude = 1
        // divisor * 10 <= magnitude here, so the multiplication cannot overflow.
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: (magnitude / divisor) % 10))
            divisor /= 10
        }
    }
}
