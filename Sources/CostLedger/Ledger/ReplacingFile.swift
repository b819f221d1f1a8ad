#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file that is replaced whole or not at all: the tool's `-o FILE` outputs (the dashboard, the FOCUS
/// export) and the audit's `--emit-attributed`.
///
/// The bytes go to a new file beside the target (`.NAME.tmp-PID-RANDOM`, in the same directory, so on the same
/// file system), which ``commit()`` syncs and renames over the target. Until then the target is untouched: a
/// disk that fills at midnight, a failed write or a process killed half-way leaves yesterday's page as it was,
/// never a page cut short, and a file that is abandoned (released without ``commit()``) is removed. A target
/// that exists keeps its permissions, and its owner and group where the process may set them (as root); a
/// symbolic link to a file keeps pointing at it (the file it names is replaced).
///
/// A pipe, a FIFO or a device (`-o /dev/stdout`, `-o >(gzip > page.html.gz)`) cannot be replaced: it is written
/// in place, as the shell's `>` would. So is an existing file in a directory where no new file may be made (a
/// file the user owns in a directory they may not write): it is truncated and written, as before. A directory,
/// or anything else that is not a file, is refused.
///
/// ```swift
/// try ReplacingFile.write(Array(page.utf8), to: "dashboard.html")
/// ```
package final class ReplacingFile {
    /// Why the file could not be written, in plain words (``SystemErrorText``): "is a directory",
    /// "no such directory: out", "cannot write: no space left on the device".
    package struct Failure: Error, Sendable, Equatable {
        package let reason: String

        package init(reason: String) { self.reason = reason }
    }

    private let fd: Int32
    /// The new file renamed over ``destination`` by ``commit()``; nil when the target is written in place.
    private let temporary: String?
    private let destination: String
    private var finished = false

    /// Opens `path` for writing: a new file beside it, or the pipe, FIFO or device itself.
    /// - Throws: ``Failure`` when `path` is a directory or not a file, or when no file can be made in its
    ///   directory (it does not exist, or may not be written).
    package init(path: String) throws(Failure) {
        var destination = path
        var keptMode: mode_t?
        var keptOwner: (uid_t, gid_t)?
        var inPlace = false
        var create = false
        let found = SystemIO.status(path: path)
        let code = errno
        if let info = found {
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                keptMode = info.st_mode & 0o7777
                keptOwner = (info.st_uid, info.st_gid)
                if let link = SystemIO.status(path: path, followingLinks: false), link.st_mode & S_IFMT == S_IFLNK {
                    guard let resolved = SystemIO.resolvedPath(path) else {
                        throw Failure(reason: SystemErrorText.words())
                    }
                    destination = resolved
                }
            case S_IFIFO, S_IFCHR:
                inPlace = true
            case S_IFDIR:
                throw Failure(reason: "is a directory, expected a file to write")
            default:
                throw Failure(reason: "is not a regular file, a pipe or a FIFO")
            }
        } else if code == ENOENT, SystemIO.status(path: path, followingLinks: false) != nil {
            // A symbolic link to nothing yet: the file it names is made, as the shell's `>` would.
            inPlace = true
            create = true
        } else if code != ENOENT, code != ENOTDIR {
            throw Failure(reason: SystemErrorText.words(code))
        }
        self.destination = destination
        if inPlace {
            let flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0)
            fd = SystemIO.open(path, flags, mode: 0o666)
            guard fd >= 0 else { throw Failure(reason: SystemErrorText.words()) }
            temporary = nil
            return
        }
        let (directory, name) = Self.split(destination)
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        // As `fopen(path, "w")` makes a file: mode 0666 less the umask, unless an existing file's is kept.
        let made = SystemIO.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o666)
        guard made >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw Failure(reason: "no such directory: \(directory)") }
            // A file the user may write in a directory they may not (a log directory owned by root): written in
            // place, as before, rather than refused; it is then not replaced whole.
            if code == EACCES || code == EPERM, keptMode != nil {
                fd = SystemIO.open(destination, O_WRONLY | O_TRUNC | O_CLOEXEC)
                if fd >= 0 {
                    self.temporary = nil
                    return
                }
            }
            throw Failure(reason: "cannot make a file in \(directory): \(SystemErrorText.words(code))")
        }
        fd = made
        self.temporary = temporary
        // The replaced file's owner (as far as this process may give it: root may, others keep their own) and
        // then its permissions, which a change of owner could clear.
        if let (uid, gid) = keptOwner { _ = fchown(fd, uid, gid) }
        if let keptMode { _ = fchmod(fd, keptMode) }
    }

    deinit {
        guard !finished else { return }
        close(fd)
        if let temporary { _ = SystemIO.removeFile(temporary) }
    }

    /// Writes `bytes` in full, retrying when interrupted.
    /// - Throws: ``Failure`` when a write fails (the disk is full, the reader of a pipe went away); the target
    ///   is left as it was.
    package func write(_ bytes: [UInt8]) throws(Failure) {
        var written = 0
        while written < bytes.count {
            let n = SystemIO.write(fd, bytes, from: written)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw Failure(reason: "cannot write: \(SystemErrorText.words())") }
            written += n
        }
    }

    /// Makes the bytes written the target's: syncs the new file and renames it over the target (a pipe, FIFO or
    /// device is closed). After a failure the target is left as it was and the new file is removed.
    package func commit() throws(Failure) {
        guard !finished else { return }
        finished = true
        guard let temporary else {
            guard close(fd) == 0 else { throw Failure(reason: "cannot write: \(SystemErrorText.words())") }
            return
        }
        // Synced before the rename, so that a crash right after it cannot leave an empty file in the target's
        // place.
        if fsync(fd) != 0 || close(fd) != 0 {
            let code = errno
            _ = SystemIO.removeFile(temporary)
            throw Failure(reason: "cannot write: \(SystemErrorText.words(code))")
        }
        guard SystemIO.rename(temporary, to: destination) == 0 else {
            let code = errno
            _ = SystemIO.removeFile(temporary)
            throw Failure(reason: "cannot replace it: \(SystemErrorText.words(code))")
        }
    }

    /// Writes `bytes` as the whole of `path`, replacing it at once.
    /// - Throws: ``Failure`` naming what went wrong; `path` is then left as it was.
    package static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let file = try ReplacingFile(path: path)
        try file.write(bytes)
        try file.commit()
    }

    /// The directory of `path` (`.` for a bare name) and its last component.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
