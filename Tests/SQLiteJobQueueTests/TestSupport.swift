import Attribution
import Foundation
import SQLiteJobQueue
// `onOwnThread` and `OwnThread`, for every file of this target.
@_exported import TestThreads

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
