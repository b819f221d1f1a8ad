import Attribution
import CostAudit

// Reconciliation with the bill, the capture rate, and the report's rows.

extension AuditSQL {
    func reconcileStatements() -> String {
        let d = dialect
        let m = d.moneyType
        let zero = "CAST(0 AS \(m))"
        var out = table(
            "ca_recorded",
            """
            SELECT c.day, c.provider, coalesce(c.canonical, c.model) AS model, c.api_key, c.pricing, c.usd, c.tokens,
              cov.day IS NOT NULL AS covered, coalesce(cov.keyed, FALSE) AS keyed
            FROM ca_classified c LEFT JOIN ca_coverage cov ON cov.day = c.day AND cov.provider = c.provider
            WHERE NOT c.is_unit
            """
        )
        // Keyed cells on days whose usage has keys; every other priced record nets last, in its (day, provider, model).
        out += table(
            "ca_recorded_cells",
            """
            SELECT day, provider, model, api_key, sum(usd) AS usd FROM ca_recorded
            WHERE covered AND pricing = 'priced' AND keyed AND api_key IS NOT NULL
            GROUP BY day, provider, model, api_key
            """
        )
        out += table(
            "ca_pools",
            """
            SELECT day, provider, model, sum(usd) AS pooled FROM ca_recorded
            WHERE covered AND pricing = 'priced' AND NOT (keyed AND api_key IS NOT NULL)
            GROUP BY day, provider, model
            """
        )
        out += table(
            "ca_gaps",
            """
            SELECT coalesce(u.day, r.day) AS day, coalesce(u.provider, r.provider) AS provider,
              coalesce(u.model, r.model) AS model, coalesce(u.api_key, r.api_key) AS api_key,
              coalesce(u.usd, \(zero)) - coalesce(r.usd, \(zero)) AS gap
            FROM ca_usage_cells u FULL OUTER JOIN ca_recorded_cells r
              ON u.day = r.day AND u.provider = r.provider AND u.model = r.model AND u.api_key = r.api_key
            """
        )
        // The pooled records take the positive gaps of their group in bytewise order of the key (none first).
        out += table(
            "ca_netted",
            """
            SELECT g.day, g.provider, g.model, g.api_key,
              g.gap - least(g.gap, greatest(\(zero), coalesce(p.pooled, \(zero)) - coalesce(g.before, \(zero)))) AS remaining
            FROM (
              SELECT *, sum(gap) OVER (PARTITION BY day, provider, model ORDER BY api_key
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
              FROM ca_gaps WHERE gap > 0
            ) AS g
            LEFT JOIN ca_pools p ON p.day = g.day AND p.provider = g.provider AND p.model = g.model
            """
        )
        out += table(
            "ca_unrecorded",
            """
            SELECT n.day, n.provider, n.model, n.api_key, n.remaining AS usd,
              (n.api_key <> '' AND k.api_key IS NOT NULL) AS allocated
            FROM ca_netted n LEFT JOIN ca_keys k ON k.api_key = n.api_key
            WHERE n.remaining > 0
            """
        )
        out += table(
            "ca_over",
            """
            SELECT coalesce((SELECT sum(0 - gap) FROM ca_gaps WHERE gap < 0), \(zero))
              + coalesce((SELECT sum(greatest(\(zero), p.pooled - coalesce(g.total, \(zero))))
                  FROM ca_pools p LEFT JOIN (
                    SELECT day, provider, model, sum(gap) AS total FROM ca_gaps WHERE gap > 0 GROUP BY day, provider, model
                  ) AS g ON g.day = p.day AND g.provider = p.provider AND g.model = p.model), \(zero)) AS over_recorded
            """
        )
        // The capture rate's cells: both sides per (day, provider, model) on covered days.
        out += table(
            "ca_rate_cells",
            """
            SELECT coalesce(u.day, l.day) AS day, coalesce(u.provider, l.provider) AS provider,
              coalesce(u.model, l.model) AS model,
              coalesce(l.priced_usd, \(zero)) AS l_priced, coalesce(l.fr_usd, \(zero)) AS l_fr_usd,
              coalesce(l.fr_tokens, 0) AS l_fr_tokens, coalesce(l.fr_records, 0) AS l_fr_records,
              coalesce(l.up_tokens, 0) AS l_up_tokens, coalesce(l.up_records, 0) AS l_up_records,
              coalesce(u.priced_rows, 0) AS u_priced_rows, coalesce(u.priced_tokens, 0) AS u_priced_tokens,
              coalesce(u.priced_usd, \(zero)) AS u_priced, coalesce(u.unpriced_rows, 0) AS u_unpriced_rows,
              coalesce(u.unpriced_tokens, 0) AS u_unpriced_tokens
            FROM ca_usage_rate u FULL OUTER JOIN (
              SELECT day, provider, model,
                sum(CASE WHEN pricing = 'priced' THEN usd ELSE \(zero) END) AS priced_usd,
                sum(CASE WHEN pricing = 'from_record' THEN usd ELSE \(zero) END) AS fr_usd,
                sum(CASE WHEN pricing = 'from_record' THEN tokens ELSE 0 END) AS fr_tokens,
                sum(CASE WHEN pricing = 'from_record' THEN 1 ELSE 0 END) AS fr_records,
                sum(CASE WHEN pricing = 'unpriced' THEN tokens ELSE 0 END) AS up_tokens,
                sum(CASE WHEN pricing = 'unpriced' THEN 1 ELSE 0 END) AS up_records
              FROM ca_recorded WHERE covered GROUP BY day, provider, model
            ) AS l ON u.day = l.day AND u.provider = l.provider AND u.model = l.model
            """
        )
        out += table(
            "ca_rate_split",
            """
            SELECT c.*, l_priced + l_fr_usd AS recorded,
              CASE WHEN ml.day IS NOT NULL THEN 'modelless'
                WHEN l_fr_records = 0 AND l_up_records = 0 AND u_unpriced_rows = 0 THEN 'rate' ELSE 'excluded' END AS part
            FROM ca_rate_cells c
            LEFT JOIN (SELECT DISTINCT day, provider FROM ca_modelless) AS ml ON ml.day = c.day AND ml.provider = c.provider
            """
        )
        return out
    }

