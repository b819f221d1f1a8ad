import Attribution
import Testing

/// The cases of the public W3C Baggage test suite (w3c/baggage `test/test_baggage.py`) and of OpenTelemetry's
/// baggage tests (opentelemetry-go `baggage/baggage_test.go`, opentelemetry-python
/// `tests/baggage/test_baggage_propagation.py`), ported.
///
/// The members are read as members of other systems (`foreignBaggage`), which is where any key that is not an
/// envelope key goes. Where this reader deliberately differs from a library, the case says so:
/// - a member that breaks the W3C grammar refuses the whole header (OpenTelemetry Python drops it silently);
/// - keys are tokens and are never percent-decoded (OpenTelemetry Python decodes them);
/// - duplicate keys of other systems are all kept, in order, as the W3C spec asks (OpenTelemetry Go keeps the last);
/// - a value that is not valid percent-encoding is passed on as it came (OpenTelemetry Go refuses it or replaces
///   bytes with U+FFFD); `value` is then nil;
/// - up to 8192 bytes are read whatever the member count (OpenTelemetry caps members and member length).
@Suite("W3C Baggage suite")
struct W3CBaggageSuiteTests {
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    /// What one member should read as: key, decoded value (nil when not decodable) and properties as
    /// (key, decoded value) pairs.
    struct Member: Sendable, Equatable, CustomStringConvertible {
        let key: String
        let value: String?
        let properties: [Property]

        struct Property: Sendable, Equatable {
            let key: String
            let value: String?
        }

        init(_ key: String, _ value: String?, _ properties: [(String, String?)] = []) {
            self.key = key
            self.value = value
            self.properties = properties.map { Property(key: $0.0, value: $0.1) }
        }

        init(_ member: BaggageMember) {
            key = member.key
            value = member.value
            properties = member.properties.map { Property(key: $0.key, value: $0.value) }
        }

        var description: String {
            "\(key)=\(value ?? "<undecodable>")\(properties.map { ";\($0.key)=\($0.value ?? "-")" }.joined())"
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let source: String
        let name: String
        let header: String
        let members: [Member]?
        let code: AttributionError.Code?

        init(_ source: String, _ name: String, _ header: String, _ members: [Member]) {
            self.source = source
            self.name = name
            self.header = header
            self.members = members
            self.code = nil
        }

        init(_ source: String, _ name: String, _ header: String, refused code: AttributionError.Code) {
            self.source = source
            self.name = name
            self.header = header
            self.members = nil
            self.code = code
        }

        var testDescription: String { "\(source): \(name)" }
    }

    static let w3c = "w3c/baggage"
    static let go = "opentelemetry-go"
    static let python = "opentelemetry-python"
    static let ows = " \t "

