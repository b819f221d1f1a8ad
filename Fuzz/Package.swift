// swift-tools-version:6.2
import Foundation
import PackageDescription

// The fuzz targets, one libFuzzer executable per decoder, in their own package: libFuzzer brings its own
// `main`, and the root package keeps no unsafe flags. Each target reaches its decoder through the root's
// `@_spi(Fuzzing)` entry points, which also hold the properties checked (the ordinary tests replay Corpus/ and
// Regressions/ through the same entry points). Build and run with `run.sh` (see docs/reliability.md):
//
//     swift build -c debug --package-path Fuzz -Xswiftc -sanitize=fuzzer,address
//
// The sanitizer flags are given on the command line, not here, so that the root package's modules, where the
// decoders are, are instrumented too (unsafeFlags in this manifest would reach only these targets). SwiftPM
// links an executable's `main` to its own entry point, so libFuzzer's `main` is not used: each target's
// main.swift hands its command line to libFuzzer's driver through FuzzerDriver.
// A package reached by its path is known by its folder's name (the root's clone or worktree may be named
// anything).
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "swift-cost-attribution-fuzz",
    platforms: [.macOS(.v26)],
    dependencies: [
        .package(path: "../")
    ],
    targets: [
        // libFuzzer's driver, declared for Swift (see its header).
        .target(name: "FuzzerDriver"),
        fuzzTarget("EnvelopeJSON", "Attribution"),
        fuzzTarget("EnvelopeHeaders", "Attribution"),
        fuzzTarget("PayloadEmbedding", "Attribution"),
        fuzzTarget("LedgerLine", "Attribution", "CostLedger"),
        fuzzTarget("OpenAIExport", "Attribution", "CostAudit"),
        fuzzTarget("AnthropicExport", "Attribution", "CostAudit"),
        fuzzTarget("PriceFile", "Attribution", "CostLedger"),
        fuzzTarget("LiteLLMPriceFile", "Attribution", "CostLedger"),
        fuzzTarget("RulesFile", "Attribution", "CostAudit"),
        fuzzTarget("KeyMapFile", "Attribution", "CostAudit"),
        fuzzTarget("Arguments", "Attribution", "CostAuditCLI"),
    ],
    swiftLanguageModes: [.v6]
)

/// One libFuzzer target, `Sources/<name>/`, using the root package's products `modules`.
func fuzzTarget(_ name: String, _ modules: String...) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzerDriver"] + modules.map { .product(name: $0, package: root) },
        swiftSettings: [.strictMemorySafety()]
    )
}
