import Attribution
import CostAudit
import Testing

/// An OpenAI usage export (`/v1/organization/usage/completions`, one page) for the UTC day `day` (`YYYY-MM-DD`),
/// one result per key, model and tokens: what the provider billed that day.
func reportUsageExport(
    day: String,
    _ rows: [(key: String, model: String, input: Int, output: Int)]
) throws -> UsageExportSource {
    let start = Int(try instant(day + "T00:00:00Z").nanosecondsSinceEpoch / 1_000_000_000)
    let results = rows.map { row in
        """
        {"object": "organization.usage.completions.result", "input_tokens": \(row.input), "input_cached_tokens": 0,
        "output_tokens": \(row.output), "input_audio_tokens": 0, "output_audio_tokens": 0, "num_model_requests": 1,
        "project_id": null, "user_id": null, "api_key_id": "\(row.key)", "model": "\(row.model)", "batch": false}
        """
    }
    let page = """
        {"object": "page", "data": [{"object": "bucket", "start_time": \(start), "end_time": \(start + 86_400),
        "results": [\(results.joined(separator: ","))]}], "has_more": false, "next_page": null}
        """
    return .text(page, name: "usage-\(day).json")
}
