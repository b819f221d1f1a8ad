public import Attribution
public import CostAudit
public import CostLedger
import WireFormat

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

/// A record's task as the reports count it (`root_id`, else `leaf_id`, else `record_id`), without a string:
/// a task named by a leaf id by its value, one named by a record id that is no leaf id by a number of its own.
/// Equal names give equal tasks.
struct TaskID: Hashable, Sendable {
    /// The leaf id naming the task (a `root_id`, a `leaf_id`, or a `record_id` written as a leaf id); 0 otherwise.
    var lineage: UInt64
    /// For a task named by any other record id: its number among those names, from 1; 0 otherwise.
    var named: UInt32

    /// No task: spend the bill holds and no record carries.
    static let none = TaskID(lineage: 0, named: 0)

    var isNone: Bool { lineage == 0 && named == 0 }

    func hash(into hasher: inout Hasher) { hasher.combine(lineage ^ (UInt64(named) << 32)) }
}

/// The audit's reconciled dollars as rows every report reads (docs/reports.md): one row per deduplicated
/// record in the window, with its fields as the audit filled them, and one per reconciliation cell of spend the
/// bill holds and no record carries (known per day only). The rows' dollars add up to the audit's
/// `classifiedUSD` exactly.
///
/// The records of an audit are not copied: their rows are read where the audit keeps them, through one 4-byte
/// row number per record, and strings are the audit's interned ids. Rows given as values (a test, or unrecorded
/// spend) are kept in columns of their own: a 4-byte id per field, and about 120 bytes a row in all.
public struct SpendDataset: Sendable {
    /// The audit the rows come from.
    public let report: AuditReport

    /// The audit's rows, which are rows `0..<recordRows.count` here, read in place; nil for rows given as values.
    private let rows: AuditRowReader?
    /// Per record read from the audit: its row there, in the audit's order.
    private let recordRows: [Int32]
    /// Per field of ``ReportDimension/fieldNames`` before `attribution_class`: where the audit keeps it.
    private let sources: [AuditFieldSource]
    /// Ids below this are the audit's strings, from it on the dataset's own (``ownStrings``).
    private let ownBase: Int32
    /// The audit's id of the empty string, a value the reports count as none (0 when the audit has none).
    private let emptyID: Int32
    private var ownStrings: [String] = []
    private var ownStringIDs: [String: Int32] = [:]
    /// Per class, by its index in ``Attribution/AttributionClass/all``: the id of its name.
    private var classIDs: [Int32] = []
    /// Per audit tags text (by its id) of the records read in place: its tag set in ``tagSets``.
    private var tagSetOfText: [Int32: Int32] = [:]
    private(set) var tagSets: [[String: String]] = [[:]]
    private var tagSetIDs: [[String: String]: Int32] = [[:]: 0]
    /// The records read in place that have no lineage (their task is named by their record id), by row,
    /// ascending, and their tasks: found by a binary search, without hashing.
    private var lineagelessRows: [Int32] = []
    private var lineagelessTasks: [TaskID] = []
    /// The names of tasks named by a record id that is no leaf id, by number − 1, and (for records given as
    /// values, where one id may come twice) the number of each name.
    private var taskNames: [String] = []
    /// For the records read in place, the audit's row of each task named by a record id that is no leaf id, by
    /// number − 1: its name is read from there when asked.
    private var namedTaskRows: [Int32] = []
    private var taskNumbers: [String: UInt32] = [:]

    // The rows given as values, from row `recordRows.count` on.
    /// Per row, ``ReportDimension/fieldNames``'s count of string ids.
    private var fieldValues: [Int32] = []
    /// Per row, an index into ``tagSets`` (0: no tags).
    private var tagSetOfRow: [Int32] = []
    /// Per row: `started_at`, else `ts`, in nanoseconds; for unrecorded spend, midnight of its day.
    private var times: [Int64] = []
    /// Per row: whether its time is known to the day only (unrecorded spend).
    private var dayOnlyColumn: [Bool] = []
    private var dollars: [Int128] = []
    private var tokenCounts: [TokenCounts] = []
    /// Per row: 1 for a model call, 0 for a `unit` record or unrecorded spend.
    private var callCounts: [UInt8] = []
    /// Per row: its task; ``TaskID/none`` for unrecorded spend.
    private var tasks: [TaskID] = []
    /// Per row: the record's attempt (1 when absent), 0 for unrecorded spend.
    private var attempts: [Int32] = []

