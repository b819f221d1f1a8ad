import Attribution
import Benchmark
import CostAudit
import CostLedger
import CostReports
import Foundation

/// The audit of the generated benchmark ledger (2,000,000 records, 8 files), with its usage export, and each
/// report command's work on top of it as `cost-audit` does it (the audit keeping only the columns the command
/// reads, the same window, the same detectors), so that each can be compared with the audit of the same run
/// (issues 15 and 16: at most 1.2x).
///
/// Generate the ledger first (once):
///
///     python3 Benchmarks/scripts/generate_ledger.py --records 2000000 --out /tmp/audit-bench
///
/// and point `AUDIT_BENCH_DIR` elsewhere if it lives somewhere else. `AUDIT_BENCH_NOW` is the commands' "now"
/// (default 2026-10-08, the day after the generated ledger's last record); `AUDIT_BENCH_FEATURE` the feature
/// `explain` looks at (default `agent_chat`).
let benchmarks: @Sendable () -> Void = {
    let environment = ProcessInfo.processInfo.environment
    let directory = environment["AUDIT_BENCH_DIR"] ?? "/tmp/audit-bench"
    let ledger = directory + "/ledger"
    let usage = directory + "/usage/openai-usage-page-1.json"
    guard FileManager.default.fileExists(atPath: ledger) else {
        print("AuditBenchmarks: no ledger at \(ledger); generate it with Benchmarks/scripts/generate_ledger.py")
        return
    }
    guard let now = try? UTCTimestamp(rfc3339: (environment["AUDIT_BENCH_NOW"] ?? "2026-10-08") + "T00:00:00Z"),
        let scope = try? ExplainReport.Scope(.feature, environment["AUDIT_BENCH_FEATURE"] ?? "agent_chat"),
        let month = try? StatementMonth(parsing: String(now.description.prefix(7)))
    else {
        print("AuditBenchmarks: AUDIT_BENCH_NOW must be YYYY-MM-DD and AUDIT_BENCH_FEATURE a feature")
        return
    }
    let configuration = {
        var configuration = AuditConfiguration(ledger: .files([ledger]), prices: PriceTable.builtIn)
        configuration.usage = [.file(usage)]
        return configuration
    }()

    /// One benchmark: `body` once per iteration, wall clock, CPU and peak memory, five iterations at most.
    func measure(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
        Benchmark(
            name,
            configuration: .init(
                metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
                warmupIterations: 1,
                maxDuration: .seconds(120),
                maxIterations: 5
            )
        ) { benchmark in
            for _ in benchmark.scaledIterations { try body() }
        }
    }

    /// The audit keeping `columns`, over `configuration`, as the report commands run it.
    let attribute = { @Sendable (columns: AuditReportColumns, configuration: AuditConfiguration) throws in
        SpendDataset(try Auditor.attribute(configuration, columns: columns))
    }

    /// One benchmark of a pass over the dataset alone, the audit excluded: the audit keeping `columns` runs once
    /// per run of the benchmark, before its measured iterations. The time a command spends beyond the audit is
    /// mostly this pass; measured apart, it is not lost in the audit's run-to-run spread.
    func measurePass(
        _ name: String,
        columns: AuditReportColumns,
        _ body: @escaping @Sendable (SpendDataset) throws -> Void
    ) {
        Benchmark(
            name,
            configuration: .init(
                metrics: [.wallClock, .cpuTotal],
                warmupIterations: 1,
                maxDuration: .seconds(120),
                maxIterations: 15
            )
        ) { benchmark in
            let dataset = try attribute(columns, configuration)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { try body(dataset) }
            benchmark.stopMeasurement()
        }
    }

    measure("Audit of the 2,000,000-record ledger with usage reconciliation") {
        blackHole(try Auditor.run(configuration))
    }

    measure("Report by team and project per month of the 2,000,000-record ledger (audit included)") {
        let dimensions: [ReportDimension] = [.team, .project]
        let dataset = try attribute(SpendReport.auditColumns(by: dimensions), configuration)
        blackHole(try SpendReport(dataset, by: dimensions, period: .month).render(.csv))
    }

    measure("Explain one feature of the 2,000,000-record ledger (audit included)") {
        let dataset = try attribute(ExplainReport.auditColumns(scope: scope.dimension), configuration)
        blackHole(try ExplainReport(dataset, scope: scope, now: now).render(.table))
    }

    measure("Alerts of the last 24 hours of the 2,000,000-record ledger (audit included)") {
        let detectors = AlertDetectors.standard
        let dataset = try attribute(AlertReport.auditColumns(detectors: detectors), configuration)
        blackHole(try AlertReport(dataset, detectors: detectors, now: now, window: .day).render(.table))
    }

    measure("Month-end forecast by team of the 2,000,000-record ledger (audit included)") {
        // As `cost-audit forecast`: the audit covers the days the method reads, up to the day of "now".
        let method = ForecastMethod.default
        var windowed = configuration
        let cut = min(ReportPeriod.day.start(of: now), month.end)
        windowed.since = UTCTimestamp(
            nanosecondsSinceEpoch: cut.nanosecondsSinceEpoch - Int64(method.loadDays) * 86_400_000_000_000
        )
        windowed.until = cut
        let dataset = try attribute(MonthForecast.auditColumns(by: [.team]), windowed)
        blackHole(try MonthForecast(dataset, month: month, asOf: now, by: [.team], method: method).render(.table))
    }

    measurePass(
        "Alerts' pass alone over the 2,000,000-record ledger's rows (audit excluded)",
        columns: AlertReport.auditColumns(detectors: AlertDetectors.standard)
    ) { dataset in
        blackHole(try AlertReport(dataset, detectors: AlertDetectors.standard, now: now, window: .day))
    }

    measurePass(
        "Dashboard page's pass alone over the 2,000,000-record ledger's rows (audit excluded)",
        columns: Dashboard.auditColumns(detectors: AlertDetectors.standard)
    ) { dataset in
        blackHole(Dashboard(dataset, now: now, detectors: AlertDetectors.standard).html())
    }

    // The floor under `html` and `alerts`: what they cost beyond the audit before their pass over the rows (the
    // audit keeping the page's columns and each record's filled values, and the dataset of its rows).
    measure("Dashboard page's audit and dataset alone, without its pass (the 2,000,000-record ledger)") {
        blackHole(try attribute(Dashboard.auditColumns(detectors: AlertDetectors.standard), configuration))
    }

    measure("Dashboard page of the 2,000,000-record ledger (audit included)") {
        // As `cost-audit html`: the alerts and the charts' sums in one pass over the rows, on two threads.
        let detectors = AlertDetectors.standard
        let dataset = try attribute(Dashboard.auditColumns(detectors: detectors), configuration)
        blackHole(Dashboard(dataset, now: now, detectors: detectors).html())
    }
}
