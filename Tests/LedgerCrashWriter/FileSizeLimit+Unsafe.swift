#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The process's file-size limit, for `ledger-crash-writer fill`. What keeps it safe: `setrlimit(2)` reads one
// `rlimit` value that lives on this function's stack for the call; nothing else is passed by address.

/// Limits every file this process writes to `bytes` (`RLIMIT_FSIZE`) and ignores `SIGXFSZ`, so that a write past
/// the limit fails with `EFBIG` instead of killing the process.
func limitFileSize(to bytes: Int64) {
    var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
    #if canImport(Glibc)
    let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
    #else
    let resource = RLIMIT_FSIZE
    #endif
    guard unsafe setrlimit(resource, &limit) == 0 else {
        emit("ledger-crash-writer: setrlimit(RLIMIT_FSIZE) failed (errno \(errno))\n", to: 2)
        exit(1)
    }
    _ = signal(SIGXFSZ, SIG_IGN)
}
