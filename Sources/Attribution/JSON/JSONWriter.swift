/// Appends compact JSON in the project's canonical style: only `"`, `\` and U+0000–U+001F escaped (with the
/// short escapes `\b \f \n \r \t` where JSON has them and `\u00xx` in lowercase hex otherwise), integers in
/// minimal form, no whitespace.
package struct JSONWriter {
    package var bytes: [UInt8]

    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    package mutating func raw(_ byte: UInt8) { bytes.append(byte) }

    @inline(__always)
    package mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    package mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Writes a string with canonical escaping.
    package mutating func string(_ value: String) {
        Self.appendString(value, to: &bytes)
    }

    /// Appends a string with canonical escaping: only `"`, `\` and U+0000–U+001F are escaped.
    package static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                appendEscape(b, to: &bytes)
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends the canonical escape of one byte that needs one.
    private static func appendEscape(_ b: UInt8, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        switch b {
        case 0x22: bytes.append(UInt8(ascii: "\""))
        case 0x5C: bytes.append(UInt8(ascii: "\\"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            let digits: StaticString = "0123456789abcdef"
            bytes.append(UInt8(ascii: "u"))
            bytes.append(UInt8(ascii: "0"))
            bytes.append(UInt8(ascii: "0"))
            digits.withUTF8Buffer { d in
                bytes.append(d[Int(b >> 4)])
                bytes.append(d[Int(b & 0xF)])
            }
        }
    }

    /// Writes an integer in minimal form, without a temporary buffer.
    package mutating func integer(_ value: some BinaryInteger) {
        Self.appendInteger(value, to: &bytes)
    }

    /// Appends an integer in minimal form (`0`, `-12`, never `+1`, `01` or `1.0`).
    package static func appendInteger<T: BinaryInteger>(_ value: T, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: T.Magnitude = 1
        // divisor * 10 <= magnitude here, so the multiplication cannot overflow.
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: (magnitude / divisor) % 10))
            divisor /= 10
        }
    }

    /// Writes `"key":`.
    package mutating func key(_ key: String) {
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes `"key":` for a key known to need no escaping.
    package mutating func key(_ key: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(key)
        raw("\":")
    }

    /// Writes any parsed value back in canonical style (member order kept, numbers as their text).
    package mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let b): raw(b ? "true" : "false")
        case .number(let text): raw(text)
        case .string(let s): string(s)
        case .array(let items):
            raw(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { raw(UInt8(ascii: ",")) }
                self.value(item)
            }
            raw(UInt8(ascii: "]"))
        case .object(let object):
            raw(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { raw(UInt8(ascii: ",")) }
                key(member.key)
                self.value(member.value)
            }
            raw(UInt8(ascii: "}"))
        }
    }
}
