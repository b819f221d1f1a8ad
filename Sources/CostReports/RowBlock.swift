/// The columns of a block of consecutive rows that several passes read (``AlertScans/feed(_:_:rows:)``), each
/// read once for all of them: every row's ``RowColumns``, and the ids of the fields the passes read, a column at a
/// time (where a field lies is decided once per block, not once per row and pass).
struct RowBlock {
    /// The rows, in order: position `i` of a column is row `rows.lowerBound + i`.
    private(set) var rows: Range<Int> = 0..<0
    private(set) var columns: [RowColumns] = []
    /// Per row: the hour and the day its time falls in, counted from the epoch (for spend known per day only, the
    /// hour of its midnight).
    private(set) var hours: [Int64] = []
    private(set) var days: [Int64] = []
    /// The dataset's ``SpendDataset/idLimit``: every id in the block is below it.
    private(set) var idLimit = 0
    /// The fields read, as indices into ``ReportDimension/fieldNames``, and per field index the block's ids
    /// (empty for a field not read).
    private let fields: [Int]
    private var ids: [[Int32]]

    /// A block that reads `dimensions` besides the columns; a dimension that is not a field (`tags.KEY`) is not
    /// read.
    init(reading dimensions: [ReportDimension]) {
        var fields: [Int] = []
        for dimension in dimensions {
            if case .field(let index) = dimension.storage, !fields.contains(index) { fields.append(index) }
        }
        self.fields = fields
        ids = [[Int32]](repeating: [], count: ReportDimension.fieldNames.count)
    }

    /// Reads rows `rows` of `dataset` in place of the block's rows.
    mutating func read(_ dataset: SpendDataset, rows: Range<Int>) {
        self.rows = rows
        idLimit = dataset.idLimit
        var columns = self.columns
        var hours = self.hours
        var days = self.days
        (self.columns, self.hours, self.days) = ([], [], [])
        columns.removeAll(keepingCapacity: true)
        hours.removeAll(keepingCapacity: true)
        days.removeAll(keepingCapacity: true)
        columns.reserveCapacity(rows.count)
        hours.reserveCapacity(rows.count)
        days.reserveCapacity(rows.count)
        for row in rows {
            let read = dataset.columns(row)
            columns.append(read)
            let hour = ReportPeriod.floorDiv(read.time, ReportPeriod.nanosecondsPerHour)
            hours.append(hour)
            days.append(ReportPeriod.floorDiv(hour, 24))
        }
        (self.columns, self.hours, self.days) = (columns, hours, days)
        for field in fields {
            // Taken out while it is filled, so that each append finds the column alone in its buffer.
            var column = ids[field]
            ids[field] = []
            column.removeAll(keepingCapacity: true)
            column.reserveCapacity(rows.count)
            dataset.fieldValues(field, rows: rows, into: &column)
            ids[field] = column
        }
    }

    /// The ids of `dimension` in the block's rows, by position (0: none); empty unless the block reads it.
    func ids(_ dimension: ReportDimension) -> [Int32] {
        guard case .field(let index) = dimension.storage else { return [] }
        return ids[index]
    }
}
