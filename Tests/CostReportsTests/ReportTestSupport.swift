import Attribution
import CostAudit
import CostLedger
import CostReports
import Testing

/// Prices for hand-worked answers, USD per million tokens: `openai/cheap-1` input 1, output 2;
/// `openai/mid-1` input 10, output 20, cached input 5; `openai/big-1` input 100, output 200. So 1,000 input
/// tokens of `mid-1` cost $0.01, and 1,000 output tokens of `big-1` $0.20.
let reportPriceFile = """
    {"source": "report-tests", "models": {
      "openai/cheap-1": [{"input": "1", "output": "2"}],
      "openai/mid-1": [{"input": "10", "output": "20", "cached_input": "5"}],
      "openai/big-1": [{"input": "100", "output": "200"}]
    }}
    """

func reportPrices() throws -> PriceTable {
    try PriceTable(priceFileJSON: Array(reportPriceFile.utf8))
}

/// An exact amount; a typo fails the test instead of becoming $0.
func dollars(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Money {
    try #require(try? Money(decimal: text), "not a decimal: \(text)", sourceLocation: sourceLocation)
}

/// An instant; a typo fails the test instead of becoming 1970.
func instant(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> UTCTimestamp {
    try #require(try? UTCTimestamp(rfc3339: text), "not an RFC 3339 time: \(text)", sourceLocation: sourceLocation)
}

/// A leaf id from a small number (never 0).
func leafID(_ n: UInt64) -> LeafID {
    LeafID(rawValue: max(1, n)) ?? LeafID(rawValue: 1)!
}

/// The five business fields, with overrides.
func business(
    user: String = "u_1",
    feature: String = "search",
    team: String = "growth",
    project: String = "assistant",
    taskType: String = "answer",
    extra: [AttributionField: String] = [:]
) -> [AttributionField: String] {
    var fields: [AttributionField: String] = [
        .userID: user, .feature: feature, .team: team, .project: project, .taskType: taskType,
    ]
    for (field, value) in extra { fields[field] = value }
    return fields
}

/// A model call with every business field by default, at `at`, of `model` (`openai/…`).
func modelCall(
    _ id: String,
    at: String,
    model: String = "mid-1",
    input: Int64 = 0,
    output: Int64 = 0,
    cached: Int64 = 0,
    attribution: [AttributionField: String] = business(),
    tags: [String: String] = [:],
    leaf: UInt64? = nil,
    parent: UInt64? = nil,
    root: UInt64? = nil,
    attempt: Int? = nil,
    apiKey: String? = nil
) throws -> CostRecord {
    CostRecord(
        recordID: id,
        timestamp: try instant(at),
        provider: "openai",
        model: model,
        apiKeyID: apiKey,
        usage: TokenUsage(input: input, output: output, cachedInput: cached),
        leafID: leaf.map(leafID),
        parentID: parent.map(leafID),
        rootID: root.map(leafID),
        attempt: attempt,
        attribution: attribution,
        tags: tags
    )
}

/// Audits `records` (one in-memory ledger file) with the test prices and returns its dataset.
func dataset(
    _ records: [CostRecord],
    usage: [UsageExportSource] = [],
    keyMap: AuditKeyMap = .empty,
    since: UTCTimestamp? = nil,
    until: UTCTimestamp? = nil
) throws -> SpendDataset {
    var configuration = AuditConfiguration(ledger: .records(records), prices: try reportPrices())
    configuration.usage = usage
    configuration.keyMap = keyMap
    configuration.since = since
    configuration.until = until
    return SpendDataset(try Auditor.attribute(configuration))
}
