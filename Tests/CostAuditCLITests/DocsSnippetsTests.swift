import Foundation
import Testing

/// The package's root folder.
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The files whose `// snippet: NAME` … `// end snippet` regions are the docs' compiled snippets.
private let snippetFiles = [
    "Examples/JobsGuide/main.swift",
    "Examples/DocsSnippets/main.swift",
    "Tests/CostAuditCLITests/MeteringTestingSnippet.swift",
    "Tests/CostLedgerTests/WithheldMetadataTests.swift",
    "Tests/CostLedgerTests/LedgerPartitionTests.swift",
    "Tests/CostReportsTests/FocusExportTests.swift",
    "Tests/CostReportsTests/SpendReportTests.swift",
    "Tests/CostReportsTests/StatementTests.swift",
    // The nested package's example (docs/integrations.md), built and run by `swift test --package-path Integrations`.
    "Integrations/Examples/CostService/Service.swift",
    "Integrations/Examples/CostService/Server.swift",
]

/// One file's snippet regions (named, with their common indentation removed) and the modules it imports.
private struct SnippetFile {
    var path: String
    var regions: [(name: String, text: String)] = []
    var imports: Set<String> = []

    init(path: String) throws {
        self.path = path
        let source = try String(contentsOf: packageRoot.appendingPathComponent(path), encoding: .utf8)
        var current: (name: String, lines: [Substring])?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("// snippet: ") {
                current = (String(trimmed.dropFirst("// snippet: ".count)), [])
            } else if trimmed == "// end snippet", let region = current {
                regions.append((region.name, dedented(region.lines)))
                current = nil
            } else if current != nil {
                current?.lines.append(line)
            } else if line.hasPrefix("import ") {
                imports.insert(String(line))
            }
        }
    }
}

/// The lines joined, less the indentation they all share (blank lines aside).
private func dedented(_ lines: [Substring]) -> String {
    let indents = lines.filter { !$0.allSatisfy { $0 == " " } }.map { $0.prefix { $0 == " " }.count }
    let indent = indents.min() ?? 0
    return lines.map { $0.allSatisfy { $0 == " " } ? "" : String($0.dropFirst(indent)) }.joined(separator: "\n")
}

/// A ```swift block of a docs page: its text, the line its fence is on, and the reason of the
/// `<!-- not compiled: REASON -->` marker on the line before it, if any.
private struct DocBlock {
    var page: String
    var line: Int
    var text: String
    var notCompiled: String?

    /// The block's leading `import` lines, and the rest after them (and the blank lines after them).
    var importsAndBody: (imports: [String], body: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        var imports: [String] = []
        while let first = lines.first, first.hasPrefix("import ") {
            imports.append(String(first))
            lines = lines.dropFirst()
        }
        if !imports.isEmpty { lines = lines.drop { $0.isEmpty } }
        return (imports, lines.joined(separator: "\n"))
    }
}

/// Every docs/*.md page's ```swift blocks.
private func docBlocks() throws -> [DocBlock] {
    let docs = packageRoot.appendingPathComponent("docs")
    let pages = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }.sorted()
    var blocks: [DocBlock] = []
    for page in pages {
        let text = try String(contentsOf: docs.appendingPathComponent(page), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var index = 0
        while index < lines.count {
            guard lines[index] == "```swift" else {
                index += 1
                continue
            }
            let fence = index
            var reason: String?
            if fence > 0, lines[fence - 1].hasPrefix("<!-- not compiled:"), lines[fence - 1].hasSuffix("-->") {
                reason = lines[fence - 1].dropFirst("<!-- not compiled:".count).dropLast("-->".count)
                    .trimmingCharacters(in: .whitespaces)
            }
            var body: [Substring] = []
            index += 1
            while index < lines.count, lines[index] != "```" {
                body.append(lines[index])
                index += 1
            }
            blocks.append(
                DocBlock(page: "docs/" + page, line: fence + 1, text: body.joined(separator: "\n"), notCompiled: reason)
            )
            index += 1
        }
    }
    return blocks
}

