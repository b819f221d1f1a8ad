import Attribution
import CostLedger

/// The kinds of provider export the audit reads, recognised from content.
struct UsageExportKind: Hashable, CustomStringConvertible {
    let name: String
    let provider: String
    let isCost: Bool

    /// OpenAI `/v1/organization/usage/completions` pages.
    static let openAIUsage = UsageExportKind(name: "OpenAI completions usage", provider: "openai", isCost: false)
    /// OpenAI `/v1/organization/costs` pages.
    static let openAICosts = UsageExportKind(name: "OpenAI costs", provider: "openai", isCost: true)
    /// Anthropic `/v1/organizations/usage_report/messages` pages.
    static let anthropicUsage = UsageExportKind(name: "Anthropic usage report", provider: "anthropic", isCost: false)
    /// Anthropic `/v1/organizations/cost_report` pages.
    static let anthropicCosts = UsageExportKind(name: "Anthropic cost report", provider: "anthropic", isCost: true)

    var description: String { name }
}

/// One usage row: tokens of one group in one time bucket.
struct UsageRow {
    var provider: String
    var start: Int64
    var model: String?
    var apiKey: String?
    var serviceTier: String?
    var usage: TokenUsage
}

/// One cost row of a costs export.
struct CostRow {
    var provider: String
    var start: Int64
    var amount: Money
}

/// Every row of every export, deduplicated across pages and files.
struct UsageExports {
    var usageRows: [UsageRow] = []
    var costRows: [CostRow] = []
    /// (provider, bucket start) of every usage bucket read, results or not: the days the usage covers.
    var usageBuckets: [(provider: String, start: Int64)] = []
    var duplicateRows = 0
    private var seenRows: Set<String> = []

    /// Largest token count a usage row may carry (10¹⁵): far above any real day, small enough that no sum of
    /// priced rows can overflow.
    static let maxTokenCount = 1_000_000_000_000_000

    /// Largest export file read: 256 MiB.
    static let maxFileBytes = 256 << 20
    private static let limits = JSONParser.Limits(maxBytes: maxFileBytes, maxDepth: 16)

