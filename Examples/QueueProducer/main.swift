// Tags requests for several users and features and enqueues one job per request on an SQLite queue, each
// job carrying its own envelope (a child of the request, minted at enqueue).
//
//   .build/debug/queue-producer <database> <ledger-directory> <requests> <seed>   (after `swift build`)
//
// The requests' root units and the jobs' units are announced into the ledger (flushed before the jobs are
// enqueued), so the ledger holds the whole lineage even for units that make no model call. Start workers
// with `.build/debug/queue-worker <database> <ledger-directory> <worker-id>`.

import Attribution
import AttributionTesting
import CostLedger
import Foundation
import SQLiteJobQueue

/// The queue every example job goes on.
let queueName = "llm"
let usage = "usage: queue-producer <database> <ledger-directory> <requests> <seed>"

let arguments = CommandLine.arguments
guard arguments.count == 5, let requests = Int(arguments[3]), (1...100_000).contains(requests),
    let seed = UInt64(arguments[4])
else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(64)
}
let databasePath = arguments[1]
let ledgerDirectory = arguments[2]

do {
    try FileManager.default.createDirectory(atPath: ledgerDirectory, withIntermediateDirectories: true)
    var ledgerConfiguration = JSONLinesLedger.Configuration(directory: ledgerDirectory)
    ledgerConfiguration.durability = .flush
    let ledger = try JSONLinesLedger(configuration: ledgerConfiguration)
    // One id source for the meter (request roots) and the middleware (job units): the same seed gives the
    // same ids, and sharing one sequence keeps them distinct.
    let ids = DeterministicIdentifierSource(seed: seed)
    let meter = CostMeter(sink: ledger, ids: ids)
    let middleware = AttributionJobMiddleware(announcer: meter, ids: ids)
    let queue = try SQLiteJobQueue(path: databasePath)

    let users = ["u_ada", "u_grace", "u_linus", "u_barbara"]
    let features = ["contract-review", "support-chat", "code-search"]
    let teams = ["legal-tools", "support", "devtools"]
    var state = seed | 1
    func next() -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(truncatingIfNeeded: state >> 33)
    }

    for n in 0..<requests {
        let feature = next() % features.count
        let request = try meter.tag(
            userID: users[next() % users.count],
            feature: features[feature],
            team: teams[feature],
            project: "assistant",
            taskType: "request"
        )
        let payload = try middleware.prepare(Array(#"{"n":\#(n),"depth":0}"#.utf8), parent: request) {
            $0.taskType = "summarize"
        }
        // The root and job units are acknowledged before the job exists.
        try ledger.flush()
        try queue.enqueue(payload: payload, queue: queueName, middleware: middleware, maxAttempts: 5)
    }
    try ledger.close()
    print("enqueued \(requests) jobs on \(queueName)")
} catch {
    FileHandle.standardError.write(Data("queue-producer: \(error)\n".utf8))
    exit(1)
}
