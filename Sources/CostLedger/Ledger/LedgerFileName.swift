import WireFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The name of one writer's ledger file (docs/ledger.md): `{host}-{pid}-{start ms}-{random}.jsonl`.
///
/// The host, the process id, the millisecond the file was started and 64 random bits: a restarted container
/// that gets the same host name and pid still gets its own file, so no two processes ever append to one file.
/// The host part keeps `[A-Za-z0-9._-]` (other bytes become `_`) and at most 64 bytes; the random part is 16
/// lowercase hex characters.
public struct LedgerFileName: Sendable, Hashable, CustomStringConvertible {
    /// The host name, sanitised.
    public var host: String
    /// The writing process's id.
    public var pid: Int64
    /// When the file was started, in milliseconds since the epoch (UTC).
    public var startMilliseconds: Int64
    /// 64 random bits.
    public var random: UInt64

    /// Creates a name, sanitising `host`.
    public init(host: String, pid: Int64, startMilliseconds: Int64, random: UInt64) {
        self.host = Self.sanitise(host)
        self.pid = pid
        self.startMilliseconds = startMilliseconds
        self.random = random
    }

    /// Parses a file name of this form (the host may contain `-`: the other parts are read from the right).
    public init?(parsing name: String) {
        guard name.hasSuffix(".jsonl") else { return nil }
        let stem = name.dropLast(6)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4 else { return nil }
        let randomText = parts[parts.count - 1]
        guard let random = Hex.parseUInt64(Array(randomText.utf8)[...]),
            let start = Int64(parts[parts.count - 2]), start >= 0,
            let pid = Int64(parts[parts.count - 3]), pid >= 0
        else { return nil }
        let host = parts[0..<(parts.count - 3)].joined(separator: "-")
        guard !host.isEmpty, Self.sanitise(host) == host else { return nil }
        self.host = host
        self.pid = pid
        self.startMilliseconds = start
        self.random = random
    }

    /// A name for a file this process starts now.
    /// - Parameters:
    ///   - host: the host name; nil reads it from the system.
    ///   - now: the start time.
    public static func make(host: String? = nil, now: Int64) -> LedgerFileName {
        var rng = SystemRandomNumberGenerator()
        return LedgerFileName(
            host: host ?? systemHostName(),
            pid: Int64(getpid()),
            startMilliseconds: now,
            random: rng.next()
        )
    }

    /// The file name.
    public var description: String {
        "\(host)-\(pid)-\(startMilliseconds)-\(Hex.string(random)).jsonl"
    }

    /// The system's host name, or `host` when it cannot be read.
    public static func systemHostName() -> String {
        guard let name = SystemIO.hostName(), !name.isEmpty else { return "host" }
        return name
    }

    static func sanitise(_ host: String) -> String {
        var out: [UInt8] = []
        for b in host.utf8.prefix(64) {
            let ok =
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E
                || b == 0x5F || b == 0x2D
            out.append(ok ? b : UInt8(ascii: "_"))
        }
        return out.isEmpty ? "host" : String(decoding: out, as: UTF8.self)
    }
}
