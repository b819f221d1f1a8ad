#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

// The package's file-system calls into the C library, each behind a signature of plain Swift values (paths as
// `String`, bytes as `[UInt8]`, results as integers or optionals), for the ledger, the audit and the tool. What
// keeps it safe: a path is passed as a `String`, which Swift turns into a NUL-terminated C string that lives for
// the call; every buffer handed to `read`, `pread` or `write` is an array lent for the call only, with the count
// passed being at most the array's own count (minus the start offset, which is checked); the C strings the
// library returns (`strerror`, a directory entry's name, the host name, an environment variable) are copied into a
// `String` at once, within the bound of their buffer (and `realpath`'s, which it allocates, freed right after);
// `mkdtemp` writes into an array of the template's bytes
// and its NUL, which lives for the call. No pointer leaves this file.

/// System calls with safe signatures.
package enum SystemIO {
    /// `open(2)`: the new descriptor, or -1 with `errno` set.
    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) -> Int32 {
        unsafe systemOpen(path, flags, mode)
    }

    /// `stat(2)` (or `lstat(2)` when not following links): the file's status, or nil with `errno` set.
    package static func status(path: String, followingLinks: Bool = true) -> stat? {
        var info = stat()
        let result = unsafe followingLinks ? stat(path, &info) : lstat(path, &info)
        return result == 0 ? info : nil
    }

    /// `fstat(2)`: the status of the file open at `fd`, or nil with `errno` set.
    package static func status(descriptor fd: Int32) -> stat? {
        var info = stat()
        return unsafe fstat(fd, &info) == 0 ? info : nil
    }

    /// `read(2)` into `buffer[0..<buffer.count]`: the bytes read, 0 at the end, or -1 with `errno` set.
    package static func read(_ fd: Int32, into buffer: inout [UInt8]) -> Int {
        unsafe buffer.withUnsafeMutableBytes { unsafe systemRead(fd, $0.baseAddress, $0.count) }
    }

    /// `pread(2)` into `buffer[0..<buffer.count]` from `offset`: the bytes read, 0 at the end, or -1 with `errno`
    /// set.
    package static func read(_ fd: Int32, into buffer: inout [UInt8], at offset: Int64) -> Int {
        unsafe buffer.withUnsafeMutableBytes { unsafe pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
    }

    /// `write(2)` of `bytes[start...]`: the bytes written, or -1 with `errno` set.
    package static func write(_ fd: Int32, _ bytes: [UInt8], from start: Int = 0) -> Int {
        guard start >= 0, start < bytes.count else { return 0 }
        return unsafe bytes.withUnsafeBytes { unsafe systemWrite(fd, $0.baseAddress! + start, $0.count - start) }
    }

    /// `write(2)` of `bytes[range]` (the part of `range` within the array): the bytes written, or -1 with `errno`
    /// set.
    package static func write(_ fd: Int32, _ bytes: [UInt8], _ range: Range<Int>) -> Int {
        let range = range.clamped(to: 0..<bytes.count)
        guard !range.isEmpty else { return 0 }
        return unsafe bytes.withUnsafeBytes { unsafe systemWrite(fd, $0.baseAddress! + range.lowerBound, range.count) }
    }

    /// Writes all of `text`'s UTF-8 bytes to `fd`, retrying on `EINTR`; stops at the first other failure.
    /// Returns 0, or the failure's `errno`.
    @discardableResult
    package static func writeAll(_ fd: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { buffer in
            guard var base = buffer.baseAddress else { return 0 }
            var remaining = buffer.count
            while remaining > 0 {
                let n = unsafe systemWrite(fd, base, remaining)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { return EIO }
                remaining -= n
                unsafe base += n
            }
            return 0
        }
    }

    /// `mkdir(2)`: 0, or -1 with `errno` set.
    package static func makeDirectory(_ path: String, mode: mode_t) -> Int32 { unsafe mkdir(path, mode) }

    /// `rmdir(2)`: 0, or -1 with `errno` set.
    package static func removeDirectory(_ path: String) -> Int32 { unsafe rmdir(path) }

    /// `unlink(2)`: 0, or -1 with `errno` set.
    package static func removeFile(_ path: String) -> Int32 { unsafe unlink(path) }

    /// `rename(2)`: moves `source` to `target`, replacing it at once; 0, or -1 with `errno` set.
    package static func rename(_ source: String, to target: String) -> Int32 { unsafe systemRename(source, target) }

    /// `realpath(3)`: the absolute path of `path` with every symbolic link resolved, or nil with `errno` set.
    package static func resolvedPath(_ path: String) -> String? {
        guard let resolved = unsafe realpath(path, nil) else { return nil }
        defer { unsafe free(resolved) }
        return unsafe String(cString: resolved)
    }

    /// The names in `directory` (`.` and `..` included, as `readdir(3)` gives them), or nil with `errno` set
    /// when it cannot be opened.
    package static func directoryNames(_ directory: String) -> [String]? {
        guard let dir = unsafe opendir(directory) else { return nil }
        defer { unsafe closedir(dir) }
        var names: [String] = []
        while let entry = unsafe readdir(dir) {
            let name = unsafe withUnsafeBytes(of: entry.pointee.d_name) { raw in
                unsafe String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            names.append(name)
        }
        return names
    }

    /// `mkdtemp(3)`: makes a new directory named by `template`, whose name ends in `XXXXXX` (replaced by the
    /// library), and returns its path; nil with `errno` set when it cannot.
    package static func makeTemporaryDirectory(_ template: String) -> String? {
        var template = Array(template.utf8CString)
        let made = unsafe template.withUnsafeMutableBufferPointer { buffer in
            unsafe buffer.baseAddress.flatMap { unsafe mkdtemp($0) }
        }
        guard unsafe made != nil else { return nil }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The environment variable `name` (`getenv(3)`), or nil when it is not set.
    package static func environment(_ name: String) -> String? {
        unsafe getenv(name).map { unsafe String(cString: $0) }
    }

    /// The C library's own words for `code` (`strerror(3)`), or nil when it has none.
    package static func errorMessage(_ code: Int32) -> String? {
        guard let text = unsafe strerror(code) else { return nil }
        return unsafe String(cString: text)
    }

    /// The system's host name (`gethostname(3)`), or nil when it cannot be read.
    package static func hostName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard unsafe gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

}

/// `open(2)`, named apart from ``SystemIO/open(_:_:mode:)``.
private func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    unsafe open(path, flags, mode)
}

/// `read(2)`, named apart from ``SystemIO/read(_:into:)``.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    unsafe read(fd, buffer, count)
}

/// `rename(2)`, named apart from ``SystemIO/rename(_:to:)``.
private func systemRename(_ source: UnsafePointer<CChar>, _ target: UnsafePointer<CChar>) -> Int32 {
    unsafe rename(source, target)
}

/// `write(2)`, named apart from ``SystemIO/write(_:_:from:)``.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    unsafe write(fd, buffer, count)
}
