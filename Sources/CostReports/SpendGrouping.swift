import CostAudit
import CostLedger

/// The sums of one group of rows: spend, tokens, calls and distinct tasks.
struct GroupSums {
    var usd: Int128 = 0
    var tokens = TokenCounts()
    var calls = 0
    /// The distinct tasks with spend in the group (string ids of the dataset).
    var tasks = DistinctSet()
    /// The task inserted last: a task's rows mostly come together, so most rows need no set insertion.
    var lastTask = TaskID.none
    var overflow = false

    mutating func add(_ dataset: SpendDataset, row: Int) { add(dataset, row: row, dataset.columns(row)) }

    /// Adds row `row`, whose columns (``SpendDataset/columns(_:)``) are `columns`.
    mutating func add(_ dataset: SpendDataset, row: Int, _ columns: RowColumns) {
        let amount = columns.amount
        usd &+= amount
        if !tokens.add(dataset.tokenCounts(row, isCall: columns.isCall)) { overflow = true }
        calls += columns.calls
        let task = columns.task
        if !task.isNone, amount != 0, task != lastTask {
            tasks.insert(task)
            lastTask = task
        }
    }

    mutating func add(_ other: GroupSums) {
        usd &+= other.usd
        if !tokens.add(other.tokens) { overflow = true }
        calls += other.calls
        tasks.formUnion(other.tasks)
        overflow = overflow || other.overflow
    }
}

/// Maps rows to the values of a list of dimensions, as small integer keys: field dimensions by the dataset's
/// interned ids, tags by ids of its own.
struct DimensionKeyer {
    let dimensions: [ReportDimension]
    private var tagIDs: [String: Int32] = [:]
    private var tagStrings: [String] = [""]

    init(_ dimensions: [ReportDimension]) { self.dimensions = dimensions }

    /// The row's key packed for hashing: the first four ids in two words, any more in an array (empty, so
    /// never allocated, for up to four dimensions).
    mutating func packedKey(_ dataset: SpendDataset, row: Int, period: Int64) -> GroupKey {
        var key = GroupKey(low: 0, high: 0, rest: [], period: period)
        for (i, dimension) in dimensions.enumerated() {
            let id = self.id(dimension, dataset, row: row)
            switch i {
            case 0: key.low |= UInt64(UInt32(bitPattern: id))
            case 1: key.low |= UInt64(UInt32(bitPattern: id)) << 32
            case 2: key.high |= UInt64(UInt32(bitPattern: id))
            case 3: key.high |= UInt64(UInt32(bitPattern: id)) << 32
            default: key.rest.append(id)
            }
        }
        return key
    }

    /// The ids a packed key holds, one per dimension.
    func ids(_ key: GroupKey) -> [Int32] {
        var ids: [Int32] = []
        for i in 0..<dimensions.count {
            switch i {
            case 0: ids.append(Int32(bitPattern: UInt32(truncatingIfNeeded: key.low)))
            case 1: ids.append(Int32(bitPattern: UInt32(truncatingIfNeeded: key.low >> 32)))
            case 2: ids.append(Int32(bitPattern: UInt32(truncatingIfNeeded: key.high)))
            case 3: ids.append(Int32(bitPattern: UInt32(truncatingIfNeeded: key.high >> 32)))
            default: ids.append(key.rest[i - 4])
            }
        }
        return ids
    }

    /// A dimension's id for a row: the dataset's interned id for a field, a negative id of this keyer's own for
    /// a tag value, 0 for none.
    private mutating func id(_ dimension: ReportDimension, _ dataset: SpendDataset, row: Int) -> Int32 {
        if let id = dataset.fieldID(dimension, at: row) { return id }
        guard let value = dataset.value(dimension, at: row), !value.isEmpty else { return 0 }
        if let id = tagIDs[value] { return -id }
        let id = Int32(truncatingIfNeeded: tagStrings.count)
        tagStrings.append(value)
        tagIDs[value] = id
        return -id
    }

    /// The row's key: one id per dimension, 0 for no value. Tag values have negative ids.
    mutating func key(_ dataset: SpendDataset, row: Int) -> [Int32] {
        var key = [Int32](repeating: 0, count: dimensions.count)
        for (i, dimension) in dimensions.enumerated() {
            if let id = dataset.fieldID(dimension, at: row) {
                key[i] = id
            } else if let value = dataset.value(dimension, at: row), !value.isEmpty {
                if let id = tagIDs[value] {
                    key[i] = -id
                } else {
                    let id = Int32(truncatingIfNeeded: tagStrings.count)
                    tagStrings.append(value)
                    tagIDs[value] = id
                    key[i] = -id
                }
            }
        }
        return key
    }

    /// The value an id of ``key(_:row:)`` stands for, nil for none.
    func value(_ id: Int32, in dataset: SpendDataset) -> String? {
        if id == 0 { return nil }
        return id > 0 ? dataset.string(id) : tagStrings[Int(-id)]
    }

    /// The labels of a key: each value, or its dimension's `(unknown)` / `(none)`.
    func labels(_ key: [Int32], in dataset: SpendDataset) -> [String] {
        zip(dimensions, key).map { dimension, id in value(id, in: dataset) ?? dimension.missingLabel }
    }
}

/// The slots of the group keys seen lately, in 64 entries chosen by a mix of the key's words: with as many
/// groups as a monthly report by team and project has, nearly every row finds its key here without hashing it
/// (a `Dictionary` hashes with a seeded SipHash); a key that misses is looked up in full and remembered.
struct RecentSlots {
    private var keys = [GroupKey?](repeating: nil, count: 64)
    private var slots = [Int](repeating: 0, count: 64)

    /// The entry a key may be in.
    private static func entry(_ key: GroupKey) -> Int {
        var x =
            key.low ^ (key.high &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(bitPattern: key.period) &* 0xBF58_476D_1CE4_E5B9)
        x ^= x >> 29
        x &*= 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: x >> 58)
    }

    /// The slot of `key` when it is remembered.
    func slot(of key: GroupKey) -> Int? {
        let entry = Self.entry(key)
        return keys[entry] == key ? slots[entry] : nil
    }

    /// Remembers `key`'s slot, in place of the key that shared its entry.
    mutating func remember(_ key: GroupKey, _ slot: Int) {
        let entry = Self.entry(key)
        keys[entry] = key
        slots[entry] = slot
    }
}

/// A group's key: up to four dimension ids packed in two words, any more in `rest`, and its period's start.
struct GroupKey: Hashable {
    var low: UInt64
    var high: UInt64
    var rest: [Int32]
    var period: Int64
}

/// Money shown rounded so that the rows add up to their rounded total: 9 decimals in CSV and JSON (the
/// audit's), 2 in the terminal table and Markdown.
enum ShownMoney {
    /// Each amount rounded by largest remainder (ties to the bytewise-first name).
    static func rounded(_ rows: [(name: String, amount: Money)], format: ReportFormat) -> [String] {
        LargestRemainder.formatted(rows, decimals: decimals(format))
    }

    static func decimals(_ format: ReportFormat) -> Int { format == .table || format == .markdown ? 2 : 9 }
}
