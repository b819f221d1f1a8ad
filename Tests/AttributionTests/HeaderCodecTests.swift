import Attribution
import Foundation
import Testing

/// Every rule of SPEC section 3 (the header form), each with a test that fails when the rule breaks.
@Suite("Header form of the envelope")
struct HeaderCodecTests {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let leaf = "00f067aa0ba902b7"
    static let parent = "b7ad6b7169203331"
    static let root = "a3ce929d0e0e4736"
    static let traceparent = "00-\(trace)-\(leaf)-01"

    static func envelope() throws -> AttributionEnvelope {
        AttributionEnvelope(
            traceID: try TraceID(trace),
            leafID: try LeafID(leaf),
            rootID: try LeafID(root),
            parentID: try LeafID(parent),
            attempt: 2,
            createdAt: try UTCTimestamp(rfc3339: "2026-11-24T16:02:00.123Z"),
            userID: "u_42",
            feature: "summarize",
            team: "growth",
            project: "assistant",
            taskType: "summarize",
            tool: "web search",
            promptVersion: "v1+beta",
            pipeline: "p",
            priority: "high",
            agent: "agent-7",
            tags: ["env": "prod", "batch.id": "b-1"]
        )
    }

    static func read(
        _ baggage: String?,
        traceparent: String = traceparent
    ) throws(AttributionError)
        -> AttributionHeaders
    {
        try AttributionHeaders(traceparent: traceparent, baggage: baggage)
    }

    /// The code of the error `body` throws, nil when it throws none.
    static func code(_ body: () throws -> Void) -> AttributionError.Code? {
        error(body)?.code
    }

    /// The error `body` throws, nil when it throws none; any error other than an AttributionError is a failure.
    static func error(_ body: () throws -> Void) -> AttributionError? {
        do {
            try body()
            return nil
        } catch let error as AttributionError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: Writing

    @Test("A full envelope is written as traceparent 00-{trace_id}-{leaf_id}-01 and baggage in a fixed order")
    func writesExactHeaders() throws {
        let fields = try Self.envelope().headerFields()
        #expect(fields.map(\.name) == ["traceparent", "baggage"])
        #expect(fields[0].value == Self.traceparent)
        #expect(
            fields[1].value
                == "user_id=u_42,feature=summarize,team=growth,project=assistant,task_type=summarize,"
                + "tool=web%20search,prompt_version=v1%2Bbeta,pipeline=p,priority=high,agent=agent-7,"
                + "root_id=\(Self.root),parent_id=\(Self.parent),attempt=2,created_at=2026-11-24T16:02:00.123Z,"
                + "tag.batch.id=b-1,tag.env=prod"
        )
    }

    @Test("Writing then reading gives back the same envelope")
    func roundTrips() throws {
        let envelope = try Self.envelope()
        let read = try AttributionEnvelope(headers: try envelope.headerFields())
        #expect(read == envelope)
    }

    @Test("A root envelope writes root_id and attempt explicitly, and no parent_id")
    func rootWritesRootAndAttempt() throws {
        let envelope = AttributionEnvelope(traceID: try TraceID(Self.trace), leafID: try LeafID(Self.leaf))
        #expect(try AttributionHeaders(envelope: envelope).baggage() == "root_id=\(Self.leaf),attempt=1")
    }

    @Test("A + is written as %2B, a space as %20, and both read back")
    func plusAndSpace() throws {
        var envelope = try Self.envelope()
        envelope.userID = "a+b c"
        let baggage = try AttributionHeaders(envelope: envelope).baggage()
        #expect(baggage.hasPrefix("user_id=a%2Bb%20c,"))
        #expect(!baggage.contains("+"))
        #expect(try Self.read(baggage).envelope.userID == "a+b c")
    }

    @Test("A + on the wire is read literally, never as a space")
    func plusReadLiterally() throws {
        #expect(try Self.read("user_id=a+b").envelope.userID == "a+b")
        #expect(try Self.read("user_id=a%2bb").envelope.userID == "a+b")
    }

