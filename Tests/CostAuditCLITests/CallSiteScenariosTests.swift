import Attribution
import CostLedger
import Foundation
import Testing

/// The package's root folder.
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The scenarios `Examples/CallSiteScenarios` must report `ok`, in order.
private let scenarios = [
    "an untagged payload is never billed to the operator",
    "a provider error is recorded with its status and thrown",
    "every refusal is an AttributionError",
    "an envelope in a job payload reaches a Task.detached worker",
    "a retry under an operator's context keeps the job's user and trace",
    "withAttribution and withRetries run on the caller's actor",
    "fan-out throws a child's error",
    "a deterministic test meter in one line",
    "an unpriced call is reported",
    "no raw user id reaches the provider",
    "a streamed call is metered as it passes",
    "the audit classifies the ledger the scenarios wrote",
]

/// The product directory's `Modules` folder, where the build put the packages' `.swiftmodule`s.
private func builtModules() throws -> URL {
    let modules = try costAuditExecutable().deletingLastPathComponent().appendingPathComponent("Modules")
    guard FileManager.default.fileExists(atPath: modules.appendingPathComponent("CostAudit.swiftmodule").path) else {
        throw CLITestError(message: "no CostAudit.swiftmodule in \(modules.path)")
    }
    return modules
}

/// The `swiftc` on `PATH`: the toolchain that built the package.
private func swiftCompiler() throws -> URL {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for directory in path.split(separator: ":") {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("swiftc")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw CLITestError(message: "no swiftc on PATH \(path)")
}

@Suite("The call-site scenarios, as an adopting application writes them")
struct CallSiteScenariosTests {
    @Test(
        "every scenario reports ok, and the ledger and request bodies it left show the operator, error and user id facts"
    )
    func scenariosPassAndTheLedgerAgrees() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try runBuilt("CallSiteScenarios", [directory.path])
        let printed = run.stdout
        #expect(run.status == 0, "\(printed)")
        let lines = printed.split(separator: "\n").map(String.init)
        let reported = lines.filter { $0.hasPrefix("ok: ") || $0.hasPrefix("FAILED: ") }
        #expect(reported == scenarios.map { "ok: " + $0 }, "\(printed)")

        // The ledger, read back on its own: every line whole.
        let (records, stats) = try LedgerReader(path: directory.appendingPathComponent("ledger").path).readAll()
        #expect(stats.skippedLines == 0)
        let calls = records.filter { $0.kind == .call }
        #expect(calls.count >= 12)
        // The operator is never billed: no record of any kind carries the admin console's user.
        #expect(records.allSatisfy { $0.attribution[.userID] != "ops_admin" })
        // The untagged payload's lenient call is there, unattributed.
        #expect(calls.contains { $0.traceID == nil && $0.attribution.isEmpty })
        // The provider's errors are recorded, billed to the user whose call failed.
        #expect(calls.contains { $0.status == .error && $0.attribution[.userID] == "u_alice" })
        // The unpriced model is recorded without a cost.
        #expect(calls.contains { $0.model == "claude-opus-9" && $0.costUSD == nil })

        // No user id the ledger holds was in any request body the provider was sent.
        let sent = try String(contentsOf: directory.appendingPathComponent("sent-bodies.jsonl"), encoding: .utf8)
        #expect(sent.split(separator: "\n").count >= 12)
        let userIDs = Set(records.compactMap { $0.attribution[.userID] })
        #expect(userIDs.contains("u_alice"))
        for userID in userIDs {
            #expect(!sent.contains(userID), "\(userID) was sent to the provider")
        }
    }

    @Test("the example type-checks as a package outside this one, against the public API of the built modules")
    func usesOnlyThePublicAPI() throws {
        // Without `-package-name`, a `package` declaration of these modules is not visible to the source.
        let process = Process()
        process.executableURL = try swiftCompiler()
        process.arguments = [
            "-typecheck", "-swift-version", "6", "-I", try builtModules().path,
            packageRoot.appendingPathComponent("Examples/CallSiteScenarios/main.swift").path,
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let diagnostics = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(diagnostics)")
    }
}
