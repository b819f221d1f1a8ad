import Attribution

/// `cost-audit inspect`: validate an envelope from a payload, a bare envelope or header lines, and print it
/// (docs/formats.md).
enum InspectCommand {
    /// The largest input inspect reads: a job payload may be large, its envelope may not.
    static let maxInputBytes = 16 * 1024 * 1024

    static let spec = CommandSpec(
        name: "inspect",
        abstract: "Validate an attribution envelope and print it, or convert it between JSON and headers.",
        discussion: """
            Reads a job payload holding "attribution", a bare envelope (JSON), or header lines \
            ("traceparent: ..." and "baggage: ...", one per line, names case-insensitive; a file written by \
            'curl -D' is read as it is, other headers ignored). Exits 0 when the envelope is valid and carries \
            the required fields, 65 when not or when the input cannot be read, with the reason on stderr. \
            '--to headers' warns on stderr of each field the header form cannot carry.
            """,
        positionals: [
            PositionalSpec(name: "file", help: "The input; '-' or nothing reads standard input.", optional: true)
        ],
        options: [
            OptionSpec(
                name: "format",
                valueName: "format",
                help: "table (a readable table, the default) or json (the canonical JSON form)."
            ),
            OptionSpec(name: "to", valueName: "form", help: "headers: print the traceparent and baggage header lines."),
            OptionSpec(
                name: "require",
                valueName: "fields",
                help: "Comma-separated fields that must be present, or 'none' "
                    + "(default: user_id,feature,team,project,task_type)."
            ),
        ]
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        let format: String
        let to: String?
        let policy: AttributionPolicy
        do throws(UsageError) {
            format = try spec.choice(parsed, "format", ["table", "json"], default: "table")
            to = parsed.value("to")
            if let to, to != "headers" {
                throw UsageError(message: "The value '\(to)' is invalid for '--to'; expected: headers")
            }
            if parsed.value("format") != nil, to != nil {
                throw UsageError(message: "Give either '--format' or '--to', not both")
            }
            policy = try requiredPolicy(parsed.value("require"))
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }

        let path = parsed.positionals.first ?? "-"
        let name = path == "-" ? "<stdin>" : path
        let bytes: [UInt8]
        do throws(InputFileError) {
            bytes = try InputFiles.read(path, what: "payload, envelope or header", limit: maxInputBytes, io: io)
        } catch {
            return io.fail(error)
        }

        let decoded: InspectedEnvelope
        do {
            decoded = try InspectedEnvelope.decode(bytes)
        } catch {
            if error.code == .missingEnvelope {
                return io.fail(InputFileError(path: name, reason: plainReason(error)))
            }
            return io.fail(InputFileError(path: name, reason: "invalid envelope: " + plainReason(error)))
        }

        switch (format, to) {
        case (_, "headers"?):
            let fields: [(name: String, value: String)]
            do {
                let headers = AttributionHeaders(envelope: decoded.envelope, foreignBaggage: decoded.foreignBaggage)
                fields = try headers.headerFields()
            } catch {
                return io.fail(InputFileError(path: name, reason: "cannot write the header form: \(error)"))
            }
            // The header form carries no keys this version does not know: say which are left out.
            for unknown in decoded.envelope.unknownFields {
                io.writeError(
                    "warning: \(name): the header form cannot carry \(AttributionError.quote(unknown.key)) "
                        + "(a key this version does not know); it is left out, use --format json to keep it\n"
                )
            }
            for field in fields { io.writeOutput("\(field.name): \(field.value)\n") }
        case ("json", _):
            do {
                io.writeOutput(try decoded.envelope.canonicalJSONString() + "\n")
            } catch {
                return io.fail(InputFileError(path: name, reason: "cannot write the canonical form: \(error)"))
            }
        default:
            io.writeOutput(table(decoded, policy: policy))
        }

        let missing = policy.missingFields(in: decoded.envelope)
        if !missing.isEmpty {
            return io.fail(InputFileError(path: name, reason: plainReason(AttributionPolicy.missingError(missing))))
        }
        return .success
    }

    /// An error's reason, after its field unless the reason names the fields itself: a missing-fields error lists
    /// them (`required attribution missing: team`), and a missing envelope names what it looked for, so the
    /// field in front would say the same name twice.
    static func plainReason(_ error: AttributionError) -> String {
        if error.code == .missingFields || error.code == .missingEnvelope { return error.reason }
        return error.description
    }

    static func requiredPolicy(_ text: String?) throws(UsageError) -> AttributionPolicy {
        guard let text else { return .default }
        if text == "none" { return .none }
        var fields: [AttributionField] = []
        for name in text.split(separator: ",") {
            guard let field = AttributionField(name: String(name)) else {
                throw UsageError(message: "Unknown field '\(name)' for '--require'")
            }
            fields.append(field)
        }
        return AttributionPolicy(required: fields)
    }

