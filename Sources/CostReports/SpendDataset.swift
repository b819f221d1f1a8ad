public import Attribution
public import CostAudit
public import CostLedger

/// Token counts of a group: the columns every report prints.
public struct TokenCounts: Sendable, Hashable {
    /// Input tokens, cached and cache writes included (the ledger's `input_tokens`).
    public var input: Int64 = 0
    public var cachedInput: Int64 = 0
    /// Cache writes of both lifetimes (`cache_write_tokens` + `cache_write_1h_tokens`).
    public var cacheWrite: Int64 = 0
    public var output: Int64 = 0
    public var reasoning: Int64 = 0

    public init() {}

    public init(input: Int64, cachedInput: Int64, cacheWrite: Int64, output: Int64, reasoning: Int64) {
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.output = output
        self.reasoning = reasoning
    }

    init(_ usage: TokenUsage) {
        input = usage.input
        cachedInput = usage.cachedInput
        cacheWrite = usage.cacheWrite &+ usage.cacheWrite1h
        output = usage.output
        reasoning = usage.reasoning
    }

    /// Adds `other`; a sum beyond `Int64` is refused rather than wrapped.
    mutating func add(_ other: TokenCounts) -> Bool {
        var overflow = false
        func plus(_ a: inout Int64, _ b: Int64) {
            let (sum, wrapped) = a.addingReportingOverflow(b)
            a = sum
            overflow = overflow || wrapped
        }
        plus(&input, other.input)
        plus(&cachedInput, other.cachedInput)
        plus(&cacheWrite, other.cacheWrite)
        plus(&output, other.output)
        plus(&reasoning, other.reasoning)
        return !overflow
    }
}

/// The audit's reconciled dollars as rows every report reads (docs/reports.md): one row per deduplicated
/// record in the window, with its fields as the audit filled them, and one per reconciliation cell of spend the
/// bill holds and no record carries (known per day only). The rows' dollars add up to the audit's
/// `classifiedUSD` exactly.
///
/// Strings are interned: each row keeps a 4-byte id per field, so two million rows take about 200 MB.
public struct SpendDataset: Sendable {
    /// The audit the rows come from.
    public let report: AuditReport

    /// Interned strings; id 0 is "no value".
    private(set) var strings: [String] = [""]
    private var stringIDs: [String: Int32] = [:]
    /// Per row, ``ReportDimension/fieldNames``'s count of string ids.
    private(set) var fieldValues: [Int32] = []
    /// Per row, an index into ``tagSets`` (0: no tags).
    private(set) var tagSetOfRow: [Int32] = []
    private(set) var tagSets: [[String: String]] = [[:]]
    private var tagSetIDs: [[String: String]: Int32] = [[:]: 0]
    /// Per row: `started_at`, else `ts`, in nanoseconds; for unrecorded spend, midnight of its day.
    private(set) var times: [Int64] = []
    /// Per row: whether its time is known to the day only (unrecorded spend).
    private(set) var dayOnly: [Bool] = []
    private(set) var dollars: [Int128] = []
    private(set) var tokenCounts: [TokenCounts] = []
    /// Per row: 1 for a model call, 0 for a `unit` record or unrecorded spend.
    private(set) var callCounts: [UInt8] = []
    /// Per row: the string id of its task (`root_id`, else `leaf_id`, else `record_id`); 0 for unrecorded spend.
    private(set) var taskIDs: [Int32] = []
    /// Per row: the record's attempt (1 when absent), 0 for unrecorded spend.
    private(set) var attempts: [Int32] = []

    static let fieldCount = ReportDimension.fieldNames.count

    /// The number of rows.
    public var count: Int { times.count }

    /// The rows of `audit`: its records, from the rows the audit kept (the ledger is not read again), and its
    /// unrecorded spend.
    public init(_ audit: AttributedAudit) {
        var dataset = SpendDataset(report: audit.report, records: [])
        dataset.appendRows(of: audit)
        for spend in audit.unrecorded { dataset.append(spend) }
        self = dataset
    }

