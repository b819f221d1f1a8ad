import Foundation
import Testing

/// The package's root folder.
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The regions of `Examples/JobsGuide/main.swift` between `// snippet: NAME` and `// end snippet`, in order.
private func exampleSnippets() throws -> [String] {
    let source = try String(
        contentsOf: packageRoot.appendingPathComponent("Examples/JobsGuide/main.swift"),
        encoding: .utf8
    )
    var snippets: [String] = []
    var current: [Substring]?
    for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("// snippet: ") {
            current = []
        } else if line == "// end snippet" {
            snippets.append((current ?? []).joined(separator: "\n"))
            current = nil
        } else {
            current?.append(line)
        }
    }
    return snippets
}

/// The ```swift blocks of docs/jobs.md: each one's text, and whether the line before its fence marks it as not
/// compiled (`<!-- not compiled: … -->`).
private func guideBlocks() throws -> [(text: String, notCompiled: Bool)] {
    let guide = try String(contentsOf: packageRoot.appendingPathComponent("docs/jobs.md"), encoding: .utf8)
    let lines = guide.split(separator: "\n", omittingEmptySubsequences: false)
    var blocks: [(text: String, notCompiled: Bool)] = []
    var index = 0
    while index < lines.count {
        guard lines[index] == "```swift" else {
            index += 1
            continue
        }
        let marked = index > 0 && lines[index - 1].hasPrefix("<!-- not compiled")
        var body: [Substring] = []
        index += 1
        while index < lines.count, lines[index] != "```" {
            body.append(lines[index])
            index += 1
        }
        blocks.append((body.joined(separator: "\n"), marked))
        index += 1
    }
    return blocks
}

@Suite("docs/jobs.md's snippets")
struct JobsGuideTests {
    @Test("every Swift snippet of docs/jobs.md is a region of Examples/JobsGuide/main.swift, or marked not compiled")
    func snippetsAreTheExample() throws {
        let blocks = try guideBlocks()
        let compiled = blocks.filter { !$0.notCompiled }.map(\.text)
        let snippets = try exampleSnippets()
        #expect(snippets.count == 4)
        #expect(compiled == snippets)
        // Only the two snippets for packages this one does not depend on are left out.
        let skipped = blocks.filter(\.notCompiled).map(\.text)
        #expect(skipped.count == 2)
        #expect(skipped.allSatisfy { $0.contains("jobQueue.push") || $0.contains("req.queue.dispatch") })
    }

    @Test("the guide's example runs: the job is retried as the same unit, and every child is announced")
    func exampleRuns() throws {
        let process = Process()
        process.executableURL = try costAuditExecutable().deletingLastPathComponent()
            .appendingPathComponent("JobsGuide")
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = printed.split(separator: "\n").map(String.init)
        #expect(lines.contains("retry enqueued: attempt 2, user u_42, same leaf true"))
        #expect(lines.contains("summary of 42 for u_42, try 2"))
        #expect(lines.contains("minted web_search, fetch, rank"))
        #expect(lines.filter { $0.hasPrefix("d_") && $0.contains(" fetched by ") }.count == 3)
        #expect(lines.last == "unit records: 5 (request, job, 3 fetches)")
    }
}
