import Attribution
import Testing

@Suite("Envelope rules: every limit at and one past its boundary")
struct EnvelopeRulesTests {
    /// Values of exactly `bytes` UTF-8 bytes, built from ASCII, 2-byte and 3-byte characters.
    static func values(ofBytes bytes: Int) -> [String] {
        [
            String(repeating: "a", count: bytes),
            String(repeating: "é", count: bytes / 2) + String(repeating: "a", count: bytes % 2),
            String(repeating: "€", count: bytes / 3) + String(repeating: "a", count: bytes % 3),
            String(repeating: "😀", count: bytes / 4) + String(repeating: "a", count: bytes % 4),
        ]
    }

    @Test("a value of 256 bytes is accepted in every form, multibyte included")
    func valueAtLimit() throws {
        for value in Self.values(ofBytes: 256) {
            #expect(value.utf8.count == 256)
            var envelope = try Fixture.typical()
            envelope.feature = value
            envelope.tags["k"] = value
            try envelope.validate()
            let text = try envelope.canonicalJSONString()
            #expect(try AttributionEnvelope(json: text) == envelope)
        }
    }

    @Test("a value of 257 bytes is refused on encoding and decoding, naming the field")
    func valuePastLimit() throws {
        for value in Self.values(ofBytes: 257) {
            #expect(value.utf8.count == 257)
            var envelope = try Fixture.typical()
            envelope.feature = value
            #expect(throws: AttributionError(.tooLarge, reason: "")) { try envelope.canonicalJSON() }
            let error = decodeError(Fixture.minimal(#","feature":"\#(value)""#))
            #expect(error?.code == .tooLarge)
            #expect(error?.field == "feature")
            let tagError = decodeError(Fixture.minimal(#","tags":{"k":"\#(value)"}"#))
            #expect(tagError?.code == .tooLarge)
            #expect(tagError?.field == "tags.k")
        }
    }

    @Test("the 256-byte limit counts decoded bytes, not escaped text")
    func valueCountsDecodedBytes() throws {
        let escaped = String(repeating: #"\u0061"#, count: 256)
        #expect(try AttributionEnvelope(json: Fixture.minimal(#","team":"\#(escaped)""#)).team?.utf8.count == 256)
        #expect(decodeError(Fixture.minimal(#","team":"\#(escaped)a""#))?.code == .tooLarge)
    }

    static func tags(_ count: Int) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\($0)", "v") })
    }

    static func tagsJSON(_ count: Int) -> String {
        "{" + (0..<count).map { #""k\#($0)":"v""# }.joined(separator: ",") + "}"
    }

    @Test("32 tags are accepted; 33 are refused on encoding and decoding")
    func tagCount() throws {
        var envelope = try Fixture.typical()
        envelope.tags = Self.tags(32)
        #expect(try AttributionEnvelope(json: envelope.canonicalJSON()) == envelope)
        #expect(try AttributionEnvelope(json: Fixture.minimal(#","tags":\#(Self.tagsJSON(32))"#)).tags.count == 32)
        envelope.tags = Self.tags(33)
        #expect(throws: AttributionError(.tooLarge, reason: "")) { try envelope.canonicalJSON() }
        let error = decodeError(Fixture.minimal(#","tags":\#(Self.tagsJSON(33))"#))
        #expect(error?.code == .tooLarge)
        #expect(error?.field == "tags")
        #expect(error?.reason.contains("33") == true)
    }

    @Test("a tag key of 64 characters is accepted; 65 are refused")
    func tagKeyLength() throws {
        let ok = String(repeating: "k", count: 64)
        let long = String(repeating: "k", count: 65)
        #expect(try AttributionEnvelope(json: Fixture.minimal(#","tags":{"\#(ok)":"v"}"#)).tags[ok] == "v")
        #expect(decodeError(Fixture.minimal(#","tags":{"\#(long)":"v"}"#))?.code == .invalidValue)
        var envelope = try Fixture.typical()
        envelope.tags = [long: "v"]
        #expect(throws: AttributionError(.invalidValue, reason: "")) { try envelope.canonicalJSON() }
    }

    @Test(
        "tag keys outside [a-z0-9_.-] are refused",
        arguments: ["", "Env", "a b", "é", "a/b", "a:b", "a+b", "a\\u0000", "A"]
    )
    func tagKeyCharacters(_ key: String) throws {
        let error = decodeError(Fixture.minimal(#","tags":{"\#(key)":"v"}"#))
        #expect(error?.code == .invalidValue)
        #expect(error?.field == "tags")
    }

    @Test("every allowed tag key character is accepted")
    func tagKeyAllowed() throws {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789_.-"
        #expect(try AttributionEnvelope(json: Fixture.minimal(#","tags":{"\#(key)":"v"}"#)).tags[key] == "v")
    }

    @Test("input of 16 KiB is read; one byte more is refused before it is parsed")
    func inputSize() throws {
        let base = Fixture.minimal()
        let padded = base + String(repeating: " ", count: 16 * 1024 - base.utf8.count)
        #expect(padded.utf8.count == 16_384)
        #expect(throws: Never.self) { try AttributionEnvelope(json: padded) }
        let error = decodeError(padded + " ")
        #expect(error?.code == .tooLarge)
        // Garbage of the same size fails on size, not on syntax: nothing was parsed.
        let garbage = [UInt8](repeating: UInt8(ascii: "{"), count: 16_385)
        #expect(throws: AttributionError(.tooLarge, reason: "")) { try AttributionEnvelope(json: garbage) }
    }

    /// An envelope whose canonical form is exactly `size` bytes.
    static func envelope(canonicalSize size: Int) throws -> AttributionEnvelope {
        var envelope = try AttributionEnvelope(json: Fixture.minimal())
        let base = try envelope.canonicalJSON().count + #","pad":"""#.utf8.count
        envelope.unknownFields = [.init(key: "pad", json: "\"" + String(repeating: "p", count: size - base) + "\"")]
        return envelope
    }

    @Test("a canonical form of 8192 bytes is written and read; 8193 bytes is refused both ways")
    func canonicalSize() throws {
        let atLimit = try Self.envelope(canonicalSize: 8192)
        let bytes = try atLimit.canonicalJSON()
        #expect(bytes.count == 8192)
        #expect(try AttributionEnvelope(json: bytes) == atLimit)

        let past = try Self.envelope(canonicalSize: 8193)
        #expect(throws: AttributionError(.tooLarge, reason: "")) { try past.canonicalJSON() }
        // The same 8193 bytes as input (well under 16 KiB) are refused: their canonical form is too large.
        let padding = 8193 - Fixture.minimal().utf8.count - #","pad":"""#.utf8.count
        let text = Fixture.minimal(#","pad":"\#(String(repeating: "p", count: padding))""#)
        #expect(text.utf8.count == 8193)
        #expect(decodeError(text)?.code == .tooLarge)
        // Whitespace does not count: 8192 canonical bytes padded to 9000 are fine.
        let spaced = String(decoding: bytes.dropLast(), as: UTF8.self) + String(repeating: " ", count: 808) + "}"
        #expect(try AttributionEnvelope(json: spaced) == atLimit)
    }

    static func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
    }

    @Test("nesting 8 levels deep (the envelope counting as one) is read; 9 is refused")
    func depth() throws {
        let ok = try AttributionEnvelope(json: Fixture.minimal(#","x":\#(Self.nested(7))"#))
        #expect(ok.unknownFields.first?.json == Self.nested(7))
        let error = decodeError(Fixture.minimal(#","x":\#(Self.nested(8))"#))
        #expect(error?.code == .malformedJSON)
        #expect(error?.field == "x")
        #expect(error?.reason.contains("8") == true)
        #expect(decodeError(Fixture.minimal(#","tags":{"a":\#(Self.nested(7))}"#))?.code == .malformedJSON)
        // Deep nesting far past the limit is refused without exhausting the stack.
        #expect(decodeError(Fixture.minimal(#","x":\#(Self.nested(9000))"#))?.code == .tooLarge)
        #expect(decodeError(Fixture.minimal(#","x":\#(Self.nested(3000))"#))?.code == .malformedJSON)
    }

    @Test(
        "attempt 2^31-1 is accepted; 2^31, 0 and negatives are refused",
        arguments: [
            ("2147483647", true), ("2147483648", false), ("0", false), ("-1", false), ("1", true),
            ("9223372036854775808", false),
        ]
    )
    func attemptRange(_ value: String, _ accepted: Bool) throws {
        let text = Fixture.replacing("attempt", with: #""attempt":\#(value)"#)
        if accepted {
            #expect(try AttributionEnvelope(json: text).attempt == Int(value))
        } else {
            let error = decodeError(text)
            #expect(error?.code == .invalidValue)
            #expect(error?.field == "attempt")
            #expect(error?.reason.contains(value) == true)
        }
    }

    @Test("validate() refuses an attempt outside 1...2^31-1 and empty values")
    func validateRules() throws {
        var envelope = try Fixture.typical()
        envelope.attempt = 0
        #expect(throws: AttributionError(.invalidValue, reason: "")) { try envelope.validate() }
        envelope.attempt = Int(Int32.max) + 1
        #expect(throws: AttributionError(.invalidValue, reason: "")) { try envelope.canonicalJSON() }
        envelope.attempt = 1
        envelope.team = ""
        #expect(throws: AttributionError(.invalidValue, reason: "")) { try envelope.canonicalJSON() }
        envelope.team = "t"
        envelope.rootID = try LeafID(Fixture.child)
        #expect(throws: AttributionError(.invalidLineage, reason: "")) { try envelope.canonicalJSON() }
    }
}