    static let fieldCount = ReportDimension.fieldNames.count
    private static let classField = fieldCount - 1

    /// The number of rows.
    public var count: Int { recordRows.count + times.count }

    /// One more than the largest id a row's value can have: ids run from 1 below it.
    var idLimit: Int { Int(ownBase) + ownStrings.count }

    /// The rows of `audit`: its records, read where the audit keeps them (the ledger is not read again, and
    /// they are not copied), and its unrecorded spend.
    public init(_ audit: AttributedAudit) {
        report = audit.report
        let reader = audit.rowReader()
        rows = reader
        let fields: [AttributionField] = [
            .userID, .feature, .team, .project, .taskType, .tool, .promptVersion, .agent,
        ]
        sources = fields.map { reader.fieldSource($0) }
        ownBase = Int32(truncatingIfNeeded: reader.stringCount)
        emptyID = reader.stringID("") ?? 0
        // The records' rows and those without lineage (their task is named by their record id), found in shares
        // of the audit's rows on threads of their own: what reading every row once costs, once per dataset.
        let parts = Self.recordRows(reader)
        recordRows = parts.count == 1 ? parts[0].rows : parts.flatMap(\.rows)
        classIDs = AttributionClass.all.map { intern($0.name) }
        var base: Int32 = 0
        for part in parts {
            for (position, mayBeLeaf) in zip(part.lineageless, part.mayBeLeaf) {
                let index = Int(part.rows[Int(position)])
                lineagelessRows.append(base + position)
                // The audit's rows are deduplicated by record id: each names a task no other row names. Only a
                // 16-byte id can be a leaf id; any other is numbered, and its name read when asked.
                if mayBeLeaf, let leaf = Self.leafID(named: reader.recordID(ofRow: index)) {
                    lineagelessTasks.append(TaskID(lineage: leaf, named: 0))
                } else {
                    namedTaskRows.append(Int32(truncatingIfNeeded: index))
                    lineagelessTasks.append(TaskID(lineage: 0, named: UInt32(truncatingIfNeeded: namedTaskRows.count)))
                }
            }
            base += Int32(truncatingIfNeeded: part.rows.count)
        }
        // Tags are parsed once per distinct text, here, so that reading a row later changes nothing.
        if reader.keepsTags {
            var last: Int32 = 0
            for index in recordRows {
                let text = reader.tags(ofRow: Int(index))
                if text == last { continue }
                last = text
                if tagSetOfText[text] == nil {
                    tagSetOfText[text] = internTags(Self.parseTagMembers(reader.string(text)))
                }
            }
        }
        tagSetOfText[0] = 0
        for spend in audit.unrecorded { append(spend) }
    }

