import Attribution
import CostAudit
import CostLedger
import CostReports
import Foundation
import Testing

/// Every test explains at 2026-12-01T00:00:00Z: the current window is [2026-11-01, 2026-12-01), the previous one
/// [2026-10-02, 2026-11-01). Prices (ReportTestSupport.swift): mid-1 costs $10 per million input tokens and $20 per
/// million output tokens, so 1,000 input tokens are $0.01 and 500 output tokens $0.01; cheap-1 costs $1 per million
/// input tokens.
@Suite("explain: cost per task, its change and its drivers")
struct ExplainReportTests {
    static let now = "2026-12-01T00:00:00Z"

    /// A record of another feature in the first hours of the previous window ($0.001 of cheap-1), so the data
    /// covers both windows and neither is partial.
    func anchor() throws -> CostRecord {
        try modelCall(
            "anchor",
            at: "2026-10-02T03:00:00Z",
            model: "cheap-1",
            input: 1000,
            attribution: business(feature: "other"),
            leaf: 999
        )
    }

    /// A `draft_reply` call of `user` with prompt version `prompt`.
    func draft(
        _ id: String,
        at: String,
        input: Int64,
        output: Int64 = 500,
        user: String,
        prompt: String,
        leaf: UInt64
    ) throws -> CostRecord {
        try modelCall(
            id,
            at: at,
            input: input,
            output: output,
            attribution: business(
                user: user,
                feature: "draft_reply",
                team: "support",
                project: "helpdesk",
                taskType: "generate",
                extra: [.promptVersion: prompt]
            ),
            leaf: leaf
        )
    }

    /// `draft_reply` moves from prompt `reply-v1` to `reply-v2`, which reads three times the input tokens.
    /// - previous: four tasks on reply-v1 (1,000 input + 500 output of mid-1 = $0.02 each), two of u_1 and two
    ///   of u_2: $0.08 over 4 tasks = $0.02 per task.
    /// - current: one task on reply-v1 ($0.02, u_1) and three on reply-v2 (3,000 input + 500 output = $0.03 +
    ///   $0.01 = $0.04 each; one of u_1, two of u_2): $0.14 over 4 tasks = $0.035 per task.
    /// - change: 0.035 / 0.02 − 1 = 0.75, and +$0.015 per task.
    /// - drivers (spend ÷ 4 tasks in each window):
    ///   1. prompt_version reply-v2: $0 → $0.12, $0 → $0.03 per task: +$0.03 (new, so it counts fully)
    ///   2. prompt_version reply-v1: $0.08 → $0.02, $0.02 → $0.005 per task: −$0.015
    ///   3. user_id u_2: $0.04 → $0.08, $0.01 → $0.02 per task: +$0.01 (u_1: $0.04 → $0.06, +$0.005)
    ///   model (mid-1), task_type (generate), tool, agent and api_key_id (none) take one value: no driver.
    /// A `search` call of $0.20 in the current window is another scope and counts nowhere.
    func plantedPromptChange() throws -> [CostRecord] {
        [
            try anchor(),
            try draft("p1", at: "2026-10-10T10:00:00Z", input: 1000, user: "u_1", prompt: "reply-v1", leaf: 1),
            try draft("p2", at: "2026-10-12T10:00:00Z", input: 1000, user: "u_1", prompt: "reply-v1", leaf: 2),
            try draft("p3", at: "2026-10-14T10:00:00Z", input: 1000, user: "u_2", prompt: "reply-v1", leaf: 3),
            try draft("p4", at: "2026-10-16T10:00:00Z", input: 1000, user: "u_2", prompt: "reply-v1", leaf: 4),
            try draft("c1", at: "2026-11-05T10:00:00Z", input: 1000, user: "u_1", prompt: "reply-v1", leaf: 5),
            try draft("c2", at: "2026-11-12T10:00:00Z", input: 3000, user: "u_1", prompt: "reply-v2", leaf: 6),
            try draft("c3", at: "2026-11-15T10:00:00Z", input: 3000, user: "u_2", prompt: "reply-v2", leaf: 7),
            try draft("c4", at: "2026-11-20T10:00:00Z", input: 3000, user: "u_2", prompt: "reply-v2", leaf: 8),
            try modelCall(
                "s1",
                at: "2026-11-20T11:00:00Z",
                model: "big-1",
                output: 1000,
                attribution: business(feature: "search", extra: [.promptVersion: "search-v9"]),
                leaf: 9
            ),
        ]
    }

