// A writer process for the ledger's crash tests and `.ci/kill-loop.sh`: appends records to a ledger directory
// until it is killed, printing each record id to stdout only once the ledger reports it durable (an
// acknowledgement); and the check that follows the kills.
//
// Usage: ledger-crash-writer DIRECTORY PREFIX [MODE] [--day-ms N]
//        ledger-crash-writer verify DIRECTORY ACKNOWLEDGEMENTS...
//        ledger-crash-writer fill DIRECTORY MODE [--fsize BYTES] [--free PATH]
//
// MODE `flush` (the default), `none` or `fsync`: that durability, a `flush()` after every few records, each record
// acknowledged once the `flush()` covering it returned. MODE `concurrent`: durability
// `.fsync(concurrentSyncs: 8)`, batches handed over with `requestFlush()` without waiting, each acknowledged once
// `stats.durableRecords` covers it, so that several syncs are in flight when the process is killed.
// `--day-ms N`: the writer's clock runs a UTC day ahead every N milliseconds, so that the file rotates daily
// while it is killed.
//
// `verify` reads the ledger and the acknowledgement files (stdout of killed writers; a last line without its `\n`
// was never acknowledged) and checks that every acknowledged record is in the ledger exactly once and no record
// is there twice; the ledger's torn lines are reported with file and line, not fatal. It prints one summary line
// and exits 1 when a check fails.
//
// `fill` runs out of room on purpose: under a file-size limit of BYTES (`RLIMIT_FSIZE`, with `SIGXFSZ` ignored so
// that a write past it fails with `EFBIG` instead of killing the process), or on a small file system that the
// caller filled (`ENOSPC`; `--free PATH` removes PATH after the first failed flush, giving the room back). It
// writes 20 batches `fill-B-0` … `fill-B-7`, flushing after each, prints `ok B` or `error B: …` for each flush,
// then closes (`closed`, or `close error: …`) and prints the writer's counts: `stats accepted=… durable=…
// dropped=… pending=… write_errors=… files=…` and `last error: …` when a write failed. (A batch the background
// flusher wrote may fail and be written again before the caller's flush looks: then only the counts tell.)
import Attribution
import CostLedger
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` to a file descriptor unbuffered, so an acknowledgement is out before the next record.
func emit(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = unsafe bytes.withUnsafeMutableBytes { unsafe write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { return }
        offset += n
    }
}

let usage = """
    usage: ledger-crash-writer DIRECTORY PREFIX [none|flush|fsync|concurrent] [--day-ms N]
           ledger-crash-writer verify DIRECTORY ACKNOWLEDGEMENTS...
           ledger-crash-writer fill DIRECTORY [none|flush|fsync|concurrent] [--fsize BYTES] [--free PATH]

    """

/// A clock that runs a UTC day ahead every `dayMilliseconds` of real time.
struct FastDayClock: AttributionClock {
    let start = UTCTimestamp.now()
    let dayMilliseconds: Int64

    func now() -> UTCTimestamp {
        let real = UTCTimestamp.now()
        let elapsed = (real.nanosecondsSinceEpoch - start.nanosecondsSinceEpoch) / 1_000_000
        return UTCTimestamp(
            millisecondsSinceEpoch: real.millisecondsSinceEpoch + elapsed / dayMilliseconds * 86_400_000
        )
    }
}

/// The whole of a file's bytes, or nil when it cannot be read.
func contents(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { Array($0) }
}

/// `verify DIRECTORY ACKNOWLEDGEMENTS...`: the exit status.
func verify(_ directory: String, _ acknowledgementFiles: [String]) -> Int32 {
    var acknowledged: [String] = []
    for file in acknowledgementFiles {
        guard let bytes = contents(file) else {
            emit("error: \(file): cannot read the acknowledgements\n", to: 2)
            return 1
        }
        // Only lines with their `\n`: a write of acknowledgements cut by the kill acknowledged nothing.
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        acknowledged += lines.map { String(decoding: $0, as: UTF8.self) }
    }
    var counts: [String: Int] = [:]
    let stats: LedgerReadStats
    do {
        stats = try LedgerReader(path: directory).read { record, _ in counts[record.recordID, default: 0] += 1 }
    } catch {
        emit("error: \(directory): \(error)\n", to: 2)
        return 1
    }
    let missing = acknowledged.filter { counts[$0, default: 0] == 0 }
    let duplicated = counts.filter { $0.value > 1 }
    // Written and read back but never acknowledged: the writer was killed between the write and the ack.
    let unacknowledged = counts.count - Set(acknowledged).count
    emit(
        "verify: \(stats.files) files, \(stats.records) records read, \(acknowledged.count) acknowledged, "
            + "\(missing.count) acknowledged missing, \(duplicated.count) duplicated, \(unacknowledged) written "
            + "but unacknowledged, \(stats.skippedLines) torn lines skipped, \(stats.invalidRecords) invalid\n",
        to: 1
    )
    for issue in stats.issues.prefix(5) { emit("  skipped: \(issue)\n", to: 1) }
    for id in missing.prefix(5) { emit("error: acknowledged record \(id) is not in the ledger\n", to: 2) }
    for (id, count) in duplicated.prefix(5) { emit("error: record \(id) is in the ledger \(count) times\n", to: 2) }
    if stats.invalidRecords > 0 { emit("error: \(stats.invalidRecords) invalid records\n", to: 2) }
    return missing.isEmpty && duplicated.isEmpty && stats.invalidRecords == 0 ? 0 : 1
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "verify" {
    guard arguments.count >= 2 else {
        emit(usage, to: 2)
        exit(64)
    }
    exit(verify(arguments[1], Array(arguments.dropFirst(2))))
}

let durabilities: [String: LedgerDurability] = [
    "none": .none, "flush": .flush, "fsync": .fsync, "concurrent": .fsync(concurrentSyncs: 8),
]

/// The value after `option` in `arguments`, removed with it; exits with the usage when it is not a positive
/// integer (or, for a path, empty).
func option(_ option: String, in arguments: inout [String]) -> String? {
    guard let index = arguments.firstIndex(of: option) else { return nil }
    guard index + 1 < arguments.count, !arguments[index + 1].isEmpty else {
        emit(usage, to: 2)
        exit(64)
    }
    defer { arguments.removeSubrange(index...(index + 1)) }
    return arguments[index + 1]
}

if arguments.first == "fill" {
    let fileSizeLimit = option("--fsize", in: &arguments).map { Int64($0) ?? 0 }
    let free = option("--free", in: &arguments)
    guard arguments.count == 3, let durability = durabilities[arguments[2]], (fileSizeLimit ?? 1) > 0 else {
        emit(usage, to: 2)
        exit(64)
    }
    if let fileSizeLimit { limitFileSize(to: fileSizeLimit) }
    var configuration = JSONLinesLedger.Configuration(directory: arguments[1])
    configuration.durability = durability
    // Written only by the flushes (and close), so that each flush's outcome is its batch's.
    configuration.flushInterval = .seconds(3600)
    configuration.batchRecords = 8
    do {
        let ledger = try JSONLinesLedger(configuration: configuration)
        var freed = false
        for batch in 0..<20 {
            for i in 0..<8 {
                try ledger.write(
                    CostRecord(
                        recordID: "fill-\(batch)-\(i)",
                        timestamp: UTCTimestamp.now(),
                        provider: "openai",
                        model: "gpt-4.1",
                        usage: TokenUsage(input: Int64(batch * 8 + i), output: 1),
                        costUSD: Money(attodollars: 1_000_000_000),
                        attribution: [.userID: "u_fill", .feature: "full-disk-test"]
                    )
                )
            }
            do {
                try ledger.flush()
                emit("ok \(batch)\n", to: 1)
            } catch {
                emit("error \(batch): \(error)\n", to: 1)
                if let free, !freed {
                    freed = true
                    try? FileManager.default.removeItem(atPath: free)
                }
            }
        }
        do {
            try ledger.close()
            emit("closed\n", to: 1)
        } catch {
            emit("close error: \(error)\n", to: 1)
        }
        let stats = ledger.stats
        emit(
            "stats accepted=\(stats.acceptedRecords) durable=\(stats.durableRecords) "
                + "dropped=\(stats.droppedRecords) pending=\(stats.pendingRecords) "
                + "write_errors=\(stats.writeErrors) files=\(stats.files)\n",
            to: 1
        )
        if let lastError = stats.lastError { emit("last error: \(lastError)\n", to: 1) }
        exit(0)
    } catch {
        emit("ledger-crash-writer: \(error)\n", to: 2)
        exit(1)
    }
}

var dayMilliseconds: Int64?
if let index = arguments.firstIndex(of: "--day-ms") {
    guard index + 1 < arguments.count, let value = Int64(arguments[index + 1]), value > 0 else {
        emit(usage, to: 2)
        exit(64)
    }
    dayMilliseconds = value
    arguments.removeSubrange(index...(index + 1))
}
let mode = arguments.count == 3 ? arguments[2] : "flush"
guard arguments.count == 2 || arguments.count == 3, let durability = durabilities[mode] else {
    emit(usage, to: 2)
    exit(64)
}
let concurrent = mode == "concurrent"

var configuration = JSONLinesLedger.Configuration(directory: arguments[0])
configuration.durability = durability
configuration.flushInterval = .milliseconds(5)
configuration.batchRecords = 8
let clock: any AttributionClock = dayMilliseconds.map { FastDayClock(dayMilliseconds: $0) } ?? SystemAttributionClock()
configuration.clock = clock
do {
    let ledger = try JSONLinesLedger(configuration: configuration)
    var n = 0
    // Under `concurrent`: ids handed over and not yet acknowledged, with the position that covers them.
    var inFlight: [(position: Int, ids: [String])] = []
    while true {
        var ids: [String] = []
        for _ in 0..<Int.random(in: 1...(concurrent ? 20 : 6)) {
            n += 1
            let id = "\(arguments[1])-\(n)"
            let record = CostRecord(
                recordID: id,
                timestamp: clock.now(),
                provider: "openai",
                model: "gpt-4.1",
                usage: TokenUsage(input: Int64(n), output: 1),
                costUSD: Money(attodollars: Int128(n) * 1_000_000_000),
                attribution: [.userID: "u_\(n % 7)", .feature: "crash-test"]
            )
            try ledger.write(record)
            ids.append(id)
        }
        guard concurrent else {
            try ledger.flush()
            emit(ids.map { $0 + "\n" }.joined(), to: 1)
            continue
        }
        inFlight.append((ledger.requestFlush(), ids))
        // Acknowledge what is durable; wait only when 16 hand-overs are unacknowledged.
        if inFlight.count >= 16 { try ledger.waitUntilDurable(records: inFlight[0].position) }
        let durable = ledger.stats.durableRecords
        var acknowledged = 0
        while acknowledged < inFlight.count, inFlight[acknowledged].position <= durable { acknowledged += 1 }
        if acknowledged > 0 {
            emit(inFlight[0..<acknowledged].flatMap(\.ids).map { $0 + "\n" }.joined(), to: 1)
            inFlight.removeFirst(acknowledged)
        }
    }
} catch {
    emit("ledger-crash-writer: \(error)\n", to: 2)
    exit(1)
}
