import Attribution
public import CostAudit
public import CostLedger

/// `cost-audit models` as a value (docs/reports.md, "models"): cost per call and per task by model for each
/// feature and task type, with each model's ratio to the cheapest model of the same feature and task type, and
/// the share of spend and of calls from each price band.
///
/// Cost per call and per task read recorded spend only: spend the bill holds and no record carries has no calls
/// and no tasks. It is its own `(unrecorded)` line in the band shares, so that those add up to the audit's total.
///
/// ```swift
/// let audit = try Auditor.attribute(configuration)
/// let models = ModelsReport(SpendDataset(audit), prices: configuration.prices)
/// for cost in models.costs where cost.feature == "search" {
///     print(cost.model, cost.usdPerTask(decimals: 4) ?? "-", cost.ratioToCheapest(decimals: 2) ?? "-")
/// }
/// ```
public struct ModelsReport: Sendable {
    /// One model's recorded spend for one feature and task type, in one price band.
    public struct ModelCost: Sendable, Hashable {
        public var feature: String
        public var taskType: String
        public var model: String
        /// The price band's label, or `(no list price)`.
        public var band: String
        public var usd: Money
        public var calls: Int
        /// Distinct tasks with spend.
        public var tasks: Int
        /// The spend and tasks of the model with the lowest positive cost per task for the same feature and
        /// task type; nil when none has one.
        public var cheapest: (usd: Money, tasks: Int)? {
            cheapestTasks == 0 ? nil : (cheapestUSD, cheapestTasks)
        }
        var cheapestUSD: Money = .zero
        var cheapestTasks = 0

        /// Spend ÷ calls, rounded half-even to `decimals` places; nil without calls.
        public func usdPerCall(decimals: Int) -> String? {
            perCall.map { $0.formatted(decimals: decimals) }
        }

        /// Spend ÷ tasks, rounded half-even to `decimals` places; nil without tasks.
        public func usdPerTask(decimals: Int) -> String? {
            perTask.map { $0.formatted(decimals: decimals) }
        }

        /// Cost per task ÷ the cheapest cost per task of the same feature and task type (`9.00`: nine times
        /// the cheapest), rounded half-even to `decimals` places; nil when either has no cost per task.
        public func ratioToCheapest(decimals: Int) -> String? {
            ratio.map { $0.formatted(decimals: decimals) }
        }

        var perCall: WideFraction? { WideFraction(usd.attodollars, Int128(calls) * Self.attodollarsPerDollar) }
        var perTask: WideFraction? { WideFraction(usd.attodollars, Int128(tasks) * Self.attodollarsPerDollar) }
        var ratio: WideFraction? {
            guard tasks > 0, cheapestTasks > 0,
                let own = WideFraction(usd.attodollars, Int128(tasks)),
                let cheapest = WideFraction(cheapestUSD.attodollars, Int128(cheapestTasks))
            else { return nil }
            return own.dividing(by: cheapest)
        }

        static let attodollarsPerDollar: Int128 = 1_000_000_000_000_000_000
    }

    /// One line of the band shares: a price band, `(no list price)` or `(unrecorded)`.
    public struct BandShare: Sendable, Hashable {
        public var band: String
        /// The models with spend or calls in the line, highest spend first (ties bytewise).
        public var models: [String]
        public var usd: Money
        public var calls: Int
    }

    /// The label of recorded spend whose model has no list price in the table (or a record without a model).
    public static let noListPriceLabel = "(no list price)"
    /// The label of spend the bill holds and no record carries.
    public static let unrecordedLabel = "(unrecorded)"

    public let bands: PriceBands
    /// Feature and task type by recorded spend, highest first (ties by feature, then task type, bytewise); within
    /// each, models by cost per task, cheapest first, then those without tasks by spend, highest first (ties
    /// by model bytewise, then band, cheapest first).
    public let costs: [ModelCost]
    /// The price bands cheapest first, then `(no list price)`, then `(unrecorded)`: every line, even empty.
    public let bandShares: [BandShare]
    /// The audit's classified total: the sum of ``bandShares``.
    public let totalUSD: Money
    /// Recorded spend: the sum of ``costs``.
    public let recordedUSD: Money
    /// Spend the bill holds and no record carries (key-allocated or unknown).
    public let unrecordedUSD: Money
    /// Recorded model calls: the sum of the calls of ``costs`` and of ``bandShares``.
    public let calls: Int

