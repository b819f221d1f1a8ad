import Attribution
import Foundation
import Testing

private let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
private let leaf = "00f067aa0ba902b7"
private let root = "53995c3f42cd8ad8"

private let bareEnvelope = """
    {"v":1,"trace_id":"\(trace)","leaf_id":"\(leaf)","root_id":"\(root)","parent_id":"\(root)","attempt":2,\
    "user_id":"u_42","feature":"summarize","team":"growth","project":"assistant","task_type":"summarize",\
    "tool":"web search+rank","tags":{"env":"prod"}}
    """

private let canonical = """
    {"v":1,"trace_id":"\(trace)","leaf_id":"\(leaf)","root_id":"\(root)","parent_id":"\(root)","attempt":2,\
    "user_id":"u_42","feature":"summarize","team":"growth","project":"assistant","task_type":"summarize",\
    "tool":"web search+rank","tags":{"env":"prod"}}
    """

@Suite("cost-audit inspect, run as the built binary")
struct InspectBinaryTests {
    @Test("a bare envelope is validated and printed as a readable table")
    func bareEnvelopeTable() throws {
        let run = try runTool(["inspect", "-"], stdin: bareEnvelope)
        #expect(run.status == 0)
        #expect(run.stdout.contains("JSON envelope"))
        #expect(run.stdout.contains("user_id"))
        #expect(run.stdout.contains("u_42"))
        #expect(run.stdout.contains("tags.env"))
        #expect(run.stderr.isEmpty)
    }

    @Test("a job payload's attribution is found and printed in canonical JSON")
    func payloadToJSON() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("payload.json")
        try write(#"{"document_id":"d_9","attribution":"# + bareEnvelope + #","pages":[1,2]}"#, to: file)
        let run = try runTool(["inspect", "--format", "json", file.path])
        #expect(run.status == 0)
        #expect(run.stdout == canonical + "\n")
    }

    @Test("JSON converts to the header form, and the header form converts back to the same canonical JSON")
    func jsonHeadersRoundTrip() throws {
        let headers = try runTool(["inspect", "--to", "headers"], stdin: bareEnvelope)
        #expect(headers.status == 0)
        #expect(headers.stdout.hasPrefix("traceparent: 00-\(trace)-\(leaf)-01\nbaggage: "))
        #expect(headers.stdout.contains("tool=web%20search%2Brank"))
        let back = try runTool(["inspect", "--format", "json"], stdin: headers.stdout)
        #expect(back.status == 0)
        #expect(back.stdout == canonical + "\n")
    }

    @Test("header lines are read with case-insensitive names, and other systems' baggage is shown beside")
    func headerLines() throws {
        let input = """
            TraceParent: 00-\(trace)-\(leaf)-01
            BAGGAGE: user_id=u_42,feature=summarize,team=growth,project=assistant,task_type=summarize,vendor=x;p=1

            """
        let run = try runTool(["inspect"], stdin: input)
        #expect(run.status == 0)
        #expect(run.stdout.contains("headers"))
        #expect(run.stdout.contains("this unit is the root"))
        #expect(run.stdout.contains("vendor=x;p=1"))
        let again = try runTool(["inspect", "--to", "headers"], stdin: input)
        #expect(again.stdout.contains("vendor=x;p=1"))
    }

    @Test(
        "each kind of bad input exits 65 with a reason naming the field",
        arguments: [
            ("{\"v\":1,", "at byte 7"),
            (bareEnvelope.replacingOccurrences(of: leaf, with: "00F067AA0BA902B7"), "leaf_id"),
            (bareEnvelope.replacingOccurrences(of: "\"v\":1", with: "\"v\":2"), "v"),
            (bareEnvelope.replacingOccurrences(of: "\"attempt\":2", with: "\"attempt\":null"), "attempt"),
            (bareEnvelope.replacingOccurrences(of: "\"team\":\"growth\"", with: "\"team\":\"\""), "team"),
            ("traceparent: 00-\(trace)-\(leaf)-01\nbaggage: parent_id=\(root)\n", "root_id"),
            ("traceparent: ff-\(trace)-\(leaf)-01\n", "traceparent"),
            ("not a header line\n", "line 1"),
        ]
    )
    func badInput(input: String, field: String) throws {
        let run = try runTool(["inspect"], stdin: input)
        #expect(run.status == 65)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("invalid envelope"))
        #expect(run.stderr.contains(field))
    }

    @Test("a valid envelope that lacks required fields is printed, and exits 65 naming every missing field")
    func missingRequiredFields() throws {
        let partial = bareEnvelope.replacingOccurrences(of: #""team":"growth","project":"assistant","#, with: "")
        let run = try runTool(["inspect"], stdin: partial)
        #expect(run.status == 65)
        #expect(run.stdout.contains("MISSING (required)"))
        #expect(run.stderr.contains("team, project"))
        let relaxed = try runTool(["inspect", "--require", "user_id,feature"], stdin: partial)
        #expect(relaxed.status == 0)
    }

    @Test("bad usage exits 64 with the usage line; a missing file exits 1")
    func usageAndMissingFile() throws {
        let usage = try runTool(["inspect", "--format", "yaml"], stdin: bareEnvelope)
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("Usage: cost-audit inspect"))
        let both = try runTool(["inspect", "--format", "json", "--to", "headers"], stdin: bareEnvelope)
        #expect(both.status == 64)
        let missing = try runTool(["inspect", "/nonexistent/envelope.json"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/envelope.json: no such file"))
    }
}

@Suite("cost-audit command line surface")
struct CommandLineSurfaceTests {
    @Test("--help on the tool and on every subcommand prints OVERVIEW and USAGE and exits 0")
    func help() async {
        for arguments in [["--help"], ["inspect", "--help"], ["audit", "-h"], ["help", "audit"]] {
            let run = await runInProcess(arguments)
            #expect(run.status == 0)
            #expect(run.stdout.contains("OVERVIEW:"))
            #expect(run.stdout.contains("USAGE:"))
        }
    }

    @Test("an unknown subcommand or option is a usage error (64)")
    func unknown() async {
        #expect(await runInProcess(["frobnicate"]).status == 64)
        let run = await runInProcess(["inspect", "--bogus"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("Unknown option '--bogus'"))
        #expect(await runInProcess([]).status == 64)
    }
}
