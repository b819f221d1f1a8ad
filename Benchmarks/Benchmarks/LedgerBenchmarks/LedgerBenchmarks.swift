import Attribution
import Benchmark
import CSQLiteBench
import CostLedger
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Ledger append throughput against SQLite, the disk's own fsync latency, and pricing on the hot path.
//
// Every benchmark counts one scaled iteration per record (or row, or fsync), so `throughput` reads as
// records/s (rows/s, fsyncs/s) and `wallClock` per sample covers `scalingFactor` of them.

/// How many distinct records cycle through the benchmarks.
let recordPool = 4096

/// Realistic metered call records: an OpenAI call with cached and reasoning tokens, priced by the built-in table,
/// full lineage, five business fields and two tags; ids, tokens and users vary per record.
func makeRecords() -> [CostRecord] {
    var generator = SystemRandomNumberGenerator()
    let table = PriceTable.builtIn
    let base = UTCTimestamp(millisecondsSinceEpoch: 1_795_000_000_000)
    return (0..<recordPool).map { i in
        let input = Int64(800 + (i * 37) % 12_000)
        let output = Int64(100 + (i * 53) % 2_000)
        var record = CostRecord(
            recordID: "rec_\(LeafID.random(using: &generator))\(LeafID.random(using: &generator))",
            timestamp: UTCTimestamp(millisecondsSinceEpoch: base.millisecondsSinceEpoch + Int64(i) * 17),
            startedAt: UTCTimestamp(millisecondsSinceEpoch: base.millisecondsSinceEpoch + Int64(i) * 17 - 850),
            provider: "openai",
            model: i % 3 == 0 ? "o3" : "gpt-4.1",
            apiKeyID: "key_prod_1",
            usage: TokenUsage(
                input: input,
                output: output,
                cachedInput: input / 4,
                reasoning: i % 3 == 0 ? output / 2 : 0
            ),
            traceID: TraceID.random(using: &generator),
            leafID: LeafID.random(using: &generator),
            parentID: LeafID.random(using: &generator),
            rootID: LeafID.random(using: &generator),
            attempt: 1,
            attribution: [
                .userID: "u_\(i % 997)", .feature: "summarize", .team: "growth", .project: "assistant",
                .taskType: "summarize",
            ],
            tags: ["env": "prod", "region": "eu-west-1"]
        )
        if let quote = table.quote(for: record) {
            record.costUSD = quote.cost
            record.priceSource = quote.priceSource
        }
        return record
    }
}

/// A fresh, empty directory under the system's temporary directory.
func scratchDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "ledger-bench-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.removeItem(atPath: path)
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// `fdatasync(2)` where the ledger uses it (Linux), `fsync(2)` elsewhere.
func syncData(_ fd: Int32) -> Int32 {
    #if os(Linux)
    return fdatasync(fd)
    #else
    return fsync(fd)
    #endif
}

/// One SQLite database in WAL mode with `synchronous=FULL`, and the insert statement for the record's fields.
final class SQLiteLedger {
    var db: OpaquePointer?
    var insert: OpaquePointer?
    let directory: String

    init() {
        directory = scratchDirectory("sqlite")
        guard sqlite3_open(directory + "/ledger.sqlite", &db) == SQLITE_OK else { fatalError("sqlite3_open") }
        exec("PRAGMA journal_mode=WAL")
        exec("PRAGMA synchronous=FULL")
        exec(
            """
            CREATE TABLE cost(record_id TEXT PRIMARY KEY, ts TEXT, started_at TEXT, provider TEXT, model TEXT,
            api_key_id TEXT, input_tokens INTEGER, output_tokens INTEGER, cached_input_tokens INTEGER,
            reasoning_tokens INTEGER, cost_usd TEXT, price_source TEXT, trace_id TEXT, leaf_id TEXT,
            parent_id TEXT, root_id TEXT, attempt INTEGER, user_id TEXT, feature TEXT, team TEXT, project TEXT,
            task_type TEXT, tags TEXT)
            """
        )
        let sql = "INSERT OR IGNORE INTO cost VALUES (" + Array(repeating: "?", count: 23).joined(separator: ",") + ")"
        guard sqlite3_prepare_v2(db, sql, -1, &insert, nil) == SQLITE_OK else { fatalError("prepare") }
    }

