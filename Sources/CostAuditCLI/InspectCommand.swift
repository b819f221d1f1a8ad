import Attribution

/// `cost-audit inspect`: validate an envelope from a payload, a bare envelope or header lines, and print it
/// (SPEC section 8).
enum InspectCommand {
    /// The largest input inspect reads: a job payload may be large, its envelope may not.
    static let maxInputBytes = 16 * 1024 * 1024

    static let spec = CommandSpec(
        name: "inspect",
        abstract: "Validate an attribution envelope and print it, or convert it between JSON and headers.",
        discussion: """
            Reads a job payload holding "attribution", a bare envelope (JSON), or header lines \
            ("traceparent: ..." and "baggage: ...", one per line, names case-insensitive). Exits 0 when the \
            envelope is valid and carries the required fields, 65 when not, with the reasons on stderr.
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
        let bytes: [UInt8]
        switch InputFiles.read(path, limit: maxInputBytes, io: io) {
        case .success(let b): bytes = b
        case .failure(let error):
            io.writeError("error: \(error)\n")
            return .failure
        }

        let decoded: InspectedEnvelope
        do {
            decoded = try InspectedEnvelope.decode(bytes)
        } catch {
            io.writeError("error: \(path == "-" ? "<stdin>" : path): invalid envelope: \(error)\n")
            return .dataError
        }

        switch (format, to) {
        case (_, "headers"?):
            do {
                let headers = AttributionHeaders(envelope: decoded.envelope, foreignBaggage: decoded.foreignBaggage)
                for field in try headers.headerFields() { io.writeOutput("\(field.name): \(field.value)\n") }
            } catch {
                io.writeError("error: cannot write the header form: \(error)\n")
                return .dataError
            }
        case ("json", _):
            do {
                io.writeOutput(try decoded.envelope.canonicalJSONString() + "\n")
            } catch {
                io.writeError("error: cannot write the canonical form: \(error)\n")
                return .dataError
            }
        default:
            io.writeOutput(table(decoded, policy: policy))
        }

        let missing = policy.missingFields(in: decoded.envelope)
        if !missing.isEmpty {
            io.writeError("error: \(AttributionPolicy.missingError(missing))\n")
            return .dataError
        }
        return .success
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
            ("v", String(AttributionEnvelope.version)),
            ("trace_id", e.traceID.description),
            ("leaf_id", e.leafID.description),
            ("root_id", e.rootID.description + (e.isRoot ? "  (this unit is the root)" : "")),
            ("parent_id", e.parentID?.description ?? "-"),
            ("attempt", String(e.attempt)),
            ("created_at", e.createdAt?.description ?? "-"),
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

    static func decode(_ bytes: [UInt8]) throws(AttributionError) -> InspectedEnvelope {
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if first == UInt8(ascii: "{") {
            let value = try JSONParser.parse(
                bytes,
                limits: .init(maxBytes: InspectCommand.maxInputBytes, maxDepth: 64),
                field: "payload"
            )
            if value.objectValue?["attribution"] != nil {
                return InspectedEnvelope(envelope: try AttributionEnvelope.extract(from: bytes), form: "job payload")
            }
            return InspectedEnvelope(envelope: try AttributionEnvelope(json: bytes), form: "JSON envelope")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AttributionError(.malformedHeader, reason: "input is neither JSON nor UTF-8 header lines")
        }
        var fields: [(name: String, value: String)] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw AttributionError(
                    .malformedHeader,
                    field: "line \(number + 1)",
                    reason: "expected 'name: value', got \(AttributionError.quote(line))"
                )
            }
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        guard !fields.isEmpty else {
            throw AttributionError(.missingEnvelope, reason: "the input is empty")
        }
        let headers = try AttributionHeaders(headers: fields)
        return InspectedEnvelope(envelope: headers.envelope, form: "headers", foreignBaggage: headers.foreignBaggage)
    }
}
