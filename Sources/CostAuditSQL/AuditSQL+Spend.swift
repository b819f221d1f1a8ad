import Attribution
import CostAudit
import CostLedger
public import CostReports

// `cost-audit sql --report`: the spend report (`cost-audit report --format csv --by … [--period …]`) over the
// audit's tables, the same rows as the Swift report (docs/reports.md, "report"; docs/scale.md).

extension AuditSQL {
    /// A script whose last query returns the rows of `cost-audit report --format csv --by DIMENSIONS
    /// [--period PERIOD]` on the same inputs, each with its CSV line (``reportCSVHeader(by:period:)`` is the
    /// header line the query does not return).
    ///
    /// The rows are the report's (docs/reports.md): one per deduplicated record in the window, with the fields
    /// as the audit filled them (every required field for the records it attributed; team and project from the
    /// key map for key-allocated ones; the record's own values otherwise), and one per cell of spend the bill
    /// holds and no record carries, at midnight of its day (left out of an hourly report, as the Swift report
    /// leaves it out). Groups are summed per period, highest spend first (ties by their labels, bytewise); the
    /// `(unknown)` group is always present; money is rounded to 9 decimals by largest remainder within each
    /// period.
    public func reportScript(by dimensions: [ReportDimension], period: ReportPeriod?) -> String {
        // Comment lines: a line break in a tag key would end the comment, so none is kept there.
        func oneLine(_ text: String) -> String { text.replacing("\n", with: " ").replacing("\r", with: " ") }
        var out = header(
            lastQuery: "The last query returns the rows of `cost-audit report --format csv --by "
                + oneLine(dimensions.map(\.name).joined(separator: ",")) + (period.map { " --period \($0.name)" } ?? "")
                + "` in order, each with its CSV line.\n-- CSV header: "
                + oneLine(Self.reportCSVHeader(by: dimensions, period: period))
        )
        // The tags are read only for a report by a tag.
        var sql = self
        sql.keepsTags = dimensions.contains { $0.tagKey != nil }
        out += sql.auditStatements()
        out += spendRowsStatement(dimensions, period: period)
        out += spendReportQuery(dimensions, period: period)
        return out
    }

    /// The header line of the report's CSV, which the script's rows follow.
    public static func reportCSVHeader(by dimensions: [ReportDimension], period: ReportPeriod?) -> String {
        let names = dimensions.map(\.name) + (period == nil ? [] : ["period"]) + SpendReport.sumColumnNames
        return names.map { ReportTable.csvField($0, numeric: false) }.joined(separator: ",")
    }

    // MARK: - Rows

    /// The fields each record row keeps for the reports, as the audit's attributed rows keep them: the tracked
    /// fields and the report's own (at most ten), `tool` and `prompt_version` beside them.
    var reportFields: [AttributionField] {
        var fields = required + trackedExtras
        for field in [AttributionField.userID, .feature, .team, .project, .taskType, .agent]
        where !fields.contains(field) {
            fields.append(field)
        }
        return Array(fields.prefix(10))
    }

    /// A record row's value of the attribution field `field`, as the audit's rows give it to the reports.
    func recordValue(_ field: AttributionField) -> String {
        let name = field.name
        if required.contains(field) {
            let keyFilled = field == .team || field == .project
            return """
                CASE WHEN c.class IN ('direct', 'inherited', 'rule') THEN c.y_\(name) \
                WHEN c.class = 'key_allocated' THEN \(keyFilled ? "coalesce(c.y_\(name), k.\(name))" : "c.f_\(name)") \
                ELSE c.f_\(name) END
                """
        }
        if reportFields.contains(field) || field == .tool || field == .promptVersion { return "c.f_\(name)" }
        return "CAST(NULL AS \(dialect.stringType))"
    }

