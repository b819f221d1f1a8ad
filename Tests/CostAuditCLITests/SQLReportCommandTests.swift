import Foundation
import Testing

/// `cost-audit sql --report`'s command line: `--by` and `--period` as `report` reads them, and only with
/// `--report`.
@Suite("cost-audit sql --report: options and errors")
struct SQLReportCommandTests {
    private let ledgers = try? ScratchLedgers()

    private func ledger() throws -> String { try #require(ledgers).make().path }

    @Test("--by or --period without --report: exit 64, one line naming the option")
    func needsReport() throws {
        for option in ["--by", "--period"] {
            let run = try runTool(["sql", "--dialect", "duckdb", option, "month", try ledger()])
            #expect(run.status == 64)
            #expect(run.stderr == "error: '\(option)' needs '--report' (see 'cost-audit sql --help')\n")
            #expect(run.stdout.isEmpty)
        }
    }

    @Test("an unknown dimension or period: exit 64, one line naming the value, as report says it")
    func badValues() throws {
        let dimension = try runTool(["sql", "--dialect", "duckdb", "--report", "--by", "team,colour", try ledger()])
        #expect(dimension.status == 64)
        #expect(dimension.stderr.hasPrefix("error: the value 'colour' is invalid for '--by'; expected one of user_id,"))
        let period = try runTool(["sql", "--dialect", "duckdb", "--report", "--period", "fortnight", try ledger()])
        #expect(period.status == 64)
        #expect(
            period.stderr
                == "error: the value 'fortnight' is invalid for '--period'; expected hour, day, week or month "
                + "(see 'cost-audit sql --help')\n"
        )
    }

    @Test("--report: exit 0, the report's script, team and project by default")
    func defaultReport() throws {
        let run = try runTool(["sql", "--dialect", "spark", "--report", try ledger()])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\n-- CSV header: team,project,spend_usd,input_tokens,"))
        #expect(run.stdout.hasSuffix("FROM ca_spend_labelled ORDER BY pos;\n"))
        let audit = try runTool(["sql", "--dialect", "spark", try ledger()])
        #expect(!audit.stdout.contains("ca_spend_rows"))
    }
}