    func exec(_ sql: String) {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            fatalError("sqlite: \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    /// Inserts the next row, committing (and beginning the next transaction) after every 64th.
    func insert(_ rows: [SQLiteRow], _ serial: inout Int) {
        let row = rows[serial & (rows.count - 1)]
        for (index, bytes) in row.texts {
            bytes.withUnsafeBufferPointer { buffer in
                _ = sqlite3_bind_text(
                    insert,
                    index,
                    UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                    Int32(buffer.count),
                    unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
                )
            }
        }
        for (index, value) in row.integers { sqlite3_bind_int64(insert, index, value) }
        // A unique key per row across the pool's cycles (cheaper for SQLite than the record id's text).
        sqlite3_bind_int64(insert, 1, Int64(serial))
        guard sqlite3_step(insert) == SQLITE_DONE else { fatalError("insert failed") }
        sqlite3_reset(insert)
        serial &+= 1
        if serial % 64 == 0 {
            exec("COMMIT")
            exec("BEGIN")
        }
    }

    func close() {
        sqlite3_finalize(insert)
        sqlite3_close(db)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A record's fields as SQLite binds them. The text forms are computed once, outside the measurement, which
/// favours SQLite: the ledger's numbers include its encoding, these do not.
struct SQLiteRow {
    var texts: [(Int32, [UInt8])]
    var integers: [(Int32, Int64)]

    init(_ r: CostRecord) {
        func text(_ s: String?) -> [UInt8] { Array((s ?? "").utf8) }
        texts = [
            (2, text(r.timestamp.description)),
            (3, text(r.startedAt?.description)), (4, text(r.provider)), (5, text(r.model)),
            (6, text(r.apiKeyID)), (11, text(r.costUSD?.exactDecimal)), (12, text(r.priceSource)),
            (13, text(r.traceID?.description)), (14, text(r.leafID?.description)),
            (15, text(r.parentID?.description)), (16, text(r.rootID?.description)),
            (18, text(r.attribution[.userID])), (19, text(r.attribution[.feature])),
            (20, text(r.attribution[.team])), (21, text(r.attribution[.project])),
            (22, text(r.attribution[.taskType])), (23, text(#"{"env":"prod","region":"eu-west-1"}"#)),
        ]
        integers = [
            (7, r.usage.input), (8, r.usage.output), (9, r.usage.cachedInput), (10, r.usage.reasoning),
            (17, Int64(r.attempt ?? 1)),
        ]
    }
}

/// Syncs and records of the measured samples, by benchmark: how many records each sync covered.
let syncTally = Mutex<[String: (syncs: Int, records: Int)]>([:])

/// The writers of the interleaved benchmark, in the order of its samples' columns.
enum Contender: Int, CaseIterable {
    case callerWaits, pipelined, concurrent8, concurrent16, concurrent32, concurrent64
    case bare, bareConcurrent16, bareConcurrent64, sqlite, fsyncProbe

    /// Syncs in flight (ledger) or syncing threads (bare); 1 when serial.
    var depth: Int {
        switch self {
        case .concurrent8: return 8
        case .concurrent16, .bareConcurrent16: return 16
        case .concurrent32: return 32
        case .concurrent64, .bareConcurrent64: return 64
        default: return 1
        }
    }

    var name: String {
        switch self {
        case .callerWaits: return "ledger, .fsync, caller waits per batch"
        case .pipelined: return "ledger, .fsync, pipelined"
        case .concurrent8, .concurrent16, .concurrent32, .concurrent64:
            return "ledger, .fsync(concurrentSyncs: \(depth))"
        case .bare: return "bare pre-encoded append + fdatasync per 64, serial"
        case .bareConcurrent16, .bareConcurrent64:
            return "bare pre-encoded append + fdatasync per 64, \(depth) syncing threads"
        case .sqlite: return "SQLite WAL synchronous=FULL, commit per 64"
        case .fsyncProbe: return "disk: append 128 bytes + fsync"
        }
    }
}

/// Records (rows, lines) per writer in each interleaved sample: 64 batches of 64, so that even 16 syncs in
/// flight reach a steady state.
let interleavedCount = 4096

/// Syncs of the disk probe in each interleaved sample.
let probeSyncs = 16

/// The interleaved benchmark's samples: seconds per ``Contender``, in its order.
let interleaved = Mutex<[[Double]]>([])

/// CPU seconds of this process (every thread, user and system) per ``Contender`` in each interleaved sample.
let interleavedCPU = Mutex<[[Double]]>([])

/// This process's CPU time so far, in seconds.
func processCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Prints a benchmark's tally once its samples are done.
func printSyncTally(_ name: String) {
    let (syncs, records) = syncTally.withLock { $0[name] ?? (0, 0) }
    guard syncs > 0 else { return }
    print("\(name): \(syncs) syncs for \(records) records, \(Double(records) / Double(syncs)) records per sync")
}

/// How the caller of ``appendRecords`` waits for the disk.
enum Acknowledge {
    /// Never: one `flush()` at the end.
    case atEnd
    /// `flush()` every this many records: the write and the sync happen on the caller's thread, which waits.
    case flushEvery(Int)
    /// `requestFlush()` every this many records, then `waitUntilDurable` for the batch before: the flusher
    /// writes and syncs batch N while the caller fills batch N+1, and a batch is acknowledged only once the sync
    /// covering it has returned.
    case pipelined(Int)
    /// Under `.fsync(concurrentSyncs:)` with `batchRecords` 64: the caller only writes; the flusher appends each
    /// batch of 64 as it completes and the syncing threads sync up to that many at once; a final `flush()` waits
    /// until every record is durable.
    case concurrent
}

/// Writes `count` records to a fresh ledger, acknowledging them as `acknowledge` says.
func appendRecords(
    _ benchmark: Benchmark,
    records: [CostRecord],
    durability: LedgerDurability,
    batchRecords: Int,
    acknowledge: Acknowledge
) throws {
    let directory = scratchDirectory("jsonl")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = JSONLinesLedger.Configuration(directory: directory)
    configuration.durability = durability
    configuration.batchRecords = batchRecords
    configuration.maxBufferRecords = 1 << 20
    configuration.maxBufferBytes = 256 << 20
    configuration.maxFileBytes = nil
    configuration.bufferPolicy = .block(timeout: .seconds(60))
    let ledger = try JSONLinesLedger(configuration: configuration)
    // The file is created (and, under `.fsync`, its directory synced) by the first batch: a cost paid once per
    // file (256 MiB), done here before the measurement rather than charged to a 1,000-record sample.
    try ledger.write(records[records.count - 1])
    try ledger.flush()
    let mask = records.count - 1
    var i = 0
    // Records are read in place (no copy of the record per call, which is the harness's cost, not the ledger's).
    try records.withUnsafeBufferPointer { records in
        benchmark.startMeasurement()
        switch acknowledge {
        case .atEnd, .concurrent:
            for _ in benchmark.scaledIterations {
                try ledger.write(records[i & mask])
                i &+= 1
            }
        case .flushEvery(let batch):
            for _ in benchmark.scaledIterations {
                try ledger.write(records[i & mask])
                i &+= 1
                if i % batch == 0 { try ledger.flush() }
            }
        case .pipelined(let batch):
            var previous = 0
            for _ in benchmark.scaledIterations {
                try ledger.write(records[i & mask])
                i &+= 1
                if i % batch == 0 {
                    let position = ledger.requestFlush()
                    try ledger.waitUntilDurable(records: previous)
                    previous = position
                }
            }
        }
        try ledger.flush()
        benchmark.stopMeasurement()
    }
    let stats = ledger.stats
    try ledger.close()
    precondition(stats.writtenRecords == i + 1 && stats.droppedRecords == 0, "records lost: \(stats)")
    precondition(stats.durableRecords == i + 1, "records not durable: \(stats)")
    if durability.concurrentSyncs > 0 {
        // How many records each sync covered: exactly one batch when the caller waits, at most two pipelined.
        syncTally.withLock { tally in
            let previous = tally[benchmark.name] ?? (0, 0)
            tally[benchmark.name] = (previous.syncs + stats.syncs - 1, previous.records + i)
        }
    }
}

/// Seconds to write `count` records to a fresh ledger under `.fsync`, acknowledged as `acknowledge` says (the
/// file is created before the clock starts, as in ``appendRecords``); with `concurrentSyncs` above 1, under
/// `.fsync(concurrentSyncs:)` in batches of 64.
func timedLedger(
    _ records: [CostRecord],
    count: Int,
    acknowledge: Acknowledge,
    concurrentSyncs: Int = 1
) throws -> Double {
    let directory = scratchDirectory("interleaved")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = JSONLinesLedger.Configuration(directory: directory)
    configuration.durability = .fsync(concurrentSyncs: concurrentSyncs)
    // The caller hands batches over itself, except under concurrent syncs, where the flusher cuts batches of 64.
    configuration.batchRecords = concurrentSyncs > 1 ? 64 : 1 << 20
    configuration.maxFileBytes = nil
    let ledger = try JSONLinesLedger(configuration: configuration)
    defer { try? ledger.close() }
    try ledger.write(records[records.count - 1])
    try ledger.flush()
    let start = DispatchTime.now().uptimeNanoseconds
    var previous = 0
    for i in 1...count {
        try ledger.write(records[i & (records.count - 1)])
        guard i % 64 == 0 else { continue }
        switch acknowledge {
        case .pipelined:
            let position = ledger.requestFlush()
            try ledger.waitUntilDurable(records: previous)
            previous = position
        case .concurrent:
            continue
        default:
            try ledger.flush()
        }
    }
    try ledger.flush()
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    precondition(ledger.stats.durableRecords == count + 1, "records not durable: \(ledger.stats)")
    return elapsed
}

/// Seconds to append `count` pre-encoded lines, 64 per write(2) and fdatasync.
func timedBare(_ batches: [[UInt8]], count: Int) -> Double {
    let directory = scratchDirectory("interleaved-bare")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let fd = open(directory + "/bare.jsonl", O_WRONLY | O_APPEND | O_CREAT, 0o644)
    precondition(fd >= 0)
    defer { close(fd) }
    let start = DispatchTime.now().uptimeNanoseconds
    for b in 0..<(count / 64) {
        let batch = batches[b % batches.count]
        let written = batch.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        precondition(written == batch.count && syncData(fd) == 0)
    }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Seconds to append `count` pre-encoded lines, 64 per write(2) and fdatasync, on `threads` threads at once:
/// each takes the next batch, appends it under a lock (so appends stay whole and in turn) and syncs it through
/// a descriptor of its own. The ceiling for `.fsync(concurrentSyncs:)` without encoding or ordering.
func timedBareConcurrent(_ batches: [[UInt8]], count: Int, threads: Int) -> Double {
    final class Shared: @unchecked Sendable {
        // `next` and the appends are guarded by `lock`; `fds` is written before the threads start.
        let lock = NSLock()
        var next = 0
        var fds: [Int32] = []
        let done = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
    }
    let directory = scratchDirectory("interleaved-bare-concurrent")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/bare.jsonl"
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    precondition(fd >= 0)
    defer { close(fd) }
    let shared = Shared()
    shared.fds = (0..<threads).map { _ in open(path, O_WRONLY) }
    defer { for syncFD in shared.fds { close(syncFD) } }
    let total = count / 64
    for t in 0..<threads {
        Thread {
            shared.go.wait()
            while true {
                shared.lock.lock()
                let b = shared.next
                shared.next += 1
                if b < total {
                    let batch = batches[b % batches.count]
                    let written = batch.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    precondition(written == batch.count)
                }
                shared.lock.unlock()
                guard b < total else { break }
                precondition(syncData(shared.fds[t]) == 0)
            }
            shared.done.signal()
        }.start()
    }
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<threads { shared.go.signal() }
    for _ in 0..<threads { shared.done.wait() }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Seconds per sync of the disk itself: `syncs` appends of 128 bytes, each followed by `fsync`.
func timedFsyncProbe(syncs: Int) -> Double {
    let directory = scratchDirectory("interleaved-probe")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let fd = open(directory + "/probe", O_WRONLY | O_APPEND | O_CREAT, 0o644)
    precondition(fd >= 0)
    defer { close(fd) }
    let line = [UInt8](repeating: UInt8(ascii: "x"), count: 127) + [UInt8(ascii: "\n")]
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<syncs {
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        precondition(fsync(fd) == 0)
    }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(syncs)
}

/// Seconds to insert `count` rows into a fresh SQLite database, committing every 64.
func timedSQLite(_ rows: [SQLiteRow], count: Int) -> Double {
    let sqlite = SQLiteLedger()
    defer { sqlite.close() }
    var serial = 0
    let start = DispatchTime.now().uptimeNanoseconds
    sqlite.exec("BEGIN")
    for _ in 0..<count { sqlite.insert(rows, &serial) }
    sqlite.exec("COMMIT")
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .cpuTotal],
        maxDuration: .seconds(5),
        maxIterations: 1_000_000
    )

    let records = makeRecords()
    let rows = records.map(SQLiteRow.init)

    // (a) Batched flushing: the flusher writes a batch per 8,192 records (or 200 ms); the last flush is measured.
    Benchmark(
        "Ledger append, durability .flush, batched (records)",
        configuration: .init(scalingFactor: .mega, maxIterations: 10)
    ) { benchmark in
        try appendRecords(benchmark, records: records, durability: .flush, batchRecords: 8192, acknowledge: .atEnd)
    }

    Benchmark(
        "Ledger append, durability .none (records)",
        configuration: .init(scalingFactor: .mega, maxIterations: 10)
    ) { benchmark in
        try appendRecords(benchmark, records: records, durability: .none, batchRecords: 8192, acknowledge: .atEnd)
    }

    // (b) A sync per batch of 64 (`.fsync`: fdatasync on Linux, as SQLite syncs its WAL). The caller flushes
    // every 64 records and waits for write + sync on its own thread, as a SQLite commit per 64 rows does: each
    // sync covers exactly one batch. (The flusher's own batch threshold is out of reach so that it does not race
    // the caller for the batch.)
    Benchmark(
        "Ledger append, fsync per batch of 64, caller waits (records)",
        configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 200)
    ) { benchmark in
        try appendRecords(
            benchmark,
            records: records,
            durability: .fsync,
            batchRecords: 1 << 20,
            acknowledge: .flushEvery(64)
        )
    } teardown: {
        printSyncTally("Ledger append, fsync per batch of 64, caller waits (records)")
    }

    // (b') The same batches pipelined: the caller hands batch N to the flusher (`requestFlush()`) and fills batch
    // N+1 while it is written and synced; it waits for batch N's sync (`waitUntilDurable`) before handing over
    // N+1. A record is acknowledged only after the sync covering it; a sync covers one batch, or two when the
    // caller catches up with the flusher.
    Benchmark(
        "Ledger append, fsync per batch of 64, pipelined (records)",
        configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 200)
    ) { benchmark in
        try appendRecords(
            benchmark,
            records: records,
            durability: .fsync,
            batchRecords: 1 << 20,
            acknowledge: .pipelined(64)
        )
    } teardown: {
        printSyncTally("Ledger append, fsync per batch of 64, pipelined (records)")
    }

    // (b'') The same batches with 16 syncs in flight (`.fsync(concurrentSyncs: 16)`): the flusher appends each
    // batch of 64 as it completes, each with its own sync, and a record counts as durable once its batch's sync
    // and every earlier batch's have returned; the last `flush()` waits for all of them.
    Benchmark(
        "Ledger append, fsync per batch of 64, 16 concurrent syncs (records)",
        configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 200)
    ) { benchmark in
        try appendRecords(
            benchmark,
            records: records,
            durability: .fsync(concurrentSyncs: 16),
            batchRecords: 64,
            acknowledge: .concurrent
        )
    } teardown: {
        printSyncTally("Ledger append, fsync per batch of 64, 16 concurrent syncs (records)")
    }

    // (c) SQLite, WAL, synchronous=FULL, a commit per 64 rows.
    Benchmark(
        "SQLite WAL synchronous=FULL, commit per 64 rows (rows)",
        configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 200)
    ) { benchmark in
        let sqlite = SQLiteLedger()
        defer { sqlite.close() }
        var serial = 0
        benchmark.startMeasurement()
        sqlite.exec("BEGIN")
        for _ in benchmark.scaledIterations { sqlite.insert(rows, &serial) }
        sqlite.exec("COMMIT")
        benchmark.stopMeasurement()
    }

    // (d) The disk's own fsync latency: append one 128-byte line, then fsync (one scaled iteration each).
    Benchmark(
        "Bare fsync: append 128 bytes + fsync (fsyncs)",
        configuration: .init(
            metrics: [.wallClock, .throughput],
            timeUnits: .microseconds,
            scalingFactor: .one,
            maxDuration: .seconds(3),
            maxIterations: 5000
        )
    ) { benchmark in
        let directory = scratchDirectory("fsync")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fd = open(directory + "/probe", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        precondition(fd >= 0)
        defer { close(fd) }
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 127) + [UInt8(ascii: "\n")]
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            precondition(fsync(fd) == 0)
        }
        benchmark.stopMeasurement()
    }

    // (d') The ceiling for (b): the same records' lines, encoded beforehand, appended 64 at a time with one
    // write(2) each and synced as the ledger syncs (fdatasync), on the caller's thread.
    let lines = records.map { $0.jsonLine() }
    let batches: [[UInt8]] = (0..<(recordPool / 64)).map { b in Array(lines[(b * 64)..<(b * 64 + 64)].joined()) }
    Benchmark(
        "Bare append of pre-encoded lines + fdatasync per 64 (lines)",
        configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 200)
    ) { benchmark in
        let directory = scratchDirectory("bare")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fd = open(directory + "/bare.jsonl", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        precondition(fd >= 0)
        defer { close(fd) }
        var i = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            i &+= 1
            if i % 64 == 0 {
                let batch = batches[(i / 64) % batches.count]
                let written = batch.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                precondition(written == batch.count && syncData(fd) == 0)
            }
        }
        if i % 64 != 0 {
            let rest = Array(lines[0..<(i % 64)].joined())
            let written = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            precondition(written == rest.count && syncData(fd) == 0)
        }
        benchmark.stopMeasurement()
    }

