#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call's `errno` told in a few plain words, the same in every message of the package and its
/// tool: "no such file", "permission denied", "is a directory". One table, so the ledger writer, the audit's
/// ledger inputs and the command line's input files never word the same failure two ways.
package enum SystemErrorText {
    /// Plain words for `code`, lowercase, without the number for the common cases.
    package static func words(_ code: Int32 = errno) -> String {
        switch code {
        case ENOENT: return "no such file"
        case ENOTDIR: return "no such file (a part of the path is not a directory)"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "is a directory"
        case ELOOP: return "too many levels of symbolic links"
        case ENAMETOOLONG: return "the name is too long"
        case EIO: return "input/output error"
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "disk quota exceeded"
        case EFBIG: return "file too large (past the process's file-size limit or the file system's largest file)"
        case EROFS: return "read-only file system"
        case ENXIO, ENODEV: return "no such device"
        case EMFILE, ENFILE: return "too many open files"
        case ENOMEM: return "out of memory"
        default:
            guard let words = SystemIO.errorMessage(code) else { return "error \(code)" }
            return words.prefix(1).lowercased() + words.dropFirst() + " (errno \(code))"
        }
    }

    /// Whether `code` says the machine ran short (memory, file descriptors), not that the input is bad.
    package static func isResourceShortage(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOMEM
    }
}
