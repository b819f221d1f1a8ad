public import Attribution

extension SQLiteJobQueue {
    /// How the queue opens its database and the defaults it applies.
    public struct Configuration: Sendable {
        /// SQLite's `PRAGMA synchronous` setting: how often it waits for the disk.
        public var synchronous: Synchronous
        /// How long a statement waits for another connection's write lock before failing with
        /// `SQLITE_BUSY` (SQLite's `busy_timeout`). Several processes share one file safely as long as
        /// no transaction outlasts it; the queue's transactions last milliseconds.
        public var busyTimeout: Duration
        /// The `maxAttempts` of jobs enqueued without one.
        public var defaultMaxAttempts: Int
        /// The largest payload accepted, in bytes. A stored payload above it (written by something else)
        /// is never handed to a worker: its job goes dead.
        public var maxPayloadBytes: Int
        /// Where the current time comes from when a call passes no `now`.
        public var clock: any AttributionClock

        /// Creates a configuration.
        /// - Parameters:
        ///   - synchronous: SQLite's `synchronous` setting; `.full` by default, so a committed claim,
        ///     completion or enqueue survives a power loss.
        ///   - busyTimeout: how long to wait for another connection's lock; 5 seconds by default.
        ///   - defaultMaxAttempts: the claims a job may have when enqueued without a limit; 5 by default.
        ///   - maxPayloadBytes: the largest payload accepted; 1 MiB by default.
        ///   - clock: the time source; the system clock by default.
        public init(
            synchronous: Synchronous = .full,
            busyTimeout: Duration = .seconds(5),
            defaultMaxAttempts: Int = 5,
            maxPayloadBytes: Int = 1 << 20,
            clock: any AttributionClock = SystemAttributionClock()
        ) {
            self.synchronous = synchronous
            self.busyTimeout = busyTimeout
            self.defaultMaxAttempts = defaultMaxAttempts
            self.maxPayloadBytes = maxPayloadBytes
            self.clock = clock
        }
    }

    /// SQLite's `PRAGMA synchronous` levels. In WAL mode, `.normal` may lose the last commits on a power
    /// loss (never on a process crash) and `.full` loses none.
    public struct Synchronous: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case off = "OFF"
            case normal = "NORMAL"
            case full = "FULL"
            case extra = "EXTRA"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No `fsync`: fastest; an OS crash or power loss may corrupt the file. For throwaway tests only.
        public static let off = Synchronous(.off)
        /// `fsync` at checkpoints only: a power loss may roll back the last commits.
        public static let normal = Synchronous(.normal)
        /// `fsync` at every commit: a committed transaction is durable.
        public static let full = Synchronous(.full)
        /// `.full`, and the directory is synced too after the WAL file is created or deleted.
        public static let extra = Synchronous(.extra)

        /// The pragma's value as SQLite spells it.
        public var name: String { base.rawValue }
        public var description: String { base.rawValue }
    }
}