    static func table(_ decoded: InspectedEnvelope, policy: AttributionPolicy) -> String {
        let e = decoded.envelope
        var rows: [(String, String)] = [
            ("form", decoded.form),
            (EnvelopeKey.v.name, String(AttributionEnvelope.version)),
            (EnvelopeKey.traceID.name, e.traceID.description),
            (EnvelopeKey.leafID.name, e.leafID.description),
            (EnvelopeKey.rootID.name, e.rootID.description + (e.isRoot ? "  (this unit is the root)" : "")),
            (EnvelopeKey.parentID.name, e.parentID?.description ?? "-"),
            (EnvelopeKey.attempt.name, String(e.attempt)),
            (EnvelopeKey.createdAt.name, e.createdAt?.description ?? "-"),
        ]
        let missing = Set(policy.missingFields(in: e))
        for field in AttributionField.all {
            let value = e[field] ?? (missing.contains(field) ? "MISSING (required)" : "-")
            rows.append((field.name, value))
        }
        for key in e.tags.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            rows.append(("tags.\(key)", e.tags[key] ?? ""))
        }
        for unknown in e.unknownFields { rows.append((unknown.key + " (unknown)", unknown.json)) }
        for member in decoded.foreignBaggage { rows.append(("baggage (other system)", member.description)) }
        let width = rows.map(\.0.count).max() ?? 0
        var out = ""
        for (name, value) in rows {
            out += name + String(repeating: " ", count: width - name.count + 2) + value + "\n"
        }
        out += missing.isEmpty ? "status" + String(repeating: " ", count: width - 4) + "valid\n" : ""
        return out
    }
}

/// An envelope read by `inspect`, with the form it came in and any baggage of other systems.
struct InspectedEnvelope {
    var envelope: AttributionEnvelope
    var form: String
    var foreignBaggage: [BaggageMember] = []

    /// The keys of the envelope itself: a JSON object holding one of them is read as a bare envelope, one holding
    /// none of them and no `attribution` is a payload without an envelope.
    static let envelopeKeys: Set<String> = Set(
        [EnvelopeKey.v, .traceID, .leafID, .rootID, .parentID, .attempt].map(\.name)
    )

    static func decode(_ bytes: [UInt8]) throws(AttributionError) -> InspectedEnvelope {
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if first == UInt8(ascii: "{") {
            let value = try JSONParser.parse(
                bytes,
                // The payload's own nesting limit (docs/formats.md), the one the extractor applies.
                limits: .init(
                    maxBytes: InspectCommand.maxInputBytes,
                    maxDepth: AttributionEnvelope.PayloadLimits.maxPayloadDepth
                ),
                field: "payload"
            )
            if let object = value.objectValue,
                object["attribution"] != nil || !object.members.contains(where: { envelopeKeys.contains($0.key) })
            {
                // A payload: its envelope, or the extractor's `missing_envelope` when it has none.
                return InspectedEnvelope(envelope: try AttributionEnvelope.extract(from: bytes), form: "job payload")
            }
            return InspectedEnvelope(envelope: try AttributionEnvelope(json: bytes), form: "JSON envelope")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw AttributionError(.malformedHeader, reason: "input is neither JSON nor UTF-8 header lines")
        }
        // Header lines as `curl -D` writes them: CRLF endings, a status line opening each response (a redirect
        // followed writes several; the last response's headers are the ones read), a blank line after each.
        // Read in two passes over the bytes, keeping no line: the first checks every line and finds where the
        // last response begins, the second hands that response's fields to the header reader one at a time.
        var lastResponse = 0
        var fieldCount = 0
        var number = 0
        for line in HeaderLines(bytes: bytes, from: 0) {
            number += 1
            if line.isBlank { continue }
            if line.isStatusLine {
                lastResponse = line.next
                fieldCount = 0
                continue
            }
            guard line.colon != nil else {
                throw AttributionError(
                    .malformedHeader,
                    field: "line \(number)",
                    reason: "expected 'name: value', got \(AttributionError.quote(bytes: bytes[line.range]))"
                )
            }
            fieldCount += 1
        }
        guard fieldCount > 0 else {
            throw AttributionError(.missingEnvelope, reason: "the input is empty")
        }
        let fields = HeaderLines(bytes: bytes, from: lastResponse).lazy.filter { !$0.isBlank }.map {
            line -> (name: String, value: String) in
            let colon = line.colon ?? line.range.upperBound
            return (
                String(decoding: bytes[line.range.lowerBound..<colon], as: UTF8.self),
                String(decoding: bytes[min(colon + 1, line.range.upperBound)..<line.range.upperBound], as: UTF8.self)
            )
        }
        let headers = try AttributionHeaders(headers: fields)
        return InspectedEnvelope(envelope: headers.envelope, form: "headers", foreignBaggage: headers.foreignBaggage)
    }

    /// The lines of header input, each without its `\n` or `\r\n`, read in place.
    struct HeaderLines: Sequence, IteratorProtocol {
        struct Line {
            let bytes: [UInt8]
            /// The line's bytes, without its ending.
            let range: Range<Int>
            /// Where the next line begins.
            let next: Int

            /// Whether it holds only spaces and tabs.
            var isBlank: Bool {
                bytes[range].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            }

            /// The first colon's offset.
            var colon: Int? { bytes[range].firstIndex(of: UInt8(ascii: ":")) }

            /// Whether it is an HTTP response's status line (`HTTP/1.1 200 OK`, `HTTP/2 200`).
            var isStatusLine: Bool {
                let line = bytes[range]
                guard line.starts(with: "HTTP/".utf8), let space = line.firstIndex(of: UInt8(ascii: " ")) else {
                    return false
                }
                let code = line[(space + 1)...].prefix(3)
                return code.count == 3 && code.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            }
        }

        let bytes: [UInt8]
        var position: Int

        init(bytes: [UInt8], from start: Int) {
            self.bytes = bytes
            position = start
        }

        mutating func next() -> Line? {
            guard position < bytes.count else { return nil }
            let start = position
            var end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            position = end + 1
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            return Line(bytes: bytes, range: start..<end, next: position)
        }
    }
}