    @Test(
        "Characters outside baggage-octets, and % + =, are percent-encoded",
        arguments: [
            ("%", "%25"), (",", "%2C"), (";", "%3B"), ("=", "%3D"), ("\"", "%22"), ("\\", "%5C"), ("\t", "%09"),
            ("\n", "%0A"), ("\u{7F}", "%7F"), ("\u{0}", "%00"), ("é", "%C3%A9"), ("💼", "%F0%9F%92%BC"),
            ("a-b_c.d~!#$&'()*/:<>?@[]^`{|}", "a-b_c.d~!#$&'()*/:<>?@[]^`{|}"),
        ]
    )
    func encodesValues(value: String, encoded: String) throws {
        var envelope = AttributionEnvelope(traceID: try TraceID(Self.trace), leafID: try LeafID(Self.leaf))
        envelope.feature = value
        let baggage = try AttributionHeaders(envelope: envelope).baggage()
        #expect(baggage == "feature=\(encoded),root_id=\(Self.leaf),attempt=1")
        #expect(try Self.read(baggage).envelope.feature == value)
    }

    // MARK: Reading defaults and lineage

    @Test("No root_id and no parent_id means a root: root_id is leaf_id")
    func rootDefault() throws {
        let envelope = try Self.read("user_id=u_42").envelope
        #expect(envelope.rootID == (try LeafID(Self.leaf)))
        #expect(envelope.parentID == nil)
        #expect(envelope.isRoot)
    }

    @Test("No baggage at all reads as a root at attempt 1")
    func noBaggage() throws {
        let envelope = try Self.read(nil).envelope
        #expect(envelope.rootID == (try LeafID(Self.leaf)))
        #expect(envelope.attempt == 1)
        #expect(envelope.userID == nil)
    }

    @Test("An absent attempt means 1")
    func attemptDefault() throws {
        #expect(try Self.read("root_id=\(Self.root),parent_id=\(Self.parent)").envelope.attempt == 1)
    }

    @Test("parent_id with root_id reads as a child")
    func childLineage() throws {
        let envelope = try Self.read("root_id=\(Self.root),parent_id=\(Self.parent),attempt=3").envelope
        #expect(envelope.rootID == (try LeafID(Self.root)))
        #expect(envelope.parentID == (try LeafID(Self.parent)))
        #expect(envelope.attempt == 3)
    }

    @Test("parent_id without root_id is refused")
    func parentWithoutRoot() {
        let error = Self.error { _ = try Self.read("parent_id=\(Self.parent)") }
        #expect(error?.code == .invalidLineage)
        #expect(error?.field == "root_id")
    }

    @Test("A root_id other than leaf_id without parent_id is refused")
    func rootMismatch() {
        #expect(Self.code { _ = try Self.read("root_id=\(Self.root)") } == .invalidLineage)
    }

    @Test("root_id equal to leaf_id without parent_id is a root")
    func explicitRoot() throws {
        #expect(try Self.read("root_id=\(Self.leaf)").envelope.isRoot)
    }

    @Test(
        "attempt must be a minimal decimal integer from 1 to 2^31-1",
        arguments: ["0", "-1", "+1", "02", "2147483648", "99999999999999999999", "1.0", "abc", "1e3", "%31%30x"]
    )
    func badAttempt(text: String) {
        let error = Self.error { _ = try Self.read("attempt=\(text)") }
        #expect(error?.code == .invalidValue)
        #expect(error?.field == "attempt")
    }

    @Test("attempt 2147483647 is the largest accepted")
    func largestAttempt() throws {
        #expect(try Self.read("attempt=2147483647").envelope.attempt == 2_147_483_647)
    }

    @Test(
        "Bad lineage ids are refused naming the key",
        arguments: [
            ("root_id", "0000000000000000"), ("root_id", "A3CE929D0E0E4736"), ("parent_id", "b7ad6b716920333"),
            ("parent_id", "b7ad6b71692033311"),
        ]
    )
    func badIDs(key: String, value: String) {
        let baggage = key == "root_id" ? "root_id=\(value)" : "root_id=\(Self.root),parent_id=\(value)"
        let error = Self.error { _ = try Self.read(baggage) }
        #expect(error?.code == .invalidIdentifier)
        #expect(error?.field == key)
    }

