import Attribution
import CostLedger

// The ledger's side of the script: lines, parsing and validation, deduplication, pricing.

extension AuditSQL {
    /// Spark's view of the ledger files, each one row of its whole text (DuckDB reads them in ``linesQuery()``):
    /// a view per glob, each with the text source's `path` option (a SQL data source reads that one option
    /// alone), and their union.
    func ledgerTextStatement() -> String {
        guard dialect.engine == .spark else { return "" }
        var out = ""
        for (index, glob) in ledgerGlobs.enumerated() {
            out +=
                "CREATE OR REPLACE TEMPORARY VIEW ca_ledger_text_\(index) USING text "
                + "OPTIONS (path \(dialect.string(glob)), wholetext 'true');\n\n"
        }
        let union = ledgerGlobs.indices.map { "SELECT value FROM ca_ledger_text_\($0)" }
        out +=
            "CREATE OR REPLACE TEMPORARY VIEW ca_ledger_text AS\n"
            + (union.isEmpty
                ? "SELECT CAST(NULL AS STRING) AS value WHERE 1 = 0" : union.joined(separator: "\nUNION ALL\n"))
            + ";\n\n"
        return out
    }

    /// The ledger's JSON Lines as (file, line, text), a query that is read once, by the parse, and never kept:
    /// each file read whole and split at `\n`, so every line keeps its number (the engines' JSON readers give
    /// none); empty lines are left out, as the audit skips them.
    func linesQuery() -> String {
        let d = dialect
        let query: String
        switch d.engine {
        case .duckdb:
            let globs = ledgerGlobs.map { d.string($0) }.joined(separator: ", ")
            query = """
                SELECT file, line, text FROM (
                  SELECT filename AS file, unnest(parts) AS text, unnest(range(1, len(parts) + 1)) AS line
                  FROM (SELECT filename, string_split(content, chr(10)) AS parts FROM read_text([\(globs)]))
                ) WHERE text <> ''
                """
        case .spark:
            var file = "input_file_name()"
            let name = "regexp_extract(input_file_name(), '/((dt=[0-9]{4}-[0-9]{2}-[0-9]{2}/)?[^/]+)$', 1)"
            for directory in ledgerDirectories.reversed() {
                let marker = (directory.hasPrefix("./") ? String(directory.dropFirst(2)) : directory) + "/"
                let contains =
                    "instr(input_file_name(), \(d.string(marker.hasPrefix("/") ? marker : "/" + marker))) > 0"
                file = "CASE WHEN \(contains) THEN \(d.string(directory + "/")) || \(name) ELSE \(file) END"
            }
            query = """
                SELECT file, CAST(pos + 1 AS BIGINT) AS line, text FROM (
                  SELECT \(file) AS file, posexplode(split(value, '\\n', -1)) AS (pos, text)
                  FROM ca_ledger_text
                ) WHERE text <> ''
                """
        }
        return query
    }

    /// The ledger keys read, each with its JSON type and text (`t_KEY`, `s_KEY`).
    static let scalarKeys: [String] = LedgerKey.allCases.map(\.name)

    static let countKeys: [String] = [
        LedgerKey.inputTokens, .outputTokens, .cachedInputTokens, .cacheWriteTokens, .cacheWrite1hTokens,
        .reasoningTokens,
    ].map(\.name)

