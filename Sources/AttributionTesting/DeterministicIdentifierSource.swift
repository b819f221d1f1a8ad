public import Attribution

/// An ``IdentifierSource`` that produces the same sequence of valid, distinct ids for the same seed, so
/// envelopes in tests are reproducible.
///
/// Safe to share between tasks: the state sits behind a `Lock`. Every leaf id it hands out differs from
/// every other leaf id it hands out (the generator is a bijection of a counter, and zero is skipped); trace
/// ids likewise.
///
/// ```swift
/// let ids = DeterministicIdentifierSource(seed: 42)
/// let envelope = try AttributionEnvelope.tag(
///     userID: "u_1", feature: "f", team: "t", project: "p", taskType: "k", ids: ids, clock: FixedClock(.epoch))
/// ```
public final class DeterministicIdentifierSource: IdentifierSource {
    private struct State {
        var leafCounter: UInt64
        var traceCounter: UInt64
    }

    private let state: Lock<State>
    private let seed: UInt64

    /// Creates a source whose sequence is fixed by `seed`.
    public init(seed: UInt64 = 0) {
        self.seed = seed
        self.state = Lock(State(leafCounter: 0, traceCounter: 0))
    }

    /// The next trace id of the sequence.
    public func nextTraceID() -> TraceID {
        while true {
            let counter = state.withLock { state in
                state.traceCounter &+= 1
                return state.traceCounter
            }
            // Two halves from two different streams of the same counter: distinct counters give distinct
            // high halves, so trace ids never repeat.
            let high = Self.mix(counter &+ seed)
            let low = Self.mix(counter ^ 0x5851_F42D_4C95_7F2D &+ seed ^ 0xA5A5_A5A5_A5A5_A5A5)
            if let id = TraceID(high: high, low: low) { return id }
        }
    }

    /// The next leaf id of the sequence.
    public func nextLeafID() -> LeafID {
        while true {
            let counter = state.withLock { state in
                state.leafCounter &+= 1
                return state.leafCounter
            }
            if let id = LeafID(rawValue: Self.mix(counter &+ seed ^ 0x9E37_79B9_7F4A_7C15)) { return id }
        }
    }

    /// SplitMix64's finaliser: a bijection on 64-bit values, so distinct inputs give distinct outputs.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
