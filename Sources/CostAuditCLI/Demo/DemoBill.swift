import Attribution
import CostLedger

/// The provider's side of the story: what it billed, per UTC day, model and key, as its usage export says.
final class Bill: Sendable {
    private struct Cell: Hashable, Comparable {
        var day: Int64
        var model: String
        var key: String
        static func < (a: Cell, b: Cell) -> Bool { (a.day, a.model, a.key) < (b.day, b.model, b.key) }
    }
    private let cells = Lock<[Cell: (input: Int64, cached: Int64, output: Int64, requests: Int)]>([:])

    func add(day: UTCTimestamp, model: String, key: String, usage: TokenUsage) {
        cells.withLock { cells in
            let cell = Cell(day: day.utcDay, model: model, key: key)
            var value = cells[cell] ?? (0, 0, 0, 0)
            value.input += usage.input
            value.cached += usage.cachedInput
            value.output += usage.output
            value.requests += 1
            cells[cell] = value
        }
    }

    /// The bill as OpenAI's organization usage endpoint pages it: one bucket per UTC day.
    func openAIUsageExport() -> String {
        let all = cells.withLock { $0 }
        var byDay: [Int64: [(Cell, (input: Int64, cached: Int64, output: Int64, requests: Int))]] = [:]
        for (cell, value) in all { byDay[cell.day, default: []].append((cell, value)) }
        var buckets: [String] = []
        for day in byDay.keys.sorted() {
            let start = day * 86_400
            let results = (byDay[day] ?? []).sorted { $0.0 < $1.0 }.map { cell, v in
                """
                {"object":"organization.usage.completions.result","input_tokens":\(v.input),\
                "output_tokens":\(v.output),"input_cached_tokens":\(v.cached),"input_audio_tokens":0,\
                "output_audio_tokens":0,"num_model_requests":\(v.requests),"project_id":null,"user_id":null,\
                "api_key_id":"\(cell.key)","model":"\(cell.model)","batch":null}
                """
            }
            buckets.append(
                #"{"object":"bucket","start_time":\#(start),"end_time":\#(start + 86_400),"results":["#
                    + results.joined(separator: ",") + "]}"
            )
        }
        return #"{"object":"page","data":["# + buckets.joined(separator: ",")
            + #"],"has_more":false,"next_page":null}"# + "\n"
    }
}
