import Attribution

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The ledger reader's line engine: a file read a chunk at a time into one buffer it owns, split into lines that
// are lent to a visitor as `UnsafeBufferPointer`s, with no copy. What keeps it safe: the buffer is allocated
// here with room for a chunk and a whole line (`chunkBytes + maxLineBytes + 1`), freed when the read ends, and
// every read into it is bounded by the room left (`capacity - filled`); a line handed out is a slice of
// `buffer[0..<filled]`, valid only during the visitor's call (the visitors copy what they keep). `LineSplitter`
// reads only `bytes[0..<count]` of what it is given.

extension LedgerReader {
    /// Reads one file, calling `body` with each valid record and its line number, and adds to `stats`. Files
    /// are independent, so callers may read several at once (one task per file) and merge the statistics in
    /// file order.
    package static func readFile(
        _ path: String,
        stats: inout LedgerReadStats,
        body: (CostRecord, Int) throws -> Void
    ) throws {
        unsafe try scanLines(path, stats: &stats) { line, number, stats in
            switch unsafe CostRecord.decodeOutcome(line, file: path, lineNumber: number) {
            case .record(let record):
                stats.records &+= 1
                try body(record, number)
            case .malformed(let error):
                stats.skippedLines &+= 1
                stats.note(
                    LedgerIssue(
                        kind: .skippedLine,
                        location: LedgerLocation(file: path, line: number),
                        field: error.field,
                        reason: error.reason
                    )
                )
            case .invalid(let error):
                stats.invalidRecords &+= 1
                stats.note(
                    LedgerIssue(
                        kind: .invalidRecord,
                        location: LedgerLocation(file: path, line: number),
                        field: error.field,
                        reason: error.reason
                    )
                )
            case .otherKind:
                stats.skippedKinds &+= 1
            }
        }
    }

    /// Reads one file's lines in chunks and calls `line` with each non-empty line of at most 64 KiB (newline
    /// excluded) and its number; counts files, lines, bytes and oversized lines in `stats`. The buffer passed to
    /// `line` is valid only during the call. The audit reads through this with its own visitor
    /// (``CostRecordFields``) when it wants no per-record allocation.
    package static func scanLines(
        _ path: String,
        stats: inout LedgerReadStats,
        line: (UnsafeBufferPointer<UInt8>, Int, inout LedgerReadStats) throws -> Void
    ) throws {
        unsafe try scanLines(path, stats: &stats) { bytes, number, _, stats in unsafe try line(bytes, number, &stats) }
    }

    /// ``scanLines(_:stats:line:)``, also passing each line's byte offset in the file (so a caller can keep
    /// where a line is instead of its bytes, and read it again).
    ///
    /// A regular file is read with `pread(2)` into one buffer of ``chunkSize`` bytes (and room for a line),
    /// never mapped: a file another process truncates while it is read (copytruncate log rotation) is an
    /// error for that file, not a `SIGBUS`. It is read up to the size it had when it was opened (a writer may
    /// go on appending meanwhile); if it turns out shorter than that, or than `range`, the read throws
    /// ``CostLedgerError/Code/fileChanged``. Anything else (a pipe, a FIFO) is read once with `read(2)`, to
    /// its end.
    ///
    /// With `range`, only those bytes are read (a range that starts at the beginning of a line and ends after a
    /// newline or at the end of the file, so that readers of neighbouring ranges split the same lines), and
    /// line numbers count from the range's first line, 1.
    /// - Returns: how many lines were numbered (empty and oversized ones included).
    ///
    /// With `identity`, a regular file that is not that file any more (replaced since it was planned) is
    /// ``CostLedgerError/Code/fileChanged`` too.
    @discardableResult
    package static func scanLines(
        _ path: String,
        range: Range<Int64>? = nil,
        identity: LedgerFileIdentity? = nil,
        stats: inout LedgerReadStats,
        lineAt line: (UnsafeBufferPointer<UInt8>, Int, Int64, inout LedgerReadStats) throws -> Void
    ) throws -> Int {
        unsafe try scanLines(path, range: range, identity: identity, chunkBytes: chunkSize, stats: &stats, lineAt: line)
    }

