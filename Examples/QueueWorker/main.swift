// Performs the jobs queue-producer enqueued, in as many processes as you like:
//
//   .build/debug/queue-worker <database> <ledger-directory> <worker-id> [--hold-ms N] [--exit-when-drained]
//                             [--lease-ms N] [--provider-log FILE] [--quiet]
//
// (after `swift build`; run the built binary, so that several workers do not each start a build).
//
// Each job claims a short lease, takes its envelope from the payload (attempt raised to the queue's claim
// count, so a redelivery after a killed worker is another attempt), and calls a simulated model through the
// metering wrapper (no network). Deterministically by job content:
// - the first attempt of every fourth job fails with a transient provider error and is retried by the
//   middleware (same envelope, attempt + 1) after the retry policy's backoff;
// - every third top-level job fans out into two tool-call children, and the first of those into two more,
//   enqueued in the same transaction that completes the parent, each with its own child envelope.
// The ledger is flushed before a job is completed, so a record is acknowledged before its job is.
//
// It prints one line per job outcome: `<worker>: job <id> attempt <n>: completed` (with the child jobs it
// enqueued), `... : retry scheduled (<error>)` or `... : dead (<error>)` when no attempt is left, and
// `done <worker>: <n> jobs` when it exits.
//
// --hold-ms N: after the first successful call, sleep N ms holding the job (printing `holding <job> <leaf>`)
// so a test can kill the process. --exit-when-drained: exit once no job is left to run. --lease-ms N: the lease
// a claim takes (default 10 s; a job whose worker was killed comes back when it ends). --provider-log FILE: the
// simulated provider appends one line per call it answers, before the answer reaches the meter, as its bill:
// `<worker> <leaf_id> <attempt> <http status> <cost in attodollars>` (`.ci/soak.sh` compares it with the
// ledger). --quiet: print only the `done` line.

import Attribution
import AttributionTesting
import CostLedger
import Foundation
import SQLiteJobQueue

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

let queueName = "llm"
let usage = """
    usage: queue-worker <database> <ledger-directory> <worker-id> [--hold-ms N] [--exit-when-drained] \
    [--lease-ms N] [--provider-log FILE] [--quiet]
    """

/// A provider error worth another try.
struct TransientProviderError: Error, CustomStringConvertible {
    var description: String { "simulated provider overload (HTTP 529)" }
}

/// What a job's payload says, besides its envelope.
struct JobSpec {
    var n: Int
    var depth: Int

    init?(_ payload: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
            let n = object["n"] as? Int, let depth = object["depth"] as? Int,
            (0...1_000_000_000).contains(n), (0...2).contains(depth)
        else { return nil }
        self.n = n
        self.depth = depth
    }

    /// Every fourth job fails its first attempt.
    func failsTransiently(attempt: Int) -> Bool { n % 4 == 0 && attempt == 1 }

    /// The tool-call children this job fans out into: (n, tool) of each.
    var children: [(n: Int, tool: String)] {
        switch depth {
        case 0 where n % 3 == 0: [(n * 10 + 1, "web_search"), (n * 10 + 2, "code_search")]
        case 1 where n % 10 == 1: [(n * 10 + 1, "fetch_page"), (n * 10 + 2, "fetch_page")]
        default: []
        }
    }

    /// A deterministic usage for this job's model call.
    var usage: TokenUsage {
        TokenUsage(input: Int64(800 + (n % 17) * 100), output: Int64(120 + (n % 7) * 30))
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var holdMilliseconds = 0
var exitWhenDrained = false
var leaseMilliseconds = 10_000
var providerLogPath: String?
var quiet = false
var positional: [String] = []
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--hold-ms":
        guard let value = arguments.first.flatMap(Int.init), (0...600_000).contains(value) else {
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            exit(64)
        }
        arguments.removeFirst()
        holdMilliseconds = value
    case "--lease-ms":
        guard let value = arguments.first.flatMap(Int.init), (1...600_000).contains(value) else {
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            exit(64)
        }
        arguments.removeFirst()
        leaseMilliseconds = value
    case "--provider-log":
        guard let value = arguments.first, !value.isEmpty else {
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            exit(64)
        }
        arguments.removeFirst()
        providerLogPath = value
    case "--quiet":
        quiet = true
    case "--exit-when-drained":
        exitWhenDrained = true
    default:
        positional.append(argument)
    }
}
guard positional.count == 3 else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(64)
}
let databasePath = positional[0]
let ledgerDirectory = positional[1]
let workerID = positional[2]

let quietOutput = quiet
/// Prints a line and flushes it at once (a test reads it from a pipe); under --quiet, only the last line.
func say(_ line: String, always: Bool = false) {
    guard always || !quietOutput else { return }
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The simulated provider's bill: one line per call it answered, appended with one `write(2)` to a file that
/// every worker shares (`O_APPEND`), before the answer reaches the meter. (`SystemIO` is the package's own
/// wrapper of the system calls; an application would use its own logging.)
let providerLog: Int32? = providerLogPath.map { path in
    let fd = SystemIO.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode: 0o644)
    guard fd >= 0 else {
        FileHandle.standardError.write(Data("error: \(path): cannot open the provider log\n".utf8))
        exit(1)
    }
    return fd
}

