/// The values a dimension takes in a dataset, and those closest to a value it does not take: what a command says
/// when a scope names a value no row has (a typo, most often), instead of an empty answer alone.
///
/// ```swift
/// if !ValueSuggestions.isTaken("deep_reserch", by: .feature, in: dataset) {
///     print(ValueSuggestions.closest(to: "deep_reserch", of: .feature, in: dataset))  // ["deep_research"]
/// }
/// ```
public enum ValueSuggestions {
    /// Whether some row of `dataset` has `value` for `dimension` (the dimension's missing label: some row has no
    /// value).
    public static func isTaken(_ value: String, by dimension: ReportDimension, in dataset: SpendDataset) -> Bool {
        let missing = value == dimension.missingLabel
        guard case .field = dimension.storage else {
            for row in 0..<dataset.count {
                let rowValue = dataset.value(dimension, at: row)
                if missing ? rowValue == nil : rowValue == value { return true }
            }
            return false
        }
        // A field's values are compared as the dataset's ids: no string is made per row.
        guard let target = missing ? 0 : dataset.stringID(value) else { return false }
        for row in 0..<dataset.count where dataset.fieldID(dimension, at: row) == target { return true }
        return false
    }

    /// Up to `limit` values that rows of `dataset` have for `dimension`, closest to `value` first: those equal to
    /// it but for letter case, then those within a few edits (one per four characters, at least one, at most
    /// three: an insertion, deletion, substitution or swap of two neighbours each), ties in bytewise order.
    public static func closest(
        to value: String,
        of dimension: ReportDimension,
        in dataset: SpendDataset,
        limit: Int = 3
    ) -> [String] {
        var values = Set<String>()
        for row in 0..<dataset.count {
            if let rowValue = dataset.value(dimension, at: row) { values.insert(rowValue) }
        }
        return closest(to: value, among: values, limit: limit)
    }

    /// The tag keys some row of `dataset` has.
    public static func tagKeys(in dataset: SpendDataset) -> Set<String> {
        var keys = Set<String>()
        for tags in dataset.tagSets { keys.formUnion(tags.keys) }
        return keys
    }

    /// Up to `limit` of `candidates` closest to `value`, as ``closest(to:of:in:limit:)`` ranks them.
    public static func closest(to value: String, among candidates: Set<String>, limit: Int = 3) -> [String] {
        let values = candidates
        let wanted = Array(value.utf8)
        let folded = value.lowercased()
        let allowed = min(3, max(1, wanted.count / 4))
        var ranked: [(distance: Int, value: String)] = []
        for candidate in values where candidate != value {
            if candidate.lowercased() == folded {
                ranked.append((0, candidate))
            } else if let distance = editDistance(wanted, Array(candidate.utf8), atMost: allowed) {
                ranked.append((distance, candidate))
            }
        }
        ranked.sort { a, b in
            if a.distance != b.distance { return a.distance < b.distance }
            return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
        }
        return ranked.prefix(max(0, limit)).map(\.value)
    }

    /// The optimal string alignment distance between `a` and `b` (insertions, deletions, substitutions and swaps
    /// of two neighbouring bytes), nil when it is above `bound`.
    static func editDistance(_ a: [UInt8], _ b: [UInt8], atMost bound: Int) -> Int? {
        if abs(a.count - b.count) > bound { return nil }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        let width = b.count + 1
        var before = [Int](repeating: 0, count: width)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: width)
        // Once a row is all past the bound, so is every later one: a value comes from the row before plus 0 or 1,
        // or from a swap, two rows before plus 1, which is never below the row before's value at the diagonal.
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var distance = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    distance = min(distance, before[j - 2] + 1)
                }
                current[j] = distance
                rowMinimum = min(rowMinimum, distance)
            }
            if rowMinimum > bound { return nil }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count] <= bound ? previous[b.count] : nil
    }
}