    /// Each line read and parsed in one statement, the line's text kept only as a digest (`digest`, to tell
    /// copies of a record apart): `skipped` (not one complete JSON object, or over 64 KiB), `invalid` (a complete
    /// object that breaks the record format), `other_kind`, or `record` with its typed fields and its copy
    /// number among the lines of its record id (first by time, file, line); then the counts and the skipped
    /// lines' locations the report shows, kept apart so that the parsed lines can go once they are read.
    func parsedStatement() -> String {
        let d = dialect
        var typed: [String] = []
        for (index, key) in Self.scalarKeys.enumerated() {
            typed.append("\(jsonType(member(index))) AS t_\(key)")
            typed.append("\(jsonString(member(index))) AS s_\(key)")
        }
        func isString(_ key: String) -> String { "t_\(key) = 'string'" }
        /// A present value that is not a non-empty string of at most 256 bytes.
        func badString(_ key: String) -> String {
            "(t_\(key) IS NOT NULL AND (t_\(key) <> 'string' OR s_\(key) = '' OR \(d.byteLength("s_\(key)")) > 256))"
        }
        func badInteger(_ key: String) -> String {
            "(t_\(key) IS NOT NULL AND (t_\(key) <> 'integer' OR try_cast(s_\(key) AS \(d.moneyType)) IS NULL "
                + "OR try_cast(s_\(key) AS \(d.moneyType)) > \(d.money(Int128(Int64.max)))))"
        }
        func count(_ key: String) -> String { "coalesce(try_cast(s_\(key) AS BIGINT), 0)" }
        let rfc3339 =
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
        func badTime(_ key: String) -> String {
            "(t_\(key) IS NOT NULL AND (t_\(key) <> 'string' OR NOT \(d.matches("s_\(key)", rfc3339)) "
                + "OR \(d.epochMilliseconds("s_\(key)")) IS NULL))"
        }
        func badHex(_ key: String, _ digits: Int) -> String {
            "(t_\(key) IS NOT NULL AND (t_\(key) <> 'string' OR NOT \(d.matches("s_\(key)", "^[0-9a-f]{\(digits)}$")) "
                + "OR s_\(key) = '\(String(repeating: "0", count: digits))'))"
        }
        let invalid: [String] = [
            // `v`: required, the integer 1.
            "t_v IS NULL OR t_v <> 'integer' OR s_v <> '1'",
            "t_kind IS NOT NULL AND t_kind <> 'string'",
        ]
        var invalidRest: [String] = [
            "t_record_id IS NULL", badString(LedgerKey.recordID.name),
            "t_ts IS NULL", badTime(LedgerKey.ts.name), badTime(LedgerKey.startedAt.name),
            "(is_call AND (t_provider IS NULL OR t_model IS NULL))",
            badString(LedgerKey.provider.name), badString(LedgerKey.model.name), badString(LedgerKey.apiKeyID.name),
            badString(LedgerKey.serviceTier.name),
            badString(LedgerKey.priceSource.name),
            "(t_status IS NOT NULL AND (t_status <> 'string' OR s_status NOT IN ('ok', 'error')))",
            badHex(LedgerKey.traceID.name, 32), badHex(LedgerKey.leafID.name, 16), badHex(LedgerKey.parentID.name, 16),
            badHex(LedgerKey.rootID.name, 16),
            badInteger(LedgerKey.attempt.name),
            "(t_attempt = 'integer' AND (try_cast(s_attempt AS BIGINT) < 1 OR try_cast(s_attempt AS BIGINT) > 2147483647))",
            "(t_cost_usd IS NOT NULL AND (t_cost_usd NOT IN ('integer', 'number') OR cost_value IS NULL "
                + "OR (cost_literal LIKE '-%' AND cost_value > 0)))",
            "(t_tags IS NOT NULL AND (t_tags <> 'object' OR NOT tags_ok))",
            "duplicate_keys",
        ]
        for key in Self.countKeys {
            invalidRest.append(badInteger(key))
            invalidRest.append("(t_\(key) = 'integer' AND s_\(key) LIKE '-%')")
        }
        invalidRest.append("(is_call AND (t_input_tokens IS NULL OR t_output_tokens IS NULL))")
        for field in AttributionField.all { invalidRest.append(badString(field.name)) }
        // The counts' own rules (read once every count is a valid integer).
        let usageRule =
            "(\(count(LedgerKey.cachedInputTokens.name)) + \(count(LedgerKey.cacheWriteTokens.name)) + "
            + "\(count(LedgerKey.cacheWrite1hTokens.name)) > \(count(LedgerKey.inputTokens.name)) OR "
            + "\(count(LedgerKey.reasoningTokens.name)) > \(count(LedgerKey.outputTokens.name)))"
        let attribution = AttributionField.all.map {
            "CASE WHEN t_\($0.name) = 'string' THEN s_\($0.name) END AS f_\($0.name)"
        }
        let counts = Self.countKeys.map { "\(count($0)) AS \($0)" }
        let query = """
            WITH lines AS (
            \(linesQuery())
            ), j AS (
              SELECT file, line, text, \(jsonObjectCheck("text")) AS is_object FROM lines
            ), typed AS (
              SELECT file, line, text, \(typed.joined(separator: ",\n    "))
              FROM (SELECT file, line, text, \(parsedMembers("text")) AS vals FROM j WHERE is_object) AS p
            ), checked AS (
              SELECT *, coalesce(s_kind, 'call') = 'call' AS is_call, \(costLiteral("text")) AS cost_literal,
                \(tagsCheck("text")) AS tags_ok, \(duplicateKeys("text")) AS duplicate_keys
              FROM typed
            ), costed AS (
              SELECT *, \(costValue()) AS cost_value FROM (
                SELECT *, c_int || c_frac AS c_digits, c_exp - length(c_frac) + 18 AS c_power FROM (
                  SELECT *,
                    regexp_extract(cost_literal, '^-?([0-9]+)', 1) AS c_int,
                    CASE WHEN \(d.matches("cost_literal", "^-?[0-9]+[.]")) THEN regexp_extract(cost_literal, '^-?[0-9]+[.]([0-9]*)', 1) ELSE '' END AS c_frac,
                    CASE WHEN \(d.matches("cost_literal", "[eE][-+]?[0-9]{1,3}$"))
                      THEN CAST(regexp_extract(cost_literal, '[eE]([-+]?[0-9]{1,3})$', 1) AS INTEGER) ELSE 0 END AS c_exp,
                    \(d.matches("coalesce(cost_literal, '')", "^-?[0-9]+([.][0-9]*)?([eE][-+]?[0-9]{1,3})?$")) AS c_shape
                  FROM checked
                ) AS c1
              ) AS c2
            ), judged AS (
              SELECT *, CASE
                WHEN \(invalid.map { "(\($0))" }.joined(separator: " OR ")) THEN 'invalid'
                WHEN t_kind IS NOT NULL AND s_kind NOT IN ('call', 'unit') THEN 'other_kind'
                WHEN \(invalidRest.joined(separator: "\n      OR ")) THEN 'invalid'
                WHEN \(usageRule) THEN 'invalid'
                ELSE 'record' END AS outcome
              FROM costed
            )
            SELECT *, CASE WHEN outcome = 'record'
                THEN row_number() OVER (PARTITION BY outcome, record_id ORDER BY ts_ms, file, line) END AS copy
            FROM (
            SELECT 'skipped' AS outcome, file, line, \(d.digest(nil)) AS digest, NULL AS record_id, FALSE AS is_unit,
              CAST(NULL AS BIGINT) AS ts_ms, CAST(NULL AS BIGINT) AS when_ms,
              NULL AS provider, NULL AS model, NULL AS api_key, NULL AS tier, NULL AS tags,
              \(Self.countKeys.map { "CAST(NULL AS BIGINT) AS \($0)" }.joined(separator: ", ")),
              \(d.money(nil)) AS stored_usd, NULL AS leaf, NULL AS parent, NULL AS root, CAST(NULL AS BIGINT) AS attempt,
              \(AttributionField.all.map { "NULL AS f_\($0.name)" }.joined(separator: ", "))
            FROM j WHERE NOT is_object
            UNION ALL
            SELECT outcome, file, line, \(d.digest("text")), s_record_id, coalesce(s_kind = 'unit', FALSE),
              \(d.epochMilliseconds("s_ts")) AS ts_ms,
              coalesce(\(d.epochMilliseconds("s_started_at")), \(d.epochMilliseconds("s_ts"))) AS when_ms,
              s_provider, s_model, s_api_key_id, s_service_tier, \(keepsTags ? "CASE WHEN t_tags = 'object' THEN s_tags END" : "CAST(NULL AS \(d.stringType))") AS tags,
              \(counts.joined(separator: ", ")),
              CASE WHEN t_cost_usd IS NOT NULL AND outcome = 'record' THEN cost_value END AS stored_usd,
              s_leaf_id, s_parent_id, s_root_id, coalesce(try_cast(s_attempt AS BIGINT), 1),
              \(attribution.joined(separator: ", "))
            FROM judged
            ) AS parsed
            """
        var out = table("ca_ranked", query)
        out += table(
            "ca_outcomes",
            """
            SELECT coalesce(sum(CASE WHEN outcome = 'skipped' THEN 1 ELSE 0 END), 0) AS skipped_lines,
              coalesce(sum(CASE WHEN outcome = 'invalid' THEN 1 ELSE 0 END), 0) AS invalid_records,
              coalesce(sum(CASE WHEN outcome = 'other_kind' THEN 1 ELSE 0 END), 0) AS skipped_kinds
            FROM ca_ranked
            """
        )
        out += table("ca_skipped", "SELECT file, line FROM ca_ranked WHERE outcome = 'skipped'")
        return out
    }

