#include <sqlite3.h>

/// SQLITE_TRANSIENT ("copy the bytes before the bind call returns"): a macro casting -1 to a function pointer,
/// which Swift cannot import. Made here in C, where the cast is SQLite's own documented idiom.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
