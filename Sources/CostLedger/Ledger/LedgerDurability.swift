/// How far a JSON Lines ledger goes to make records survive a crash. A set that may grow.
///
/// | setting | a batch is written | survives a process crash | survives power loss |
/// |---|---|---|---|
/// | ``none`` | at the flush interval, when half the buffer (or 4 MiB) is used, on `flush()`/`close()` | what was written | no guarantee |
/// | ``flush`` | as soon as ``JSONLinesLedger/Configuration/batchRecords`` records wait (and at the interval) | every record a returned `flush()` covers | no guarantee |
/// | ``fsync`` | as for ``flush``, then `fsync(2)` | as ``flush`` | every record a returned `flush()` covers |
/// | ``fsync(concurrentSyncs:)`` | as for ``fsync``, each batch with its own sync, several syncs in flight | as ``flush`` | every record ``JSONLinesLedger/Stats/durableRecords`` counts |
public struct LedgerDurability: Sendable, Hashable, CustomStringConvertible {
    private enum Base: Sendable, Hashable {
        case none
        case flush
        case fsync(Int)
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// The most syncs ``fsync(concurrentSyncs:)`` keeps in flight.
    public static let maxConcurrentSyncs = 64

    /// Buffer until the interval elapses or the buffer is half full (or holds 4 MiB); never `fsync`. Fastest; a crash loses
    /// what is buffered.
    public static let none = LedgerDurability(.none)
    /// Write each batch with one `write(2)` as soon as it is complete: a process crash loses at most the
    /// incomplete batch.
    public static let flush = LedgerDurability(.flush)
    /// As ``flush``, and `fsync(2)` after each batch write (and on `flush()` and `close()`), one sync at a time.
    public static let fsync = LedgerDurability(.fsync(1))

    /// As ``fsync``: every batch of ``JSONLinesLedger/Configuration/batchRecords`` records is written with one
    /// `write(2)` and made durable by a sync of its own; but up to `concurrentSyncs` batches' syncs are in flight
    /// at once, on a pool of syncing threads, so the disk's sync latency is overlapped instead of paid once per
    /// batch in turn.
    ///
    /// Batches are still written in order, by one thread at a time. A record counts as durable
    /// (``JSONLinesLedger/Stats/durableRecords``, ``JSONLinesLedger/waitUntilDurable(records:timeout:)``,
    /// ``JSONLinesLedger/flush()``) only once its own batch's sync **and the syncs of every batch before it** have
    /// returned: the durable count is the longest prefix of batches whose syncs all completed. At most
    /// `concurrentSyncs` syncs are in flight and at most 4 × `concurrentSyncs` batches are written and not yet
    /// durable; the next batch waits for room, and the buffer fills meanwhile under the ``LedgerBufferPolicy``. A
    /// failed sync is reported (``JSONLinesLedger/Stats/writeErrors``, and the waits throw); the file is then
    /// trusted no further: every batch not yet durable is written again to a new file and synced there.
    ///
    /// ```swift
    /// configuration.durability = .fsync(concurrentSyncs: 8)
    /// ```
    /// - Parameter concurrentSyncs: the most syncs in flight, 1 … ``maxConcurrentSyncs`` (clamped); 1 is ``fsync``.
    public static func fsync(concurrentSyncs: Int) -> LedgerDurability {
        LedgerDurability(.fsync(min(max(1, concurrentSyncs), maxConcurrentSyncs)))
    }

    /// How many batch syncs may be in flight at once: 1 for ``fsync``, the setting's depth for
    /// ``fsync(concurrentSyncs:)``, 0 when nothing is synced.
    public var concurrentSyncs: Int {
        if case .fsync(let depth) = base { return depth }
        return 0
    }

    /// Whether batches are synced.
    var syncs: Bool { concurrentSyncs > 0 }

    /// The setting's name: `none`, `flush`, `fsync`, `fsync(concurrentSyncs: 8)`.
    public var description: String {
        switch base {
        case .none: return "none"
        case .flush: return "flush"
        case .fsync(1): return "fsync"
        case .fsync(let depth): return "fsync(concurrentSyncs: \(depth))"
        }
    }
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
