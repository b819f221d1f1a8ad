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

// The same envelope as `canonical`, written as another system might: whitespace and newlines, keys out
// of order, tags unsorted, escapes the canonical form does not use (`\u0075` is `u`, `\/` is `/`).
// Printing the payload's `attribution` text back as it stands cannot match the canonical form.
private let scrambled = #"""
    {
      "tags": {"team_tag": "a\/b", "env": "prod"},
      "tool": "web search+rank", "task_type": "summarize", "project": "assistant", "team": "growth",
      "feature": "summarize", "user_id": "\u0075_42", "attempt": 2, "parent_id": "\#(root)",
      "root_id": "\#(root)", "leaf_id": "\#(leaf)", "trace_id": "\#(trace)", "v": 1
    }
    """#

/// `scrambled` in canonical form: `canonical` with the second tag, sorted after the first.
private let scrambledCanonical = canonical.replacingOccurrences(
    of: #""tags":{"env":"prod"}"#,
    with: #""tags":{"env":"prod","team_tag":"a/b"}"#
)

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
        try write(#"{"document_id":"d_9","attribution":"# + scrambled + #","pages":[1,2]}"#, to: file)
        let run = try runTool(["inspect", "--format", "json", file.path])
        #expect(run.status == 0)
        #expect(scrambled != scrambledCanonical)
        #expect(run.stdout == scrambledCanonical + "\n")
    }

    @Test("a payload nested as deep as docs/formats.md allows (256 levels) is read; one level more is refused")
    func payloadNestingLimit() throws {
        func payload(depth: Int) -> String {
            // The payload object is level 1; `data` holds depth − 1 more levels of arrays.
            let nested = String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1)
            return #"{"attribution":"# + scrambled + #","data":"# + nested + "}"
        }
        let deepest = try runTool(["inspect", "--format", "json", "-"], stdin: payload(depth: 256))
        #expect(deepest.status == 0, "stderr: \(deepest.stderr)")
        #expect(deepest.stdout == scrambledCanonical + "\n")
        let tooDeep = try runTool(["inspect", "--format", "json", "-"], stdin: payload(depth: 257))
        #expect(tooDeep.status == 65)
        #expect(tooDeep.stderr.split(separator: "\n").count == 1)
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
            (
                bareEnvelope.replacingOccurrences(of: "\"v\":1", with: "\"v\":2"),
                "v: unsupported version 2; this reader reads versions 1"
            ),
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
        #expect(run.stderr == "error: <stdin>: required attribution missing: team, project\n")
        let relaxed = try runTool(["inspect", "--require", "user_id,feature"], stdin: partial)
        #expect(relaxed.status == 0)
    }

    @Test("one missing field is named once, after the file: no 'team: ... missing: team'")
    func oneMissingFieldNamedOnce() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("envelope.json")
        try write(bareEnvelope.replacingOccurrences(of: #""team":"growth","#, with: ""), to: file)
        let run = try runTool(["inspect", file.path])
        #expect(run.status == 65)
        #expect(run.stderr == "error: \(file.path): required attribution missing: team\n")
        let keys = try runTool(["inspect"], stdin: #"{"v":1}"#)
        #expect(keys.status == 65)
        #expect(
            keys.stderr
                == "error: <stdin>: invalid envelope: required keys missing: trace_id, leaf_id, root_id, attempt\n"
        )
    }

    @Test("bad usage exits 64 with one line; a missing file or a directory exits 65 with one line")
    func usageAndMissingFile() throws {
        let usage = try runTool(["inspect", "--format", "yaml"], stdin: bareEnvelope)
        #expect(usage.status == 64)
        #expect(usage.stderr.hasPrefix("error: the value 'yaml' is invalid for '--format'"))
        #expect(usage.stderr.filter { $0 == "\n" }.count == 1)
        let both = try runTool(["inspect", "--format", "json", "--to", "headers"], stdin: bareEnvelope)
        #expect(both.status == 64)
        let missing = try runTool(["inspect", "/nonexistent/envelope.json"])
        #expect(missing.status == 65)
        #expect(missing.stderr == "error: /nonexistent/envelope.json: no such file\n")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let directory = try runTool(["inspect", dir.path])
        #expect(directory.status == 65)
        #expect(directory.stderr == "error: \(dir.path): is a directory, expected a payload, envelope or header file\n")
    }

    @Test("a JSON payload without an attribution key says there is no envelope in it (missing_envelope), exit 65")
    func payloadWithoutEnvelope() throws {
        let run = try runTool(["inspect"], stdin: #"{"document_id":"d_9","pages":[1,2]}"#)
        #expect(run.status == 65)
        #expect(run.stderr == "error: <stdin>: no attribution envelope in this payload\n")
        #expect(run.stdout.isEmpty)
        #expect(throws: AttributionError(.missingEnvelope, reason: "")) {
            try AttributionEnvelope.extract(from: Array(#"{"document_id":"d_9"}"#.utf8))
        }
        do {
            _ = try AttributionEnvelope.extract(from: Array(#"{"document_id":"d_9"}"#.utf8))
        } catch {
            #expect(error.reason == "no attribution envelope in this payload")
        }
    }

    @Test("a header file as curl -D writes it (CRLF, a status line, other headers) is read; other headers ignored")
    func curlHeaderFile() throws {
        // The bytes `curl -s -D FILE` wrote for a response carrying traceparent and baggage.
        let bytes = Data(
            ("HTTP/1.1 200 OK\r\n" + "Server: BaseHTTP/0.6 Python/3.11.7\r\n"
                + "Date: Sun, 06 Dec 2026 18:22:45 GMT\r\n" + "Content-Type: application/json\r\n"
                + "traceparent: 00-\(trace)-\(leaf)-01\r\n"
                + "baggage: user_id=u_42,feature=summarize,team=growth,project=assistant,task_type=summarize,"
                + "tool=web%20search\r\n" + "Content-Length: 2\r\n" + "\r\n").utf8
        )
        #expect(bytes.contains(0x0D))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("headers.txt")
        try bytes.write(to: file)
        let run = try runTool(["inspect", "--format", "json", file.path])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
        #expect(
            run.stdout == #"{"v":1,"trace_id":"\#(trace)","leaf_id":"\#(leaf)","root_id":"\#(leaf)","attempt":1,"#
                + #""user_id":"u_42","feature":"summarize","team":"growth","project":"assistant","#
                + #""task_type":"summarize","tool":"web search"}"# + "\n"
        )
        let table = try runTool(["inspect"], stdinBytes: bytes)
        #expect(table.status == 0)
        #expect(table.stdout.contains("status"))
    }

    @Test("after a redirect curl -D writes two responses: the last one's headers are read")
    func curlRedirect() throws {
        let other = "0af7651916cd43dd8448eb211c80319c"
        let bytes = Data(
            ("HTTP/1.1 301 Moved Permanently\r\n" + "Location: /v2\r\n"
                + "traceparent: 00-\(other)-\(leaf)-01\r\n" + "\r\n" + "HTTP/2 200 \r\n"
                + "traceparent: 00-\(trace)-\(leaf)-01\r\n"
                + "baggage: user_id=u_42,feature=summarize,team=growth,project=assistant,task_type=summarize\r\n"
                + "\r\n").utf8
        )
        let run = try runTool(["inspect", "--format", "json"], stdinBytes: bytes)
        #expect(run.status == 0)
        #expect(run.stdout.contains(trace))
        #expect(!run.stdout.contains(other))
    }

    @Test("--to headers warns on stderr about each field the header form cannot carry, and still prints it")
    func headersWarnings() throws {
        let withUnknown = bareEnvelope.replacingOccurrences(
            of: #""tags":{"env":"prod"}}"#,
            with: #""tags":{"env":"prod"},"x_cost_center":"cc-7","x_route":{"region":"eu"}}"#
        )
        let run = try runTool(["inspect", "--to", "headers"], stdin: withUnknown)
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("traceparent: 00-\(trace)-\(leaf)-01\nbaggage: "))
        #expect(!run.stdout.contains("x_cost_center"))
        #expect(
            run.stderr
                == "warning: <stdin>: the header form cannot carry \"x_cost_center\" (a key this version does not "
                + "know); it is left out, use --format json to keep it\n"
                + "warning: <stdin>: the header form cannot carry \"x_route\" (a key this version does not "
                + "know); it is left out, use --format json to keep it\n"
        )
        let plain = try runTool(["inspect", "--to", "headers"], stdin: bareEnvelope)
        #expect(plain.stderr.isEmpty)
        // The JSON form keeps them.
        let json = try runTool(["inspect", "--format", "json"], stdin: withUnknown)
        #expect(json.stdout.contains(#""x_cost_center":"cc-7""#))
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
        #expect(run.stderr == "error: unknown option '--bogus' (see 'cost-audit inspect --help')\n")
        #expect(await runInProcess([]).status == 64)
    }
}
