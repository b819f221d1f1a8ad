import Attribution
public import CostAudit
import CostLedger

/// The audit as one SQL script (docs/scale.md): the same phases as CostAudit's `Auditor` (docs/audit.md, "What the
/// audit does, in order"), written for an engine that reads the ledger's JSON Lines where they lie. The small
/// inputs (prices, key map, rules, the usage exports priced per cell) are inlined as `VALUES`; the script's
/// last query returns the rows of `cost-audit audit --format csv`, each with its CSV line.
///
/// Money is whole attodollars (10⁻¹⁸ USD) throughout, in an exact integer type, and is rounded only where
/// the report shows it: 9 decimals half-even, classes and reasons by largest remainder.
public struct AuditSQL: Sendable {
    /// The engine the script is for.
    public var dialect: SQLDialect
    /// Where the engine reads the ledger: globs of its `*.jsonl` files (local paths or URLs the engine reads).
    public var ledgerGlobs: [String]
    /// The ledger directories as the command line names them. Spark names a file by its absolute URI; the
    /// script names a file of these directories as the audit does (`DIRECTORY/NAME`, `DIRECTORY/dt=…/NAME`), so
    /// that ties between copies of a record and the skipped lines' locations come out the same. Spark only.
    public var ledgerDirectories: [String] = []
    /// Spark only: the directory (a path or URL Spark writes) where each of the script's tables is written as
    /// Parquet and read back as a view. A table kept with `CACHE TABLE` carries the plan of every table it was
    /// made from, and Spark analyses that plan again at each use: the lineage rounds, each a join of the round
    /// before with itself, double it six times. Nil keeps every table with `CACHE TABLE` instead.
    public var scratchDirectory: String? = "cost-audit-sql-scratch"
    /// Whether the ledger's tags are kept per record (the spend report by a `tags.KEY`); otherwise not read.
    var keepsTags = false
    let configuration: AuditConfiguration
    let usage: AuditSQLInputs
    let prices: [PriceTableRow]
    let priceSource: String
    let priceTableIsBuiltIn: Bool

    /// A script over the ledger files `ledgerGlobs` with the inputs of `configuration` (its ledger is not read;
    /// its usage exports are, here, to price them per cell).
    ///
    /// - Throws: `CostAuditError` when a usage export cannot be read, or when the configuration's prices are
    ///   not a `PriceTable` (the script carries the table's rows).
    public init(
        dialect: SQLDialect,
        ledgerGlobs: [String],
        configuration: AuditConfiguration
    ) throws(CostAuditError) {
        guard let table = configuration.prices as? PriceTable else {
            throw CostAuditError(
                .invalidPriceFile,
                file: configuration.prices.source,
                reason: "the SQL carries a price table's rows; this pricing is not a price table"
            )
        }
        self.dialect = dialect
        self.ledgerGlobs = ledgerGlobs
        self.configuration = configuration
        self.usage = try AuditSQLInputs(configuration)
        self.prices = table.rows
        self.priceSource = table.source
        self.priceTableIsBuiltIn = table.isBuiltIn
    }

    /// The globs that read a ledger directory as the audit does: its `*.jsonl` files and those of its
    /// `dt=YYYY-MM-DD` day partitions.
    public static func directoryGlobs(_ directory: String) -> [String] {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return [base + "/*.jsonl", base + "/dt=[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/*.jsonl"]
    }

    var required: [AttributionField] { configuration.required }

    /// The script: statements separated by `;` and a blank line, the last one a query.
    public func script() -> String {
        var out = header(
            lastQuery: "The last query returns the rows of `cost-audit audit --format csv` in order, each with its CSV "
                + "line."
        )
        out += auditStatements()
        out += reportQuery()
        return out
    }

    /// Every phase of the audit up to its report: the tables the audit's rows and the spend report read.
    func auditStatements() -> String {
        var out = ledgerTextStatement()
        out += parsedStatement()
        out += inputTables()
        out += dedupeStatements()
        out += pricingStatements()
        out += unitStatements()
        out += lineageStatements()
        out += classifyStatement()
        out += reconcileStatements()
        return out
    }

