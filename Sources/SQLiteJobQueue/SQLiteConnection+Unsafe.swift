internal import CSQLite

// The job queue's whole boundary with SQLite's C API, and nothing else. What keeps it safe: each
// `SQLiteConnection` owns one `sqlite3*` (opened in `init`, closed in `deinit` with `sqlite3_close_v2`, which
// defers the close until its statements are finalized) and each `SQLiteStatement` one `sqlite3_stmt*`
// (finalized in `deinit`); neither handle is used past its owner's life. A connection is used by one thread at
// a time (the queue's `Lock`). Bound strings and blobs are copied by SQLite before the bind returns
// (`SQLITE_TRANSIENT`), so the Swift buffers lent to it need only live for the call; column text and blobs are
// copied into Swift values at once, before the statement steps again.

/// SQLite's `SQLITE_TRANSIENT` destructor: SQLite copies bound bytes before the bind call returns.
/// The C macro is a cast of -1 to a function pointer, which Swift cannot import.
private let transientDestructor = unsafe csqlite_transient()

/// One SQLite connection and its prepared-statement cache.
///
/// Not thread-safe by itself: ``SQLiteJobQueue`` keeps each connection behind a `Lock`, so one thread
/// at a time uses it. The connection is also opened with `SQLITE_OPEN_FULLMUTEX`, so a misuse would be
/// serialized by SQLite rather than corrupt memory.
// @safe: the SQLite handle is owned by this object: opened in init, closed in deinit, used under its lock.
@safe final class SQLiteConnection {
    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database file at `path`.
    init(path: String, busyTimeoutMilliseconds: Int32) throws(SQLiteJobQueueError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = unsafe sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db = unsafe db else {
            let message =
                unsafe db.map { unsafe String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db = unsafe db { unsafe sqlite3_close_v2(db) }
            throw SQLiteJobQueueError(
                .sqlite,
                reason: "cannot open database \(Self.quote(path)): \(message) (\(rc))",
                sqliteResultCode: rc
            )
        }
        unsafe handle = unsafe db
        unsafe sqlite3_extended_result_codes(db, 1)
        unsafe sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit {
        // Statements must be finalized before the connection closes; `close_v2` would defer the close
        // otherwise, but finalizing first releases the file at once.
        statements.removeAll()
        unsafe sqlite3_close_v2(handle)
    }

    /// A prepared statement for `sql`, reset and with its bindings cleared, from the cache when it was
    /// prepared before.
    func prepare(_ sql: String) throws(SQLiteJobQueueError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var statement: OpaquePointer?
        let rc = unsafe sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement = unsafe statement else {
            throw error(rc, sql: sql)
        }
        let prepared = unsafe SQLiteStatement(handle: statement, sql: sql, connection: self)
        statements[sql] = prepared
        return prepared
    }

    /// Runs one or more statements that return no rows the caller needs (DDL, `BEGIN`, `COMMIT`).
    func execute(_ sql: String) throws(SQLiteJobQueueError) {
        let rc = unsafe sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front (waiting up to the
    /// busy timeout), so two processes never both read a job as available and then race to update it.
    /// Commits when `body` returns, rolls back when it throws.
    func immediateTransaction<T>(
        _ body: () throws(SQLiteJobQueueError) -> T
    ) throws(SQLiteJobQueueError) -> T {
        try execute("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
            resetAll()
            try execute("COMMIT")
        } catch {
            // A failed COMMIT may leave the transaction open; ROLLBACK closes it. Its own failure (no
            // transaction left) changes nothing for the caller, who gets the first error.
            unsafe sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
            throw error
        }
        return result
    }

    /// Resets every cached statement, so none keeps a read snapshot open between calls: in WAL mode a
    /// statement left mid-result would pin an old snapshot, and a later `BEGIN IMMEDIATE` on it would fail
    /// with `SQLITE_BUSY_SNAPSHOT`.
    func resetAll() {
        for statement in statements.values { statement.reset() }
    }

    /// The number of rows the last `INSERT`, `UPDATE` or `DELETE` changed.
    var changes: Int64 { unsafe Int64(sqlite3_changes64(handle)) }

    /// The rowid of the last successful `INSERT`.
    var lastInsertRowID: Int64 { unsafe sqlite3_last_insert_rowid(handle) }

    /// An error naming the statement and SQLite's message.
    func error(_ rc: Int32, sql: String) -> SQLiteJobQueueError {
        let message = unsafe String(cString: sqlite3_errmsg(handle))
        let code = unsafe sqlite3_extended_errcode(handle)
        let resultCode = code != SQLITE_OK ? code : rc
        let primary = resultCode & 0xFF
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED {
            return SQLiteJobQueueError(
                .busy,
                reason: "\(Self.summarize(sql)) failed: \(message) (\(resultCode)): another connection held "
                    + "the write lock for longer than the busy timeout",
                sqliteResultCode: resultCode
            )
        }
        return SQLiteJobQueueError(
            .sqlite,
            reason: "\(Self.summarize(sql)) failed: \(message) (\(resultCode))",
            sqliteResultCode: resultCode
        )
    }

    /// The first line of a statement, shortened, for error messages.
    static func summarize(_ sql: String) -> String {
        let collapsed = sql.split(whereSeparator: { $0 == "\n" || $0 == " " }).joined(separator: " ")
        if collapsed.count <= 72 { return collapsed }
        return String(collapsed.prefix(72)) + "…"
    }

    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars.prefix(200) {
            if scalar == "\"" || scalar == "\\" {
                out += "\\"
                out.unicodeScalars.append(scalar)
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if value.unicodeScalars.count > 200 { out += "…" }
        return out + "\""
    }
}

/// A prepared statement owned by one ``SQLiteConnection``.
///
/// Binding indexes start at 1 and column indexes at 0, as in SQLite's C API.
// @safe: the statement handle is owned by this object, finalized in deinit, used only by its connection.
@safe final class SQLiteStatement {
    let handle: OpaquePointer
    let sql: String
    private unowned let connection: SQLiteConnection

    init(handle: OpaquePointer, sql: String, connection: SQLiteConnection) {
        unsafe self.handle = unsafe handle
        self.sql = sql
        self.connection = connection
    }

    deinit { unsafe sqlite3_finalize(handle) }

    /// Makes the statement ready to run again with new bindings.
    func reset() {
        unsafe sqlite3_reset(handle)
        unsafe sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: Int64) throws(SQLiteJobQueueError) {
        unsafe try check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(_ index: Int32, _ value: Int64?) throws(SQLiteJobQueueError) {
        guard let value else { return unsafe try check(sqlite3_bind_null(handle, index)) }
        unsafe try check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(_ index: Int32, _ value: String?) throws(SQLiteJobQueueError) {
        guard let value else { return unsafe try check(sqlite3_bind_null(handle, index)) }
        // Bound with an explicit length, so a string holding U+0000 is stored whole.
        var utf8 = Array(value.utf8)
        if utf8.isEmpty { utf8.append(0) }  // a non-null pointer for the empty string
        let count = UInt64(value.utf8.count)
        let rc = unsafe utf8.withUnsafeBufferPointer { buffer in
            unsafe buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                unsafe sqlite3_bind_text64(handle, index, $0, count, transientDestructor, UInt8(SQLITE_UTF8))
            }
        }
        try check(rc)
    }

    func bind(_ index: Int32, blob: [UInt8]) throws(SQLiteJobQueueError) {
        // SQLite binds NULL for a null pointer, and an empty array may have none: bind a zero-length blob.
        if blob.isEmpty { return unsafe try check(sqlite3_bind_zeroblob(handle, index, 0)) }
        let rc = unsafe blob.withUnsafeBytes { bytes in
            unsafe sqlite3_bind_blob64(handle, index, bytes.baseAddress, UInt64(bytes.count), transientDestructor)
        }
        try check(rc)
    }

    /// Runs the statement one step. Returns `true` when a row is ready to read, `false` when it is done.
    @discardableResult
    func step() throws(SQLiteJobQueueError) -> Bool {
        let rc = unsafe sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc, sql: sql)
        }
    }

    func isNull(_ column: Int32) -> Bool { unsafe sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { unsafe sqlite3_column_int64(handle, column) }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    func text(_ column: Int32) -> String? {
        guard let pointer = unsafe sqlite3_column_text(handle, column) else { return nil }
        let count = unsafe Int(sqlite3_column_bytes(handle, column))
        return unsafe String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// The byte length of a blob or text column, without copying it.
    func byteCount(_ column: Int32) -> Int { unsafe Int(sqlite3_column_bytes(handle, column)) }

    func blob(_ column: Int32) -> [UInt8] {
        guard let pointer = unsafe sqlite3_column_blob(handle, column) else { return [] }
        let count = unsafe Int(sqlite3_column_bytes(handle, column))
        return unsafe Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private func check(_ rc: Int32) throws(SQLiteJobQueueError) {
        guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
    }
}
