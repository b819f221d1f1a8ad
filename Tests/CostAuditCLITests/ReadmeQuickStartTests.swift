import Attribution
import CostLedger
import Foundation
import Testing

/// The package's root folder.
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

@Suite("The README's quick start")
struct ReadmeQuickStartTests {
    @Test("the README's Swift snippet is Examples/ReadmeQuickStart/main.swift, line for line")
    func snippetIsTheExample() throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let quickStart = try #require(readme.range(of: "## Quick start"))
        let open = try #require(readme.range(of: "```swift\n", range: quickStart.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n```\n", range: open.upperBound..<readme.endIndex))
        let snippet = String(readme[open.upperBound..<close.lowerBound]) + "\n"
        let example = try String(
            contentsOf: packageRoot.appendingPathComponent("Examples/ReadmeQuickStart/main.swift"),
            encoding: .utf8
        )
        #expect(snippet == example)
    }

    @Test("the README's demo output is what `cost-audit demo` prints today, up to its counts")
    func demoOutputIsCurrent() throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let open = try #require(readme.range(of: "```text\ncost-audit demo:"))
        let close = try #require(readme.range(of: "\n```\n", range: open.upperBound..<readme.endIndex))
        let shown = String(readme[readme.index(open.lowerBound, offsetBy: 8)..<close.lowerBound])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("readme-demo-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try runTool(["demo", dir.path])
        #expect(run.status == 0)
        // The README stops before the counts (the blank line before them is the block's end).
        let counts = try #require(run.stdout.range(of: "\n\nCounts\n")).lowerBound
        #expect(String(run.stdout[..<counts]) == shown)
    }

    @Test("the quick start runs, and its request, job and metered call are in the ledger, attributed and priced")
    func runsAndRecords() throws {
        let run = try runBuilt("ReadmeQuickStart")
        #expect(run.status == 0, "\(run.stderr)")
        let line = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        let directory = try #require(line.range(of: " records in ").map { String(line[$0.upperBound...]) })
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(line.hasPrefix("3 records in "))

        // Closed: every record is on disk, whole.
        let (records, stats) = try LedgerReader(path: directory).readAll()
        #expect(stats.skippedLines == 0)
        #expect(records.count == 3)
        let root = try #require(records.first { $0.kind == .unit && $0.parentID == nil })
        let job = try #require(records.first { $0.kind == .unit && $0.parentID != nil })
        let call = try #require(records.first { $0.kind == .call })
        #expect(job.parentID == root.leafID)
        #expect(call.leafID == job.leafID)
        #expect(call.traceID == root.traceID)
        #expect(call.attribution[.userID] == "u_42")
        #expect(call.attribution[.feature] == "summarize")
        #expect(call.attribution[.team] == "growth")
        #expect(call.attribution[.project] == "app")
        #expect(call.provider == "openai")
        #expect(call.usage.input > 0)
        let cost = try #require(call.costUSD, "the call was not priced")
        #expect(cost > .zero)
    }
}

@Suite("The README's reports")
struct ReadmeReportsTests {
    /// The ```text block of the README that starts with `firstLine`.
    func shown(_ readme: String, startingWith firstLine: String) throws -> String {
        let open = try #require(readme.range(of: "```text\n" + firstLine))
        let close = try #require(readme.range(of: "\n```\n", range: open.upperBound..<readme.endIndex))
        return String(readme[readme.index(open.lowerBound, offsetBy: 8)..<close.lowerBound]) + "\n"
    }

    @Test("the README's monthly report, explain and alerts output are what the commands print today on the demo")
    func reportsAreCurrent() throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("readme-reports-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try runTool(["demo", dir.path, "--quiet"]).status == 0)
        let config = dir.appendingPathComponent("cost-audit.json").path
        let report = try runTool(["report", "--config", config, "--by", "team,project", "--period", "month"])
        #expect(report.status == 0)
        #expect(report.stdout == (try shown(readme, startingWith: "Spend by team, project, per month")))
        let explain = try runTool([
            "explain", "--config", config, "--feature", "draft_reply", "--now", "2026-12-01",
        ])
        #expect(explain.status == 0)
        #expect(explain.stdout == (try shown(readme, startingWith: "Cost per task of feature draft_reply")))
        #expect(explain.stdout.contains("1  prompt_version  reply-v2"))
        let alerts = try runTool(["alerts", "--config", config, "--now", "2026-12-01"])
        #expect(alerts.status == 2)
        #expect(alerts.stdout == (try shown(readme, startingWith: "Alerts for the periods ending")))
        #expect(alerts.stdout.contains("1  task_type_cost  task_type=summarize"))
    }
}
