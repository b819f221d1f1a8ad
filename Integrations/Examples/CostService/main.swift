// A Hummingbird 2 service whose cost reaches the rails a Swift server team already has (docs/integrations.md):
//
//   cost-service serve <database> <ledger-directory> [--port N]   the HTTP front end
//   cost-service work  <database> <ledger-directory> [--port N]   a worker process (as many as you like)
//
// `serve` answers `POST /summarize?user=U&document=D`: the request's span (the tracing middleware continues an
// incoming `traceparent`) is joined by the envelope the route tags, so its records carry the trace's id; the
// route announces the request's unit, enqueues a job on the SQLite queue with a child envelope, and answers
// `202` with `{"trace_id": …, "job": …}`. `work` claims the jobs, and for each meters a simulated model call (no
// network) inside a span of the same trace, with the envelope's fields in every log line, the GenAI attributes on
// the span and the cost in swift-metrics. Both processes serve `GET /metrics` (Prometheus text, swift-prometheus)
// and print `listening on 127.0.0.1:PORT` once they accept connections (`--port 0`, the default, picks a free one).
// Alert rules for these metrics: Examples/CostService/alerts.yml.

import Foundation

let usage = "usage: cost-service serve|work <database> <ledger-directory> [--port N]"

var arguments = Array(CommandLine.arguments.dropFirst())
var port = 0
if let flag = arguments.firstIndex(of: "--port") {
    guard flag + 1 < arguments.count, let value = Int(arguments[flag + 1]), (0...65535).contains(value) else {
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        exit(64)
    }
    port = value
    arguments.removeSubrange(flag...(flag + 1))
}
guard arguments.count == 3, ["serve", "work"].contains(arguments[0]) else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(64)
}
let options = ServiceOptions(databasePath: arguments[1], ledgerDirectory: arguments[2], port: port)

do {
    if arguments[0] == "serve" {
        try await runServer(options)
    } else {
        try await runWorker(options)
    }
} catch {
    FileHandle.standardError.write(Data("cost-service: \(error)\n".utf8))
    exit(1)
}
