import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading the files a command names, with a size bound, and saying plainly what went wrong.
///
/// Files are read with the system's own calls, so a failure is told in a few plain words ("no such file",
/// "is a directory", "permission denied") rather than in a Foundation error's text.
enum InputFiles {
    /// Reads `path` (or standard input for `-`), refusing more than `limit` bytes.
    ///
    /// A directory, a socket or anything else that is not a file to read is refused as of the wrong kind;
    /// a regular file, a pipe (`<(command)`) and a character device (`/dev/stdin`) are read.
    /// - Parameters:
    ///   - path: the file, or `-` for standard input (named `<stdin>` in errors).
    ///   - what: what the file is (`usage export`, `key map`), for the error of a file of the wrong kind.
    /// - Throws: ``InputFileError`` naming the file and what is wrong.
    static func read(_ path: String, what: String, limit: Int, io: CommandIO) throws(InputFileError) -> [UInt8] {
        if path == "-" {
            guard let bytes = io.readInput(limit) else {
                throw InputFileError(path: "<stdin>", reason: "larger than the limit of \(limit) bytes")
            }
            return bytes
        }
        let fd = SystemIO.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputFileError(path: path, errno: errno) }
        defer { close(fd) }
        guard let status = SystemIO.status(descriptor: fd) else { throw InputFileError(path: path, errno: errno) }
        switch status.st_mode & S_IFMT {
        case S_IFREG, S_IFIFO, S_IFCHR:
            break
        case S_IFDIR:
            throw InputFileError(path: path, reason: "is a directory, expected a \(what) file")
        default:
            throw InputFileError(path: path, reason: "is not a regular file, expected a \(what) file")
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = SystemIO.read(fd, into: &chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw InputFileError(path: path, errno: errno)
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit {
                throw InputFileError(path: path, reason: "larger than the limit of \(limit) bytes")
            }
        }
    }

    /// Whether `path` names something that exists (a dangling symbolic link counts: reading it then says so).
    static func exists(_ path: String) -> Bool {
        SystemIO.status(path: path, followingLinks: false) != nil
    }
}

/// A file that could not be read: bad input (exit status 65), unless the system ran out of a resource.
struct InputFileError: Error, Sendable, CustomStringConvertible {
    let path: String
    /// The 1-based line at fault, when there is one.
    var line: Int? = nil
    let reason: String
    /// The exit status: 65 for the file's fault, 1 when the tool could not get the resources to read it.
    var exitCode: ExitCode = .dataError

    init(path: String, line: Int? = nil, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    /// An error from a failed system call, its `errno` told in plain words.
    init(path: String, errno code: Int32) {
        self.path = path
        let shortage = SystemErrorText.isResourceShortage(code)
        reason = (shortage ? "cannot be read: " : "") + SystemErrorText.words(code)
        if shortage { exitCode = .failure }
    }

    /// `FILE[:LINE]: what is wrong`.
    var description: String { path + (line.map { ":\($0)" } ?? "") + ": " + reason }
}
