import WireFormat

/// A table of text cells printed as a terminal table, Markdown or CSV: the shared renderer of every report.
/// Cells are escaped for their format: control characters never reach a terminal, a `|` or line break never
/// breaks a Markdown row, and a CSV text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`)
/// is prefixed with `'` (numeric cells are written as numbers).
public struct ReportTable: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var name: String
        /// Numbers: right-aligned, and never neutralized in CSV.
        public var numeric: Bool

        public init(_ name: String, numeric: Bool = false) {
            self.name = name
            self.numeric = numeric
        }
    }

    public var title: String
    public var columns: [Column]
    public var rows: [[String]]
    /// Lines printed under the table (table and Markdown) or as `# ` comment-free notes after it.
    public var notes: [String]

    public init(title: String, columns: [Column], rows: [[String]] = [], notes: [String] = []) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.notes = notes
    }

    /// Aligned columns for a terminal, under the title.
    public func renderText() -> String {
        let header = columns.map { Self.terminalSafe($0.name) }
        let body = rows.map { $0.map(Self.terminalSafe) }
        var widths = header.map(\.count)
        for row in body {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() where i < columns.count {
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                parts.append(columns[i].numeric ? pad + cell : cell + pad)
            }
            var text = parts.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text + "\n"
        }
        var out = Self.terminalSafe(title) + "\n" + String(repeating: "=", count: title.count) + "\n"
        out += line(header)
        out += line(widths.map { String(repeating: "-", count: $0) })
        for row in body { out += line(row) }
        for note in notes { out += "\n" + Self.terminalSafe(note) }
        if !notes.isEmpty { out += "\n" }
        return out
    }

    /// A Markdown table under a `###` title, the notes as block quotes.
    public func renderMarkdown() -> String {
        let cell = DisplayText.markdownCell
        var out = "### " + cell(title) + "\n\n"
        out += "| " + columns.map { cell($0.name) }.joined(separator: " | ") + " |\n"
        out += "|" + columns.map { $0.numeric ? "---:|" : "---|" }.joined() + "\n"
        for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
        for note in notes { out += "\n> " + cell(note) + "\n" }
        return out
    }

    /// A header row and one row per table row; notes are not written (CSV has no place for them).
    public func renderCSV() -> String {
        var out = columns.map { Self.csvField($0.name, numeric: false) }.joined(separator: ",") + "\n"
        for row in rows {
            var cells: [String] = []
            for (i, value) in row.enumerated() where i < columns.count {
                cells.append(Self.csvField(value, numeric: columns[i].numeric))
            }
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    /// One CSV field: quoted when it holds a comma, quote or line break; a text cell a spreadsheet would
    /// evaluate (starting `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`.
    public static func csvField(_ text: String, numeric: Bool) -> String {
        DisplayText.csvField(text, numeric: numeric)
    }

    /// The text with every control character (escape sequences included) and bidirectional control shown as
    /// `\u{…}`, so a value cannot move the cursor, recolour a terminal or reorder what a reader sees.
    public static func terminalSafe(_ text: String) -> String { DisplayText.terminal(text) }
}
