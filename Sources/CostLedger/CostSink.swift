/// Where cost records go: the JSON Lines ledger, an in-memory sink in tests, or anything an application
/// writes (a queue, a warehouse loader).
///
/// ``write(_:)`` is called on the path of a model call, so implementations buffer rather than block on disk
/// longer than their documented bound.
public protocol CostSink: Sendable {
    /// Accepts one record. Returns once the record is buffered, or written if the sink's durability says so.
    /// - Throws: ``CostLedgerError`` when the record cannot be accepted (buffer full under a refusing policy,
    ///   sink closed, I/O failure).
    func write(_ record: CostRecord) throws(CostLedgerError)

    /// Makes every record accepted so far durable, as far as the sink's durability setting goes.
    func flush() throws(CostLedgerError)
}
