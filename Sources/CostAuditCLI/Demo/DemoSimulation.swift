// The demo's simulated ids, record ids and clock.
import Attribution
import CostLedger

/// Trace and leaf ids for the demo: seeded, so every run with the same seed writes the same ledger.
///
/// SplitMix64's outputs are a bijection of its counter, so no two leaf ids it hands out are equal; the rare
/// all-zero value (invalid as an id) is skipped.
final class DemoIdentifierSource: IdentifierSource {
    private let state: Lock<SplitMix64>

    init(seed: UInt64) { state = Lock(SplitMix64(seed: seed ^ 0x1D5)) }

    func nextTraceID() -> TraceID {
        state.withLock { rng in
            while true {
                if let id = TraceID(high: rng.next(), low: rng.next()) { return id }
            }
        }
    }

    func nextLeafID() -> LeafID {
        state.withLock { rng in
            while true {
                if let id = LeafID(rawValue: rng.next()) { return id }
            }
        }
    }
}

/// Record ids for the demo: deterministic, unique, 32 hex characters.
final class DemoRecordIDs: RecordIDSource {
    private let state: Lock<SplitMix64>
    init(seed: UInt64) { state = Lock(SplitMix64(seed: seed ^ 0x5EED)) }
    func nextRecordID() -> String {
        state.withLock { rng in
            let a = rng.next()
            let b = rng.next()
            let hex = String(a, radix: 16) + String(b, radix: 16)
            return String(repeating: "0", count: max(0, 32 - hex.count)) + hex
        }
    }
}

/// The demo's simulated time: starts on the first day of the window and moves only when the workload says so.
final class DemoClock: AttributionClock {
    private let current: Lock<UTCTimestamp>

    init(_ start: UTCTimestamp) { current = Lock(start) }

    func now() -> UTCTimestamp { current.withLock { $0 } }

    /// Moves the clock to `instant`.
    func set(_ instant: UTCTimestamp) { current.withLock { $0 = instant } }

    /// Moves the clock forward by `milliseconds` (the demo's steps are seconds, far from any overflow).
    func advance(byMilliseconds milliseconds: Int64) {
        current.withLock { $0.nanosecondsSinceEpoch += milliseconds * 1_000_000 }
    }
}
