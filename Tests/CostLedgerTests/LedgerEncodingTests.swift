import Attribution
import Testing

@testable import CostLedger

@Suite("Ledger line encoding")
struct LedgerEncodingTests {
    /// A priced call record with `tagCount` tags whose keys arrive in no particular order.
    static func record(tagCount: Int) -> CostRecord {
        var tags: [String: String] = [:]
        for i in 0..<tagCount {
            // Keys that sort differently as bytes than by number: k.10 < k.2.
            tags["k.\((i * 7) % (tagCount + 3))_\(i)"] = "v\(i)"
        }
        return CostRecord(
            recordID: "r1",
            timestamp: UTCTimestamp(millisecondsSinceEpoch: 1_795_000_000_123),
            provider: "openai",
            model: "gpt-4.1",
            usage: TokenUsage(input: 100, output: 20),
            tags: tags
        )
    }

    @Test("tags are written in byte order of their keys, for any count", arguments: [0, 1, 2, 3, 5, 8, 9, 20, 32])
    func tagsInByteOrder(count: Int) throws {
        let record = Self.record(tagCount: count)
        let line = record.jsonLine()
        let text = String(decoding: line, as: UTF8.self)
        let expected =
            count == 0
            ? ""
            : #","tags":{"#
                + record.tags.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",") + "}"
        #expect(text.hasSuffix(#"\#(expected)}"# + "\n"))
        #expect(text.contains(#""tags""#) == (count > 0))
        #expect(try CostRecord.decode(line: line) == record)
    }

    @Test("a record whose token subsets break the rules is refused by the writer's check, naming the field")
    func usageRulesStillChecked() {
        var record = Self.record(tagCount: 0)
        record.usage = TokenUsage(input: 10, output: 5, cachedInput: 8, cacheWrite: 3)
        #expect(throws: CostLedgerError.self) { try record.validate() }
        #expect((try? record.validate()) == nil)
        record.usage = TokenUsage(input: 10, output: 5, reasoning: 6)
        do {
            try record.validate()
            Issue.record("reasoning above output was accepted")
        } catch {
            #expect(error.field == "reasoning_tokens")
        }
        record.usage = TokenUsage(input: 10, output: -1)
        do {
            try record.validate()
            Issue.record("a negative count was accepted")
        } catch {
            #expect(error.field == "output_tokens")
        }
        record.usage = TokenUsage(input: 10, output: 5, cachedInput: .max, cacheWrite: 1)
        do {
            try record.validate()
            Issue.record("overflowing subsets were accepted")
        } catch {
            #expect(error.field == "cached_input_tokens")
        }
    }
}