    /// Groups the dataset's recorded rows by feature, task type, model and price band, and all of its rows by
    /// price band.
    ///
    /// - Parameters:
    ///   - dataset: the audit's rows.
    ///   - prices: the price table of the audit the dataset comes from (`prices`).
    ///   - bands: the thresholds between price bands.
    public init(_ dataset: SpendDataset, prices: any AuditPricing, bands: PriceBands = .standard) {
        self.bands = bands
        let noListPrice = bands.count
        let unrecordedLine = bands.count + 1
        var keyer = DimensionKeyer([.feature, .taskType, .model])
        struct PriceKey: Hashable {
            var model: Int32
            var provider: Int32
            var tier: Int32
            var day: Int64
        }
        var bandOfPrice: [PriceKey: Int] = [:]
        var sums: [GroupKey: GroupSums] = [:]
        var lines = [GroupSums](repeating: GroupSums(), count: bands.count + 2)
        var lineModels = [[Int32: Int128]](repeating: [:], count: bands.count + 2)
        var recorded: Int128 = 0
        var unrecorded: Int128 = 0
        var total: Int128 = 0
        for row in 0..<dataset.count {
            let amount = dataset.attodollars(row)
            let model = dataset.fieldID(.model, at: row) ?? 0
            total &+= amount
            if dataset.dayOnly(row) {
                unrecorded &+= amount
                lines[unrecordedLine].add(dataset, row: row)
                lineModels[unrecordedLine][model, default: 0] &+= amount
                continue
            }
            // A unit record carries no dollars and is no call: nothing to show.
            if dataset.callCount(row) == 0, amount == 0 { continue }
            recorded &+= amount
            let priceKey = PriceKey(
                model: model,
                provider: dataset.fieldID(.provider, at: row) ?? 0,
                tier: dataset.fieldID(.serviceTier, at: row) ?? 0,
                day: ReportPeriod.floorDiv(dataset.nanoseconds(row), ReportPeriod.nanosecondsPerDay)
            )
            let band: Int
            if let known = bandOfPrice[priceKey] {
                band = known
            } else {
                var found = noListPrice
                if let name = dataset.value(.model, at: row),
                    let priced = bands.band(
                        prices,
                        provider: dataset.value(.provider, at: row) ?? "",
                        model: name,
                        serviceTier: dataset.value(.serviceTier, at: row),
                        on: UTCTimestamp(nanosecondsSinceEpoch: priceKey.day * ReportPeriod.nanosecondsPerDay)
                    )
                {
                    found = priced
                }
                bandOfPrice[priceKey] = found
                band = found
            }
            // The band rides in the key's period slot.
            sums[keyer.packedKey(dataset, row: row, period: Int64(band)), default: GroupSums()].add(dataset, row: row)
            lines[band].add(dataset, row: row)
            lineModels[band][model, default: 0] &+= amount
        }

        let labels = bands.labels + [Self.noListPriceLabel, Self.unrecordedLabel]
        // Cost rows, grouped by feature and task type.
        var groups: [[String]: (usd: Int128, rows: [ModelCost])] = [:]
        for (key, group) in sums {
            let names = keyer.labels(keyer.ids(key), in: dataset)
            let cost = ModelCost(
                feature: names[0],
                taskType: names[1],
                model: names[2],
                band: labels[Int(key.period)],
                usd: Money(attodollars: group.usd),
                calls: group.calls,
                tasks: group.tasks.count
            )
            groups[[names[0], names[1]], default: (0, [])].usd &+= group.usd
            groups[[names[0], names[1]], default: (0, [])].rows.append(cost)
        }
        let bandOrder = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let orderedGroups = groups.sorted { a, b in
            if a.value.usd != b.value.usd { return a.value.usd > b.value.usd }
            return SpendReport.precedes(a.key, b.key)
        }
        var costs: [ModelCost] = []
        for (_, group) in orderedGroups {
            var rows = group.rows
            rows.sort { a, b in
                switch (a.perTask, b.perTask) {
                case (let x?, let y?):
                    let order = x.compare(y)
                    if order != 0 { return order < 0 }
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil):
                    if a.usd != b.usd { return a.usd > b.usd }
                }
                if a.model != b.model { return Array(a.model.utf8).lexicographicallyPrecedes(b.model.utf8) }
                return (bandOrder[a.band] ?? 0) < (bandOrder[b.band] ?? 0)
            }
            // The lowest positive cost per task of the feature and task type: the first in this order.
            if let cheapest = rows.first(where: { $0.tasks > 0 && $0.usd > .zero }) {
                for index in rows.indices {
                    rows[index].cheapestUSD = cheapest.usd
                    rows[index].cheapestTasks = cheapest.tasks
                }
            }
            costs += rows
        }
        self.costs = costs

