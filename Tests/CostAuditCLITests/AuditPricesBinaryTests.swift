import Foundation
import Testing

@Suite("cost-audit audit --prices with LiteLLM's published price file, run as the built binary")
struct AuditPricesBinaryTests {
    /// LiteLLM's file as shipped in the litellm 1.110.2 wheel (see its README).
    static var litellmFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(
                "CostLedgerTests/Fixtures/litellm-1.110.2/model_prices_and_context_window_backup.json"
            )
            .path
    }

    @Test("audit --prices with LiteLLM's published file prices an Anthropic ledger exactly")
    func anthropicLedger() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledger = dir.appendingPathComponent("ledger")
        try FileManager.default.createDirectory(at: ledger, withIntermediateDirectories: true)
        let lines = [
            // Anthropic's dated id; 40k uncached × 3e-6 + 30k cached × 3e-7 + 20k 5-minute writes × 3.75e-6
            // + 10k 1-hour writes × 6e-6 + 1k output × 1.5e-5 = 0.279.
            #"{"v":1,"record_id":"r1","ts":"2026-11-20T10:00:00.000Z","provider":"anthropic","#
                + #""model":"claude-sonnet-4-5-20250929","input_tokens":100000,"output_tokens":1000,"#
                + #""cached_input_tokens":30000,"cache_write_tokens":20000,"cache_write_1h_tokens":10000,"#
                + #""user_id":"u_1"}"#,
            // 10k × 5e-6 + 2k × 2.5e-5 = 0.1.
            #"{"v":1,"record_id":"r2","ts":"2026-11-20T11:00:00.000Z","provider":"anthropic","#
                + #""model":"anthropic/claude-opus-4-7","input_tokens":10000,"output_tokens":2000,"user_id":"u_2"}"#,
            // The file writes this model's prices as 2.9999900000000002e-06 and 1.5000020000000002e-05 per token:
            // read as 2.99999e-06 and 1.500002e-05, 1M of each costs 2.99999 + 15.00002 = 18.00001.
            #"{"v":1,"record_id":"r3","ts":"2026-11-21T09:00:00.000Z","provider":"databricks","#
                + #""model":"databricks/databricks-claude-sonnet-4-1","input_tokens":1000000,"#
                + #""output_tokens":1000000,"user_id":"u_1"}"#,
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: ledger.appendingPathComponent("a.jsonl"))

        let run = try runTool(["audit", ledger.path, "--prices", Self.litellmFile, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
            "\(run.stdout)"
        )
        // 0.279 + 0.1 + 18.00001
        #expect(report["total_usd"] as? String == "18.379010000")
        #expect(report["unpriced_records"] as? Int == 0)
        #expect(report["records"] as? Int == 3)
    }
}