    /// ``scanLines(_:range:identity:stats:lineAt:)`` reading `chunkBytes` at a time (at least 1): tests compare
    /// sizes.
    static func scanLines(
        _ path: String,
        range: Range<Int64>?,
        identity: LedgerFileIdentity? = nil,
        chunkBytes: Int,
        stats: inout LedgerReadStats,
        lineAt line: (UnsafeBufferPointer<UInt8>, Int, Int64, inout LedgerReadStats) throws -> Void
    ) throws -> Int {
        let fd = SystemIO.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CostLedgerError(.io, field: path, reason: "cannot open: \(LedgerIO.errnoText())")
        }
        defer { close(fd) }
        var info = stat()
        guard unsafe fstat(fd, &info) == 0 else {
            throw CostLedgerError(.io, field: path, reason: "cannot stat: \(LedgerIO.errnoText())")
        }
        stats.files &+= 1
        var splitter = LineSplitter(path: path)
        let regular = info.st_mode & S_IFMT == S_IFREG
        var bufferOffset: Int64  // the file offset of buffer[0]
        var remaining: Int64
        if regular {
            if let identity, LedgerFileIdentity(info) != identity {
                throw CostLedgerError(
                    .fileChanged,
                    field: path,
                    reason: "the file was replaced by another while it was read (moved or rotated?)"
                )
            }
            let size = Int64(info.st_size)
            let bytes = range ?? 0..<size
            if bytes.upperBound > size { throw LedgerIO.shrank(path, expected: bytes.upperBound, now: size) }
            bufferOffset = bytes.lowerBound
            remaining = Int64(bytes.count)
        } else {
            // A stream is read once, from where it stands to its end; it has no ranges.
            bufferOffset = 0
            remaining = Int64.max
        }
        let capacity = max(1, chunkBytes) + CostRecord.LineLimits.maxLineBytes + 1
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { unsafe buffer.deallocate() }
        var filled = 0  // bytes in buffer
        while remaining > 0 {
            let want = Int(min(Int64(min(capacity - filled, max(1, chunkBytes))), remaining))
            let n =
                unsafe regular
                ? pread(fd, buffer + filled, want, off_t(bufferOffset + Int64(filled)))
                : LedgerIO.read(fd, buffer + filled, want)
            if n < 0 {
                if errno == EINTR { continue }
                throw CostLedgerError(.io, field: path, reason: "cannot read: \(LedgerIO.errnoText())")
            }
            if n == 0 {
                // The end of a stream; a regular file that ends early was truncated while it was read.
                if regular {
                    let now = unsafe fstat(fd, &info) == 0 ? Int64(info.st_size) : bufferOffset + Int64(filled)
                    throw LedgerIO.shrank(path, expected: bufferOffset + Int64(filled) + remaining, now: now)
                }
                break
            }
            stats.bytes &+= Int64(n)
            remaining -= Int64(n)
            let end = filled + n
            // Only the new bytes can hold a newline not yet seen.
            let start = unsafe try splitter.split(buffer, count: end, from: filled, at: bufferOffset, &stats, line)
            let rest = end - start
            if splitter.dropsRest(rest) {
                filled = 0
                bufferOffset += Int64(end)
            } else {
                if start > 0, rest > 0 { unsafe memmove(buffer, buffer + start, rest) }
                filled = rest
                bufferOffset += Int64(start)
            }
        }
        unsafe try splitter.finish(buffer, count: filled, at: bufferOffset, &stats, line)
        return splitter.numbered
    }
}

/// Splits a file's bytes into lines as they arrive, numbering them and counting those over the limit; the
/// same for every chunk size.
struct LineSplitter {
    let path: String
    private var lineNumber = 0
    /// Lines numbered so far; after ``finish(_:count:at:_:_:)``, every line of the input.
    var numbered: Int { lineNumber }
    /// Inside an oversized line, discarding until its newline.
    private var skipping = false
    private let maxLine = CostRecord.LineLimits.maxLineBytes

    init(path: String) {
        self.path = path
    }

    /// Calls `line` with each complete line of the `count` bytes at `bytes` (which lie at file offset `offset`;
    /// newlines are looked for from `from` on, the bytes before it holding none) and returns where the
    /// unfinished rest starts.
    mutating func split(
        _ bytes: UnsafePointer<UInt8>,
        count: Int,
        from: Int,
        at offset: Int64,
        _ stats: inout LedgerReadStats,
        _ line: (UnsafeBufferPointer<UInt8>, Int, Int64, inout LedgerReadStats) throws -> Void
    ) throws -> Int {
        var start = 0
        var searchFrom = from
        while searchFrom < count, let nl = unsafe memchr(bytes + searchFrom, 0x0A, count - searchFrom) {
            let at = unsafe bytes.distance(to: nl.assumingMemoryBound(to: UInt8.self))
            lineNumber += 1
            if skipping {
                skipping = false
                oversized(lineNumber, &stats)
            } else if at - start > maxLine {
                oversized(lineNumber, &stats)
            } else if at > start {
                stats.lines &+= 1
                unsafe try line(
                    UnsafeBufferPointer(start: bytes + start, count: at - start),
                    lineNumber,
                    offset + Int64(start),
                    &stats
                )
            }
            start = at + 1
            searchFrom = start
        }
        return start
    }

    /// Whether an unfinished rest of `rest` bytes is part of an oversized line, to be dropped (it then is).
    mutating func dropsRest(_ rest: Int) -> Bool {
        if skipping || rest > maxLine { skipping = true }
        return skipping
    }

    /// At the end of the file: the last line, which has no newline, is read like any other (a whole record
    /// is kept, a torn one counted by the decoder).
    mutating func finish(
        _ bytes: UnsafePointer<UInt8>,
        count: Int,
        at offset: Int64,
        _ stats: inout LedgerReadStats,
        _ line: (UnsafeBufferPointer<UInt8>, Int, Int64, inout LedgerReadStats) throws -> Void
    ) throws {
        if dropsRest(count) {
            lineNumber += 1
            oversized(lineNumber, &stats)
        } else if count > 0 {
            lineNumber += 1
            stats.lines &+= 1
            unsafe try line(UnsafeBufferPointer(start: bytes, count: count), lineNumber, offset, &stats)
        }
    }

    private func oversized(_ number: Int, _ stats: inout LedgerReadStats) {
        stats.lines &+= 1
        stats.skippedLines &+= 1
        stats.oversizedLines &+= 1
        stats.note(
            LedgerIssue(
                kind: .oversizedLine,
                location: LedgerLocation(file: path, line: number),
                field: nil,
                reason: "line longer than \(maxLine) bytes"
            )
        )
    }
}

extension LedgerIO {
    /// `read(2)`, named apart from the reader's own `read`.
    static func read(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
        #if canImport(Glibc)
        return unsafe Glibc.read(fd, buffer, count)
        #elseif canImport(Musl)
        return Musl.read(fd, buffer, count)
        #else
        return Darwin.read(fd, buffer, count)
        #endif
    }

    /// `write(2)`.
    static func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return unsafe Glibc.write(fd, buffer, count)
        #elseif canImport(Musl)
        return Musl.write(fd, buffer, count)
        #else
        return Darwin.write(fd, buffer, count)
        #endif
    }
}
