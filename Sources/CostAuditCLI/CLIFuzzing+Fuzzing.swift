@_spi(Fuzzing) public import Attribution

// The command line's argument parser under fuzzing (see AttributionFuzzing+Fuzzing.swift in Attribution).

/// The entry point of the argument parser's fuzz target.
@_spi(Fuzzing) public enum CLIFuzzing {
    /// A command line, its words separated by NUL bytes; the first word names the subcommand (an unknown name
    /// picks one by its first byte, so every input reaches a parser). A parsed command line holds only the
    /// subcommand's options, each value option given at most once unless repeatable, the positionals it takes;
    /// written back as `--name=value` words, flags and `--` before the positionals, it parses to the same.
    public static func arguments(_ bytes: [UInt8]) -> FuzzVerdict {
        let words = bytes.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        let commands = CostAuditCommand.subcommands.map(\.spec)
        guard let first = words.first else { return .rejected }
        let spec =
            commands.first { $0.name == first }
            ?? commands[Int(first.utf8.first ?? 0) % commands.count]
        let parsed: ParsedArguments
        do {
            parsed = try spec.parse(Array(words.dropFirst()))
        } catch {
            return error.message.isEmpty ? .broken("a usage error without a message") : .rejected
        }
        for (name, values) in parsed.values {
            guard let option = spec.options.first(where: { $0.name == name }), option.valueName != nil,
                !values.isEmpty, option.repeatable || values.count == 1
            else { return .broken("\(spec.name): --\(name) holds \(values)") }
        }
        for name in parsed.flags where !spec.options.contains(where: { $0.name == name && $0.valueName == nil }) {
            return .broken("\(spec.name): --\(name) is not a flag")
        }
        if !parsed.helpRequested {
            let required = spec.positionals.filter { !$0.optional }.count
            let variadic = spec.positionals.contains { $0.variadic }
            guard parsed.positionals.count >= required, variadic || parsed.positionals.count <= spec.positionals.count
            else { return .broken("\(spec.name) took positionals \(parsed.positionals)") }
        }
        var written: [String] = parsed.helpRequested ? ["--help"] : []
        for name in parsed.values.keys.sorted() {
            for value in parsed.values[name] ?? [] { written.append("--\(name)=\(value)") }
        }
        written += parsed.flags.sorted().map { "--\($0)" }
        written += ["--"] + parsed.positionals
        guard let again = try? spec.parse(written), again.values == parsed.values, again.flags == parsed.flags,
            again.positionals == parsed.positionals, again.helpRequested == parsed.helpRequested
        else { return .broken("\(spec.name): \(written) parses otherwise than \(words)") }
        return .accepted
    }
}