    static let cases: [Case] = [
        // w3c/baggage test_baggage.py, BaggageTest.
        Case(w3c, "parse simple", "SomeKey=SomeValue", [Member("SomeKey", "SomeValue")]),
        Case(
            w3c,
            "parse multiple",
            "SomeKey=SomeValue;SomeProp,SomeKey2=SomeValue2;ValueProp=PropVal",
            [
                Member("SomeKey", "SomeValue", [("SomeProp", nil)]),
                Member("SomeKey2", "SomeValue2", [("ValueProp", "PropVal")]),
            ]
        ),
        Case(
            w3c,
            "parse multiple with OWS",
            "SomeKey\(ows)=\(ows)SomeValue\(ows);\(ows)SomeProp\(ows),\(ows)SomeKey2\(ows)=\(ows)SomeValue2\(ows);\(ows)ValueProp\(ows)=\(ows)PropVal",
            [
                Member("SomeKey", "SomeValue", [("SomeProp", nil)]),
                Member("SomeKey2", "SomeValue2", [("ValueProp", "PropVal")]),
            ]
        ),
        Case(
            w3c,
            "parse multiple key-value properties",
            "SomeKey=SomeValue;SomePropKey=SomePropValue,SomeKey2=SomeValue2;SomePropKey2=SomePropValue2",
            [
                Member("SomeKey", "SomeValue", [("SomePropKey", "SomePropValue")]),
                Member("SomeKey2", "SomeValue2", [("SomePropKey2", "SomePropValue2")]),
            ]
        ),
        Case(
            w3c,
            "parse multiple key-value properties with OWS",
            "SomeKey\(ows)=\(ows)SomeValue\(ows);\(ows)SomePropKey=SomePropValue\(ows),\(ows)SomeKey2\(ows)=\(ows)SomeValue2\(ows);\(ows)SomePropKey2\(ows)=\(ows)SomePropValue2",
            [
                Member("SomeKey", "SomeValue", [("SomePropKey", "SomePropValue")]),
                Member("SomeKey2", "SomeValue2", [("SomePropKey2", "SomePropValue2")]),
            ]
        ),
        // w3c/baggage test_baggage.py, BaggageEntryTest.
        Case(w3c, "multiple equals", "SomeKey=SomeValue=equals", [Member("SomeKey", "SomeValue=equals")]),
        Case(
            w3c,
            "percent-encoded value",
            "SomeKey=%09%20%22%27%3B%3Dasdf%21%40%23%24%25%5E%26%2A%28%29",
            [Member("SomeKey", "\t \"';=asdf!@#$%^&*()")]
        ),
        Case(
            w3c,
            "percent-encoded value with OWS",
            "SomeKey\(ows)=\(ows)%09%20%22%27%3B%3Dasdf%21%40%23%24%25%5E%26%2A%28%29\(ows)",
            [Member("SomeKey", "\t \"';=asdf!@#$%^&*()")]
        ),
        Case(w3c, "property", "SomeKey=SomeValue;SomeProp", [Member("SomeKey", "SomeValue", [("SomeProp", nil)])]),
        Case(
            w3c,
            "several properties",
            "SomeKey=SomeValue;SomeProp;SecondProp=PropValue",
            [Member("SomeKey", "SomeValue", [("SomeProp", nil), ("SecondProp", "PropValue")])]
        ),
        Case(
            w3c,
            "key-value property",
            "SomeKey=SomeValue;SomePropKey=SomePropValue",
            [Member("SomeKey", "SomeValue", [("SomePropKey", "SomePropValue")])]
        ),
        Case(w3c, "simple with OWS", "SomeKey\(ows)=\(ows)SomeValue\(ows)", [Member("SomeKey", "SomeValue")]),
        Case(
            w3c,
            "property with OWS",
            "SomeKey\(ows)=\(ows)SomeValue\(ows);\(ows)SomeProp",
            [Member("SomeKey", "SomeValue", [("SomeProp", nil)])]
        ),
        Case(
            w3c,
            "several properties with OWS",
            "SomeKey\(ows)=\(ows)SomeValue\(ows);\(ows)SomeProp\(ows);\(ows)SecondProp\(ows)=\(ows)PropValue",
            [Member("SomeKey", "SomeValue", [("SomeProp", nil), ("SecondProp", "PropValue")])]
        ),
        // The spec's own examples (HTTP_HEADER_FORMAT.md).
        Case(
            w3c,
            "spec example with properties",
            "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
            [
                Member("key1", "value1", [("property1", nil), ("property2", nil)]), Member("key2", "value2"),
                Member("key3", "value3", [("propertyKey", "propertyValue")]),
            ]
        ),
        Case(
            w3c,
            "spec example userId serverNode isProduction",
            "userId=alice,serverNode=DF%2028,isProduction=false",
            [Member("userId", "alice"), Member("serverNode", "DF 28"), Member("isProduction", "false")]
        ),

        // opentelemetry-go baggage_test.go TestBaggageParse.
        Case(go, "empty value", "", []),
        Case(go, "single member empty value no properties", "foo=", [Member("foo", "")]),
        Case(go, "single member no properties", "foo=1", [Member("foo", "1")]),
        Case(go, "plus is read literally", "foo=1+1", [Member("foo", "1+1")]),
        Case(go, "plus encoded", "foo=1%2B1", [Member("foo", "1+1")]),
        Case(go, "slash", "foo=1/1", [Member("foo", "1/1")]),
        Case(go, "slash encoded", "foo=1%2F1", [Member("foo", "1/1")]),
        Case(go, "equals", "foo=1=1", [Member("foo", "1=1")]),
        Case(go, "equals encoded", "foo=1%3D1", [Member("foo", "1=1")]),
        Case(go, "single member with spaces", " foo \t= 1\t\t ", [Member("foo", "1")]),
        Case(
            go,
            "single member empty value with properties",
            "foo=;state=on;red",
            [Member("foo", "", [("state", "on"), ("red", nil)])]
        ),
        Case(
            go,
            "single member with properties",
            "foo=1;state=on;red",
            [Member("foo", "1", [("state", "on"), ("red", nil)])]
        ),
        Case(go, "value containing equal signs", "foo=0=0=0", [Member("foo", "0=0=0")]),
        Case(
            go,
            "two members with properties",
            "foo=1;state=on;red,bar=2;yellow",
            [Member("foo", "1", [("state", "on"), ("red", nil)]), Member("bar", "2", [("yellow", nil)])]
        ),
        Case(
            go,
            "duplicate key (all kept in order; Go keeps the last)",
            "foo=1;state=on;red,foo=2",
            [Member("foo", "1", [("state", "on"), ("red", nil)]), Member("foo", "2")]
        ),
        Case(go, "= value", "key==", [Member("key", "=")]),
        Case(go, "encoded ASCII string", "key1=val%252%2C", [Member("key1", "val%2,")]),
        Case(go, "encoded property", "key1=;bar=val%252%2C", [Member("key1", "", [("bar", "val%2,")])]),
        Case(go, "encoded UTF-8 string", "foo=%C4%85%C5%9B%C4%87", [Member("foo", "ąść")]),
        Case(
            go,
            "encoded UTF-8 string in key (keys are not decoded)",
            "a=b,%C4%85%C5%9B%C4%87=%C4%85%C5%9B%C4%87",
            [Member("a", "b"), Member("%C4%85%C5%9B%C4%87", "ąść")]
        ),
        Case(
            go,
            "encoded UTF-8 string in property",
            "a=b,%C4%85%C5%9B%C4%87=%C4%85%C5%9B%C4%87;%C4%85%C5%9B%C4%87=%C4%85%C5%9B%C4%87",
            [Member("a", "b"), Member("%C4%85%C5%9B%C4%87", "ąść", [("%C4%85%C5%9B%C4%87", "ąść")])]
        ),
        Case(go, "invalid member: empty", "foo=,,bar=", refused: .malformedHeader),
        Case(go, "invalid member: no key", "=foo", refused: .malformedHeader),
        Case(go, "invalid member: no value", "foo", refused: .malformedHeader),
        Case(go, "invalid member: invalid key", "\\=value", refused: .malformedHeader),
        Case(go, "invalid member: invalid value", "foo=\\", refused: .malformedHeader),
        Case(go, "improper url-encoded value is passed on (Go refuses)", "key1=val%", [Member("key1", nil)]),
        Case(go, "invalid property: no key", "foo=1;=v", refused: .malformedHeader),
        Case(go, "invalid property: invalid key", "foo=1;key\\=v", refused: .malformedHeader),
        Case(go, "invalid property: invalid value", "foo=1;key=\\", refused: .malformedHeader),
        Case(
            go,
            "improper url-encoded property value is passed on (Go refuses)",
            "foo=1;key=val%",
            [Member("foo", "1", [("key", nil)])]
        ),
        Case(
            go,
            "too many members: 65 are read (Go refuses)",
            (0...64).map { "a\($0)=" }.joined(separator: ","),
            (0...64).map { Member("a\($0)", "") }
        ),
        Case(go, "too large", String(repeating: "k", count: 8193), refused: .tooLarge),
        Case(
            go,
            "member too large: 4097 bytes without '='",
            String(repeating: "k", count: 4097),
            refused: .malformedHeader
        ),
        Case(
            go,
            "octets that are not UTF-8 are passed on (Go substitutes U+FFFD)",
            "k=aa%ffcc;p=d%fff",
            [Member("k", nil, [("p", nil)])]
        ),
        Case(go, "percent-encoded octets that are UTF-8", "k=aa%26cc", [Member("k", "aa&cc")]),
        // opentelemetry-python test_baggage_propagation.py.
        Case(python, "empty header", "", []),
        Case(python, "valid header", "key1=val1,key2=val2", [Member("key1", "val1"), Member("key2", "val2")]),
        Case(
            python,
            "valid header with space",
            "key1 =   val1,  key2 =val2   ",
            [Member("key1", "val1"), Member("key2", "val2")]
        ),
        Case(
            python,
            "valid header with properties",
            "key1=val1,key2=val2;prop=1",
            [Member("key1", "val1"), Member("key2", "val2", [("prop", "1")])]
        ),
        Case(
            python,
            "url-escaped comma (keys are not decoded)",
            "key%2C1=val1,key2=val2%2Cval3",
            [Member("key%2C1", "val1"), Member("key2", "val2,val3")]
        ),
        Case(
            python,
            "a bare member refuses the header (Python drops it)",
            "key1=val1,key2=val2,a,val3",
            refused: .malformedHeader
        ),
        Case(python, "empty value", "key1=,key2=val2", [Member("key1", ""), Member("key2", "val2")]),
        Case(python, "invalid header", "header1", refused: .malformedHeader),
        Case(python, "header too long", "key1=" + String(repeating: "s", count: 8188), refused: .tooLarge),
        Case(
            python,
            "header of 8192 bytes",
            "key1=" + String(repeating: "s", count: 8187),
            [Member("key1", String(repeating: "s", count: 8187))]
        ),
        Case(
            python,
            "181 members are read (Python keeps 180)",
            (0...180).map { "key\($0)=val" }.joined(separator: ","),
            (0...180).map { Member("key\($0)", "val") }
        ),
        Case(
            python,
            "a member over 4096 bytes is read (Python drops it)",
            "key1=value1,key2=" + String(repeating: "s", count: 4097) + ",key3=value3",
            [Member("key1", "value1"), Member("key2", String(repeating: "s", count: 4097)), Member("key3", "value3")]
        ),
        // Grammar edges.
        Case(w3c, "whitespace only", " \t ", []),
        Case(w3c, "trailing comma", "a=1,", refused: .malformedHeader),
        Case(w3c, "empty property", "a=1;", refused: .malformedHeader),
        Case(w3c, "space inside a value", "a=b c", refused: .malformedHeader),
        Case(w3c, "double quote in a value", "a=\"b\"", refused: .malformedHeader),
        Case(w3c, "space inside a key", "a b=1", refused: .malformedHeader),
        Case(w3c, "raw non-ASCII in a value", "a=é", refused: .malformedHeader),
        Case(w3c, "control character in a value", "a=b\u{1}", refused: .malformedHeader),
    ]

