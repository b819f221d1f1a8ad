// Public imports: `Lock` is `@usableFromInline` so that its `@inlinable` members inline into the other modules (a
// `package` type's are not inlined across modules otherwise, with Swift 6.3.1), and inlinable code may name only
// what a public import brings (`Mutex`, and `NSLock` in sanitizer builds). Neither appears in the public API.
public import Synchronization

#if SANITIZER_LOCKS
public import Foundation
#endif

/// The package's one lock: a value that threads read and change only inside ``withLock(_:)``.
///
/// In ordinary builds it is `Synchronization.Mutex` and nothing more. ThreadSanitizer on Linux does not see
/// `Mutex`, which waits on a futex that the sanitizer does not intercept, so under `--sanitize=thread` every
/// section guarded by a `Mutex` is reported as a race while the program is correct. Builds compiled with
/// `-D SANITIZER_LOCKS` (`.ci/sanitizers.sh` passes it; Swift has no `#if` that detects a sanitizer) also hold an
/// `NSLock`, a pthread mutex that the sanitizer intercepts, around the `Mutex`: the sanitizer then sees each
/// section's happens-before edges, and what it still reports is a real race. docs/reliability.md ("Sanitizers") has
/// the commands.
///
/// Use it wherever code would use `Mutex`, with the same spelling: `Lock(value)`, `withLock { value in ... }`.
@usableFromInline package struct Lock<Value: ~Copyable>: ~Copyable, Sendable {
    @usableFromInline let mutex: Mutex<Value>
    #if SANITIZER_LOCKS
    @usableFromInline let sanitizerVisible = NSLock()
    #endif

    /// A lock guarding `initialValue`.
    @inlinable
    package init(_ initialValue: consuming sending Value) {
        mutex = Mutex(initialValue)
    }

    /// Runs `body` with the value while holding the lock, and returns what it returns.
    @inlinable
    package borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        #if SANITIZER_LOCKS
        sanitizerVisible.lock()
        defer { sanitizerVisible.unlock() }
        #endif
        return try mutex.withLock(body)
    }

    /// Runs `body` with the value if the lock is free, without waiting; nil when another thread holds it.
    @inlinable
    package borrowing func withLockIfAvailable<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result? {
        #if SANITIZER_LOCKS
        guard sanitizerVisible.try() else { return nil }
        defer { sanitizerVisible.unlock() }
        #endif
        return try mutex.withLockIfAvailable(body)
    }
}