    func header(lastQuery: String) -> String {
        var out = "-- cost-audit sql --dialect \(dialect.name): the audit of docs/audit.md as SQL (docs/scale.md).\n"
        out += "-- Ledger: \(ledgerGlobs.map { $0.replacing("\n", with: " ") }.joined(separator: ", "))\n"
        out += "-- Required fields: \(required.map(\.name).joined(separator: ", "))\n"
        out += "-- \(lastQuery)\n"
        if dialect == .spark {
            out += "SET spark.sql.decimalOperations.allowPrecisionLoss=false;\n\nSET spark.sql.ansi.enabled=true;\n\n"
        }
        out += "\n"
        return out
    }

    /// A statement that keeps a query's rows under `name` for the rest of the script: in Spark with a scratch
    /// directory, written there as Parquet and read back as a view, so that the next statements read files,
    /// not the plan that made them.
    func table(_ name: String, _ query: String) -> String {
        guard dialect.engine == .spark, let scratchDirectory else { return dialect.table(name, query) }
        let base = scratchDirectory.hasSuffix("/") ? String(scratchDirectory.dropLast()) : scratchDirectory
        let path = dialect.string(base + "/" + name)
        return "INSERT OVERWRITE DIRECTORY \(path) USING parquet\nSELECT * FROM (\n\(query)\n) AS \(name)_rows;\n\n"
            + "CREATE OR REPLACE TEMPORARY VIEW \(name) USING parquet OPTIONS (path \(path));\n\n"
    }

    /// A statement that frees a table no later statement reads (in Spark with a scratch directory, its view;
    /// its files stay until the next run overwrites them).
    func drop(_ name: String) -> String {
        guard dialect.engine == .spark, scratchDirectory != nil else { return dialect.drop(name) }
        return "DROP VIEW IF EXISTS \(name);\n\n"
    }

    // MARK: - Inlined inputs

    /// A table of literal rows; an empty one still has its typed columns.
    func values(_ name: String, columns: [(String, String)], rows: [[String]]) -> String {
        guard !rows.isEmpty else {
            let typed = columns.map { "CAST(NULL AS \($0.1)) AS \($0.0)" }.joined(separator: ", ")
            return table(name, "SELECT \(typed) WHERE 1 = 0")
        }
        let body = rows.map { row in
            "(" + zip(row, columns).map { "CAST(\($0) AS \($1.1))" }.joined(separator: ", ") + ")"
        }
        let query =
            "SELECT * FROM (VALUES\n  " + body.joined(separator: ",\n  ") + "\n) AS t("
            + columns.map(\.0).joined(separator: ", ") + ")"
        return table(name, query)
    }

    func inputTables() -> String {
        let d = dialect
        let m = d.moneyType
        let s = d.stringType
        var out = ""
        out += values(
            "ca_prices",
            columns: [
                ("model", s), ("tier", s), ("from_day", "BIGINT"), ("above", "BIGINT"), ("r_input", m),
                ("r_output", m), ("r_cached", m), ("r_cw", m), ("r_cw1h", m),
            ],
            rows: prices.map {
                [
                    d.string($0.model), d.string($0.tier), d.integer($0.fromDay), d.integer($0.aboveInputTokens),
                    d.money($0.input), d.money($0.output), d.money($0.cachedInput), d.money($0.cacheWrite),
                    d.money($0.cacheWrite1h),
                ]
            }
        )
        out += table("ca_names", "SELECT DISTINCT model FROM ca_prices")
        out += values(
            "ca_keys",
            columns: [("api_key", s), ("team", s), ("project", s)],
            rows: configuration.keyMap.owners.keys.sorted().map {
                [
                    d.string($0), d.string(configuration.keyMap.owners[$0]?.team ?? ""),
                    d.string(configuration.keyMap.owners[$0]?.project ?? ""),
                ]
            }
        )
        out += values(
            "ca_usage_cells",
            columns: [("day", "BIGINT"), ("provider", s), ("model", s), ("api_key", s), ("usd", m)],
            rows: usage.cells.map {
                [
                    d.integer($0.cell.day), d.string($0.cell.provider), d.string($0.cell.model),
                    d.string($0.cell.key), d.money($0.amount),
                ]
            }
        )
        out += values(
            "ca_coverage",
            columns: [("day", "BIGINT"), ("provider", s), ("keyed", "BOOLEAN")],
            rows: usage.coverage.map { [d.integer($0.day), d.string($0.provider), $0.keyed ? "TRUE" : "FALSE"] }
        )
        out += values(
            "ca_usage_rate",
            columns: [
                ("day", "BIGINT"), ("provider", s), ("model", s), ("priced_rows", "BIGINT"),
                ("priced_tokens", "BIGINT"), ("priced_usd", m), ("unpriced_rows", "BIGINT"),
                ("unpriced_tokens", "BIGINT"),
            ],
            rows: usage.rateCells.map {
                [
                    d.integer($0.cell.day), d.string($0.cell.provider), d.string($0.cell.model),
                    d.integer(Int64($0.side.pricedRows)), d.integer($0.side.pricedTokens),
                    d.money($0.side.pricedDollars), d.integer(Int64($0.side.unpricedRows)),
                    d.integer($0.side.unpricedTokens),
                ]
            }
        )
        out += values(
            "ca_modelless",
            columns: [("provider", s), ("day", "BIGINT"), ("tokens", "BIGINT")],
            rows: usage.modelless.map { [d.string($0.provider), d.integer($0.day), d.integer($0.tokens)] }
        )
        return out
    }