    /// Reads one export: a page object, a JSON array of pages, or JSON Lines of pages.
    mutating func read(_ source: UsageExportSource) throws(CostAuditError) {
        let bytes: [UInt8]
        if let inMemory = source.bytes {
            bytes = inMemory
        } else {
            bytes = try AuditFiles.read(source.name, limit: Self.maxFileBytes, code: .invalidUsageExport)
        }
        let file = source.name
        var fileKind: UsageExportKind?
        // One JSON document (a page or an array of pages), checked whole without keeping anything, then read
        // bucket by bucket: what is held besides the rows kept is the file's bytes and one bucket's tree.
        if bytes.count > Self.limits.maxBytes || JSONScanner.isValidDocument(bytes, maxDepth: Self.limits.maxDepth) {
            try readDocument(bytes, file: file, kind: &fileKind)
            return
        }
        // JSON Lines: one page per line, each parsed, read and let go before the next, the lines found in
        // place (never split into a list, so a file of blank lines costs no more than its bytes).
        var nonBlank = 0
        Self.forEachLine(bytes) { _, line in
            if !line.allSatisfy(Self.isWhitespace) { nonBlank += 1 }
            return nonBlank < 2
        }
        guard nonBlank > 1 else {
            // Not JSON Lines: the document's own error, met by reading it as one.
            try readDocument(bytes, file: file, kind: &fileKind)
            return
        }
        var failure: CostAuditError?
        Self.forEachLine(bytes) { number, line in
            guard !line.allSatisfy(Self.isWhitespace) else { return true }
            do throws(CostAuditError) {
                let page: JSONValue
                do throws(AttributionError) {
                    page = try JSONParser.parse(line, limits: Self.limits, field: "page")
                } catch {
                    throw CostAuditError.wrapping(error, .invalidUsageExport, file: file, line: number)
                }
                try readPage(page, file: file, line: number, path: "", kind: &fileKind)
                return true
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
    }

    /// Reads one JSON document, a page or an array of pages, bucket by bucket (each bucket's tree let go before
    /// the next is read).
    private mutating func readDocument(
        _ bytes: [UInt8],
        file: String,
        kind fileKind: inout UsageExportKind?
    ) throws(CostAuditError) {
        var reader = try JSONParser.Stream.reading(bytes, limits: Self.limits, field: "usage export") { error in
            CostAuditError.wrapping(error, .invalidUsageExport, file: file)
        }
        if reader.nextIsArray {
            try reader.enter()
            var index = 0
            while try reader.nextElement() {
                try readPage(&reader, file: file, path: "[\(index)]", kind: &fileKind)
                index += 1
            }
        } else {
            try readPage(&reader, file: file, path: "", kind: &fileKind)
        }
        try reader.finish()
    }

    /// Reads the page that is next in `reader`, bucket by bucket.
    private mutating func readPage(
        _ reader: inout JSONParser.DecoderStream<CostAuditError>,
        file: String,
        path: String,
        kind fileKind: inout UsageExportKind?
    ) throws(CostAuditError) {
        let prefix = path.isEmpty ? "" : path + "."
        guard reader.nextIsObject else {
            let page = try reader.value()
            try readPage(page, file: file, line: nil, path: path, kind: &fileKind)
            return
        }
        try reader.enter()
        var sawData = false
        while let key = try reader.nextKey() {
            guard key == "data", reader.nextIsArray else {
                if key == "data" { break }
                try reader.skip()
                continue
            }
            sawData = true
            try reader.enter()
            var bucketIndex = 0
            while try reader.nextElement() {
                let bucket = try reader.value()
                try readBucket(
                    bucket,
                    at: "\(prefix)data[\(bucketIndex)]",
                    file: file,
                    line: nil,
                    kind: &fileKind
                )
                bucketIndex += 1
            }
        }
        guard sawData else {
            throw CostAuditError(
                .invalidUsageExport,
                file: file,
                field: prefix + "data",
                reason: "expected an array of time buckets: not an OpenAI or Anthropic usage or cost export page"
            )
        }
    }

    /// Calls `body` with each line of `bytes` (1-based number, the line without its `\n`), in place, while it
    /// returns true.
    private static func forEachLine(_ bytes: [UInt8], _ body: (Int, ArraySlice<UInt8>) -> Bool) {
        var start = 0
        var number = 1
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            guard body(number, bytes[start..<end]) else { return }
            start = end + 1
            number += 1
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private mutating func readPage(
        _ page: JSONValue,
        file: String,
        line: Int?,
        path: String,
        kind fileKind: inout UsageExportKind?
    ) throws(CostAuditError) {
        func fail(_ field: String, _ reason: String) -> CostAuditError {
            CostAuditError(.invalidUsageExport, file: file, line: line, field: field, reason: reason)
        }
        guard let object = page.objectValue else {
            throw fail(path.isEmpty ? "page" : path, "expected a page object with \"data\", got \(page.typeName)")
        }
        let prefix = path.isEmpty ? "" : path + "."
        guard let data = object["data"]?.arrayValue else {
            throw fail(
                prefix + "data",
                "expected an array of time buckets: not an OpenAI or Anthropic usage or cost export page"
            )
        }
        for (bucketIndex, bucketValue) in data.enumerated() {
            try readBucket(bucketValue, at: "\(prefix)data[\(bucketIndex)]", file: file, line: line, kind: &fileKind)
        }
    }

    /// Reads one time bucket of a page.
    private mutating func readBucket(
        _ bucketValue: JSONValue,
        at: String,
        file: String,
        line: Int?,
        kind fileKind: inout UsageExportKind?
    ) throws(CostAuditError) {
        func fail(_ field: String, _ reason: String) -> CostAuditError {
            CostAuditError(.invalidUsageExport, file: file, line: line, field: field, reason: reason)
        }
        guard let bucket = bucketValue.objectValue else {
            throw fail(at, "expected a bucket object, got \(bucketValue.typeName)")
        }
        let isOpenAI: Bool
        let start: Int64
        let end: Int64
        if let startValue = bucket["start_time"] {
            isOpenAI = true
            start = try Self.unixSeconds(startValue, field: at + ".start_time", fail: fail)
            end =
                try bucket["end_time"].map { (v) throws(CostAuditError) in
                    try Self.unixSeconds(v, field: at + ".end_time", fail: fail)
                } ?? start
        } else if let startValue = bucket["starting_at"] {
            isOpenAI = false
            start = try Self.rfc3339(startValue, field: at + ".starting_at", fail: fail)
            end =
                try bucket["ending_at"].map { (v) throws(CostAuditError) in
                    try Self.rfc3339(v, field: at + ".ending_at", fail: fail)
                } ?? start
        } else {
            throw fail(at, "a bucket needs \"start_time\" (OpenAI) or \"starting_at\" (Anthropic)")
        }
        let resultsValue = bucket["results"] ?? bucket["result"]
        guard let results = resultsValue?.arrayValue else {
            throw fail(at + ".results", "expected an array of results")
        }
        var bucketKind: UsageExportKind? = fileKind
        for (resultIndex, resultValue) in results.enumerated() {
            let field = "\(at).results[\(resultIndex)]"
            guard let result = resultValue.objectValue else {
                throw fail(field, "expected a result object, got \(resultValue.typeName)")
            }
            let kind = try Self.kind(of: result, isOpenAI: isOpenAI, field: field, fail: fail)
            if let known = bucketKind, known != kind {
                throw fail(field, "a \(kind) result in a file of \(known) results: give each kind its own file")
            }
            bucketKind = kind
            fileKind = kind
            // Deduplicate on provider, bucket and every group-by field (strings, booleans, nulls).
            var groupKey = "\(kind.name)|\(start)|\(end)"
            for member in result.members.sorted(by: {
                Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8))
            }) {
                switch member.value {
                case .string(let s): groupKey += "|\(member.key)=s:\(s)"
                case .bool(let b): groupKey += "|\(member.key)=b:\(b)"
                case .null: groupKey += "|\(member.key)=null"
                default: continue
                }
            }
            guard seenRows.insert(groupKey).inserted else {
                duplicateRows += 1
                continue
            }
            if kind.isCost {
                costRows.append(try Self.costRow(result, kind: kind, start: start, field: field, fail: fail))
            } else {
                usageRows.append(try Self.usageRow(result, kind: kind, start: start, field: field, fail: fail))
            }
        }
        if let kind = bucketKind, !kind.isCost {
            usageBuckets.append((kind.provider, start))
        }
    }

    private static func kind(
        of result: JSONObject,
        isOpenAI: Bool,
        field: String,
        fail: (String, String) -> CostAuditError
    ) throws(CostAuditError) -> UsageExportKind {
        if isOpenAI {
            if let object = result["object"]?.stringValue {
                switch object {
                case "organization.usage.completions.result": return .openAIUsage
                case "organization.costs.result": return .openAICosts
                default:
                    throw fail(
                        field + ".object",
                        "\(AttributionError.quote(object)) is not a kind the audit reads: give completions usage "
                            + "(/v1/organization/usage/completions) or costs (/v1/organization/costs)"
                    )
                }
            }
            if result["amount"] != nil { return .openAICosts }
            if result["input_tokens"] != nil { return .openAIUsage }
        } else {
            if result["uncached_input_tokens"] != nil || result["cache_read_input_tokens"] != nil {
                return .anthropicUsage
            }
            if result["amount"] != nil { return .anthropicCosts }
        }
        throw fail(field, "cannot tell the export's kind: expected a usage or a cost result")
    }

    private static func usageRow(
        _ result: JSONObject,
        kind: UsageExportKind,
        start: Int64,
        field: String,
        fail: (String, String) -> CostAuditError
    ) throws(CostAuditError) -> UsageRow {
        func count(_ object: JSONObject, _ key: String, _ at: String) throws(CostAuditError) -> Int64 {
            guard let value = object[key] else { return 0 }
            if case .null = value { return 0 }
            guard let text = value.numberText, let n = JSONValue.integer(fromLiteral: text), n >= 0,
                n <= Self.maxTokenCount
            else {
                throw fail(
                    "\(at).\(key)",
                    "expected a token count (an integer from 0 to 10^15), got \(Self.show(value))"
                )
            }
            return Int64(n)
        }
        func string(_ key: String) throws(CostAuditError) -> String? {
            guard let value = result[key] else { return nil }
            if case .null = value { return nil }
            guard let text = value.stringValue else {
                throw fail("\(field).\(key)", "expected a string or null, got \(value.typeName)")
            }
            return text.isEmpty ? nil : text
        }
        var usage = TokenUsage()
        var tier = try string("service_tier")
        if kind == .openAIUsage {
            usage.input = try count(result, "input_tokens", field)
            usage.cachedInput = try count(result, "input_cached_tokens", field)
            usage.output = try count(result, "output_tokens", field)
            if case .bool(true) = result["batch"] ?? .null { tier = "batch" }
            if tier == "default" { tier = nil }
        } else {
            let uncached = try count(result, "uncached_input_tokens", field)
            let cacheRead = try count(result, "cache_read_input_tokens", field)
            var write5m: Int64 = 0
            var write1h: Int64 = 0
            if let creation = result["cache_creation"], creation != .null {
                guard let object = creation.objectValue else {
                    throw fail(field + ".cache_creation", "expected an object, got \(creation.typeName)")
                }
                write5m = try count(object, "ephemeral_5m_input_tokens", field + ".cache_creation")
                write1h = try count(object, "ephemeral_1h_input_tokens", field + ".cache_creation")
            }
            let (a, o1) = uncached.addingReportingOverflow(cacheRead)
            let (b, o2) = a.addingReportingOverflow(write5m)
            let (c, o3) = b.addingReportingOverflow(write1h)
            guard !o1, !o2, !o3 else { throw fail(field, "token counts overflow") }
            usage.input = c
            usage.cachedInput = cacheRead
            usage.cacheWrite = write5m
            usage.cacheWrite1h = write1h
            usage.output = try count(result, "output_tokens", field)
            if tier == "standard" { tier = nil }
        }
        if usage.cachedInput > usage.input {
            throw fail(
                field,
                "cached input tokens (\(usage.cachedInput)) exceed input tokens (\(usage.input))"
            )
        }
        return UsageRow(
            provider: kind.provider,
            start: start,
            model: try string("model"),
            apiKey: try string("api_key_id"),
            serviceTier: tier,
            usage: usage
        )
    }

    private static func costRow(
        _ result: JSONObject,
        kind: UsageExportKind,
        start: Int64,
        field: String,
        fail: (String, String) -> CostAuditError
    ) throws(CostAuditError) -> CostRow {
        guard let amountValue = result["amount"] else { throw fail(field + ".amount", "missing") }
        let amount: Money
        if kind == .openAICosts {
            guard let object = amountValue.objectValue, let text = object["value"]?.numberText else {
                throw fail(field + ".amount", "expected {\"value\": NUMBER, \"currency\": \"usd\"}")
            }
            if let currency = object["currency"]?.stringValue, currency.lowercased() != "usd" {
                throw fail(field + ".amount.currency", "only usd is read, got \(AttributionError.quote(currency))")
            }
            guard let money = Money.parse(decimal: text, shift: 0) else {
                throw fail(field + ".amount.value", "expected an exact decimal amount, got \(text)")
            }
            amount = money
        } else {
            guard let text = amountValue.stringValue else {
                throw fail(field + ".amount", "expected a decimal string of cents, got \(amountValue.typeName)")
            }
            if let currency = result["currency"]?.stringValue, currency.uppercased() != "USD" {
                throw fail(field + ".currency", "only USD is read, got \(AttributionError.quote(currency))")
            }
            guard let money = Money.parse(decimal: text, shift: -2) else {
                throw fail(field + ".amount", "expected a decimal string of cents, got \(AttributionError.quote(text))")
            }
            amount = money
        }
        return CostRow(provider: kind.provider, start: start, amount: amount)
    }

    private static func unixSeconds(
        _ value: JSONValue,
        field: String,
        fail: (String, String) -> CostAuditError
    ) throws(CostAuditError) -> Int64 {
        guard let text = value.numberText, let seconds = JSONValue.integer(fromLiteral: text),
            abs(seconds) < 1 << 33
        else {
            throw fail(field, "expected Unix seconds, got \(Self.show(value))")
        }
        return Int64(seconds) * 1_000_000_000
    }

    private static func rfc3339(
        _ value: JSONValue,
        field: String,
        fail: (String, String) -> CostAuditError
    ) throws(CostAuditError) -> Int64 {
        guard let text = value.stringValue else {
            throw fail(field, "expected an RFC 3339 timestamp, got \(value.typeName)")
        }
        do {
            return try UTCTimestamp(rfc3339: text, field: field).nanosecondsSinceEpoch
        } catch {
            throw fail(field, error.reason)
        }
    }

    private static func show(_ value: JSONValue) -> String {
        switch value {
        case .number(let text): return text
        case .string(let s): return AttributionError.quote(s)
        default: return value.typeName
        }
    }
}
