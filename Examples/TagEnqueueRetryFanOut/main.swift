// Tags a request, enqueues a job as JSON, decodes it in a "worker", retries it once and fans out three
// children, printing every envelope in its canonical JSON form.
//
//     swift run TagEnqueueRetryFanOut
import Attribution

func show(_ label: String, _ envelope: AttributionEnvelope) throws {
    print(label)
    print("  " + (try envelope.canonicalJSONString()))
}

// 1. At the edge: tag the request. This fails closed when a required field is missing.
let request = try AttributionEnvelope.tag(
    userID: "u_42",
    feature: "summarize",
    team: "growth",
    project: "assistant",
    taskType: "summarize",
    promptVersion: "v7",
    tags: ["env": "prod"]
)
try show("request (the root unit):", request)

// 2. Enqueue: the job gets its own unit, a child of the request, carried inside the JSON payload.
let middleware = AttributionJobMiddleware()
let payload = try middleware.willEnqueue(
    try middleware.prepare(Array(#"{"document_id":"d_9","pages":12}"#.utf8), parent: request),
    context: JobContext(jobName: "summarize-document")
)
print("job payload on the queue:")
print("  " + String(decoding: payload, as: UTF8.self))

// 3. In the worker (any process, any time later): the envelope comes out of the payload.
struct NoEnvelope: Error {}
guard let job = try middleware.willPerform(payload, context: JobContext(jobName: "summarize-document")) else {
    throw NoEnvelope()  // the strict middleware returns an envelope or throws; this line is never reached
}
try show("worker decoded:", job)

// 4. The first try fails; the retry keeps the user and trace and only increments the attempt, even when the
//    retry is triggered by code running under someone else's envelope.
let operatorEnvelope = try AttributionEnvelope.tag(
    userID: "ops-admin",
    feature: "admin",
    team: "platform",
    project: "ops",
    taskType: "retry"
)
let decision = AttributionEnvelope.withAttribution(operatorEnvelope) {
    AttributionJobMiddleware(retryPolicy: RetryPolicy(maxAttempts: 3))
        .didFail(payload, error: CancellationError(), context: JobContext(jobName: "summarize-document"))
}
if let retry = decision.retry {
    try show("retry (after \(retry.delay)):", try AttributionEnvelope.extract(from: retry.payload))
}

// 5. Fan-out: three tool calls, each a child unit with its own leaf id and the job as parent.
let tools = ["web_search", "fetch", "rank"]
for (index, child) in job.children(for: tools, setting: \.tool).enumerated() {
    try show("child \(index + 1) of 3:", child)
}
