import Attribution
import Foundation
import SQLiteJobQueue

/// A directory under the system's temporary directory, unique per test, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sqlite-job-queue-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of a database file in this directory.
    func database(_ name: String = "jobs.sqlite") -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a fresh queue in a fresh temporary directory, removed afterwards.
func withQueue<T>(
    configuration: SQLiteJobQueue.Configuration = .init(synchronous: .normal),
    _ body: (SQLiteJobQueue, TemporaryDirectory) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let queue = try SQLiteJobQueue(path: directory.database(), configuration: configuration)
    return try await body(queue, directory)
}

/// A fixed instant, plus `ms` milliseconds.
func at(_ ms: Int64) -> UTCTimestamp { UTCTimestamp(millisecondsSinceEpoch: 1_764_000_000_000 + ms) }

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Runs `body` on a thread of its own and suspends until it returns. A blocking wait (a child's exit, a read of its
/// output, a poll with sleeps) run this way holds no thread of the test pool. The pool has as many threads as the
/// machine has cores (two here); blocking waits that hold them all starve every other test, the one that would end
/// those waits included: under ThreadSanitizer 12 tests never finished that way.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A thread started at once, whose result a test collects later with `value`: for work that must go on whatever
/// this test's task is waiting for (killing a child process on time, say).
final class OwnThread<T: Sendable>: Sendable {
    private let result = Lock<Result<T, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread { self.finish(Result { try body() }) }.start()
    }

    private func finish(_ outcome: Result<T, any Error>) {
        result.withLock { $0 = outcome }
        finished.signal()
    }

    /// The body's result, once it returned; waits on a thread of its own.
    var value: T {
        get async throws {
            try await onOwnThread {
                self.finished.wait()
                self.finished.signal()
                return try self.result.withLock { $0 }!.get()
            }
        }
    }
}
