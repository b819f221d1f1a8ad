import CostLedger
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder the demo writes into, and the rule it keeps there: it never deletes anything it did not write.
///
/// A folder is usable when it is missing (it is created), empty, or holds the marker an earlier demo left
/// (``markerName``) and nothing but the files that marker lists. Then only those files are removed before the
/// new ones are written. Anything else in the folder, and the folder is left exactly as it was.
struct DemoFolder {
    /// The marker: which files a demo wrote here, so the next one may replace them and nothing else.
    static let markerName = "written-by-cost-audit-demo.json"
    /// The configuration naming the demo's inputs for the other subcommands.
    static let configName = "cost-audit.json"
    /// The ledger directory.
    static let ledgerName = "ledger"
    /// The provider's usage export.
    static let usageName = "usage/openai.json"
    /// The key map.
    static let keysName = "keys.json"
    /// The mapping rules.
    static let rulesName = "rules.json"
    /// What the marker says it was written by.
    static let writer = "cost-audit demo"

    /// The folder, as the user named it.
    let path: String

    /// `relative` inside the folder.
    func path(_ relative: String) -> String { path.hasSuffix("/") ? path + relative : path + "/" + relative }

    var ledger: String { path(Self.ledgerName) }
    var usage: String { path(Self.usageName) }
    var keys: String { path(Self.keysName) }
    var rules: String { path(Self.rulesName) }
    var config: String { path(Self.configName) }
    var marker: String { path(Self.markerName) }

    /// The configuration file's text: the demo's inputs, relative to the configuration file's folder, and the
    /// dollar minimums of `cost-audit alerts` scaled to the demo's traffic (docs/alerts.md): the defaults ($1.00)
    /// suit a product of about 1,000 requests a day, so the demo's `requests` a day get `requests / 1000` dollars
    /// (at least $0.01, at most $1.00).
    static func configuration(requestsPerDay requests: Int) -> String {
        let cents = min(max(requests / 10, 1), 100)
        let dollars = "\(cents / 100)." + (cents % 100 < 10 ? "0" : "") + "\(cents % 100)"
        let minimums = [
            "cost_per_active_user.minimum_usd_at_stake", "feature_rate.minimum_usd_at_stake",
            "task_type_cost.minimum_usd_at_stake", "tool_share.minimum_tool_usd", "retry_waste.minimum_usd_at_stake",
        ].map { "\"\($0)\": \"\(dollars)\"" }.joined(separator: ", ")
        return """
            {"ledgers": ["\(ledgerName)"], "usage": ["\(usageName)"], "keys": "\(keysName)", "rules": "\(rulesName)",
             "alerts": {\(minimums)}}

            """
    }

    /// Why the folder cannot be used or written.
    struct Failure: Error {
        /// The one line to print after `error: `.
        var message: String
        /// True when the user named a folder the demo may not write into (bad usage); false when writing
        /// failed (the tool's own failure).
        var refused: Bool
    }

