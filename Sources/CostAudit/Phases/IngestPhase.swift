import Attribution
import CostLedger

/// Reading (docs/audit.md, "What the audit does, in order", step 1): the usage exports, then the ledger once,
/// keeping per record only a compact row; bad lines are counted, never thrown.
enum IngestPhase {
    struct Input {
        var configuration: AuditConfiguration
        /// The tracked fields, required ones first (see ``trackedFields(required:rules:)``).
        var fields: [AttributionField]
        var progress: ((AuditProgress) -> Void)?
    }

    struct Output {
        var exports: UsageExports
        var ledger: LedgerIngest.Result

        /// Where each ledger file is read again (a pipe's copy for a pipe), by the index rows carry.
        var readPaths: [String] {
            ledger.files.isEmpty ? ledger.fileNames : ledger.files.map(\.readPath)
        }
    }

    static func run(_ input: Input) throws(CostAuditError) -> Output {
        let configuration = input.configuration
        var exports = UsageExports()
        var usageBound = AuditSums.UsageBound()
        for source in configuration.usage {
            let before = (exports.usageRows.count, exports.costRows.count)
            try exports.read(source)
            try usageBound.add(
                exports,
                usageFrom: before.0,
                costFrom: before.1,
                file: source.name,
                pricing: configuration.prices
            )
        }
        let ledger = try LedgerIngest.read(
            configuration.ledger,
            fields: input.fields,
            configuration: configuration,
            progress: input.progress
        )
        return Output(exports: exports, ledger: ledger)
    }

    /// The fields each row keeps: the required ones first, then those the rules match or set, the top
    /// sources' agent and task type, and the key map's team and project.
    static func trackedFields(required: [AttributionField], rules: AuditRules) -> [AttributionField] {
        var fields = required
        var extras: [AttributionField] = [.agent, .taskType]
        for rule in rules.rules {
            extras.append(contentsOf: rule.match.keys.compactMap(\.attributionField))
            extras.append(contentsOf: rule.set.keys)
        }
        extras.append(contentsOf: [.team, .project])
        for field in extras where !fields.contains(field) { fields.append(field) }
        return fields
    }
}
