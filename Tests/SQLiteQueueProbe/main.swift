// A worker process for SQLiteJobQueue's cross-process tests.
//
//   sqlite-queue-probe hold DATABASE QUEUE WORKER-ID LEASE-MS
//       Claims one job (waiting up to 10 s for one), prints "claimed ID CLAIMS", then sleeps until it is
//       killed: the test SIGKILLs it while it holds the lease.
//   sqlite-queue-probe work DATABASE QUEUE WORKER-ID LEASE-MS
//       Claims and completes jobs until none is ready, printing "completed ID CLAIMS" for each, then exits.
//
// Exit status: 0 ok, 1 failure (the reason on stderr), 64 bad usage.

import Foundation
import SQLiteJobQueue

func write(_ line: String, to handle: FileHandle) {
    handle.write(Data((line + "\n").utf8))
}

func fail(_ message: String, status: Int32) -> Never {
    write("sqlite-queue-probe: \(message)", to: .standardError)
    exit(status)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 5, let leaseMs = Int64(arguments[4]), leaseMs > 0 else {
    fail("usage: sqlite-queue-probe hold|work DATABASE QUEUE WORKER-ID LEASE-MS", status: 64)
}
let (mode, path, queueName, workerID) = (arguments[0], arguments[1], arguments[2], arguments[3])
let lease = Duration.milliseconds(leaseMs)

do {
    // `.normal` survives a killed process (only a power loss could roll back the last commits).
    let queue = try SQLiteJobQueue(path: path, configuration: .init(synchronous: .normal))
    switch mode {
    case "hold":
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while true {
            if let job = try queue.claim(queue: queueName, workerID: workerID, leaseDuration: lease) {
                write("claimed \(job.id) \(job.claims)", to: .standardOutput)
                break
            }
            guard ContinuousClock.now < deadline else { fail("no job to claim within 10 s", status: 1) }
            Thread.sleep(forTimeInterval: 0.01)
        }
        // Hold the lease until killed; a probe that outlives its test gives up after a minute.
        Thread.sleep(forTimeInterval: 60)
        fail("not killed within 60 s", status: 1)
    case "work":
        while let job = try queue.claim(queue: queueName, workerID: workerID, leaseDuration: lease) {
            try queue.complete(job)
            write("completed \(job.id) \(job.claims)", to: .standardOutput)
        }
    default:
        fail("unknown mode \"\(mode)\": expected hold or work", status: 64)
    }
} catch {
    fail("\(error)", status: 1)
}
