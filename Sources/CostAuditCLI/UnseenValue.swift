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
}
