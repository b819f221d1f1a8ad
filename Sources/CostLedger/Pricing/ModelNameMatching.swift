import Attribution
import WireFormat

/// The model-name matching rules (see `docs/prices.md`): exactly, then with a trailing `-YYYY-MM-DD` or
/// `-YYYYMMDD` date removed, then with a `provider/` prefix added or removed. Never by prefix: `gpt-4.1-mini`
/// never takes `gpt-4.1`'s price.
enum ModelNameMatching {
    /// The names to try, in order, for a model as a record names it. The first that a table prices wins.
    static func candidates(provider: String?, model: String) -> [String] {
        var names: [String] = [model]
        func add(_ name: String) {
            if !name.isEmpty, !names.contains(name) { names.append(name) }
        }
        let undated = withoutDateSuffix(model)
        if let undated { add(undated) }
        if let provider, !provider.isEmpty, !provider.contains("/"), !model.hasPrefix(provider + "/") {
            add(provider + "/" + model)
            if let undated { add(provider + "/" + undated) }
        }
        if let unprefixed = withoutProviderPrefix(model) {
            add(unprefixed)
            if let undated = withoutDateSuffix(unprefixed) { add(undated) }
        }
        return names
    }

    /// `name` without a trailing `-YYYY-MM-DD` (`gpt-4.1-2025-04-14`) or `-YYYYMMDD`
    /// (`claude-haiku-4-5-20251001`) that is a real calendar date, or nil when it has none.
    static func withoutDateSuffix(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        func digits(_ from: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for i in from..<(from + count) {
                let b = bytes[i]
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(b - UInt8(ascii: "0"))
            }
            return value
        }
        let dash = UInt8(ascii: "-")
        // `-YYYY-MM-DD`: 11 bytes after a non-empty name.
        if bytes.count > 11 {
            let start = bytes.count - 11
            if bytes[start] == dash, RFC3339.days(date: bytes[(start + 1)...]) != nil {
                return String(decoding: bytes[..<start], as: UTF8.self)
            }
        }
        // `-YYYYMMDD`: 9 bytes after a non-empty name.
        if bytes.count > 9 {
            let start = bytes.count - 9
            if bytes[start] == dash, let year = digits(start + 1, 4), let month = digits(start + 5, 2),
                let day = digits(start + 7, 2), isCalendarDate(year: year, month: month, day: day)
            {
                return String(decoding: bytes[..<start], as: UTF8.self)
            }
        }
        return nil
    }

    /// `name` without its first `segment/`, or nil when it has none.
    static func withoutProviderPrefix(_ name: String) -> String? {
        guard let slash = name.utf8.firstIndex(of: UInt8(ascii: "/")), slash != name.utf8.startIndex else {
            return nil
        }
        let rest = name.utf8[name.utf8.index(after: slash)...]
        guard !rest.isEmpty else { return nil }
        return String(decoding: rest, as: UTF8.self)
    }

    /// The provider named by a `provider/model` key, if it has one.
    static func providerPrefix(_ name: String) -> String? {
        guard let slash = name.utf8.firstIndex(of: UInt8(ascii: "/")), slash != name.utf8.startIndex else {
            return nil
        }
        return String(decoding: name.utf8[..<slash], as: UTF8.self)
    }

    static func isCalendarDate(year: Int64, month: Int64, day: Int64) -> Bool {
        (1...12).contains(month) && day >= 1 && day <= CivilDate.daysInMonth(year: year, month: month)
    }

    /// Parses a UTC day `YYYY-MM-DD` into days since 1970-01-01, or nil when it is not a calendar date.
    static func parseDay(_ text: String) -> Int64? {
        RFC3339.days(date: Array(text.utf8)[...])
    }

    /// The `YYYY-MM-DD` form of a day count (one of a year from 0000 to 9999, as ``parseDay(_:)`` reads).
    static func formatDay(_ day: Int64) -> String {
        var out: [UInt8] = []
        RFC3339.appendDate(days: day, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
