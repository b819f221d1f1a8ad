import Foundation
import Testing

@Suite("cost-audit demo")
struct DemoCommandTests {
    @Test("the demo simulates, audits and reports every class; the same seed gives the same report")
    func deterministicReport() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = await runInProcess([
            "demo", dir.appendingPathComponent("a").path, "--requests", "120", "--format", "json",
        ])
        let second = await runInProcess([
            "demo", dir.appendingPathComponent("b").path, "--requests", "120", "--format", "json",
        ])
        #expect(first.status == 0)
        #expect(first.stderr.isEmpty)
        #expect(first.stdout == second.stdout)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        )
        let classes = try #require(report["classes"] as? [String: String])
        for name in ["direct", "inherited", "rule", "key_allocated", "unknown"] {
            let amount = try #require(classes[name].flatMap { Decimal(string: $0) })
            #expect(amount > 0, "class \(name) should hold some of the demo's spend")
        }
        let reasons = try #require(report["unknown_by_reason"] as? [String: String])
        for name in ["broken_lineage", "missing_fields", "unrecorded"] {
            #expect((reasons[name].flatMap { Decimal(string: $0) } ?? 0) > 0, "reason \(name)")
        }
        #expect((report["retry_identity_conflicts"] as? Int ?? 0) > 0)
        let before = try #require(report["unknown_share_before"] as? Double)
        let after = try #require(report["unknown_share_after"] as? Double)
        #expect(after < before)
        let other = await runInProcess([
            "demo", dir.appendingPathComponent("c").path, "--requests", "120", "--seed", "7",
        ])
        #expect(other.status == 0)
        #expect(other.stdout.contains("Unknown share:"))
    }

    @Test("the demo leaves a ledger, a bill, a key map and rules that the audit subcommand reads the same way")
    func filesAuditAgain() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let demo = await runInProcess(["demo", dir.path, "--requests", "60", "--format", "json"])
        #expect(demo.status == 0)
        let audit = await runInProcess([
            "audit", dir.appendingPathComponent("ledger").path,
            "--usage", dir.appendingPathComponent("openai-usage.json").path,
            "--keys", dir.appendingPathComponent("keys.json").path,
            "--rules", dir.appendingPathComponent("rules.json").path,
            "--format", "json",
        ])
        #expect(audit.status == 0)
        #expect(audit.stdout == demo.stdout)
        let gate = await runInProcess([
            "audit", dir.appendingPathComponent("ledger").path, "--fail-above", "0.5", "--format", "csv",
        ])
        #expect(gate.status == 2)
        #expect(gate.stderr.contains("--fail-above"))
    }

    @Test("bad demo options are usage errors")
    func badOptions() async {
        #expect(await runInProcess(["demo", "--requests", "0"]).status == 64)
        #expect(await runInProcess(["demo", "--seed", "x"]).status == 64)
    }
}
