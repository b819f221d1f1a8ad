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
    /// - Throws: ``CostLedgerError/Code/invalidRecord`` carrying the `AttributionError` when the envelope is
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

    /// Tags an originating request with this meter's policy, id source and clock, and announces its root
    /// unit (`AttributionEnvelope.tag(userID:feature:team:project:taskType:...)` of the core).
    ///
    /// The five fields the default policy requires are parameters without defaults, so a call that leaves one
    /// out does not compile; the other fields are optional.
    ///
    /// ```swift
    /// let envelope = try meter.tag(
    ///     userID: user.id, feature: "summarize", team: "growth", project: "assistant", taskType: "summarize")
    /// ```
    ///
    /// The full call:
    ///
    /// ```swift
    /// func tag(
    ///     userID: String, feature: String, team: String, project: String, taskType: String,
    ///     tool: String? = nil, promptVersion: String? = nil, pipeline: String? = nil,
    ///     priority: String? = nil, agent: String? = nil, tags: [String: String] = [:],
    ///     pseudonymize: ((String) -> String)? = nil
    /// ) throws(AttributionError) -> AttributionEnvelope
    /// ```
    ///
    /// In strict mode the meter's policy is checked (a field it requires beyond the five, at run time); in
    /// lenient mode only the values' format is. A sink failure does not fail the request: the envelope is
    /// returned and the failure goes to `onIssue` and ``statistics``, as for calls. So the one error is a
    /// refusal, and it is the core's `AttributionError`, the error every tagging entry point throws.
    /// - Parameters:
    ///   - userID: who the work is for (`user_id`).
    ///   - feature: the product feature (`feature`).
    ///   - team: the owning team (`team`).
    ///   - project: the project or cost centre (`project`).
    ///   - taskType: the kind of task (`task_type`).
    ///   - tool: the tool the unit runs (`tool`).
    ///   - promptVersion: the prompt's version (`prompt_version`).
    ///   - pipeline: the pipeline (`pipeline`).
    ///   - priority: the scheduling priority (`priority`).
    ///   - agent: the agent (`agent`).
    ///   - tags: anything else.
    ///   - pseudonymize: applied once to `userID`, here, so every record carries the same id.
    /// - Returns: the root envelope.
    /// - Throws: `AttributionError`: a validation error naming the bad value, or
    ///   `AttributionError.Code.missingFields` listing what the meter's policy requires and the call lacks.
    public func tag(
        userID: String,
        feature: String,
        team: String,
        project: String,
        taskType: String,
        tool: String? = nil,
        promptVersion: String? = nil,
        pipeline: String? = nil,
        priority: String? = nil,
        agent: String? = nil,
        tags: [String: String] = [:],
        pseudonymize: ((String) -> String)? = nil
    ) throws(AttributionError) -> AttributionEnvelope {
        let fields = AttributionEnvelope.taggingFields(
            userID: userID,
            feature: feature,
            team: team,
            project: project,
            taskType: taskType,
            tool: tool,
            promptVersion: promptVersion,
            pipeline: pipeline,
            priority: priority,
            agent: agent
        )
        return try tag(fields: fields, tags: tags, pseudonymize: pseudonymize)
    }

    /// Tags an originating request with any set of fields, checked at run time against this meter's policy
    /// (strict mode) or for format only (lenient mode), and announces its root unit.
    ///
    /// The form for a meter whose policy is not the default one, or for work that is deliberately partly
    /// attributed under a lenient meter:
    ///
    /// ```swift
    /// let nightly = try meter.tag(fields: [.feature: "nightly-eval", .agent: "eval-agent"])
    /// ```
    ///
    /// The full call:
    ///
    /// ```swift
    /// func tag(
    ///     fields: [AttributionField: String], tags: [String: String] = [:],
    ///     pseudonymize: ((String) -> String)? = nil
    /// ) throws(AttributionError) -> AttributionEnvelope
    /// ```
    ///
    /// A sink failure does not fail the request, as for
    /// ``tag(userID:feature:team:project:taskType:tool:promptVersion:pipeline:priority:agent:tags:pseudonymize:)``.
    /// - Parameters:
    ///   - fields: the business fields, by field.
    ///   - tags: anything else.
    ///   - pseudonymize: applied once to the `user_id` field, here, so every record carries the same id.
    /// - Returns: the root envelope.
    /// - Throws: `AttributionError`: `AttributionError.Code.missingFields` listing every field the
    ///   meter's policy requires and `fields` lacks (strict mode), or a validation error naming the bad value.
    public func tag(
        fields: [AttributionField: String],
        tags: [String: String] = [:],
        pseudonymize: ((String) -> String)? = nil
    ) throws(AttributionError) -> AttributionEnvelope {
        let envelope = try AttributionEnvelope.tag(
            fields: fields,
            tags: tags,
            pseudonymize: pseudonymize,
            policy: mode == .strict ? policy : .none,
            ids: identifierSource,
            clock: clockSource
        )
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
