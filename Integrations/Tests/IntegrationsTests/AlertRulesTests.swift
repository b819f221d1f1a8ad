import AttributionMetrics
import Foundation
import Testing

@Suite("The example's Prometheus alert rules")
struct AlertRulesTests {
    static let rulesURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/CostService/alerts.yml")

    /// The words of the rules' PromQL and labels: identifiers of letters, digits, `_` and `:`.
    func words(_ text: String) -> Set<String> {
        var words: Set<String> = []
        var current = ""
        for character in text {
            if character.isLetter || character.isNumber || character == "_" || character == ":" {
                current.append(character)
            } else {
                if !current.isEmpty { words.insert(current) }
                current = ""
            }
        }
        if !current.isEmpty { words.insert(current) }
        return words
    }

    @Test("One alert per bounded detector, on metrics and labels the sink exports, no user id among them")
    func rulesUseExportedNames() throws {
        let text = try String(contentsOf: Self.rulesURL, encoding: .utf8)
        let rules = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .joined(separator: "\n")
        let used = words(rules)
        for detector in ["feature_rate", "tool_share", "retry_waste", "budget"] {
            #expect(rules.contains("detector: \(detector)"), "no alert for \(detector)")
        }
        let exported: Set<String> = [
            CostMetricsSink.Name.cost, CostMetricsSink.Name.tokens, CostMetricsSink.Name.calls,
            CostMetricsSink.Name.unpricedCalls, CostMetricsSink.Name.callCost,
        ]
        let recorded = Set(
            rules.split(separator: "\n").compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return trimmed.hasPrefix("- record: ") ? String(trimmed.dropFirst("- record: ".count)) : nil
            }
        )
        let metrics = used.filter { $0.hasPrefix("llm_") || $0.contains(":llm_") }
        #expect(metrics.subtracting(exported).subtracting(recorded).isEmpty)
        #expect(metrics.contains(CostMetricsSink.Name.cost) && metrics.contains(CostMetricsSink.Name.calls))
        // Every `by (...)` and `on (...)` label is one of the sink's.
        let labels: Set<String> = [
            CostMetricsSink.Label.feature, CostMetricsSink.Label.team, CostMetricsSink.Label.model,
            CostMetricsSink.Label.tool, CostMetricsSink.Label.retry, CostMetricsSink.Label.status,
            CostMetricsSink.Label.direction,
        ]
        var grouped: Set<String> = []
        for keyword in ["by (", "on ("] {
            for part in rules.components(separatedBy: keyword).dropFirst() {
                let inside = part.prefix { $0 != ")" }
                grouped.formUnion(inside.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            }
        }
        grouped.remove("")
        #expect(grouped.subtracting(labels).isEmpty, "unknown labels \(grouped.subtracting(labels))")
        #expect(!used.contains("user_id"))
    }
}
