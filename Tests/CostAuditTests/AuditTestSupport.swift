import Attribution
import CostAudit
import CostLedger
import Testing

/// A small price table for tests, per million tokens:
/// `gpt-4.1` input 2.00, output 8.00, cached 0.50; `codex-1` input 2.50, output 10.00, no cached price.
/// Names match exactly, then without a trailing `-YYYY-MM-DD`, then with an `openai/` prefix removed.
struct TestPrices: AuditPricing {
    struct Price {
        var input: Money
        var output: Money
        var cached: Money?
    }

    var source = "test prices"
    var isBuiltIn = false
    var prices: [String: Price] = [
        "gpt-4.1": Price(input: usd("2.00"), output: usd("8.00"), cached: usd("0.50")),
        "codex-1": Price(input: usd("2.50"), output: usd("10.00"), cached: nil),
    ]

    func canonicalModel(provider: String, model: String) -> String? {
        if prices[model] != nil { return model }
        let utf8 = Array(model.utf8)
        if utf8.count > 11 {
            let suffix = utf8.suffix(11)
            let pattern = Array("-0000-00-00".utf8)
            var matches = true
            for (s, p) in zip(suffix, pattern) where p == UInt8(ascii: "-") ? s != p : !(48...57).contains(s) {
                matches = false
            }
            if matches {
                let base = String(decoding: utf8.dropLast(11), as: UTF8.self)
                if prices[base] != nil { return base }
            }
        }
        if model.hasPrefix("\(provider)/") {
            let base = String(model.dropFirst(provider.count + 1))
            if prices[base] != nil { return base }
        }
        return nil
    }

    func auditQuote(
        provider: String,
        model: String,
        serviceTier: String?,
        usage: TokenUsage,
        on date: UTCTimestamp
    ) -> AuditQuote? {
        guard let name = canonicalModel(provider: provider, model: model), let price = prices[name] else { return nil }
        guard usage.cacheWrite == 0, usage.cacheWrite1h == 0 else { return nil }
        let perToken = { (m: Money) in Money(attodollars: m.attodollars / 1_000_000) }
        var cost = perToken(price.input) * usage.uncachedInput + perToken(price.output) * usage.output
        var atInput: Int64 = 0
        if let cached = price.cached {
            cost += perToken(cached) * usage.cachedInput
        } else {
            cost += perToken(price.input) * usage.cachedInput
            atInput = usage.cachedInput
        }
        return AuditQuote(cost: cost, cachedTokensAtInputPrice: atInput)
    }
}

/// `text` as money. A typo fails the test that wrote it, at its line, rather than pricing at $0.
func usd(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Money {
    do {
        return try Money(decimal: text)
    } catch {
        Issue.record("usd(\"\(text)\") is not a decimal amount: \(error)", sourceLocation: sourceLocation)
        return .zero
    }
}

func leaf(_ n: UInt64) -> LeafID {
    LeafID(rawValue: n) ?? LeafID(rawValue: 1)!
}

let fullAttribution: [AttributionField: String] = [
    .userID: "u_42", .feature: "summarize", .team: "search", .project: "web", .taskType: "summary",
]

/// `text` as a time. A typo fails the test that wrote it, at its line, rather than dating the record 1970.
func timestamp(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> UTCTimestamp {
    do {
        return try UTCTimestamp(rfc3339: text)
    } catch {
        Issue.record("timestamp(\"\(text)\") is not an RFC 3339 time: \(error)", sourceLocation: sourceLocation)
        return UTCTimestamp(nanosecondsSinceEpoch: 0)
    }
}

/// A call record of `gpt-4.1` (by default) at 2026-11-20T10:00Z.
func call(
    _ id: String,
    leaf leafID: UInt64? = nil,
    parent: UInt64? = nil,
    root: UInt64? = nil,
    attempt: Int? = nil,
    ts: String = "2026-11-20T10:00:00.000Z",
    startedAt: String? = nil,
    provider: String = "openai",
    model: String = "gpt-4.1",
    key: String? = nil,
    input: Int64 = 0,
    output: Int64 = 0,
    cached: Int64 = 0,
    costUSD: String? = nil,
    fields: [AttributionField: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) -> CostRecord {
    CostRecord(
        recordID: id,
        timestamp: timestamp(ts, sourceLocation: sourceLocation),
        startedAt: startedAt.map { timestamp($0, sourceLocation: sourceLocation) },
        provider: provider,
        model: model,
        apiKeyID: key,
        usage: TokenUsage(input: input, output: output, cachedInput: cached),
        costUSD: costUSD.map { usd($0, sourceLocation: sourceLocation) },
        leafID: leafID.map(leaf),
        parentID: parent.map(leaf),
        rootID: root.map(leaf),
        attempt: attempt,
        attribution: fields
    )
}

/// A unit record (`unit:` + leaf id).
func unit(
    _ leafID: UInt64,
    parent: UInt64? = nil,
    root: UInt64? = nil,
    ts: String = "2026-11-20T09:00:00.000Z",
    fields: [AttributionField: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) -> CostRecord {
    CostRecord(
        recordID: "unit:\(leaf(leafID))",
        kind: .unit,
        timestamp: timestamp(ts, sourceLocation: sourceLocation),
        leafID: leaf(leafID),
        parentID: parent.map(leaf),
        rootID: (root ?? (parent == nil ? leafID : nil)).map(leaf),
        attempt: 1,
        attribution: fields
    )
}

func audit(
    _ records: [CostRecord],
    usage: [String] = [],
    keyMap: AuditKeyMap = .empty,
    rules: AuditRules = .empty,
    since: String? = nil,
    until: String? = nil
) throws -> AuditReport {
    let configuration = AuditConfiguration(
        ledger: .records(records),
        usage: usage.enumerated().map { UsageExportSource.text($0.element, name: "usage-\($0.offset).json") },
        keyMap: keyMap,
        rules: rules,
        prices: TestPrices(),
        since: since.map { timestamp($0) },
        until: until.map { timestamp($0) }
    )
    let report = try Auditor.run(configuration)
    expectInvariant(report)
    return report
}

/// SPEC section 6's invariant: the classes sum to total_usd + over_recorded_usd; reasons sum to unknown.
func expectInvariant(_ report: AuditReport, sourceLocation: SourceLocation = #_sourceLocation) {
    let classes = AttributionClass.all.reduce(Money.zero) { $0 + report[$1] }
    #expect(classes == report.totalUSD + report.overRecordedUSD, sourceLocation: sourceLocation)
    let reasons = UnknownReason.all.reduce(Money.zero) { $0 + report[$1] }
    #expect(reasons == report[.unknown], sourceLocation: sourceLocation)
}

/// The classes as 9-decimal strings, in report order: direct, inherited, rule, key_allocated, unknown.
func classes(_ report: AuditReport) -> [String] {
    AttributionClass.all.map { report[$0].formatted() }
}
