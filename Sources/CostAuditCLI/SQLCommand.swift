import Attribution
import CostAudit
import CostAuditSQL
import CostLedger
import CostReports

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `cost-audit sql`: the audit as one SQL script for DuckDB or Spark (docs/scale.md).
enum SQLCommand {
    static let spec = CommandSpec(
        name: "sql",
        abstract: "Print the audit as one SQL script for DuckDB or Spark, over the ledger where it lies.",
        discussion: """
            Prints a script whose last query returns the rows of `cost-audit audit --format csv` on the same \
            inputs (docs/scale.md); with --report, the rows of `cost-audit report --format csv --by DIMS \
            [--period P]` instead, each with its CSV line (the header is the script's comment line starting \
            '-- CSV header:'). The ledger location is a directory (its *.jsonl files and day partitions), \
            or a file, glob or URL the engine reads as it is; it is not read here. The usage exports, key map, \
            rules and prices are read here and inlined as VALUES. Exit status: 0 ok, 64 bad usage, 65 bad input.
            """,
        positionals: [
            PositionalSpec(
                name: "ledger",
                help: "Ledger directories, *.jsonl files, globs or URLs the engine reads (default: \"ledgers\" of "
                    + "the configuration file).",
                optional: true,
                variadic: true
            )
        ],
        options: [
            OptionSpec(name: "dialect", valueName: "dialect", help: "duckdb or spark (required)."),
            OptionSpec(
                name: "report",
                valueName: nil,
                help: "The spend report of 'cost-audit report' (--by, --period) instead of the audit."
            ),
            OptionSpec(
                name: "by",
                valueName: "dims",
                help: "With --report: comma-separated dimensions, as 'report --by' takes them (default: team,project)."
            ),
            OptionSpec(
                name: "period",
                valueName: "period",
                help: "With --report: hour, day, week (ISO, from Monday) or month (UTC)."
            ),
            OptionSpec(
                name: "scratch",
                valueName: "dir",
                help: "Spark: the directory the script writes its tables to as Parquet (default: "
                    + "cost-audit-sql-scratch, relative to Spark's working directory)."
            ),
            AuditInputs.usage,
            AuditInputs.keys,
            AuditInputs.rules,
            AuditInputs.prices,
            AuditInputs.pricesEffectiveFrom,
            AuditInputs.since,
            AuditInputs.until,
            AuditInputs.require,
            AuditInputs.config,
        ]
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let dialect: SQLDialect
        var configuration: AuditConfiguration
        var dimensions: [ReportDimension] = []
        var period: ReportPeriod?
        do throws(UsageError) {
            guard parsed.value("dialect") != nil else {
                throw UsageError(message: "missing expected option '--dialect <dialect>' (duckdb or spark)")
            }
            let name = try spec.choice(parsed, "dialect", SQLDialect.all.map(\.name), default: "duckdb")
            dialect = SQLDialect(name: name) ?? .duckdb
            configuration = try AuditInputs.parseOptions(parsed)
            if parsed.flag("report") {
                do throws(ReportError) {
                    dimensions = try ReportDimension.list(parsing: parsed.value("by") ?? "team,project")
                    period = try parsed.value("period").map { (text) throws(ReportError) in
                        try ReportPeriod(parsing: text)
                    }
                } catch {
                    let option = error.field == "dimension" ? "by" : error.field
                    throw UsageError(
                        message: "the value '\(error.value)' is invalid for '--\(option)'; \(error.reason)"
                    )
                }
            } else if let option = ["by", "period"].first(where: { parsed.value($0) != nil }) {
                throw UsageError(message: "'--\(option)' needs '--report'")
            }
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }
        let inputs: CommandInputs
        do throws(CommandStop) {
            inputs = try AuditInputs.inputs(parsed, spec: spec, io: io)
        } catch {
            return error.status
        }
        if let status = AuditInputs.load(inputs, into: &configuration, io: io) { return status }
        var globs: [String] = []
        var directories: [String] = []
        for location in inputs.ledgers {
            guard let info = SystemIO.status(path: location), info.st_mode & S_IFMT == S_IFDIR else {
                globs.append(location)
                continue
            }
            // A local directory: its files, and its day partitions' when it has any (Spark refuses a glob that
            // matches nothing).
            let directoryGlobs = AuditSQL.directoryGlobs(location)
            let partitioned = (SystemIO.directoryNames(location) ?? []).contains { isDayPartition($0) }
            globs += partitioned ? directoryGlobs : [directoryGlobs[0]]
            directories.append(location.hasSuffix("/") ? String(location.dropLast()) : location)
        }
        do throws(CostAuditError) {
            var sql = try AuditSQL(dialect: dialect, ledgerGlobs: globs, configuration: configuration)
            sql.ledgerDirectories = directories
            if let scratch = parsed.value("scratch") { sql.scratchDirectory = scratch }
            if parsed.flag("report") {
                io.writeOutput(sql.reportScript(by: dimensions, period: period))
            } else {
                io.writeOutput(sql.script())
            }
        } catch {
            io.writeError("error: \(error)\n")
            return AuditCommand.exitCode(for: error, outputPath: nil)
        }
        return .success
    }

    /// Whether a directory entry is a day partition, `dt=YYYY-MM-DD` (digits where the form has them).
    static func isDayPartition(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 13, bytes.starts(with: "dt=".utf8) else { return false }
        for (offset, byte) in bytes.dropFirst(3).enumerated() {
            let isDash = offset == 4 || offset == 7
            guard isDash ? byte == UInt8(ascii: "-") : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                return false
            }
        }
        return true
    }
}
