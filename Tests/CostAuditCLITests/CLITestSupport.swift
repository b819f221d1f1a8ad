import Attribution
import CostAuditCLI
import Dispatch
import Foundation

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
    try runExecutable(
        try costAuditExecutable().deletingLastPathComponent().appendingPathComponent(product),
        arguments,
        stdinBytes: stdinBytes,
        directory: directory
    )
}

/// Runs the executable at `url` with `arguments`, feeding `stdinBytes` exactly, in `directory`.
func runExecutable(
    _ url: URL,
    _ arguments: [String],
    stdinBytes: Data = Data(),
    directory: URL? = nil
) throws
    -> ToolRun
{
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let input = Pipe()
    let output = Pipe()
    let error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Written on a thread of its own while the outputs are read: a child that writes more than a pipe holds
    // before it has read all its input would otherwise wait for a reader while this thread waits to write.
    let writer = input.fileHandleForWriting
    let inputWritten = DispatchSemaphore(value: 0)
    Thread {
        writer.write(stdinBytes)
        try? writer.close()
        inputWritten.signal()
    }
    .start()
    let (out, err) = readToEnd(output, error)
    inputWritten.wait()
    process.waitUntilExit()
    return ToolRun(
        status: process.terminationStatus,
        stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self)
    )
}

/// What a thread read from a pipe, handed back to the thread that waits for it.
private final class PipeBytes: Sendable {
    let bytes = Lock(Data())
}

/// Reads a child's standard output and standard error to their ends at the same time. Reading one to its end and
/// then the other hangs as soon as the child fills the second pipe (64 KiB) before closing the first: the child
/// waits for room and the reader for the end. A sanitizer build's reports on stderr did exactly that.
func readToEnd(_ output: Pipe, _ error: Pipe) -> (output: Data, error: Data) {
    let errorBytes = PipeBytes()
    let errorRead = DispatchSemaphore(value: 0)
    Thread {
        let bytes = error.fileHandleForReading.readDataToEndOfFile()
        errorBytes.bytes.withLock { $0 = bytes }
        errorRead.signal()
    }
    .start()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    errorRead.wait()
    return (out, errorBytes.bytes.withLock { $0 })
}

/// Runs the tool in-process with captured streams.
func runInProcess(_ arguments: [String], stdin: String = "") async -> ToolRun {
    let out = Lock("")
    let err = Lock("")
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

/// Empty ledger folders for a suite's tests, under one scratch folder removed with the value (a suite's instance:
/// one per test).
final class ScratchLedgers {
    private let folder: URL

    init() throws { folder = try temporaryDirectory() }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// A new empty folder.
    func make() throws -> URL {
        let directory = folder.appendingPathComponent("ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

func write(_ text: String, to url: URL) throws {
    try Data(text.utf8).write(to: url)
}