    /// The rows of the audit's records, in shares of its rows read on threads of their own, each share with the
    /// positions (among its rows) of those without lineage, and whether each of those has a record id of 16
    /// bytes (which may be a leaf id): read while the row is at hand, as a later read of it would miss the cache.
    private static func recordRows(
        _ reader: AuditRowReader
    ) -> [(rows: [Int32], lineageless: [Int32], mayBeLeaf: [Bool])] {
        RowShares.map(reader.rowCount, shares: RowShares.count(reader.rowCount)) { range in
            let rows = reader.recordRows(in: range)
            var lineageless: [Int32] = []
            var mayBeLeaf: [Bool] = []
            for (position, index) in rows.enumerated() where reader.lineage(ofRow: Int(index)) == 0 {
                lineageless.append(Int32(truncatingIfNeeded: position))
                mayBeLeaf.append(reader.recordIDByteCount(ofRow: Int(index)) == 16)
            }
            return (rows, lineageless, mayBeLeaf)
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
        rows = nil
        recordRows = []
        sources = []
        ownBase = 1
        emptyID = 0
        classIDs = AttributionClass.all.map { intern($0.name) }
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
        dayOnlyColumn.append(false)
        dollars.append(attributed.usd.attodollars)
        tokenCounts.append(record.kind == .call ? TokenCounts(record.usage) : TokenCounts())
        callCounts.append(record.kind == .call ? 1 : 0)
        if let lineage = record.rootID ?? record.leafID {
            tasks.append(TaskID(lineage: lineage.rawValue, named: 0))
        } else {
            tasks.append(taskID(named: record.recordID))
        }
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
        dayOnlyColumn.append(true)
        dollars.append(spend.usd.attodollars)
        tokenCounts.append(TokenCounts())
        callCounts.append(0)
        tasks.append(.none)
        attempts.append(0)
    }

    /// The task a record id of a record given as a value names: by its value when it is written as a leaf id (so
    /// that it is the task of the records whose `root_id` it is), else by a number of its own, the same for the
    /// same id given twice.
    private mutating func taskID(named recordID: String) -> TaskID {
        if let leaf = Self.leafID(named: recordID) { return TaskID(lineage: leaf, named: 0) }
        if let known = taskNumbers[recordID] { return TaskID(lineage: 0, named: known) }
        taskNames.append(recordID)
        let number = UInt32(truncatingIfNeeded: taskNames.count)
        taskNumbers[recordID] = number
        return TaskID(lineage: 0, named: number)
    }

    /// The leaf id a record id is written as (16 lowercase hex digits, not all zero), nil for any other record
    /// id: checked here rather than by `LeafID`'s parser, which would build an error message for every other id.
    private static func leafID(named recordID: String) -> UInt64? {
        guard recordID.utf8.count == 16, let value = Hex.parseUInt64(ArraySlice(recordID.utf8)),
            let leaf = LeafID(rawValue: value), leaf.description == recordID
        else { return nil }
        return leaf.rawValue
    }

    /// The id of `text`: the audit's when it has one, so that a value means one id in every row.
    mutating func intern(_ text: String?) -> Int32 {
        guard let text, !text.isEmpty else { return 0 }
        if let id = rows?.stringID(text) { return id }
        if let id = ownStringIDs[text] { return id }
        let id = ownBase &+ Int32(truncatingIfNeeded: ownStrings.count)
        ownStrings.append(text)
        ownStringIDs[text] = id
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

    // MARK: - Reading rows (internal: by the reports, row by row)

    /// The string an id names ("" for 0).
    func string(_ id: Int32) -> String {
        if id < ownBase { return id == 0 ? "" : rows?.string(id) ?? "" }
        return ownStrings[Int(id &- ownBase)]
    }

    /// The id of a value, nil when no row can have it ("" is 0, no value).
    func stringID(_ text: String) -> Int32? {
        if text.isEmpty { return 0 }
        return rows?.stringID(text) ?? ownStringIDs[text]
    }

    /// Field `field` (an index into ``ReportDimension/fieldNames``) of row `row`, as an id (0: none).
    func fieldValue(_ field: Int, at row: Int) -> Int32 {
        // The reader is reached through `rows?` rather than bound to a name: a bound reader is retained and
        // released around every call, once per column of every row.
        guard row < recordRows.count else {
            return fieldValues[(row - recordRows.count) * Self.fieldCount + field]
        }
        let index = Int(recordRows[row])
        let id: Int32?
        switch field {
        case 0..<8: id = rows?.value(sources[field], ofRow: index)
        case 8: id = rows?.model(ofRow: index)
        case 9: id = rows?.provider(ofRow: index)
        case 10: id = rows?.apiKey(ofRow: index)
        case 11: id = rows?.serviceTier(ofRow: index)
        default: return rows.map { classIDs[$0.classIndex(ofRow: index)] } ?? 0
        }
        guard let id, id != emptyID else { return 0 }
        return id
    }

    /// Field `field` (an index into ``ReportDimension/fieldNames``) of each of rows `rows`, appended to `ids` in
    /// order (0: none): ``fieldValue(_:at:)`` for a block of rows, read a column at a time.
    func fieldValues(_ field: Int, rows block: Range<Int>, into ids: inout [Int32]) {
        let recordEnd = min(block.upperBound, recordRows.count)
        if block.lowerBound < recordEnd {
            if field < 8, let reader = rows {
                let start = ids.count
                reader.values(sources[field], ofRows: recordRows[block.lowerBound..<recordEnd], into: &ids)
                if emptyID != 0 {
                    for position in start..<ids.count where ids[position] == emptyID { ids[position] = 0 }
                }
            } else {
                for row in block.lowerBound..<recordEnd { ids.append(fieldValue(field, at: row)) }
            }
        }
        for row in max(block.lowerBound, recordRows.count)..<max(block.upperBound, recordRows.count) {
            ids.append(fieldValues[(row - recordRows.count) * Self.fieldCount + field])
        }
    }

    /// Row `row`'s time in nanoseconds: `started_at`, else `ts`; for unrecorded spend, midnight UTC of its day.
    func nanoseconds(_ row: Int) -> Int64 {
        guard row < recordRows.count else { return times[row - recordRows.count] }
        return rows?.time(ofRow: Int(recordRows[row])) ?? 0
    }

    /// Whether row `row`'s time is known to the day only.
    func dayOnly(_ row: Int) -> Bool { row >= recordRows.count && dayOnlyColumn[row - recordRows.count] }

    /// Row `row`'s dollars, in attodollars.
    func attodollars(_ row: Int) -> Int128 {
        guard row < recordRows.count else { return dollars[row - recordRows.count] }
        return rows?.attodollars(ofRow: Int(recordRows[row])) ?? 0
    }

    /// Row `row`'s token counts (zeros but for a model call).
    func tokenCounts(_ row: Int) -> TokenCounts {
        guard row < recordRows.count else { return tokenCounts[row - recordRows.count] }
        let index = Int(recordRows[row])
        guard rows?.isCall(row: index) == true, let usage = rows?.usage(ofRow: index) else { return TokenCounts() }
        return TokenCounts(usage)
    }

    /// 1 for a model call, 0 otherwise.
    func callCount(_ row: Int) -> Int {
        guard row < recordRows.count else { return Int(callCounts[row - recordRows.count]) }
        return rows?.isCall(row: Int(recordRows[row])) == true ? 1 : 0
    }

    /// Row `row`'s task; ``TaskID/none`` for unrecorded spend.
    func taskID(_ row: Int) -> TaskID {
        guard row < recordRows.count else { return tasks[row - recordRows.count] }
        let lineage = rows?.lineage(ofRow: Int(recordRows[row])) ?? 0
        if lineage != 0 { return TaskID(lineage: lineage, named: 0) }
        return lineagelessTask(row)
    }

    /// The task of record row `row`, which has no lineage: the one its record id names.
    private func lineagelessTask(_ row: Int) -> TaskID {
        let target = Int32(truncatingIfNeeded: row)
        var low = 0
        var high = lineagelessRows.count
        while low < high {
            let middle = (low + high) / 2
            if lineagelessRows[middle] < target { low = middle + 1 } else { high = middle }
        }
        guard low < lineagelessRows.count, lineagelessRows[low] == target else { return .none }
        return lineagelessTasks[low]
    }

    /// Row `row`'s time, dollars, kind, attempt and task, read at once: for a record, with one lookup of its
    /// row in the audit instead of one per column.
    func columns(_ row: Int) -> RowColumns {
        guard row < recordRows.count else {
            let own = row - recordRows.count
            return RowColumns(
                time: times[own],
                amount: dollars[own],
                dayOnly: dayOnlyColumn[own],
                isCall: callCounts[own] != 0,
                attempt: attempts[own],
                task: tasks[own]
            )
        }
        guard let read = rows?.scalars(ofRow: Int(recordRows[row])) else {
            return RowColumns(time: 0, amount: 0, dayOnly: false, isCall: false, attempt: 0, task: .none)
        }
        return RowColumns(
            time: read.time,
            amount: read.attodollars,
            dayOnly: false,
            isCall: read.isCall,
            attempt: read.attempt,
            task: read.lineage != 0 ? TaskID(lineage: read.lineage, named: 0) : lineagelessTask(row)
        )
    }

    /// Row `row`'s token counts when ``RowColumns/isCall`` says whether it is a model call (zeros otherwise).
    func tokenCounts(_ row: Int, isCall: Bool) -> TokenCounts {
        guard isCall else { return TokenCounts() }
        guard row < recordRows.count else { return tokenCounts[row - recordRows.count] }
        guard let usage = rows?.usage(ofRow: Int(recordRows[row])) else { return TokenCounts() }
        return TokenCounts(usage)
    }

    /// Row `row`'s attempt (1 when the record has none); 0 for unrecorded spend.
    func attemptNumber(_ row: Int) -> Int32 {
        guard row < recordRows.count else { return attempts[row - recordRows.count] }
        return rows?.attempt(ofRow: Int(recordRows[row])) ?? 0
    }

    /// Row `row`'s tag set, an index into ``tagSets``.
    private func tagSet(_ row: Int) -> Int32 {
        guard row < recordRows.count else { return tagSetOfRow[row - recordRows.count] }
        return rows.flatMap { tagSetOfText[$0.tags(ofRow: Int(recordRows[row]))] } ?? 0
    }

    // MARK: - Reading rows

    /// The row's value for `dimension`, nil when it has none.
    public func value(_ dimension: ReportDimension, at row: Int) -> String? {
        switch dimension.storage {
        case .field(let index):
            let id = fieldValue(index, at: row)
            return id == 0 ? nil : string(id)
        case .tag(let key):
            return tagSets[Int(tagSet(row))][key]
        }
    }

    /// The row's value for a field dimension as an interned id (0: none); for a tag, nil.
    func fieldID(_ dimension: ReportDimension, at row: Int) -> Int32? {
        guard case .field(let index) = dimension.storage else { return nil }
        return fieldValue(index, at: row)
    }

    /// The row's time: `started_at`, else `ts`; for unrecorded spend, midnight UTC of its day.
    public func time(at row: Int) -> UTCTimestamp { UTCTimestamp(nanosecondsSinceEpoch: nanoseconds(row)) }
    /// Whether the row's time is known to the day only (spend the bill holds and no record carries).
    public func isDayOnly(at row: Int) -> Bool { dayOnly(row) }
    /// The row's dollars, exact.
    public func usd(at row: Int) -> Money { Money(attodollars: attodollars(row)) }
    public func tokens(at row: Int) -> TokenCounts { tokenCounts(row) }
    /// 1 for a model call, 0 otherwise.
    public func calls(at row: Int) -> Int { callCount(row) }
    /// The row's task (`root_id`, else `leaf_id`, else `record_id`); nil for unrecorded spend.
    public func task(at row: Int) -> String? {
        let task = taskID(row)
        if task.lineage != 0 { return LeafID(rawValue: task.lineage)?.description }
        guard task.named != 0 else { return nil }
        if let rows { return rows.recordID(ofRow: Int(namedTaskRows[Int(task.named) - 1])) }
        return taskNames[Int(task.named) - 1]
    }
    /// The record's attempt (1 when the record has none); 0 for unrecorded spend.
    public func attempt(at row: Int) -> Int { Int(attemptNumber(row)) }

    /// The sum of every row's dollars: the audit's `classifiedUSD`.
    public var totalUSD: Money {
        var sum: Int128 = 0
        for row in 0..<count { sum &+= attodollars(row) }
        return Money(attodollars: sum)
    }
}

/// The columns of one row that every report reads (``SpendDataset/columns(_:)``).
struct RowColumns {
    /// `started_at`, else `ts`, in nanoseconds; for unrecorded spend, midnight UTC of its day.
    var time: Int64
    /// The dollars, in attodollars.
    var amount: Int128
    /// Whether the time is known to the day only (unrecorded spend).
    var dayOnly: Bool
    /// Whether it is a model call.
    var isCall: Bool
    /// The record's attempt (1 when the record has none); 0 for unrecorded spend.
    var attempt: Int32
    /// The task; ``TaskID/none`` for unrecorded spend.
    var task: TaskID

    /// 1 for a model call, 0 otherwise.
    var calls: Int { isCall ? 1 : 0 }
}
