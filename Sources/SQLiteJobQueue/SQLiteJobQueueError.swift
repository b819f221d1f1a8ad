/// The one error type of the SQLite job queue.
///
/// Every failure carries a ``code`` that callers match on and a ``reason`` in plain words. Failures that
/// come from SQLite name the statement that failed and SQLite's own message, and keep SQLite's extended
/// result code in ``sqliteResultCode``:
///
/// ```
/// sqlite: UPDATE jobs SET state = 'completed' … failed: database is locked (SQLITE_BUSY, 5)
/// ```
///
/// Two errors are equal when their codes are equal; the reason is for people.
public struct SQLiteJobQueueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. A set that may grow: match with `==`, never exhaustively.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case sqlite
            case busy
            case invalidState = "invalid_state"
            case leaseLost = "lease_lost"
            case jobNotFound = "job_not_found"
            case invalidArgument = "invalid_argument"
            case payloadTooLarge = "payload_too_large"
            case unsupportedSchema = "unsupported_schema"
            case journalMode = "journal_mode"
            case corruptRow = "corrupt_row"
            case timedOut = "timed_out"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// SQLite refused a call: opening the file, preparing or running a statement. The reason names
        /// the statement and SQLite's message; ``SQLiteJobQueueError/sqliteResultCode`` holds its code.
        public static let sqlite = Code(.sqlite)
        /// Another connection held the database's write lock for longer than
        /// ``SQLiteJobQueue/Configuration/busyTimeout`` (`SQLITE_BUSY` or `SQLITE_LOCKED`). Nothing was
        /// changed; the call may be retried.
        public static let busy = Code(.busy)
        /// The job is not in a state the call applies to (requeuing a completed job, say).
        public static let invalidState = Code(.invalidState)
        /// The caller no longer holds the job's lease: another worker claimed it after the lease expired,
        /// or the job already left the `claimed` state. Nothing was changed.
        public static let leaseLost = Code(.leaseLost)
        /// No job has the given id.
        public static let jobNotFound = Code(.jobNotFound)
        /// An argument is out of range: an empty or over-long queue name or worker id, a non-positive
        /// lease, a `maxAttempts` below 1.
        public static let invalidArgument = Code(.invalidArgument)
        /// A payload is larger than the queue's configured limit.
        public static let payloadTooLarge = Code(.payloadTooLarge)
        /// The database file holds a schema version this library does not know.
        public static let unsupportedSchema = Code(.unsupportedSchema)
        /// SQLite would not switch the database to write-ahead logging (an in-memory or read-only file).
        public static let journalMode = Code(.journalMode)
        /// A row read back from the database breaks the schema's rules (written by something else).
        public static let corruptRow = Code(.corruptRow)
        /// A wait gave up before its condition held.
        public static let timedOut = Code(.timedOut)

        /// The code's stable snake_case name.
        public var name: String { base.rawValue }
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming what failed and why.
    public let reason: String
    /// SQLite's extended result code, when SQLite reported the failure.
    public let sqliteResultCode: Int32?

    /// Creates an error.
    /// - Parameters:
    ///   - code: what kind of failure this is.
    ///   - reason: what failed, naming the statement, argument or value at fault.
    ///   - sqliteResultCode: SQLite's extended result code, when SQLite reported the failure.
    public init(_ code: Code, reason: String, sqliteResultCode: Int32? = nil) {
        self.code = code
        self.reason = reason
        self.sqliteResultCode = sqliteResultCode
    }

    public var description: String { "\(code): \(reason)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
