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
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                switch b {
                case 0x22: raw("\\\"")
                case 0x5C: raw("\\\\")
                case 0x08: raw("\\b")
                case 0x0C: raw("\\f")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                default:
                    raw("\\u00")
                    let digits: StaticString = "0123456789abcdef"
                    digits.withUTF8Buffer { d in
                        bytes.append(d[Int(b >> 4)])
                        bytes.append(d[Int(b & 0xF)])
                    }
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes an integer in minimal form.
    package mutating func integer(_ value: some BinaryInteger) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var digits: [UInt8] = []
        var magnitude = value.magnitude
        while magnitude > 0 {
            digits.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.append(contentsOf: digits.reversed())
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