    // MARK: - Deduplication and pricing

    func dedupeStatements() -> String {
        return table(
            "ca_dedupe",
            """
            SELECT count(*) AS duplicates, coalesce(sum(CASE WHEN o.digest <> k.digest THEN 1 ELSE 0 END), 0) AS conflicts
            FROM ca_ranked o JOIN ca_ranked k ON k.record_id = o.record_id AND k.copy = 1
            WHERE o.copy > 1
            """
        )
    }

    /// `name` without a trailing `-YYYY-MM-DD` or `-YYYYMMDD` calendar date, or NULL.
    func undated(_ name: String) -> String {
        let d = dialect
        return """
            CASE WHEN \(d.matches(name, "^.+-[0-9]{4}-[0-9]{2}-[0-9]{2}$")) \
            AND \(d.tryDate("substr(\(name), length(\(name)) - 9)", compact: false)) IS NOT NULL \
            THEN substr(\(name), 1, length(\(name)) - 11) \
            WHEN \(d.matches(name, "^.+-[0-9]{8}$")) \
            AND \(d.tryDate("substr(\(name), length(\(name)) - 7)", compact: true)) IS NOT NULL \
            THEN substr(\(name), 1, length(\(name)) - 9) END
            """
    }

    func pricingStatements() -> String {
        let d = dialect
        let m = d.moneyType
        // Model names as the price table matches them (docs/prices.md): exactly, then undated, then with the
        // provider's prefix added, then with a prefix removed.
        let unprefixed =
            "CASE WHEN instr(model, '/') > 1 AND length(model) > instr(model, '/') "
            + "THEN substr(model, instr(model, '/') + 1) END"
        let prefixable =
            "(provider <> '' AND instr(provider, '/') = 0 "
            + "AND substr(model, 1, length(provider) + 1) <> provider || '/')"
        var out = table(
            "ca_model_candidates",
            """
            SELECT provider, model, model AS c1, \(undated("model")) AS c2,
              CASE WHEN \(prefixable) THEN provider || '/' || model END AS c3,
              CASE WHEN \(prefixable) THEN provider || '/' || (\(undated("model"))) END AS c4,
              \(unprefixed) AS c5,
              \(undated("(\(unprefixed))")) AS c6
            FROM (SELECT DISTINCT provider, model FROM ca_ranked WHERE copy = 1 AND NOT is_unit) AS pm
            """
        )
        out += table(
            "ca_models",
            """
            SELECT c.provider, c.model,
              coalesce(n1.model, n2.model, n3.model, n4.model, n5.model, n6.model) AS canonical
            FROM ca_model_candidates c
            LEFT JOIN ca_names n1 ON n1.model = c.c1 LEFT JOIN ca_names n2 ON n2.model = c.c2
            LEFT JOIN ca_names n3 ON n3.model = c.c3 LEFT JOIN ca_names n4 ON n4.model = c.c4
            LEFT JOIN ca_names n5 ON n5.model = c.c5 LEFT JOIN ca_names n6 ON n6.model = c.c6
            """
        )
        let since = configuration.since.map { d.money(Int128($0.nanosecondsSinceEpoch)) }
        let until = configuration.until.map { d.money(Int128($0.nanosecondsSinceEpoch)) }
        var window: [String] = []
        if let since { window.append("CAST(r.when_ms AS \(m)) * 1000000 >= \(since)") }
        if let until { window.append("CAST(r.when_ms AS \(m)) * 1000000 < \(until)") }
        let inWindow = window.isEmpty ? "TRUE" : window.joined(separator: " AND ")
        let fields = AttributionField.all.map { "r.f_\($0.name)" }.joined(separator: ", ")
        let complete = required.map { "r.f_\($0.name) IS NOT NULL" }.joined(separator: " AND ")
        out += table(
            "ca_alive",
            """
            SELECT r.file, r.line, r.record_id, r.is_unit, r.ts_ms, r.when_ms,
              CASE WHEN r.is_unit THEN NULL ELSE r.provider END AS provider,
              CASE WHEN r.is_unit THEN NULL ELSE r.model END AS model,
              r.api_key,
              CASE WHEN r.tier IS NULL OR r.tier = '' OR r.tier = 'standard' THEN 'default' ELSE r.tier END AS tier,
              r.input_tokens, r.output_tokens, r.cached_input_tokens, r.cache_write_tokens, r.cache_write_1h_tokens,
              r.reasoning_tokens, r.tier AS raw_tier, r.tags, r.stored_usd, r.leaf, r.parent, r.root, r.attempt, \(fields),
              CASE WHEN r.is_unit THEN NULL ELSE mm.canonical END AS canonical,
              \(d.floorDiv("r.when_ms", "86400000")) AS day,
              (\(inWindow)) AS in_window,
              (\(complete)) AS complete
            FROM ca_ranked r LEFT JOIN ca_models mm ON mm.provider = r.provider AND mm.model = r.model
            WHERE r.copy = 1
            """
        )
        out += drop("ca_ranked")
        // The price period in effect: the tier's own, else the model's `*` prices, the latest on or before the day.
        out += table(
            "ca_period",
            """
            SELECT k.canonical, k.tier, k.day,
              CASE WHEN max(CASE WHEN p.tier = k.tier THEN p.from_day END) IS NOT NULL THEN k.tier ELSE '*' END AS used_tier,
              coalesce(max(CASE WHEN p.tier = k.tier THEN p.from_day END),
                       max(CASE WHEN p.tier = '*' THEN p.from_day END)) AS used_from
            FROM (SELECT DISTINCT canonical, tier, day FROM ca_alive WHERE canonical IS NOT NULL) AS k
            LEFT JOIN ca_prices p ON p.model = k.canonical AND p.from_day <= k.day AND (p.tier = k.tier OR p.tier = '*')
            GROUP BY k.canonical, k.tier, k.day
            """
        )
        // The band in effect first, then the dollars from plain columns, each step its own table: one
        // statement with the rates' expressions repeated inside the join made Spark's optimizer stall.
        out += table(
            "ca_banded",
            """
            SELECT * FROM (
              SELECT a.*, b.above, b.r_input, b.r_output, b.r_cached, b.r_cw, b.r_cw1h,
                a.input_tokens - a.cached_input_tokens - a.cache_write_tokens - a.cache_write_1h_tokens AS uncached,
                row_number() OVER (PARTITION BY a.file, a.line ORDER BY b.above DESC) AS band_rank
              FROM ca_alive a
              LEFT JOIN ca_period per ON per.canonical = a.canonical AND per.tier = a.tier AND per.day = a.day
              LEFT JOIN ca_prices b ON b.model = a.canonical AND b.tier = per.used_tier AND b.from_day = per.used_from
                AND (b.above = 0 OR a.input_tokens > b.above)
            ) AS banded
            WHERE band_rank = 1
            """
        )
        out += drop("ca_alive")
        out += drop("ca_period")
        let unpricedByRate = """
            ((uncached > 0 AND r_input IS NULL) OR (cached_input_tokens > 0 AND r_cached IS NULL AND r_input IS NULL) \
            OR (cache_write_tokens > 0 AND r_cw IS NULL) OR (cache_write_1h_tokens > 0 AND r_cw1h IS NULL) \
            OR (output_tokens > 0 AND r_output IS NULL))
            """
        let cost = """
            CAST(uncached AS \(m)) * coalesce(r_input, 0) \
            + CAST(cached_input_tokens AS \(m)) * coalesce(r_cached, r_input, 0) \
            + CAST(cache_write_tokens AS \(m)) * coalesce(r_cw, 0) \
            + CAST(cache_write_1h_tokens AS \(m)) * coalesce(r_cw1h, 0) \
            + CAST(output_tokens AS \(m)) * coalesce(r_output, 0)
            """
        out += table(
            "ca_priced",
            """
            SELECT p.*,
              CASE WHEN is_unit THEN 'unit' WHEN is_priced THEN 'priced'
                WHEN canonical IS NULL AND stored_usd IS NOT NULL THEN 'from_record' ELSE 'unpriced' END AS pricing,
              CASE WHEN is_priced THEN cost WHEN canonical IS NULL AND stored_usd IS NOT NULL AND NOT is_unit
                THEN stored_usd ELSE CAST(0 AS \(m)) END AS usd,
              CASE WHEN is_priced AND cached_input_tokens > 0 AND r_cached IS NULL
                THEN cached_input_tokens ELSE 0 END AS at_input,
              input_tokens + output_tokens AS tokens
            FROM (
              SELECT b.*, (NOT is_unit AND canonical IS NOT NULL AND above IS NOT NULL AND NOT \(unpricedByRate)) AS is_priced,
                \(cost) AS cost
              FROM ca_banded b
            ) AS p
            """
        )
        out += drop("ca_banded")
        return out
    }

