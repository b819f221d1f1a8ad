// swift-tools-version:6.1
import PackageDescription

// The benchmarks live in their own package so the root package keeps zero dependencies.
let package = Package(
    name: "swift-cost-attribution-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-cost-attribution", path: "../"),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "EnvelopeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Attribution", package: "swift-cost-attribution"),
            ],
            path: "Benchmarks/EnvelopeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "AuditBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "CostAudit", package: "swift-cost-attribution"),
                .product(name: "CostLedger", package: "swift-cost-attribution"),
                .product(name: "CostReports", package: "swift-cost-attribution"),
            ],
            path: "Benchmarks/AuditBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // SQLite for the ledger baseline (the root package's CSQLite is not a product).
        .systemLibrary(name: "CSQLiteBench", path: "Sources/CSQLiteBench", providers: [.apt(["libsqlite3-dev"])]),
        .executableTarget(
            name: "LedgerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Attribution", package: "swift-cost-attribution"),
                .product(name: "CostLedger", package: "swift-cost-attribution"),
                "CSQLiteBench",
            ],
            path: "Benchmarks/LedgerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
