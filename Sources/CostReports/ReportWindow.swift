public import Attribution

/// A length of time written `24h` or `7d`: how far before `--now` the `alerts` and `top-users` commands look
/// (docs/alerts.md).
public struct ReportWindow: Sendable, Hashable, CustomStringConvertible {
    /// The length in nanoseconds: a whole number of hours, positive.
    public let nanoseconds: Int64
    /// The text it was read from (`24h`), or its hours.
    public let description: String

    /// The longest window accepted: 3,660 days (ten years), far inside what a timestamp holds.
    public static let maxDays: Int64 = 3_660

    /// 24 hours: the default of both commands.
    public static let day = ReportWindow(hours: 24)

    /// A window of `hours` hours (clamped to 1 … ``maxDays`` × 24).
    public init(hours: Int64) {
        let clamped = min(max(hours, 1), Self.maxDays * 24)
        nanoseconds = clamped * ReportPeriod.nanosecondsPerHour
        description = "\(clamped)h"
    }

    /// Reads `NNh` (hours) or `NNd` (days): a whole number of at least 1, at most ``maxDays`` days.
    ///
    /// - Throws: ``ReportError`` for field `window`, naming the text.
    public init(parsing text: String) throws(ReportError) {
        let failure = ReportError(
            field: "window",
            value: text,
            reason: "expected a whole number of hours or days, such as 24h or 7d (at most \(Self.maxDays)d)"
        )
        guard let unit = text.last, unit == "h" || unit == "d" else { throw failure }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.utf8.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let count = Int64(digits), count >= 1
        else { throw failure }
        let hours = unit == "d" ? count * 24 : count
        guard hours <= Self.maxDays * 24 else { throw failure }
        nanoseconds = hours * ReportPeriod.nanosecondsPerHour
        description = text
    }

    /// The window's start before `now`.
    public func start(before now: UTCTimestamp) -> UTCTimestamp {
        let (start, overflow) = now.nanosecondsSinceEpoch.subtractingReportingOverflow(nanoseconds)
        return UTCTimestamp(nanosecondsSinceEpoch: overflow ? Int64.min : start)
    }
}