    // MARK: - Units and lineage

    func unitStatements() -> String {
        var values: [String] = []
        for field in required {
            let f = "f_\(field.name)"
            values.append(
                "coalesce(min_by(\(f), ord) FILTER (WHERE complete), min_by(\(f), ord) FILTER (WHERE \(f) IS NOT NULL)) AS v_\(field.name)"
            )
        }
        return table(
            "ca_units",
            """
            SELECT leaf, min(CASE WHEN complete THEN ord END) AS best_ord,
              min_by(parent, ord) FILTER (WHERE parent IS NOT NULL) AS parent,
              min_by(root, ord) FILTER (WHERE root IS NOT NULL) AS root,
              \(values.joined(separator: ",\n  "))
            FROM (
              SELECT leaf, parent, root, complete, \(required.map { "f_\($0.name)" }.joined(separator: ", ")),
                row_number() OVER (PARTITION BY leaf ORDER BY attempt, ts_ms, is_unit DESC, record_id) AS ord
              FROM ca_priced WHERE leaf IS NOT NULL
            ) AS o
            GROUP BY leaf
            """
        )
    }

    /// The lineage walks (docs/audit.md, "Units and lineage"), by pointer jumping: `ca_j0` holds each unit's
    /// step to its parent in the ledger, and each of six rounds composes a unit's jump with its target's, so
    /// that `ca_j6` holds every unit's chain of parents up to 64 hops: where it stops (`target`, `hops`) and,
    /// per required field, the first value on the chain with the hop it was found at. A walk is then the chain
    /// from its unit (`A`) and, when that chain ends at a parent not in the ledger, once per walk the trace's
    /// root and the chain from it (`B`), both within the 64 hops. A repeated unit ends the audit's walk as a
    /// cycle; on a chain of parents that is the chain never ending (a unit repeated adds no value), and for `B`,
    /// reaching `A`'s last unit again (every chain into `A` runs to it).
    func lineageStatements() -> String {
        let maxHops = Auditor.maxLineageHops
        let names = required.map(\.name)
        func per(_ body: (String) -> String) -> String { names.map(body).joined(separator: ", ") }
        var out = table(
            "ca_j0",
            """
            SELECT u.leaf AS node, coalesce(p.leaf, u.leaf) AS target, CASE WHEN p.leaf IS NULL THEN 0 ELSE 1 END AS hops,
              \(per { "coalesce(u.v_\($0), p.v_\($0)) AS v_\($0)" }),
              \(per { "CASE WHEN u.v_\($0) IS NOT NULL THEN 0 WHEN p.v_\($0) IS NOT NULL THEN 1 END AS h_\($0)" })
            FROM ca_units u LEFT JOIN ca_units p ON p.leaf = u.parent
            """
        )
        var reach = 1
        var round = 0
        while reach < maxHops {
            round += 1
            reach *= 2
            out += table(
                "ca_j\(round)",
                """
                SELECT a.node, b.target, a.hops + b.hops AS hops,
                  \(per { "coalesce(a.v_\($0), b.v_\($0)) AS v_\($0)" }),
                  \(per { "CASE WHEN a.v_\($0) IS NOT NULL THEN a.h_\($0) ELSE a.hops + b.h_\($0) END AS h_\($0)" })
                FROM ca_j\(round - 1) a JOIN ca_j\(round - 1) b ON b.node = a.target
                """
            )
            out += drop("ca_j\(round - 1)")
        }
        let jump = "ca_j\(round)"
        let aComplete = names.map { "av_\($0) IS NOT NULL" }.joined(separator: " AND ")
        let resolved = names.map { "coalesce(av_\($0), CASE WHEN bh_\($0) <= \(maxHops - 1) - k THEN bv_\($0) END)" }
        let bComplete = resolved.map { "\($0) IS NOT NULL" }.joined(separator: " AND ")
        out += table(
            "ca_resolved",
            """
            SELECT start, \(zip(resolved, names).map { "\($0) AS r_\($1)" }.joined(separator: ", ")),
              coalesce(a_end, CASE WHEN \(bComplete) THEN 'complete' WHEN b_target = a_target THEN 'cycle'
                WHEN b_hops > \(maxHops - 1) - k THEN 'cycle' WHEN b_parent IS NULL THEN 'reached_root'
                ELSE 'broken' END) AS walk_end
            FROM (
              SELECT w.*, bj.target AS b_target, bj.hops AS b_hops, bt.parent AS b_parent,
                \(per { "bj.v_\($0) AS bv_\($0)" }), \(per { "bj.h_\($0) AS bh_\($0)" })
              FROM (
                SELECT a.*,
                  CASE WHEN \(aComplete) THEN 'complete' WHEN a_parent IS NULL THEN 'reached_root'
                    WHEN a_parent_in THEN 'cycle'
                    WHEN root_leaf IS NULL OR root_leaf = a_parent OR ru.leaf IS NULL THEN 'broken'
                    WHEN k = \(maxHops) THEN 'cycle' END AS a_end,
                  ru.leaf AS b_start
                FROM (
                  SELECT s.leaf AS start, j.target AS a_target, j.hops AS k, \(per { "j.v_\($0) AS av_\($0)" }),
                    t.parent AS a_parent, pt.leaf IS NOT NULL AS a_parent_in, coalesce(t.root, s.root) AS root_leaf
                  FROM ca_units s JOIN \(jump) j ON j.node = s.leaf
                  JOIN ca_units t ON t.leaf = j.target
                  LEFT JOIN ca_units pt ON pt.leaf = t.parent
                  WHERE s.best_ord IS NULL
                ) AS a
                LEFT JOIN ca_units ru ON ru.leaf = a.root_leaf
              ) AS w
              LEFT JOIN \(jump) bj ON bj.node = w.b_start AND w.a_end IS NULL
              LEFT JOIN ca_units bt ON bt.leaf = bj.target
            ) AS x
            """
        )
        out += drop(jump)
        return out
    }

