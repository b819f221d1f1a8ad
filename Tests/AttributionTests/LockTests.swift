import Attribution
import Dispatch
import Foundation
import Testing

/// A count shared by the threads of a test, behind the package's lock, and what a thread saw of it.
private final class SharedCount: Sendable {
    let count = Lock(0)
    let seen = Lock<Int??>(nil)
}

/// Runs `body` on `threads` new threads at once and returns when every one has finished.
private func onThreads(_ threads: Int, _ body: @escaping @Sendable () -> Void) {
    let finished = DispatchGroup()
    for _ in 0..<threads {
        finished.enter()
        Thread {
            body()
            finished.leave()
        }
        .start()
    }
    finished.wait()
}

@Suite("The package's lock: every section runs alone, in ordinary and in sanitizer builds")
struct LockTests {
    @Test("four threads adding 1 a hundred thousand times each under the lock count exactly 400,000")
    func exactCountUnderContention() {
        let shared = SharedCount()
        onThreads(4) {
            for _ in 0..<100_000 {
                // A read and a write apart, so an unguarded section would lose increments.
                shared.count.withLock { count in
                    let seen = count
                    count = seen + 1
                }
            }
        }
        #expect(shared.count.withLock { $0 } == 400_000)
    }

    @Test("withLockIfAvailable gives nil while another thread holds the lock and the value once it is free")
    func ifAvailableDoesNotWait() {
        let shared = SharedCount()
        shared.count.withLock { count in
            count = 7
            onThreads(1) {
                let seen = shared.count.withLockIfAvailable { $0 }
                shared.seen.withLock { $0 = .some(seen) }
            }
        }
        #expect(shared.seen.withLock { $0 } == .some(nil))
        #expect(shared.count.withLockIfAvailable { $0 } == 7)
    }
}
