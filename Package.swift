// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "swift-cost-attribution",
    // InlineArray, Mutex and Atomic come with the Swift 6.2 standard library and its OS releases.
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "Attribution", targets: ["Attribution"]),
        .library(name: "CostLedger", targets: ["CostLedger"]),
        .library(name: "CostAudit", targets: ["CostAudit"]),
        .library(name: "CostReports", targets: ["CostReports"]),
        .library(name: "CostAuditSQL", targets: ["CostAuditSQL"]),
        .library(name: "AttributionTesting", targets: ["AttributionTesting"]),
        .library(name: "SQLiteJobQueue", targets: ["SQLiteJobQueue"]),
        // For the fuzz targets (Fuzz/, a nested package, which sees only products): the argument parser's
        // entry point is `@_spi(Fuzzing)`; the module's public API is the one `cost-audit` itself is built on.
        .library(name: "CostAuditCLI", targets: ["CostAuditCLI"]),
        .executable(name: "cost-audit", targets: ["cost-audit"]),
    ],
    dependencies: [],
    targets: [
        // Wire formats, internal (no product): the one JSON reader core, canonical JSON text, lowercase hex,
        // RFC 3339 timestamps and the civil calendar, byte-array based and safe, for every module that reads or
        // writes the package's formats.
        .target(name: "WireFormat"),
        // Core: ids, envelope, policy, JSON and header codecs, retry/child, task-local, middleware protocols.
        .target(name: "Attribution", dependencies: ["WireFormat"]),
        // Metering: prices, cost records, the call wrapper, provider adapters, sinks, the JSON Lines ledger.
        .target(name: "CostLedger", dependencies: ["Attribution", "WireFormat"]),
        // Audit: usage exports, key map, rules, lineage, reconciliation, reports and renderers.
        .target(name: "CostAudit", dependencies: ["Attribution", "CostLedger", "WireFormat"]),
        // Reports on the audit's reconciled dollars: by any dimension and period, explain, models, tools,
        // statements, the FOCUS export.
        .target(name: "CostReports", dependencies: ["Attribution", "CostLedger", "CostAudit", "WireFormat"]),
        // The audit as one SQL script for DuckDB or Spark, over the ledger where it lies.
        .target(
            name: "CostAuditSQL",
            dependencies: ["Attribution", "CostLedger", "CostAudit", "CostReports", "WireFormat"]
        ),
        // The command line, as a library so tests reach it without spawning a process.
        .target(
            name: "CostAuditCLI",
            dependencies: ["Attribution", "CostLedger", "CostAudit", "CostReports", "CostAuditSQL"]
        ),
        .executableTarget(name: "cost-audit", dependencies: ["CostAuditCLI", "CMemoryTuning"]),
        // The tool's one C call: a fixed malloc mmap threshold, so the audit's freed tables leave memory.
        .target(name: "CMemoryTuning"),
        // Test kit: in-memory sink, fake provider, deterministic ids and clock.
        .target(name: "AttributionTesting", dependencies: ["Attribution", "CostLedger", "WireFormat"]),
        // Example support: a durable job queue over the system SQLite library.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SQLiteJobQueue", dependencies: ["Attribution", "CSQLite"]),

        .executableTarget(
            name: "TagEnqueueRetryFanOut",
            dependencies: ["Attribution"],
            path: "Examples/TagEnqueueRetryFanOut"
        ),
        .executableTarget(
            name: "MeteredCalls",
            dependencies: ["Attribution", "CostLedger", "AttributionTesting"],
            path: "Examples/MeteredCalls"
        ),
        // The README's quick start, built and run by the tests.
        .executableTarget(
            name: "ReadmeQuickStart",
            dependencies: ["Attribution", "CostLedger", "AttributionTesting"],
            path: "Examples/ReadmeQuickStart"
        ),
        // The Swift snippets of docs/jobs.md, built and run by the tests.
        .executableTarget(
            name: "JobsGuide",
            dependencies: ["Attribution", "CostLedger", "AttributionTesting"],
            path: "Examples/JobsGuide"
        ),
        // The Swift snippets of docs/metering.md, docs/ledger.md, docs/prices.md and docs/audit.md, built and run
        // by the tests.
        .executableTarget(
            name: "DocsSnippets",
            dependencies: ["Attribution", "CostLedger", "CostAudit", "AttributionTesting"],
            path: "Examples/DocsSnippets"
        ),
        // The call sites an adopting application writes, one scenario each, against the public API only;
        // built and run by the tests.
        .executableTarget(
            name: "CallSiteScenarios",
            dependencies: ["Attribution", "CostLedger", "CostAudit", "AttributionTesting"],
            path: "Examples/CallSiteScenarios"
        ),
        .executableTarget(
            name: "queue-producer",
            dependencies: ["Attribution", "CostLedger", "AttributionTesting", "SQLiteJobQueue"],
            path: "Examples/QueueProducer"
        ),
        .executableTarget(
            name: "queue-worker",
            dependencies: ["Attribution", "CostLedger", "AttributionTesting", "SQLiteJobQueue"],
            path: "Examples/QueueWorker"
        ),

        .testTarget(name: "AttributionTests", dependencies: ["Attribution", "AttributionTesting"]),
        .testTarget(name: "WireFormatTests", dependencies: ["WireFormat"]),
        // Replays Fuzz/Corpus and Fuzz/Regressions (read through #filePath-relative paths) through the fuzz
        // targets' entry points.
        .testTarget(
            name: "FuzzReplayTests",
            dependencies: ["Attribution", "CostLedger", "CostAudit", "CostAuditCLI"]
        ),
        .testTarget(
            name: "CostLedgerTests",
            dependencies: [
                "Attribution", "CostLedger", "AttributionTesting", "WireFormat", "ledger-crash-writer", "TestThreads",
            ],
            // Read through #filePath-relative paths, not bundled as resources.
            exclude: ["Fixtures"]
        ),
        // Test-only: blocking waits run on threads of their own, off the test pool (ledger and queue tests).
        .target(name: "TestThreads", dependencies: ["Attribution"], path: "Tests/TestThreads"),
        // A writer process the ledger's crash test kills mid-stream.
        .executableTarget(
            name: "ledger-crash-writer",
            dependencies: ["Attribution", "CostLedger"],
            path: "Tests/LedgerCrashWriter"
        ),
        .testTarget(
            name: "CostAuditTests",
            dependencies: ["Attribution", "CostLedger", "CostAudit"]
        ),
        .testTarget(
            name: "CostAuditSQLTests",
            dependencies: ["Attribution", "CostLedger", "CostAudit", "CostAuditSQL", "CostReports"]
        ),
        .testTarget(
            name: "CostReportsTests",
            dependencies: ["Attribution", "CostLedger", "CostAudit", "CostReports"]
        ),
        .testTarget(
            name: "CostAuditCLITests",
            dependencies: [
                "CostAuditCLI", "Attribution", "CostLedger", "cost-audit", "ReadmeQuickStart", "JobsGuide",
                "DocsSnippets", "CallSiteScenarios", "AttributionTesting",
            ]
        ),
        .testTarget(
            name: "SQLiteJobQueueTests",
            dependencies: [
                "SQLiteJobQueue", "Attribution", "CostLedger", "AttributionTesting", "CSQLite", "sqlite-queue-probe",
                "queue-producer", "queue-worker", "TestThreads",
            ]
        ),
        // A child process for the queue's cross-process tests: claims jobs from a shared database file.
        .executableTarget(
            name: "sqlite-queue-probe",
            dependencies: ["SQLiteJobQueue"],
            path: "Tests/SQLiteQueueProbe"
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    // Require `any` for existential types.
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    // Imports are visible only in the file that declares them.
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    // An import is internal unless it says otherwise.
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    // Every use of an unsafe construct is marked `unsafe`, so each one can be found and reviewed
    // (docs/architecture.md lists them by file).
    settings.append(.strictMemorySafety())
    target.swiftSettings = settings
}
