import Attribution
public import CostLedger
import WireFormat

/// A `RecordIDSource` that produces the same sequence of distinct record ids (32 lowercase hex characters,
/// the form of the system source's) for the same seed, so records in tests are reproducible.
///
/// Safe to share between tasks. Every id one source hands out differs from every other it hands out: the
/// high half is a bijection of a counter.
///
/// ```swift
/// let meter = CostMeter(sink: sink, recordIDs: DeterministicRecordIDSource(seed: 7))
/// ```
public final class DeterministicRecordIDSource: RecordIDSource {
    private let counter = Lock<UInt64>(0)
    private let seed: UInt64

    /// Creates a source whose sequence is fixed by `seed`.
    public init(seed: UInt64 = 0) { self.seed = seed }

    /// The next record id of the sequence.
    public func nextRecordID() -> String {
        let n = counter.withLock { counter in
            counter &+= 1
            return counter
        }
        return Self.hex(Self.mix(n &+ seed)) + Self.hex(Self.mix(n ^ 0xD6E8_FEB8_6659_FD93 &+ seed ^ 0x3C6E_F372))
    }

    /// SplitMix64's finaliser: a bijection on 64-bit values.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Sixteen lowercase hex digits.
    private static func hex(_ value: UInt64) -> String {
        Hex.string(value)
    }
}
