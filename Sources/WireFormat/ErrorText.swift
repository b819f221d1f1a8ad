/// Values quoted for error messages, the same way everywhere in the package.
package enum ErrorText {
    /// `value` in double quotes, at most `limit` characters (then `…`), with quotes, backslashes and control
    /// characters escaped so the message stays on one line.
    package static func quote(_ value: some StringProtocol, limit: Int = 80) -> String {
        var out = "\""
        var count = 0
        for scalar in value.unicodeScalars {
            if count == limit {
                out += "…"
                break
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            count += 1
        }
        out += "\""
        return out
    }

    /// UTF-8 bytes quoted as ``quote(_:limit:)`` quotes text (invalid UTF-8 shown as U+FFFD).
    package static func quote(bytes: some Collection<UInt8>, limit: Int = 80) -> String {
        quote(String(decoding: bytes.prefix(limit * 4), as: UTF8.self), limit: limit)
    }
}
