/// Which business fields an envelope must carry before work may start, and which it keeps out of every
/// outbound form.
///
/// The default requires `user_id feature team project task_type`. The API that starts work (tagging, the
/// call wrapper, enqueue middleware) checks the policy and refuses, with one error listing every missing
/// field, rather than proceed untagged.
///
/// A policy can also withhold fields (``withholding(_:)``): they stay in the process and in the ledger's
/// records, and are omitted (never hashed, never replaced) from every form in which the envelope leaves it —
/// the JSON form (``AttributionEnvelope/canonicalJSON(policy:)``), the header form
/// (``AttributionEnvelope/headerFields(policy:)``), a job payload (``AttributionEnvelope/embed(into:policy:)``,
/// and ``AttributionJobMiddleware``, which applies its own policy), and a provider request's metadata (the
/// metering layer's propagation settings take the withheld fields). See docs/formats.md, "Withheld fields".
///
/// ```swift
/// // user_id is required when a request is tagged, but never leaves the process.
/// let policy = AttributionPolicy.default.withholding([.userID])
/// let payload = try envelope.embed(into: job, policy: policy)   // no "user_id" in it
/// ```
public struct AttributionPolicy: Sendable, Hashable {
    /// The fields that must be present, in canonical order.
    public let required: [AttributionField]

    /// The fields kept out of every outbound form, in canonical order. Empty unless set with
    /// ``withholding(_:)``.
    public let withheld: [AttributionField]

    /// Creates a policy requiring `required` and withholding nothing.
    public init(required: some Sequence<AttributionField>) {
        self.init(required: Array(Set(required)).sorted(), withheld: [])
    }

    private init(required: [AttributionField], withheld: [AttributionField]) {
        self.required = required
        self.withheld = withheld
    }

    /// This policy, also keeping `fields` out of every outbound form.
    ///
    /// A withheld field is omitted from what leaves the process: not hashed (a hash of a low-entropy id such as
    /// a user id can be reversed by trying every id), not replaced by a placeholder. What the policy requires is
    /// still required of the envelope in the process, where work is tagged and started; an envelope read back
    /// from an outbound form is checked with ``checkReceived(_:)``, which does not expect a withheld field.
    ///
    /// ```swift
    /// let policy = AttributionPolicy.default.withholding([.userID, .project])
    /// ```
    ///
    /// - Parameter fields: the fields to withhold, added to those already withheld.
    /// - Returns: the policy with the same required fields and the union of the withheld ones.
    public func withholding(_ fields: some Sequence<AttributionField>) -> AttributionPolicy {
        AttributionPolicy(required: required, withheld: Array(Set(withheld).union(fields)).sorted())
    }

    /// `envelope` as it may leave the process: every withheld field removed, everything else as it was.
    ///
    /// Every outbound form goes through this; call it directly for a form this library does not write (a log
    /// line, a message attribute of your own).
    /// - Parameter envelope: the envelope held in the process.
    /// - Returns: the envelope without the withheld fields; `envelope` itself when nothing is withheld.
    public func outbound(_ envelope: AttributionEnvelope) -> AttributionEnvelope {
        guard !withheld.isEmpty else { return envelope }
        var out = envelope
        for field in withheld { out[field] = nil }
        return out
    }

    /// Requires the five business fields.
    public static let `default` = AttributionPolicy(required: AttributionField.business)

    /// Requires nothing: every envelope passes.
    public static let none = AttributionPolicy(required: [])

    /// The required fields `envelope` lacks, in canonical order.
    public func missingFields(in envelope: AttributionEnvelope) -> [AttributionField] {
        required.filter { envelope[$0] == nil }
    }

    /// Validates `envelope` and checks that it carries every required field.
    /// - Throws: ``AttributionError/Code/missingFields`` listing every missing field, or the first
    ///   validation error.
    public func check(_ envelope: AttributionEnvelope) throws(AttributionError) {
        try envelope.validate()
        let missing = missingFields(in: envelope)
        if !missing.isEmpty {
            throw Self.missingError(missing)
        }
    }

    /// Validates an envelope read back from an outbound form (a job payload, headers) and checks that it
    /// carries every required field this policy does not withhold: a withheld field was left out on purpose.
    /// - Throws: ``AttributionError/Code/missingFields`` listing every missing field that is not withheld, or
    ///   the first validation error.
    public func checkReceived(_ envelope: AttributionEnvelope) throws(AttributionError) {
        try envelope.validate()
        let missing = missingFields(in: envelope).filter { !withheld.contains($0) }
        if !missing.isEmpty {
            throw Self.missingError(missing)
        }
    }

    package static func missingError(_ missing: [AttributionField]) -> AttributionError {
        let names = missing.map(\.name).joined(separator: ", ")
        return AttributionError(
            .missingFields,
            field: missing.count == 1 ? missing[0].name : nil,
            reason: "required attribution missing: \(names)"
        )
    }
}
