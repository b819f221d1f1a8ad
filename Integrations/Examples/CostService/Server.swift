import Attribution
import AttributionTracing
import CostLedger
import Hummingbird
import Logging
import SQLiteJobQueue

/// The HTTP front end: tags each request inside its span, announces the unit and enqueues the job.
func runServer(_ options: ServiceOptions) async throws {
    let logger = bootstrapRails(role: "serve")
    let ledger = try openLedger(options)
    // snippet: integrations-route
    // Tagging inside the request's span takes the span's trace id.
    let ids = SpanIdentifierSource()
    let meter = CostMeter(sink: ledger, ids: ids)
    let middleware = AttributionJobMiddleware(announcer: meter, ids: ids)
    let queue = try SQLiteJobQueue(path: options.databasePath)

    let router = Router()
    router.middlewares.add(MetricsMiddleware())
    router.middlewares.add(TracingMiddleware())
    router.post("/summarize") { request, _ -> Response in
        let query = request.uri.queryParameters
        guard let user = query.get("user"), !user.isEmpty else {
            throw HTTPError(.badRequest, message: "user: expected a non-empty query parameter")
        }
        let document = query.get("document") ?? "untitled"
        // The request's unit: a root of the incoming trace, announced into the ledger.
        let envelope = try meter.tag(
            userID: user,
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "request"
        )
        return try await withAttribution(envelope) {
            let job = JSONText.object(["document": document])
            let payload = try middleware.prepare(Array(job.utf8), parent: envelope) { $0.taskType = "summarize" }
            // The unit records are acknowledged before the job exists.
            try ledger.flush()
            let id = try queue.enqueue(payload: payload, queue: queueName, middleware: middleware, maxAttempts: 3)
            logger.info("enqueued job \(id)")
            let body = JSONText.object(["trace_id": envelope.traceID.description, "job": "\(id)"])
            return Response(
                status: .accepted,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body))
            )
        }
    }
    // end snippet
    addMetricsRoute(to: router)
    try await serve(router, port: options.port, logger: logger)
}

/// A flat JSON object of strings, escaped.
enum JSONText {
    static func object(_ members: KeyValuePairs<String, String>) -> String {
        "{" + members.map { "\(quoted($0.key)):\(quoted($0.value))" }.joined(separator: ",") + "}"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
