public import Attribution
public import CostLedger

extension CostMeter {
    /// A meter for tests, in one line: deterministic trace and leaf ids (``DeterministicIdentifierSource``),
    /// record ids (``DeterministicRecordIDSource``) from `seed`, a clock stopped at `now` (``FixedClock``),
    /// and an ``InMemoryCostSink`` to read the records back. Two meters made with the same arguments and
    /// used the same way write identical records. Envelopes the test mints itself (`child(ids:)`,
    /// `children(count:ids:customize:)`, a middleware's `ids:`) are reproducible when given the meter's own
    /// source, `meter.ids`.
    ///
    /// ```swift
    /// let (meter, sink) = try CostMeter.testing(seed: 7, now: "2026-11-30T10:00:00Z")
    /// ```
    ///
    /// - Parameters:
    ///   - seed: fixes the id and record id sequences.
    ///   - now: the instant every record is stamped with, in RFC 3339 (`2026-11-30T10:00:00Z`).
    ///   - prices: the price table (the built-in one unless given).
    ///   - policy: the fields every call's envelope must carry.
    ///   - mode: strict (default) or lenient.
    ///   - onIssue: called for each metering failure after a call.
    /// - Returns: the meter and the sink it writes to.
    /// - Throws: ``AttributionError`` naming `now` when it is not RFC 3339.
    public static func testing(
        seed: UInt64 = 0,
        now: String = "2026-01-01T00:00:00Z",
        prices: PriceTable = .builtIn,
        policy: AttributionPolicy = .default,
        mode: Mode = .strict,
        onIssue: (@Sendable (MeteringIssue) -> Void)? = nil
    ) throws(AttributionError) -> (meter: CostMeter, sink: InMemoryCostSink) {
        let clock = FixedClock(try UTCTimestamp(rfc3339: now, field: "now"))
        let sink = InMemoryCostSink()
        let meter = CostMeter(
            sink: sink,
            prices: prices,
            policy: policy,
            mode: mode,
            recordIDs: DeterministicRecordIDSource(seed: seed),
            ids: DeterministicIdentifierSource(seed: seed),
            clock: clock,
            onIssue: onIssue
        )
        return (meter, sink)
    }
}
