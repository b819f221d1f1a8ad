import Attribution
import CostLedger
import Testing

@testable import CostReports

@Suite("the values closest to one no row has")
struct ValueSuggestionsTests {
    func distance(_ a: String, _ b: String, atMost bound: Int = 9) -> Int? {
        ValueSuggestions.editDistance(Array(a.utf8), Array(b.utf8), atMost: bound)
    }

    @Test("edits: insertion, deletion, substitution and a swap of neighbours count one each; past the bound, nil")
    func editDistance() {
        #expect(distance("draft_reply", "draft_reply") == 0)
        #expect(distance("draft_reply", "draft_replay") == 1)
        #expect(distance("draft_reply", "draft_rply") == 1)
        #expect(distance("draft_reply", "draft_replx") == 1)
        #expect(distance("draft_reply", "draft_rpely") == 1)
        #expect(distance("abcdef", "badcfe") == 3)
        #expect(distance("abcdef", "badcfe", atMost: 2) == nil)
        #expect(distance("", "abc") == 3)
        #expect(distance("kitten", "sitting") == 3)
        #expect(distance("kitten", "sitting", atMost: 2) == nil)
        // Two rows past the bound end the search early; a swap two rows back is still found.
        #expect(distance("ab", "ba", atMost: 1) == 1)
        #expect(distance("xxab", "xxba", atMost: 1) == 1)
    }

    @Test("the bounded distance is the full one when within the bound, nil past it (random strings of a, b, c)")
    func boundedMatchesFull() {
        var generator = SystemRandomNumberGenerator()
        func word() -> [UInt8] {
            (0..<Int.random(in: 0...7, using: &generator)).map { _ in
                UInt8(ascii: "a") + UInt8.random(in: 0...2, using: &generator)
            }
        }
        for _ in 0..<2_000 {
            let (a, b) = (word(), word())
            let full = ValueSuggestions.editDistance(a, b, atMost: 99)
            for bound in 0...3 {
                let bounded = ValueSuggestions.editDistance(a, b, atMost: bound)
                #expect(bounded == (full.map { $0 <= bound ? $0 : nil } ?? nil), "\(a) \(b) \(bound)")
            }
        }
    }

    @Test("closest: same letters in another case first, then by edits, ties bytewise; a missing label is taken")
    func closest() throws {
        let records = try ["Search", "serch", "seach", "sales", "research", "zzz"].enumerated().map { index, feature in
            try modelCall("r\(index)", at: "2026-11-02T10:00:00Z", input: 10, attribution: business(feature: feature))
        }
        let data = try dataset(records + [try modelCall("x", at: "2026-11-02T11:00:00Z", input: 5, attribution: [:])])
        #expect(ValueSuggestions.closest(to: "search", of: .feature, in: data) == ["Search", "seach", "serch"])
        #expect(ValueSuggestions.closest(to: "search", of: .feature, in: data, limit: 1) == ["Search"])
        #expect(ValueSuggestions.closest(to: "qqqqqq", of: .feature, in: data).isEmpty)
        #expect(ValueSuggestions.isTaken("sales", by: .feature, in: data))
        #expect(!ValueSuggestions.isTaken("search", by: .feature, in: data))
        #expect(ValueSuggestions.isTaken("(unknown)", by: .feature, in: data))
        #expect(ValueSuggestions.isTaken("(none)", by: .tool, in: data))
    }
}
