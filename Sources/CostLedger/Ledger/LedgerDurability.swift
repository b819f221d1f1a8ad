/// How far a JSON Lines ledger goes to make records survive a crash. A set that may grow.
///
/// | setting | a batch is written | survives a process crash | survives power loss |
/// |---|---|---|---|
/// | ``none`` | at the flush interval, when half the buffer (or 4 MiB) is used, on `flush()`/`close()` | what was written | no guarantee |
/// | ``flush`` | as soon as ``JSONLinesLedger/Configuration/batchRecords`` records wait (and at the interval) | every record a returned `flush()` covers | no guarantee |
/// | ``fsync`` | as for ``flush``, then `fsync(2)` | as ``flush`` | every record a returned `flush()` covers |
public struct LedgerDurability: Sendable, Hashable, CustomStringConvertible {
    private enum Base: String, Sendable, Hashable {
        case none
        case flush
        case fsync
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Buffer until the interval elapses or the buffer is half full (or holds 4 MiB); never `fsync`. Fastest; a crash loses
    /// what is buffered.
    public static let none = LedgerDurability(.none)
    /// Write each batch with one `write(2)` as soon as it is complete: a process crash loses at most the
    /// incomplete batch.
    public static let flush = LedgerDurability(.flush)
    /// As ``flush``, and `fsync(2)` after each batch write (and on `flush()` and `close()`).
    public static let fsync = LedgerDurability(.fsync)

    /// The setting's name.
    public var description: String { base.rawValue }
}

/// What `write(_:)` does when the ledger's buffer is full. A set that may grow.
public struct LedgerBufferPolicy: Sendable, Hashable, CustomStringConvertible {
    private enum Base: Sendable, Hashable {
        case block(Duration)
        case drop
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Wait for the background flusher to make room, at most `timeout`; then refuse the record with
    /// ``CostLedgerError/Code/bufferFull`` (and count it in ``JSONLinesLedger/Stats/droppedRecords``).
    public static func block(timeout: Duration) -> LedgerBufferPolicy { LedgerBufferPolicy(.block(timeout)) }

    /// Drop the record without waiting and count it in ``JSONLinesLedger/Stats/droppedRecords``: the model
    /// call is never held up by the disk.
    public static let dropAndCount = LedgerBufferPolicy(.drop)

    /// How long `write(_:)` may wait for room; nil when it never waits.
    public var blockTimeout: Duration? {
        if case .block(let timeout) = base { return timeout }
        return nil
    }

    public var description: String {
        switch base {
        case .block(let timeout): return "block(\(timeout))"
        case .drop: return "dropAndCount"
        }
    }
}
