/// Something that records a unit's creation, so lineage holds even for units that make no model call.
///
/// The metering layer's `CostMeter` conforms and writes a `unit` record to the ledger; the core only knows
/// this protocol.
public protocol UnitAnnouncer: Sendable {
    /// Records that the unit `envelope` names was created.
    func announce(_ envelope: AttributionEnvelope) throws
}
