import Attribution
import CostAudit
import CostAuditSQL
import CostLedger
import Testing

/// What the SQL generator decides without an engine: the inlined inputs are exact, every string it inlines
/// stays one literal, and the dialects differ where the engines do. (That the scripts compute the audit is
/// `.ci/check-sql.sh`'s, which runs them in DuckDB against `cost-audit audit --format csv`.)
@Suite("cost-audit sql: the generated script")
struct AuditSQLTests {
    /// Prices with digits far below a cent: per token, 2.5 USD per million is 2,500,000,000,000 attodollars.
    static let prices = #"""
        {"models": {
          "m-exact": [{"input": "2.5", "output": "10", "cached_input": "0.000000000001"}],
          "m-dated": [{"effective_from": "2026-01-01", "input": "1", "output": "2"},
                      {"effective_from": "2026-06-01", "input": "0.5", "output": "1"}]
        }}
        """#

    static func configuration(
        rules: AuditRules = .empty,
        keys: AuditKeyMap = .empty,
        usage: [UsageExportSource] = []
    ) throws -> AuditConfiguration {
        var configuration = AuditConfiguration(
            ledger: .files([]),
            prices: try PriceTable(priceFileJSON: Array(prices.utf8))
        )
        configuration.rules = rules
        configuration.keyMap = keys
        configuration.usage = usage
        return configuration
    }

    static func script(_ configuration: AuditConfiguration, _ dialect: SQLDialect = .duckdb) throws -> String {
        try AuditSQL(dialect: dialect, ledgerGlobs: ["/ledger/*.jsonl"], configuration: configuration).script()
    }

    @Test("prices are inlined as exact attodollars per token, each period and tier its own row, absent rates NULL")
    func exactPrices() throws {
        let sql = try Self.script(Self.configuration())
        // 2.5 USD per million tokens = 2.5e-6 USD = 2,500,000,000,000 attodollars; 1e-12 per million = 1e-18 USD.
        #expect(
            sql.contains(
                "(CAST('m-exact' AS VARCHAR), CAST('default' AS VARCHAR), CAST(CAST('-9223372036854775808' AS BIGINT) AS BIGINT), "
                    + "CAST(CAST(0 AS BIGINT) AS BIGINT), CAST(CAST('2500000000000' AS HUGEINT) AS HUGEINT), "
                    + "CAST(CAST('10000000000000' AS HUGEINT) AS HUGEINT), CAST(CAST('1' AS HUGEINT) AS HUGEINT), "
                    + "CAST(CAST(NULL AS HUGEINT) AS HUGEINT), CAST(CAST(NULL AS HUGEINT) AS HUGEINT))"
            )
        )
        // 2026-01-01 is day 20454 since 1970-01-01; 2026-06-01 is day 20605.
        #expect(sql.contains("CAST('m-dated' AS VARCHAR), CAST('default' AS VARCHAR), CAST(CAST(20454 AS BIGINT)"))
        #expect(sql.contains("CAST('m-dated' AS VARCHAR), CAST('default' AS VARCHAR), CAST(CAST(20605 AS BIGINT)"))
        #expect(sql.contains("CAST(CAST('500000000000' AS HUGEINT) AS HUGEINT)"))
    }

    @Test("usage exports are priced per cell exactly and inlined with their day, provider, model and key")
    func usageCells() throws {
        // 1,000,001 input tokens at 2.5 USD per million: 2.5000025 USD, exactly 2,500,002,500,000,000,000 attodollars.
        let page = """
            {"object": "page", "data": [{"object": "bucket", "start_time": 1795132800, "end_time": 1795219200,
            "results": [{"object": "organization.usage.completions.result", "input_tokens": 1000001,
            "input_cached_tokens": 0, "output_tokens": 0, "num_model_requests": 1, "api_key_id": "key_a",
            "model": "m-exact", "batch": false}]}], "has_more": false, "next_page": null}
            """
        let sql = try Self.script(Self.configuration(usage: [.text(page, name: "usage.json")]))
        // 1795132800 is 2026-11-20, day 20777.
        #expect(
            sql.contains(
                "(CAST(CAST(20777 AS BIGINT) AS BIGINT), CAST('openai' AS VARCHAR), CAST('m-exact' AS VARCHAR), "
                    + "CAST('key_a' AS VARCHAR), CAST(CAST('2500002500000000000' AS HUGEINT) AS HUGEINT))"
            )
        )
        #expect(
            sql.contains("(CAST(CAST(20777 AS BIGINT) AS BIGINT), CAST('openai' AS VARCHAR), CAST(TRUE AS BOOLEAN))")
        )
    }

    /// Values that would end a literal early, start a comment or break a line.
    static let hostile = [
        "o'brien", #"say "hi""#, "two\nlines", "x'); DROP TABLE ca_prices; --", #"back\slash\'"#, "tab\there",
    ]

    @Test("a rule value, a key map entry or a ledger path with quotes, backslashes or line breaks stays one literal")
    func injection() throws {
        for dialect in SQLDialect.all {
            for value in Self.hostile {
                let rules = AuditRules(rules: [
                    AuditRules.Rule(match: [.field(.agent): value], set: [.team: value, .project: "p"])
                ])
                let keys = AuditKeyMap(owners: [value: AuditKeyMap.Owner(team: value, project: "p")])
                let sql = try AuditSQL(
                    dialect: dialect,
                    ledgerGlobs: ["/bucket/" + value + "/*.jsonl"],
                    configuration: Self.configuration(rules: rules, keys: keys)
                ).script()
                let literals = try SQLLexer(dialect: dialect).stringLiterals(sql)
                // The value comes back whole from the literals the script holds, as often as it was put in:
                // the rule's match and set, the key and its team, and the path.
                #expect(literals.filter { $0 == value }.count == 4, "\(dialect) \(value.debugDescription)")
                // DuckDB reads a list of globs; Spark a view of each glob.
                #expect(literals.contains("/bucket/" + value + "/*.jsonl"), "\(dialect) \(value.debugDescription)")
            }
        }
    }

    @Test("DuckDB doubles a quote and keeps backslashes; Spark escapes both and sets exact decimal arithmetic")
    func dialectsDiffer() throws {
        let value = #"it's a\b"#
        let rules = AuditRules(rules: [AuditRules.Rule(match: [.field(.agent): value], set: [.team: "t"])])
        let duck = try Self.script(Self.configuration(rules: rules), .duckdb)
        let spark = try Self.script(Self.configuration(rules: rules), .spark)
        #expect(duck.contains(#"'it''s a\b'"#))
        #expect(spark.contains(#"'it\'s a\\b'"#))
        #expect(duck.contains("read_text(["))
        #expect(
            spark.contains(
                "CREATE OR REPLACE TEMPORARY VIEW ca_ledger_text_0 USING text OPTIONS (path '/ledger/*.jsonl', wholetext 'true');"
            )
        )
        #expect(duck.contains("HUGEINT") && !duck.contains("DECIMAL(38,0))"))
        #expect(spark.contains("SET spark.sql.decimalOperations.allowPrecisionLoss=false;"))
        #expect(!spark.contains("HUGEINT"))
        #expect(duck.contains("CREATE OR REPLACE TEMP TABLE ca_ranked AS"))
        #expect(duck.contains("DROP TABLE IF EXISTS ca_ranked;"))
        // Spark writes each table to the scratch directory as Parquet and reads it back as a view.
        #expect(spark.contains("INSERT OVERWRITE DIRECTORY 'cost-audit-sql-scratch/ca_ranked' USING parquet"))
        #expect(
            spark.contains(
                "CREATE OR REPLACE TEMPORARY VIEW ca_ranked USING parquet OPTIONS (path 'cost-audit-sql-scratch/ca_ranked');"
            )
        )
        #expect(spark.contains("DROP VIEW IF EXISTS ca_ranked;"))
        #expect(!spark.contains("CACHE TABLE"))
    }

    @Test("--since and --until bound the instant a record is counted by, in nanoseconds, since inclusive")
    func window() throws {
        var configuration = try Self.configuration()
        configuration.since = try UTCTimestamp(rfc3339: "2026-10-03T00:00:00Z")
        configuration.until = try UTCTimestamp(rfc3339: "2026-10-05T12:00:00Z")
        let sql = try Self.script(configuration)
        #expect(sql.contains("CAST(r.when_ms AS HUGEINT) * 1000000 >= CAST('1790985600000000000' AS HUGEINT)"))
        #expect(sql.contains("CAST(r.when_ms AS HUGEINT) * 1000000 < CAST('1791201600000000000' AS HUGEINT)"))
        #expect(!(try Self.script(Self.configuration())).contains("r.when_ms AS HUGEINT) * 1000000"))
    }

    /// The names of the tables the script makes, in order.
    static func tables(_ sql: String) -> [String] {
        sql.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("CREATE OR REPLACE TEMP TABLE ") else { return nil }
            return String(line.dropFirst("CREATE OR REPLACE TEMP TABLE ".count).prefix { $0 != " " })
        }
    }

    @Test("the lineage walk is pointer jumping: a one-hop table and six rounds that double its reach to 64 hops")
    func lineageRounds() throws {
        let sql = try Self.script(Self.configuration())
        let jumps = Self.tables(sql).filter { $0.hasPrefix("ca_j") }
        #expect(jumps == (0...6).map { "ca_j\($0)" })
        // Each round composes the previous round's table with itself, and the previous one is dropped.
        for round in 1...6 {
            #expect(sql.contains("FROM ca_j\(round - 1) a JOIN ca_j\(round - 1) b ON b.node = a.target"))
            #expect(sql.contains("DROP TABLE IF EXISTS ca_j\(round - 1);"))
        }
        // The walk from the trace's root gets what the walk from the unit left of the 64 hops.
        #expect(sql.contains("WHEN k = 64 THEN 'cycle'"))
        #expect(sql.contains("<= 63 - k THEN bv_user_id END"))
        #expect(!sql.contains("ca_w0") && !sql.contains("ca_w65"))
    }

    @Test("the ledger's lines are parsed as they are read: no table holds a line's text")
    func narrowIngest() throws {
        for dialect in SQLDialect.all {
            let sql = try Self.script(Self.configuration(), dialect)
            #expect(!sql.contains("ca_lines"), "\(dialect)")
            #expect(!sql.contains("ca_parsed"), "\(dialect)")
            // Copies of a record are compared by the digest of their text.
            #expect(sql.contains("o.digest <> k.digest"), "\(dialect)")
        }
        let tables = Self.tables(try Self.script(Self.configuration()))
        #expect(tables.first == "ca_ranked")
    }

    @Test("--scratch names where Spark writes the tables; without one, Spark caches them")
    func sparkScratch() throws {
        var sql = try AuditSQL(dialect: .spark, ledgerGlobs: ["/l/*.jsonl"], configuration: Self.configuration())
        sql.scratchDirectory = "s3a://scratch/run-1/"
        let written = sql.script()
        #expect(written.contains("INSERT OVERWRITE DIRECTORY 's3a://scratch/run-1/ca_j6' USING parquet"))
        #expect(!written.contains("cost-audit-sql-scratch"))
        sql.scratchDirectory = nil
        let cached = sql.script()
        #expect(cached.contains("CACHE TABLE ca_j6 AS"))
        #expect(cached.contains("UNCACHE TABLE IF EXISTS ca_j5;"))
        #expect(!cached.contains("INSERT OVERWRITE DIRECTORY"))
    }

    @Test("a ledger directory is read as the audit reads it: its *.jsonl files and its dt= day partitions")
    func directoryGlobs() {
        #expect(
            AuditSQL.directoryGlobs("/data/ledger/") == [
                "/data/ledger/*.jsonl", "/data/ledger/dt=[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/*.jsonl",
            ]
        )
    }
}

/// Just enough of each engine's lexer to find the string literals of a script: DuckDB's standard literals
/// (`''` is a quote), Spark's backslash escapes; identifiers in double quotes or backticks and comments skipped.
struct SQLLexer {
    let dialect: SQLDialect

    struct Unterminated: Error {}

    func stringLiterals(_ sql: String) throws -> [String] {
        let chars = Array(sql.unicodeScalars)
        var literals: [String] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "-", i + 1 < chars.count, chars[i + 1] == "-" {
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "\"" || c == "`" {
                i += 1
                while i < chars.count, chars[i] != c { i += 1 }
                guard i < chars.count else { throw Unterminated() }
                i += 1
                continue
            }
            guard c == "'" else {
                i += 1
                continue
            }
            var value = String.UnicodeScalarView()
            i += 1
            var closed = false
            while i < chars.count {
                let d = chars[i]
                if dialect == .spark, d == "\\", i + 1 < chars.count {
                    let next = chars[i + 1]
                    switch next {
                    case "n": value.append("\n")
                    case "r": value.append("\r")
                    case "t": value.append("\t")
                    case "0": value.append("\0")
                    default: value.append(next)
                    }
                    i += 2
                    continue
                }
                if d == "'" {
                    if dialect == .duckdb, i + 1 < chars.count, chars[i + 1] == "'" {
                        value.append("'")
                        i += 2
                        continue
                    }
                    closed = true
                    i += 1
                    break
                }
                value.append(d)
                i += 1
            }
            guard closed else { throw Unterminated() }
            literals.append(String(value))
        }
        return literals
    }
}