    @Test("created_at is read with any offset and written as UTC with milliseconds")
    func createdAt() throws {
        let headers = try Self.read("created_at=2026-11-24T17:02:00%2B01:00")
        #expect(headers.envelope.createdAt == (try UTCTimestamp(rfc3339: "2026-11-24T16:02:00Z")))
        #expect(try headers.baggage().contains("created_at=2026-11-24T16:02:00.000Z"))
        let error = Self.error { _ = try Self.read("created_at=yesterday") }
        #expect(error?.code == .invalidValue)
        #expect(error?.field == "created_at")
    }

    @Test("created_at is kept to the millisecond, as the JSON form keeps it")
    func createdAtPrecision() throws {
        let read = try Self.read("created_at=2026-11-24T16:02:00.123456789Z").envelope
        #expect(read.createdAt == (try UTCTimestamp(rfc3339: "2026-11-24T16:02:00.123Z")))
        #expect(try AttributionHeaders(envelope: read).baggage().contains("created_at=2026-11-24T16:02:00.123Z"))
    }

    // MARK: Values

    @Test("A value of 256 bytes is accepted and one of 257 is refused, counted after decoding")
    func valueLimit() throws {
        let ok = String(repeating: "é", count: 128)  // 256 bytes, 768 on the wire
        #expect(try Self.read("user_id=\(String(repeating: "%C3%A9", count: 128))").envelope.userID == ok)
        let error = Self.error { _ = try Self.read("user_id=\(String(repeating: "%C3%A9", count: 128))x") }
        #expect(error?.code == .tooLarge)
        #expect(error?.field == "user_id")
        #expect(Self.code { _ = try Self.read("tag.k=\(String(repeating: "v", count: 257))") } == .tooLarge)
        #expect(try Self.read("tag.k=\(String(repeating: "v", count: 256))").envelope.tags["k"]?.utf8.count == 256)
    }

    @Test("An empty value of an envelope key is refused; other systems' empty values pass through")
    func emptyValue() throws {
        let error = Self.error { _ = try Self.read("team=") }
        #expect(error?.code == .invalidValue)
        #expect(error?.field == "team")
        #expect(try Self.read("other=").foreignBaggage.map(\.text) == ["other="])
    }

    @Test("A bad %-escape in an envelope value is refused; in another system's value it passes through")
    func badEscape() throws {
        for bad in ["a%", "a%2", "a%zz", "%G0"] {
            let error = Self.error { _ = try Self.read("feature=\(bad)") }
            #expect(error?.code == .malformedHeader)
            #expect(error?.field == "feature")
            let headers = try Self.read("other=\(bad)")
            #expect(headers.foreignBaggage.first?.text == "other=\(bad)")
            #expect(headers.foreignBaggage.first?.value == nil)
        }
    }

    @Test("Percent-encoded bytes that are not UTF-8 are refused in envelope values and passed through otherwise")
    func invalidUTF8() throws {
        let error = Self.error { _ = try Self.read("feature=aa%FFcc") }
        #expect(error?.code == .invalidValue)
        #expect(error?.field == "feature")
        #expect(error?.description.contains("aa%FFcc") == true)
        #expect(try Self.read("k=aa%ffcc;p=d%fff").foreignBaggage.map(\.text) == ["k=aa%ffcc;p=d%fff"])
    }

    @Test("tag.{key} carries tags; a bad tag key is refused naming the baggage key")
    func tags() throws {
        #expect(try Self.read("tag.env=prod,tag.a_b-c.d=1").envelope.tags == ["env": "prod", "a_b-c.d": "1"])
        for key in ["tag.Env", "tag.", "tag.a+b", "tag.\(String(repeating: "k", count: 65))"] {
            let error = Self.error { _ = try Self.read("\(key)=v") }
            #expect(error?.code == .invalidValue)
            #expect(error?.field == key)
        }
        #expect(try Self.read("tag.\(String(repeating: "k", count: 64))=v").envelope.tags.count == 1)
    }