    @Test("baggage values from the W3C and OpenTelemetry suites", arguments: cases)
    func baggage(_ testCase: Case) throws {
        do {
            let headers = try AttributionHeaders(traceparent: Self.traceparent, baggage: testCase.header)
            #expect(testCase.code == nil, "expected \(String(describing: testCase.code))")
            #expect(headers.foreignBaggage.map(Member.init) == testCase.members)
        } catch {
            #expect(error.code == testCase.code, "\(error)")
        }
    }

    // w3c/baggage LimitsTest: a platform propagates at least 64 members and 8192 bytes.
    @Test("64 members, and a baggage-string of 8192 bytes read, pass on unchanged")
    func propagatesLimits() throws {
        let many = (0..<62).map { "key\($0)=value" }.joined(separator: ",")
        let headers = try AttributionHeaders(traceparent: Self.traceparent, baggage: many)
        let written = try headers.baggage()
        #expect(written.split(separator: ",").count == 64)
        #expect(written.hasSuffix("," + many))

        let long = "a=" + String(repeating: "0123456789", count: 819)
        #expect(long.utf8.count == 8192)
        let read = try AttributionHeaders(traceparent: Self.traceparent, baggage: long)
        #expect(read.foreignBaggage.first?.text == long)
    }

    // opentelemetry-go TestBaggageString, with this library's choices where they differ (+ and = are encoded).
    @Test("Values are written percent-encoded as OpenTelemetry Go writes them, + and = also encoded")
    func writesLikeOpenTelemetry() throws {
        let allASCII = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        let expected =
            "%00%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14%15%16%17%18%19%1A%1B%1C%1D%1E%1F"
            + "%20!%22#$%25&'()*%2B%2C-./0123456789:%3B<%3D>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[%5C]^_`"
            + "abcdefghijklmnopqrstuvwxyz{|}~%7F"
        #expect(try BaggageMember(key: "foo", value: allASCII).text == "foo=" + expected)
        #expect(try BaggageMember(key: "foo", value: allASCII).value == allASCII)
        #expect(try BaggageMember(key: "foo", value: "ąść").text == "foo=%C4%85%C5%9B%C4%87")
        #expect(try BaggageMember(key: "foo", value: "1+1").text == "foo=1%2B1")
        #expect(try BaggageMember(key: "foo", value: "1=1").text == "foo=1%3D1")
        #expect(try BaggageMember(key: "foo", value: "B% 💼").text == "foo=B%25%20%F0%9F%92%BC")
        // opentelemetry-python test_inject_escaped_values.
        #expect(try BaggageMember(key: "key1", value: "val1,val2").text == "key1=val1%2Cval2")
        #expect(try BaggageMember(key: "key2", value: "val3=4").text == "key2=val3%3D4")
        // w3c/baggage test_parse_percent_encoded: what urllib.parse.quote writes reads back.
        #expect(
            try BaggageMember(key: "SomeKey", value: "\t \"';=asdf!@#$%^&*()").text
                == "SomeKey=%09%20%22'%3B%3Dasdf!@#$%25^&*()"
        )
    }

