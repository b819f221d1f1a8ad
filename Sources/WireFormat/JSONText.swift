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
        let utf8 = value.utf8.span
        var length = 2 + utf8.count
        for i in utf8.indices where needsEscape(utf8[i]) {
            let b = utf8[i]
            switch b {
            case 0x22, 0x5C, 0x08, 0x0C, 0x0A, 0x0D, 0x09: length += 1
            default: length += 5
            }
        }
        return length
    }

    /// Appends the canonical escape of one byte that needs one.
    package static func appendEscape(_ b: UInt8, to out: inout [UInt8]) {
        out.append(addingCapacity: 6) { writeEscape(b, to: &$0) }
    }

    /// Writes the canonical escape of one byte that needs one; `out` has room for it (2 or 6 bytes).
    package static func writeEscape(_ b: UInt8, to out: inout OutputSpan<UInt8>) {
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
            out.append(Hex.digit(b >> 4))
            out.append(Hex.digit(b & 0xF))
        }
    }

    /// Writes `value` quoted, with canonical escaping; `out` has room for ``quotedLength(_:)`` bytes.
    package static func writeString(_ value: String, to out: inout OutputSpan<UInt8>) {
        out.append(UInt8(ascii: "\""))
        let utf8 = value.utf8.span
        for i in utf8.indices {
            let b = utf8[i]
            if needsEscape(b) {
                writeEscape(b, to: &out)
            } else {
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The number of bytes ``writeInteger(_:to:)`` writes for `value`.
    package static func integerLength(_ value: Int) -> Int {
        var length = value < 0 ? 2 : 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        return length
    }

    /// Writes an integer in minimal form; `out` has room for ``integerLength(_:)`` bytes.
    package static func writeInteger(_ value: Int, to out: inout OutputSpan<UInt8>) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: (magnitude / divisor) % 10))
            divisor /= 10
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