    // MARK: - Formatting

    /// Money (attodollars) as the report shows it: 9 decimals, half-even.
    func money(_ column: String) -> String {
        units9Text(roundedUnits9(column))
    }

    /// `column` in attodollars rounded half-even to 10⁻⁹ units.
    func roundedUnits9(_ column: String) -> String {
        let d = dialect
        let q = d.truncDiv(column, "1000000000")
        let r = "(\(column) - \(q) * 1000000000)"
        return """
            (CASE WHEN abs(\(r)) * 2 > 1000000000 OR (abs(\(r)) * 2 = 1000000000 AND \(q) % 2 <> 0) \
            THEN (CASE WHEN \(column) < 0 THEN \(q) - 1 ELSE \(q) + 1 END) ELSE \(q) END)
            """
    }

    /// A count of 10⁻ᵖ units as a decimal with `places` places.
    func unitsText(_ units: String, places: Int) -> String {
        let d = dialect
        var scale = "1"
        for _ in 0..<places { scale += "0" }
        return """
            (CASE WHEN \(units) < 0 THEN '-' ELSE '' END || \(d.text(d.truncDiv("abs(\(units))", scale))) || '.' \
            || \(d.zeroPad("(abs(\(units)) - \(d.truncDiv("abs(\(units))", scale)) * \(scale))", places)))
            """
    }

    func units9Text(_ units: String) -> String { unitsText(units, places: 9) }

    /// `part ÷ whole` in millionths, half-even; 0 when `whole` is 0 (`whole` is never negative here).
    func millionths(_ part: String, _ whole: String) -> String {
        let d = dialect
        let scaled = "(\(part) * 1000000)"
        let q = d.truncDiv(scaled, whole)
        let r = "(\(scaled) - \(q) * \(whole))"
        return """
            (CASE WHEN \(whole) = 0 THEN 0 WHEN abs(\(r)) * 2 > \(whole) OR (abs(\(r)) * 2 = \(whole) AND \(q) % 2 <> 0) \
            THEN (CASE WHEN \(scaled) < 0 THEN \(q) - 1 ELSE \(q) + 1 END) ELSE \(q) END)
            """
    }

    func share(_ part: String, _ whole: String) -> String { unitsText(millionths(part, whole), places: 6) }