    @Test("32 tags are accepted and 33 refused")
    func tagCount() throws {
        let tags = (0..<33).map { "tag.t\($0)=v" }
        #expect(try Self.read(tags.prefix(32).joined(separator: ",")).envelope.tags.count == 32)
        #expect(Self.code { _ = try Self.read(tags.joined(separator: ",")) } == .tooLarge)
    }

    @Test("Properties on the envelope's own members are ignored")
    func propertiesOnOwnMembers() throws {
        let headers = try Self.read("user_id=u_42;metadata;ttl=3, feature = f ; x")
        #expect(headers.envelope.userID == "u_42")
        #expect(headers.envelope.feature == "f")
        #expect(headers.foreignBaggage.isEmpty)
    }

    @Test("trace_id in baggage is refused: it travels only in traceparent; a leaf_id there is read as an id")
    func idsInBaggage() {
        let error = Self.error { _ = try Self.read("trace_id=x") }
        #expect(error?.code == .malformedHeader)
        #expect(error?.field == "trace_id")
        // A tracer that owns traceparent leaves the unit's leaf id in baggage (TracerOwnedTraceparentTests).
        let leaf = Self.error { _ = try Self.read("leaf_id=x") }
        #expect(leaf?.code == .invalidIdentifier)
        #expect(leaf?.field == "leaf_id")
    }

    @Test("An envelope key twice in baggage is refused naming the key; other systems may repeat theirs")
    func duplicates() throws {
        let error = Self.error { _ = try Self.read("user_id=a,feature=f,user_id=a") }
        #expect(error?.code == .duplicateKey)
        #expect(error?.field == "user_id")
        #expect(Self.code { _ = try Self.read("tag.x=1,tag.x=2") } == .duplicateKey)
        #expect(try Self.read("k=1,k=2").foreignBaggage.map(\.text) == ["k=1", "k=2"])
    }

    @Test("Baggage keys are case-sensitive: User_ID belongs to another system")
    func caseSensitiveKeys() throws {
        let headers = try Self.read("User_ID=x")
        #expect(headers.envelope.userID == nil)
        #expect(headers.foreignBaggage.map(\.key) == ["User_ID"])
    }

    // MARK: Other systems' members

