import Attribution
import Testing

/// Envelopes and texts shared by the suites.
enum Fixture {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let leaf = "00f067aa0ba902b7"
    static let child = "b7ad6b7169203331"

    /// The typical envelope's canonical text: the five business fields, tool, prompt version, two tags.
    static let typicalJSON =
        #"{"v":1,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","leaf_id":"00f067aa0ba902b7","#
        + #""root_id":"00f067aa0ba902b7","attempt":1,"created_at":"2026-11-24T16:02:00.123Z","user_id":"u_42","#
        + #""feature":"summarize","team":"growth","project":"assistant","task_type":"summarize","tool":"web_search","#
        + #""prompt_version":"v3","tags":{"env":"prod","region":"eu"}}"#

    static func typical() throws -> AttributionEnvelope {
        let leaf = try LeafID(Fixture.leaf)
        return AttributionEnvelope(
            traceID: try TraceID(Fixture.trace),
            leafID: leaf,
            rootID: leaf,
            attempt: 1,
            createdAt: try UTCTimestamp(rfc3339: "2026-11-24T16:02:00.123Z"),
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            tool: "web_search",
            promptVersion: "v3",
            tags: ["region": "eu", "env": "prod"]
        )
    }

    /// A minimal valid envelope's text with `extra` members spliced in before the closing brace.
    static func minimal(_ extra: String = "") -> String {
        #"{"v":1,"trace_id":"\#(trace)","leaf_id":"\#(leaf)","root_id":"\#(leaf)","attempt":1\#(extra)}"#
    }

    /// The minimal envelope with one known member replaced by `replacement` (or removed when empty).
    static func replacing(_ key: String, with replacement: String) -> String {
        var members = [
            #""v":1"#, #""trace_id":"\#(trace)""#, #""leaf_id":"\#(leaf)""#, #""root_id":"\#(leaf)""#, #""attempt":1"#,
        ]
        if let index = members.firstIndex(where: { $0.hasPrefix("\"\(key)\":") }) {
            if replacement.isEmpty { members.remove(at: index) } else { members[index] = replacement }
        } else if !replacement.isEmpty {
            members.append(replacement)
        }
        return "{" + members.joined(separator: ",") + "}"
    }
}