    // MARK: - Classes

    /// The fields a rule matches or sets, or the top sources and the key map read, beyond the required ones.
    var trackedExtras: [AttributionField] {
        var fields: [AttributionField] = []
        var extras: [AttributionField] = [.agent, .taskType]
        for rule in configuration.rules.rules {
            extras.append(contentsOf: rule.match.keys.compactMap(\.attributionField))
            extras.append(contentsOf: rule.set.keys)
        }
        extras.append(contentsOf: [.team, .project])
        for field in extras where !required.contains(field) && !fields.contains(field) { fields.append(field) }
        return fields
    }

    func classifyStatement() -> String {
        let d = dialect
        let tracked = required + trackedExtras
        var x: [String] = []
        for field in required {
            let f = field.name
            x.append(
                "CASE WHEN r.leaf IS NULL THEN r.f_\(f) WHEN u.best_ord IS NOT NULL THEN u.v_\(f) "
                    + "ELSE coalesce(r.f_\(f), w.r_\(f)) END AS x_\(f)"
            )
        }
        for field in trackedExtras { x.append("r.f_\(field.name) AS x_\(field.name)") }
        let equal = required.map { "r.f_\($0.name) = u.v_\($0.name)" }.joined(separator: " AND ")
        let disagrees = required.map { "(r.f_\($0.name) IS NOT NULL AND r.f_\($0.name) <> u.v_\($0.name))" }
            .joined(separator: " OR ")
        let resolvedComplete = required.map { "x_\($0.name) IS NOT NULL" }.joined(separator: " AND ")
        // Rules: the first whose every match equals the record's value (after resolution).
        var ruleCases: [String] = []
        for (index, rule) in configuration.rules.rules.enumerated() {
            var conditions: [String] = []
            for (key, value) in rule.match.sorted(by: { $0.key.description < $1.key.description }) {
                let column: String
                if let field = key.attributionField {
                    column = "x_\(field.name)"
                } else if key == .provider {
                    column = "provider"
                } else if key == .model {
                    column = "model"
                } else {
                    column = "api_key"
                }
                conditions.append("\(column) = \(d.string(value))")
            }
            let condition = conditions.isEmpty ? "TRUE" : conditions.joined(separator: " AND ")
            ruleCases.append("WHEN \(condition) THEN \(index + 1)")
        }
        let ruleNumber =
            ruleCases.isEmpty ? "CAST(NULL AS INTEGER)" : "CASE \(ruleCases.joined(separator: " ")) END"
        var y: [String] = []
        for field in tracked {
            var sets: [String] = []
            for (index, rule) in configuration.rules.rules.enumerated() {
                if let value = rule.set[field] { sets.append("WHEN \(index + 1) THEN \(d.string(value))") }
            }
            if sets.isEmpty {
                y.append("x_\(field.name) AS y_\(field.name)")
            } else {
                y.append(
                    "coalesce(x_\(field.name), CASE rule_no \(sets.joined(separator: " ")) END) AS y_\(field.name)"
                )
            }
        }
        let ruledComplete = required.map { "y_\($0.name) IS NOT NULL" }.joined(separator: " AND ")
        let classified = table(
            "ca_classified",
            """
            SELECT z.*,
              CASE WHEN stage1 IS NOT NULL THEN stage1 WHEN \(ruledComplete) THEN 'rule'
                WHEN key_owned THEN 'key_allocated' ELSE 'unknown' END AS class,
              CASE WHEN stage1 IS NOT NULL OR (\(ruledComplete)) OR key_owned THEN NULL
                WHEN leaf IS NULL THEN 'no_envelope'
                WHEN walk_end IN ('broken', 'cycle') THEN 'broken_lineage' ELSE 'missing_fields' END AS reason
            FROM (
              SELECT q.*, \(y.joined(separator: ", "))
              FROM (
                SELECT p.*, CASE WHEN stage1 IS NULL THEN \(ruleNumber) END AS rule_no
                FROM (
                  SELECT c.*,
                    CASE WHEN leaf IS NULL THEN (CASE WHEN complete THEN 'direct' END)
                      WHEN has_u THEN (CASE WHEN own_equal THEN 'direct' ELSE 'inherited' END)
                      WHEN \(resolvedComplete) THEN 'inherited' END AS stage1
                  FROM (
                    SELECT r.*, u.best_ord IS NOT NULL AS has_u, w.walk_end,
                      coalesce(r.complete AND \(equal), FALSE) AS own_equal,
                      coalesce(u.best_ord IS NOT NULL AND (\(disagrees)), FALSE) AS disagrees,
                      k.api_key IS NOT NULL AS key_owned,
                      \(x.joined(separator: ",\n          "))
                    FROM ca_priced r
                    LEFT JOIN ca_units u ON u.leaf = r.leaf
                    LEFT JOIN ca_resolved w ON w.start = r.leaf
                    LEFT JOIN ca_keys k ON k.api_key = r.api_key
                    WHERE r.in_window
                  ) AS c
                ) AS p
              ) AS q
            ) AS z
            """
        )
        return classified + drop("ca_priced") + drop("ca_units")
    }
}
