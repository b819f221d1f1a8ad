import Foundation
import Testing

/// `cost-audit sql`'s command line: the usage errors (exit 64) and bad inputs (exit 65), each one line on
/// stderr, and a script on stdout when the inputs are good.
@Suite("cost-audit sql: options and errors")
struct SQLCommandTests {
    private let ledgers = try? ScratchLedgers()

    private func oneLine(_ run: ToolRun) -> String {
        #expect(run.stderr.filter { $0 == "\n" }.count == 1, "expected one line on stderr, got \(run.stderr)")
        return String(run.stderr.dropLast())
    }

    private func ledger() throws -> URL { try #require(ledgers).make() }

    @Test("without --dialect: exit 64, one line naming the option")
    func missingDialect() throws {
        let run = try runTool(["sql", try ledger().path])
        #expect(run.status == 64)
        #expect(
            oneLine(run)
                == "error: missing expected option '--dialect <dialect>' (duckdb or spark) (see 'cost-audit sql --help')"
        )
        #expect(run.stdout.isEmpty)
    }

    @Test("an unknown dialect: exit 64, one line listing the dialects")
    func unknownDialect() throws {
        let run = try runTool(["sql", "--dialect", "oracle", try ledger().path])
        #expect(run.status == 64)
        #expect(
            oneLine(run)
                == "error: the value 'oracle' is invalid for '--dialect'; expected one of: duckdb, spark "
                + "(see 'cost-audit sql --help')"
        )
    }

    @Test("an empty window: exit 64")
    func emptyWindow() throws {
        let run = try runTool([
            "sql", "--dialect", "duckdb", "--since", "2026-02-01", "--until", "2026-01-01", try ledger().path,
        ])
        #expect(run.status == 64)
        #expect(oneLine(run).hasPrefix("error: the window is empty: '--until' 2026-01-01"))
    }

    @Test("a usage export that does not exist: exit 65, one line naming it")
    func missingUsage() throws {
        let missing = "/nonexistent/usage-\(UUID().uuidString).json"
        let run = try runTool(["sql", "--dialect", "duckdb", "--usage", missing, try ledger().path])
        #expect(run.status == 65)
        #expect(oneLine(run).hasPrefix("error: \(missing): "))
        #expect(run.stdout.isEmpty)
    }

    @Test("a ledger directory's day partitions are read only when it has some (Spark refuses an empty glob)")
    func dayPartitions() throws {
        let directory = try ledger()
        let partitionGlob = directory.path + "/dt=[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/*.jsonl"
        let flat = try runTool(["sql", "--dialect", "duckdb", directory.path])
        #expect(flat.status == 0)
        #expect(!flat.stdout.contains(partitionGlob))
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("dt=2026-10-03"),
            withIntermediateDirectories: true
        )
        let partitioned = try runTool(["sql", "--dialect", "duckdb", directory.path])
        #expect(partitioned.status == 0)
        #expect(partitioned.stdout.contains("'\(partitionGlob)'"))
    }

    @Test("good inputs: exit 0, the script on stdout ending with the query of the report's rows")
    func script() throws {
        let directory = try ledger()
        for dialect in ["duckdb", "spark"] {
            let run = try runTool(["sql", "--dialect", dialect, directory.path])
            #expect(run.status == 0)
            #expect(run.stderr.isEmpty)
            #expect(run.stdout.hasPrefix("-- cost-audit sql --dialect \(dialect)"))
            #expect(run.stdout.contains(directory.path + "/*.jsonl"))
            #expect(run.stdout.hasSuffix("FROM ca_report ORDER BY part, pos;\n"))
        }
    }

    @Test("--scratch DIR: the Spark script writes its tables under DIR")
    func scratch() throws {
        let directory = try ledger()
        let run = try runTool(["sql", "--dialect", "spark", "--scratch", "/tmp/audit-scratch", directory.path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("INSERT OVERWRITE DIRECTORY '/tmp/audit-scratch/ca_resolved' USING parquet"))
        #expect(!run.stdout.contains("cost-audit-sql-scratch"))
    }
}
