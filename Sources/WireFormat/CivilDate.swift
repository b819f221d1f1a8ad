/// Proleptic Gregorian dates as day counts from 1970-01-01 (Howard Hinnant's algorithms), the one calendar of
/// the package: timestamps, ledger file dates and model-name dates all go through it.
public enum CivilDate {
    /// Days since 1970-01-01 of a date (`month` 1…12, `day` 1…31; any year a day count in `Int64` holds).
    @inlinable
    public static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day count since 1970-01-01.
    @inlinable
    public static func date(days z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// The number of days in `month` (1…12) of `year`.
    @inlinable
    public static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of the UTC day an instant `milliseconds` after the epoch falls on, and the
    /// milliseconds into that day (0 ..< 86,400,000).
    @inlinable
    public static func split(milliseconds ms: Int64) -> (days: Int64, millisecondOfDay: Int64) {
        let (q, r) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        let days = r < 0 ? q - 1 : q
        return (days, ms - days * 86_400_000)
    }
}
