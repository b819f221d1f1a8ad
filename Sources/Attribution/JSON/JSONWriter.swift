import WireFormat

/// Appends compact JSON in the project's canonical style: only `"`, `\` and U+0000–U+001F escaped (with the
/// short escapes `\b \f \n \r \t` where JSON has them and `\u00xx` in lowercase hex otherwise), integers in
/// minimal form, no whitespace.
package struct JSONWriter {
    package var bytes: [UInt8]

    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    package mutating func raw(_ byte: UInt8) { bytes.append(byte) }

    package mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Writes a string with canonical escaping.
    package mutating func string(_ value: String) {
        Self.appendString(value, to: &bytes)
    }

    /// Appends a string with canonical escaping: only `"`, `\` and U+0000–U+001F are escaped.
    package static func appendString(_ value: String, to bytes: inout [UInt8]) {
        JSONText.appendString(value, to: &bytes)
    }

    /// Writes an integer in minimal form, without a temporary buffer.
    package mutating func integer(_ value: some BinaryInteger) {
        Self.appendInteger(value, to: &bytes)
    }

    /// Appends an integer in minimal form (`0`, `-12`, never `+1`, `01` or `1.0`).
    package static func appendInteger<T: BinaryInteger>(_ value: T, to bytes: inout [UInt8]) {
        JSONText.appendInteger(value, to: &bytes)
    }

    /// Writes `"key":`.
    package mutating func key(_ key: String) {
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes `"key":` for a key known to need no escaping.
    package mutating func key(_ key: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(key.description)
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
