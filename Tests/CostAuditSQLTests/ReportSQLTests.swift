import Attribution
import CostAudit
import CostAuditSQL
import CostLedger
import CostReports
import Foundation
import Testing

/// `cost-audit sql --report`'s script without an engine: its CSV header, how each dimension reads the audit's
/// tables, and that a tag key stays one literal. (That the script's rows equal `cost-audit report --format csv`
/// is `.ci/check-sql.sh`'s, which runs them in DuckDB on the demo and the fault ledger.)
@Suite("cost-audit sql --report: the generated script")
struct ReportSQLTests {
    static func script(
        _ dimensions: String,
        period: ReportPeriod? = nil,
        dialect: SQLDialect = .duckdb
    ) throws -> String {
        let configuration = try AuditSQLTests.configuration()
        let sql = try AuditSQL(dialect: dialect, ledgerGlobs: ["/ledger/*.jsonl"], configuration: configuration)
        return sql.reportScript(by: try ReportDimension.list(parsing: dimensions), period: period)
    }

    @Test("the CSV header is the report's, named in the script's header, and the last query returns the rows")
    func header() throws {
        let sql = try Self.script("team,project", period: .month)
        let header =
            "team,project,period,spend_usd,input_tokens,cached_input_tokens,cache_write_tokens,"
            + "output_tokens,reasoning_tokens,calls,tasks"
        #expect(sql.contains("\n-- CSV header: \(header)\n"))
        #expect(
            AuditSQL.reportCSVHeader(by: [.team, .project], period: .month) == header
        )
        #expect(sql.contains("cost-audit report --format csv --by team,project --period month"))
        #expect(sql.hasSuffix("FROM ca_spend_labelled ORDER BY pos;\n"))
        // A tag key with a comma is quoted in the header, as the report writes it.
        #expect(AuditSQL.reportCSVHeader(by: [.tag("a,b")], period: nil).hasPrefix("\"tags.a,b\",spend_usd,"))
    }

    @Test("team is the filled value for attributed records, the key's team for key-allocated, the own value else")
    func teamSources() throws {
        let sql = try Self.script("team")
        #expect(
            sql.contains(
                "CASE WHEN c.class IN ('direct', 'inherited', 'rule') THEN c.y_team "
                    + "WHEN c.class = 'key_allocated' THEN coalesce(c.y_team, k.team) ELSE c.f_team END AS d0"
            )
        )
        // Unrecorded spend: the key's team when the key map allocates it.
        #expect(sql.contains("CASE WHEN u.allocated THEN k.team END AS d0"))
        // A required field the key map does not fill keeps the record's own value when key-allocated.
        #expect(sql.contains("WHEN c.class = 'key_allocated' THEN c.f_feature ELSE c.f_feature END") == false)
        let byFeature = try Self.script("feature")
        #expect(byFeature.contains("WHEN c.class = 'key_allocated' THEN c.f_feature ELSE c.f_feature END AS d0"))
    }

    @Test("an hourly report leaves out the spend known per day only; every other period has it")
    func hourlyLeavesOutUnrecorded() throws {
        let hourly = try Self.script("team", period: .hour)
        let spendRows = try #require(hourly.range(of: "ca_spend_rows AS"))
        let groups = try #require(hourly.range(of: "ca_spend_groups AS"))
        #expect(!hourly[spendRows.upperBound..<groups.lowerBound].contains("ca_unrecorded"))
        for period in [ReportPeriod.day, .week, .month] {
            let sql = try Self.script("team", period: period)
            let start = try #require(sql.range(of: "ca_spend_rows AS"))
            let end = try #require(sql.range(of: "ca_spend_groups AS"))
            #expect(sql[start.upperBound..<end.lowerBound].contains("FROM ca_unrecorded u"), "\(period)")
        }
    }

    @Test("the (unknown) group is added only when a dimension is one of the five required fields")
    func unknownGroup() throws {
        #expect(try Self.script("team").contains("WHERE NOT EXISTS (SELECT 1 FROM ca_spend_groups g"))
        #expect(try Self.script("model,provider").contains("WHERE NOT EXISTS") == false)
    }

    @Test("a tag key with quotes, a backslash or a line break stays one string literal in both dialects")
    func tagKeyLiteral() throws {
        let key = "a'b\\c\n); DROP TABLE x; --"
        let duck = try Self.script("tags.\(key)")
        #expect(duck.contains("[\("'a''b\\c\n); DROP TABLE x; --'")]"))
        let spark = try Self.script("tags.\(key)", dialect: .spark)
        #expect(spark.contains("[\("'a\\'b\\\\c\\n); DROP TABLE x; --'")]"))
        // The header's five comment lines stay comments: the next line is a statement or blank.
        for sql in [duck, spark] {
            let lines = sql.components(separatedBy: "\n")
            #expect(lines.prefix(5).allSatisfy { $0.hasPrefix("-- ") }, "\(lines.prefix(6))")
            #expect(lines[5].isEmpty || lines[5].hasPrefix("SET "), "\(lines.prefix(6))")
        }
    }
}
