/// The SQL engine a script is written for: where DuckDB and Spark SQL differ, each says how it is written
/// (docs/scale.md).
public struct SQLDialect: Sendable, Hashable, CustomStringConvertible {
    enum Engine: String, Sendable, Hashable {
        case duckdb, spark
    }

    let engine: Engine

    /// DuckDB (1.x), on one node: the ledger read with `read_text`, money as `HUGEINT` attodollars.
    public static let duckdb = SQLDialect(engine: .duckdb)
    /// Spark SQL (4.x): the ledger read with the text source's `wholetext`, lines parsed as `VARIANT`, money as
    /// `DECIMAL(38,0)` attodollars.
    public static let spark = SQLDialect(engine: .spark)

    /// Every dialect.
    public static let all: [SQLDialect] = [.duckdb, .spark]

    /// The dialect named `name` (`duckdb`, `spark`), if there is one.
    public init?(name: String) {
        guard let engine = Engine(rawValue: name) else { return nil }
        self.engine = engine
    }

    init(engine: Engine) { self.engine = engine }

    /// The dialect's name.
    public var name: String { engine.rawValue }
    public var description: String { engine.rawValue }

    // MARK: - Literals

    /// `text` as a string literal. DuckDB reads a standard SQL literal (a quote doubled, every other character
    /// as it is); Spark SQL reads backslash escapes, so a backslash, a quote and the line breaks are escaped.
    func string(_ text: String) -> String {
        switch engine {
        case .duckdb:
            return "'" + text.replacing("'", with: "''") + "'"
        case .spark:
            var out = "'"
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "'": out += "\\'"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\0": out += "\\0"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "'"
        }
    }

    /// An optional string: its literal, or a typed NULL.
    func string(_ text: String?) -> String {
        guard let text else { return "CAST(NULL AS STRING)".replacing("STRING", with: stringType) }
        return string(text)
    }

    /// The type of money: whole attodollars (10⁻¹⁸ USD), exact.
    var moneyType: String { engine == .duckdb ? "HUGEINT" : "DECIMAL(38,0)" }
    var stringType: String { engine == .duckdb ? "VARCHAR" : "STRING" }

    /// An amount of attodollars as a money literal (or a typed NULL).
    func money(_ attodollars: Int128?) -> String {
        guard let attodollars else { return "CAST(NULL AS \(moneyType))" }
        return "CAST('\(attodollars)' AS \(moneyType))"
    }

    /// A 64-bit integer literal.
    func integer(_ value: Int64) -> String {
        value == Int64.min ? "CAST('\(value)' AS BIGINT)" : "CAST(\(value) AS BIGINT)"
    }

    /// A quoted identifier (a table or column name the script makes; they never hold a quote).
    func identifier(_ name: String) -> String {
        engine == .duckdb
            ? "\"" + name.replacing("\"", with: "\"\"") + "\""
            : "`" + name.replacing("`", with: "``") + "`"
    }

    // MARK: - Statements

    /// A statement that keeps a query's rows under `name` for the rest of the script.
    func table(_ name: String, _ query: String) -> String {
        switch engine {
        case .duckdb: return "CREATE OR REPLACE TEMP TABLE \(name) AS\n\(query);\n\n"
        case .spark: return "CACHE TABLE \(name) AS\n\(query);\n\n"
        }
    }

    /// A statement that frees a table no later statement reads. Spark uncaches it and keeps its view:
    /// uncaching a temporary view does not touch the caches of the tables made from it.
    func drop(_ name: String) -> String {
        switch engine {
        case .duckdb: return "DROP TABLE IF EXISTS \(name);\n\n"
        case .spark: return "UNCACHE TABLE IF EXISTS \(name);\n\n"
        }
    }

    // MARK: - Functions

    /// Integer division rounding toward negative infinity (`a` and `b` integers, `b` positive).
    func floorDiv(_ a: String, _ b: String) -> String {
        switch engine {
        case .duckdb: return "((\(a) - (((\(a)) % (\(b))) + (\(b))) % (\(b))) // (\(b)))"
        case .spark: return "((\(a) - (((\(a)) % (\(b))) + (\(b))) % (\(b))) div (\(b)))"
        }
    }

    /// Integer division truncating toward zero, on money.
    func truncDiv(_ a: String, _ b: String) -> String {
        switch engine {
        case .duckdb: return "((\(a)) // (\(b)))"
        case .spark: return "CAST((\(a)) div (\(b)) AS DECIMAL(38,0))"
        }
    }

    /// A 128-bit digest of a line's text (MD5), or a typed NULL: two copies of a record differ when their
    /// digests do.
    func digest(_ text: String?) -> String {
        switch engine {
        case .duckdb: return text.map { "md5_number(\($0))" } ?? "CAST(NULL AS UHUGEINT)"
        case .spark: return text.map { "md5(\($0))" } ?? "CAST(NULL AS STRING)"
        }
    }

    /// The length of a string in UTF-8 bytes.
    func byteLength(_ s: String) -> String {
        engine == .duckdb ? "strlen(\(s))" : "octet_length(\(s))"
    }

    /// Whether `s` matches the regular expression `pattern` (a literal) anywhere.
    func matches(_ s: String, _ pattern: String) -> String {
        engine == .duckdb ? "regexp_matches(\(s), \(string(pattern)))" : "(\(s) RLIKE \(string(pattern)))"
    }

    func listContains(_ list: String, _ value: String) -> String {
        engine == .duckdb ? "list_contains(\(list), \(value))" : "array_contains(\(list), \(value))"
    }

    func listAppend(_ list: String, _ value: String) -> String {
        engine == .duckdb ? "list_append(\(list), \(value))" : "concat(\(list), array(\(value)))"
    }

    func list(_ value: String) -> String {
        engine == .duckdb ? "[\(value)]" : "array(\(value))"
    }

    /// A date given as text (`YYYY-MM-DD` or `YYYYMMDD`), or NULL when it is no calendar date.
    func tryDate(_ text: String, compact: Bool) -> String {
        switch engine {
        case .duckdb:
            return compact ? "try_strptime(\(text), '%Y%m%d')" : "try_cast(\(text) AS DATE)"
        case .spark:
            return compact ? "try_to_timestamp(\(text), 'yyyyMMdd')" : "try_to_timestamp(\(text), 'yyyy-MM-dd')"
        }
    }

    /// Milliseconds since the epoch of an RFC 3339 text already checked by shape, or NULL.
    func epochMilliseconds(_ text: String) -> String {
        switch engine {
        case .duckdb: return "epoch_ms(try_cast(\(text) AS TIMESTAMPTZ))"
        case .spark: return "unix_millis(try_to_timestamp(\(text)))"
        }
    }

    /// `s` left-padded with zeros to `width` characters.
    func zeroPad(_ s: String, _ width: Int) -> String {
        "lpad(CAST(\(s) AS \(stringType)), \(width), '0')"
    }

    /// `s` without its trailing zeros.
    func trimTrailingZeros(_ s: String) -> String {
        engine == .duckdb ? "rtrim(\(s), '0')" : "trim(TRAILING '0' FROM \(s))"
    }

    /// A string of money or counts.
    func text(_ s: String) -> String { "CAST(\(s) AS \(stringType))" }
}