    /// A dimension's value in a record row (`c`, with its key's owner `k`) and in an unrecorded cell (`u`, with
    /// its key's owner `k` when allocated); NULL for none.
    func dimensionValues(_ dimension: ReportDimension) -> (record: String, unrecorded: String) {
        let d = dialect
        let none = "CAST(NULL AS \(d.stringType))"
        let name = dimension.name
        if let key = dimension.tagKey {
            return (d.tagValue("c.tags", key: key), none)
        }
        switch name {
        case LedgerKey.model.name: return ("coalesce(c.canonical, c.model)", "u.model")
        case LedgerKey.provider.name: return ("c.provider", "u.provider")
        case LedgerKey.apiKeyID.name: return ("c.api_key", "CASE WHEN u.api_key <> '' THEN u.api_key END")
        case LedgerKey.serviceTier.name: return ("c.raw_tier", none)
        case AttributionClass.fieldName:
            return ("c.class", "CASE WHEN u.allocated THEN 'key_allocated' ELSE 'unknown' END")
        default:
            guard let field = AttributionField.all.first(where: { $0.name == name }) else { return (none, none) }
            let unrecorded: String
            switch field {
            case .team: unrecorded = "CASE WHEN u.allocated THEN k.team END"
            case .project: unrecorded = "CASE WHEN u.allocated THEN k.project END"
            default: unrecorded = none
            }
            return (recordValue(field), unrecorded)
        }
    }

    /// `ca_spend_rows`: one row per record in the window and per unrecorded cell: the dimensions' values
    /// (`d0`, `d1`, …), the period's start in milliseconds, the dollars, the token counts, the calls and the task.
    func spendRowsStatement(_ dimensions: [ReportDimension], period: ReportPeriod?) -> String {
        let d = dialect
        let values = dimensions.map(dimensionValues)
        let recordDims = values.enumerated().map { "\($1.record) AS d\($0)" }.joined(separator: ", ")
        let unrecordedDims = values.enumerated().map { "\($1.unrecorded) AS d\($0)" }.joined(separator: ", ")
        // A record's task: its root, else its leaf, else its record id (one written as a leaf id names that leaf).
        let task = """
            coalesce(c.root, c.leaf, CASE WHEN \(d.matches("c.record_id", "^[0-9a-f]{16}$")) \
            AND c.record_id <> '0000000000000000' THEN c.record_id ELSE '#' || c.record_id END)
            """
        let records = """
            SELECT \(recordDims), \(periodStart("c.when_ms", period)) AS period_start, c.usd,
              CASE WHEN c.is_unit THEN 0 ELSE c.input_tokens END AS input_tokens,
              CASE WHEN c.is_unit THEN 0 ELSE c.cached_input_tokens END AS cached_input_tokens,
              CASE WHEN c.is_unit THEN 0 ELSE c.cache_write_tokens + c.cache_write_1h_tokens END AS cache_write_tokens,
              CASE WHEN c.is_unit THEN 0 ELSE c.output_tokens END AS output_tokens,
              CASE WHEN c.is_unit THEN 0 ELSE c.reasoning_tokens END AS reasoning_tokens,
              CASE WHEN c.is_unit THEN 0 ELSE 1 END AS calls, \(task) AS task
            FROM ca_classified c LEFT JOIN ca_keys k ON k.api_key = c.api_key
            """
        // Unrecorded spend is known per day: an hourly report leaves it out (its total says so).
        let unrecorded = """
            SELECT \(unrecordedDims), \(periodStart("u.day * 86400000", period)) AS period_start, u.usd,
              CAST(0 AS BIGINT) AS input_tokens, CAST(0 AS BIGINT) AS cached_input_tokens,
              CAST(0 AS BIGINT) AS cache_write_tokens, CAST(0 AS BIGINT) AS output_tokens,
              CAST(0 AS BIGINT) AS reasoning_tokens, 0 AS calls, CAST(NULL AS \(d.stringType)) AS task
            FROM ca_unrecorded u LEFT JOIN ca_keys k ON u.allocated AND k.api_key = u.api_key
            """
        let holdsUnrecorded = period?.holdsDailySpend ?? true
        return table("ca_spend_rows", holdsUnrecorded ? records + "\nUNION ALL\n" + unrecorded : records)
    }