/// Decodes `text`, expecting failure, and returns the error.
func decodeError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> AttributionError? {
    do {
        let envelope = try AttributionEnvelope(json: text)
        Issue.record("decoded \(envelope) from \(text)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite("Envelope JSON codec: canonical form and decoding")
struct EnvelopeJSONTests {
    @Test("the typical envelope encodes to its canonical text byte for byte")
    func canonicalTypical() throws {
        #expect(try Fixture.typical().canonicalJSONString() == Fixture.typicalJSON)
        #expect(try Fixture.typical().canonicalJSON() == Array(Fixture.typicalJSON.utf8))
    }

    @Test("decoding the canonical text gives the envelope back, and re-encoding gives the same bytes")
    func roundTrip() throws {
        let decoded = try AttributionEnvelope(json: Fixture.typicalJSON)
        #expect(decoded == (try Fixture.typical()))
        #expect(try decoded.canonicalJSONString() == Fixture.typicalJSON)
    }

    @Test("known keys in any order and with whitespace decode to the canonical order")
    func reordersKeys() throws {
        let text = """
             { "tags" : { "region" : "eu", "env" : "prod" }, "prompt_version":"v3", "tool":"web_search",
              "task_type":"summarize","project":"assistant","team":"growth","feature":"summarize","user_id":"u_42",
              "created_at":"2026-11-24T17:02:00.123+01:00", "attempt" : 1, "root_id":"00f067aa0ba902b7",
              "leaf_id":"00f067aa0ba902b7", "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736", "v" : 1 }\t
            """
        #expect(try AttributionEnvelope(json: text).canonicalJSONString() == Fixture.typicalJSON)
    }

    @Test("a child writes parent_id between root_id and attempt")
    func childOrder() throws {
        let text =
            #"{"v":1,"trace_id":"\#(Fixture.trace)","leaf_id":"\#(Fixture.child)","root_id":"\#(Fixture.leaf)","#
            + #""parent_id":"\#(Fixture.leaf)","attempt":3,"tool":"search"}"#
        let envelope = try AttributionEnvelope(json: text)
        #expect(envelope.parentID == (try LeafID(Fixture.leaf)))
        #expect(envelope.attempt == 3)
        #expect(try envelope.canonicalJSONString() == text)
    }

    @Test("tags are written sorted bytewise, whatever order they were given in")
    func tagsSorted() throws {
        var envelope = try Fixture.typical()
        envelope.tags = ["b": "1", "a.z": "2", "a": "3", "a-b": "4", "a_b": "5", "0": "6", "z9": "7"]
        let text = try envelope.canonicalJSONString()
        #expect(text.hasSuffix(#""tags":{"0":"6","a":"3","a-b":"4","a.z":"2","a_b":"5","b":"1","z9":"7"}}"#))
    }

    @Test("only quote, backslash and U+0000-U+001F are escaped; other characters are written as UTF-8")
    func escaping() throws {
        var envelope = try Fixture.typical()
        envelope.tags = [:]
        envelope.tool = nil
        envelope.promptVersion = nil
        envelope.feature = "a\"b\\c/d\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F}é€😀\u{2028}"
        let text = try envelope.canonicalJSONString()
        #expect(
            text.contains(
                #""feature":"a\"b\\c/d\u0000\u0001\b\t\n\f\r\u001f"# + "\u{7F}é€😀\u{2028}\""
            )
        )
        #expect(try AttributionEnvelope(json: text) == envelope)
    }

    @Test("escapes in input decode to the same value, and the canonical form drops the needless ones")
    func inputEscapes() throws {
        let text = Fixture.minimal(#","team":"\u0067\/r\u00e9\ud83d\ude00""#)
        let envelope = try AttributionEnvelope(json: text)
        #expect(envelope.team == "g/ré😀")
        #expect(try envelope.canonicalJSONString() == Fixture.minimal(#","team":"g/ré😀""#))
    }

    @Test("a known key written with escapes is the known key")
    func escapedKnownKey() throws {
        let text = Fixture.minimal(#","\u0074eam":"growth""#)
        #expect(try AttributionEnvelope(json: text).team == "growth")
        #expect(decodeError(Fixture.minimal(#","team":"a","\u0074eam":"b""#))?.code == .duplicateKey)
    }

    @Test("integers are written in minimal form")
    func minimalIntegers() throws {
        var envelope = try AttributionEnvelope(json: Fixture.minimal())
        envelope.attempt = 2_147_483_647
        #expect(try envelope.canonicalJSONString().contains(#""attempt":2147483647}"#))
        envelope.attempt = 10
        #expect(try envelope.canonicalJSONString().contains(#""attempt":10}"#))
    }

    @Test("created_at is read with any offset and written as UTC with milliseconds")
    func createdAtNormalised() throws {
        let cases: [(String, String)] = [
            ("2026-11-24T16:02:00Z", "2026-11-24T16:02:00.000Z"),
            ("2026-11-24T18:02:00.5+02:00", "2026-11-24T16:02:00.500Z"),
            ("2026-11-24T16:02:00.123456789Z", "2026-11-24T16:02:00.123Z"),
            ("2026-11-24t16:02:00.1z", "2026-11-24T16:02:00.100Z"),
        ]
        for (input, output) in cases {
            let envelope = try AttributionEnvelope(json: Fixture.minimal(#","created_at":"\#(input)""#))
            let canonical = try envelope.canonicalJSONString()
            #expect(canonical.contains(#""created_at":"\#(output)""#))
            #expect(try AttributionEnvelope(json: canonical) == envelope)
        }
        let bad = decodeError(Fixture.minimal(#","created_at":"yesterday""#))
        #expect(bad?.code == .invalidValue)
        #expect(bad?.field == "created_at")
        #expect(bad?.reason.contains("\"yesterday\"") == true)
        #expect(decodeError(Fixture.minimal(#","created_at":"9999-12-31T23:59:59.999-01:00""#))?.field == "created_at")
    }

    // MARK: Unknown keys

    @Test("unknown keys are kept with their original text and written after the known ones, in input order")
    func unknownKeysPreserved() throws {
        let text =
            #"{"zeta": {"b" : [1, 2.50, true]}, "v":1,"trace_id":"\#(Fixture.trace)","alpha":-0.0e+1,"#
            + #""leaf_id":"\#(Fixture.leaf)","root_id":"\#(Fixture.leaf)","attempt":1,"mid":"\u00e9","team":"t"}"#
        let envelope = try AttributionEnvelope(json: text)
        #expect(
            envelope.unknownFields == [
                .init(key: "zeta", json: #"{"b" : [1, 2.50, true]}"#),
                .init(key: "alpha", json: "-0.0e+1"),
                .init(key: "mid", json: #""\u00e9""#),
            ]
        )
        let canonical = try envelope.canonicalJSONString()
        #expect(
            canonical
                == Fixture.minimal(#","team":"t","zeta":{"b" : [1, 2.50, true]},"alpha":-0.0e+1,"mid":"\u00e9""#)
        )
        #expect(try AttributionEnvelope(json: canonical) == envelope)
    }

    @Test("a duplicated unknown key is refused naming it")
    func duplicateUnknown() throws {
        let error = decodeError(Fixture.minimal(#","x":1,"x":2"#))
        #expect(error?.code == .duplicateKey)
        #expect(error?.field == "x")
    }

    @Test("null and empty strings are refused for unknown keys too")
    func unknownNullOrEmpty() throws {
        #expect(decodeError(Fixture.minimal(#","x":null"#))?.code == .invalidType)
        #expect(decodeError(Fixture.minimal(#","x":"""#))?.code == .invalidValue)
        #expect(try AttributionEnvelope(json: Fixture.minimal(#","x":[null]"#)).unknownFields.count == 1)
    }

    @Test("unknown fields built in code are checked before they are written")
    func unknownFieldsValidatedOnEncode() throws {
        var envelope = try AttributionEnvelope(json: Fixture.minimal())
        envelope.unknownFields = [.init(key: "team", json: "1")]
        #expect(throws: AttributionError(.invalidValue, reason: "")) { try envelope.canonicalJSON() }
        envelope.unknownFields = [.init(key: "x", json: "{")]
        #expect(throws: AttributionError(.malformedJSON, reason: "")) { try envelope.canonicalJSON() }
        envelope.unknownFields = [.init(key: "x", json: "1 2")]
        #expect(throws: AttributionError(.invalidValue, reason: "")) { try envelope.canonicalJSON() }
        envelope.unknownFields = [.init(key: "x", json: "1"), .init(key: "x", json: "2")]
        #expect(throws: AttributionError(.duplicateKey, reason: "")) { try envelope.canonicalJSON() }
        envelope.unknownFields = [.init(key: "x", json: "[1]"), .init(key: "y", json: "\"a\\\"\"")]
        #expect(try envelope.canonicalJSONString() == Fixture.minimal(#","x":[1],"y":"a\"""#))
    }

    // MARK: Version

    @Test(
        "an unknown version is refused, saying which versions this reader reads",
        arguments: ["2", "0", "-1", "99999999999999999999"]
    )
    func unknownVersion(_ v: String) throws {
        let error = decodeError(Fixture.replacing("v", with: #""v":\#(v)"#))
        #expect(error?.code == .unsupportedVersion)
        #expect(error?.field == "v")
        #expect(error?.reason == "unsupported version \(v); this reader reads versions 1")
    }

    @Test("an unknown version is reported even when other fields break v1's rules")
    func versionFirst() throws {
        let text = #"{"trace_id":"nope","v":2,"leaf_id":"x"}"#
        #expect(decodeError(text)?.code == .unsupportedVersion)
    }

    @Test(
        "a non-integer v or attempt is refused naming the field",
        arguments: ["v", "attempt"],
        [#"1.0"#, #"1e0"#, #""1""#, "true", "null", "[1]", "{}", "1E+0", "-0.0"]
    )
    func nonInteger(_ key: String, _ value: String) throws {
        let error = decodeError(Fixture.replacing(key, with: #""\#(key)":\#(value)"#))
        #expect(error?.code == .invalidType)
        #expect(error?.field == key)
        #expect(error?.reason.contains(value == "null" ? "null" : value) == true)
    }

    // MARK: Required keys and types

    @Test("each required key, when missing, is named", arguments: ["v", "trace_id", "leaf_id", "root_id", "attempt"])
    func missingRequired(_ key: String) throws {
        let error = decodeError(Fixture.replacing(key, with: ""))
        #expect(error?.code == .missingFields)
        #expect(error?.field == key)
        #expect(error?.reason.contains(key) == true)
    }

    @Test("every missing required key is listed in one error")
    func missingAll() throws {
        let error = decodeError("{}")
        #expect(error?.code == .missingFields)
        #expect(error?.reason == "required keys missing: v, trace_id, leaf_id, root_id, attempt")
    }

    @Test(
        "null, empty strings and non-strings are refused where strings belong, naming the field",
        arguments: [
            "trace_id", "leaf_id", "root_id", "parent_id", "created_at", "user_id", "feature", "team", "project",
            "task_type", "tool", "prompt_version", "pipeline", "priority", "agent",
        ]
    )
    func stringFields(_ key: String) throws {
        for (value, code) in [
            ("null", AttributionError.Code.invalidType), ("42", .invalidType), ("true", .invalidType),
            (#"["a"]"#, .invalidType), (#"{"a":"b"}"#, .invalidType),
            (#""""#, key.hasSuffix("_id") && key != "user_id" ? .invalidIdentifier : .invalidValue),
        ] {
            let error = decodeError(Fixture.replacing(key, with: #""\#(key)":\#(value)"#))
            #expect(error?.code == code, "\(key): \(value)")
            #expect(error?.field == key, "\(key): \(value)")
        }
    }

    @Test("tags must be an object of strings", arguments: ["null", "1", #""a""#, "[]"])
    func tagsType(_ value: String) throws {
        let error = decodeError(Fixture.minimal(#","tags":\#(value)"#))
        #expect(error?.code == .invalidType)
        #expect(error?.field == "tags")
    }

    @Test("a tag value that is not a non-empty string is refused naming the tag")
    func tagValues() throws {
        for (value, code) in [
            ("null", AttributionError.Code.invalidType), ("1", .invalidType), (#""""#, .invalidValue),
            ("{}", .invalidType),
        ] {
            let error = decodeError(Fixture.minimal(#","tags":{"env":\#(value)}"#))
            #expect(error?.code == code)
            #expect(error?.field == "tags.env")
        }
        let duplicate = decodeError(Fixture.minimal(#","tags":{"env":"a","env":"b"}"#))
        #expect(duplicate?.code == .duplicateKey)
        #expect(duplicate?.field == "tags.env")
    }

    @Test("duplicate known keys are refused naming the key", arguments: AttributionEnvelope.knownKeysForTests)
    func duplicateKnown(_ key: String) throws {
        let value: String
        switch key {
        case "v", "attempt": value = "1"
        case "trace_id": value = #""\#(Fixture.trace)""#
        case "leaf_id", "root_id", "parent_id": value = #""\#(Fixture.leaf)""#
        case "created_at": value = #""2026-11-24T16:02:00.000Z""#
        case "tags": value = #"{"a":"b"}"#
        default: value = #""x""#
        }
        let error = decodeError(Fixture.minimal(#","\#(key)":\#(value),"\#(key)":\#(value)"#))
        #expect(error?.code == .duplicateKey)
        #expect(error?.field == key)
    }

    // MARK: Lineage

    @Test("parent_id without root_id is refused")
    func parentWithoutRoot() throws {
        let text = Fixture.replacing("root_id", with: #""parent_id":"\#(Fixture.child)""#)
        let error = decodeError(text)
        #expect(error?.code == .invalidLineage)
        #expect(error?.field == "parent_id")
    }

    @Test("a root whose root_id is not its leaf_id is refused")
    func rootMismatch() throws {
        let error = decodeError(Fixture.replacing("root_id", with: #""root_id":"\#(Fixture.child)""#))
        #expect(error?.code == .invalidLineage)
        #expect(error?.field == "root_id")
    }

    // MARK: Structure

    @Test(
        "malformed JSON is refused, not trapped on",
        arguments: [
            "", " ", "{", "}", #"{"v":1,}"#, #"{"v":1 "attempt":1}"#, #"{"v":01}"#, #"{"v":1}x"#, #"{"v":1}{}"#,
            #"{v:1}"#, "{\"team\":\"a\u{1}\"}", #"{"team":"\x"}"#, #"{"team":"\ud800"}"#, #"{"team":"\u12"}"#,
            #"{"x":[1,]}"#, #"{"x":tru}"#, #"{"x":-}"#, #"{"x":1.}"#, #"{"x":1e}"#,
        ]
    )
    func malformed(_ text: String) throws {
        #expect(decodeError(text)?.code == .malformedJSON)
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() throws {
        for bad: [UInt8] in [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            var bytes = Array(Fixture.minimal(#","team":"a"#).utf8)
            bytes.append(contentsOf: bad)
            bytes.append(contentsOf: Array("\"}".utf8))
            #expect(throws: AttributionError(.malformedJSON, reason: "")) { try AttributionEnvelope(json: bytes) }
        }
    }

    @Test(
        "a top-level value that is not an object is refused as the wrong type",
        arguments: ["[]", "1", #""{}""#, "null"]
    )
    func notAnObject(_ text: String) throws {
        #expect(decodeError(text)?.code == .invalidType)
    }

    @Test("the error names the field and quotes the value")
    func errorMessage() throws {
        let error = decodeError(Fixture.replacing("leaf_id", with: #""leaf_id":"XYZ""#))
        #expect(error?.description == #"leaf_id: expected 16 lowercase hex characters, got "XYZ""#)
    }

    @Test("the decoder accepts any collection of bytes, contiguous or not")
    func nonContiguous() throws {
        let bytes = Fixture.typicalJSON.utf8.reversed().reversed()
        #expect(try AttributionEnvelope(json: bytes) == Fixture.typical())
        #expect(try AttributionEnvelope(json: Array(Fixture.typicalJSON.utf8)[...]) == Fixture.typical())
    }
}

extension AttributionEnvelope {
    static let knownKeysForTests = [
        "v", "trace_id", "leaf_id", "root_id", "parent_id", "attempt", "created_at", "user_id", "feature", "team",
        "project", "task_type", "tool", "prompt_version", "pipeline", "priority", "agent", "tags",
    ]
}

@Suite("Envelope JSON codec: which fault is reported")
struct EnvelopeErrorOrderTests {
    @Test("a non-integer v is reported even after other faults")
    func nonIntegerVersionFirst() throws {
        let error = decodeError(#"{"trace_id":"nope","leaf_id":"x","v":"1"}"#)
        #expect(error?.code == .invalidType)
        #expect(error?.field == "v")
    }

    @Test("otherwise the first fault in input order is reported")
    func inputOrder() throws {
        let error = decodeError(Fixture.minimal(#","team":"","feature":null"#))
        #expect(error?.field == "team")
        let reversed = decodeError(Fixture.minimal(#","feature":null,"team":"""#))
        #expect(reversed?.field == "feature")
    }
}