    @Test("Members of other systems are handed back in order with their properties and written again after ours")
    func foreignRoundTrip() throws {
        let incoming = "  vendor=a%2Cb;ttl=60 ,user_id=u_42, isProduction=false,k2 \t= v2 \t; p1 ; p2 = x  "
        let headers = try Self.read(incoming)
        #expect(headers.envelope.userID == "u_42")
        #expect(
            headers.foreignBaggage.map(\.text) == [
                "vendor=a%2Cb;ttl=60", "isProduction=false", "k2 \t= v2 \t; p1 ; p2 = x",
            ]
        )
        #expect(headers.foreignBaggage[0].value == "a,b")
        #expect(headers.foreignBaggage[0].properties.map(\.key) == ["ttl"])
        #expect(headers.foreignBaggage[0].properties.map(\.value) == ["60"])
        #expect(headers.foreignBaggage[2].properties.map(\.key) == ["p1", "p2"])
        #expect(headers.foreignBaggage[2].properties.map(\.encodedValue) == [nil, "x"])
        let written = try headers.baggage()
        #expect(
            written
                == "user_id=u_42,root_id=\(Self.leaf),attempt=1,vendor=a%2Cb;ttl=60,isProduction=false,"
                + "k2 \t= v2 \t; p1 ; p2 = x"
        )
        let again = try Self.read(written)
        #expect(again == headers)
    }

    @Test("A child passed on keeps the caller's foreign baggage")
    func childKeepsForeign() throws {
        var headers = try Self.read("user_id=u_42,vendor=1")
        headers.envelope = headers.envelope.child(tool: "search")
        let next = try AttributionHeaders(headers: try headers.headerFields())
        #expect(next.envelope.parentID == (try LeafID(Self.leaf)))
        #expect(next.envelope.rootID == (try LeafID(Self.leaf)))
        #expect(next.envelope.tool == "search")
        #expect(next.foreignBaggage.map(\.text) == ["vendor=1"])
    }

    @Test("A foreign member that uses an envelope key is refused when written")
    func foreignCollision() throws {
        let headers = AttributionHeaders(
            envelope: try Self.envelope(),
            foreignBaggage: [try BaggageMember(key: "team", value: "x")]
        )
        let error = Self.error { _ = try headers.baggage() }
        #expect(error?.code == .duplicateKey)
        #expect(error?.field == "team")
        let ids = AttributionHeaders(envelope: try Self.envelope(), foreignBaggage: [try BaggageMember("trace_id=1")])
        #expect(Self.code { _ = try ids.baggage() } == .malformedHeader)
    }

    @Test("BaggageMember encodes what it is given and refuses a key that is not a token")
    func memberInit() throws {
        let member = try BaggageMember(key: "serverNode", value: "DF 28+1")
        #expect(member.text == "serverNode=DF%2028%2B1")
        #expect(member.value == "DF 28+1")
        #expect(Self.code { _ = try BaggageMember(key: "bad key", value: "v") } == .malformedHeader)
        #expect(Self.code { _ = try BaggageMember("a=1,b=2") } == .malformedHeader)
    }

    // MARK: Limits

    static func foreign(_ count: Int, valueBytes: Int = 1) throws -> [BaggageMember] {
        try (0..<count).map { index throws(AttributionError) in
            try BaggageMember(key: "k\(index)", value: String(repeating: "v", count: valueBytes))
        }
    }

    @Test("Writing 64 members succeeds and 65 is refused, other systems' members counted")
    func memberLimit() throws {
        let envelope = AttributionEnvelope(traceID: try TraceID(Self.trace), leafID: try LeafID(Self.leaf))
        // The envelope writes root_id and attempt: two members.
        let ok = AttributionHeaders(envelope: envelope, foreignBaggage: try Self.foreign(62))
        #expect(try ok.baggage().split(separator: ",").count == 64)
        let over = AttributionHeaders(envelope: envelope, foreignBaggage: try Self.foreign(63))
        let error = Self.error { _ = try over.baggage() }
        #expect(error?.code == .tooLarge)
        #expect(error?.field == "baggage")
    }

    @Test("Writing 8192 bytes succeeds and 8193 is refused, never truncated")
    func byteLimit() throws {
        let envelope = AttributionEnvelope(traceID: try TraceID(Self.trace), leafID: try LeafID(Self.leaf))
        let own = "root_id=\(Self.leaf),attempt=1".utf8.count
        // One foreign member "k0=" + value, after a comma, fills the rest exactly.
        let fill = AttributionHeaders.Limits.maxBaggageBytes - own - 1 - "k0=".utf8.count
        let ok = AttributionHeaders(envelope: envelope, foreignBaggage: try Self.foreign(1, valueBytes: fill))
        #expect(try ok.baggage().utf8.count == 8192)
        let over = AttributionHeaders(envelope: envelope, foreignBaggage: try Self.foreign(1, valueBytes: fill + 1))
        #expect(Self.code { _ = try over.baggage() } == .tooLarge)
    }

    @Test("A full envelope with long values that encode past 8192 bytes is refused, not truncated")
    func envelopeTooLarge() throws {
        var envelope = try Self.envelope()
        for index in 0..<32 { envelope.tags["t\(index)"] = String(repeating: "é", count: 128) }
        #expect(Self.code { _ = try envelope.headerFields() } == .tooLarge)
    }

    @Test("Reading accepts a baggage header of 8192 bytes whatever its member count, and refuses 8193")
    func readLimit() throws {
        // 512 members of 15 bytes plus a comma, the last one 16 bytes: 8192 bytes (the W3C suite's case).
        var members = (0..<512).map { String(format3($0)) + "=0123456789a" }
        members[511] += "b"
        let header = members.joined(separator: ",")
        #expect(header.utf8.count == 8192)
        let headers = try Self.read(header)
        #expect(headers.foreignBaggage.count == 512)
        let error = Self.error { _ = try Self.read(header + "c") }
        #expect(error?.code == .tooLarge)
        #expect(error?.field == "baggage")
        // Passed on unchanged, 512 members break the writing limit: an error, not a truncation.
        #expect(Self.code { _ = try headers.baggage() } == .tooLarge)
    }

    @Test("Spaces and tabs around a baggage value do not count toward its 8192 bytes")
    func readLimitTrimmed() throws {
        let value = "k=" + String(repeating: "v", count: 8190)
        #expect(try Self.read(" \t\(value)\t ").foreignBaggage.map(\.text) == [value])
        #expect(Self.code { _ = try Self.read(" \(value)v ") } == .tooLarge)
    }

    @Test("A traceparent of 512 bytes is read by its prefix and one of 513 is refused before parsing")
    func traceparentLimit() throws {
        let prefix = "cc-\(Self.trace)-\(Self.leaf)-01-"
        let ok = prefix + String(repeating: "x", count: 512 - prefix.utf8.count)
        #expect(try Self.read(nil, traceparent: " \(ok) ").envelope.leafID == (try LeafID(Self.leaf)))
        let error = Self.error { _ = try Self.read(nil, traceparent: ok + "x") }
        #expect(error?.code == .tooLarge)
        #expect(error?.field == "traceparent")
    }

    @Test("Several baggage lines are joined with commas and limited together")
    func multipleLines() throws {
        let headers = try AttributionHeaders(headers: [
            (name: "TraceParent", value: Self.traceparent),
            (name: "baggage", value: "user_id=u_42"),
            (name: "BAGGAGE", value: "  "),
            (name: "Baggage", value: "feature=f,vendor=1"),
            (name: "tracestate", value: "foo=1"),
        ])
        #expect(headers.envelope.userID == "u_42")
        #expect(headers.envelope.feature == "f")
        #expect(headers.foreignBaggage.map(\.text) == ["vendor=1"])
        let half = "k=" + String(repeating: "v", count: 4094)  // 4096 bytes
        let lines: [(name: String, value: String)] = [
            (name: "traceparent", value: Self.traceparent), (name: "baggage", value: half),
            (name: "baggage", value: half),
        ]
        // 4096 + 1 + 4096 = 8193 combined.
        #expect(Self.code { _ = try AttributionHeaders(headers: lines) } == .tooLarge)
        #expect(try AttributionHeaders(headers: Array(lines.prefix(2))).foreignBaggage.count == 1)
    }

    @Test("A duplicate envelope key split across baggage lines is refused")
    func duplicateAcrossLines() {
        let lines: [(name: String, value: String)] = [
            (name: "traceparent", value: Self.traceparent), (name: "baggage", value: "team=a"),
            (name: "baggage", value: "team=b"),
        ]
        #expect(Self.code { _ = try AttributionHeaders(headers: lines) } == .duplicateKey)
    }

    @Test("No traceparent header means no envelope; two are refused")
    func traceparentCount() {
        #expect(
            Self.code { _ = try AttributionHeaders(headers: [(name: "baggage", value: "user_id=u")]) }
                == .missingEnvelope
        )
        let two: [(name: String, value: String)] = [
            (name: "traceparent", value: Self.traceparent), (name: "traceparent", value: Self.traceparent),
        ]
        #expect(Self.code { _ = try AttributionHeaders(headers: two) } == .malformedHeader)
    }

    @Test("Unknown envelope fields are not written in the header form")
    func unknownFieldsDropped() throws {
        var envelope = try Self.envelope()
        envelope.unknownFields = [.init(key: "future", json: "{\"a\":1}")]
        let baggage = try AttributionHeaders(envelope: envelope).baggage()
        #expect(!baggage.contains("future"))
        let read = try Self.read(baggage).envelope
        #expect(read.unknownFields.isEmpty)
    }

    @Test("An invalid envelope is not written")
    func invalidNotWritten() throws {
        var envelope = try Self.envelope()
        envelope.team = ""
        #expect(Self.code { _ = try envelope.headerFields() } == .invalidValue)
        envelope.team = "t"
        envelope.attempt = 0
        #expect(Self.code { _ = try envelope.headerFields() } == .invalidValue)
    }

    @Test("Errors name the key and quote the offending value")
    func errorsNameTheValue() {
        let error = Self.error { _ = try Self.read("root_id=XYZ") }
        #expect(error?.description == "root_id: expected 16 lowercase hex characters, got \"XYZ\"")
        let header = Self.error { _ = try Self.read("a b=1") }
        #expect(header?.field == "baggage")
        #expect(header?.description.contains("\"a b=1\"") == true)
    }
}