    /// The start, in milliseconds, of the period holding the instant `ms` (milliseconds); 0 without a period.
    func periodStart(_ ms: String, _ period: ReportPeriod?) -> String {
        let d = dialect
        guard let period else { return "CAST(0 AS BIGINT)" }
        let days = d.floorDiv(ms, "86400000")
        switch period.name {
        case ReportPeriod.hour.name: return "\(d.floorDiv(ms, "3600000")) * 3600000"
        case ReportPeriod.day.name: return "\(days) * 86400000"
        case ReportPeriod.week.name:
            // 1970-01-01 was a Thursday: days since the Monday before it, modulo 7.
            return "(\(days) - ((\(days) + 3) % 7 + 7) % 7) * 86400000"
        default:
            return "(\(days) - (dayofmonth(\(d.dateOfDays(days))) - 1)) * 86400000"
        }
    }

    /// The label of the period that starts at `ms` (milliseconds, a period's start): `2026-11-30T14`,
    /// `2026-11-30`, `2026-W48`, `2026-11`.
    func periodLabel(_ ms: String, _ period: ReportPeriod) -> String {
        let d = dialect
        let days = d.floorDiv(ms, "86400000")
        let date = d.dateOfDays(days)
        func pad(_ value: String, _ width: Int) -> String { "lpad(\(d.text(value)), \(width), '0')" }
        let day =
            "\(pad("year(\(date))", 4)) || '-' || \(pad("month(\(date))", 2)) || '-' || \(pad("dayofmonth(\(date))", 2))"
        switch period.name {
        case ReportPeriod.hour.name:
            return "\(day) || 'T' || \(pad(d.truncDiv("(\(ms) - \(days) * 86400000)", "3600000"), 2))"
        case ReportPeriod.day.name:
            return day
        case ReportPeriod.week.name:
            // The ISO week belongs to the year of its Thursday (the period starts on a Monday).
            let thursday = d.dateOfDays("(\(days) + 3)")
            return "\(pad("year(\(thursday))", 4)) || '-W' || \(pad("(dayofyear(\(thursday)) - 1) / 7 + 1", 2))"
        default:
            return "\(pad("year(\(date))", 4)) || '-' || \(pad("month(\(date))", 2))"
        }
    }

    // MARK: - The report

