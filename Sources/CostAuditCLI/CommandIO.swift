import Attribution
import CostLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command reads and writes: the process's streams in the tool, buffers in tests.
public struct CommandIO: Sendable {
    /// Writes to standard output.
    public var writeOutput: @Sendable (String) -> Void
    /// Writes to standard error.
    public var writeError: @Sendable (String) -> Void
    /// Reads all of standard input, at most `limit` bytes; nil when more than `limit` bytes are available.
    public var readInput: @Sendable (_ limit: Int) -> [UInt8]?
    /// Whether standard error is a terminal (progress lines are shown only then).
    public var errorIsTerminal: Bool
    /// Why a write to standard output failed ("no space left on the device"), nil while none has: a report that
    /// did not reach its file is the tool's failure, not a success (``CostAuditCommand/run(arguments:io:)``).
    public var outputFailure: @Sendable () -> String?

    /// Creates an IO from closures.
    public init(
        writeOutput: @escaping @Sendable (String) -> Void,
        writeError: @escaping @Sendable (String) -> Void,
        readInput: @escaping @Sendable (_ limit: Int) -> [UInt8]?,
        errorIsTerminal: Bool,
        outputFailure: @escaping @Sendable () -> String? = { nil }
    ) {
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.readInput = readInput
        self.errorIsTerminal = errorIsTerminal
        self.outputFailure = outputFailure
    }

    /// The process's own standard streams. After the first failed write to standard output (a full disk, a
    /// closed pipe), nothing more is written there, and ``outputFailure`` says why.
    public static var process: CommandIO {
        let output = FailedWrite()
        return CommandIO(
            writeOutput: { text in
                output.code.withLock { code in
                    if code == 0 { code = SystemIO.writeAll(1, text) }
                }
            },
            writeError: { text in SystemIO.writeAll(2, text) },
            readInput: { limit in readAll(0, limit: limit) },
            errorIsTerminal: isatty(2) == 1,
            outputFailure: {
                let code = output.code.withLock { $0 }
                return code == 0 ? nil : SystemErrorText.words(code)
            }
        )
    }

    /// The `errno` of the first failed write to a stream (0: none).
    private final class FailedWrite: Sendable {
        let code = Lock<Int32>(0)
    }

    /// Reads a file descriptor to its end, refusing more than `limit` bytes.
    package static func readAll(_ fd: Int32, limit: Int) -> [UInt8]? {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = SystemIO.read(fd, into: &chunk)
            if n < 0 {
                if errno == EINTR { continue }
                return out
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { return nil }
        }
    }
}

extension CommandIO {
    /// Writes a failure as the one line `error: FILE[:LINE]: what is wrong` and returns its exit status.
    func fail(_ error: InputFileError) -> ExitCode {
        writeError("error: \(error)\n")
        return error.exitCode
    }
}

/// The exit statuses of `cost-audit`, the same for every subcommand (docs/audit.md).
public struct ExitCode: Sendable, Hashable, CustomStringConvertible {
    /// The process exit status.
    public let rawValue: Int32
    private init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Success.
    public static let success = ExitCode(0)
    /// A failure that is not the input's fault.
    public static let failure = ExitCode(1)
    /// A threshold was breached or an alert fired.
    public static let thresholdBreached = ExitCode(2)
    /// The command line was wrong (EX_USAGE).
    public static let usage = ExitCode(64)
    /// An input file was bad (EX_DATAERR).
    public static let dataError = ExitCode(65)

    public var description: String { String(rawValue) }
}
