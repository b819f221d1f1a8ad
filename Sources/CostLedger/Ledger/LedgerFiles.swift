import Foundation
import WireFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File-system steps of the writer.
enum LedgerFiles {
    /// The error for an open ledger file that its path no longer leads to.
    static func lostFile(_ path: String) -> CostLedgerError {
        CostLedgerError(
            .io,
            field: path,
            reason: "the ledger file was deleted or replaced while open (its directory removed?); records not "
                + "yet durable are written again to a new file"
        )
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Makes the file's data durable: `fdatasync(2)` on Linux (the data and the size needed to read it back,
    /// as SQLite syncs its WAL; timestamps are not forced), `fsync(2)` elsewhere.
    static func syncData(_ fd: Int32) -> Int32 {
        #if os(Linux)
        return fdatasync(fd)
        #else
        return fsync(fd)
        #endif
    }

    /// The name of a day partition's directory: `dt=YYYY-MM-DD` for `day` (days since the epoch).
    static func partitionName(day: Int64) -> String {
        var name = Array("dt=".utf8)
        RFC3339.appendDate(days: day, to: &name)
        return String(decoding: name, as: UTF8.self)
    }

    /// Makes the directory `path` (and its parents) when missing; with `syncParent`, a directory it made is
    /// recorded durably in its parent (`fsync` of the parent), as a new file's entry is.
    static func makeDirectory(_ path: String, syncParent: Bool = false) throws(CostLedgerError) {
        if let info = SystemIO.status(path: path) {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw CostLedgerError(.io, field: path, reason: "exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CostLedgerError(.io, field: path, reason: "cannot create the ledger directory: \(error)")
        }
        if syncParent { syncDirectory(containing: path) }
    }

    /// `fsync` of the directory holding `path` (its entry for `path` made durable); best effort.
    static func syncDirectory(containing path: String) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        let dirFD = SystemIO.open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            _ = LedgerIO.close(dirFD)
        }
    }

    /// Opens `path` for appending (creating it), and writes a `\n` first when it is not empty and does not end
    /// in one, so a torn last line never merges with the next record.
    static func openForAppend(
        _ path: String,
        syncDirectory: Bool
    ) throws(CostLedgerError) -> (fd: Int32, size: Int64, repairBytes: Int64) {
        let fd = SystemIO.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode: 0o644)
        guard fd >= 0 else { throw CostLedgerError(.io, field: path, reason: "cannot open: \(LedgerIO.errnoText())") }
        guard let info = SystemIO.status(descriptor: fd) else {
            let error = CostLedgerError(.io, field: path, reason: "cannot stat: \(LedgerIO.errnoText())")
            _ = LedgerIO.close(fd)
            throw error
        }
        var size = Int64(info.st_size)
        var repair: Int64 = 0
        if size > 0 {
            var last: [UInt8] = [0]
            let readFD = SystemIO.open(path, O_RDONLY | O_CLOEXEC)
            if readFD >= 0 {
                _ = SystemIO.read(readFD, into: &last, at: size - 1)
                _ = LedgerIO.close(readFD)
            }
            if last[0] != UInt8(ascii: "\n") {
                guard SystemIO.write(fd, [UInt8(ascii: "\n")]) == 1 else {
                    let error = CostLedgerError(.io, field: path, reason: "cannot repair: \(LedgerIO.errnoText())")
                    _ = LedgerIO.close(fd)
                    throw error
                }
                size += 1
                repair = 1
            }
        }
        if syncDirectory { Self.syncDirectory(containing: path) }
        return (fd, size, repair)
    }
}
