import Attribution
import Testing

@Suite("The project's JSON reader and writer")
struct JSONParserTests {
    static let limits = JSONParser.Limits(maxBytes: 1024, maxDepth: 4)

    static func parse(_ text: String, _ limits: JSONParser.Limits = limits) throws(AttributionError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), limits: limits)
    }

    @Test("objects keep member order and each value's exact text")
    func memberOrder() throws {
        let value = try Self.parse(#" {"b": 1.50, "a" : [true, null], "c":"\u00e9"} "#)
        let object = try #require(value.objectValue)
        #expect(object.members.map(\.key) == ["b", "a", "c"])
        #expect(object.members.map(\.rawText) == ["1.50", "[true, null]", #""\u00e9""#])
        #expect(object["b"]?.numberText == "1.50")
        #expect(object["c"]?.stringValue == "é")
    }

    @Test("duplicate keys are refused naming the key, unless allowed (first wins)")
    func duplicates() throws {
        #expect(throws: AttributionError(.duplicateKey, reason: "")) { try Self.parse(#"{"a":1,"a":2}"#) }
        let lenient = JSONParser.Limits(maxBytes: 100, maxDepth: 4, rejectDuplicateKeys: false)
        #expect(try Self.parse(#"{"a":1,"a":2}"#, lenient).objectValue?["a"]?.integerValue == 1)
    }

    @Test("size and depth limits hold at and one past their boundary")
    func limits() throws {
        let at = "[" + String(repeating: " ", count: 1022) + "]"
        #expect(throws: Never.self) { try Self.parse(at) }
        #expect(throws: AttributionError(.tooLarge, reason: "")) { try Self.parse(at + " ") }
        #expect(throws: Never.self) { try Self.parse("[[[[1]]]]") }
        #expect(throws: AttributionError(.malformedJSON, reason: "")) { try Self.parse("[[[[[1]]]]]") }
    }

    @Test(
        "strict grammar: malformed input is refused",
        arguments: [
            "", "01", "1.", ".5", "-", "+1", "[1,]", "{\"a\":1,}", "{'a':1}", "[1 2]", "tru", "nul", "\"\\x\"",
            "\"\\ud800\"", "\"\\udc00\"", "\"a\u{1}\"", "\"abc", "[1]]", "NaN", "Infinity", "{\"a\"}", "\"\\u12g4\"",
        ]
    )
    func strict(_ text: String) throws {
        #expect(throws: AttributionError(.malformedJSON, reason: "")) { try Self.parse(text) }
        let verdict = JSONScanner.isValidDocument(Array(text.utf8), maxDepth: 4)
        #expect(!verdict)
    }

    @Test(
        "the scanner accepts what the parser accepts",
        arguments: [
            "0", "-0", "1e5", "-1.5E-3", "\"\"", "\"\\ud83d\\ude00\"", "[]", "{}", "{\"a\":[1,{\"b\":null}]}", " true ",
        ]
    )
    func scannerAgrees(_ text: String) throws {
        #expect(throws: Never.self) { try Self.parse(text) }
        #expect(JSONScanner.isValidDocument(Array(text.utf8), maxDepth: 4))
    }

    @Test("integers are read only from integer literals that fit")
    func integers() {
        #expect(JSONValue.integer(fromLiteral: "42") == 42)
        #expect(JSONValue.integer(fromLiteral: "-7") == -7)
        #expect(JSONValue.integer(fromLiteral: "1.0") == nil)
        #expect(JSONValue.integer(fromLiteral: "1e0") == nil)
        #expect(JSONValue.integer(fromLiteral: "99999999999999999999") == nil)
    }

    @Test("the writer escapes only quote, backslash and control characters, and writes minimal integers")
    func writer() {
        var writer = JSONWriter()
        writer.string("a\"\\/\u{0}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1B}é\u{7F}")
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #""a\"\\/\u0000\b\t\n\f\r\u001bé"# + "\u{7F}\"")
        for (value, text) in [
            (0, "0"), (7, "7"), (10, "10"), (-12, "-12"), (Int.max, "9223372036854775807"),
            (Int.min, "-9223372036854775808"),
        ] {
            var w = JSONWriter()
            w.integer(value)
            #expect(String(decoding: w.bytes, as: UTF8.self) == text)
        }
        var u = JSONWriter()
        u.integer(UInt64.max)
        #expect(String(decoding: u.bytes, as: UTF8.self) == "18446744073709551615")
    }

    @Test("a parsed value written back keeps member order and number text")
    func writeBack() throws {
        let value = try Self.parse(#"{ "b" : [ 1.50 , true ], "a":"x\ty" }"#)
        var writer = JSONWriter()
        writer.value(value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"b":[1.50,true],"a":"x\ty"}"#)
    }

    @Test("the JSONObject path of the envelope decoder applies the same rules")
    func envelopeFromObject() throws {
        let limits = JSONParser.Limits(maxBytes: 16_384, maxDepth: 8)
        let object = try #require(try JSONParser.parse(Array(Fixture.typicalJSON.utf8), limits: limits).objectValue)
        #expect(try AttributionEnvelope(jsonObject: object) == Fixture.typical())
        let bad = try #require(
            try JSONParser.parse(Array(Fixture.replacing("v", with: #""v":2"#).utf8), limits: limits).objectValue
        )
        #expect(throws: AttributionError(.unsupportedVersion, reason: "")) { try AttributionEnvelope(jsonObject: bad) }
        // Members built in code (no raw text) are written out and read the same way.
        var built = JSONObject()
        for member in object.members {
            built.members.append(.init(key: member.key, value: member.value, rawText: ""))
        }
        #expect(try AttributionEnvelope(jsonObject: built) == Fixture.typical())
    }
}
