import Attribution
import CostReports

/// The configuration file: the inputs every subcommand takes, named once (see docs/configuration.md).
///
/// ```json
/// {"ledgers": ["ledger"], "usage": ["usage/openai.json", "usage/anthropic.json"], "keys": "keys.json",
///  "rules": "rules.json", "prices": "prices.json", "prices_effective_from": "2025-01-01"}
/// ```
///
/// Every key is optional; relative paths resolve against the file's own directory. A subcommand reads
/// `cost-audit.json` in the working directory when there is one, or the file `--config` names; an option given
/// on the command line replaces the file's value for that option.
struct ConfigurationFile: Sendable, Hashable {
    /// The file read from the working directory when `--config` is not given.
    static let defaultName = "cost-audit.json"
    /// Larger configuration files are refused.
    static let maxBytes = 1 << 20
    /// The keys the file may hold, in the order the docs list them.
    static let keys = ["ledgers", "usage", "keys", "rules", "prices", "prices_effective_from", "alerts", "budgets"]

    /// The file the values came from, as the user named it.
    var path: String
    /// Ledger directories or `*.jsonl` files, resolved against the file's directory.
    var ledgers: [String]?
    /// Usage or cost exports, resolved.
    var usage: [String]?
    /// The key map, resolved.
    var keyMap: String?
    /// The rules file, resolved.
    var rules: String?
    /// The price file, resolved.
    var prices: String?
    /// The first UTC day of undated prices in the price file, as written (`YYYY-MM-DD` or an RFC 3339 instant).
    var pricesEffectiveFrom: String?
    /// The parameters of `cost-audit alerts`: `detector.parameter` to its value as text (docs/alerts.md).
    var alerts: [String: String]?
    /// Monthly budgets of `cost-audit forecast` (docs/forecast.md), checked when the file is read.
    var budgets: ForecastBudgets?

    /// Reads the file `--config` names, or `cost-audit.json` in the working directory; nil when neither is there.
    /// - Throws: ``InputFileError`` naming the file (and the key at fault) when it cannot be read or is invalid.
    static func load(explicit: String?, io: CommandIO) throws(InputFileError) -> ConfigurationFile? {
        let path: String
        if let explicit {
            path = explicit
        } else {
            guard InputFiles.exists(defaultName) else { return nil }
            path = defaultName
        }
        let bytes = try InputFiles.read(path, what: "configuration", limit: maxBytes, io: io)
        return try ConfigurationFile(json: bytes, path: path)
    }

    /// Parses the file's text.
    /// - Parameter path: the file's name, used in errors and to resolve relative paths.
    init(json bytes: [UInt8], path: String) throws(InputFileError) {
        self.path = path
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: .init(maxBytes: Self.maxBytes, maxDepth: 4))
        } catch {
            throw InputFileError(path: path, reason: "not valid JSON: \(error)")
        }
        guard let object = value.objectValue else {
            throw InputFileError(path: path, reason: "expected a JSON object, got \(value.typeName)")
        }
        let base = Self.directory(of: path)
        for member in object.members {
            let key = member.key
            func fail(_ reason: String) -> InputFileError {
                InputFileError(path: path, reason: "\(key): \(reason)")
            }
            switch key {
            case "ledgers", "usage":
                guard let array = member.value.arrayValue else {
                    throw fail("expected an array of paths, got \(member.value.typeName)")
                }
                var paths: [String] = []
                for (index, item) in array.enumerated() {
                    guard let text = item.stringValue, !text.isEmpty else {
                        let got = item.stringValue == nil ? item.typeName : "an empty string"
                        throw InputFileError(path: path, reason: "\(key)[\(index)]: expected a path, got \(got)")
                    }
                    paths.append(Self.resolve(text, against: base))
                }
                if key == "ledgers" { ledgers = paths } else { usage = paths }
            case "keys", "rules", "prices":
                guard let text = member.value.stringValue else {
                    throw fail("expected a path, got \(member.value.typeName)")
                }
                guard !text.isEmpty else { throw fail("expected a path, got an empty string") }
                let resolved = Self.resolve(text, against: base)
                switch key {
                case "keys": keyMap = resolved
                case "rules": rules = resolved
                default: prices = resolved
                }
            case "prices_effective_from":
                guard let text = member.value.stringValue else {
                    throw fail("expected a date YYYY-MM-DD, got \(member.value.typeName)")
                }
                do throws(UsageError) {
                    _ = try AuditCommand.parseDate(text, option: key)
                } catch {
                    throw fail("expected a date YYYY-MM-DD or an RFC 3339 time, got \(AttributionError.quote(text))")
                }
                pricesEffectiveFrom = text
            case "alerts":
                guard let settings = member.value.objectValue else {
                    throw fail("expected an object of \"detector.parameter\": value, got \(member.value.typeName)")
                }
                var values: [String: String] = [:]
                for setting in settings.members {
                    guard let text = setting.value.stringValue ?? setting.value.numberText else {
                        throw fail("\(setting.key): expected a number or a string, got \(setting.value.typeName)")
                    }
                    values[setting.key] = text
                }
                do throws(ReportError) {
                    _ = try AlertDetectors.configured(values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
                } catch {
                    throw fail("\(error.field): '\(error.value)' \(error.reason)")
                }
                alerts = values
            case "budgets":
                do throws(ReportError) {
                    budgets = try ForecastBudgets(value: member.value)
                } catch {
                    throw InputFileError(path: path, reason: error.field == key ? "\(error)" : "\(key): \(error)")
                }
            default:
                throw fail("unknown key; expected one of " + Self.keys.joined(separator: ", "))
            }
        }
    }

    /// The directory part of `path`, with its trailing slash; empty for a bare file name.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    /// `path` as it reads from `base`: unchanged when absolute or when the file sits in the working directory.
    static func resolve(_ path: String, against base: String) -> String {
        path.hasPrefix("/") || base.isEmpty ? path : base + path
    }
}

/// The inputs a subcommand reads: each one the command line's when given there, else the configuration file's.
struct CommandInputs: Sendable, Hashable {
    var ledgers: [String]
    var usage: [String]
    var keyMap: String?
    var rules: String?
    var prices: String?
    var pricesEffectiveFrom: String?
    /// The configuration file's budgets (they have no option of their own: `forecast --budgets` is read apart).
    var budgets: ForecastBudgets?
    /// The configuration file read, if any.
    var configuration: String?

    /// Takes each input from `parsed` when the command line gives it (the `ledger` positionals, `--usage`,
    /// `--keys`, `--rules`, `--prices`, `--prices-effective-from`), else from `file`.
    init(_ parsed: ParsedArguments, _ file: ConfigurationFile?) {
        ledgers = parsed.positionals.isEmpty ? file?.ledgers ?? [] : parsed.positionals
        usage = parsed.values["usage"] ?? file?.usage ?? []
        keyMap = parsed.value("keys") ?? file?.keyMap
        rules = parsed.value("rules") ?? file?.rules
        prices = parsed.value("prices") ?? file?.prices
        pricesEffectiveFrom = parsed.value("prices-effective-from") ?? file?.pricesEffectiveFrom
        budgets = file?.budgets
        configuration = file?.path
    }

    /// Every file and directory the command reads: what an output must not overwrite
    /// (``Auditor/inputOverwritten(by:inputs:)``).
    var files: [String] {
        ledgers + usage + [keyMap, rules, prices, configuration].compactMap { $0 }
    }
}