    // MARK: - JSON, per dialect

    /// The line parsed once: DuckDB, the members the audit reads as a list of JSON values (one parse for all);
    /// Spark, the line as a `VARIANT`.
    func parsedMembers(_ text: String) -> String {
        switch dialect.engine {
        case .duckdb:
            let paths = Self.scalarKeys.map { "'$.\"\($0)\"'" }.joined(separator: ", ")
            return "json_extract(\(text), [\(paths)])"
        case .spark:
            return "try_parse_json(\(text))"
        }
    }

    /// Member `index` of ``scalarKeys`` of the parsed line (`vals`): its JSON value, NULL when absent.
    func member(_ index: Int) -> String {
        switch dialect.engine {
        case .duckdb: return "vals[\(index + 1)]"
        case .spark: return "variant_get(vals, '$.\(Self.scalarKeys[index])')"
        }
    }

    /// The JSON type of a member, as one of `string`, `integer` (range checked by value), `number`, `object`,
    /// `array`, `bool`, `null`; NULL when absent.
    func jsonType(_ value: String) -> String {
        switch dialect.engine {
        case .duckdb:
            return """
                CASE json_type(\(value)) WHEN 'VARCHAR' THEN 'string' WHEN 'BIGINT' THEN 'integer' \
                WHEN 'UBIGINT' THEN 'integer' WHEN 'DOUBLE' THEN 'number' \
                WHEN 'OBJECT' THEN 'object' WHEN 'ARRAY' THEN 'array' WHEN 'BOOLEAN' THEN 'bool' \
                WHEN 'NULL' THEN 'null' END
                """
        case .spark:
            let schema = "schema_of_variant(\(value))"
            return """
                CASE WHEN \(value) IS NULL THEN NULL \
                WHEN \(schema) = 'STRING' THEN 'string' \
                WHEN \(schema) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT') THEN 'integer' \
                WHEN \(schema) RLIKE '^DECIMAL\\\\([0-9]+,0\\\\)$' THEN 'integer' \
                WHEN \(schema) LIKE 'OBJECT%' THEN 'object' WHEN \(schema) LIKE 'ARRAY%' THEN 'array' \
                WHEN \(schema) = 'BOOLEAN' THEN 'bool' WHEN \(schema) = 'VOID' THEN 'null' ELSE 'number' END
                """
        }
    }