    /// The CSV field of a name as the report writes it (a leading `= + - @` tab or CR neutralised with `'`; a
    /// field with a comma, quote or line break quoted).
    func csvField(_ name: String) -> String {
        let d = dialect
        let guarded = "(CASE WHEN \(d.matches(name, "^[-=+@\t\r]")) THEN '''' || \(name) ELSE \(name) END)"
        return """
            (CASE WHEN \(d.matches(guarded, "[,\"\n\r]")) THEN '"' || replace(\(guarded), '"', '""') || '"' \
            ELSE \(guarded) END)
            """
    }

    // MARK: - The report

    func reportQuery() -> String {
        let d = dialect
        let m = d.moneyType
        let zero = "CAST(0 AS \(m))"
        let sawUsage = usage.sawUsage
        var out = ""
        // Every figure, one row.
        out += table(
            "ca_figures",
            """
            SELECT
              (SELECT count(*) FROM ca_classified) AS records,
              (SELECT coalesce(sum(usd), \(zero)) FROM ca_classified) AS recorded_usd,
              (SELECT coalesce(sum(CASE WHEN pricing = 'unpriced' THEN 1 ELSE 0 END), 0) FROM ca_classified) AS unpriced_records,
              (SELECT coalesce(sum(CASE WHEN pricing = 'unpriced' THEN tokens ELSE 0 END), 0) FROM ca_classified) AS unpriced_tokens,
              (SELECT coalesce(sum(CASE WHEN pricing = 'from_record' THEN 1 ELSE 0 END), 0) FROM ca_classified) AS priced_from_record,
              (SELECT coalesce(sum(at_input), 0) FROM ca_classified) AS cached_at_input,
              (SELECT coalesce(sum(CASE WHEN disagrees THEN 1 ELSE 0 END), 0) FROM ca_classified) AS retry_conflicts,
              (SELECT coalesce(sum(CASE WHEN disagrees THEN usd ELSE \(zero) END), \(zero)) FROM ca_classified) AS retry_usd,
              (SELECT skipped_lines FROM ca_outcomes) AS skipped_lines,
              (SELECT invalid_records FROM ca_outcomes) AS invalid_records,
              (SELECT skipped_kinds FROM ca_outcomes) AS skipped_kinds,
              (SELECT duplicates FROM ca_dedupe) AS duplicates,
              (SELECT conflicts FROM ca_dedupe) AS conflicts,
              (SELECT count(*) FROM ca_resolved WHERE walk_end = 'cycle') AS lineage_cycles,
              (SELECT coalesce(sum(CASE WHEN NOT covered AND pricing <> 'unpriced' THEN usd ELSE \(zero) END), \(zero))
                 FROM ca_recorded) AS outside_usage,
              (SELECT coalesce(sum(CASE WHEN (NOT covered AND pricing <> 'unpriced') OR (covered AND pricing = 'from_record')
                 THEN usd ELSE \(zero) END), \(zero)) FROM ca_recorded) AS not_reconciled,
              (SELECT over_recorded FROM ca_over) AS over_recorded,
              (SELECT coalesce(sum(CASE WHEN allocated THEN usd ELSE \(zero) END), \(zero)) FROM ca_unrecorded) AS unrecorded_allocated,
              (SELECT coalesce(sum(CASE WHEN allocated THEN \(zero) ELSE usd END), \(zero)) FROM ca_unrecorded) AS unrecorded_unknown,
              (SELECT coalesce(sum(CASE WHEN part = 'rate' THEN l_priced ELSE \(zero) END), \(zero)) FROM ca_rate_split) AS rate_recorded,
              (SELECT coalesce(sum(CASE WHEN part = 'rate' THEN u_priced ELSE \(zero) END), \(zero)) FROM ca_rate_split) AS rate_usage,
              (SELECT coalesce(sum(CASE WHEN part <> 'rate' THEN recorded ELSE \(zero) END), \(zero)) FROM ca_rate_split) AS recorded_excluded,
              (SELECT coalesce(sum(CASE WHEN part <> 'rate' THEN u_priced ELSE \(zero) END), \(zero)) FROM ca_rate_split) AS usage_excluded,
              \(d.money(usage.pricedUsage)) AS priced_usage
            """
        )
        // The classes with the unrecorded spend added, and the reasons.
        let classNames = AttributionClass.all.map(\.name)
        let classRows = classNames.enumerated().map { index, name in
            let extra: String
            switch name {
            case "key_allocated": extra = " + f.unrecorded_allocated"
            case "unknown": extra = " + f.unrecorded_unknown"
            default: extra = ""
            }
            return "SELECT \(index) AS idx, \(d.string(name)) AS name, "
                + "coalesce((SELECT sum(usd) FROM ca_classified WHERE class = \(d.string(name))), \(zero))\(extra) AS amount "
                + "FROM ca_figures f"
        }
        out += table("ca_class_amounts", classRows.joined(separator: "\nUNION ALL\n"))
        let reasonNames = UnknownReason.all.map(\.name)
        let reasonRows = reasonNames.enumerated().map { index, name in
            let amount =
                name == "unrecorded"
                ? "f.unrecorded_unknown"
                : "coalesce((SELECT sum(usd) FROM ca_classified WHERE class = 'unknown' AND reason = \(d.string(name))), \(zero))"
            return "SELECT \(index) AS idx, \(d.string(name)) AS name, \(amount) AS amount FROM ca_figures f"
        }
        out += table("ca_reason_amounts", reasonRows.joined(separator: "\nUNION ALL\n"))
        out += largestRemainder("ca_class_amounts", into: "ca_class_shown")
        out += largestRemainder("ca_reason_amounts", into: "ca_reason_lr")
        // The reasons adjusted to the unknown class as shown.
        out += table(
            "ca_reason_shown",
            """
            SELECT idx, name, amount,
              units + CASE WHEN diff > 0 AND adj_rank <= diff THEN 1
                WHEN diff < 0 AND units > 0 AND neg_rank <= 0 - diff THEN -1 ELSE 0 END AS units
            FROM (
              SELECT r.*, (SELECT units FROM ca_class_shown WHERE name = 'unknown') - sum(r.units) OVER () AS diff,
                row_number() OVER (ORDER BY amount DESC, idx) AS adj_rank,
                row_number() OVER (ORDER BY CASE WHEN units > 0 THEN 0 ELSE 1 END, amount DESC, idx) AS neg_rank
              FROM ca_reason_lr r
            ) AS a
            """
        )
        out += table(
            "ca_totals",
            """
            SELECT f.*, f.priced_usage + f.not_reconciled AS total_usd,
              f.priced_usage + f.not_reconciled + f.over_recorded AS classified_usd,
              (SELECT amount FROM ca_class_amounts WHERE name = 'direct') AS direct_usd,
              (SELECT amount FROM ca_class_amounts WHERE name = 'unknown') AS unknown_usd
            FROM ca_figures f
            """
        )
        // Unknown spend of reason missing_fields lacking each required field.
        let missing = required.enumerated().map { index, field in
            "SELECT \(index) AS idx, \(d.string(field.name)) AS name, coalesce((SELECT sum(usd) FROM ca_classified "
                + "WHERE class = 'unknown' AND reason = 'missing_fields' AND y_\(field.name) IS NULL), \(zero)) AS amount"
        }
        out += table("ca_missing_fields", missing.joined(separator: "\nUNION ALL\n"))
        out += topSourcesStatements()
        out += warningStatements()
        out += table("ca_report", reportRows(sawUsage: sawUsage))
        out += """
            SELECT section, name, usd, share, count,
              section || ',' || \(csvField("name")) || ',' || coalesce(usd, '') || ',' || coalesce(share, '') || ','
                || coalesce(count, '') AS csv_line
            FROM ca_report ORDER BY part, pos;

            """
        return out
    }