/// A failed attempt's outcome in plain words.
func outcome(_ state: JobState) -> String {
    state == .dead ? "dead" : "retry scheduled"
}

do {
    try FileManager.default.createDirectory(atPath: ledgerDirectory, withIntermediateDirectories: true)
    var ledgerConfiguration = JSONLinesLedger.Configuration(directory: ledgerDirectory)
    ledgerConfiguration.durability = .flush
    // This process's own file in the shared directory.
    let ledger = try JSONLinesLedger(configuration: ledgerConfiguration)
    let meter = CostMeter(sink: ledger)
    let retryPolicy = RetryPolicy(
        maxAttempts: 5,
        initialDelay: .milliseconds(50),
        maxDelay: .milliseconds(400),
        isRetryable: { $0 is TransientProviderError }
    )
    let middleware = AttributionJobMiddleware(retryPolicy: retryPolicy, announcer: meter)
    let queue = try SQLiteJobQueue(path: databasePath)
    var holdLeft = holdMilliseconds > 0
    var performed = 0

    while true {
        guard
            let job = try queue.claim(
                queue: queueName,
                workerID: workerID,
                leaseDuration: .milliseconds(leaseMilliseconds),
                rewritePayload: SQLiteJobQueue.raiseEnvelopeAttemptToClaims
            )
        else {
            if exitWhenDrained, try queue.stats(queue: queueName).isDrained { break }
            try await Task.sleep(for: .milliseconds(25))
            continue
        }
        guard let spec = JobSpec(job.payload) else {
            let state = try queue.fail(job, error: "unreadable job payload", retryAt: nil)
            say("\(workerID): job \(job.id) attempt \(job.claims): \(outcome(state)) (unreadable job payload)")
            continue
        }
        do {
            let envelope = try middleware.willPerform(job.payload, context: job.jobContext)
            let provider = FakeProvider(
                .openAIChatCompletions,
                seed: UInt64(spec.n),
                usage: spec.usage,
                failure: spec.failsTransiently(attempt: envelope?.attempt ?? job.claims)
                    ? .errorResponse(status: 529, type: "overloaded_error") : nil
            )
            let body = Array(#"{"model":"gpt-4.1","messages":[{"role":"user","content":"job \#(spec.n)"}]}"#.utf8)
            do {
                _ = try await meter.callJSON(
                    adapter: .openAIChatCompletions,
                    requestBody: body,
                    attribution: .envelope(envelope)
                ) { request in
                    let body = try provider.respond(to: request.body)
                    if let providerLog {
                        // What the provider bills for this answer: an error costs nothing.
                        let cost =
                            provider.httpStatus == 200
                            ? PriceTable.builtIn.quote(
                                provider: "openai",
                                model: provider.model,
                                serviceTier: nil,
                                usage: spec.usage,
                                on: UTCTimestamp.now()
                            )?.cost.attodollars ?? -1 : 0
                        let line =
                            "\(workerID) \(envelope?.leafID.description ?? "-") \(envelope?.attempt ?? 0) "
                            + "\(provider.httpStatus) \(cost)\n"
                        SystemIO.writeAll(providerLog, line)
                    }
                    return ProviderResponse(status: provider.httpStatus, body: body)
                }
            } catch let error as ProviderCallError where error.isRetryable {
                // The provider answered with an error; the meter recorded it as `status: error`.
                throw TransientProviderError()
            }

            var children: [JobRequest] = []
            if let envelope {
                for child in spec.children {
                    let payload = try middleware.prepare(
                        Array(#"{"n":\#(child.n),"depth":\#(spec.depth + 1)}"#.utf8),
                        parent: envelope
                    ) {
                        $0.tool = child.tool
                        $0.taskType = "tool_call"
                    }
                    children.append(JobRequest(payload: payload, maxAttempts: 5))
                }
            }
            // The call's record and the children's unit records are acknowledged before the job is.
            try ledger.flush()
            if holdLeft {
                holdLeft = false
                say("holding \(job.id) \(envelope?.leafID.description ?? "-")")
                try await Task.sleep(for: .milliseconds(holdMilliseconds))
            }
            try queue.complete(job, enqueueChildren: children)
            performed += 1
            let fanOut = children.isEmpty ? "" : ", \(children.count) child jobs enqueued"
            say("\(workerID): job \(job.id) attempt \(envelope?.attempt ?? job.claims): completed\(fanOut)")
        } catch {
            try ledger.flush()
            let state = try queue.fail(job, error: error, middleware: middleware)
            say("\(workerID): job \(job.id) attempt \(job.claims): \(outcome(state)) (\(error))")
        }
    }
    try ledger.close()
    say("done \(workerID): \(performed) jobs", always: true)
} catch {
    FileHandle.standardError.write(Data("queue-worker: \(error)\n".utf8))
    exit(1)
}
