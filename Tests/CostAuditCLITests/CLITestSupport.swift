import CostAuditCLI
import Foundation
import Synchronization

/// The built `cost-audit` executable, found in the product directory the tests run from.
func costAuditExecutable() throws -> URL {
    var directories: [URL] = []
    if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
    directories.append(Bundle.main.bundleURL)
    directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
    if let first = CommandLine.arguments.first {
        directories.append(URL(fileURLWithPath: first).deletingLastPathComponent())
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    directories.append(root.appendingPathComponent(".build/debug"))
    for directory in directories {
        let candidate = directory.appendingPathComponent("cost-audit")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw CLITestError(message: "cost-audit not found in \(directories.map(\.path))")
}

struct CLITestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// What one run of the tool printed and returned.
struct ToolRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built binary with `arguments`, feeding `stdin`, in `directory` (default: the tests' own).
func runTool(_ arguments: [String], stdin: String = "", directory: URL? = nil) throws -> ToolRun {
    try runTool(arguments, stdinBytes: Data(stdin.utf8), directory: directory)
}

/// Runs the built binary with `arguments`, feeding `stdinBytes` exactly, in `directory`.
func runTool(_ arguments: [String], stdinBytes: Data, directory: URL? = nil) throws -> ToolRun {
    try runBuilt("cost-audit", arguments, stdinBytes: stdinBytes, directory: directory)
}

/// Runs another executable this package builds (an example: `ReadmeQuickStart`, `JobsGuide`, …), found beside
/// the built `cost-audit`, with `arguments`, feeding `stdinBytes`, in `directory`.
func runBuilt(
    _ product: String,
    _ arguments: [String] = [],
    stdinBytes: Data = Data(),
    directory: URL? = nil
)
    throws -> ToolRun
{
    let process = Process()
    process.executableURL = try costAuditExecutable().deletingLastPathComponent().appendingPathComponent(product)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let input = Pipe()
    let output = Pipe()
    let error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Standard input is written and standard error read on their own threads while this one reads standard
    // output: done one after the other, a tool that fills one pipe (64 KiB) while the test waits on another
    // would never finish.
    let group = DispatchGroup()
    let writer = input.fileHandleForWriting
    DispatchQueue.global().async(group: group) {
        writer.write(stdinBytes)
        try? writer.close()
    }
    let errorBytes = ErrorBytes()
    let reader = error.fileHandleForReading
    DispatchQueue.global().async(group: group) { errorBytes.data = reader.readDataToEndOfFile() }
    let out = output.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let err = errorBytes.data
    process.waitUntilExit()
    return ToolRun(
        status: process.terminationStatus,
        stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self)
    )
}

/// What a reader thread read from standard error; `DispatchGroup.wait()` orders its write before the read.
private final class ErrorBytes: @unchecked Sendable {
    var data = Data()
}

/// Runs the tool in-process with captured streams.
func runInProcess(_ arguments: [String], stdin: String = "") async -> ToolRun {
    let out = Mutex("")
    let err = Mutex("")
    let input = Array(stdin.utf8)
    let io = CommandIO(
        writeOutput: { text in out.withLock { $0 += text } },
        writeError: { text in err.withLock { $0 += text } },
        readInput: { limit in input.count > limit ? nil : input },
        errorIsTerminal: false
    )
    let status = await CostAuditCommand.run(arguments: arguments, io: io)
    return ToolRun(status: status, stdout: out.withLock { $0 }, stderr: err.withLock { $0 })
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cost-audit-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func write(_ text: String, to url: URL) throws {
    try Data(text.utf8).write(to: url)
}
