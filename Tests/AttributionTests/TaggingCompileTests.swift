import Foundation
import Testing

/// The product directory's `Modules` folder, where the build put `Attribution.swiftmodule`.
private func builtModules() throws -> URL {
    var directories: [URL] = []
    if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
    directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
    if let first = CommandLine.arguments.first {
        directories.append(URL(fileURLWithPath: first).deletingLastPathComponent())
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    directories.append(root.appendingPathComponent(".build/debug"))
    for directory in directories {
        let modules = directory.appendingPathComponent("Modules")
        let module = modules.appendingPathComponent("CostLedger.swiftmodule")
        if FileManager.default.fileExists(atPath: module.path) { return modules }
    }
    throw CompileCheckError(message: "no Modules/CostLedger.swiftmodule in \(directories.map(\.path))")
}

/// The `swiftc` on `PATH`: the toolchain that built the package.
private func swiftCompiler() throws -> URL {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for directory in path.split(separator: ":") {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("swiftc")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw CompileCheckError(message: "no swiftc on PATH \(path)")
}

private struct CompileCheckError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Type-checks `source` against the built modules, as a package depending on this one would: the exit status
/// and the compiler's diagnostics.
private func typeCheck(_ source: String) throws -> (status: Int32, diagnostics: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tag-compile-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("main.swift")
    try Data(source.utf8).write(to: file)
    let process = Process()
    process.executableURL = try swiftCompiler()
    process.arguments = ["-typecheck", "-swift-version", "6", "-I", try builtModules().path, file.path]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = Pipe()
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

@Suite("Tagging without the required fields does not compile, in a package that uses this one")
struct TaggingCompileTests {
    @Test("tag() and meter.tag() without the five required fields are compile errors naming them")
    func emptyTagDoesNotCompile() throws {
        let complete = try typeCheck(
            """
            import Attribution
            import CostLedger
            func request(meter: CostMeter) throws {
                _ = try AttributionEnvelope.tag(
                    userID: "u", feature: "f", team: "t", project: "p", taskType: "k")
                _ = try meter.tag(userID: "u", feature: "f", team: "t", project: "p", taskType: "k")
                _ = try meter.tag(fields: [.feature: "f"])
            }
            """
        )
        #expect(complete.status == 0, "\(complete.diagnostics)")

        let core = try typeCheck("import Attribution\n_ = try AttributionEnvelope.tag()\n")
        #expect(core.status != 0)
        // The compiler names the arguments of whichever form it tried (the five, or `fields:` and `policy:`).
        #expect(core.diagnostics.contains("error: missing arguments for parameters"), "\(core.diagnostics)")

        let fourOfFive = try typeCheck(
            """
            import Attribution
            _ = try AttributionEnvelope.tag(userID: "u", feature: "f", team: "t", project: "p")
            """
        )
        #expect(fourOfFive.status != 0)
        #expect(fourOfFive.diagnostics.contains("'taskType'"), "\(fourOfFive.diagnostics)")

        let meter = try typeCheck(
            """
            import CostLedger
            func request(meter: CostMeter) throws { _ = try meter.tag(userID: "u", feature: "f") }
            """
        )
        #expect(meter.status != 0)
        #expect(
            meter.diagnostics.contains("missing arguments for parameters 'team', 'project', 'taskType' in call"),
            "\(meter.diagnostics)"
        )
    }
}
