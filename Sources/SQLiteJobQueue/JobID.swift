/// The identifier of one job in an ``SQLiteJobQueue``.
///
/// Ids are the table's `AUTOINCREMENT` row ids: they grow with every enqueue and are never reused, even
/// after old jobs are purged, so an id names one job for the life of the database file.
public struct JobID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The row id.
    public let rawValue: Int64

    /// Wraps a row id.
    /// - Parameter rawValue: the job's row id in the `jobs` table.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Where a job is in its life.
///
/// ```
/// pending ──claim──▶ claimed ──complete──▶ completed
///    ▲                 │  │
///    │                 │  └──fail, attempts left──▶ failed ──claim (at retry time)──▶ claimed
///    │                 └──fail, none left / lease expired on the last attempt──▶ dead
///    └── (a claimed job whose lease expired is claimed again directly: redelivery)
/// ```
///
/// A set that may grow: match with `==`, never exhaustively.
public struct JobState: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    private enum Base: String, Sendable, Hashable, CaseIterable {
        case pending, claimed, completed, failed, dead
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Waiting to be claimed once `available_at` has passed.
    public static let pending = JobState(.pending)
    /// Held by a worker until `lease_until`; claimable again by anyone once the lease expires.
    public static let claimed = JobState(.claimed)
    /// Done. Its children, if any, were enqueued in the same transaction.
    public static let completed = JobState(.completed)
    /// The last attempt failed and a retry is scheduled at `available_at`; claimable again then.
    public static let failed = JobState(.failed)
    /// Given up: attempts exhausted, the caller gave up, or the payload hook refused the payload.
    /// `last_error` says why. Never claimed again.
    public static let dead = JobState(.dead)

    /// Every state, in life order.
    public static let all: [JobState] = Base.allCases.map(JobState.init)
    /// Every state, in life order: ``all``, for `CaseIterable`.
    public static var allCases: [JobState] { all }

    /// The state's name, as the `state` column stores it.
    public var name: String { base.rawValue }
    public var description: String { base.rawValue }

    /// The state stored under the given name, if there is one.
    /// - Parameter name: the `state` column's text.
    public init?(name: String) {
        guard let base = Base(rawValue: name) else { return nil }
        self.base = base
    }
}
