import CSQLite

/// A raw SQLite connection, for tests that play another writer: holding the write lock, or writing rows
/// this library would never write.
// @safe: a test helper owning its SQLite handle from init to deinit.
@safe final class RawSQLite {
    private let handle: OpaquePointer

    init(path: String) throws {
        var db: OpaquePointer?
        guard unsafe sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let db = unsafe db else {
            throw RawSQLiteError(message: "cannot open \(path)")
        }
        unsafe handle = unsafe db
    }

    deinit { unsafe sqlite3_close_v2(handle) }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard unsafe sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            let text = unsafe message.map { unsafe String(cString: $0) } ?? "unknown error"
            unsafe sqlite3_free(message)
            throw RawSQLiteError(message: "\(sql): \(text)")
        }
    }
}

struct RawSQLiteError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
