public import Attribution

/// The instants a report may be made at: the `now` of the alerts, an explanation, the top users and the dashboard,
/// and a forecast's `asOf`.
///
/// Reports count back from that instant (months of history, weeks of baselines, up to ten years of window) and
/// forward to a month's end, in nanoseconds since 1970, which reach only from 1677 to 2262: an instant near
/// either end would run past it. The reports accept 1900-01-01T00:00:00Z up to, not including,
/// 2200-01-01T00:00:00Z.
public enum ReportClock {
    /// 1900-01-01T00:00:00Z ..< 2200-01-01T00:00:00Z.
    public static let supported =
        UTCTimestamp(
            nanosecondsSinceEpoch: -2_208_988_800 * 1_000_000_000
        )..<UTCTimestamp(
            nanosecondsSinceEpoch: 7_258_118_400 * 1_000_000_000
        )

    /// Checks that `instant` is in ``supported``.
    ///
    /// - Throws: ``ReportError`` for `field`, naming the instant and the range.
    public static func check(_ instant: UTCTimestamp, field: String) throws(ReportError) {
        guard !supported.contains(instant) else { return }
        throw ReportError(
            field: field,
            value: instant.description,
            reason: "is outside the instants a report can be made at: from \(supported.lowerBound) "
                + "to before \(supported.upperBound)"
        )
    }

    /// `instant`, or the nearest instant of ``supported`` when it is outside.
    static func clamped(_ instant: UTCTimestamp) -> UTCTimestamp {
        if instant < supported.lowerBound { return supported.lowerBound }
        if instant >= supported.upperBound {
            return UTCTimestamp(nanosecondsSinceEpoch: supported.upperBound.nanosecondsSinceEpoch - 1)
        }
        return instant
    }
}
