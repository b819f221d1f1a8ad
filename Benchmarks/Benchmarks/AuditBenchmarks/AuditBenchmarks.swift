import Benchmark
import CostAudit
import CostLedger
import CostReports
import Foundation

/// The audit of the generated benchmark ledger (2,000,000 records, 8 files), with its usage export.
///
/// Generate it first (once):
///
///     python3 Benchmarks/scripts/generate_ledger.py --records 2000000 --out /tmp/audit-bench
///
/// and point `AUDIT_BENCH_DIR` elsewhere if it lives somewhere else.
let benchmarks: @Sendable () -> Void = {
    let directory = ProcessInfo.processInfo.environment["AUDIT_BENCH_DIR"] ?? "/tmp/audit-bench"
    let ledger = directory + "/ledger"
    let usage = directory + "/usage/openai-usage-page-1.json"
    guard FileManager.default.fileExists(atPath: ledger) else {
        print("AuditBenchmarks: no ledger at \(ledger); generate it with Benchmarks/scripts/generate_ledger.py")
        return
    }

    Benchmark(
        "Audit of the 2,000,000-record ledger with usage reconciliation",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
            warmupIterations: 1,
            maxDuration: .seconds(120),
            maxIterations: 5
        )
    ) { benchmark in
        var configuration = AuditConfiguration(ledger: .files([ledger]), prices: PriceTable.builtIn)
        configuration.usage = [.file(usage)]
        for _ in benchmark.scaledIterations {
            blackHole(try Auditor.run(configuration))
        }
    }

    Benchmark(
        "Report by team and project per month of the 2,000,000-record ledger (audit included)",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
            warmupIterations: 1,
            maxDuration: .seconds(120),
            maxIterations: 5
        )
    ) { benchmark in
        var configuration = AuditConfiguration(ledger: .files([ledger]), prices: PriceTable.builtIn)
        configuration.usage = [.file(usage)]
        for _ in benchmark.scaledIterations {
            let dataset = SpendDataset(try Auditor.attribute(configuration))
            blackHole(try SpendReport(dataset, by: [.team, .project], period: .month))
        }
    }
}