    /// Makes the folder ready for a new demo: creates it when missing, accepts it empty, and when it holds an
    /// earlier demo's marker and only what that marker lists, removes those files (and the demo's own
    /// subfolders once empty). Otherwise refuses and changes nothing.
    func prepare() throws(Failure) {
        switch Self.kind(path, followLink: true) {
        case nil:
            try createDirectory(path)
            return
        case .directory?:
            break
        case .other?:
            throw Failure(message: "\(path): exists and is not a folder; name a new or empty folder", refused: true)
        }
        let entries = try listing()
        if entries.isEmpty { return }
        guard entries[Self.markerName] == .other else {
            throw Failure(
                message: "\(path): not empty, and no \(Self.markerName) from an earlier demo in it; name a new or "
                    + "empty folder (the demo never deletes what it did not write)",
                refused: true
            )
        }
        let listed = try readMarker()
        var allowedDirectories: Set<String> = [Self.ledgerName, "usage"]
        for file in listed {
            var parts = file.split(separator: "/").dropLast()
            while !parts.isEmpty {
                allowedDirectories.insert(parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        let foreign = entries.keys.sorted().filter { name in
            guard name != Self.markerName else { return false }
            return entries[name] == .directory ? !allowedDirectories.contains(name) : !listed.contains(name)
        }
        if let first = foreign.first {
            let more = foreign.count > 1 ? " (and \(foreign.count - 1) more)" : ""
            throw Failure(
                message: "\(path): holds \(first)\(more), which no earlier demo wrote; move it away or name a new "
                    + "or empty folder",
                refused: true
            )
        }
        for file in listed.sorted() where entries[file] != nil {
            try remove(path(file))
        }
        // Deepest first, so a parent is empty by the time it is removed.
        for directory in allowedDirectories.sorted(by: { $0.count > $1.count }) where entries[directory] != nil {
            _ = SystemIO.removeDirectory(path(directory))
        }
        try remove(marker)
    }

    /// Writes the marker listing `files` (paths relative to the folder) before they are written, so a demo that
    /// stops half-way still leaves a folder the next demo may replace.
    func writeMarker(files: [String], seed: UInt64, days: Int, requestsPerDay: Int) throws(Failure) {
        let list = files.sorted().map { "    \"\($0)\"" }.joined(separator: ",\n")
        try writeFile(
            """
            {
              "written_by": "\(Self.writer)",
              "seed": \(seed),
              "days": \(days),
              "requests_per_day": \(requestsPerDay),
              "files": [
            \(list)
              ]
            }

            """,
            to: Self.markerName
        )
    }

    /// Writes `text` to `relative`, creating its folder.
    func writeFile(_ text: String, to relative: String) throws(Failure) {
        let target = path(relative)
        if let slash = relative.lastIndex(of: "/") {
            try createDirectory(path(String(relative[..<slash])))
        }
        let fd = SystemIO.open(target, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        guard fd >= 0 else {
            throw Failure(message: "\(target): cannot be written: \(Self.lastError())", refused: false)
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = SystemIO.write(fd, bytes, from: offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(message: "\(target): cannot be written: \(Self.lastError())", refused: false)
            }
            offset += n
        }
    }

    /// Creates `directory` and its missing parents.
    func createDirectory(_ directory: String) throws(Failure) {
        if Self.kind(directory, followLink: true) == .directory { return }
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != directory, Self.kind(parent, followLink: true) == nil {
            try createDirectory(parent)
        }
        if SystemIO.makeDirectory(directory, mode: 0o755) != 0, errno != EEXIST {
            throw Failure(message: "\(directory): cannot be created: \(Self.lastError())", refused: false)
        }
    }

    // MARK: - Reading the folder

    enum Kind: Equatable {
        case directory
        /// A file, a link, anything that is not a folder.
        case other
    }

    /// What is at `path`, nil when nothing is.
    static func kind(_ path: String, followLink: Bool) -> Kind? {
        guard let info = SystemIO.status(path: path, followingLinks: followLink) else { return nil }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .other
    }

    /// Everything in the folder, by path relative to it, without following links.
    func listing() throws(Failure) -> [String: Kind] {
        var entries: [String: Kind] = [:]
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? path : path(relative)
            guard SystemIO.directoryNames(absolute) != nil else {
                throw Failure(message: "\(absolute): cannot be read: \(Self.lastError())", refused: false)
            }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: absolute) else {
                throw Failure(message: "\(absolute): cannot be read", refused: false)
            }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                let kind = Self.kind(path(child), followLink: false) ?? .other
                entries[child] = kind
                if kind == .directory { pending.append(child) }
            }
        }
        return entries
    }

    /// The files an earlier demo's marker lists, each a plain path inside the folder.
    func readMarker() throws(Failure) -> Set<String> {
        func refuse(_ why: String) -> Failure {
            Failure(message: "\(marker): \(why); move the folder away or name a new or empty one", refused: true)
        }
        guard let data = FileManager.default.contents(atPath: marker) else { throw refuse("cannot be read") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            object["written_by"] as? String == Self.writer, let files = object["files"] as? [String]
        else { throw refuse("not a marker cost-audit demo wrote") }
        for file in files {
            let parts = file.split(separator: "/", omittingEmptySubsequences: false)
            if file.hasPrefix("/") || parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                throw refuse("lists \"\(file)\", which is not a plain path inside the folder")
            }
        }
        return Set(files)
    }

    private func remove(_ file: String) throws(Failure) {
        if SystemIO.removeFile(file) != 0, errno != ENOENT {
            throw Failure(message: "\(file): cannot be removed: \(Self.lastError())", refused: false)
        }
    }

    private static func lastError() -> String {
        let code = errno
        return SystemIO.errorMessage(code) ?? "error \(code)"
    }
}