    /// The text of a member: a string's value, a number's digits; NULL when absent or null.
    func jsonString(_ value: String) -> String {
        switch dialect.engine {
        case .duckdb: return "json_extract_string(\(value), '$')"
        case .spark: return "variant_get(\(value), '$', 'string')"
        }
    }

    /// Whether a line is one complete JSON object of at most 64 KiB.
    func jsonObjectCheck(_ text: String) -> String {
        switch dialect.engine {
        case .duckdb:
            // CASE, not AND: DuckDB may evaluate both sides of an AND, and json_type fails on malformed JSON.
            return "(CASE WHEN strlen(\(text)) <= 65536 AND json_valid(\(text)) THEN json_type(\(text)) = 'OBJECT' "
                + "AND NOT \(dialect.matches(text, "(?i)(:|\\[|,)\\s*-?(nan|inf|infinity)\\s*(,|\\]|\\})")) "
                + "ELSE FALSE END)"
        case .spark:
            // Spark's VARIANT parser refuses an object that names a key twice (NULL from try_parse_json); its
            // JSON path reader takes it: such a line is still one object, which the audit counts invalid.
            return "(octet_length(\(text)) <= 65536 AND CASE WHEN try_parse_json(\(text)) IS NOT NULL "
                + "THEN schema_of_variant(try_parse_json(\(text))) LIKE 'OBJECT%' "
                + "ELSE ltrim(\(text)) LIKE '{%' AND get_json_object(\(text), '$') IS NOT NULL END)"
        }
    }

    /// The literal text of `cost_usd` as the line writes it (an engine's JSON reader would turn it into a
    /// binary float first).
    func costLiteral(_ text: String) -> String {
        let pattern = dialect.string("\"" + LedgerKey.costUSD.name + #""\s*:\s*(-?[0-9][0-9.eE+-]*)"#)
        return "nullif(regexp_extract(\(text), \(pattern), 1), '')"
    }

    /// `cost_usd` in attodollars, exactly as its literal writes it (digits × 10^(exponent − fraction digits + 18),
    /// trailing zeros dropped where the power is negative); NULL when it is finer than 10⁻¹⁸ or does not fit.
    func costValue() -> String {
        let d = dialect
        let m = d.moneyType
        return """
            CASE WHEN NOT c_shape THEN NULL \
            WHEN c_power >= 0 AND length(c_digits) + c_power <= 38 THEN try_cast(c_digits || repeat('0', c_power) AS \(m)) \
            WHEN c_power >= 0 THEN NULL \
            WHEN length(c_digits) - length(\(d.trimTrailingZeros("c_digits"))) < 0 - c_power THEN NULL \
            WHEN length(c_digits) + c_power = 0 THEN CAST(0 AS \(m)) \
            ELSE try_cast(substr(c_digits, 1, length(c_digits) + c_power) AS \(m)) END
            """
    }

    /// Whether `tags`, when an object, holds at most 32 members, each a key of `[a-z0-9_.-]{1,64}` and a
    /// non-empty string of at most 256 bytes, no key twice.
    func tagsCheck(_ text: String) -> String {
        switch dialect.engine {
        case .duckdb:
            let entries = "map_entries(TRY_CAST(json_extract(\(text), '$.tags') AS MAP(VARCHAR, JSON)))"
            return """
                coalesce((json_type(\(text), '$.tags') = 'OBJECT' AND len(json_keys(\(text), '$.tags')) <= 32 \
                AND len(json_keys(\(text), '$.tags')) = len(list_distinct(json_keys(\(text), '$.tags'))) \
                AND list_bool_and(list_transform(\(entries), lambda e: \
                regexp_matches(e.key, '^[a-z0-9_.-]{1,64}$') AND json_type(e.value) = 'VARCHAR' \
                AND json_extract_string(e.value, '$') <> '' AND strlen(json_extract_string(e.value, '$')) <= 256))), \
                json_type(\(text), '$.tags') = 'OBJECT' AND len(json_keys(\(text), '$.tags')) = 0)
                """
        case .spark:
            let tags = "variant_get(try_parse_json(\(text)), '$.tags')"
            return """
                coalesce(size(map_keys(try_variant_get(\(tags), '$', 'map<string,string>'))) <= 32 \
                AND forall(map_entries(try_variant_get(\(tags), '$', 'map<string,string>')), e -> \
                e.key RLIKE '^[a-z0-9_.-]{1,64}$' AND e.value <> '' AND octet_length(e.value) <= 256), FALSE)
                """
        }
    }

    /// Whether the object names a key twice (the audit counts it invalid).
    func duplicateKeys(_ text: String) -> String {
        switch dialect.engine {
        case .duckdb: return "(len(json_keys(\(text))) <> len(list_distinct(json_keys(\(text)))))"
        // Spark's VARIANT parser refuses a key twice: an object it does not parse has one (docs/scale.md).
        case .spark: return "(try_parse_json(\(text)) IS NULL)"
        }
    }
}
