import Attribution
import Testing

/// The `traceparent` cases of the public W3C Trace Context test suite (w3c/trace-context `test/test.py` and
/// `test/tracecontext/test_traceparent.py`) and of OpenTelemetry Python's trace-context propagator tests, ported.
///
/// Where the suite expects a service to "restart the trace" (ignore the header), this reader refuses it with an
/// error; where it expects the trace id to be kept, this reader returns it as the envelope's `trace_id`.
@Suite("W3C Trace Context suite: traceparent")
struct W3CTraceContextSuiteTests {
    static let trace = "12345678901234567890123456789012"
    static let span = "1234567890123456"
    static let valid = "00-\(trace)-\(span)-01"

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let header: String
        /// The trace id read, or nil when the header is refused.
        let trace: String?
        /// The leaf id read (the header's parent-id), when it is not the suite's usual one.
        let leaf: String?
        /// The error code when refused.
        let code: AttributionError.Code?

        static func ok(
            _ name: String,
            _ header: String,
            trace: String = W3CTraceContextSuiteTests.trace,
            leaf: String? = nil
        )
            -> Case
        {
            Case(name: name, header: header, trace: trace, leaf: leaf, code: nil)
        }

        static func refused(_ name: String, _ header: String, _ code: AttributionError.Code) -> Case {
            Case(name: name, header: header, trace: nil, leaf: nil, code: code)
        }

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // test.py: test_traceparent_included_tracestate_missing and friends.
        .ok("a valid version 00 header", valid),
        .ok("sampled flag clear", "00-\(trace)-\(span)-00"),
        // test_traceparent.py: any flags byte is valid.
        .ok("flags 02", "00-\(trace)-\(span)-02"),
        .ok("flags 03", "00-\(trace)-\(span)-03"),
        .ok("flags ff", "00-\(trace)-\(span)-ff"),
        .ok(
            "trace id of all f",
            "00-ffffffffffffffffffffffffffffffff-\(span)-00",
            trace: "ffffffffffffffffffffffffffffffff"
        ),
        .ok("parent id of all f", "00-\(trace)-ffffffffffffffff-00", leaf: "ffffffffffffffff"),
        // test_traceparent_version_0xcc and test_traceparent.py's future versions.
        .ok("future version cc", "cc-\(trace)-\(span)-01"),
        .ok("future version cc with a '-' extension", "cc-\(trace)-\(span)-01-what-the-future-will-be-like"),
        .ok("future version 01", "01-\(trace)-\(span)-00"),
        .ok("future version 02", "02-\(trace)-\(span)-00"),
        .ok("future version 12 with flags ff", "12-\(trace)-\(span)-ff"),
        .refused(
            "future version cc extended without '-'",
            "cc-\(trace)-\(span)-01.what-the-future-will-be-like",
            .malformedHeader
        ),
        .refused("future version shorter than 55 characters", "cc-\(trace)-\(span)-0", .malformedHeader),
        // test_traceparent_version_0x00: version 00 is exactly 55 characters.
        .refused("version 00 with a trailing '.'", "00-\(trace)-\(span)-01.", .malformedHeader),
        .refused(
            "version 00 with a future-style extension",
            "00-\(trace)-\(span)-01-what-the-future-will-be-like",
            .malformedHeader
        ),
        // OpenTelemetry Python test_format_not_supported.
        .refused("version 00 with residue", "00-\(trace)-\(span)-00-residue", .malformedHeader),
        // test_traceparent_version_0xff.
        .refused("version ff", "ff-\(trace)-\(span)-01", .malformedHeader),
        // test_traceparent_version_illegal_characters.
        .refused("version .0", ".0-\(trace)-\(span)-01", .malformedHeader),
        .refused("version 0.", "0.-\(trace)-\(span)-01", .malformedHeader),
        .refused("uppercase version", "0A-\(trace)-\(span)-01", .malformedHeader),
        // test_traceparent_version_too_long / too_short.
        .refused("version of 3 digits", "000-\(trace)-\(span)-01", .malformedHeader),
        .refused("version of 4 digits", "0000-\(trace)-\(span)-01", .malformedHeader),
        .refused("version of 1 digit", "0-\(trace)-\(span)-01", .malformedHeader),
        // test_traceparent_trace_id_*.
        .refused("all-zero trace id", "00-00000000000000000000000000000000-\(span)-01", .invalidIdentifier),
        .refused("trace id starting with '.'", "00-.2345678901234567890123456789012-\(span)-01", .invalidIdentifier),
        .refused("trace id ending with '.'", "00-1234567890123456789012345678901.-\(span)-01", .invalidIdentifier),
        .refused("trace id of 33 digits", "00-123456789012345678901234567890123-\(span)-01", .malformedHeader),
        .refused("trace id of 31 digits", "00-1234567890123456789012345678901-\(span)-01", .malformedHeader),
        .refused("uppercase trace id", "00-4BF92F3577B34DA6A3CE929D0E0E4736-\(span)-01", .invalidIdentifier),
        // test_traceparent_parent_id_*.
        .refused("all-zero parent id", "00-\(trace)-0000000000000000-01", .invalidIdentifier),
        .refused("parent id starting with '.'", "00-\(trace)-.234567890123456-01", .invalidIdentifier),
        .refused("parent id ending with '.'", "00-\(trace)-123456789012345.-01", .invalidIdentifier),
        .refused("parent id of 17 digits", "00-\(trace)-12345678901234567-01", .malformedHeader),
        .refused("parent id of 15 digits", "00-\(trace)-123456789012345-01", .malformedHeader),
        .refused("uppercase parent id", "00-\(trace)-00F067AA0BA902B7-01", .invalidIdentifier),
        // OpenTelemetry Python test_invalid_parent_id: both ids zero.
        .refused(
            "all-zero trace and parent ids",
            "00-00000000000000000000000000000000-0000000000000000-00",
            .invalidIdentifier
        ),
        // test_traceparent_trace_flags_*.
        .refused("flags .0", "00-\(trace)-\(span)-.0", .malformedHeader),
        .refused("flags 0.", "00-\(trace)-\(span)-0.", .malformedHeader),
        .refused("flags of 3 digits", "00-\(trace)-\(span)-001", .malformedHeader),
        .refused("flags of 1 digit", "00-\(trace)-\(span)-1", .malformedHeader),
        .refused("uppercase flags", "00-\(trace)-\(span)-0F", .malformedHeader),
        // Separators.
        .refused("'_' instead of '-'", "00_\(trace)_\(span)_01", .malformedHeader),
        .refused("empty value", "", .malformedHeader),
        // test_traceparent_ows_handling.
        .ok("leading space", " \(valid)"),
        .ok("leading tab", "\t\(valid)"),
        .ok("trailing space", "\(valid) "),
        .ok("trailing tab", "\(valid)\t"),
        .ok("tab and space on both sides", "\t \(valid) \t"),
        .refused("whitespace inside", "00-\(trace) -\(span)-01", .malformedHeader),
        .refused("a newline is not optional whitespace", "\(valid)\n", .malformedHeader),
    ]

    @Test("traceparent values from the W3C and OpenTelemetry suites", arguments: cases)
    func traceparent(_ testCase: Case) throws {
        do {
            let envelope = try AttributionEnvelope(traceparent: testCase.header, baggage: nil)
            #expect(testCase.code == nil, "expected \(String(describing: testCase.code)), read \(envelope.traceID)")
            #expect(envelope.traceID.description == testCase.trace)
            #expect(envelope.leafID.description == (testCase.leaf ?? Self.span))
        } catch {
            #expect(error.code == testCase.code, "\(error)")
            #expect(error.field == "traceparent" || error.field == "trace_id" || error.field == "leaf_id")
        }
    }

    @Test("We write version 00, sampled, whatever version and flags we read")
    func writesVersion00() throws {
        let headers = try AttributionHeaders(traceparent: "cc-\(Self.trace)-\(Self.span)-00-future", baggage: nil)
        #expect(headers.traceparent == "00-\(Self.trace)-\(Self.span)-01")
    }

    // test_traceparent_header_name_valid_casing and test_traceparent_header_name.
    @Test(
        "The traceparent header name is matched case-insensitively",
        arguments: ["TraceParent", "TrAcEpArEnT", "TRACEPARENT"]
    )
    func nameCasing(name: String) throws {
        let envelope = try AttributionEnvelope(headers: [(name: name, value: Self.valid)])
        #expect(envelope.traceID.description == Self.trace)
    }

    @Test("Misspelt header names are not traceparent", arguments: ["trace-parent", "trace.parent", "traceparent "])
    func wrongNames(name: String) {
        #expect(
            HeaderCodecTests.code { _ = try AttributionEnvelope(headers: [(name: name, value: Self.valid)]) }
                == .missingEnvelope
        )
    }

    // test_traceparent_duplicated.
    @Test("Two traceparent headers are refused, even when equal")
    func duplicated() {
        for second in ["00-12345678901234567890123456789011-\(Self.span)-01", Self.valid] {
            let headers: [(name: String, value: String)] = [
                (name: "traceparent", value: Self.valid), (name: "traceparent", value: second),
            ]
            #expect(HeaderCodecTests.code { _ = try AttributionEnvelope(headers: headers) } == .malformedHeader)
        }
    }

    // test_tracestate_included_traceparent_included: tracestate does not disturb reading.
    @Test("tracestate and other headers beside traceparent are ignored")
    func otherHeaders() throws {
        let envelope = try AttributionEnvelope(headers: [
            (name: "traceparent", value: "00-\(Self.trace)-\(Self.span)-00"),
            (name: "tracestate", value: "foo=1,bar=2"),
            (name: "trace-state", value: "x"),
        ])
        #expect(envelope.traceID.description == Self.trace)
    }
}
