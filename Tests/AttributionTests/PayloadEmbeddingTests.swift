import Attribution
import Foundation
import Testing

private struct Summarize: Codable, Sendable, Hashable {
    var documentID: Int
    var language: String
}

@Suite("Payload embedding: the envelope inside any queue's JSON payload")
struct PayloadEmbeddingTests {
    @Test("embedding inserts attribution first and leaves every other byte as it was")
    func embedInserts() throws {
        let payload = #"  { "document_id" : 42,"text":"caf\u00e9 \/ x" , "n":[1,2.50]}  "#
        let out = try Fixture.typical().embed(into: Array(payload.utf8))
        #expect(
            String(decoding: out, as: UTF8.self)
                == #"  {"attribution":\#(Fixture.typicalJSON) "document_id" : 42,"text":"caf\u00e9 \/ x" , "n":[1,2.50]}  "#
                .replacingOccurrences(of: "} \"document_id\"", with: "}, \"document_id\"")
        )
    }

    @Test("embedding into an empty object writes only attribution")
    func embedEmpty() throws {
        let out = try Fixture.typical().embed(into: Array("{}".utf8))
        #expect(String(decoding: out, as: UTF8.self) == #"{"attribution":\#(Fixture.typicalJSON)}"#)
        let spaced = try Fixture.typical().embed(into: Array("{ }".utf8))
        #expect(String(decoding: spaced, as: UTF8.self) == #"{"attribution":\#(Fixture.typicalJSON) }"#)
    }

    @Test("embedding replaces an existing attribution where it stands")
    func embedReplaces() throws {
        let old = Fixture.minimal()
        let payload = #"{"a":1,"attribution": \#(old) ,"b":[true]}"#
        var envelope = try Fixture.typical()
        envelope.attempt = 2
        let out = try envelope.embed(into: Array(payload.utf8))
        let expected = #"{"a":1,"attribution": \#(try envelope.canonicalJSONString()) ,"b":[true]}"#
        #expect(String(decoding: out, as: UTF8.self) == expected)
        #expect(try AttributionEnvelope.extract(from: out) == envelope)
    }

    @Test("extract reads what embed wrote, from bytes and from Data")
    func extractRoundTrip() throws {
        let envelope = try Fixture.typical().child(tool: "search")
        let data = try envelope.embed(into: Data(#"{"job":"summarize"}"#.utf8))
        #expect(try AttributionEnvelope.extract(from: data) == envelope)
        #expect(try AttributionEnvelope.extract(from: Array(data)) == envelope)
        #expect(try AttributionEnvelope.extract(from: data.reversed().reversed()) == envelope)
    }

    @Test("a payload without attribution is refused as a missing envelope")
    func missing() throws {
        let error = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.extract(from: Array(#"{"attributions":{},"x":{"attribution":1}}"#.utf8))
        }
        #expect(error?.code == .missingEnvelope)
        #expect(error?.field == "attribution")
    }

    @Test(
        "attribution that is not an object is refused as the wrong type",
        arguments: ["null", "1", #""{}""#, "[]", "true"]
    )
    func notObject(_ value: String) throws {
        let error = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.extract(from: Array(#"{"attribution":\#(value)}"#.utf8))
        }
        #expect(error?.code == .invalidType)
        #expect(error?.field == "attribution")
    }

    @Test("a duplicated attribution key is refused by extract and embed")
    func duplicate() throws {
        let payload = Array(#"{"attribution":\#(Fixture.minimal()),"attribution":\#(Fixture.minimal())}"#.utf8)
        #expect(throws: AttributionError(.duplicateKey, reason: "")) { try AttributionEnvelope.extract(from: payload) }
        #expect(throws: AttributionError(.duplicateKey, reason: "")) { try Fixture.typical().embed(into: payload) }
    }

    @Test("the envelope's rules apply inside a payload, naming the field")
    func rulesInside() throws {
        let payload = #"{"attribution":\#(Fixture.replacing("leaf_id", with: #""leaf_id":"XYZ""#))}"#
        let error = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.extract(from: Array(payload.utf8))
        }
        #expect(error?.code == .invalidIdentifier)
        #expect(error?.field == "leaf_id")
    }

    @Test(
        "a payload that is not one JSON object is refused, not trapped on",
        arguments: [
            "", "[]", "1", #"{"a":1"#, #"{"a":1}}"#, #"{"a":[1,}"#, "{\"a\":\"\u{1}\"}", #"{"attribution":{"v":1}"#,
        ]
    )
    func malformedPayload(_ text: String) throws {
        #expect(throws: AttributionError.self) { try AttributionEnvelope.extract(from: Array(text.utf8)) }
        #expect(throws: AttributionError.self) { try Fixture.typical().embed(into: Array(text.utf8)) }
    }

    @Test("payload limits: 16 MiB is read, one byte more is refused; the envelope value is held to 16 KiB")
    func payloadLimits() throws {
        let limit = AttributionEnvelope.PayloadLimits.maxPayloadBytes
        #expect(limit == 16 * 1024 * 1024)
        let head = Array(#"{"attribution":\#(Fixture.minimal()),"blob":""#.utf8)
        var payload = head + [UInt8](repeating: UInt8(ascii: "x"), count: limit - head.count - 2) + Array("\"}".utf8)
        #expect(payload.count == limit)
        #expect(try AttributionEnvelope.extract(from: payload).leafID == LeafID(Fixture.leaf))
        payload.insert(UInt8(ascii: " "), at: 0)
        #expect(throws: AttributionError(.tooLarge, reason: "")) { try AttributionEnvelope.extract(from: payload) }

        let bigEnvelope =
            Fixture.minimal(#","pad":"\#(String(repeating: "p", count: 16_384 - Fixture.minimal().utf8.count))""#)
        let error = #expect(throws: AttributionError.self) {
            try AttributionEnvelope.extract(from: Array(#"{"attribution":\#(bigEnvelope)}"#.utf8))
        }
        #expect(error?.code == .tooLarge)
        #expect(error?.field == "attribution")
    }

    @Test("deeply nested payloads are refused past the documented depth")
    func payloadDepth() throws {
        let depth = AttributionEnvelope.PayloadLimits.maxPayloadDepth
        func payload(_ levels: Int) -> [UInt8] {
            Array(
                (#"{"attribution":\#(Fixture.minimal()),"x":"# + String(repeating: "[", count: levels)
                    + String(repeating: "]", count: levels) + "}").utf8
            )
        }
        #expect(throws: Never.self) { try AttributionEnvelope.extract(from: payload(depth - 1)) }
        #expect(throws: AttributionError(.malformedJSON, reason: "")) {
            try AttributionEnvelope.extract(from: payload(depth))
        }
    }

    // MARK: The Codable wrapper

    @Test("AttributedPayload puts the envelope beside the payload's own keys, and reads it back")
    func wrapperRoundTrip() throws {
        let job = AttributedPayload(
            attribution: try Fixture.typical(),
            payload: Summarize(documentID: 42, language: "en")
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(job)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["attribution", "documentID", "language"])
        #expect(try JSONDecoder().decode(AttributedPayload<Summarize>.self, from: data) == job)
        // Bytes written by the wrapper are read by extract, and bytes written by embed are read by the wrapper.
        #expect(try AttributionEnvelope.extract(from: data) == job.attribution)
        let embedded = try job.attribution.embed(into: Data(#"{"documentID":7,"language":"fr"}"#.utf8))
        let decoded = try JSONDecoder().decode(AttributedPayload<Summarize>.self, from: embedded)
        #expect(decoded.payload == Summarize(documentID: 7, language: "fr"))
        #expect(decoded.attribution == job.attribution)
    }

    @Test("AttributedPayload refuses a payload without attribution, or with an invalid one")
    func wrapperRefuses() throws {
        let missing = Data(#"{"documentID":7,"language":"fr"}"#.utf8)
        let error = #expect(throws: AttributionError.self) {
            try JSONDecoder().decode(AttributedPayload<Summarize>.self, from: missing)
        }
        #expect(error?.code == .missingEnvelope)
        let bad = Data(
            #"{"attribution":\#(Fixture.replacing("v", with: #""v":2"#)),"documentID":7,"language":"fr"}"#.utf8
        )
        let versionError = #expect(throws: AttributionError.self) {
            try JSONDecoder().decode(AttributedPayload<Summarize>.self, from: bad)
        }
        #expect(versionError?.code == .unsupportedVersion)
        var invalid = AttributedPayload(
            attribution: try Fixture.typical(),
            payload: Summarize(documentID: 1, language: "en")
        )
        invalid.attribution.team = ""
        #expect(throws: AttributionError(.invalidValue, reason: "")) { try JSONEncoder().encode(invalid) }
    }
}

@Suite("Codable form of the envelope")
struct EnvelopeCodableTests {
    @Test("JSONEncoder output is semantically equal to the canonical form")
    func semanticallyEqual() throws {
        var envelope = try Fixture.typical().child(tool: "search")
        envelope.unknownFields = [.init(key: "later", json: #"{"a":[1,2.5,"x",true]}"#)]
        let data = try JSONEncoder().encode(envelope)
        let viaFoundation = try JSONSerialization.jsonObject(with: data) as? NSDictionary
        let canonical = try JSONSerialization.jsonObject(with: Data(envelope.canonicalJSON())) as? NSDictionary
        #expect(viaFoundation == canonical)
        #expect(try JSONDecoder().decode(AttributionEnvelope.self, from: data) == envelope)
        #expect(try AttributionEnvelope(json: data) == envelope)
    }

    @Test("JSONDecoder reads the canonical form into the same envelope")
    func decodesCanonical() throws {
        let envelope = try JSONDecoder().decode(AttributionEnvelope.self, from: Data(Fixture.typicalJSON.utf8))
        #expect(envelope == (try Fixture.typical()))
    }

    @Test(
        "JSONDecoder refuses what the canonical decoder refuses, with the same code, field and reason",
        arguments: [
            (Fixture.replacing("v", with: #""v":2"#), "unsupported_version", "v"),
            (Fixture.replacing("v", with: #""v":"1""#), "invalid_type", "v"),
            (Fixture.replacing("v", with: #""v":1.5"#), "invalid_type", "v"),
            (Fixture.replacing("attempt", with: #""attempt":null"#), "invalid_type", "attempt"),
            (Fixture.replacing("attempt", with: #""attempt":0"#), "invalid_value", "attempt"),
            (Fixture.replacing("attempt", with: #""attempt":2147483648"#), "invalid_value", "attempt"),
            (Fixture.replacing("leaf_id", with: #""leaf_id":"00F067AA0BA902B7""#), "invalid_identifier", "leaf_id"),
            (Fixture.replacing("trace_id", with: ""), "missing_fields", "trace_id"),
            (Fixture.minimal(#","team":"""#), "invalid_value", "team"),
            (Fixture.minimal(#","team":null"#), "invalid_type", "team"),
            (Fixture.minimal(#","team":7"#), "invalid_type", "team"),
            (Fixture.minimal(#","x":null"#), "invalid_type", "x"),
            (Fixture.minimal(#","tags":{"Bad":"v"}"#), "invalid_value", "tags"),
            (Fixture.minimal(#","tags":{"k":1}"#), "invalid_type", "tags.k"),
            (Fixture.minimal(#","feature":"\#(String(repeating: "f", count: 257))""#), "too_large", "feature"),
            (Fixture.replacing("root_id", with: #""root_id":"\#(Fixture.child)""#), "invalid_lineage", "root_id"),
            (Fixture.replacing("root_id", with: #""parent_id":"\#(Fixture.child)""#), "invalid_lineage", "parent_id"),
            (Fixture.minimal(#","x":[[[[[[[[1]]]]]]]]"#), "malformed_json", "x"),
        ]
    )
    func refuses(_ text: String, _ code: String, _ field: String) throws {
        let canonical = decodeError(text)
        #expect(canonical?.code.name == code)
        #expect(canonical?.field == field)
        let error = #expect(throws: AttributionError.self) {
            try JSONDecoder().decode(AttributionEnvelope.self, from: Data(text.utf8))
        }
        #expect(error?.code.name == code)
        if code != "malformed_json" {
            #expect(error?.field == field)
            // One decoder: the Codable path reads the value as JSON and gives the JSON decoder's own message.
            #expect(error?.reason == canonical?.reason)
        }
    }
}
