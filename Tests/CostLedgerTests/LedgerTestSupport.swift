import Attribution
import CostLedger
import Foundation
// `onOwnThread` and `OwnThread`, for every file of this target.
@_exported import TestThreads

/// A seeded generator, so random tests are reproducible.
struct LedgerRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fresh directory under the system's temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }

    func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }

    func contents(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: file(name))))
    }

    func jsonlFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".jsonl") }.sorted()
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

enum LedgerFixtures {
    static let ts = UTCTimestamp(millisecondsSinceEpoch: 1_795_536_120_123)  // 2026-11-24T16:02:00.123Z

    /// A call record with every field set.
    static func fullRecord() -> CostRecord {
        CostRecord(
            recordID: "r-0001",
            timestamp: ts,
            startedAt: UTCTimestamp(millisecondsSinceEpoch: 1_795_536_118_000),
            provider: "openai",
            model: "gpt-4.1",
            apiKeyID: "key_prod",
            serviceTier: "flex",
            usage: TokenUsage(
                input: 1200,
                output: 300,
                cachedInput: 200,
                cacheWrite: 100,
                cacheWrite1h: 50,
                reasoning: 120
            ),
            costUSD: Money(attodollars: 4_410_000_000_000_000),
            priceSource: "builtin-2025-06-10",
            status: .error,
            traceID: TraceID(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736),
            leafID: LeafID(rawValue: 0x00f0_67aa_0ba9_02b7),
            parentID: LeafID(rawValue: 0x1111_2222_3333_4444),
            rootID: LeafID(rawValue: 0x5555_6666_7777_8888),
            attempt: 2,
            attribution: [
                .userID: "u_42", .feature: "summarize", .team: "search", .project: "atlas", .taskType: "summarize",
                .tool: "web", .promptVersion: "v3", .pipeline: "nightly", .priority: "high", .agent: "planner",
            ],
            tags: ["env": "prod", "region": "eu-west-1"]
        )
    }

    /// A random valid record; strings sometimes need escaping or are non-ASCII.
    static func randomRecord(_ rng: inout LedgerRNG) -> CostRecord {
        func pick<T>(_ values: [T]) -> T { values[Int(rng.next() % UInt64(values.count))] }
        func maybe() -> Bool { rng.next() % 2 == 0 }
        let words = ["a", "summarize", "u_42", "tëam", "q\"uote", "back\\slash", "tab\tnew\nline", "日本", "x-y.z"]
        let kind: CostRecord.Kind = rng.next() % 5 == 0 ? .unit : .call
        let leaf = LeafID.random(using: &rng)
        let input = Int64(rng.next() % 100_000)
        let output = Int64(rng.next() % 10_000)
        let cached = maybe() ? Int64(rng.next() % UInt64(input / 2 + 1)) : 0
        let write = maybe() ? Int64(rng.next() % UInt64(input / 4 + 1)) : 0
        var usage = TokenUsage(
            input: input,
            output: output,
            cachedInput: cached,
            cacheWrite: write,
            cacheWrite1h: maybe() ? Int64(rng.next() % UInt64(input / 4 + 1)) : 0,
            reasoning: maybe() ? Int64(rng.next() % UInt64(output + 1)) : 0
        )
        if kind == .unit && maybe() { usage = TokenUsage() }
        var attribution: [AttributionField: String] = [:]
        for field in AttributionField.all where maybe() { attribution[field] = pick(words) }
        var tags: [String: String] = [:]
        for _ in 0..<Int(rng.next() % 4) { tags[pick(["env", "region", "a.b", "x-1", "k_2"])] = pick(words) }
        return CostRecord(
            recordID: kind == .unit ? "unit:\(leaf)" : "r-\(rng.next() % 1_000_000)-\(pick(words))",
            kind: kind,
            timestamp: UTCTimestamp(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(rng.next() % 100_000_000_000)),
            startedAt: maybe() ? UTCTimestamp(millisecondsSinceEpoch: 1_700_000_000_000) : nil,
            provider: kind == .call || maybe() ? pick(["openai", "anthropic"]) : nil,
            model: kind == .call || maybe() ? pick(["gpt-4.1", "o3", "claude-sonnet-4"]) : nil,
            apiKeyID: maybe() ? pick(words) : nil,
            serviceTier: maybe() ? pick(["batch", "flex", "priority"]) : nil,
            usage: usage,
            costUSD: maybe() ? Money(attodollars: Int128(rng.next() % 10_000_000_000_000_000_000) - 5) : nil,
            priceSource: maybe() ? "builtin" : nil,
            status: maybe() ? .ok : .error,
            traceID: maybe() ? TraceID.random(using: &rng) : nil,
            leafID: kind == .unit || maybe() ? leaf : nil,
            parentID: maybe() ? LeafID.random(using: &rng) : nil,
            rootID: maybe() ? LeafID.random(using: &rng) : nil,
            attempt: maybe() ? Int(rng.next() % 5) + 1 : nil,
            attribution: attribution,
            tags: tags
        )
    }

    static func callRecord(_ id: String, ts: UTCTimestamp = LedgerFixtures.ts) -> CostRecord {
        CostRecord(
            recordID: id,
            timestamp: ts,
            provider: "openai",
            model: "gpt-4.1",
            usage: TokenUsage(input: 100, output: 20),
            costUSD: Money(attodollars: 360_000_000_000_000),
            attribution: [.userID: "u_1", .feature: "chat", .team: "t", .project: "p", .taskType: "qa"]
        )
    }

    static func line(_ record: CostRecord) -> String { String(decoding: record.jsonLine(), as: UTF8.self) }
}
