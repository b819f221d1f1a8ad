import Attribution
import Testing

@Suite("Timestamps a 64-bit nanosecond count cannot hold")
struct UTCTimestampRangeTests {
    @Test("a year-9999 time is named as out of range, not as malformed; a malformed one still is")
    func yearNineThousand() throws {
        let late = #expect(throws: AttributionError.self) { try UTCTimestamp(rfc3339: "9999-12-31T02:00:13.344Z") }
        #expect(late?.field == "created_at")
        #expect(
            late?.reason
                == "\"9999-12-31T02:00:13.344Z\" is a valid RFC 3339 time outside the range this reader keeps, "
                + "1677-09-21 to 2262-04-11 (nanoseconds in 64 bits)"
        )
        let bad = #expect(throws: AttributionError.self) { try UTCTimestamp(rfc3339: "2026-13-01T00:00:00Z") }
        #expect(bad?.reason.hasPrefix("expected an RFC 3339 timestamp") == true)
    }
}
