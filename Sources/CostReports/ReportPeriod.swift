public import Attribution
import WireFormat

/// The UTC periods a report groups time by: hour, day, ISO week (starting Monday), month.
public struct ReportPeriod: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    enum Kind: String, Sendable, Hashable { case hour, day, week, month }
    let kind: Kind

    public static let hour = ReportPeriod(kind: .hour)
    public static let day = ReportPeriod(kind: .day)
    public static let week = ReportPeriod(kind: .week)
    public static let month = ReportPeriod(kind: .month)
    public static let allCases: [ReportPeriod] = [.hour, .day, .week, .month]

    static let nanosecondsPerHour: Int64 = 3_600_000_000_000
    static let nanosecondsPerDay: Int64 = 86_400_000_000_000

    /// The period named `hour`, `day`, `week` or `month`.
    public init(parsing text: String) throws(ReportError) {
        guard let kind = Kind(rawValue: text) else {
            throw ReportError(field: "period", value: text, reason: "expected hour, day, week or month")
        }
        self.kind = kind
    }

    init(kind: Kind) { self.kind = kind }

    public var name: String { kind.rawValue }
    public var description: String { name }

    /// Whether spend known per day only (unrecorded spend) can be placed in this period: every period but the
    /// hour.
    public var holdsDailySpend: Bool { kind != .hour }

    /// The start of the period that holds `instant`.
    public func start(of instant: UTCTimestamp) -> UTCTimestamp {
        UTCTimestamp(nanosecondsSinceEpoch: start(nanoseconds: instant.nanosecondsSinceEpoch))
    }

    /// The start of the next period after the one that starts at `start`.
    public func next(after start: UTCTimestamp) -> UTCTimestamp {
        let ns = start.nanosecondsSinceEpoch
        switch kind {
        case .hour: return UTCTimestamp(nanosecondsSinceEpoch: ns + Self.nanosecondsPerHour)
        case .day: return UTCTimestamp(nanosecondsSinceEpoch: ns + Self.nanosecondsPerDay)
        case .week: return UTCTimestamp(nanosecondsSinceEpoch: ns + 7 * Self.nanosecondsPerDay)
        case .month:
            let (year, month, _) = CivilDate.date(days: Self.floorDiv(ns, Self.nanosecondsPerDay))
            let days =
                month == 12
                ? CivilDate.days(year: year + 1, month: 1, day: 1)
                : CivilDate.days(year: year, month: month + 1, day: 1)
            return UTCTimestamp(nanosecondsSinceEpoch: days * Self.nanosecondsPerDay)
        }
    }

    func start(nanoseconds ns: Int64) -> Int64 {
        switch kind {
        case .hour: return Self.floorDiv(ns, Self.nanosecondsPerHour) * Self.nanosecondsPerHour
        case .day: return Self.floorDiv(ns, Self.nanosecondsPerDay) * Self.nanosecondsPerDay
        case .week:
            let days = Self.floorDiv(ns, Self.nanosecondsPerDay)
            // 1970-01-01 was a Thursday: days since the Monday before it, modulo 7.
            let sinceMonday = ((days + 3) % 7 + 7) % 7
            return (days - sinceMonday) * Self.nanosecondsPerDay
        case .month:
            let (year, month, _) = CivilDate.date(days: Self.floorDiv(ns, Self.nanosecondsPerDay))
            return CivilDate.days(year: year, month: month, day: 1) * Self.nanosecondsPerDay
        }
    }

    /// The start of the period that holds each time in turn, for rows whose times come mostly in order: a day,
    /// week or month depends on the day alone, so the last day's start is kept and a row of the same day costs
    /// one division instead of a civil-date conversion.
    struct Starts {
        let period: ReportPeriod
        private var day = Int64.min
        private var dayStart: Int64 = 0

        init(_ period: ReportPeriod) { self.period = period }

        /// The start, in nanoseconds, of the period that holds `ns`.
        mutating func start(nanoseconds ns: Int64) -> Int64 {
            guard period.kind != .hour else { return period.start(nanoseconds: ns) }
            let day = ReportPeriod.floorDiv(ns, ReportPeriod.nanosecondsPerDay)
            if day != self.day {
                self.day = day
                dayStart = period.start(nanoseconds: day * ReportPeriod.nanosecondsPerDay)
            }
            return dayStart
        }
    }

    /// The period's label: `2026-11-30T14` (hour), `2026-11-30` (day), `2026-W48` (ISO week), `2026-11` (month).
    public func label(of start: UTCTimestamp) -> String {
        let ns = start.nanosecondsSinceEpoch
        let days = Self.floorDiv(ns, Self.nanosecondsPerDay)
        let (year, month, day) = CivilDate.date(days: days)
        switch kind {
        case .hour:
            let hour = (ns - days * Self.nanosecondsPerDay) / Self.nanosecondsPerHour
            return Self.dayLabel(year, month, day) + "T" + Self.twoDigits(hour)
        case .day:
            return Self.dayLabel(year, month, day)
        case .week:
            let (isoYear, week) = Self.isoWeek(days: days)
            return Self.fourDigits(isoYear) + "-W" + Self.twoDigits(week)
        case .month:
            return Self.fourDigits(year) + "-" + Self.twoDigits(month)
        }
    }

    /// The ISO 8601 week-numbering year and week of a day: the week belongs to the year of its Thursday.
    static func isoWeek(days: Int64) -> (year: Int64, week: Int64) {
        let sinceMonday = ((days + 3) % 7 + 7) % 7
        let thursday = days - sinceMonday + 3
        let (year, _, _) = CivilDate.date(days: thursday)
        let firstDay = CivilDate.days(year: year, month: 1, day: 1)
        return (year, (thursday - firstDay) / 7 + 1)
    }

    static func dayLabel(_ year: Int64, _ month: Int64, _ day: Int64) -> String {
        fourDigits(year) + "-" + twoDigits(month) + "-" + twoDigits(day)
    }

    static func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    static func fourDigits(_ value: Int64) -> String {
        guard value >= 0, value < 1000 else { return "\(value)" }
        return String(repeating: "0", count: 4 - "\(value)".count) + "\(value)"
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