    /// Appends every record of `audit`, mapping its interned ids to the dataset's once each.
    private mutating func appendRows(of audit: AttributedAudit) {
        let expected = audit.rowCount
        fieldValues.reserveCapacity(expected * Self.fieldCount)
        tagSetOfRow.reserveCapacity(expected)
        taskIDs.reserveCapacity(expected)
        attempts.reserveCapacity(expected)
        times.reserveCapacity(expected)
        dayOnly.reserveCapacity(expected)
        dollars.reserveCapacity(expected)
        tokenCounts.reserveCapacity(expected)
        callCounts.reserveCapacity(expected)
        var remap = [Int32](repeating: -1, count: audit.stringCount + 1)
        remap[0] = 0
        func map(_ id: Int32) -> Int32 {
            let known = remap[Int(id)]
            if known >= 0 { return known }
            let mine = intern(audit.string(id))
            remap[Int(id)] = mine
            return mine
        }
        var tagRemap: [Int32: Int32] = [0: 0]
        var taskOfLeaf = WordMap(expected: 1 << 16)
        // Rows of one task, and rows with the same tags, mostly come one after another: the last answer of each
        // lookup is kept, so most rows need no hashing at all.
        var lastTags: (audit: Int32, mine: Int32) = (0, 0)
        var lastTask: (lineage: UInt64, mine: Int32) = (0, 0)
        let classIDs = AttributionClass.all.map { intern($0.name) }
        let slots: [Int] = [
            AttributionField.userID, .feature, .team, .project, .taskType, .tool, .promptVersion, .agent,
        ].map(\.order)
        audit.forEachRow { row in
            for slot in slots { fieldValues.append(map(row.values[slot])) }
            fieldValues.append(map(row.model))
            fieldValues.append(map(row.provider))
            fieldValues.append(map(row.apiKey))
            fieldValues.append(map(row.serviceTier))
            fieldValues.append(classIDs[row.attributionClass.order])
            if row.tags == lastTags.audit {
                tagSetOfRow.append(lastTags.mine)
            } else if let known = tagRemap[row.tags] {
                lastTags = (row.tags, known)
                tagSetOfRow.append(known)
            } else {
                let tags = Self.parseTagMembers(audit.string(row.tags))
                let id = internTags(tags)
                tagRemap[row.tags] = id
                lastTags = (row.tags, id)
                tagSetOfRow.append(id)
            }
            times.append(row.time)
            dayOnly.append(false)
            dollars.append(row.usd)
            tokenCounts.append(row.isCall ? TokenCounts(row.usage) : TokenCounts())
            callCounts.append(row.isCall ? 1 : 0)
            let lineage = row.root != 0 ? row.root : row.leaf
            if lineage != 0, lineage == lastTask.lineage {
                taskIDs.append(lastTask.mine)
            } else if lineage != 0 {
                let task: Int32
                if let known = taskOfLeaf.find(lineage) {
                    task = known
                } else {
                    task = intern(LeafID(rawValue: lineage)?.description ?? "")
                    _ = taskOfLeaf.insert(lineage, next: task)
                }
                lastTask = (lineage, task)
                taskIDs.append(task)
            } else {
                taskIDs.append(intern(audit.recordID(ofRow: row.index)))
            }
            attempts.append(row.attempt)
        }
    }

    /// Tags from the members of their JSON object (the ledger's text between the braces, already checked by
    /// the audit's reader); a text that does not parse gives no tags.
    static func parseTagMembers(_ members: String) -> [String: String] {
        guard !members.isEmpty else { return [:] }
        let text = Array(("{" + members + "}").utf8)
        let limits = JSONParser.Limits(maxBytes: text.count, maxDepth: 2)
        guard let value = try? JSONParser.parse(text, limits: limits, field: LedgerKey.tags.name),
            let object = value.objectValue
        else { return [:] }
        var tags: [String: String] = [:]
        for member in object.members {
            if let text = member.value.stringValue { tags[member.key] = text }
        }
        return tags
    }

    /// Rows from records and unrecorded spend given in memory (a test, or a caller that built them itself).
    public init(report: AuditReport, records: [AttributedRecord], unrecorded: [UnrecordedSpend] = []) {
        self.report = report
        for record in records { append(record) }
        for spend in unrecorded { append(spend) }
    }

