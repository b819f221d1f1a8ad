import Attribution
import AttributionMetrics
import AttributionTesting
import AttributionTracing
import CostLedger
import Foundation
import Hummingbird
import Instrumentation
import Logging
import SQLiteJobQueue
import Tracing

/// A worker process: claims jobs, meters a simulated model call for each inside a span of the job's trace, and
/// serves its metrics.
func runWorker(_ options: ServiceOptions) async throws {
    let logger = bootstrapRails(role: "work")
    let ledger = try openLedger(options)
    // The call's GenAI attributes go on the job's span, its cost into the metrics, its record into the ledger.
    let meter = CostMeter(sink: CostMetricsSink(GenAISpanSink(ledger)))
    let middleware = AttributionJobMiddleware(announcer: meter)
    let queue = try SQLiteJobQueue(path: options.databasePath)

    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            let router = Router()
            addMetricsRoute(to: router)
            try await serve(router, port: options.port, logger: logger)
        }
        group.addTask {
            while !Task.isCancelled {
                guard
                    let job = try queue.claim(
                        queue: queueName,
                        workerID: "worker-\(ProcessInfo.processInfo.processIdentifier)",
                        leaseDuration: .seconds(30),
                        rewritePayload: SQLiteJobQueue.raiseEnvelopeAttemptToClaims
                    )
                else {
                    try await Task.sleep(for: .milliseconds(50))
                    continue
                }
                do {
                    let envelope = try middleware.willPerform(job.payload, context: job.jobContext)
                    try await perform(envelope: envelope, meter: meter, logger: logger)
                    try ledger.flush()
                    try queue.complete(job)
                } catch {
                    try ledger.flush()
                    _ = try queue.fail(job, error: error, middleware: middleware)
                    logger.warning("job \(job.id) failed: \(error)")
                }
            }
        }
        // The server ends on SIGTERM or SIGINT; the loop ends with it.
        try await group.next()
        group.cancelAll()
    }
}

/// A job whose payload carries no envelope: the strict meter would refuse its call, so it is not attempted.
struct UnattributedJob: Error, CustomStringConvertible {
    var description: String { "the job's payload carries no attribution envelope" }
}

/// Meters one simulated model call for a job, inside a span that continues the job's trace.
func perform(envelope: AttributionEnvelope?, meter: CostMeter, logger: Logger) async throws {
    guard let envelope else { throw UnattributedJob() }
    // The job's trace, as the request's: the tracer continues it from a traceparent.
    var context = InstrumentationContext.topLevel
    let traceparent = ["traceparent": "00-\(envelope.traceID)-\(envelope.leafID)-01"]
    InstrumentationSystem.instrument.extract(traceparent, into: &context, using: DictionaryExtractor())
    context.attributionEnvelope = envelope
    try await withSpan("summarize job", context: context, ofKind: .consumer) { _ in
        try await withAttribution(envelope) {
            let provider = FakeProvider(
                .openAIChatCompletions,
                seed: envelope.leafID.rawValue,
                usage: TokenUsage(input: 1_200, output: 300)
            )
            let body = Array(#"{"model":"gpt-4.1","messages":[{"role":"user","content":"summarize"}]}"#.utf8)
            _ = try await meter.callJSON(
                adapter: .openAIChatCompletions,
                requestBody: body,
                attribution: .envelope(envelope)
            ) { request in
                ProviderResponse(status: provider.httpStatus, body: try provider.respond(to: request.body))
            }
            logger.info("metered the summary call")
        }
    }
}

/// Reads a dictionary carrier.
struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