    /// Rows (idx, name, amount) rounded to 10⁻⁹ units adding up to their rounded sum: each row's floor, and one
    /// unit more to the rows with the largest remainders, ties to the bytewise-first name.
    func largestRemainder(_ source: String, into name: String) -> String {
        let d = dialect
        // Money, not Spark's 64-bit `div`: the floor is multiplied back by 10⁹ below.
        let floor = "CAST(\(d.floorDiv("amount", "1000000000")) AS \(d.moneyType))"
        return table(
            name,
            """
            SELECT idx, name, amount,
              floor_units + CASE WHEN missing > 0 AND rem_rank <= missing THEN 1 ELSE 0 END AS units
            FROM (
              SELECT s.*, \(roundedUnits9("sum(amount) OVER ()")) - sum(floor_units) OVER () AS missing,
                row_number() OVER (ORDER BY amount - floor_units * 1000000000 DESC, name) AS rem_rank
              FROM (SELECT idx, name, amount, \(floor) AS floor_units FROM \(source)) AS s
            ) AS a
            """
        )
    }

    func topSourcesStatements() -> String {
        let d = dialect
        let m = d.moneyType
        var parts: [String] = []
        // The four dimensions of records, in report order (the fifth, missing fields, follows).
        let names = UnknownSource.dimensions
        let dimensions: [(String, String)] = [
            (names[0], "y_agent"), (names[1], "model"), (names[2], "api_key"), (names[3], "y_task_type"),
        ]
        for (index, dimension) in dimensions.enumerated() {
            parts.append(
                "SELECT \(index) AS dim, \(d.string(dimension.0)) AS dimension, \(dimension.1) AS value, usd "
                    + "FROM ca_classified WHERE class = 'unknown' AND usd <> 0 AND \(dimension.1) IS NOT NULL"
            )
        }
        parts.append(
            "SELECT 1 AS dim, 'model' AS dimension, model AS value, usd FROM ca_unrecorded WHERE NOT allocated"
        )
        parts.append(
            "SELECT 2 AS dim, 'api_key_id' AS dimension, api_key AS value, usd FROM ca_unrecorded "
                + "WHERE NOT allocated AND api_key <> ''"
        )
        for field in required {
            parts.append(
                "SELECT 4 AS dim, 'missing_field' AS dimension, \(d.string(field.name)) AS value, "
                    + "coalesce((SELECT sum(usd) FROM ca_classified WHERE class = 'unknown' AND usd <> 0 "
                    + "AND y_\(field.name) IS NULL), CAST(0 AS \(m))) AS usd"
            )
        }
        return table(
            "ca_top",
            """
            SELECT dim, dimension, value, usd,
              row_number() OVER (PARTITION BY dim ORDER BY usd DESC, value) AS rnk
            FROM (
              SELECT dim, dimension, value, sum(usd) AS usd FROM (
                \(parts.joined(separator: "\n    UNION ALL\n    "))
              ) AS s GROUP BY dim, dimension, value
            ) AS g WHERE usd > 0
            """
        )
    }

