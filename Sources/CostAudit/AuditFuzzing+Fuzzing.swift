@_spi(Fuzzing) public import Attribution
import CostLedger

// The audit's input files under fuzzing (see AttributionFuzzing+Fuzzing.swift in Attribution).

/// The entry points of the fuzz targets for the usage and cost exports, the rules file and the key map.
@_spi(Fuzzing) public enum AuditFuzzing {
    /// A usage or cost export (OpenAI's or Anthropic's, told apart by content): every row read keeps its
    /// invariants (token counts from 0, cached input within input, a provider the audit knows), and reading the
    /// same export again adds no row and counts every row of it as a duplicate.
    public static func usageExport(_ bytes: [UInt8]) -> FuzzVerdict {
        var exports = UsageExports()
        do {
            try exports.read(.bytes(bytes, name: "fuzz"))
        } catch {
            return .rejected
        }
        for row in exports.usageRows {
            let u = row.usage
            guard row.provider == "openai" || row.provider == "anthropic", u.input >= 0, u.output >= 0,
                u.cachedInput >= 0, u.cacheWrite >= 0, u.cacheWrite1h >= 0, u.cachedInput <= u.input,
                u.cachedInput + u.cacheWrite + u.cacheWrite1h <= u.input, u.output <= UsageExports.maxTokenCount
            else { return .broken("a usage row breaks the token invariants: \(row)") }
        }
        for row in exports.costRows where row.provider != "openai" && row.provider != "anthropic" {
            return .broken("a cost row of an unknown provider: \(row)")
        }
        let rows = exports.usageRows.count + exports.costRows.count
        let duplicates = exports.duplicateRows
        do {
            try exports.read(.bytes(bytes, name: "fuzz"))
        } catch {
            return .broken("the export read once but not twice: \(error)")
        }
        guard exports.usageRows.count + exports.costRows.count == rows,
            exports.duplicateRows == duplicates + rows + duplicates
        else {
            return .broken(
                "reading the export again gave \(exports.usageRows.count + exports.costRows.count) rows "
                    + "and \(exports.duplicateRows) duplicates, after \(rows) and \(duplicates)"
            )
        }
        return .accepted
    }

    /// A rules file: every rule read has non-empty values of at most 256 bytes; written back as JSON, the rules
    /// read to the same rules.
    public static func rules(_ bytes: [UInt8]) -> FuzzVerdict {
        let rules: AuditRules
        do {
            rules = try AuditRules(json: bytes)
        } catch {
            return .rejected
        }
        var writer = JSONWriter()
        writer.raw(UInt8(ascii: "["))
        for (i, rule) in rules.rules.enumerated() {
            let values = Array(rule.match.values) + Array(rule.set.values)
            guard values.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 256 }) else {
                return .broken("rule \(i) holds an empty or oversized value: \(rule)")
            }
            if i > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.raw("{\"match\":{")
            for (j, (key, value)) in rule.match.sorted(by: { $0.key.description < $1.key.description }).enumerated() {
                if j > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.key(key.description)
                writer.string(value)
            }
            writer.raw("},\"set\":{")
            for (j, (key, value)) in rule.set.sorted(by: { $0.key.name < $1.key.name }).enumerated() {
                if j > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.key(key.name)
                writer.string(value)
            }
            writer.raw("}}")
        }
        writer.raw(UInt8(ascii: "]"))
        guard let again = try? AuditRules(json: writer.bytes), again == rules else {
            return .broken("the rules written back, \(String(decoding: writer.bytes, as: UTF8.self)), read otherwise")
        }
        return .accepted
    }

    /// A key map: every owner has a non-empty key and team and project of 1 to 256 bytes; written back as JSON,
    /// the key map reads to the same owners.
    public static func keyMap(_ bytes: [UInt8]) -> FuzzVerdict {
        let map: AuditKeyMap
        do {
            map = try AuditKeyMap(json: bytes)
        } catch {
            return .rejected
        }
        var writer = JSONWriter()
        writer.raw(UInt8(ascii: "{"))
        for (i, (key, owner)) in map.owners.sorted(by: { $0.key < $1.key }).enumerated() {
            guard !key.isEmpty, [owner.team, owner.project].allSatisfy({ !$0.isEmpty && $0.utf8.count <= 256 })
            else { return .broken("key \(AttributionError.quote(key)) has an owner out of bounds: \(owner)") }
            if i > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.key(key)
            writer.raw("{\"team\":")
            writer.string(owner.team)
            writer.raw(",\"project\":")
            writer.string(owner.project)
            writer.raw(UInt8(ascii: "}"))
        }
        writer.raw(UInt8(ascii: "}"))
        guard let again = try? AuditKeyMap(json: writer.bytes), again == map else {
            return .broken(
                "the key map written back, \(String(decoding: writer.bytes, as: UTF8.self)), reads otherwise"
            )
        }
        return .accepted
    }
}