    func spendReportQuery(_ dimensions: [ReportDimension], period: ReportPeriod?) -> String {
        let d = dialect
        let m = d.moneyType
        let dims = dimensions.indices.map { "d\($0)" }
        let labels = dimensions.enumerated().map { index, dimension in
            "coalesce(d\(index), \(d.string(dimension.missingLabel))) AS l\(index)"
        }
        let labelColumns = dimensions.indices.map { "l\($0)" }
        var out = table(
            "ca_spend_groups",
            """
            SELECT \(dims.joined(separator: ", ")), period_start, sum(usd) AS usd,
              sum(input_tokens) AS input_tokens, sum(cached_input_tokens) AS cached_input_tokens,
              sum(cache_write_tokens) AS cache_write_tokens, sum(output_tokens) AS output_tokens,
              sum(reasoning_tokens) AS reasoning_tokens, sum(calls) AS calls,
              count(DISTINCT CASE WHEN usd <> 0 THEN task END) AS tasks
            FROM ca_spend_rows GROUP BY \((dims + ["period_start"]).joined(separator: ", "))
            """
        )
        // The (unknown) group, no value for any dimension, is in every period (and in a report without
        // periods even when there are no rows) when a dimension is one of the five required ones.
        let showsUnknown = dimensions.contains { $0.missingLabel == ReportDimension.unknownLabel }
        var groups = "SELECT * FROM ca_spend_groups"
        if showsUnknown {
            let periods =
                period == nil
                ? "SELECT CAST(0 AS BIGINT) AS period_start"
                : "SELECT DISTINCT period_start FROM ca_spend_groups"
            let nulls = dims.map { "CAST(NULL AS \(d.stringType)) AS \($0)" }.joined(separator: ", ")
            let allMissing = dims.map { "g.\($0) IS NULL" }.joined(separator: " AND ")
            groups += """

                UNION ALL
                SELECT \(nulls), p.period_start, CAST(0 AS \(m)) AS usd, CAST(0 AS BIGINT) AS input_tokens,
                  CAST(0 AS BIGINT) AS cached_input_tokens, CAST(0 AS BIGINT) AS cache_write_tokens,
                  CAST(0 AS BIGINT) AS output_tokens, CAST(0 AS BIGINT) AS reasoning_tokens, 0 AS calls, 0 AS tasks
                FROM (\(periods)) AS p
                WHERE NOT EXISTS (SELECT 1 FROM ca_spend_groups g WHERE g.period_start = p.period_start AND \(allMissing))
                """
        }
        // Labels, the order within each period, and each group's money rounded by largest remainder in its period
        // (ties to the bytewise-first name: the labels joined by U+001F).
        let name = dimensions.enumerated().map { index, dimension in
            "coalesce(d\(index), \(d.string(dimension.missingLabel)))"
        }.joined(separator: " || chr(31) || ")
        // Money, not Spark's 64-bit `div`: the floor is multiplied back by 10⁹ below.
        let floor = "CAST(\(d.floorDiv("usd", "1000000000")) AS \(m))"
        out += table(
            "ca_spend_labelled",
            """
            SELECT a.*,
              floor_units + CASE WHEN missing > 0 AND rem_rank <= missing THEN 1 ELSE 0 END AS units
            FROM (
              SELECT s.*,
                \(roundedUnits9("sum(usd) OVER (PARTITION BY period_start)"))
                  - sum(floor_units) OVER (PARTITION BY period_start) AS missing,
                row_number() OVER (PARTITION BY period_start ORDER BY usd - floor_units * 1000000000 DESC, name) AS rem_rank,
                row_number() OVER (ORDER BY period_start, usd DESC, \(labelColumns.joined(separator: ", "))) AS pos
              FROM (
                SELECT g.*, \(labels.joined(separator: ", ")), \(name) AS name, \(floor) AS floor_units
                FROM (\(groups)) AS g
              ) AS s
            ) AS a
            """
        )
        var columns = labelColumns.enumerated().map { index, label in
            "\(label) AS \(d.identifier(dimensions[index].name))"
        }
        var csv = labelColumns.map { csvField($0) }
        if let period {
            columns.append("\(periodLabel("period_start", period)) AS period")
            csv.append(csvField(periodLabel("period_start", period)))
        }
        let sums = [
            "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "calls",
            "tasks",
        ]
        columns.append("\(units9Text("units")) AS spend_usd")
        csv.append(units9Text("units"))
        for column in sums {
            columns.append(column)
            csv.append(d.text(column))
        }
        out += """
            SELECT \(columns.joined(separator: ", ")),
              \(csv.joined(separator: " || ',' || ")) AS csv_line
            FROM ca_spend_labelled ORDER BY pos;

            """
        return out
    }
}

extension SQLDialect {
    /// The calendar date `days` days after 1970-01-01.
    func dateOfDays(_ days: String) -> String {
        switch engine {
        case .duckdb: return "(DATE '1970-01-01' + CAST(\(days) AS INTEGER))"
        case .spark: return "date_add(DATE '1970-01-01', CAST(\(days) AS INT))"
        }
    }

    /// The string value of the user tag `key` in the tags object `tags` (JSON text); NULL when it is absent or
    /// not a string.
    func tagValue(_ tags: String, key: String) -> String {
        switch engine {
        case .duckdb:
            let value = "CAST(CAST(\(tags) AS JSON) AS MAP(VARCHAR, JSON))[\(string(key))]"
            return "CASE WHEN json_type(\(value)) = 'VARCHAR' THEN json_extract_string(\(value), '$') END"
        case .spark:
            let value = "from_json(\(tags), 'map<string,variant>')[\(string(key))]"
            return "CASE WHEN schema_of_variant(\(value)) = 'STRING' THEN CAST(\(value) AS STRING) END"
        }
    }
}
