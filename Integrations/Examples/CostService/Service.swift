import Attribution
import AttributionLogging
import AttributionMetrics
import AttributionTracing
import CostLedger
import Foundation
import Hummingbird
import Instrumentation
import Logging
import Metrics
import NIOCore
import Prometheus
import Tracing

/// Where the service keeps its state.
struct ServiceOptions {
    var databasePath: String
    var ledgerDirectory: String
    var port: Int
}

/// The queue the front end enqueues on and the workers claim from.
let queueName = "llm"

/// Prometheus text of every metric this process has: the meter's (`CostMetricsSink`) and Hummingbird's.
let registry = PrometheusCollectorRegistry()

/// Installs the process's rails once: logging with the attribution metadata, Prometheus metrics, and the tracer
/// with the envelope's instrument beside it (the tracer owns `traceparent`; the envelope rides in `baggage`).
func bootstrapRails(role: String) -> Logger {
    // snippet: integrations-rails
    LoggingSystem.bootstrap(
        { label, provider in
            var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
            handler.logLevel = .info
            return handler
        },
        metadataProvider: .attribution()
    )
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.valueHistogramBuckets[CostMetricsSink.Name.callCost] = [10, 100, 1_000, 10_000, 100_000, 1_000_000]
    MetricsSystem.bootstrap(factory)
    let logger = Logger(label: "cost-service.\(role)")
    InstrumentationSystem.bootstrap(
        MultiplexInstrument([
            W3CTracer(logger: Logger(label: "cost-service.\(role).spans")),
            AttributionInstrument(traceparent: .tracer, onError: { logger.warning("attribution headers: \($0)") }),
        ])
    )
    // end snippet
    return logger
}

/// The ledger this process appends to (its own file in the shared directory), flushed on every write so a
/// record is on disk before the job or response that follows it.
func openLedger(_ options: ServiceOptions) throws -> JSONLinesLedger {
    try FileManager.default.createDirectory(atPath: options.ledgerDirectory, withIntermediateDirectories: true)
    var configuration = JSONLinesLedger.Configuration(directory: options.ledgerDirectory)
    configuration.durability = .flush
    return try JSONLinesLedger(configuration: configuration)
}

/// Adds `GET /metrics` to a router.
func addMetricsRoute(to router: Router<BasicRequestContext>) {
    router.get("/metrics") { _, _ -> String in registry.emitToString() }
}

/// Runs an application on loopback, printing the port it listens on.
func serve(_ router: Router<BasicRequestContext>, port: Int, logger: Logger) async throws {
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: port)),
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? port
            FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(bound)\n".utf8))
        },
        logger: logger
    )
    try await app.runService()
}