    func warningStatements() -> String {
        let d = dialect
        let m = d.moneyType
        var parts: [String] = []
        // 1: the capture rate above 100%, or undefined.
        let rate = millionths("rate_recorded", "rate_usage")
        let above = """
            'capture rate ' || \(unitsText(rate, places: 4)) || '% is above 100%: the ledger records $' \
            || \(money("rate_recorded")) || ' where the priced usage of the same days, providers and models is $' \
            || \(money("rate_usage")) || '; look for calls recorded twice under different record ids, usage exports \
            missing pages or keys, or prices above the provider''s'
            """
        let undefined = """
            'capture rate undefined (shown as 0%): the ledger records $' || \(money("rate_recorded")) \
            || ' on days, providers and models the usage covers, and the usage prices none of it'
            """
        parts.append(
            """
            SELECT 1 AS wpart, '' AS sort_key, CASE WHEN rate_usage = 0 THEN \(undefined) ELSE \(above) END AS warning
            FROM ca_totals WHERE rate_recorded > rate_usage AND (rate_usage = 0 OR \(rate) > 1000000)
            """
        )
        // 2: none of the usage could be priced (the usage's alone, worked out here).
        if let warning = usage.nothingPricedWarning {
            parts.append("SELECT 2 AS wpart, '' AS sort_key, \(d.string(warning)) AS warning")
        }
        // 3: usage rows with no model, per provider.
        parts.append(
            """
            SELECT 3 AS wpart, ml.provider AS sort_key, ml.provider || ' usage on ' || \(d.text("ml.days")) || ' day'
              || CASE WHEN ml.days = 1 THEN '' ELSE 's' END || ' has rows with no model (' || \(d.text("ml.tokens"))
              || ' tokens), which cannot be priced: export the usage grouped by model; $'
              || \(money("coalesce(rs.recorded, CAST(0 AS \(m)))"))
              || ' recorded on those days is left out of the capture rate' AS warning
            FROM (SELECT provider, count(DISTINCT day) AS days, sum(tokens) AS tokens FROM ca_modelless GROUP BY provider) AS ml
            LEFT JOIN (SELECT provider, sum(recorded) AS recorded FROM ca_rate_split WHERE part = 'modelless' GROUP BY provider)
              AS rs ON rs.provider = ml.provider
            """
        )
        // 4: models priced on one side only.
        let ledgerPriced = "(l_priced + l_fr_usd <> 0 OR l_fr_records > 0)"
        let usagePriced = "(u_priced_rows > 0)"
        let ledgerText = """
            CASE WHEN l_priced <> 0 OR l_fr_records > 0 OR l_up_records > 0 THEN \
            concat_ws(' and ', \
            CASE WHEN l_priced <> 0 THEN 'prices $' || \(money("l_priced")) || ' of it with the table' END, \
            CASE WHEN l_fr_records > 0 THEN 'prices ' || \(d.text("l_fr_tokens")) || ' tokens at $' || \(money("l_fr_usd")) \
            || ' from their stored cost_usd (the price table lacks the model)' END, \
            CASE WHEN l_up_records > 0 THEN 'has ' || \(d.text("l_up_tokens")) || ' tokens the price table cannot price' END) \
            ELSE 'has no record of it' END
            """
        let usageText = """
            CASE WHEN u_priced_rows > 0 OR u_unpriced_rows > 0 THEN \
            concat_ws(' and ', \
            CASE WHEN u_priced_rows > 0 THEN 'prices ' || \(d.text("u_priced_tokens")) || ' tokens at $' || \(money("u_priced")) END, \
            CASE WHEN u_unpriced_rows > 0 THEN 'has ' || \(d.text("u_unpriced_tokens")) || ' tokens the price table cannot price' END) \
            ELSE 'has no row of it' END
            """
        parts.append(
            """
            SELECT 4 AS wpart, provider || '/' || model AS sort_key,
              provider || '/' || model || ' is '
              || CASE WHEN \(ledgerPriced) AND NOT \(usagePriced) THEN 'priced in the ledger only'
                 WHEN \(usagePriced) AND NOT \(ledgerPriced) THEN 'priced in the usage only' ELSE 'partly unpriced' END
              || ', so it is left out of the capture rate: the ledger ' || \(ledgerText) || '; the usage ' || \(usageText) AS warning
            FROM (
              SELECT provider, model, sum(l_priced) AS l_priced, sum(l_fr_usd) AS l_fr_usd, sum(l_fr_tokens) AS l_fr_tokens,
                sum(l_fr_records) AS l_fr_records, sum(l_up_tokens) AS l_up_tokens, sum(l_up_records) AS l_up_records,
                sum(u_priced_rows) AS u_priced_rows, sum(u_priced_tokens) AS u_priced_tokens, sum(u_priced) AS u_priced,
                sum(u_unpriced_rows) AS u_unpriced_rows, sum(u_unpriced_tokens) AS u_unpriced_tokens
              FROM ca_rate_split
              WHERE part = 'excluded' AND (recorded <> 0 OR l_fr_records > 0 OR u_priced_rows > 0)
              GROUP BY provider, model
            ) AS o
            """
        )
        return table("ca_warnings", parts.joined(separator: "\nUNION ALL\n"))
    }

