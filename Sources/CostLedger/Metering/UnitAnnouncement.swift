public import Attribution

extension CostMeter {
    /// The record id of `envelope`'s unit record: `unit:` + its leaf id.
    public static func unitRecordID(for envelope: AttributionEnvelope) -> String {
        "unit:" + envelope.leafID.description
    }

    /// The `unit` record announcing `envelope`'s unit (docs/ledger.md): its lineage and attribution, no
    /// provider, model or tokens, stamped `at`.
    public static func unitRecord(for envelope: AttributionEnvelope, at timestamp: UTCTimestamp) -> CostRecord {
        CostRecord(recordID: unitRecordID(for: envelope), kind: .unit, timestamp: timestamp, envelope: envelope)
    }

    /// Writes a `unit` record for `envelope`, so the audit can resolve lineage through a unit that makes no
    /// model call itself (a request handler that only fans out, say).
    ///
    /// ```swift
    /// let search = envelope.child(tool: "search")
    /// try meter.announce(search)        // {"v":1,"record_id":"unit:…","kind":"unit",…}
    /// ```
    ///
    /// The record id is `unit:` + the leaf id, so announcing a unit twice (a redelivered job) writes a
    /// duplicate the audit counts once. The envelope must be valid; the policy is not applied (a partially
    /// attributed unit still carries lineage).
    /// - Throws: ``CostLedgerError/Code/invalidRecord`` carrying the ``AttributionError`` when the envelope is
    ///   invalid, or the sink's error.
    public func announce(_ envelope: AttributionEnvelope) throws(CostLedgerError) {
        do {
            try envelope.validate()
        } catch {
            throw CostLedgerError(
                .invalidRecord,
                field: error.field,
                reason: "cannot announce an invalid envelope: \(error.reason)",
                attributionError: error
            )
        }
        try writeUnit(Self.unitRecord(for: envelope, at: now))
    }

    /// Tags an originating request (``AttributionEnvelope/tag(userID:feature:team:project:taskType:tool:promptVersion:pipeline:priority:agent:tags:pseudonymize:policy:ids:clock:)``
    /// with this meter's policy, id source and clock) and announces its root unit.
    ///
    /// ```swift
    /// let envelope = try meter.tag(
    ///     userID: user.id, feature: "summarize", team: "growth", project: "assistant", taskType: "summarize")
    /// ```
    ///
    /// In strict mode tagging fails closed on missing fields; in lenient mode only the values' format is
    /// checked. A sink failure does not fail the request: the envelope is returned and the failure goes to
    /// `onIssue` and ``statistics``, as for calls.
    /// - Parameter pseudonymize: applied once to `userID`, here, so every record carries the same id.
    /// - Returns: the root envelope.
    /// - Throws: ``CostLedgerError/Code/attributionRefused`` carrying the ``AttributionError``.
    public func tag(
        userID: String? = nil,
        feature: String? = nil,
        team: String? = nil,
        project: String? = nil,
        taskType: String? = nil,
        tool: String? = nil,
        promptVersion: String? = nil,
        pipeline: String? = nil,
        priority: String? = nil,
        agent: String? = nil,
        tags: [String: String] = [:],
        pseudonymize: ((String) -> String)? = nil
    ) throws(CostLedgerError) -> AttributionEnvelope {
        let envelope: AttributionEnvelope
        do {
            envelope = try AttributionEnvelope.tag(
                userID: userID,
                feature: feature,
                team: team,
                project: project,
                taskType: taskType,
                tool: tool,
                promptVersion: promptVersion,
                pipeline: pipeline,
                priority: priority,
                agent: agent,
                tags: tags,
                pseudonymize: pseudonymize,
                policy: mode == .strict ? policy : .none,
                ids: identifierSource,
                clock: clockSource
            )
        } catch {
            throw CostLedgerError(
                .attributionRefused,
                field: error.field,
                reason: "cannot tag the request: \(error.reason)",
                attributionError: error
            )
        }
        let record = Self.unitRecord(for: envelope, at: envelope.createdAt ?? now)
        do {
            try writeUnit(record)
        } catch {
            reportUnitFailure(record, error)
        }
        return envelope
    }
}

/// The meter announces units for the core's job middleware and fan-out helpers.
extension CostMeter: UnitAnnouncer {}
