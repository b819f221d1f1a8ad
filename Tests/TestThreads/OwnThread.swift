import Attribution
import Dispatch
import Foundation

/// Runs `body` on a thread of its own and suspends until it returns. A blocking wait (a child's exit, a read of its
/// output, a poll with sleeps) run this way holds no thread of the test pool. The pool has as many threads as the
/// machine has cores (two here); blocking waits that hold them all starve every other test, the one that would end
/// those waits included: under ThreadSanitizer 12 tests never finished that way.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A thread started at once, whose result a test collects later with `value`: for work that must go on whatever
/// this test's task is waiting for (killing a child process on time, say).
public final class OwnThread<T: Sendable>: Sendable {
    private let result = Lock<Result<T, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    public init(_ body: @escaping @Sendable () throws -> T) {
        Thread { self.finish(Result { try body() }) }.start()
    }

    private func finish(_ outcome: Result<T, any Error>) {
        result.withLock { $0 = outcome }
        finished.signal()
    }

    /// The body's result, once it returned; waits on a thread of its own.
    public var value: T {
        get async throws {
            try await onOwnThread {
                self.finished.wait()
                self.finished.signal()
                return try self.result.withLock { $0 }!.get()
            }
        }
    }
}