    // (f) The comparison of the sync-per-64 writers with the disk's load taken out: the disk here is shared, and
    // its sync latency drifts by several times within minutes, so numbers measured a minute apart compare the
    // disk's moods as much as the writers. Each sample runs every contender in a rotating order: the ledger
    // serial (caller waits, pipelined) and with 8, 16, 32 and 64 concurrent syncs, the bare ceilings (pre-encoded
    // lines, serial and with 16 and 64 syncing threads) and SQLite, 4,096 records each (64 batches of 64), and 16
    // appends + fsync of the disk itself. The teardown prints the median rate of each, the median of the
    // per-sample ratios to SQLite, and the disk's median fsync latency.
    Benchmark(
        "Interleaved: ledger serial and concurrent syncs, bare ceilings, SQLite, disk fsync (4,096 each)",
        configuration: .init(
            metrics: [.wallClock],
            timeUnits: .milliseconds,
            scalingFactor: .one,
            maxDuration: .seconds(90),
            maxIterations: 100
        )
    ) { benchmark in
        let count = interleavedCount
        let contenders = Contender.allCases
        let rotation = interleaved.withLock { $0.count } % contenders.count
        var seconds = [Double](repeating: 0, count: contenders.count)
        var cpu = [Double](repeating: 0, count: contenders.count)
        for k in 0..<contenders.count {
            let which = contenders[(k + rotation) % contenders.count]
            let cpuBefore = processCPUSeconds()
            let elapsed: Double
            switch which {
            case .callerWaits: elapsed = try timedLedger(records, count: count, acknowledge: .flushEvery(64))
            case .pipelined: elapsed = try timedLedger(records, count: count, acknowledge: .pipelined(64))
            case .concurrent8, .concurrent16, .concurrent32, .concurrent64:
                elapsed = try timedLedger(records, count: count, acknowledge: .concurrent, concurrentSyncs: which.depth)
            case .bare: elapsed = timedBare(batches, count: count)
            case .bareConcurrent16, .bareConcurrent64:
                elapsed = timedBareConcurrent(batches, count: count, threads: which.depth)
            case .sqlite: elapsed = timedSQLite(rows, count: count)
            case .fsyncProbe: elapsed = timedFsyncProbe(syncs: probeSyncs)
            }
            seconds[which.rawValue] = elapsed
            cpu[which.rawValue] = processCPUSeconds() - cpuBefore
        }
        interleaved.withLock { $0.append(seconds) }
        interleavedCPU.withLock { $0.append(cpu) }
    } teardown: {
        let samples = interleaved.withLock { $0 }
        guard !samples.isEmpty else { return }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let sqlite = Contender.sqlite.rawValue
        let cpuSamples = interleavedCPU.withLock { $0 }
        print("Interleaved, \(samples.count) samples of \(interleavedCount) records each (medians):")
        for contender in Contender.allCases where contender != .fsyncProbe {
            let i = contender.rawValue
            let rate = median(samples.map { Double(interleavedCount) / $0[i] })
            let ratio = median(samples.map { $0[sqlite] / $0[i] })
            let low = samples.map { $0[sqlite] / $0[i] }.sorted()[samples.count / 10]
            let high = samples.map { $0[sqlite] / $0[i] }.sorted()[samples.count - 1 - samples.count / 10]
            let cpuPerRecord = median(cpuSamples.map { $0[i] }) / Double(interleavedCount) * 1e6
            print(
                "  \(contender.name): \(Int(rate)) records/s, CPU \(String(format: "%.2f", cpuPerRecord)) µs/record, \(String(format: "%.2f", ratio))x SQLite "
                    + "(10th-90th percentile of the ratio \(String(format: "%.2f", low))-\(String(format: "%.2f", high)))"
            )
        }
        let probe = samples.map { $0[Contender.fsyncProbe.rawValue] * 1e6 }.sorted()
        print(
            "  \(Contender.fsyncProbe.name): median \(Int(median(probe))) µs per fsync "
                + "(10th-90th percentile \(Int(probe[probe.count / 10]))-\(Int(probe[probe.count - 1 - probe.count / 10])) µs)"
        )
    }

    // (e) Pricing a record: must not allocate.
    let table = PriceTable.builtIn
    Benchmark(
        "PriceTable.quote(for:) (quotes)",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(table.quote(for: records[i & (recordPool - 1)]))
            i &+= 1
        }
    }

    // Encoding alone, into one reused buffer: no allocation, the cost the ledger's writer pays per record.
    Benchmark(
        "CostRecord.encodeJSONLine(into:) a reused buffer (records)",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { buffer.deallocate() }
        var i = 0
        var total = 0
        records.withUnsafeBufferPointer { records in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                total &+= records[i & (recordPool - 1)].encodeJSONLine(into: buffer) ?? 0
                i &+= 1
            }
            benchmark.stopMeasurement()
        }
        blackHole(total)
    }

    // Encoding alone through the public API (one array per line; the writer encodes into its buffer instead).
    Benchmark(
        "CostRecord.jsonLine() encode (records)",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(records[i & (recordPool - 1)].jsonLine())
            i &+= 1
        }
    }
}
