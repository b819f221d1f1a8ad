// A writer process for the ledger's crash test: appends records to a ledger directory until it is killed,
// printing each record id to stdout only once the ledger reports it durable (an acknowledgement).
//
// Usage: ledger-crash-writer DIRECTORY PREFIX [MODE]
//
// MODE `flush` (the default): durability `.flush`, a `flush()` after every few records, acknowledged when it
// returns. MODE `concurrent`: durability `.fsync(concurrentSyncs: 8)`, batches handed over with `requestFlush()`
// without waiting, each acknowledged once `stats.durableRecords` covers it, so that several syncs are in flight
// when the process is killed.
import Attribution
import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

let arguments = CommandLine.arguments
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

let mode = arguments.count == 4 ? arguments[3] : "flush"
guard arguments.count == 3 || arguments.count == 4, mode == "flush" || mode == "concurrent" else {
    emit("usage: ledger-crash-writer DIRECTORY PREFIX [flush|concurrent]\n", to: 2)
    exit(64)
}
let concurrent = mode == "concurrent"

var configuration = JSONLinesLedger.Configuration(directory: arguments[1])
configuration.durability = concurrent ? .fsync(concurrentSyncs: 8) : .flush
configuration.flushInterval = .milliseconds(5)
configuration.batchRecords = 8
do {
    let ledger = try JSONLinesLedger(configuration: configuration)
    var n = 0
    // Under `concurrent`: ids handed over and not yet acknowledged, with the position that covers them.
    var inFlight: [(position: Int, ids: [String])] = []
    while true {
        var ids: [String] = []
        for _ in 0..<Int.random(in: 1...(concurrent ? 20 : 6)) {
            n += 1
            let id = "\(arguments[2])-\(n)"
            let record = CostRecord(
                recordID: id,
                timestamp: UTCTimestamp.now(),
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
