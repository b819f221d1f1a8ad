import Attribution
public import CostLedger

/// A sink that keeps every record in memory, for tests of code that writes cost records.
///
/// ```swift
/// let sink = InMemoryCostSink()
/// try await service.handle(request, sink: sink)
/// #expect(sink.records.map(\.model) == ["gpt-4.1"])
/// ```
public final class InMemoryCostSink: CostSink {
    private let state = Lock<(records: [CostRecord], flushes: Int)>(([], 0))

    /// Creates an empty sink.
    public init() {}

    /// Appends `record`. Never fails.
    public func write(_ record: CostRecord) throws(CostLedgerError) {
        state.withLock { $0.records.append(record) }
    }

    /// Counts the call; records are already "durable" in memory.
    public func flush() throws(CostLedgerError) {
        state.withLock { $0.flushes += 1 }
    }

    /// Every record written so far, in the order the writes happened.
    public var records: [CostRecord] { state.withLock { $0.records } }

    /// How many times ``flush()`` was called.
    public var flushCount: Int { state.withLock { $0.flushes } }

    /// Forgets every record and the flush count.
    public func reset() {
        state.withLock { $0 = ([], 0) }
    }
}
