// swift-tools-version:6.2
import PackageDescription

// The root package is named by path, so SwiftPM knows it by its folder's name (`swift-cost-attribution` in a
// clone under that name, something else in a worktree): products from it name that identity.
let root = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "swift-cost-attribution")
    .lowercased()

// Bridges from the envelope and the meter to the Swift server ecosystem's rails: swift-distributed-tracing,
// swift-log and swift-metrics, and a Hummingbird 2 service that uses them end to end. A package of its own so the
// root package keeps no dependency (docs/integrations.md).
let package = Package(
    name: "swift-cost-attribution-integrations",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "AttributionTracing", targets: ["AttributionTracing"]),
        .library(name: "AttributionLogging", targets: ["AttributionLogging"]),
        .library(name: "AttributionMetrics", targets: ["AttributionMetrics"]),
        .executable(name: "cost-service", targets: ["CostService"]),
    ],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-service-context", from: "1.5.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // The envelope in a ServiceContext, trace ids from the current span, the header instrument, GenAI span
        // attributes.
        .target(
            name: "AttributionTracing",
            dependencies: [
                .product(name: "Attribution", package: root),
                .product(name: "CostLedger", package: root),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
            ]
        ),
        // A Logger.MetadataProvider with the attributed unit's trace id, user, feature and task type.
        .target(
            name: "AttributionLogging",
            dependencies: [
                .product(name: "Attribution", package: root),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Counters and a histogram fed by the meter, with bounded labels.
        .target(
            name: "AttributionMetrics",
            dependencies: [
                .product(name: "Attribution", package: root),
                .product(name: "CostLedger", package: root),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The example: a Hummingbird 2 service that tags requests and enqueues jobs, and a worker that meters them.
        .executableTarget(
            name: "CostService",
            dependencies: [
                "AttributionTracing", "AttributionLogging", "AttributionMetrics",
                .product(name: "Attribution", package: root),
                .product(name: "CostLedger", package: root),
                .product(name: "AttributionTesting", package: root),
                .product(name: "SQLiteJobQueue", package: root),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Examples/CostService",
            exclude: ["alerts.yml"]
        ),
        .testTarget(
            name: "IntegrationsTests",
            dependencies: [
                "AttributionTracing", "AttributionLogging", "AttributionMetrics",
                .product(name: "Attribution", package: root),
                .product(name: "CostLedger", package: root),
                .product(name: "AttributionTesting", package: root),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "CostServiceTests",
            dependencies: [
                "CostService",
                .product(name: "Attribution", package: root),
                .product(name: "CostLedger", package: root),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.strictMemorySafety())
    target.swiftSettings = settings
}
