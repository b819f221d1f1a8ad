/// One option of a subcommand: `--name <value>` or a flag `--name`.
struct OptionSpec: Sendable {
    let name: String
    /// The placeholder of the value, nil for a flag.
    let valueName: String?
    let help: String
    var repeatable = false
    var shortName: Character? = nil
}

/// One positional argument.
struct PositionalSpec: Sendable {
    let name: String
    let help: String
    var optional = false
    var variadic = false
}

/// What a subcommand accepts, and the text of its help.
struct CommandSpec: Sendable {
    let name: String
    let abstract: String
    var discussion: String = ""
    var positionals: [PositionalSpec] = []
    var options: [OptionSpec] = []

    var usageLine: String {
        var parts = ["cost-audit", name]
        for p in positionals {
            let base = p.variadic ? "<\(p.name)> ..." : "<\(p.name)>"
            parts.append(p.optional ? "[\(base)]" : base)
        }
        for o in options {
            let text = o.valueName.map { "--\(o.name) <\($0)>" } ?? "--\(o.name)"
            parts.append("[\(text)]" + (o.repeatable ? " ..." : ""))
        }
        return parts.joined(separator: " ")
    }

    /// The help text, in swift-argument-parser's layout.
    var help: String {
        var out = "OVERVIEW: \(abstract)\n"
        if !discussion.isEmpty { out += "\n" + discussion + "\n" }
        out += "\nUSAGE: \(usageLine)\n"
        if !positionals.isEmpty {
            out += "\nARGUMENTS:\n"
            for p in positionals { out += HelpLayout.row("<\(p.name)>", p.help) }
        }
        out += "\nOPTIONS:\n"
        for o in options {
            var label = o.shortName.map { "-\($0), " } ?? ""
            label += "--\(o.name)"
            if let v = o.valueName { label += " <\(v)>" }
            out += HelpLayout.row(label, o.help)
        }
        out += HelpLayout.row("-h, --help", "Show help information.")
        return out
    }
}

enum HelpLayout {
    /// One row of an OPTIONS or ARGUMENTS table: the label in a 24-column gutter, the help wrapped at 80.
    static func row(_ label: String, _ help: String) -> String {
        let gutter = 26
        var out = "  " + label
        var lines = wrap(help, width: 80 - gutter)
        if out.count + 2 > gutter {
            out += "\n"
        } else if !lines.isEmpty {
            out += String(repeating: " ", count: gutter - out.count) + lines.removeFirst() + "\n"
        } else {
            out += "\n"
        }
        for line in lines { out += String(repeating: " ", count: gutter) + line + "\n" }
        return out
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

/// A command line that breaks a subcommand's rules.
struct UsageError: Error, Sendable {
    let message: String
}

/// The parsed command line of one subcommand.
struct ParsedArguments: Sendable {
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
    var helpRequested = false

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func flag(_ name: String) -> Bool { flags.contains(name) }
}

extension CommandSpec {
    /// Parses `arguments` (the words after the subcommand's name).
    func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if onlyPositionals || word == "-" || !word.hasPrefix("-") {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            if word == "-h" || word == "--help" {
                parsed.helpRequested = true
                continue
            }
            var name: String
            var inlineValue: String?
            if word.hasPrefix("--") {
                name = String(word.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
            } else {
                let short = word.dropFirst()
                guard short.count == 1, let spec = options.first(where: { $0.shortName == short.first }) else {
                    throw UsageError(message: "Unknown option '\(word)'")
                }
                name = spec.name
            }
            guard let spec = options.first(where: { $0.name == name }) else {
                throw UsageError(message: "Unknown option '--\(name)'")
            }
            if spec.valueName == nil {
                if inlineValue != nil { throw UsageError(message: "Option '--\(name)' takes no value") }
                parsed.flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else {
                    throw UsageError(message: "Missing value for '--\(name) <\(spec.valueName ?? "value")>'")
                }
                value = arguments[index]
                index += 1
            }
            if !spec.repeatable, parsed.values[name] != nil {
                throw UsageError(message: "Option '--\(name)' may be given only once")
            }
            parsed.values[name, default: []].append(value)
        }
        if parsed.helpRequested { return parsed }
        let required = positionals.filter { !$0.optional }.count
        let variadic = positionals.contains { $0.variadic }
        if parsed.positionals.count < required {
            let missing = positionals.filter { !$0.optional }[parsed.positionals.count]
            throw UsageError(message: "Missing expected argument '<\(missing.name)>'")
        }
        if !variadic, parsed.positionals.count > positionals.count {
            throw UsageError(message: "Unexpected argument '\(parsed.positionals[positionals.count])'")
        }
        return parsed
    }

    /// Checks that an option's value is one of `choices`.
    func choice(
        _ parsed: ParsedArguments,
        _ name: String,
        _ choices: [String],
        default: String
    ) throws(UsageError)
        -> String
    {
        guard let value = parsed.value(name) else { return `default` }
        guard choices.contains(value) else {
            throw UsageError(
                message: "The value '\(value)' is invalid for '--\(name)'; expected one of: "
                    + choices.joined(separator: ", ")
            )
        }
        return value
    }
}
