public import Attribution

/// An ``AttributionClock`` that always reads the same instant.
public struct FixedClock: AttributionClock {
    /// The instant every call to ``now()`` returns.
    public let instant: UTCTimestamp

    /// Creates a clock stopped at `instant`.
    public init(_ instant: UTCTimestamp) { self.instant = instant }

    /// Creates a clock stopped at an RFC 3339 instant, such as `2026-11-24T16:02:00.000Z`.
    /// - Throws: ``AttributionError`` when the text is not RFC 3339.
    public init(rfc3339 text: String) throws(AttributionError) {
        self.instant = try UTCTimestamp(rfc3339: text)
    }

    /// The fixed instant.
    public func now() -> UTCTimestamp { instant }
}

/// An ``AttributionClock`` that a test moves by hand. Safe to share between tasks.
///
/// ```swift
/// let clock = ManualClock(UTCTimestamp(millisecondsSinceEpoch: 0))
/// clock.advance(byMilliseconds: 1500)
/// ```
public final class ManualClock: AttributionClock {
    private let current: Lock<UTCTimestamp>

    /// Creates a clock reading `start`.
    public init(_ start: UTCTimestamp) { self.current = Lock(start) }

    /// The clock's current instant.
    public func now() -> UTCTimestamp { current.withLock { $0 } }

    /// Moves the clock to `instant` (backwards too: tests of clock skew need it).
    public func set(_ instant: UTCTimestamp) { current.withLock { $0 = instant } }

    /// Moves the clock forward by `milliseconds` (backward when negative), saturating rather than overflowing.
    public func advance(byMilliseconds milliseconds: Int64) {
        current.withLock { now in
            let (ns, overflow1) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
            let (sum, overflow2) = now.nanosecondsSinceEpoch.addingReportingOverflow(ns)
            if overflow1 || overflow2 {
                now.nanosecondsSinceEpoch = milliseconds < 0 ? .min : .max
            } else {
                now.nanosecondsSinceEpoch = sum
            }
        }
    }
}
