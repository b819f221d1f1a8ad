#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The wall clock, the envelope module's one call into the C library. What keeps it safe: `clock_gettime` writes
// only the `timespec` passed to it, a local value that lives for the call; the standard library has no wall
// clock of its own to call instead.

extension UTCTimestamp {
    /// The current time from the system clock.
    public static func now() -> UTCTimestamp {
        var ts = timespec()
        unsafe clock_gettime(CLOCK_REALTIME, &ts)
        return UTCTimestamp(nanosecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
}
