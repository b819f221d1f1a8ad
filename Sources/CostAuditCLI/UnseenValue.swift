import CostReports

/// The warning a command gives when an option names a value no record has (a typo, most often): the command still
/// answers (an empty answer can be true) with its exit status, and stderr names the closest values records do
/// have (``ValueSuggestions``).
enum UnseenValue {
    /// Writes the warning when no row of `dataset` has `value` for `dimension`: `warning: no record in PLACE has
    /// DIMENSION 'VALUE'; did you mean --OPTION 'CLOSE'?`.
    static func warn(
        _ value: String,
        of dimension: ReportDimension,
        option: String,
        in dataset: SpendDataset,
        place: String,
        io: CommandIO
    ) {
        guard !ValueSuggestions.isTaken(value, by: dimension, in: dataset) else { return }
        var text = "warning: no record in \(place) has \(dimension.name) '\(value)'"
        let closest = ValueSuggestions.closest(to: value, of: dimension, in: dataset)
        if !closest.isEmpty {
            text += "; did you mean " + closest.map { "--\(option) '\($0)'" }.joined(separator: " or ") + "?"
        }
        io.writeError(text + "\n")
    }

    /// Writes a warning for each tag dimension among `dimensions` whose key no row of `dataset` has (every row
    /// then groups as `(none)`): `warning: no record in PLACE has the tag 'KEY'; did you mean --by 'tags.CLOSE'?`.
    static func warnTags(_ dimensions: [ReportDimension], in dataset: SpendDataset, place: String, io: CommandIO) {
        var keys: Set<String>?
        for dimension in dimensions {
            guard let key = dimension.tagKey else { continue }
            let known = keys ?? ValueSuggestions.tagKeys(in: dataset)
            keys = known
            guard !known.contains(key) else { continue }
            var text = "warning: no record in \(place) has the tag '\(key)'"
            let closest = ValueSuggestions.closest(to: key, among: known)
            if !closest.isEmpty {
                text += "; did you mean " + closest.map { "--by 'tags.\($0)'" }.joined(separator: " or ") + "?"
            }
            io.writeError(text + "\n")
        }
    }
}