    func explain(
        _ records: [CostRecord],
        _ dimension: ReportDimension = .feature,
        _ value: String,
        usage: [UsageExportSource] = [],
        keyMap: AuditKeyMap = .empty,
        since: String? = nil,
        until: String? = nil,
        top: Int = 3
    ) throws -> ExplainReport {
        let now = try instant(Self.now)
        let window = try #require(
            ExplainReport.auditWindow(
                now: now,
                since: try since.map { try instant($0) },
                until: try until.map { try instant($0) }
            )
        )
        let data = try dataset(records, usage: usage, keyMap: keyMap, since: window.since, until: window.until)
        return try ExplainReport(data, scope: try ExplainReport.Scope(dimension, value), now: now, top: top)
    }

    func perTask(_ amount: String, _ tasks: Int = 1) throws -> MoneyQuotient {
        MoneyQuotient(try dollars(amount), per: tasks)
    }

    @Test("a planted prompt-version change is the first driver, with its dollars per task and in total")
    func plantedPromptVersionIsFirstDriver() throws {
        let report = try explain(try plantedPromptChange(), .feature, "draft_reply")
        #expect(report.previous.tasks == 4)
        #expect(report.current.tasks == 4)
        #expect(report.previous.usd == (try dollars("0.08")))
        #expect(report.current.usd == (try dollars("0.14")))
        #expect(report.previous.usdPerTask == (try perTask("0.02")))
        #expect(report.current.usdPerTask == (try perTask("0.035")))
        #expect(report.usdPerTaskChange == (try perTask("0.015")))
        #expect(report.change?.fraction == "0.750000")

        #expect(report.drivers.map(\.dimension) == [.promptVersion, .promptVersion, .userID])
        #expect(report.drivers.map(\.value) == ["reply-v2", "reply-v1", "u_2"])
        let first = try #require(report.drivers.first)
        #expect(first.usdPerTaskChange == (try perTask("0.03")))
        #expect(first.usdPerTaskCurrent == (try perTask("0.03")))
        #expect(first.usdPerTaskPrevious == .zero)
        #expect(first.usdCurrent == (try dollars("0.12")))
        #expect(first.usdPrevious == .zero)
        let second = report.drivers[1]
        #expect(second.usdPerTaskChange == (try perTask("-0.015")))
        #expect(second.usdCurrent == (try dollars("0.02")))
        #expect(second.usdPrevious == (try dollars("0.08")))
        #expect(report.drivers[2].usdPerTaskChange == (try perTask("0.01")))
        #expect(report.varyingDimensions == [.promptVersion, .userID])
        #expect(report.partialWindows.isEmpty)

        let json = report.render(.json)
        #expect(json.contains(#""cost_per_task":{"current":"0.035000000","previous":"0.020000000","change":0.750000}"#))
        #expect(json.contains(#""tasks":{"current":4,"previous":4}"#))
        #expect(json.contains(#""spend_usd":{"current":"0.140000000","previous":"0.080000000"}"#))
        #expect(
            json.contains(
                #""drivers":[{"dimension":"prompt_version","value":"reply-v2","usd_per_task_change":"0.030000000","#
                    + #""usd_per_task_current":"0.030000000","usd_per_task_previous":"0.000000000","#
                    + #""usd_current":"0.120000000","usd_previous":"0.000000000"}"#
            )
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let costPerTask = try #require(object["cost_per_task"] as? [String: Any])
        #expect(costPerTask["change"] as? Double == 0.75)
        #expect((object["scope"] as? [String: String]) == ["dimension": "feature", "value": "draft_reply"])

        let table = report.render(.table)
        #expect(table.contains("Change in cost per task: +75.0000% (+0.015000 per task)."))
        #expect(table.contains("prompt_version  reply-v2"))
        let csv = report.render(.csv).split(separator: "\n").map(String.init)
        #expect(csv.first == ExplainReport.csvColumns.joined(separator: ","))
        #expect(
            csv.dropFirst().first
                == "scope,feature,draft_reply,4,4,0.080000000,0.140000000,0.020000000,0.035000000,0.015000000,0.750000,"
        )
        #expect(
            csv.dropFirst(2).first
                == "driver,prompt_version,reply-v2,,,0.000000000,0.120000000,0.000000000,0.030000000,0.030000000,,"
        )
        #expect(
            report.render(.markdown).contains("| 1 | prompt_version | reply-v2 | 0.000000 | 0.030000 | +0.030000 |")
        )
    }

    /// Feature `triage`, every call 1,000 input tokens of mid-1 ($0.01) unless said otherwise:
    /// - task 10: its first attempt, a retry (attempt 2) and two fan-out children (root 10): $0.04, one task;
    /// - task 20: one call, $0.01;
    /// - task 30: its root call at 2026-10-31T23:59 ($0.01, previous window) and a child at 2026-11-01T00:01
    ///   (2,000 input, $0.02, current window): one task in each window, its spend split by record time.
    /// Previous: 1 task, $0.01, $0.01 per task. Current: tasks 10, 20, 30 = 3, $0.07, $0.07 / 3 = $0.0233…
    /// per task. Change: (0.07 / 3) / 0.01 − 1 = 4/3, shown as 1.333333.
    @Test("cost per task counts a root with its retries and fan-out as one task, in each window it spends in")
    func retriesAndFanOut() throws {
        let triage = business(feature: "triage")
        let records = [
            try anchor(),
            try modelCall("c-root", at: "2026-10-31T23:59:00Z", input: 1000, attribution: triage, leaf: 30),
            try modelCall(
                "c-child",
                at: "2026-11-01T00:01:00Z",
                input: 2000,
                attribution: triage,
                leaf: 31,
                parent: 30,
                root: 30
            ),
            try modelCall("a1", at: "2026-11-02T10:00:00Z", input: 1000, attribution: triage, leaf: 10, attempt: 1),
            try modelCall("a2", at: "2026-11-02T10:01:00Z", input: 1000, attribution: triage, leaf: 10, attempt: 2),
            try modelCall(
                "a3",
                at: "2026-11-02T10:02:00Z",
                input: 1000,
                attribution: triage,
                leaf: 11,
                parent: 10,
                root: 10
            ),
            try modelCall(
                "a4",
                at: "2026-11-02T10:03:00Z",
                input: 1000,
                attribution: triage,
                leaf: 12,
                parent: 10,
                root: 10
            ),
            try modelCall("b", at: "2026-11-03T10:00:00Z", input: 1000, attribution: triage, leaf: 20),
        ]
        let report = try explain(records, .feature, "triage")
        #expect(report.previous.tasks == 1)
        #expect(report.previous.usd == (try dollars("0.01")))
        #expect(report.current.tasks == 3)
        #expect(report.current.usd == (try dollars("0.07")))
        #expect(report.current.usdPerTask == (try perTask("0.07", 3)))
        #expect(report.current.usdPerTask.formatted() == "0.023333333")
        let change = try #require(report.change)
        #expect(change.numerator * 3 == change.denominator * 4)
        #expect(change.fraction == "1.333333")
        #expect(change.percent == "+133.3333%")
    }

    /// Feature `deep` leaves mid-1 for cheap-1: previous two tasks of 1,000 input of mid-1 ($0.01 each, $0.01
    /// per task); current two tasks of 1,000 input of cheap-1 ($0.001 each, $0.001 per task). Change 0.001 /
    /// 0.01 − 1 = −0.9. Drivers: model mid-1, gone: $0.01 → $0 per task, −$0.01, counted fully; model cheap-1,
    /// new: $0 → $0.001, +$0.001.
    @Test("a value new in the current window or gone from it counts fully, and a fall is a negative change")
    func newAndGoneValuesCountFully() throws {
        let deep = business(feature: "deep")
        let records = [
            try anchor(),
            try modelCall("d1", at: "2026-10-10T10:00:00Z", input: 1000, attribution: deep, leaf: 1),
            try modelCall("d2", at: "2026-10-11T10:00:00Z", input: 1000, attribution: deep, leaf: 2),
            try modelCall("d3", at: "2026-11-10T10:00:00Z", model: "cheap-1", input: 1000, attribution: deep, leaf: 3),
            try modelCall("d4", at: "2026-11-11T10:00:00Z", model: "cheap-1", input: 1000, attribution: deep, leaf: 4),
        ]
        let report = try explain(records, .feature, "deep")
        #expect(report.drivers.map(\.dimension) == [.model, .model])
        #expect(report.drivers.map(\.value) == ["openai/mid-1", "openai/cheap-1"])
        #expect(report.drivers[0].usdPerTaskChange == (try perTask("-0.01")))
        #expect(report.drivers[0].usdPrevious == (try dollars("0.02")))
        #expect(report.drivers[0].usdCurrent == .zero)
        #expect(report.drivers[1].usdPerTaskChange == (try perTask("0.001")))
        #expect(report.drivers[1].usdCurrent == (try dollars("0.002")))
        #expect(report.change?.fraction == "-0.900000")
        #expect(report.change?.percent == "-90.0000%")
    }

    /// Feature `launch` starts in the current window: tasks of $0.01 and $0.03, $0.02 per task; nothing before,
    /// so the previous cost per task is 0 and the change is null.
    @Test("the change is null when the previous window has no spend")
    func nullChange() throws {
        let launch = business(feature: "launch")
        let records = [
            try anchor(),
            try modelCall("l1", at: "2026-11-10T10:00:00Z", input: 1000, attribution: launch, leaf: 1),
            try modelCall("l2", at: "2026-11-11T10:00:00Z", input: 3000, attribution: launch, leaf: 2),
        ]
        let report = try explain(records, .feature, "launch")
        #expect(report.change == nil)
        #expect(report.current.usdPerTask == (try perTask("0.02")))
        #expect(report.previous.usdPerTask == .zero)
        #expect(report.previous.tasks == 0)
        #expect(
            report.render(.json).contains(
                #""cost_per_task":{"current":"0.020000000","previous":"0.000000000","change":null}"#
            )
        )
        #expect(report.render(.table).contains("Change in cost per task: none"))
        let scopeRow = report.render(.csv).split(separator: "\n").dropFirst().first.map(String.init)
        #expect(scopeRow == "scope,feature,launch,0,2,0.000000000,0.040000000,0.000000000,0.020000000,0.020000000,,")
    }

    /// Feature `summarize`, every call on mid-1 (one model: it cannot be a driver, though its spend per task
    /// moves most, $0.01 → $0.025):
    /// - previous: u_1 $0.01, u_2 $0.01 (2 tasks): $0.005 per task each;
    /// - current: u_1 $0.03, u_2 $0.02 (2 tasks): $0.015 and $0.01 per task.
    /// Drivers: user_id u_1 +$0.01, user_id u_2 +$0.005.
    @Test("a dimension with only one value in the scope is not a driver")
    func singleValueDimensionIsNoDriver() throws {
        func call(_ id: String, _ at: String, _ input: Int64, _ user: String, _ leaf: UInt64) throws -> CostRecord {
            try modelCall(id, at: at, input: input, attribution: business(user: user, feature: "summarize"), leaf: leaf)
        }
        let records = [
            try anchor(),
            try call("s1", "2026-10-10T10:00:00Z", 1000, "u_1", 1),
            try call("s2", "2026-10-11T10:00:00Z", 1000, "u_2", 2),
            try call("s3", "2026-11-10T10:00:00Z", 3000, "u_1", 3),
            try call("s4", "2026-11-11T10:00:00Z", 2000, "u_2", 4),
        ]
        let report = try explain(records, .feature, "summarize")
        #expect(report.varyingDimensions == [.userID])
        #expect(report.drivers.map(\.value) == ["u_1", "u_2"])
        #expect(report.drivers.map(\.usdPerTaskChange) == [try perTask("0.01"), try perTask("0.005")])
        #expect(!report.drivers.contains { $0.dimension == .model })
        #expect(report.change?.fraction == "1.500000")
    }

    /// Feature `agentic` starts calling a tool: previous two tasks with no tool ($0.01 each); current task 3
    /// with no tool ($0.02) and task 4, a root call with no tool ($0.01) and a child with tool `web_search`
    /// ($0.02). Tool takes two values, `web_search` and no value, so it is a driver dimension:
    /// - web_search: $0 → $0.02 / 2 tasks = $0.01 per task, +$0.01;
    /// - (none): $0.02 / 2 = $0.01 → $0.03 / 2 = $0.015 per task, +$0.005.
    @Test("no value counts as a value: a tool that appears is a driver, and its absence shows as (none)")
    func missingValueCounts() throws {
        let plain = business(feature: "agentic")
        let tooled = business(feature: "agentic", extra: [.tool: "web_search"])
        let records = [
            try anchor(),
            try modelCall("g1", at: "2026-10-10T10:00:00Z", input: 1000, attribution: plain, leaf: 1),
            try modelCall("g2", at: "2026-10-11T10:00:00Z", input: 1000, attribution: plain, leaf: 2),
            try modelCall("g3", at: "2026-11-10T10:00:00Z", input: 2000, attribution: plain, leaf: 3),
            try modelCall("g4", at: "2026-11-11T10:00:00Z", input: 1000, attribution: plain, leaf: 4),
            try modelCall(
                "g5",
                at: "2026-11-11T10:01:00Z",
                input: 2000,
                attribution: tooled,
                leaf: 5,
                parent: 4,
                root: 4
            ),
        ]
        let report = try explain(records, .feature, "agentic")
        #expect(report.varyingDimensions == [.tool])
        #expect(report.drivers.map(\.value) == ["web_search", "(none)"])
        #expect(report.drivers.map(\.usdPerTaskChange) == [try perTask("0.01"), try perTask("0.005")])
        #expect(report.current.tasks == 2)
    }

    /// Feature `tie`, every call $0.01: previous u_a and u_b on key k1; current u_a on k1 and u_c on k2.
    /// Per task ($0.01 ÷ 2 = $0.005 each): u_a unchanged; u_b −$0.005 (gone); u_c +$0.005 (new); k1 $0.01 →
    /// $0.005, −$0.005; k2 +$0.005. Four ties: user_id comes before api_key_id, then values bytewise.
    @Test("ties go to the dimension listed first, then to the value first bytewise")
    func tiesAreDeterministic() throws {
        func call(_ id: String, _ at: String, _ user: String, _ key: String, _ leaf: UInt64) throws -> CostRecord {
            try modelCall(
                id,
                at: at,
                input: 1000,
                attribution: business(user: user, feature: "tie"),
                leaf: leaf,
                apiKey: key
            )
        }
        let records = [
            try anchor(),
            try call("t1", "2026-10-10T10:00:00Z", "u_a", "k1", 1),
            try call("t2", "2026-10-11T10:00:00Z", "u_b", "k1", 2),
            try call("t3", "2026-11-10T10:00:00Z", "u_a", "k1", 3),
            try call("t4", "2026-11-11T10:00:00Z", "u_c", "k2", 4),
        ]
        let three = try explain(records, .feature, "tie")
        #expect(three.drivers.map { "\($0.dimension)=\($0.value)" } == ["user_id=u_b", "user_id=u_c", "api_key_id=k1"])
        let four = try explain(records, .feature, "tie", top: 4)
        #expect(
            four.drivers.map { "\($0.dimension)=\($0.value)" } == [
                "user_id=u_b", "user_id=u_c", "api_key_id=k1", "api_key_id=k2",
            ]
        )
        #expect(three.change?.fraction == "0.000000")
        // u_a's spend per task did not move: not a driver, however many are asked for.
        #expect(try explain(records, .feature, "tie", top: 10).drivers.count == 4)
    }

    @Test("a window the data starts late in is partial and says where the data starts")
    func partialWhenDataStartsLate() throws {
        let late = business(feature: "late")
        let records = [
            try modelCall("e1", at: "2026-10-20T08:00:00Z", input: 1000, attribution: late, leaf: 1),
            try modelCall("e2", at: "2026-11-10T08:00:00Z", input: 1000, attribution: late, leaf: 2),
        ]
        let report = try explain(records, .feature, "late")
        #expect(report.previous.partialReason == "the data starts at 2026-10-20T08:00:00.000Z")
        #expect(report.previous.coveredSince == (try instant("2026-10-20T08:00:00Z")))
        #expect(report.previous.coveredUntil == (try instant("2026-11-01T00:00:00Z")))
        #expect(!report.current.isPartial)
        #expect(report.partialWindows == ["previous"])
        #expect(report.dataSince == (try instant("2026-10-20T08:00:00Z")))
        #expect(report.render(.json).contains(#""partial":["previous"]"#))
        #expect(
            report.render(.table).contains(
                "The previous window is partial: the data starts at 2026-10-20T08:00:00.000Z; it covers "
                    + "2026-10-20T08:00:00.000Z to 2026-11-01T00:00:00.000Z."
            )
        )

        // Data that starts within a day of the window's start (a quiet night) leaves it whole.
        let early = [
            try modelCall("f1", at: "2026-10-02T20:00:00Z", input: 1000, attribution: late, leaf: 1),
            try modelCall("f2", at: "2026-11-10T08:00:00Z", input: 1000, attribution: late, leaf: 2),
        ]
        #expect(try explain(early, .feature, "late").partialWindows.isEmpty)
    }

    /// --since 2026-11-10 leaves none of the previous window and cuts the current one; --until 2026-11-20 cuts
    /// the current one at its end.
    @Test("a window the audit's --since or --until cuts into is partial, and the audit runs over [now-60d, now)")
    func partialWhenTheAuditCutsIn() throws {
        let now = try instant(Self.now)
        let whole = try #require(ExplainReport.auditWindow(now: now))
        #expect(whole.since == (try instant("2026-10-02T00:00:00Z")))
        #expect(whole.until == now)
        #expect(ExplainReport.auditWindow(now: now, since: try instant("2026-12-01T00:00:00Z")) == nil)

        let cut = business(feature: "cut")
        let records = [
            try anchor(),
            try modelCall("x1", at: "2026-10-05T10:00:00Z", input: 1000, attribution: cut, leaf: 1),
            try modelCall("x2", at: "2026-11-10T09:00:00Z", input: 1000, attribution: cut, leaf: 2),
        ]
        let since = try explain(records, .feature, "cut", since: "2026-11-10T00:00:00Z")
        #expect(since.partialWindows == ["current", "previous"])
        #expect(since.previous.partialReason == "the audit starts at 2026-11-10T00:00:00.000Z")
        #expect(since.previous.coveredSince == nil)
        #expect(since.previous.tasks == 0)
        #expect(since.current.partialReason == "the audit starts at 2026-11-10T00:00:00.000Z")
        #expect(since.current.coveredSince == (try instant("2026-11-10T00:00:00Z")))
        #expect(since.render(.table).contains("The previous window is partial: the audit starts at "))

        let until = try explain(records, .feature, "cut", until: "2026-11-20T00:00:00Z")
        #expect(until.partialWindows == ["current"])
        #expect(until.current.partialReason == "the audit ends at 2026-11-20T00:00:00.000Z")
        #expect(until.current.coveredUntil == (try instant("2026-11-20T00:00:00Z")))
    }

    /// Team `support` has one recorded call with key_a ($0.01 of mid-1 on 2026-11-20); OpenAI's usage export
    /// bills 2,000,000 input tokens of mid-1 on key_a that day ($20). The key map gives key_a to support: the
    /// $19.99 no record carries is the team's, shown beside, with no task, and left out of cost per task.
    @Test("spend no record carries is shown beside cost per task and left out of it")
    func unrecordedSpendIsLeftOut() throws {
        let usage = """
            {"object": "page", "data": [{"object": "bucket", "start_time": 1795132800, "end_time": 1795219200,
            "results": [{"object": "organization.usage.completions.result", "input_tokens": 2000000,
            "input_cached_tokens": 0, "output_tokens": 0, "input_audio_tokens": 0, "output_audio_tokens": 0,
            "num_model_requests": 3, "project_id": null, "user_id": null, "api_key_id": "key_a",
            "model": "mid-1", "batch": false}]}], "has_more": false, "next_page": null}
            """
        let records = [
            try anchor(),
            try modelCall(
                "k1",
                at: "2026-11-20T10:00:00Z",
                input: 1000,
                attribution: business(team: "support", project: "helpdesk"),
                leaf: 1,
                apiKey: "key_a"
            ),
        ]
        let report = try explain(
            records,
            .team,
            "support",
            usage: [UsageExportSource.text(usage, name: "usage.json")],
            keyMap: AuditKeyMap(owners: ["key_a": .init(team: "support", project: "helpdesk")])
        )
        #expect(report.current.unrecordedUSD == (try dollars("19.99")))
        #expect(report.current.usd == (try dollars("0.01")))
        #expect(report.current.tasks == 1)
        #expect(report.current.usdPerTask == (try perTask("0.01")))
        #expect(report.render(.json).contains(#""unrecorded_usd":{"current":"19.990000000","previous":"0.000000000"}"#))
        #expect(report.render(.table).contains("($0.00 in the previous window, $19.99 in the current one)"))
    }

    @Test("a scope with no recorded spend has zero tasks, no change, no driver, and says so")
    func scopeWithoutSpend() throws {
        let report = try explain(try plantedPromptChange(), .feature, "nope")
        #expect(report.current.tasks == 0)
        #expect(report.previous.tasks == 0)
        #expect(report.change == nil)
        #expect(report.drivers.isEmpty)
        let table = report.render(.table)
        #expect(table.contains("The scope has no recorded spend in either window."))
        #expect(table.contains("No driver: no dimension of model, tool, prompt_version"))
    }

    @Test("only feature, team, project, task_type and user_id can be a scope, with a value")
    func scopeIsChecked() {
        #expect(throws: ReportError.self) { try ExplainReport.Scope(.model, "gpt-4.1") }
        #expect(throws: ReportError(field: "feature", value: "", reason: "is empty")) {
            try ExplainReport.Scope(.feature, "")
        }
    }
}
