import Foundation

/// An executable this package builds (`sqlite-queue-probe`, `queue-producer`, `queue-worker`), found in the
/// product directory the tests run from, or in the package's `.build/debug` for runners that start elsewhere.
func builtExecutable(_ name: String) throws -> URL {
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
        let candidate = directory.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw BuiltExecutableNotFound(name: name, searched: directories.map(\.path))
}

/// The executable was not built where the tests look for it.
struct BuiltExecutableNotFound: Error, CustomStringConvertible {
    var name: String
    var searched: [String]
    var description: String { "\(name) not found in \(searched)" }
}
