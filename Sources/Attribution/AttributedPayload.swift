/// A job payload that carries its attribution envelope: `{"attribution": {...}, ...the payload's own keys...}`.
///
/// The envelope sits beside the payload's keys, at the top level, under `attribution`: the same layout that
/// ``AttributionEnvelope/embed(into:)-(Collection<UInt8>)`` writes and
/// ``AttributionEnvelope/extract(from:)-(Collection<UInt8>)`` reads, so a producer that uses this wrapper and a
/// worker that reads raw bytes (or the other way round) agree.
///
/// Make one at enqueue with ``AttributionJobMiddleware/prepare(payload:parent:customize:)``, which mints the
/// job's child unit, checks the policy and announces the unit in one call:
///
/// ```swift
/// struct Summarize: Codable, Sendable { var documentID: Int }
///
/// let job = try middleware.prepare(payload: Summarize(documentID: 42), parent: request)
/// let data = try JSONEncoder().encode(job)  // {"attribution":{...},"documentID":42}
/// let back = try JSONDecoder().decode(AttributedPayload<Summarize>.self, from: data)
/// ```
///
/// `Payload` must encode as a keyed container (a struct or class with stored properties, or a dictionary keyed
/// by strings), and must not use the key `attribution` itself: both share one JSON object. A payload that
/// encodes as an array or a single value cannot sit beside a key; wrap it in a struct.
public struct AttributedPayload<Payload: Codable & Sendable>: Codable, Sendable {
    /// The envelope of the unit of work this payload starts.
    public var attribution: AttributionEnvelope
    /// The job's own payload.
    public var payload: Payload

    /// Creates a payload carrying `attribution`, as given: no policy check, no announcement.
    ///
    /// To start a job, use ``AttributionJobMiddleware/prepare(payload:parent:customize:)`` instead: it mints
    /// the job's own unit, refuses it when the policy is not met, and announces it so the ledger's lineage
    /// holds. This initializer is for rebuilding a payload whose envelope is already right (a retry's
    /// ``AttributionEnvelope/retried()`` envelope, a test).
    public init(attribution: AttributionEnvelope, payload: Payload) {
        self.attribution = attribution
        self.payload = payload
    }

    private enum CodingKeys: String, CodingKey {
        case attribution
    }

    /// Decodes the envelope under `attribution` (validated as ``AttributionEnvelope``'s `Codable` form is) and
    /// the payload from the same object.
    /// - Throws: ``AttributionError/Code/missingEnvelope`` when `attribution` is absent, the envelope's
    ///   validation error, or the payload's own decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.attribution) else {
            throw AttributionError(
                .missingEnvelope,
                field: "attribution",
                reason: "no attribution envelope in this payload"
            )
        }
        if try container.decodeNil(forKey: .attribution) {
            throw AttributionError(.invalidType, field: "attribution", reason: "expected an object, got null")
        }
        self.attribution = try container.decode(AttributionEnvelope.self, forKey: .attribution)
        self.payload = try Payload(from: decoder)
    }

    /// Encodes the payload's keys and, beside them, the validated envelope under `attribution`.
    /// - Throws: the envelope's validation error, or the payload's own encoding error.
    public func encode(to encoder: any Encoder) throws {
        try attribution.validate()
        try payload.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(attribution, forKey: .attribution)
    }
}

extension AttributedPayload: Equatable where Payload: Equatable {}
extension AttributedPayload: Hashable where Payload: Hashable {}