    mutating func append(_ attributed: AttributedRecord) {
        let record = attributed.record
        var values = [Int32](repeating: 0, count: Self.fieldCount)
        let fields: [AttributionField] = [
            .userID, .feature, .team, .project, .taskType, .tool, .promptVersion, .agent,
        ]
        for (index, field) in fields.enumerated() { values[index] = intern(record.attribution[field]) }
        values[8] = intern(attributed.pricedModel)
        values[9] = intern(record.provider)
        values[10] = intern(record.apiKeyID)
        values[11] = intern(record.serviceTier)
        values[12] = intern(attributed.attributionClass.name)
        fieldValues.append(contentsOf: values)
        tagSetOfRow.append(internTags(record.tags))
        times.append((record.startedAt ?? record.timestamp).nanosecondsSinceEpoch)
        dayOnly.append(false)
        dollars.append(attributed.usd.attodollars)
        tokenCounts.append(record.kind == .call ? TokenCounts(record.usage) : TokenCounts())
        callCounts.append(record.kind == .call ? 1 : 0)
        let task = record.rootID?.description ?? record.leafID?.description ?? record.recordID
        taskIDs.append(intern(task))
        attempts.append(Int32(clamping: record.attempt ?? 1))
    }

    mutating func append(_ spend: UnrecordedSpend) {
        var values = [Int32](repeating: 0, count: Self.fieldCount)
        values[2] = intern(spend.owner?.team)
        values[3] = intern(spend.owner?.project)
        values[8] = intern(spend.model)
        values[9] = intern(spend.provider)
        values[10] = intern(spend.apiKeyID)
        values[12] = intern(spend.attributionClass.name)
        fieldValues.append(contentsOf: values)
        tagSetOfRow.append(0)
        times.append(spend.day.nanosecondsSinceEpoch)
        dayOnly.append(true)
        dollars.append(spend.usd.attodollars)
        tokenCounts.append(TokenCounts())
        callCounts.append(0)
        taskIDs.append(0)
        attempts.append(0)
    }

    mutating func intern(_ text: String?) -> Int32 {
        guard let text, !text.isEmpty else { return 0 }
        if let id = stringIDs[text] { return id }
        let id = Int32(truncatingIfNeeded: strings.count)
        strings.append(text)
        stringIDs[text] = id
        return id
    }

    mutating func internTags(_ tags: [String: String]) -> Int32 {
        guard !tags.isEmpty else { return 0 }
        if let id = tagSetIDs[tags] { return id }
        let id = Int32(truncatingIfNeeded: tagSets.count)
        tagSets.append(tags)
        tagSetIDs[tags] = id
        return id
    }

    // MARK: - Reading rows

    /// The row's value for `dimension`, nil when it has none.
    public func value(_ dimension: ReportDimension, at row: Int) -> String? {
        switch dimension.storage {
        case .field(let index):
            let id = fieldValues[row * Self.fieldCount + index]
            return id == 0 ? nil : strings[Int(id)]
        case .tag(let key):
            return tagSets[Int(tagSetOfRow[row])][key]
        }
    }

    /// The row's value for a field dimension as an interned id (0: none); for a tag, nil.
    func fieldID(_ dimension: ReportDimension, at row: Int) -> Int32? {
        guard case .field(let index) = dimension.storage else { return nil }
        return fieldValues[row * Self.fieldCount + index]
    }

    /// The row's time: `started_at`, else `ts`; for unrecorded spend, midnight UTC of its day.
    public func time(at row: Int) -> UTCTimestamp { UTCTimestamp(nanosecondsSinceEpoch: times[row]) }
    /// Whether the row's time is known to the day only (spend the bill holds and no record carries).
    public func isDayOnly(at row: Int) -> Bool { dayOnly[row] }
    /// The row's dollars, exact.
    public func usd(at row: Int) -> Money { Money(attodollars: dollars[row]) }
    public func tokens(at row: Int) -> TokenCounts { tokenCounts[row] }
    /// 1 for a model call, 0 otherwise.
    public func calls(at row: Int) -> Int { Int(callCounts[row]) }
    /// The row's task (`root_id`, else `leaf_id`, else `record_id`); nil for unrecorded spend.
    public func task(at row: Int) -> String? {
        let id = taskIDs[row]
        return id == 0 ? nil : strings[Int(id)]
    }
    /// The record's attempt (1 when the record has none); 0 for unrecorded spend.
    public func attempt(at row: Int) -> Int { Int(attempts[row]) }

    /// The sum of every row's dollars: the audit's `classifiedUSD`.
    public var totalUSD: Money {
        var sum: Int128 = 0
        for amount in dollars { sum &+= amount }
        return Money(attodollars: sum)
    }
}
