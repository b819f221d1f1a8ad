import Attribution
import Testing

/// Random envelopes and canonical-looking text for the fast-path comparisons.
struct FastPathGenerator {
    var rng: SeededGenerator

    /// Characters that matter to the codec: escapes, controls, multi-byte UTF-8, quotes.
    static let alphabet: [String] = [
        "a", "z", "0", "9", "_", "-", ".", " ", "/", "\"", "\\", "\n", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é",
        "€", "😀", "x", "summarize", "eu-west-1",
    ]

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }

    mutating func value() -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return ""
        case 1: return String(repeating: "a", count: Int.random(in: 250...258, using: &rng))
        case 2: return String(repeating: "é", count: Int.random(in: 126...130, using: &rng))
        case 3, 4, 5, 6, 7:
            // Plain ASCII, every short length (the inline-string path) and a few long ones.
            let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789_-.: ")
            let count = chance(80) ? Int.random(in: 1...16, using: &rng) : Int.random(in: 17...64, using: &rng)
            return String((0..<count).map { _ in letters.randomElement(using: &rng)! })
        default:
            let count = Int.random(in: 1...12, using: &rng)
            return (0..<count).map { _ in Self.alphabet.randomElement(using: &rng)! }.joined()
        }
    }

    mutating func tagKey() -> String {
        if chance(5) { return chance(50) ? "" : String(repeating: "k", count: Int.random(in: 63...66, using: &rng)) }
        let letters = Array(chance(5) ? "abcXYZ é" : "abcdefghijklmnopqrstuvwxyz0123456789_.-")
        let count = Int.random(in: 1...18, using: &rng)
        return String((0..<count).map { _ in letters.randomElement(using: &rng)! })
    }

    mutating func leaf() -> LeafID {
        chance(10) ? LeafID(rawValue: UInt64.random(in: 1...0xFFFF, using: &rng))! : LeafID.random(using: &rng)
    }

    mutating func envelope() -> AttributionEnvelope {
        let leaf = leaf()
        let parent: LeafID? = chance(50) ? self.leaf() : nil
        let root: LeafID = parent == nil && chance(95) ? leaf : self.leaf()
        let attempts = [1, 2, 9, 10, 99, 100, 2_147_483_647, 0, -1, 2_147_483_648, Int.random(in: 1...1_000_000)]
        let attempt = chance(80) ? 1 : attempts.randomElement(using: &rng)!
        var createdAt: UTCTimestamp?
        if chance(70) {
            // Mostly instants a timestamp holds (years 1677 to 2262), some across years 0000…9999 and beyond
            // (written, then refused on reading), and some sub-millisecond nanoseconds.
            let ms =
                chance(80)
                ? Int64.random(in: -9_223_372_036_854...9_223_372_036_853, using: &rng)
                : Int64.random(in: -62_200_000_000_000...253_500_000_000_000, using: &rng)
            let nanos = chance(20) ? Int64.random(in: 0..<1_000_000, using: &rng) : 0
            createdAt = UTCTimestamp(nanosecondsSinceEpoch: ms &* 1_000_000 &+ nanos)
        }
        var envelope = AttributionEnvelope(
            traceID: TraceID.random(using: &rng),
            leafID: leaf,
            rootID: root,
            parentID: parent,
            attempt: attempt,
            createdAt: createdAt
        )
        for field in AttributionField.all where chance(60) { envelope[field] = value() }
        if chance(60) {
            let count = chance(90) ? Int.random(in: 1...4, using: &rng) : Int.random(in: 5...34, using: &rng)
            for _ in 0..<count { envelope.tags[tagKey()] = value() }
        }
        if chance(5) { envelope.unknownFields = [.init(key: "later", json: #"{"a":1}"#)] }
        return envelope
    }
}

/// The outcome of one decode, for comparing two decoders.
enum DecodeOutcome: Equatable {
    case value(AttributionEnvelope)
    /// The error's code, field and reason.
    case failure(String, String?, String)

    init(_ body: () throws(AttributionError) -> AttributionEnvelope) {
        do throws(AttributionError) {
            self = .value(try body())
        } catch {
            self = .failure(error.code.name, error.field, error.reason)
        }
    }
}

@Suite("The canonical fast path gives exactly what the general decoder gives")
struct CanonicalFastPathTests {
    /// Checks one input: whatever the fast path accepts, the general decoder decodes to the same value; the
    /// public decoder's outcome (value or error code, field and reason) is the general decoder's. Returns
    /// whether the fast path accepted it.
    @discardableResult
    static func compareDecoders(_ input: [UInt8]) -> Bool {
        let reference = DecodeOutcome { () throws(AttributionError) in
            try AttributionEnvelope.generalDecode(json: input)
        }
        let fast = AttributionEnvelope.fastDecode(json: input)
        if let fast, reference != .value(fast) {
            Issue.record("fast path disagrees with the general decoder for \(String(decoding: input, as: UTF8.self))")
        }
        let viaBytes = DecodeOutcome { () throws(AttributionError) in try AttributionEnvelope(json: input) }
        let viaCollection = DecodeOutcome { () throws(AttributionError) in try AttributionEnvelope(json: input[...]) }
        if viaBytes != reference || viaCollection != reference {
            Issue.record(
                "public decoder disagrees with the general decoder for \(String(decoding: input, as: UTF8.self))"
            )
        }
        return fast != nil
    }

    @Test("the typical envelope's canonical text takes the fast path")
    func typicalTakesFastPaths() throws {
        let envelope = try Fixture.typical()
        let bytes = try envelope.canonicalJSON()
        #expect(bytes == Array(Fixture.typicalJSON.utf8))
        #expect(AttributionEnvelope.fastDecode(json: bytes) == envelope)
    }

    @Test("an envelope with every member set decodes through the fast path to the same value")
    func everyMemberSet() throws {
        var envelope = try Fixture.typical()
        envelope.pipeline = "nightly-batch"
        envelope.priority = "p1"
        envelope.agent = "planner"
        envelope.tags = ["a": "1", "b.c": "two", "d-e": "three", "f_g": "é"]
        let bytes = try envelope.canonicalJSON()
        let decoded = try #require(AttributionEnvelope.fastDecode(json: bytes))
        #expect(decoded == envelope)
        #expect(decoded == (try AttributionEnvelope.generalDecode(json: bytes)))
        #expect(decoded.pipeline == "nightly-batch" && decoded.agent == "planner" && decoded.tags["f_g"] == "é")
    }

    @Test(
        "tags at the edges read back through both paths alike",
        arguments: [
            ["d": "4", "c": "3", "b": "2", "a": "1"],
            ["zzzzzzzzzzzzzzz": "yyyyyyyyyyyyyyy", "a": "b"],
            ["abcdefghijklmnop": "v", "k": "0123456789abcdef"],
            ["a": "x\u{0}y", "b": "q\"r", "c": "s\\t"],
            ["aa": "1", "a": "2", "a.": "3", "a-": "4"],
            ["k": "é", "l": "v"],
            ["Key": "v"],
            ["": "v"],
            ["k": ""],
            ["a": "1", "b": "2", "c": "3", "d": "4", "e": "5"],
        ]
    )
    func tagEdges(_ tags: [String: String]) throws {
        var envelope = try Fixture.typical()
        envelope.tags = tags
        if let bytes = try? envelope.canonicalJSON() {
            #expect(try AttributionEnvelope(json: bytes) == envelope)
            Self.compareDecoders(bytes)
        }
    }

    @Test("every conformance vector decodes the same through both paths", arguments: EnvelopeVector.all)
    func conformanceVector(_ vector: EnvelopeVector) throws {
        let input = Array(vector.input.utf8)
        Self.compareDecoders(input)
        guard let canonical = vector.expect.canonical else { return }
        // The canonical text of a valid vector is what the fast path exists for: it must take it, unless the
        // envelope keeps unknown keys or holds escapes (those go through the general decoder).
        let envelope = try AttributionEnvelope(json: input)
        #expect(
            Self.compareDecoders(Array(canonical.utf8)) || !envelope.unknownFields.isEmpty
                || canonical.contains("\\")
        )
    }

    @Test("20,000 random envelopes: their canonical text decodes alike through both paths")
    func randomEnvelopes() {
        var generator = FastPathGenerator(rng: SeededGenerator(seed: 0xFA57))
        var fastDecodes = 0
        for _ in 0..<20_000 {
            let envelope = generator.envelope()
            guard let bytes = try? envelope.canonicalJSON() else { continue }
            if Self.compareDecoders(bytes) { fastDecodes += 1 }
        }
        // The fast path is taken often, so both paths were compared.
        #expect(fastDecodes > 500)
    }

    @Test("50,000 mutated canonical texts decode alike through both paths")
    func mutatedCanonicalText() throws {
        var generator = FastPathGenerator(rng: SeededGenerator(seed: 0xD1FF))
        var seeds: [[UInt8]] = []
        while seeds.count < 40 {
            if let bytes = try? generator.envelope().canonicalJSON() { seeds.append(bytes) }
        }
        seeds.append(Array(Fixture.typicalJSON.utf8))
        var mutator = Mutator(rng: SeededGenerator(seed: 0x5EED), seeds: seeds)
        var accepted = 0
        for i in 0..<50_000 {
            if Self.compareDecoders(mutator.mutate(seeds[i % seeds.count])) { accepted += 1 }
        }
        #expect(accepted > 500)
    }

    @Test(
        "values at the fast path's edges decode alike",
        arguments: [
            // Timestamps: leap days, month and day bounds, a leap second, lowercase separators, year 0000.
            #","created_at":"2024-02-29T23:59:59.999Z""#, #","created_at":"2023-02-29T00:00:00.000Z""#,
            #","created_at":"2026-13-01T00:00:00.000Z""#, #","created_at":"2026-04-31T00:00:00.000Z""#,
            #","created_at":"2026-01-01T24:00:00.000Z""#, #","created_at":"2026-06-30T23:59:60.000Z""#,
            #","created_at":"2026-01-01t00:00:00.000z""#, #","created_at":"0000-01-01T00:00:00.000Z""#,
            #","created_at":"9999-12-31T23:59:59.999Z""#, #","created_at":"2262-04-11T23:47:16.854Z""#,
            #","created_at":"2262-04-11T23:47:16.855Z""#, #","created_at":"2262-04-11T23:47:17.000Z""#,
            #","created_at":"1677-09-21T00:12:43.146Z""#, #","created_at":"1677-09-21T00:12:43.145Z""#,
            #","created_at":"1677-09-21T00:12:44.000Z""#, #","created_at":"2026-01-01T00:00:00Z""#,
            #","created_at":"2026-01-01T00:00:00.000+00:00""#, #","created_at":"2026-1-01T00:00:00.000Z""#,
            // Timestamps read a word at a time: the bytes either side of the digits, other separators.
            #","created_at":"2026-01-0:T00:00:00.000Z""#, #","created_at":"2026-01-01T00:00:00.00/Z""#,
            #","created_at":"2026-01-01T0?:00:00.000Z""#, #","created_at":"/026-01-01T00:00:00.000Z""#,
            #","created_at":"2026-01-01T00:00:0@.000Z""#, #","created_at":"2026-01-01T00:00:00.000z""#,
            #","created_at":"2026-01-01T00-00:00.000Z""#, #","created_at":"2026/01-01T00:00:00.000Z""#,
            #","created_at":"2026-01-01T00:00:00,000Z""#, #","created_at":"2026-01-01 00:00:00.000Z""#,
            // Values: empty, escapes, controls, UTF-8 good and bad, the 256-byte bound.
            #","user_id":"""#, #","user_id":"a\"b""#, #","user_id":"tab\there""#, "\",\"user_id\":\"a\u{01}b\"",
            #","user_id":"café""#, "\",\"user_id\":\"\u{ED}\u{A0}\u{80}\"",
            #","user_id":"\#(String(repeating: "u", count: 256))""#,
            #","user_id":"\#(String(repeating: "u", count: 257))""#, #","user_id":1"#, #","user_id":null"#,
            // Tags: empty, duplicate, unsorted, bad keys, the 32-entry bound.
            #","tags":{}"#, #","tags":{"a":"1","a":"2"}"#, #","tags":{"b":"1","a":"2"}"#, #","tags":{"A":"1"}"#,
            #","tags":{"a":""}"#, #","tags":{"\#(String(repeating: "k", count: 64))":"v"}"#,
            #","tags":{"\#(String(repeating: "k", count: 65))":"v"}"#,
            #","tags":{\#((0..<32).map { #""k\#($0)":"v""# }.joined(separator: ","))}"#,
            #","tags":{\#((0..<33).map { #""k\#($0)":"v""# }.joined(separator: ","))}"#,
            // Tag keys read as words (16 bytes of input left after the key's quote): the 15- and 16-byte bounds,
            // a byte of 0x80 or above, a capital, a space, an empty key, a duplicate.
            #","tags":{"abcdefghijklmno":"v","zzzzzzzzzz":"wwwwwwwwww"}"#,
            #","tags":{"abcdefghijklmnop":"v","zzzzzzzzzz":"wwwwwwwwww"}"#,
            "\",\"tags\":{\"ab\u{E9}cd\":\"v\",\"zzzzzzzzzz\":\"wwwwwwwwww\"}",
            "\",\"tags\":{\"ab\u{FF}\":\"v\",\"zzzzzzzzzz\":\"wwwwwwwwww\"}",
            #","tags":{"aB":"v","zzzzzzzzzz":"wwwwwwwwww"}"#, #","tags":{"a b":"v","zzzzzzzzzz":"wwwwwwwwww"}"#,
            #","tags":{"":"v","zzzzzzzzzz":"wwwwwwwwww"}"#, #","tags":{"ab":"v","ab":"wwwwwwwwwwwwwwwwwwww"}"#,
            #","tags":{"ab":"v""zzzzzzzzzz":"wwwwwwwwww"}"#, #","tags":{"ab"."v","zzzzzzzzzz":"wwwwwwwwww"}"#,
            // Values within 16 bytes of the end, read from the input's last two words: escapes, controls,
            // non-ASCII, unterminated.
            #","tags":{"a":"x\"y"}"#, #","tags":{"a":"x\\"}"#, "\",\"tags\":{\"a\":\"ab\u{01}\"}",
            #","tags":{"a":"é"}"#, #","tags":{"a":"abc}"#, #","tags":{"a":"}"#, #","tags":{"a":"abcdefghijklm"}"#,
            // Unknown keys and order.
            #","later":1"#, #","user_id":"u","feature":"f","user_id":"u""#, #","feature":"f","user_id":"u""#,
        ]
    )
    func edge(_ tail: String) {
        let head =
            #"{"v":1,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"00f067aa0ba902b7","#
            + #""root_id":"00f067aa0ba902b7","attempt":1"#
        Self.compareDecoders(Array((head + tail + "}").utf8))
    }

    @Test(
        "ids and attempts at the fast path's edges decode alike",
        arguments: [
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "1"),
            ("00000000000000000000000000000000", "00f067aa0ba902b7", "00f067aa0ba902b7", "1"),
            ("4BF92F3577B34DA6A3CE929D0E0E4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "1"),
            ("4bf92f3577b34da6a3ce929d0e0e473g", "00f067aa0ba902b7", "00f067aa0ba902b7", "1"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "0000000000000000", "0000000000000000", "1"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "ffffffffffffffff", "ffffffffffffffff", "1"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "b7ad6b7169203331", "1"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "0"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "01"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "2147483647"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "2147483648"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "99999999999"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "1.0"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "1e0"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b7", "-1"),
        ]
    )
    func idsAndAttempts(_ trace: String, _ leaf: String, _ root: String, _ attempt: String) {
        let text =
            #"{"v":1,"trace_id":"\#(trace)","leaf_id":"\#(leaf)","root_id":"\#(root)","attempt":\#(attempt)}"#
        Self.compareDecoders(Array(text.utf8))
        let child =
            #"{"v":1,"trace_id":"\#(trace)","leaf_id":"\#(leaf)","root_id":"\#(root)","parent_id":"\#(root)","#
            + #""attempt":\#(attempt)}"#
        Self.compareDecoders(Array(child.utf8))
    }

    @Test("short values read at every distance from the end of the input are ordinary strings")
    func shortValuesNearTheEnd() throws {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        for length in 1...17 {
            let value = String(letters.prefix(length))
            let text =
                #"{"v":1,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"00f067aa0ba902b7","#
                + #""root_id":"00f067aa0ba902b7","attempt":1,"user_id":"\#(value)","tags":{"\#(value)":"\#(value)"}}"#
            let envelope = try #require(AttributionEnvelope.fastDecode(json: Array(text.utf8)))
            // The strings compare, hash, count and grow like any other string of the same text.
            #expect(envelope.userID == value)
            #expect(envelope.tags[value] == value)
            #expect(envelope.userID?.utf8.count == length)
            #expect(Set([envelope.userID ?? "", value]).count == 1)
            #expect((envelope.userID ?? "") + "!" == value + "!")
            #expect(envelope.userID?.hasPrefix(String(value.prefix(1))) == true)
        }
    }
}
