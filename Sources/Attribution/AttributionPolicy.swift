/// Which business fields an envelope must carry before work may start.
///
/// The default requires `user_id feature team project task_type`. The API that starts work (tagging, the
/// call wrapper, enqueue middleware) checks the policy and refuses, with one error listing every missing
/// field, rather than proceed untagged.
public struct AttributionPolicy: Sendable, Hashable {
    /// The fields that must be present, in canonical order.
    public let required: [AttributionField]

    /// Creates a policy requiring `required`.
    public init(required: some Sequence<AttributionField>) {
        self.required = Array(Set(required)).sorted()
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

    package static func missingError(_ missing: [AttributionField]) -> AttributionError {
        let names = missing.map(\.name).joined(separator: ", ")
        return AttributionError(
            .missingFields,
            field: missing.count == 1 ? missing[0].name : nil,
            reason: "required attribution missing: \(names)"
        )
    }
}