        var shares: [BandShare] = []
        for (index, line) in lines.enumerated() {
            let models = lineModels[index].sorted { a, b in
                if a.value != b.value { return a.value > b.value }
                let x = keyer.value(a.key, in: dataset) ?? ReportDimension.noneLabel
                let y = keyer.value(b.key, in: dataset) ?? ReportDimension.noneLabel
                return Array(x.utf8).lexicographicallyPrecedes(y.utf8)
            }
            shares.append(
                BandShare(
                    band: labels[index],
                    models: models.map { keyer.value($0.key, in: dataset) ?? ReportDimension.noneLabel },
                    usd: Money(attodollars: line.usd),
                    calls: line.calls
                )
            )
        }
        bandShares = shares
        totalUSD = Money(attodollars: total)
        recordedUSD = Money(attodollars: recorded)
        unrecordedUSD = Money(attodollars: unrecorded)
        calls = lines.reduce(0) { $0 + $1.calls }
    }

    /// A line's share of the total spend in percent, rounded half-even to `decimals` places; nil when the total
    /// is zero.
    public func spendSharePercent(_ line: BandShare, decimals: Int) -> String? {
        WideFraction(line.usd.attodollars, totalUSD.attodollars)?.scaled(by: 100).formatted(decimals: decimals)
    }

    /// A line's share of the recorded calls in percent, rounded half-even to `decimals` places; nil without
    /// calls.
    public func callSharePercent(_ line: BandShare, decimals: Int) -> String? {
        WideFraction(Int128(line.calls), Int128(calls))?.scaled(by: 100).formatted(decimals: decimals)
    }

    // MARK: - Output

    /// The parts of the report: the cost per task and per call by model, and the band shares.
    public struct Part: Sendable, Hashable, CustomStringConvertible {
        enum Kind: String, Sendable, Hashable { case costs, bands }
        let kind: Kind
        /// Cost per call and per task by model, for each feature and task type.
        public static let costs = Part(kind: .costs)
        /// The share of spend and of calls from each price band.
        public static let bands = Part(kind: .bands)

        /// The part named `costs` or `bands`.
        public init(parsing text: String) throws(ReportError) {
            guard let kind = Kind(rawValue: text) else {
                throw ReportError(field: "only", value: text, reason: "expected costs or bands")
            }
            self.kind = kind
        }

        init(kind: Kind) { self.kind = kind }

        public var name: String { kind.rawValue }
        public var description: String { name }
    }

    static let costColumns = [
        "feature", "task_type", "model", "band", "spend_usd", "calls", "tasks", "usd_per_call", "usd_per_task",
        "ratio_to_cheapest",
    ]
    static let bandColumns = ["band", "models", "spend_usd", "spend_share_pct", "calls", "calls_share_pct"]

    /// The report in `format`. The table and Markdown show both parts (or the one of `only`); CSV holds one
    /// table, the costs unless `only` is ``Part/bands``; JSON holds both (or the one of `only`).
    ///
    /// Money is rounded by largest remainder so that the rows add up to their rounded total (9 decimals in CSV
    /// and JSON, 2 in the table and Markdown); cost per call and per task are rounded half-even (9 decimals,
    /// 6); shares and ratios too (6 decimals, 2).
    public func render(_ format: ReportFormat, only: Part? = nil) -> String {
        if format == .json { return renderJSON(only: only) }
        let parts: [Part] = only.map { [$0] } ?? (format == .csv ? [.costs] : [.costs, .bands])
        var out: [String] = []
        for part in parts {
            let table = part == .costs ? costTable(format) : bandTable(format)
            switch format {
            case .csv: out.append(table.renderCSV())
            case .markdown: out.append(table.renderMarkdown())
            default: out.append(table.renderText())
            }
        }
        return out.joined(separator: "\n")
    }

    static func unitDecimals(_ format: ReportFormat) -> Int { format == .table || format == .markdown ? 6 : 9 }
    static func figureDecimals(_ format: ReportFormat) -> Int { format == .table || format == .markdown ? 2 : 6 }
    /// A figure that has no value: `-` in the table and Markdown, empty in CSV (and null in JSON).
    static func missing(_ format: ReportFormat) -> String { format == .table || format == .markdown ? "-" : "" }

    func costRows(_ format: ReportFormat) -> [[String]] {
        let money = ShownMoney.rounded(
            costs.map { ([$0.feature, $0.taskType, $0.model, $0.band].joined(separator: "\u{1F}"), $0.usd) },
            format: format
        )
        let units = Self.unitDecimals(format)
        let figures = Self.figureDecimals(format)
        let none = Self.missing(format)
        return zip(costs, money).map { cost, usd in
            [
                cost.feature, cost.taskType, cost.model, cost.band, usd, "\(cost.calls)", "\(cost.tasks)",
                cost.usdPerCall(decimals: units) ?? none, cost.usdPerTask(decimals: units) ?? none,
                cost.ratioToCheapest(decimals: figures) ?? none,
            ]
        }
    }

    func bandRows(_ format: ReportFormat) -> [[String]] {
        let money = ShownMoney.rounded(bandShares.map { ($0.band, $0.usd) }, format: format)
        let figures = Self.figureDecimals(format)
        let none = Self.missing(format)
        return zip(bandShares, money).map { line, usd in
            [
                line.band, line.models.joined(separator: ", "), usd,
                spendSharePercent(line, decimals: figures) ?? none, "\(line.calls)",
                callSharePercent(line, decimals: figures) ?? none,
            ]
        }
    }

    func costTable(_ format: ReportFormat) -> ReportTable {
        let numeric: Set<String> = [
            "spend_usd", "calls", "tasks", "usd_per_call", "usd_per_task", "ratio_to_cheapest",
        ]
        var notes = [
            "Recorded spend: $" + recordedUSD.formatted(decimals: ShownMoney.decimals(format))
                + " in \(calls) calls. Cost per task = spend / distinct tasks with spend; ratio_to_cheapest = "
                + "cost per task / the lowest cost per task of the same feature and task type."
        ]
        if unrecordedUSD != .zero {
            notes.append(
                "$" + unrecordedUSD.formatted(decimals: 2)
                    + " billed and not recorded has no calls or tasks: it is left out here and shown as "
                    + Self.unrecordedLabel + " in the band shares."
            )
        }
        return ReportTable(
            title: "Cost per call and per task by model, per feature and task type",
            columns: Self.costColumns.map { ReportTable.Column($0, numeric: numeric.contains($0)) },
            rows: costRows(format),
            notes: notes
        )
    }

    func bandTable(_ format: ReportFormat) -> ReportTable {
        let numeric: Set<String> = ["spend_usd", "spend_share_pct", "calls", "calls_share_pct"]
        return ReportTable(
            title: "Share of spend and calls by price band (list price, (3 x input + output) / 4 per million tokens)",
            columns: Self.bandColumns.map { ReportTable.Column($0, numeric: numeric.contains($0)) },
            rows: bandRows(format),
            notes: [
                "Total: $" + totalUSD.formatted(decimals: ShownMoney.decimals(format))
                    + " (spend shares are of the total, call shares of the \(calls) recorded calls)."
            ]
        )
    }

    func renderJSON(only: Part?) -> String {
        var w = JSONWriter(capacity: 512 + costs.count * 320)
        w.raw("{")
        w.key("bands")
        w.raw("{")
        w.key("blend")
        w.string("(3*input+output)/4 per million tokens")
        w.raw(",")
        w.key("thresholds_usd_per_million")
        w.raw("[")
        for (i, threshold) in bands.thresholds.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(threshold.formatted())
        }
        w.raw("]},")
        for (key, amount) in [
            ("total_usd", totalUSD), ("recorded_usd", recordedUSD), ("unrecorded_usd", unrecordedUSD),
        ] {
            w.key(key)
            w.string(amount.formatted())
            w.raw(",")
        }
        w.key("calls")
        w.integer(calls)
        func number(_ text: String?) { w.raw(text ?? "null") }
        if only != .bands {
            w.raw(",")
            w.key("models")
            w.raw("[")
            for (index, row) in costRows(.json).enumerated() {
                if index > 0 { w.raw(",") }
                w.raw("{")
                for (column, name) in Self.costColumns.enumerated() {
                    if column > 0 { w.raw(",") }
                    w.key(name)
                    switch name {
                    case "calls", "tasks", "ratio_to_cheapest": number(row[column].isEmpty ? nil : row[column])
                    case "usd_per_call", "usd_per_task":
                        if row[column].isEmpty { w.raw("null") } else { w.string(row[column]) }
                    default: w.string(row[column])
                    }
                }
                w.raw("}")
            }
            w.raw("]")
        }
        if only != .costs {
            w.raw(",")
            w.key("band_shares")
            w.raw("[")
            for (index, (line, row)) in zip(bandShares, bandRows(.json)).enumerated() {
                if index > 0 { w.raw(",") }
                w.raw("{")
                w.key("band")
                w.string(line.band)
                w.raw(",")
                w.key("models")
                w.raw("[")
                for (i, model) in line.models.enumerated() {
                    if i > 0 { w.raw(",") }
                    w.string(model)
                }
                w.raw("],")
                w.key("spend_usd")
                w.string(row[2])
                w.raw(",")
                w.key("spend_share_pct")
                number(row[3].isEmpty ? nil : row[3])
                w.raw(",")
                w.key("calls")
                w.integer(line.calls)
                w.raw(",")
                w.key("calls_share_pct")
                number(row[5].isEmpty ? nil : row[5])
                w.raw("}")
            }
            w.raw("]")
        }
        w.raw("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