    /// The report's rows in order: (part, pos, section, name, usd, share, count).
    func reportRows(sawUsage: Bool) -> String {
        let d = dialect
        var rows: [String] = []
        var pos = 0
        func row(_ name: String, usd: String = "NULL", share: String = "NULL", count: String = "NULL") {
            pos += 1
            rows.append(
                "SELECT 0 AS part, \(pos) AS pos, 'total' AS section, \(d.string(name)) AS name, \(usd) AS usd, "
                    + "\(share) AS share, \(count) AS count FROM ca_totals"
            )
        }
        let captureRate: String
        if sawUsage {
            captureRate = """
                (CASE WHEN rate_usage = 0 THEN (CASE WHEN rate_recorded = 0 THEN '1.000000' ELSE '0.000000' END) \
                ELSE \(share("rate_recorded", "rate_usage")) END)
                """
        } else {
            captureRate = "'1.000000'"
        }
        row("total_usd", usd: money("total_usd"))
        row("recorded_usd", usd: money("recorded_usd"))
        row("capture_rate", share: captureRate)
        row("recorded_outside_usage_usd", usd: money("outside_usage"))
        row("priced_usage_usd", usd: sawUsage ? money("priced_usage") : "NULL")
        row("rate_recorded_usd", usd: sawUsage ? money("rate_recorded") : "NULL")
        row("rate_usage_usd", usd: sawUsage ? money("rate_usage") : "NULL")
        row("recorded_excluded_from_rate_usd", usd: money("recorded_excluded"))
        row("usage_excluded_from_rate_usd", usd: money("usage_excluded"))
        row("billed_usd", usd: usage.billed.map { money(d.money($0)) } ?? "NULL")
        row("pricing_difference_usd", usd: usage.pricingDifference.map { money(d.money($0)) } ?? "NULL")
        row("over_recorded_usd", usd: money("over_recorded"))
        row("retry_identity_conflict_usd", usd: money("retry_usd"))
        row("unknown_share_before", share: share("(classified_usd - direct_usd)", "classified_usd"))
        row("unknown_share_after", share: share("unknown_usd", "classified_usd"))
        rows.append(
            """
            SELECT 1 AS part, c.idx AS pos, 'class' AS section, c.name, \(units9Text("c.units")) AS usd,
              \(share("c.amount", "t.classified_usd")) AS share, NULL AS count
            FROM ca_class_shown c CROSS JOIN ca_totals t
            """
        )
        rows.append(
            """
            SELECT 2 AS part, r.idx AS pos, 'unknown_reason' AS section, r.name, \(units9Text("r.units")) AS usd,
              \(share("r.amount", "t.classified_usd")) AS share, NULL AS count
            FROM ca_reason_shown r CROSS JOIN ca_totals t
            """
        )
        rows.append(
            """
            SELECT 3 AS part, idx AS pos, 'unknown_missing_field' AS section, name, \(money("amount")) AS usd,
              NULL AS share, NULL AS count
            FROM ca_missing_fields
            """
        )
        rows.append(
            """
            SELECT 4 AS part, dim * 100 + rnk AS pos, 'top_unknown_' || dimension AS section, value AS name,
              \(money("usd")) AS usd, NULL AS share, NULL AS count
            FROM ca_top WHERE rnk <= 10
            """
        )
        let counts: [(String, String)] = [
            ("records", "records"), ("duplicates", "duplicates"), ("record_id_conflicts", "conflicts"),
            ("skipped_lines", "skipped_lines"), ("invalid_records", "invalid_records"),
            ("unpriced_records", "unpriced_records"), ("unpriced_tokens", "unpriced_tokens"),
            ("unpriced_usage_tokens", d.integer(usage.unpricedUsageTokens)),
            ("retry_identity_conflicts", "retry_conflicts"), ("lineage_cycles", "lineage_cycles"),
            ("priced_from_record", "priced_from_record"), ("cached_tokens_at_input_price", "cached_at_input"),
            ("skipped_kinds", "skipped_kinds"), ("duplicate_usage_rows", d.integer(Int64(usage.duplicateUsageRows))),
        ]
        for (index, count) in counts.enumerated() {
            rows.append(
                "SELECT 5 AS part, \(index) AS pos, 'count' AS section, \(d.string(count.0)) AS name, NULL AS usd, "
                    + "NULL AS share, \(d.text(count.1)) AS count FROM ca_totals"
            )
        }
        rows.append(
            """
            SELECT 6 AS part, row_number() OVER (ORDER BY wpart, sort_key) AS pos, 'warning' AS section, warning AS name,
              NULL AS usd, NULL AS share, NULL AS count
            FROM ca_warnings
            """
        )
        // The first ten skipped lines, by file and line: where they are (the reason is the Swift reader's wording).
        rows.append(
            """
            SELECT 7 AS part, rnk AS pos, 'skipped_line' AS section, file || ':' || \(d.text("line")) AS name,
              NULL AS usd, NULL AS share, NULL AS count
            FROM (
              SELECT file, line, row_number() OVER (ORDER BY file, line) AS rnk FROM ca_skipped
            ) AS s WHERE rnk <= 10
            """
        )
        let typed = rows.map {
            "SELECT part, pos, section, name, \(d.text("usd")) AS usd, \(d.text("share")) AS share, \(d.text("count")) AS count FROM (\($0)) AS x"
        }
        return typed.joined(separator: "\nUNION ALL\n")
    }
}
