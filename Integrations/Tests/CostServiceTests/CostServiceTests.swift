import Attribution
import CostLedger
import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Hummingbird example end to end: a front end and a worker process on loopback, requests with a
/// `traceparent`, the ledger's records and the worker's `/metrics`.
@Suite("Hummingbird service end to end")
struct CostServiceTests {
    @Test("Records carry the request's trace id and user, and /metrics shows the cost the ledger holds")
    func endToEnd() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cost-service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("jobs.sqlite").path
        let ledger = directory.appendingPathComponent("ledger").path

        let server = try ServiceProcess(role: "serve", database: database, ledger: ledger)
        defer { server.stop() }
        let worker = try ServiceProcess(role: "work", database: database, ledger: ledger)
        defer { worker.stop() }
        let serverPort = try await server.port()
        let workerPort = try await worker.port()

        // Two requests, each in a trace of its caller's.
        let requests = [
            (user: "u_ada", trace: "4bf92f3577b34da6a3ce929d0e0e4736"),
            (user: "u_grace", trace: "0af7651916cd43dd8448eb211c80319c"),
        ]
        for request in requests {
            let (status, body) = try await http(
                "POST",
                "http://127.0.0.1:\(serverPort)/summarize?user=\(request.user)&document=report",
                headers: ["traceparent": "00-\(request.trace)-00f067aa0ba902b7-01"]
            )
            #expect(status == 202)
            #expect(body.contains(#""trace_id":"\#(request.trace)""#))
        }

        // The worker meters one call per job; wait for both records.
        var calls: [CostRecord] = []
        var units: [CostRecord] = []
        for _ in 0..<600 {
            let records = (try? LedgerReader(path: ledger).readAll().records) ?? []
            calls = records.filter { $0.kind == .call }
            units = records.filter { $0.kind == .unit }
            if calls.count >= requests.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(calls.count == requests.count, "the worker metered \(calls.count) calls")
        for request in requests {
            let call = try #require(calls.first { $0.traceID?.description == request.trace })
            #expect(call.attribution[.userID] == request.user)
            #expect(call.attribution[.feature] == "summarize")
            #expect(call.attribution[.taskType] == "summarize")
            #expect(call.costUSD != nil)
            // The request's own unit is in the ledger, in the same trace, and the job's unit is its child.
            let requestUnit = try #require(
                units.first { $0.traceID?.description == request.trace && $0.attribution[.taskType] == "request" }
            )
            #expect(requestUnit.attribution[.userID] == request.user)
            #expect(call.parentID == requestUnit.leafID)
        }

        // The worker's /metrics: the cost counter sums to the ledger's cost, in micro-dollars.
        let ledgerMicrodollars =
            calls.compactMap(\.costUSD).reduce(Int128(0)) { $0 + $1.attodollars }
            / 1_000_000_000_000
        #expect(ledgerMicrodollars > 0)
        let (status, metrics) = try await http("GET", "http://127.0.0.1:\(workerPort)/metrics")
        #expect(status == 200)
        #expect(sum(of: "llm_cost_microdollars_total", in: metrics) == Double(ledgerMicrodollars))
        #expect(sum(of: "llm_calls_total", in: metrics) == Double(requests.count))
        #expect(metrics.contains(#"feature="summarize""#))
        #expect(!metrics.contains("u_ada"))

        // The worker's log line for each call carries its unit's attribution, and its span the GenAI attributes.
        // The span's line follows the call's record by a moment, through a pipe: wait for both spans' lines.
        var log: [Substring] = []
        for _ in 0..<100 {
            log = worker.errors.text.withLock { $0 }.split(separator: "\n")
            if log.filter({ $0.contains("span ended: summarize job") }).count >= requests.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        for request in requests {
            let metered = log.first {
                $0.contains("metered the summary call") && $0.contains("trace_id=\(request.trace)")
            }
            #expect(metered?.contains("user_id=\(request.user)") == true, "\(log)")
            #expect(metered?.contains("feature=summarize") == true)
            let span = log.first {
                $0.contains("span ended: summarize job") && $0.contains("span_trace_id=\(request.trace)")
            }
            #expect(span?.contains("gen_ai.usage.input_tokens=1200") == true, "\(log)")
            #expect(span?.contains("gen_ai.request.model=gpt-4.1") == true)
        }
    }

    /// The sum of a metric's series in Prometheus text.
    func sum(of metric: String, in text: String) -> Double {
        text.split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(metric + "{") || line.hasPrefix(metric + " "),
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { return total }
            return total + value
        }
    }

    /// One HTTP exchange: the status and the body as text.
    func http(_ method: String, _ url: String, headers: [String: String] = [:]) async throws -> (Int, String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}

/// A `cost-service` process, its standard output read for the port it listens on.
final class ServiceProcess: Sendable {
    let process: Process
    let output = OutputBuffer()
    let errors = OutputBuffer()

    init(role: String, database: String, ledger: String) throws {
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = [role, database, ledger, "--port", "0"]
        let pipe = Pipe()
        process.standardOutput = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        // The log lines (swift-log's stream handler writes to standard error).
        let errorPipe = Pipe()
        process.standardError = errorPipe
        let errors = self.errors
        errorPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            errors.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        self.process = process
        try process.run()
    }

    /// The port from `listening on 127.0.0.1:PORT`, waiting for it.
    func port() async throws -> Int {
        for _ in 0..<600 {
            let text = output.text.withLock { $0 }
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on 127.0.0.1:") }),
                let port = Int(line.dropFirst("listening on 127.0.0.1:".count))
            {
                return port
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let status = process.isRunning ? "still running" : "exited with status \(process.terminationStatus)"
        throw ServiceTestError(
            message: "cost-service did not start (\(status)); stdout: \(output.text.withLock { $0 }); "
                + "stderr: \(errors.text.withLock { $0 })"
        )
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// The built executable, beside the test bundle or in the package's .build/debug.
    static func executable() throws -> URL {
        var directories: [URL] = []
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        directories.append(package.appendingPathComponent(".build/debug"))
        for directory in directories {
            let candidate = directory.appendingPathComponent("cost-service")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ServiceTestError(message: "cost-service not found in \(directories.map(\.path))")
    }
}

/// What a process printed so far.
final class OutputBuffer: Sendable {
    let text = Mutex("")
}

struct ServiceTestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
