// The Swift snippets of docs/jobs.md that use only this package, compiled and run by the tests. Each region
// between `// snippet: NAME` and `// end snippet` is one of the page's snippets, line for line
// (Tests/CostAuditCLITests/JobsGuideTests.swift compares them); the lines around them set the scene.
//
//     swift run JobsGuide
import Attribution
import AttributionTesting
import CostLedger
import Foundation
import Synchronization

/// A queue that holds payloads in memory, standing in for a real one.
final class InMemoryQueue: Sendable {
    private let jobs = Mutex<[(payload: [UInt8], delay: Duration)]>([])
    func enqueue(_ payload: [UInt8], after delay: Duration = .zero) async throws {
        jobs.withLock { $0.append((payload, delay)) }
    }
    var payloads: [[UInt8]] { jobs.withLock { $0.map(\.payload) } }
}

struct Overloaded: Error {}
let firstTries = Mutex(Set<Int>())

/// The job's work: fails on a document's first try (an overloaded provider), succeeds after.
func summarize(_ job: SummarizeJob, attribution: AttributionEnvelope?) async throws -> String {
    guard firstTries.withLock({ !$0.insert(job.documentID).inserted }) else { throw Overloaded() }
    return "summary of \(job.documentID) for \(attribution?.userID ?? "nobody"), try \(attribution?.attempt ?? 0)"
}

/// A tool call of a fan-out.
func fetch(_ document: String, attribution: AttributionEnvelope) async throws -> String {
    "\(document) fetched by \(attribution.leafID) under \(attribution.parentID.map(String.init(describing:)) ?? "-")"
}

let (meter, sink) = try CostMeter.testing(seed: 1, now: "2026-11-30T10:00:00Z")
let queue = InMemoryQueue()
let request = try meter.tag(userID: "u_42", feature: "summarize", team: "growth", project: "app", taskType: "summary")

// snippet: enqueue
let middleware = AttributionJobMiddleware(
    retryPolicy: RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(200)),
    announcer: meter  // CostMeter: announces each job unit as a `unit` record
)

// Producer, inside a request tagged with `request`: the job's unit is minted, checked and announced.
struct SummarizeJob: Codable, Sendable { var documentID: Int }
let job = try middleware.prepare(payload: SummarizeJob(documentID: 42), parent: request) { $0.taskType = "summarize" }
try await queue.enqueue(Array(try JSONEncoder().encode(job)))  // {"attribution":{…},"documentID":42}
// end snippet

let delivered = queue.payloads[0]

// snippet: worker
// Worker, for each delivery (deliveryCount = the queue's count of deliveries, this one included):
let context = JobContext(jobName: "summarize", deliveryCount: 1)
let envelope = try middleware.willPerform(delivered, context: context)  // nil only in lenient mode, untagged
let decoded = try JSONDecoder().decode(AttributedPayload<SummarizeJob>.self, from: Data(delivered))
do {
    print(try await summarize(decoded.payload, attribution: envelope))
} catch {
    // Retry from the payload's own envelope (attempt + 1, same user and trace), or give up (nil).
    if let (payload, delay) = middleware.didFail(delivered, error: error, context: context).retry {
        try await queue.enqueue(payload, after: delay)
    }
}
// end snippet

let retried = try AttributionEnvelope.extract(from: queue.payloads[1])
let sameLeaf = retried.leafID == job.attribution.leafID
// Bound to a name before printing: printed as a temporary, this one string (its `??` inside async top-level
// code) is reported as leaked by LeakSanitizer in debug builds (.ci/sanitizers.sh).
let retryLine = "retry enqueued: attempt \(retried.attempt), user \(retried.userID ?? "-"), same leaf \(sameLeaf)"
print(retryLine)
firstTries.withLock { _ = $0.remove(42) }

// snippet: retries
// Without a queue: each try runs under that try's envelope (attempt 1, 2, …), bound and passed in.
let summary = try await job.attribution.withRetries(policy: RetryPolicy(maxAttempts: 3)) { tryEnvelope in
    try await summarize(job.payload, attribution: tryEnvelope)
}
// end snippet
print(summary)

let parent = job.attribution

// snippet: fan-out
// Mint: one child per tool (new leaf, parent = this leaf, same trace and root); nothing is announced.
let calls = parent.children(for: ["web_search", "fetch", "rank"], setting: \.tool)
// Run: one child per input, at most two at once, each announced first; outputs in input order. The first
// child error is thrown and the children still running are cancelled.
let documents = ["d_1", "d_2", "d_3"]
let pages = try await parent.mapChildren(documents, maxConcurrency: 2, announcer: meter) { document, child in
    try await fetch(document, attribution: child)
}
// end snippet

print("minted \(calls.map { $0.tool ?? "-" }.joined(separator: ", "))")
for page in pages { print(page) }
let units = sink.records.filter { $0.kind == .unit }
print("unit records: \(units.count) (request, job, 3 fetches)")