/// The Swift declarations of a signature listing: each starts at a line beginning with `func ` or `init(`.
private func declarations(in listing: String) -> [String] {
    var result: [String] = []
    for line in listing.split(separator: "\n") {
        if line.hasPrefix("func ") || line.hasPrefix("init(") || result.isEmpty {
            result.append(String(line))
        } else {
            result[result.count - 1] += "\n" + line
        }
    }
    return result
}

/// All of `Sources`' Swift text with its whitespace removed.
private func sourcesWithoutWhitespace() throws -> String {
    let sources = packageRoot.appendingPathComponent("Sources")
    var text = ""
    let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
    for file in files.sorted() where file.hasSuffix(".swift") {
        text += try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
    }
    return text.filter { !$0.isWhitespace }
}

@Suite("the docs' Swift snippets")
struct DocsSnippetsTests {
    @Test("every Swift snippet in docs/ is a region of an example or test file, or marked not compiled with a reason")
    func everySnippetIsCompiledOrMarked() throws {
        let files = try snippetFiles.map(SnippetFile.init(path:))
        let blocks = try docBlocks()
        #expect(blocks.count >= 21)
        var used: Set<String> = []
        for block in blocks {
            let place = "\(block.page):\(block.line)"
            if let reason = block.notCompiled {
                #expect(!reason.isEmpty, "\(place): a not-compiled marker without a reason")
                continue
            }
            let (imports, body) = block.importsAndBody
            let holders = files.filter { file in file.regions.contains { $0.text == body } }
            #expect(!holders.isEmpty, "\(place): the snippet is not a region of \(snippetFiles):\n\(body)")
            for file in holders {
                let missing = imports.filter { !file.imports.contains($0) }
                #expect(missing.isEmpty, "\(place): \(file.path) does not have the snippet's \(missing)")
                for region in file.regions where region.text == body { used.insert("\(file.path): \(region.name)") }
            }
        }
        // A region no page shows any more is a stale copy: remove it with the snippet.
        let all = files.flatMap { file in file.regions.map { "\(file.path): \($0.name)" } }
        #expect(Set(all).subtracting(used).sorted() == [])
        #expect(all.count == Set(all).count, "two regions share a name")
    }

    @Test("only the snippets of packages this one does not depend on, and signature listings, are not compiled")
    func notCompiledSnippetsAreTheExpectedOnes() throws {
        let marked = try docBlocks().filter { $0.notCompiled != nil }
        let reasons = marked.map { "\($0.page): \($0.notCompiled ?? "")" }
        #expect(
            reasons == [
                "docs/jobs.md: needs swift-jobs",
                "docs/jobs.md: needs Vapor Queues",
                "docs/metering.md: signature listing",
                "docs/metering.md: signature listing",
            ]
        )
        let jobs = marked.filter { $0.page == "docs/jobs.md" }.map(\.text)
        #expect(jobs.allSatisfy { $0.contains("jobQueue.push") || $0.contains("req.queue.dispatch") })
    }

    @Test("every declaration of a signature listing in docs/ is, word for word, a declaration in Sources")
    func signatureListingsMatchTheSource() throws {
        let sources = try sourcesWithoutWhitespace()
        let listings = try docBlocks().filter { $0.notCompiled == "signature listing" }
        #expect(!listings.isEmpty)
        for listing in listings {
            let listed = declarations(in: listing.text)
            #expect(!listed.isEmpty)
            for declaration in listed {
                let found = sources.contains("public" + declaration.filter { !$0.isWhitespace } + "{")
                #expect(found, "\(listing.page):\(listing.line): no such declaration in Sources:\n\(declaration)")
            }
        }
    }

    @Test("the docs' snippets example runs: each snippet did what its page says")
    func exampleRuns() throws {
        let run = try runBuilt("DocsSnippets")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        #expect(run.stdout.contains("Where the dollars went"))
        #expect(run.stdout.hasSuffix("docs snippets: ok\n"))
    }
}