    // The W3C examples of splitting context over several headers.
    @Test("The W3C examples split over several baggage lines read the same as one line")
    func splitHeaders() throws {
        let one = try AttributionHeaders(headers: [
            (name: "traceparent", value: Self.traceparent),
            (name: "baggage", value: "userId=alice,serverNode=DF%2028,isProduction=false"),
        ])
        let two = try AttributionHeaders(headers: [
            (name: "traceparent", value: Self.traceparent), (name: "baggage", value: "userId=alice"),
            (name: "baggage", value: "serverNode=DF%2028,isProduction=false"),
        ])
        let spaced = try AttributionHeaders(headers: [
            (name: "traceparent", value: Self.traceparent), (name: "baggage", value: "userId =   alice"),
            (name: "baggage", value: "serverNode = DF%2028, isProduction = false"),
        ])
        #expect(one.foreignBaggage.map(Member.init) == two.foreignBaggage.map(Member.init))
        #expect(one.foreignBaggage.map(Member.init) == spaced.foreignBaggage.map(Member.init))
        #expect(one.foreignBaggage.map(\.value) == ["alice", "DF 28", "false"])
    }

    /// OpenTelemetry's propagators write each baggage entry as `key=percent-encoded value`, possibly with
    /// properties (metadata), joined by commas, in any order.
    @Test("Headers written by an OpenTelemetry propagator with these keys read as a valid envelope")
    func openTelemetryWritten() throws {
        // As opentelemetry-go writes: url.PathEscape-style values, properties after ';'.
        let go =
            "user_id=u_42,feature=summarize,team=growth,project=assistant,task_type=summarize,"
            + "tool=web%20search;source=otel,attempt=2,root_id=a3ce929d0e0e4736,parent_id=b7ad6b7169203331,"
            + "tag.env=prod,created_at=2026-11-24T16%3A02%3A00.123Z,other=1"
        let fromGo = try AttributionHeaders(traceparent: Self.traceparent, baggage: go)
        #expect(fromGo.envelope.tool == "web search")
        #expect(fromGo.envelope.attempt == 2)
        #expect(fromGo.envelope.tags == ["env": "prod"])
        #expect(fromGo.envelope.createdAt?.description == "2026-11-24T16:02:00.123Z")
        #expect(fromGo.foreignBaggage.map(\.text) == ["other=1"])
        // As opentelemetry-python writes: urllib.parse.quote of each value.
        let python =
            "user_id=u_42,feature=sum%2Fmarize,team=growth,project=assistant,task_type=summarize,prompt_version=v1%2B2"
        let fromPython = try AttributionEnvelope(traceparent: Self.traceparent, baggage: python)
        #expect(fromPython.feature == "sum/marize")
        #expect(fromPython.promptVersion == "v1+2")
        try AttributionPolicy.default.check(fromPython)
    }
}
