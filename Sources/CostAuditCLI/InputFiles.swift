import Foundation

/// Reading the files a command names, with a size bound, and saying plainly what went wrong.
enum InputFiles {
    /// Reads `path` (or standard input for `-`), refusing more than `limit` bytes.
    static func read(_ path: String, limit: Int, io: CommandIO) -> Result<[UInt8], InputFileError> {
        if path == "-" {
            guard let bytes = io.readInput(limit) else {
                return .failure(InputFileError(path: "<stdin>", reason: "more than \(limit) bytes"))
            }
            return .success(bytes)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            return .failure(InputFileError(path: path, reason: exists ? "cannot be opened" : "no such file"))
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            if data.count > limit {
                return .failure(InputFileError(path: path, reason: "larger than the limit of \(limit) bytes"))
            }
            return .success([UInt8](data))
        } catch {
            return .failure(InputFileError(path: path, reason: "cannot be read: \(error)"))
        }
    }
}

/// A file that could not be read.
struct InputFileError: Error, Sendable, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}
