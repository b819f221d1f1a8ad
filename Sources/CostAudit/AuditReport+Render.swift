import Attribution
import CostLedger
import WireFormat

/// How a report is printed. A set that may grow: compare with `==`.
public struct ReportFormat: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    private enum Base: String, Sendable, Hashable {
        case table, json, csv, markdown
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// A readable table for a terminal.
    public static let table = ReportFormat(.table)
    /// One JSON object: docs/audit.md.
    public static let json = ReportFormat(.json)
    /// `section,name,usd,share,count` rows, for spreadsheets.
    public static let csv = ReportFormat(.csv)
    /// Markdown tables, for a pull request or a wiki page.
    public static let markdown = ReportFormat(.markdown)

    /// Every format.
    public static let all: [ReportFormat] = [.table, .json, .csv, .markdown]
    /// Every format: ``all``, for `CaseIterable`.
    public static var allCases: [ReportFormat] { all }

    /// The format named `name` (`table`, `json`, `csv`, `markdown`), if there is one.
    public init?(name: String) {
        guard let base = Base(rawValue: name) else { return nil }
        self.base = base
    }

    /// The format's name.
    public var name: String { base.rawValue }
    public var description: String { base.rawValue }
}

extension AuditReport {
    /// The report printed in `format`. Money is shown with 9 decimals, half-even, table rows adjusted by
    /// largest remainder so that they add up to their total; shares with 6 decimals, half-even.
    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .json: return renderJSON()
        case .csv: return renderCSV()
        case .markdown: return renderMarkdown()
        default: return renderTable()
        }
    }

    /// The classes rounded by largest remainder to add up to the rounded ``classifiedUSD``.
    var roundedClasses: [String] {
        LargestRemainder.formatted(AttributionClass.all.map { ($0.name, self[$0]) })
    }

    /// The reasons rounded to add up to the rounded unknown class. The unknown class is itself a row of the
    /// class table, so the reasons are adjusted to the value shown there.
    var roundedReasons: [String] {
        let shownUnknown = roundedClasses[AttributionClass.all.count - 1]
        let reasons = UnknownReason.all.map { ($0.name, self[$0]) }
        var units = LargestRemainder.round(reasons)
        // Reconcile with the unknown row as shown, should its own rounding have gone the other way.
        let shown = Money.parse(decimal: shownUnknown, shift: 0)?.attodollars ?? 0
        let target = shown / 1_000_000_000
        var difference = target - units.reduce(0, +)
        if difference != 0 {
            let order = reasons.indices.sorted {
                reasons[$0].1 != reasons[$1].1 ? reasons[$0].1 > reasons[$1].1 : $0 < $1
            }
            for index in order where difference != 0 {
                let step: Int128 = difference > 0 ? 1 : -1
                if step < 0, units[index] == 0 { continue }
                units[index] += step
                difference -= step
            }
        }
        return units.map { Money.format(unitsOf: $0, decimals: 9) }
    }

    private var missingFieldRows: [(String, Money)] {
        required.map { ($0.name, unknownMissingFields[$0.name] ?? .zero) }
    }

    // MARK: - JSON

    func renderJSON() -> String {
        var w = JSONWriter(capacity: 4096)
        // Arrays of small objects: `objects` writes the brackets, braces and commas; `member` one key of an item.
        var firstMember = true
        func member(_ key: StaticString) {
            if !firstMember { w.raw(UInt8(ascii: ",")) }
            firstMember = false
            w.key(key)
        }
        func objects<Item>(_ key: StaticString, _ items: [Item], _ members: (Item) -> Void) {
            w.key(key)
            w.raw(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { w.raw(UInt8(ascii: ",")) }
                w.raw(UInt8(ascii: "{"))
                firstMember = true
                members(item)
                w.raw(UInt8(ascii: "}"))
            }
            w.raw(UInt8(ascii: "]"))
        }
        func money(_ key: StaticString, _ value: Money?) {
            w.key(key)
            if let value { w.string(value.formatted()) } else { w.raw("null") }
            w.raw(UInt8(ascii: ","))
        }
        func share(_ key: StaticString, _ value: AuditShare) {
            w.key(key)
            w.raw(value.formatted)
            w.raw(UInt8(ascii: ","))
        }
        func count(_ key: StaticString, _ value: some BinaryInteger) {
            w.key(key)
            w.integer(value)
            w.raw(UInt8(ascii: ","))
        }
        func object(_ key: StaticString, _ rows: [(String, String)]) {
            w.key(key)
            w.raw(UInt8(ascii: "{"))
            for (i, row) in rows.enumerated() {
                if i > 0 { w.raw(UInt8(ascii: ",")) }
                w.key(row.0)
                w.string(row.1)
            }
            w.raw("},")
        }
        w.raw(UInt8(ascii: "{"))
        money("total_usd", totalUSD)
        money("recorded_usd", recordedUSD)
        share("capture_rate", captureRate)
        money("recorded_outside_usage_usd", recordedOutsideUsageUSD)
        w.key("warnings")
        w.raw(UInt8(ascii: "["))
        for (i, warning) in warnings.enumerated() {
            if i > 0 { w.raw(UInt8(ascii: ",")) }
            w.string(warning)
        }
        w.raw("],")
        object("classes", Array(zip(AttributionClass.all.map(\.name), roundedClasses)))
        object("unknown_by_reason", Array(zip(UnknownReason.all.map(\.name), roundedReasons)))
        share("unknown_share_before", unknownShareBefore)
        share("unknown_share_after", unknownShareAfter)
        money("over_recorded_usd", overRecordedUSD)
        money("retry_identity_conflict_usd", retryIdentityConflictUSD)
        count("records", records)
        count("duplicates", duplicates)
        count("record_id_conflicts", recordIDConflicts)
        count("skipped_lines", skippedLines)
        count("invalid_records", invalidRecords)
        count("unpriced_records", unpricedRecords)
        count("unpriced_tokens", unpricedTokens)
        count("unpriced_usage_tokens", unpricedUsageTokens)
        count("retry_identity_conflicts", retryIdentityConflicts)
        count("lineage_cycles", lineageCycles)
        objects("top_unknown_sources", topUnknownSources) { source in
            member("dimension")
            w.string(source.dimension)
            member("value")
            w.string(source.value)
            member("usd")
            w.string(source.usd.formatted())
        }
        w.raw(UInt8(ascii: ","))
        // Additions beyond docs/audit.md's list.
        object("unknown_missing_fields", missingFieldRows.map { ($0.0, $0.1.formatted()) })
        money("classified_usd", classifiedUSD)
        money("priced_usage_usd", pricedUsageUSD)
        money("billed_usd", billedUSD)
        money("pricing_difference_usd", pricingDifferenceUSD)
        money("rate_recorded_usd", rateRecordedUSD)
        money("rate_usage_usd", rateUsageUSD)
        money("recorded_excluded_from_rate_usd", recordedExcludedFromRateUSD)
        money("usage_excluded_from_rate_usd", usageExcludedFromRateUSD)
        count("priced_from_record", pricedFromRecord)
        count("cached_tokens_at_input_price", cachedTokensAtInputPrice)
        count("skipped_kinds", skippedKinds)
        count("duplicate_usage_rows", duplicateUsageRows)
        w.key("price_source")
        w.string(priceSource)
        w.raw(UInt8(ascii: ","))
        w.key("price_table_built_in")
        w.raw(priceTableIsBuiltIn ? "true" : "false")
        w.raw(UInt8(ascii: ","))
        w.key("required")
        w.raw(UInt8(ascii: "["))
        for (i, field) in required.enumerated() {
            if i > 0 { w.raw(UInt8(ascii: ",")) }
            w.string(field.name)
        }
        w.raw("],")
        w.key("since")
        if let since { w.string(since.description) } else { w.raw("null") }
        w.raw(UInt8(ascii: ","))
        w.key("until")
        if let until { w.string(until.description) } else { w.raw("null") }
        w.raw(UInt8(ascii: ","))
        objects("invalid_record_details", invalidRecordDetails) { detail in
            member("file")
            w.string(detail.file)
            member("line")
            w.integer(detail.line)
            member("field")
            if let field = detail.field { w.string(field) } else { w.raw("null") }
            member("reason")
            w.string(detail.reason)
        }
        w.raw(UInt8(ascii: ","))
        objects("skipped_line_details", skippedLineDetails) { detail in
            member("file")
            w.string(detail.file)
            member("line")
            w.integer(detail.line)
            member("reason")
            w.string(detail.reason)
        }
        w.raw("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    // MARK: - Table

    func renderTable() -> String {
        var out = ""
        // Every line passes through the terminal escape: values from the ledger (agents, models, keys, reasons)
        // cannot move the cursor, recolour the terminal or break a line.
        func line(_ text: String = "") { out += DisplayText.terminal(text) + "\n" }
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        func lpad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
        }
        let classesShown = roundedClasses
        let reasonsShown = roundedReasons
        let moneyWidth = max(14, classifiedUSD.formatted().count + 1)
        line("Cost attribution audit")
        line(String(repeating: "=", count: 22))
        var window = "all time"
        if since != nil || until != nil {
            window =
                "\(since?.description ?? "the beginning") (inclusive) to \(until?.description ?? "now") (exclusive)"
        }
        line("Window:  \(window), UTC")
        if priceTableIsBuiltIn {
            line("Prices:  the BUILT-IN price table (\(priceSource)); pass --prices FILE to price with your own")
        } else {
            line("Prices:  \(priceSource)")
        }
        line()
        line(pad("Total spend", 30) + lpad("$" + totalUSD.formatted(), moneyWidth + 1))
        line(pad("Recorded in the ledger", 30) + lpad("$" + recordedUSD.formatted(), moneyWidth + 1))
        if let pricedUsageUSD {
            line(pad("Provider usage, priced", 30) + lpad("$" + pricedUsageUSD.formatted(), moneyWidth + 1))
            line(
                pad("Capture rate", 30) + lpad(captureRate.percent, moneyWidth + 1)
                    + "  recorded ÷ priced usage, same days, providers and models"
            )
            line(
                pad("  Recorded, in the rate", 30) + lpad("$" + (rateRecordedUSD ?? .zero).formatted(), moneyWidth + 1)
            )
            line(
                pad("  Priced usage, in the rate", 30) + lpad("$" + (rateUsageUSD ?? .zero).formatted(), moneyWidth + 1)
            )
            line(
                pad("  Recorded outside the usage", 30)
                    + lpad("$" + recordedOutsideUsageUSD.formatted(), moneyWidth + 1)
                    + "  days or providers the usage does not cover; not in the rate"
            )
            if recordedExcludedFromRateUSD != .zero || usageExcludedFromRateUSD != .zero {
                line(
                    pad("  Recorded, left out of rate", 30)
                        + lpad("$" + recordedExcludedFromRateUSD.formatted(), moneyWidth + 1)
                        + "  models not priced on both sides (see the warnings)"
                )
                line(
                    pad("  Usage, left out of rate", 30)
                        + lpad("$" + usageExcludedFromRateUSD.formatted(), moneyWidth + 1)
                        + "  priced usage of those models"
                )
            }
        } else {
            line(pad("Capture rate", 30) + lpad(captureRate.percent, moneyWidth + 1) + "  (no usage export given)")
        }
        if let billedUSD {
            line(pad("Billed (cost exports)", 30) + lpad("$" + billedUSD.formatted(), moneyWidth + 1))
            if let pricingDifferenceUSD {
                line(
                    pad("Billed minus priced usage", 30) + lpad("$" + pricingDifferenceUSD.formatted(), moneyWidth + 1)
                )
            }
        }
        if overRecordedUSD != .zero {
            line(
                pad("Over-recorded", 30) + lpad("$" + overRecordedUSD.formatted(), moneyWidth + 1)
                    + "  ledger above the bill in some cells"
            )
        }
        if !warnings.isEmpty {
            line()
            for warning in warnings { line("warning: " + warning) }
        }
        line()
        line(pad("Where the dollars went", 30) + lpad("USD", moneyWidth + 1) + lpad("share", 11))
        let explanations = [
            "fully tagged at the call site",
            "filled in from the unit or its parents",
            "filled in by a mapping rule",
            "only the paying key's team and project",
            "not attributable",
        ]
        for (index, attributionClass) in AttributionClass.all.enumerated() {
            line(
                "  " + pad(attributionClass.name, 28) + lpad(classesShown[index], moneyWidth + 1)
                    + lpad(share(of: attributionClass).percent, 11) + "  " + explanations[index]
            )
        }
        line(
            "  " + pad("total", 28) + lpad(classifiedUSD.formatted(), moneyWidth + 1)
                + lpad(AuditShare(classifiedUSD, of: classifiedUSD).percent, 11)
        )
        line()
        line(
            "Unknown share:  before \(unknownShareBefore.percent) (everything not direct)  →  after "
                + "\(unknownShareAfter.percent)"
        )
        line()
        line(pad("Unknown by reason", 30) + lpad("USD", moneyWidth + 1))
        let reasonExplanations = [
            "call made outside any attributed unit (no leaf_id)",
            "lineage leads to a unit missing from the ledger, or loops",
            "fields missing after lineage, rules and key map",
            "on the bill, never recorded, key not in the key map",
        ]
        for (index, reason) in UnknownReason.all.enumerated() {
            line(
                "  " + pad(reason.name, 28) + lpad(reasonsShown[index], moneyWidth + 1) + "  "
                    + reasonExplanations[index]
            )
        }
        if self[.missingFields] != .zero {
            line()
            line("Missing fields (missing_fields spend lacking each; a record counts under every field it lacks)")
            for (name, amount) in missingFieldRows where amount != .zero {
                line("  " + pad(name, 28) + lpad(amount.formatted(), moneyWidth + 1))
            }
        }
        if !topUnknownSources.isEmpty {
            line()
            line("Top sources of unknown spend: the call sites to fix")
            for source in topUnknownSources {
                line(
                    "  " + pad(source.dimension, 14) + pad(source.value, 40)
                        + lpad(source.usd.formatted(), moneyWidth + 1)
                )
            }
        }
        line()
        line("Counts")
        let counts: [(String, String)] = [
            ("records", "\(records)"),
            ("duplicates", "\(duplicates)"),
            ("record id conflicts", "\(recordIDConflicts)"),
            ("skipped lines", "\(skippedLines)"),
            ("invalid records", "\(invalidRecords)"),
            ("skipped kinds", "\(skippedKinds)"),
            ("unpriced records", "\(unpricedRecords) (\(unpricedTokens) tokens)"),
            ("unpriced usage tokens", "\(unpricedUsageTokens)"),
            ("priced from stored cost_usd", "\(pricedFromRecord)"),
            ("cached tokens at input price", "\(cachedTokensAtInputPrice)"),
            ("retry identity conflicts", "\(retryIdentityConflicts) ($\(retryIdentityConflictUSD.formatted()))"),
            ("lineage cycles", "\(lineageCycles)"),
        ]
        for (name, value) in counts { line("  " + pad(name, 30) + value) }
        if !skippedLineDetails.isEmpty {
            line()
            line("Skipped lines (first \(skippedLineDetails.count) of \(skippedLines))")
            for detail in skippedLineDetails { line("  \(detail)") }
        }
        if !invalidRecordDetails.isEmpty {
            line()
            line("Invalid records (first \(invalidRecordDetails.count) of \(invalidRecords))")
            for detail in invalidRecordDetails.prefix(20) {
                line("  \(detail.file):\(detail.line): \(detail.field.map { "\($0): " } ?? "")\(detail.reason)")
            }
        }
        return out
    }

    // MARK: - CSV

    func renderCSV() -> String {
        var out = "section,name,usd,share,count\n"
        func field(_ text: String) -> String { DisplayText.csvField(text) }
        func row(_ section: String, _ name: String, _ usd: String = "", _ share: String = "", _ count: String = "") {
            out += [section, field(name), usd, share, count].joined(separator: ",") + "\n"
        }
        row("total", "total_usd", totalUSD.formatted())
        row("total", "recorded_usd", recordedUSD.formatted())
        row("total", "capture_rate", "", captureRate.formatted)
        row("total", "recorded_outside_usage_usd", recordedOutsideUsageUSD.formatted())
        row("total", "priced_usage_usd", pricedUsageUSD?.formatted() ?? "")
        row("total", "rate_recorded_usd", rateRecordedUSD?.formatted() ?? "")
        row("total", "rate_usage_usd", rateUsageUSD?.formatted() ?? "")
        row("total", "recorded_excluded_from_rate_usd", recordedExcludedFromRateUSD.formatted())
        row("total", "usage_excluded_from_rate_usd", usageExcludedFromRateUSD.formatted())
        row("total", "billed_usd", billedUSD?.formatted() ?? "")
        row("total", "pricing_difference_usd", pricingDifferenceUSD?.formatted() ?? "")
        row("total", "over_recorded_usd", overRecordedUSD.formatted())
        row("total", "retry_identity_conflict_usd", retryIdentityConflictUSD.formatted())
        row("total", "unknown_share_before", "", unknownShareBefore.formatted)
        row("total", "unknown_share_after", "", unknownShareAfter.formatted)
        for (index, attributionClass) in AttributionClass.all.enumerated() {
            row("class", attributionClass.name, roundedClasses[index], share(of: attributionClass).formatted)
        }
        for (index, reason) in UnknownReason.all.enumerated() {
            row(
                "unknown_reason",
                reason.name,
                roundedReasons[index],
                AuditShare(self[reason], of: classifiedUSD).formatted
            )
        }
        for (name, amount) in missingFieldRows { row("unknown_missing_field", name, amount.formatted()) }
        for source in topUnknownSources { row("top_unknown_\(source.dimension)", source.value, source.usd.formatted()) }
        let counts: [(String, String)] = [
            ("records", "\(records)"), ("duplicates", "\(duplicates)"), ("record_id_conflicts", "\(recordIDConflicts)"),
            ("skipped_lines", "\(skippedLines)"), ("invalid_records", "\(invalidRecords)"),
            ("unpriced_records", "\(unpricedRecords)"), ("unpriced_tokens", "\(unpricedTokens)"),
            ("unpriced_usage_tokens", "\(unpricedUsageTokens)"),
            ("retry_identity_conflicts", "\(retryIdentityConflicts)"), ("lineage_cycles", "\(lineageCycles)"),
            ("priced_from_record", "\(pricedFromRecord)"),
            ("cached_tokens_at_input_price", "\(cachedTokensAtInputPrice)"),
            ("skipped_kinds", "\(skippedKinds)"), ("duplicate_usage_rows", "\(duplicateUsageRows)"),
        ]
        for (name, value) in counts { row("count", name, "", "", value) }
        for warning in warnings { row("warning", warning) }
        // Where the skipped lines are, the first ones (all are counted above): `FILE:LINE: reason`.
        for detail in skippedLineDetails { row("skipped_line", detail.description) }
        return out
    }

    // MARK: - Markdown

    func renderMarkdown() -> String {
        var out = "## Cost attribution audit\n\n"
        func cell(_ text: String) -> String { DisplayText.markdownCell(text) }
        if priceTableIsBuiltIn {
            out += "> Priced with the **built-in** price table (`\(priceSource)`).\n\n"
        } else {
            out += "Priced with `\(cell(priceSource))`.\n\n"
        }
        for warning in warnings { out += "> **Warning:** \(cell(warning))\n\n" }
        out += "| | USD |\n|---|---:|\n"
        out += "| Total spend | \(totalUSD.formatted()) |\n"
        out += "| Recorded in the ledger | \(recordedUSD.formatted()) |\n"
        if let pricedUsageUSD {
            out += "| Provider usage, priced | \(pricedUsageUSD.formatted()) |\n"
            out += "| Capture rate: recorded | \((rateRecordedUSD ?? .zero).formatted()) |\n"
            out += "| Capture rate: priced usage | \((rateUsageUSD ?? .zero).formatted()) |\n"
            out += "| Recorded outside the usage (not in the rate) | \(recordedOutsideUsageUSD.formatted()) |\n"
            if recordedExcludedFromRateUSD != .zero || usageExcludedFromRateUSD != .zero {
                out += "| Recorded, left out of the rate | \(recordedExcludedFromRateUSD.formatted()) |\n"
                out += "| Usage, left out of the rate | \(usageExcludedFromRateUSD.formatted()) |\n"
            }
        }
        if let billedUSD { out += "| Billed | \(billedUSD.formatted()) |\n" }
        if let pricingDifferenceUSD { out += "| Billed minus priced usage | \(pricingDifferenceUSD.formatted()) |\n" }
        out += "| Over-recorded | \(overRecordedUSD.formatted()) |\n"
        out += "\nCapture rate **\(captureRate.percent)**. Unknown share **\(unknownShareBefore.percent)** before, "
        out += "**\(unknownShareAfter.percent)** after.\n\n"
        out += "| Class | USD | Share |\n|---|---:|---:|\n"
        for (index, attributionClass) in AttributionClass.all.enumerated() {
            out += "| \(attributionClass.name) | \(roundedClasses[index]) | \(share(of: attributionClass).percent) |\n"
        }
        out += "| **total** | **\(classifiedUSD.formatted())** | |\n\n"
        out += "| Unknown reason | USD |\n|---|---:|\n"
        for (index, reason) in UnknownReason.all.enumerated() {
            out += "| \(reason.name) | \(roundedReasons[index]) |\n"
        }
        if !topUnknownSources.isEmpty {
            out += "\n| Top unknown source | Value | USD |\n|---|---|---:|\n"
            for source in topUnknownSources {
                out += "| \(source.dimension) | \(cell(source.value)) | \(source.usd.formatted()) |\n"
            }
        }
        out += "\n| Count | |\n|---|---:|\n"
        let counts: [(String, String)] = [
            ("records", "\(records)"), ("duplicates", "\(duplicates)"), ("record_id_conflicts", "\(recordIDConflicts)"),
            ("skipped_lines", "\(skippedLines)"), ("invalid_records", "\(invalidRecords)"),
            ("unpriced_records", "\(unpricedRecords)"), ("unpriced_tokens", "\(unpricedTokens)"),
            ("unpriced_usage_tokens", "\(unpricedUsageTokens)"),
            ("retry_identity_conflicts", "\(retryIdentityConflicts)"), ("lineage_cycles", "\(lineageCycles)"),
            ("priced_from_record", "\(pricedFromRecord)"),
        ]
        for (name, value) in counts { out += "| \(name) | \(value) |\n" }
        if !skippedLineDetails.isEmpty {
            out += "\n| Skipped line (first \(skippedLineDetails.count) of \(skippedLines)) | Reason |\n|---|---|\n"
            for detail in skippedLineDetails {
                out += "| \(cell("\(detail.file):\(detail.line)")) | \(cell(detail.reason)) |\n"
            }
        }
        return out
    }
}
