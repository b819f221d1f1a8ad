import Attribution
import CostLedger
import Foundation
import Testing

@Suite("cost-audit demo")
struct DemoCommandTests {
    @Test("the demo simulates, audits and reports every class; the same seed gives the same report")
    func deterministicReport() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = await runInProcess([
            "demo", dir.appendingPathComponent("a").path, "--requests", "8", "--format", "json",
        ])
        let second = await runInProcess([
            "demo", dir.appendingPathComponent("b").path, "--requests", "8", "--format", "json",
        ])
        #expect(first.status == 0)
        #expect(first.stderr.isEmpty)
        #expect(first.stdout == second.stdout)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        )
        let classes = try #require(report["classes"] as? [String: String])
        for name in ["direct", "inherited", "rule", "key_allocated", "unknown"] {
            let amount = try #require(classes[name].flatMap { Decimal(string: $0) })
            #expect(amount > 0, "class \(name) should hold some of the demo's spend")
        }
        let reasons = try #require(report["unknown_by_reason"] as? [String: String])
        for name in ["broken_lineage", "missing_fields", "unrecorded"] {
            #expect((reasons[name].flatMap { Decimal(string: $0) } ?? 0) > 0, "reason \(name)")
        }
        #expect((report["retry_identity_conflicts"] as? Int ?? 0) > 0)
        let before = try #require(report["unknown_share_before"] as? Double)
        let after = try #require(report["unknown_share_after"] as? Double)
        #expect(after < before)
        let other = await runInProcess([
            "demo", dir.appendingPathComponent("c").path, "--requests", "8", "--seed", "7",
        ])
        #expect(other.status == 0)
        #expect(other.stdout.contains("Unknown share:"))
    }

    @Test("the files cost-audit.json names are the demo's inputs: auditing them gives the demo's report")
    func filesAuditAgain() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let demo = await runInProcess(["demo", dir.path, "--requests", "6", "--days", "30", "--format", "json"])
        #expect(demo.status == 0)
        let data = try Data(contentsOf: dir.appendingPathComponent("cost-audit.json"))
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(config.keys) == ["ledgers", "usage", "keys", "rules", "alerts"],
            "no prices: the demo writes no price file"
        )
        let ledgers = try #require(config["ledgers"] as? [String])
        let usage = try #require(config["usage"] as? [String])
        let keys = try #require(config["keys"] as? String)
        let rules = try #require(config["rules"] as? String)
        // Relative paths, resolved against the configuration file's folder.
        func resolve(_ path: String) -> String {
            #expect(!path.hasPrefix("/"), "\(path) should be relative")
            return dir.appendingPathComponent(path).path
        }
        var arguments = ["audit"] + ledgers.map(resolve)
        for file in usage { arguments += ["--usage", resolve(file)] }
        arguments += ["--keys", resolve(keys), "--rules", resolve(rules), "--format", "json"]
        let audit = await runInProcess(arguments)
        #expect(audit.status == 0)
        #expect(audit.stdout == demo.stdout)
        // The built tool, as the demo's closing lines tell a user: `--config`, then from the folder itself.
        let viaConfig = try runTool([
            "audit", "--config", dir.appendingPathComponent("cost-audit.json").path, "--format", "json",
        ])
        #expect(viaConfig.status == 0)
        #expect(viaConfig.stdout == demo.stdout)
        let fromFolder = try runTool(["audit", "--format", "json"], directory: dir)
        #expect(fromFolder.status == 0)
        #expect(fromFolder.stdout == demo.stdout)
        let gate = await runInProcess(["audit", resolve(ledgers[0]), "--fail-above", "0.5", "--format", "csv"])
        #expect(gate.status == 2)
        #expect(gate.stderr.contains("--fail-above"))
    }

    @Test("bad demo options are usage errors")
    func badOptions() async {
        #expect(await runInProcess(["demo", "--requests", "0"]).status == 64)
        #expect(await runInProcess(["demo", "--requests", "100001"]).status == 64)
        #expect(await runInProcess(["demo", "--seed", "x"]).status == 64)
        #expect(await runInProcess(["demo", "--days", "0"]).status == 64)
        #expect(await runInProcess(["demo", "--days", "ninety"]).status == 64)
        let empty = await runInProcess(["demo", ""])
        #expect(empty.status == 64)
        #expect(empty.stderr.hasPrefix("error: the value '' is invalid for '<dir>'"), "\(empty.stderr)")
    }

    @Test("demo DIR on a folder holding a user's file refuses with one line and leaves the folder as it was")
    func refusesAForeignFolder() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notes = dir.appendingPathComponent("notes.txt")
        try write("my notes\n", to: notes)

        let run = try runTool(["demo", dir.path, "--days", "2", "--requests", "2"])
        #expect(run.status == 64)
        #expect(run.stderr.hasPrefix("error: \(dir.path): not empty"))
        #expect(run.stderr.filter { $0 == "\n" }.count == 1)
        #expect(run.stdout.isEmpty)
        #expect(try String(contentsOf: notes, encoding: .utf8) == "my notes\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["notes.txt"])

        // A file where the folder should be is refused the same way.
        let onFile = try runTool(["demo", notes.path, "--days", "2", "--requests", "2"])
        #expect(onFile.status == 64)
        #expect(onFile.stderr == "error: \(notes.path): exists and is not a folder; name a new or empty folder\n")
        #expect(try String(contentsOf: notes, encoding: .utf8) == "my notes\n")
    }

    @Test("a folder an earlier demo wrote is replaced; a user's file added to it stops the demo and survives")
    func replacesOnlyItsOwnFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try runTool(["demo", dir.path, "--days", "3", "--requests", "4", "--quiet"])
        #expect(first.status == 0)
        let marker = dir.appendingPathComponent("written-by-cost-audit-demo.json")
        #expect(FileManager.default.fileExists(atPath: marker.path))
        let before = try filesBelow(dir)

        // Run again, shorter: the earlier demo's files are replaced, nothing of the first run is left.
        let again = try runTool(["demo", dir.path, "--days", "2", "--requests", "4", "--quiet"])
        #expect(again.status == 0)
        #expect(again.stderr.isEmpty)
        let after = try filesBelow(dir)
        #expect(after.keys.filter { $0.hasPrefix("ledger/") }.count == 2)
        #expect(before.keys.filter { $0.hasPrefix("ledger/") }.count == 3)
        let listed = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: marker)) as? [String: Any]
        )
        #expect(
            Set(try #require(listed["files"] as? [String])) == Set(after.keys).subtracting([marker.lastPathComponent])
        )

        // A user's file in the demo's ledger folder: refused, and every file stays as it was.
        let mine = dir.appendingPathComponent("ledger/mine.jsonl")
        try write("{\"mine\": true}\n", to: mine)
        let refused = try runTool(["demo", dir.path, "--days", "2", "--requests", "4", "--quiet"])
        #expect(refused.status == 64)
        #expect(
            refused.stderr
                == "error: \(dir.path): holds ledger/mine.jsonl, which no earlier demo wrote; move it away or name "
                + "a new or empty folder\n"
        )
        var expected = after
        expected["ledger/mine.jsonl"] = Data("{\"mine\": true}\n".utf8)
        #expect(try filesBelow(dir) == expected)
    }

    @Test("help demo names the default folder and every file the demo writes")
    func helpSaysWhatItWrites() async throws {
        let help = await runInProcess(["help", "demo"])
        #expect(help.status == 0)
        let text = help.stdout.replacingOccurrences(of: "\n", with: " ")
        let seed = "90210\(ProcessInfo.processInfo.processIdentifier)"
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("cost-audit-demo-\(seed)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(text.contains((NSTemporaryDirectory() as NSString).appendingPathComponent("cost-audit-demo-<seed>")))
        #expect(text.contains("--days"))
        #expect(text.contains("average day"))

        // Without a folder the demo writes where the help says.
        let run = await runInProcess(["demo", "--seed", seed, "--days", "2", "--requests", "2", "--quiet"])
        #expect(run.status == 0)
        let written = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(written.count == 6)
        for name in written {
            #expect(text.contains(name), "help demo does not mention \(name)")
        }
        #expect(text.contains("usage/openai.json"))
    }

    @Test("the demo spends on every one of 90 days, in a daily and weekly rhythm that grows")
    func ninetyDaysOfRhythm() async throws {
        let (dir, records) = try await demoLedger(requests: 30)
        defer { try? FileManager.default.removeItem(at: dir) }
        let calls = records.filter { $0.kind == .call && ($0.costUSD ?? .zero) > .zero }
        let days = Set(calls.map { day($0) })
        #expect(days.count == 90)

        // The provider's usage export covers the same 90 days.
        let usage = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("usage/openai.json")))
                as? [String: Any]
        )
        let buckets = try #require(usage["data"] as? [[String: Any]])
        let billed = Set(
            buckets.filter { !(($0["results"] as? [Any]) ?? []).isEmpty }.compactMap { $0["start_time"] as? Int }
                .map { Int64($0) / 86_400 }
        )
        #expect(billed == days)

        // Requests: each tags a root unit.
        let roots = records.filter { $0.kind == .unit && $0.parentID == nil }
        var perDay: [Int64: Int] = [:]
        var perHour = [Int](repeating: 0, count: 24)
        for root in roots {
            perDay[day(root), default: 0] += 1
            let ms = root.timestamp.millisecondsSinceEpoch
            if weekday(day(root)) < 5 { perHour[Int(ms % 86_400_000 / 3_600_000)] += 1 }
        }
        func mean(_ values: [Int]) -> Double { Double(values.reduce(0, +)) / Double(max(1, values.count)) }
        let sorted = perDay.keys.sorted()
        let weekdays = sorted.filter { weekday($0) < 5 }.map { perDay[$0]! }
        let weekends = sorted.filter { weekday($0) >= 5 }.map { perDay[$0]! }
        #expect(mean(weekdays) > 2.5 * mean(weekends), "weekends are quiet")
        let nights = perHour[0..<6].reduce(0, +)
        let working = perHour[9..<17].reduce(0, +)
        #expect(Double(working) / 8 > 8 * Double(nights) / 6, "nights are quiet, working hours busy")
        let firstWeeks = sorted.prefix(28).map { perDay[$0]! }
        let lastWeeks = sorted.dropLast().suffix(28).map { perDay[$0]! }
        #expect(mean(lastWeeks) > 1.15 * mean(firstWeeks), "traffic grows")
        #expect(mean(lastWeeks) < 1.8 * mean(firstWeeks), "gently")
    }

    @Test("on the last day one user sends at least 40% of one hour's calls at several times the usual tokens")
    func plantedSpike() async throws {
        let (dir, records) = try await demoLedger(requests: 30)
        defer { try? FileManager.default.removeItem(at: dir) }
        let calls = records.filter { $0.kind == .call }
        let lastDay = try #require(calls.map { day($0) }.max())
        var byHour: [Int: [CostRecord]] = [:]
        for call in calls where day(call) == lastDay {
            let start = (call.startedAt ?? call.timestamp).millisecondsSinceEpoch
            byHour[Int(start % 86_400_000 / 3_600_000), default: []].append(call)
        }
        func tokens(_ record: CostRecord) -> Double { Double(record.usage.input + record.usage.output) }
        // A feature's usual tokens per call, from the days before.
        var usual: [String: (tokens: Double, calls: Double)] = [:]
        for call in calls where day(call) < lastDay {
            let feature = call.attribution[.feature] ?? ""
            usual[feature, default: (0, 0)].tokens += tokens(call)
            usual[feature, default: (0, 0)].calls += 1
        }
        var found: (hour: Int, user: String, share: Double, ratio: Double)?
        for (hour, hourCalls) in byHour where hourCalls.count >= 6 {
            let byUser = Dictionary(grouping: hourCalls) { $0.attribution[.userID] ?? "" }
            guard let (user, own) = byUser.max(by: { $0.value.count < $1.value.count }), !user.isEmpty else {
                continue
            }
            let share = Double(own.count) / Double(hourCalls.count)
            // The user's tokens against what the same calls use on a usual day, feature by feature.
            let expected = own.reduce(0.0) { sum, call in
                let normal = usual[call.attribution[.feature] ?? ""] ?? (0, 0)
                return sum + normal.tokens / max(1, normal.calls)
            }
            let ratio = own.reduce(0.0) { $0 + tokens($1) } / max(1, expected)
            if share >= 0.4, ratio >= 3 { found = (hour, user, share, ratio) }
        }
        let spike = try #require(found, "no hour of the last day has one user with 40% of its calls at 3x tokens")
        #expect(spike.share >= 0.4)
        #expect(spike.ratio >= 3)
        // The same user in the other hours of the last day is an ordinary user.
        let rest = calls.filter { day($0) == lastDay && $0.attribution[.userID] == spike.user }
            .filter {
                Int(((($0.startedAt ?? $0.timestamp).millisecondsSinceEpoch) % 86_400_000) / 3_600_000) != spike.hour
            }
        #expect(rest.count < 5)
    }

    @Test("draft_reply switches to a prompt version reading three times the input tokens for the last 20 days")
    func plantedPromptSwitch() async throws {
        let (dir, records) = try await demoLedger(requests: 30)
        defer { try? FileManager.default.removeItem(at: dir) }
        let calls = records.filter { $0.kind == .call }
        let ledgerDays = Set(calls.map { day($0) }).sorted()
        let replies = calls.filter { $0.attribution[.feature] == "draft_reply" }
        let byVersion = Dictionary(grouping: replies) { $0.attribution[.promptVersion] ?? "" }
        #expect(Set(byVersion.keys) == ["reply-v1", "reply-v2"])
        let before = try #require(byVersion["reply-v1"])
        let after = try #require(byVersion["reply-v2"])
        // The new version on the last 20 days only (a quiet Sunday may have no reply at all), the old before.
        let afterDays = Set(after.map { day($0) })
        #expect(afterDays.isSubset(of: ledgerDays.suffix(20)))
        #expect(afterDays.count >= 15)
        #expect(Set(before.map { day($0) }).isSubset(of: ledgerDays.dropLast(20)))
        func input(_ records: [CostRecord]) -> Double {
            Double(records.reduce(0) { $0 + $1.usage.input }) / Double(max(1, records.count))
        }
        let ratio = input(after) / input(before)
        #expect((2.6...3.4).contains(ratio), "input tokens after the switch are \(ratio)x those before")
        // The other features keep their prompt and their tokens.
        let summaries = calls.filter { $0.attribution[.feature] == "summarize" && $0.attribution[.userID] != nil }
        let lateSummaries = summaries.filter { ledgerDays.suffix(20).dropLast().contains(day($0)) }
        let earlySummaries = summaries.filter { !ledgerDays.suffix(20).contains(day($0)) }
        #expect(input(lateSummaries) / input(earlySummaries) < 1.3)
    }

    @Test("two runs with the same seed write byte-identical files; another seed writes other ones")
    func byteIdenticalFiles() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var trees: [[String: Data]] = []
        for (name, seed) in [("a", "5"), ("b", "5"), ("c", "6")] {
            let folder = dir.appendingPathComponent(name)
            let run = await runInProcess([
                "demo", folder.path, "--seed", seed, "--days", "30", "--requests", "10", "--quiet",
            ])
            #expect(run.status == 0)
            trees.append(try filesBelow(folder))
        }
        #expect(trees[0].count == 35)
        #expect(trees[0] == trees[1])
        #expect(trees[0]["usage/openai.json"] != trees[2]["usage/openai.json"])
    }
}

/// Runs the demo into a new folder and reads its ledger back.
private func demoLedger(requests: Int) async throws -> (URL, [CostRecord]) {
    let dir = try temporaryDirectory()
    let run = await runInProcess(["demo", dir.path, "--requests", String(requests), "--quiet"])
    #expect(run.status == 0)
    let (records, stats) = try LedgerReader(path: dir.appendingPathComponent("ledger").path).readAll()
    #expect(stats.skippedLines == 0)
    return (dir, records)
}

/// The UTC day a call started (a unit's creation day).
private func day(_ record: CostRecord) -> Int64 { (record.startedAt ?? record.timestamp).utcDay }

/// Monday is 0.
private func weekday(_ day: Int64) -> Int { Int((day + 3) % 7) }

/// Every file below `folder`, by relative path, with its bytes.
private func filesBelow(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let base = folder.standardizedFileURL.path
    guard let walker = FileManager.default.enumerator(atPath: base) else { return files }
    while let relative = walker.nextObject() as? String {
        var isDirectory: ObjCBool = false
        let path = base + "/" + relative
        if unsafe FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
    }
    return files
}
