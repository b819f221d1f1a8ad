public import Attribution
public import CostLedger

/// Everything one audit reads: the ledger, the provider exports, the key map, the rules and the prices.
///
/// ```swift
/// var configuration = AuditConfiguration(
///     ledger: .files(["/var/ledger"]),
///     prices: myPriceTable
/// )
/// configuration.usage = [.file("openai-usage.json"), .file("anthropic-usage.json")]
/// configuration.keyMap = try AuditKeyMap(contentsOfFile: "keys.json")
/// let report = try Auditor.run(configuration)
/// print(report.render(.table))
/// ```
public struct AuditConfiguration: Sendable {
    /// Where the cost records come from.
    public var ledger: AuditLedgerSource
    /// Provider usage and cost exports, each recognised from its content.
    public var usage: [UsageExportSource]
    /// API key → team and project.
    public var keyMap: AuditKeyMap
    /// Mapping rules, tried in order.
    public var rules: AuditRules
    /// The price table every record and usage row is priced with.
    public var prices: any AuditPricing
    /// Only spend at or after this instant counts (UTC, inclusive).
    public var since: UTCTimestamp?
    /// Only spend before this instant counts (UTC, exclusive).
    public var until: UTCTimestamp?
    /// The required attribution dimensions (default: `user_id feature team project task_type`).
    public var required: [AttributionField]
    /// When set, the audit writes every deduplicated record with its class here as JSON Lines
    /// (`--emit-attributed`, docs/audit.md).
    public var attributedOutputPath: String?
    /// How many threads the audit uses: to read ledger files, then to deduplicate, resolve lineage, classify
    /// and reconcile (default 2; 1 does everything on the calling thread).
    public var readerThreads: Int
    /// Bytes of a ledger file a reader takes at a time (default 16 MiB): files are cut into pieces of about
    /// this size at line boundaries, and each reader takes the next piece when it finishes one, so the readers
    /// finish together and a single large file is read on every thread. The report does not depend on it.
    public var readPieceBytes: Int64 = 16 << 20
    /// What the rows keep for the reports beyond what the audit reads (``Auditor/attribute(_:columns:progress:)``
    /// sets it; none for the audit alone).
    var reportColumns: AuditReportColumns = []

    /// Creates a configuration with no usage exports, no key map, no rules and the default required fields.
    public init(
        ledger: AuditLedgerSource,
        usage: [UsageExportSource] = [],
        keyMap: AuditKeyMap = .empty,
        rules: AuditRules = .empty,
        prices: any AuditPricing,
        since: UTCTimestamp? = nil,
        until: UTCTimestamp? = nil,
        required: [AttributionField] = AttributionField.business,
        attributedOutputPath: String? = nil,
        readerThreads: Int = 2
    ) {
        self.ledger = ledger
        self.usage = usage
        self.keyMap = keyMap
        self.rules = rules
        self.prices = prices
        self.since = since
        self.until = until
        self.required = required
        self.attributedOutputPath = attributedOutputPath
        self.readerThreads = readerThreads
    }
}

/// Where an audit's cost records come from: ledger files and directories, or records in memory.
public struct AuditLedgerSource: Sendable {
    enum Storage: Sendable {
        case files([String])
        case records([(name: String, records: [CostRecord])])
    }
    let storage: Storage

    /// Ledger directories (every `*.jsonl` file in them) and files.
    public static func files(_ paths: [String]) -> AuditLedgerSource { AuditLedgerSource(storage: .files(paths)) }

    /// Records in memory, as if read from one file called `name`, line 1 onwards (for tests and tools that
    /// hold records already).
    public static func records(_ records: [CostRecord], name: String = "memory") -> AuditLedgerSource {
        AuditLedgerSource(storage: .records([(name, records)]))
    }

    /// Several in-memory "files" of records, each named, so deduplication order by file name can be exercised.
    public static func recordFiles(_ files: [(name: String, records: [CostRecord])]) -> AuditLedgerSource {
        AuditLedgerSource(storage: .records(files))
    }
}

/// A provider usage or cost export: a file, or text already in memory.
public struct UsageExportSource: Sendable {
    let name: String
    let bytes: [UInt8]?

    /// A file on disk.
    public static func file(_ path: String) -> UsageExportSource { UsageExportSource(name: path, bytes: nil) }

    /// Text in memory, called `name` in errors.
    public static func text(_ text: String, name: String = "usage") -> UsageExportSource {
        UsageExportSource(name: name, bytes: Array(text.utf8))
    }

    /// The bytes of an export already read, called `name` in errors (a tool that reads its input files itself,
    /// to say in its own words why one cannot be read).
    public static func bytes(_ bytes: [UInt8], name: String) -> UsageExportSource {
        UsageExportSource(name: name, bytes: bytes)
    }

    /// Larger exports are refused.
    public static let maxFileBytes = UsageExports.maxFileBytes
}

/// What an audit in progress reports, for a progress line.
public struct AuditProgress: Sendable, Hashable {
    /// What the audit is doing. A set that may grow.
    public struct Phase: Sendable, Hashable, CustomStringConvertible {
        /// The phase's name.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// Reading ledger files.
        public static let reading = Phase("reading")
        /// Deduplicating, resolving lineage, classifying.
        public static let classifying = Phase("classifying")
        /// Reading usage exports and reconciling.
        public static let reconciling = Phase("reconciling")
        /// Writing the attributed ledger.
        public static let writing = Phase("writing")
        public var description: String { name }
    }

    /// The current phase.
    public var phase: Phase
    /// Records read so far.
    public var records: Int
    /// Ledger bytes read so far.
    public var bytes: Int64

    /// Creates a progress report.
    public init(phase: Phase, records: Int, bytes: Int64) {
        self.phase = phase
        self.records = records
        self.bytes = bytes
    }
}
