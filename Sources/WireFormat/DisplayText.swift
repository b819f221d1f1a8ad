/// Text from the inputs made safe for where it is shown, the same way in every renderer: a terminal, a Markdown
/// table, a CSV cell. Ledger values are written by other systems; none of them may move a terminal's cursor,
/// break a table's rows, or run as a spreadsheet formula.
package enum DisplayText {
    /// Whether `scalar` must not reach a terminal as it is: C0 and C1 control characters (ESC, CSI, …), DEL, and
    /// the bidirectional controls that reorder what a reader sees (U+202A–U+202E, U+2066–U+2069).
    package static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
            || (0x2066...0x2069).contains(value)
    }

    /// `text` with every unsafe scalar (``isUnsafe(_:)``) written as `\u{…}`, so it stays on its line and shows
    /// what it holds.
    package static func terminal(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text` for one Markdown table cell: `|` escaped, line breaks as spaces, other unsafe scalars as for a
    /// terminal.
    package static func markdownCell(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "|": out += "\\|"
            case "\n", "\r": out += " "
            default:
                if isUnsafe(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A text cell that a
    /// spreadsheet would evaluate (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
    /// `'`; a numeric cell (`numeric`, such as a negative difference) is left a number.
    package static func csvField(_ text: String, numeric: Bool = false) -> String {
        var value = text
        if !numeric, let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        var quoted = "\""
        for character in value {
            if character == "\"" { quoted += "\"\"" } else { quoted.append(character) }
        }
        return quoted + "\""
    }
}