private func format3(_ value: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
}

/// The language-neutral vectors of `docs/conformance/headers.json`, which other implementations of the header
/// form run too (the format is described in `docs/conformance/README.md`).
@Suite("Header form conformance vectors")
struct HeaderConformanceVectorTests {
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let traceparent: String?
        let baggage: String?
        let headers: [[String]]?
        let expect: Expect

        struct Expect: Decodable, Sendable {
            let envelope: [String: Value]?
            let foreign_baggage: [String]?
            let written: Written?
            let write_error: String?
            let error: String?
            let field: String?
        }

        struct Written: Decodable, Sendable {
            let traceparent: String
            let baggage: String
        }

        /// An expected envelope value: a string, an integer (`attempt`) or an object of strings (`tags`).
        enum Value: Decodable, Sendable, Equatable {
            case string(String)
            case int(Int)
            case object([String: String])

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let int = try? container.decode(Int.self) {
                    self = .int(int)
                } else if let string = try? container.decode(String.self) {
                    self = .string(string)
                } else {
                    self = .object(try container.decode([String: String].self))
                }
            }
        }

        var testDescription: String { name }
    }

    static let vectorsURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/conformance/headers.json")

    static func vectors() throws -> [Vector] {
        try JSONDecoder().decode([Vector].self, from: Data(contentsOf: vectorsURL))
    }

    /// The envelope as the vectors spell it: present keys only, `attempt` an integer, `tags` an object.
    static func values(of envelope: AttributionEnvelope) -> [String: Vector.Value] {
        var out: [String: Vector.Value] = [
            "trace_id": .string(envelope.traceID.description), "leaf_id": .string(envelope.leafID.description),
            "root_id": .string(envelope.rootID.description), "attempt": .int(envelope.attempt),
        ]
        if let parentID = envelope.parentID { out["parent_id"] = .string(parentID.description) }
        if let createdAt = envelope.createdAt { out["created_at"] = .string(createdAt.description) }
        for field in AttributionField.all {
            if let value = envelope[field] { out[field.name] = .string(value) }
        }
        if !envelope.tags.isEmpty { out["tags"] = .object(envelope.tags) }
        return out
    }

    @Test("The file holds the vectors, valid and refused")
    func fileIsThere() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count >= 60)
        #expect(vectors.contains { $0.expect.error != nil })
        #expect(vectors.contains { $0.expect.written != nil })
        #expect(Set(vectors.map(\.name)).count == vectors.count)
    }

    @Test("Every conformance vector reads, refuses and writes as it says", arguments: try vectors())
    func vector(_ vector: Vector) throws {
        let read: AttributionHeaders
        do {
            if let lines = vector.headers {
                let fields = try lines.map { line in
                    guard line.count == 2 else { throw VectorError.badLine(line) }
                    return (name: line[0], value: line[1])
                }
                read = try AttributionHeaders(headers: fields)
            } else {
                read = try AttributionHeaders(traceparent: try #require(vector.traceparent), baggage: vector.baggage)
            }
        } catch let error as AttributionError {
            #expect(vector.expect.error == error.code.name, "\(error)")
            #expect(vector.expect.field == error.field, "\(error)")
            return
        }
        #expect(vector.expect.error == nil, "expected \(vector.expect.error ?? "")")
        #expect(Self.values(of: read.envelope) == vector.expect.envelope)
        #expect(read.foreignBaggage.map(\.text) == (vector.expect.foreign_baggage ?? []))
        if let written = vector.expect.written {
            #expect(read.traceparent == written.traceparent)
            #expect(try read.baggage() == written.baggage)
        }
        if let code = vector.expect.write_error {
            #expect(HeaderCodecTests.code { _ = try read.baggage() }?.name == code)
        }
        #expect(vector.expect.written != nil || vector.expect.write_error != nil)
    }

    enum VectorError: Error {
        case badLine([String])
    }
}
