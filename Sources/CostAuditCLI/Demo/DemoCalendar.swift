/// When the demo's requests arrive: the simulated UTC days, a daily and weekly rhythm (quiet nights and
/// weekends, busy working hours) and a gentle growth over the period.
///
/// The period always ends on the same day, so the same seed gives the same files on any date.
struct DemoCalendar {
    /// The last simulated UTC day: 2026-11-30, a Monday (days since 1970-01-01).
    static let lastDay: Int64 = 20_787

    /// The hour of the last day in which the planted spike happens (UTC).
    static let spikeHour = 14

    /// How many of the last days run the switched prompt version.
    static let promptSwitchDays = 20

    /// How many UTC days are simulated, ending on ``lastDay``.
    let days: Int

    /// The first simulated UTC day.
    var firstDay: Int64 { Self.lastDay - Int64(days) + 1 }

    /// The first day of the switched prompt version: the last ``promptSwitchDays`` days, or every day of a
    /// shorter period.
    var promptSwitchDay: Int64 { max(firstDay, Self.lastDay - Int64(Self.promptSwitchDays) + 1) }

    /// Monday is 0, Sunday 6.
    static func weekday(_ day: Int64) -> Int {
        // 1970-01-01 was a Thursday.
        Int(((day + 3) % 7 + 7) % 7)
    }

    /// A day's volume against an average working day, Monday first: Fridays wind down, weekends are quiet.
    static let weekdayVolume: [Double] = [1.0, 1.05, 1.05, 1.0, 0.85, 0.3, 0.25]

    /// The shape of a working day's traffic by UTC hour: quiet nights, a busy morning and afternoon.
    static let workingDayHours: [Double] = [
        0.2, 0.15, 0.12, 0.12, 0.15, 0.3, 0.7, 1.5, 3.0, 4.2, 4.6, 4.4,
        3.4, 4.0, 4.5, 4.3, 3.8, 3.0, 2.0, 1.4, 1.1, 0.8, 0.5, 0.3,
    ]

    /// The shape of a weekend day's traffic by UTC hour: flatter, later, never busy.
    static let weekendHours: [Double] = [
        0.3, 0.2, 0.15, 0.15, 0.15, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.4,
        1.4, 1.4, 1.3, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.6, 0.45, 0.35,
    ]

    /// How many requests arrive on each simulated day, first day first: `perDay` on an average day in total
    /// (so about `perDay × days` requests), shaped by the day of the week, a growth of 40% from the first day
    /// to the last, and a little day-to-day noise. Every day gets at least one.
    func requestCounts(perDay: Int, rng: inout SplitMix64) -> [Int] {
        var weights: [Double] = []
        for index in 0..<days {
            let day = firstDay + Int64(index)
            let growth = days > 1 ? 1 + 0.4 * Double(index) / Double(days - 1) : 1
            let noise = 0.92 + 0.16 * Double.random(in: 0..<1, using: &rng)
            weights.append(Self.weekdayVolume[Self.weekday(day)] * growth * noise)
        }
        let total = Double(perDay) * Double(days)
        let sum = weights.reduce(0, +)
        // Cumulative rounding: the counts add up to the total exactly, before the one-a-day floor.
        var counts: [Int] = []
        var cumulative = 0.0
        var assigned = 0
        for weight in weights {
            cumulative += weight / sum * total
            let upTo = Int(cumulative.rounded())
            counts.append(max(1, upTo - assigned))
            assigned = max(assigned, upTo)
        }
        return counts
    }

    /// `count` instants on `day`, in milliseconds since the epoch, in order, following the day's hourly shape.
    static func times(on day: Int64, count: Int, rng: inout SplitMix64) -> [Int64] {
        let shape = weekday(day) >= 5 ? weekendHours : workingDayHours
        let sum = shape.reduce(0, +)
        var times: [Int64] = []
        times.reserveCapacity(count)
        for _ in 0..<count {
            var pick = Double.random(in: 0..<sum, using: &rng)
            var hour = 0
            while hour < 23, pick >= shape[hour] {
                pick -= shape[hour]
                hour += 1
            }
            times.append(day * 86_400_000 + Int64(hour) * 3_600_000 + rng.int(0...3_599_999))
        }
        return times.sorted()
    }

    /// `count` instants spread evenly from `start` (milliseconds since the epoch), `spacing` apart, each
    /// moved by up to a quarter of the spacing: a scheduled batch.
    static func batch(from start: Int64, count: Int, spacing: Int64, rng: inout SplitMix64) -> [Int64] {
        (0..<count).map { start + Int64($0) * spacing + rng.int(0...max(0, spacing / 4)) }
    }
}
