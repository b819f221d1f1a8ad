// A writer process for the ledger's crash test: appends records to a ledger directory until it is killed,
// printing each record id to stdout only after the flush that covers it has returned (an acknowledgement).
//
// Usage: ledger-crash-writer DIRECTORY PREFIX
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
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { return }
        offset += n
    }
}

guard arguments.count == 3 else {
    emit("usage: ledger-crash-writer DIRECTORY PREFIX\n", to: 2)
    exit(64)
}

var configuration = JSONLinesLedger.Configuration(directory: arguments[1])
configuration.durability = .flush
configuration.flushInterval = .milliseconds(5)
configuration.batchRecords = 8
do {
    let ledger = try JSONLinesLedger(configuration: configuration)
    var n = 0
    while true {
        var ids: [String] = []
        for _ in 0..<Int.random(in: 1...6) {
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
        try ledger.flush()
        emit(ids.map { $0 + "\n" }.joined(), to: 1)
    }
} catch {
    emit("ledger-crash-writer: \(error)\n", to: 2)
    exit(1)
}
