extension AttributionEnvelope {
    /// The canonical JSON form of this envelope as it may leave the process under `policy`: the fields the
    /// policy withholds omitted (see ``AttributionPolicy/withholding(_:)``), the rest byte for byte as
    /// ``canonicalJSON()`` writes them.
    ///
    /// ```swift
    /// let policy = AttributionPolicy.default.withholding([.userID])
    /// let bytes = try envelope.canonicalJSON(policy: policy)   // no "user_id" key
    /// ```
    ///
    /// - Parameter policy: the policy whose withheld fields are left out.
    /// - Returns: the UTF-8 bytes, at most ``Limits/maxCanonicalBytes``.
    /// - Throws: as ``canonicalJSON()``.
    public func canonicalJSON(policy: AttributionPolicy) throws(AttributionError) -> [UInt8] {
        try policy.outbound(self).canonicalJSON()
    }

    /// The header form of this envelope as it may leave the process under `policy`: `traceparent`, then
    /// `baggage` without a member for any field the policy withholds.
    ///
    /// - Parameter policy: the policy whose withheld fields are left out.
    /// - Returns: the `traceparent` and `baggage` header fields.
    /// - Throws: as ``AttributionHeaders/baggage()``.
    public func headerFields(policy: AttributionPolicy) throws(AttributionError) -> [(name: String, value: String)] {
        try policy.outbound(self).headerFields()
    }

    /// Sets the `attribution` key of a JSON object to this envelope's canonical form under `policy`: as
    /// ``embed(into:)-(Collection<UInt8>)``, without the fields the policy withholds.
    ///
    /// ``AttributionJobMiddleware`` embeds this way with its own policy.
    /// - Parameters:
    ///   - jsonObjectBytes: UTF-8 JSON text holding one object, at most ``PayloadLimits/maxPayloadBytes``.
    ///   - policy: the policy whose withheld fields are left out.
    /// - Returns: the object with the envelope embedded.
    /// - Throws: as ``embed(into:)-(Collection<UInt8>)``.
    public func embed(
        into jsonObjectBytes: some Collection<UInt8>,
        policy: AttributionPolicy
    ) throws(AttributionError) -> [UInt8] {
        try policy.outbound(self).embed(into: jsonObjectBytes)
    }
}
