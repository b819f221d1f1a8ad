import Attribution
import CostAudit
import CostLedger

extension Dashboard {
    /// Colours of the series, in order; `(unknown)` is always grey and `(other)` light grey.
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    ]

    static func colour(_ name: String, _ index: Int) -> String {
        switch name {
        case ReportDimension.unknownLabel, ReportDimension.noneLabel: return "#7f7f7f"
        case ReportDimension.otherLabel: return "#c7c7c7"
        default: return palette[index % palette.count]
        }
    }

    /// The page: one HTML document with inline CSS and SVG, no script, nothing fetched. Every text from the
    /// data is escaped.
    public func html() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>LLM spend dashboard</title>
            <style>
            body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0 auto;\
            max-width:1280px;padding:16px 24px;background:#fff}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 6px}
            section{margin:18px 0;padding:12px 14px;border:1px solid #ddd;border-radius:6px;break-inside:avoid}
            .meta{color:#555;margin:0 0 8px}.pair{display:grid;grid-template-columns:1fr 1fr;gap:14px}
            .cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
            .card{border:1px solid #ddd;border-radius:6px;padding:8px 12px}.card b{display:block;font-size:22px}
            svg{width:100%;height:auto;display:block}svg text{font-size:11px;fill:#333}
            .axis{stroke:#888;stroke-width:1}.grid{stroke:#e5e5e5;stroke-width:1}
            .legend{list-style:none;margin:4px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px}
            .legend li{display:flex;align-items:center;gap:5px}.sw{width:12px;height:12px;display:inline-block;\
            border-radius:2px}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eee}
            td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
            nav a{margin-right:12px;color:#1f5fa8}.empty{color:#666;font-style:italic}
            @media (max-width:900px){.pair,.cards{grid-template-columns:1fr}}
            @media print{body{max-width:none;padding:0;font-size:10pt}nav{display:none}section{border-color:#999;\
            page-break-inside:avoid}.pair{grid-template-columns:1fr 1fr}}
            </style>
            </head>
            <body>

            """
        let endLabel = ReportPeriod.hour.label(of: end) + ":00Z"
        page += "<h1>LLM spend dashboard</h1>\n"
        page +=
            "<p class=\"meta\">Reconciled spend before \(Self.escape(endLabel)); daily charts over the last "
            + "\(days) days (UTC), hourly ones over the last 24 hours (recorded spend only).</p>\n"
        page += "<nav><a href=\"#headline\">Headline</a><a href=\"#alerts\">Alerts</a><a href=\"#spend\">Spend</a>"
        page += "<a href=\"#unknown\">Unknown share</a><a href=\"#per-user\">Cost per active user</a>"
        page += "<a href=\"#top\">Top features and users</a><a href=\"#tools\">Tool share</a></nav>\n"
        page += headline()
        page += alertSection()
        page += "<section id=\"spend\"><h2>Spend over time</h2>\n<div class=\"pair\">\n"
        page += "<div>" + Self.stackedBars("Daily spend by team", labels: dayLabels, series: teamDaily) + "</div>\n"
        page +=
            "<div>" + Self.stackedBars("Daily spend by feature", labels: dayLabels, series: featureDaily) + "</div>\n"
        page +=
            "<div>" + Self.stackedBars("Last 24 hours by team", labels: hourLabels, series: teamHourly) + "</div>\n"
        page +=
            "<div>" + Self.stackedBars("Last 24 hours by feature", labels: hourLabels, series: featureHourly)
            + "</div>\n"
        page += "</div></section>\n"
        page += "<section id=\"unknown\"><h2>Unknown share over time</h2>\n"
        page += "<p class=\"meta\">Spend the audit could not attribute, as a percentage of each day's spend.</p>\n"
        page += Self.lineChart("Unknown share by day", labels: dayLabels, values: unknownShare) + "</section>\n"
        page += perUserSection()
        page += "<section id=\"top\"><h2>Top features and users</h2>\n"
        page += "<p class=\"meta\">Over the last \(days) days: $\(windowUSD.formatted(decimals: 2)) in all.</p>\n"
        page += "<div class=\"pair\"><div>" + Self.topTable("feature", topFeatures) + "</div><div>"
        page += Self.topTable("user", topUsers) + "</div></div></section>\n"
        page += "<section id=\"tools\"><h2>Tool share by week</h2>\n"
        page +=
            "<p class=\"meta\">Each tool's share of the ISO week's total spend; (none) is spend without a tool.</p>\n"
        page +=
            Self.stackedBars(
                "Tool share of weekly spend",
                labels: weekLabels,
                series: toolShares,
                percent: true,
                width: 1200
            )
            + "</section>\n"
        page += "</body>\n</html>\n"
        return page
    }

    func headline() -> String {
        var out = "<section id=\"headline\"><h2>Audit headline</h2>\n<div class=\"cards\">\n"
        let cards = [
            ("Spend audited", "$" + report.classifiedUSD.formatted(decimals: 2)),
            ("Capture rate", report.captureRate.percent),
            ("Unknown share before the audit", report.unknownShareBefore.percent),
            ("Unknown share after the audit", report.unknownShareAfter.percent),
        ]
        for (name, value) in cards {
            out += "<div class=\"card\">\(Self.escape(name))<b>\(Self.escape(value))</b></div>\n"
        }
        return out + "</div></section>\n"
    }

    func alertSection() -> String {
        var out = "<section id=\"alerts\"><h2>Current alerts</h2>\n"
        if let error = alertsNotEvaluated {
            return out + "<p class=\"empty\">Alerts not evaluated: \(Self.escape(error.description))</p></section>\n"
        }
        guard !alerts.isEmpty else { return out + "<p class=\"empty\">No alerts.</p></section>\n" }
        out += "<table><tr><th>detector</th><th>subject</th><th>since</th><th>what moved</th>"
        out += "<th class=\"n\">USD at stake</th></tr>\n"
        for alert in alerts {
            out += "<tr><td>\(Self.escape(alert.detector))</td><td>\(Self.escape(alert.subject))</td>"
            out += "<td>\(Self.escape(alert.since))</td><td>\(Self.escape(alert.summary))</td>"
            out += "<td class=\"n\">$\(alert.usdAtStake.formatted(decimals: 2))</td></tr>\n"
        }
        return out + "</table></section>\n"
    }

    func perUserSection() -> String {
        var out = "<section id=\"per-user\"><h2>Cost per active user by hour</h2>\n"
        out +=
            "<p class=\"meta\">Recorded spend ÷ users with spend in the hour, over the last 24 hours; the band "
            + "spans the lowest to the highest of the same hour on the previous 7 days, the dashed line is their "
            + "median.</p>\n"
        let width = 1200.0
        let height = 260.0
        let plot = Plot(width: width, height: height)
        let highest = hours.flatMap { [$0.value, $0.high].compactMap { $0 } }.max() ?? 0
        let scale = Self.niceScale(highest)
        var svg = plot.open(title: "Cost per active user by hour")
        svg += plot.yAxis(scale: scale, format: Self.dollars)
        let step = plot.innerWidth / Double(max(1, hours.count))
        func x(_ index: Int) -> Double { plot.left + step * (Double(index) + 0.5) }
        func y(_ value: Double) -> Double { plot.y(value, scale: scale.max) }
        var upper: [String] = []
        var lower: [String] = []
        for (index, point) in hours.enumerated() {
            guard let low = point.low, let high = point.high else { continue }
            upper.append(Self.point(x(index), y(high)))
            lower.insert(Self.point(x(index), y(low)), at: 0)
        }
        if !upper.isEmpty {
            svg += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"#1f77b4\" opacity=\"0.15\"/>\n"
        }
        let medians = hours.enumerated().compactMap { index, point in point.median.map { Self.point(x(index), y($0)) } }
        if !medians.isEmpty {
            svg += "<polyline points=\"\(medians.joined(separator: " "))\" fill=\"none\" stroke=\"#1f77b4\" "
            svg += "stroke-dasharray=\"5 4\" stroke-width=\"1.5\"/>\n"
        }
        let values = hours.enumerated().compactMap { index, point in point.value.map { Self.point(x(index), y($0)) } }
        if !values.isEmpty {
            svg += "<polyline points=\"\(values.joined(separator: " "))\" fill=\"none\" stroke=\"#d62728\" "
            svg += "stroke-width=\"2\"/>\n"
        }
        for (index, point) in hours.enumerated() {
            guard let value = point.value else { continue }
            svg += "<circle cx=\"\(Self.number(x(index)))\" cy=\"\(Self.number(y(value)))\" r=\"3\" fill=\"#d62728\">"
            svg += "<title>\(Self.escape(point.label)): \(Self.escape(Self.dollars(value))) per user, "
            svg += "\(point.activeUsers) active users</title></circle>\n"
        }
        svg += plot.xLabels(hours.map(\.label), short: Self.shortHour)
        svg += plot.axisTitles(x: "UTC hour", y: "USD per active user")
        svg += "</svg>\n"
        out += svg
        out += Self.legend([
            ("cost per active user", "#d62728"), ("median of the previous 7 days", "#1f77b4"),
            ("lowest to highest of the previous 7 days", "#aecde6"),
        ])
        return out + "</section>\n"
    }

    static func topTable(_ what: String, _ rows: [TopRow]) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">No spend.</p>" }
        var out = "<table><tr><th>\(escape(what))</th><th class=\"n\">spend</th><th class=\"n\">share</th></tr>\n"
        for row in rows {
            out += "<tr><td>\(escape(row.name))</td><td class=\"n\">$\(row.usd.formatted(decimals: 2))</td>"
            out += "<td class=\"n\">\(escape(row.share.percent))</td></tr>\n"
        }
        return out + "</table>"
    }

    // MARK: - Charts

    /// The geometry of a chart: an SVG view box with margins for the axes.
    struct Plot {
        var width: Double
        var height: Double
        let left = 74.0
        let right = 12.0
        let top = 26.0
        let bottom = 46.0
        var innerWidth: Double { width - left - right }
        var innerHeight: Double { height - top - bottom }

        func y(_ value: Double, scale: Double) -> Double {
            guard scale > 0 else { return top + innerHeight }
            return top + innerHeight * (1 - min(max(value / scale, 0), 1))
        }

        func open(title: String) -> String {
            "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
                + "<text x=\"\(Int(left))\" y=\"16\" font-weight=\"bold\">\(escape(title))</text>\n"
        }

        func yAxis(scale: (max: Double, step: Double), format: (Double) -> String) -> String {
            var out = ""
            var value = 0.0
            while value <= scale.max * 1.000001 {
                let y = self.y(value, scale: scale.max)
                out += "<line class=\"grid\" x1=\"\(number(left))\" x2=\"\(number(width - right))\" "
                out += "y1=\"\(number(y))\" y2=\"\(number(y))\"/>"
                out += "<text x=\"\(number(left - 6))\" y=\"\(number(y + 4))\" text-anchor=\"end\">"
                out += "\(escape(format(value)))</text>\n"
                if scale.step <= 0 { break }
                value += scale.step
            }
            out += "<line class=\"axis\" x1=\"\(number(left))\" x2=\"\(number(left))\" y1=\"\(number(top))\" "
            out += "y2=\"\(number(top + innerHeight))\"/>"
            out += "<line class=\"axis\" x1=\"\(number(left))\" x2=\"\(number(width - right))\" "
            out += "y1=\"\(number(top + innerHeight))\" y2=\"\(number(top + innerHeight))\"/>\n"
            return out
        }

        /// Labels under the columns, thinned to at most 12.
        func xLabels(_ labels: [String], short: (String) -> String) -> String {
            guard !labels.isEmpty else { return "" }
            let step = innerWidth / Double(labels.count)
            let every = max(1, Int((Double(labels.count) / 12).rounded(.up)))
            var out = ""
            for (index, label) in labels.enumerated() where index % every == 0 {
                let x = left + step * (Double(index) + 0.5)
                out += "<text x=\"\(number(x))\" y=\"\(number(top + innerHeight + 15))\" text-anchor=\"middle\">"
                out += "\(escape(short(label)))</text>\n"
            }
            return out
        }

        func axisTitles(x: String, y: String) -> String {
            "<text x=\"\(number(left + innerWidth / 2))\" y=\"\(number(height - 8))\" text-anchor=\"middle\">"
                + "\(escape(x))</text>\n"
                + "<text transform=\"translate(14 \(number(top + innerHeight / 2))) rotate(-90)\" "
                + "text-anchor=\"middle\">\(escape(y))</text>\n"
        }
    }

    /// A stacked bar chart: one bar per label, one segment per series, its legend below.
    static func stackedBars(
        _ title: String,
        labels: [String],
        series: [Series],
        percent: Bool = false,
        width: Double = 600
    ) -> String {
        let plot = Plot(width: width, height: 280)
        var totals = [Double](repeating: 0, count: labels.count)
        for entry in series {
            for (index, value) in entry.values.enumerated() where index < totals.count { totals[index] += value }
        }
        var scale: (max: Double, step: Double) = (100, 25)
        if !percent { scale = niceScale(totals.max() ?? 0) }
        let format: @Sendable (Double) -> String
        if percent { format = { percentLabel($0) } } else { format = { dollars($0) } }
        var svg = plot.open(title: title)
        svg += plot.yAxis(scale: scale, format: format)
        if series.isEmpty || totals.allSatisfy({ $0 == 0 }) {
            svg += "<text x=\"\(number(plot.left + plot.innerWidth / 2))\" y=\"\(number(plot.top + 40))\" "
            svg += "text-anchor=\"middle\">no spend</text>\n"
        }
        let step = plot.innerWidth / Double(max(1, labels.count))
        let barWidth = max(1, step * 0.8)
        var base = [Double](repeating: 0, count: labels.count)
        for (seriesIndex, entry) in series.enumerated() {
            let fill = colour(entry.name, seriesIndex)
            for (index, value) in entry.values.enumerated() where index < labels.count && value > 0 {
                let top = plot.y(base[index] + value, scale: scale.max)
                let bottom = plot.y(base[index], scale: scale.max)
                base[index] += value
                let x = plot.left + step * Double(index) + (step - barWidth) / 2
                svg += "<rect x=\"\(number(x))\" y=\"\(number(top))\" width=\"\(number(barWidth))\" "
                svg += "height=\"\(number(max(0, bottom - top)))\" fill=\"\(fill)\"><title>"
                svg += "\(escape(labels[index])) \(escape(entry.name)): \(escape(format(value)))</title></rect>\n"
            }
        }
        let hourly = labels.first?.contains("T") == true
        let weekly = labels.first?.contains("W") == true
        svg += plot.xLabels(labels, short: hourly ? Self.shortHour : Self.shortDay)
        let axis = weekly ? "ISO week" : (hourly ? "UTC hour" : "UTC day")
        svg += plot.axisTitles(x: axis, y: percent ? "share of the week's spend" : "USD")
        svg += "</svg>\n"
        return svg + legend(series.enumerated().map { ($0.element.name, colour($0.element.name, $0.offset)) })
    }

    /// A line of one value per label (nil: no point), in percent.
    static func lineChart(_ title: String, labels: [String], values: [Double?]) -> String {
        let plot = Plot(width: 1200, height: 240)
        let scale = niceScale(values.compactMap { $0 }.max() ?? 0)
        var svg = plot.open(title: title)
        svg += plot.yAxis(scale: scale) { value in
            (value < 10 && scale.step < 1 ? String(Double(Int(value * 10)) / 10) : String(Int(value.rounded()))) + "%"
        }
        let step = plot.innerWidth / Double(max(1, labels.count))
        var points: [String] = []
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            let x = plot.left + step * (Double(index) + 0.5)
            let y = plot.y(value, scale: scale.max)
            points.append(point(x, y))
            svg += "<circle cx=\"\(number(x))\" cy=\"\(number(y))\" r=\"2.5\" fill=\"#7f7f7f\"><title>"
            svg += "\(escape(labels[index])): \(escape(String(Double(Int(value * 100)) / 100)))%</title></circle>\n"
        }
        if !points.isEmpty {
            svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"#7f7f7f\" "
            svg += "stroke-width=\"2\"/>\n"
        }
        svg += plot.xLabels(labels, short: shortDay)
        svg += plot.axisTitles(x: "UTC day", y: "unknown share of spend")
        return svg + "</svg>\n"
    }

    static func legend(_ entries: [(String, String)]) -> String {
        guard !entries.isEmpty else { return "" }
        var out = "<ul class=\"legend\">"
        for (name, colour) in entries {
            out += "<li><span class=\"sw\" style=\"background:\(colour)\"></span>\(escape(name))</li>"
        }
        return out + "</ul>\n"
    }

    // MARK: - Numbers and text

    /// An axis from 0 to a round maximum at or above `value`, with 4 or 5 steps of 1, 2 or 5 × 10ⁿ.
    static func niceScale(_ value: Double) -> (max: Double, step: Double) {
        guard value > 0, value.isFinite else { return (1, 0.25) }
        var magnitude = 1.0
        while magnitude * 10 <= value / 4 { magnitude *= 10 }
        while magnitude > value / 4 && magnitude > 1e-9 { magnitude /= 10 }
        for factor in [1.0, 2.0, 2.5, 5.0, 10.0] {
            let step = magnitude * factor
            if step * 5 >= value { return ((value / step).rounded(.up) * step, step) }
        }
        return ((value / (magnitude * 10)).rounded(.up) * magnitude * 10, magnitude * 10)
    }

    /// Dollars for an axis or a tooltip: `$1,234`, `$12.50`, `$0.004`.
    static func dollars(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let money = Money(attodollars: MonthForecast.attodollars(value))
        if value >= 1000 {
            var digits = money.formatted(decimals: 0)
            var grouped = ""
            while digits.count > 3 {
                grouped = "," + digits.suffix(3) + grouped
                digits.removeLast(3)
            }
            return "$" + digits + grouped
        }
        if value == 0 || value >= 0.01 { return "$" + money.formatted(decimals: 2) }
        return "$" + money.formatted(decimals: 4)
    }

    static func percentLabel(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e12 else { return "-" }
        return String(Int(value.rounded())) + "%"
    }

    static func shortDay(_ label: String) -> String { label.count >= 10 ? String(label.dropFirst(5)) : label }
    static func shortHour(_ label: String) -> String { label.count >= 13 ? String(label.suffix(2)) + ":00" : label }

    static func number(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e12 else { return "0" }
        return String(Double(Int((value * 10).rounded())) / 10)
    }

    static func point(_ x: Double, _ y: Double) -> String { number(x) + "," + number(y) }

    /// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped, control characters dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.properties.generalCategory == .control { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
