extension AttributionEnvelope {
    /// Tags an originating request under the default policy: mints a new trace and root unit carrying the
    /// business fields, stamped with the time, and refuses when a value is invalid (fail closed).
    ///
    /// The five fields ``AttributionPolicy/default`` requires are parameters without defaults, so a call that
    /// leaves one out does not compile; the other fields are optional.
    ///
    /// ```swift
    /// let envelope = try AttributionEnvelope.tag(
    ///     userID: request.userID, feature: "summarize", team: "growth",
    ///     project: "assistant", taskType: "summarize", pseudonymize: { hmac($0) })
    /// ```
    ///
    /// The full call:
    ///
    /// ```swift
    /// static func tag(
    ///     userID: String, feature: String, team: String, project: String, taskType: String,
    ///     tool: String? = nil, promptVersion: String? = nil, pipeline: String? = nil,
    ///     priority: String? = nil, agent: String? = nil, tags: [String: String] = [:],
    ///     pseudonymize: ((String) -> String)? = nil, policy: AttributionPolicy = .default,
    ///     ids: any IdentifierSource = SystemIdentifierSource(),
    ///     clock: any AttributionClock = SystemAttributionClock()
    /// ) throws(AttributionError) -> AttributionEnvelope
    /// ```
    ///
    /// For a policy other than the default, whose required fields may be any, see
    /// ``tag(fields:tags:pseudonymize:policy:ids:clock:)``: it checks them at run time.
    ///
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
    ///   - pseudonymize: applied once to `userID`, here, so every form and record carries the same id.
    ///   - policy: which fields must be present; a field it requires beyond the five is checked at run time.
    ///   - ids: where the trace and leaf ids come from.
    ///   - clock: where `created_at` comes from.
    /// - Returns: a root envelope (`attempt` 1, `root_id` = `leaf_id`).
    /// - Throws: ``AttributionError``: a validation error naming the bad value (an empty `team`, say), or
    ///   ``AttributionError/Code/missingFields`` listing what a custom policy requires and the call lacks.
    public static func tag(
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
        pseudonymize: ((String) -> String)? = nil,
        policy: AttributionPolicy = .default,
        ids: any IdentifierSource = SystemIdentifierSource(),
        clock: any AttributionClock = SystemAttributionClock()
    ) throws(AttributionError) -> AttributionEnvelope {
        let fields = taggingFields(
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
        return try tag(fields: fields, tags: tags, pseudonymize: pseudonymize, policy: policy, ids: ids, clock: clock)
    }

    /// The labelled tagging form's values as the fields form takes them: the five required ones, and each
    /// optional one that is set. The meter's `tag` uses it too, so both labelled forms build the same fields.
    package static func taggingFields(
        userID: String,
        feature: String,
        team: String,
        project: String,
        taskType: String,
        tool: String?,
        promptVersion: String?,
        pipeline: String?,
        priority: String?,
        agent: String?
    ) -> [AttributionField: String] {
        var fields: [AttributionField: String] = [
            .userID: userID, .feature: feature, .team: team, .project: project, .taskType: taskType,
        ]
        fields[.tool] = tool
        fields[.promptVersion] = promptVersion
        fields[.pipeline] = pipeline
        fields[.priority] = priority
        fields[.agent] = agent
        return fields
    }

    /// Tags an originating request with any set of fields, checked against `policy` at run time: mints a new
    /// trace and root unit carrying them, stamped with the time, and refuses when a required field is missing
    /// or a value is invalid (fail closed).
    ///
    /// The form for a custom policy, or for work that is deliberately partly attributed (`policy: .none`):
    ///
    /// ```swift
    /// let nightly = try AttributionEnvelope.tag(
    ///     fields: [.feature: "nightly-eval", .agent: "eval-agent"], policy: AttributionPolicy(required: [.agent]))
    /// ```
    ///
    /// The full call:
    ///
    /// ```swift
    /// static func tag(
    ///     fields: [AttributionField: String], tags: [String: String] = [:],
    ///     pseudonymize: ((String) -> String)? = nil, policy: AttributionPolicy,
    ///     ids: any IdentifierSource = SystemIdentifierSource(),
    ///     clock: any AttributionClock = SystemAttributionClock()
    /// ) throws(AttributionError) -> AttributionEnvelope
    /// ```
    ///
    /// - Parameters:
    ///   - fields: the business fields, by field (``AttributionField/userID`` is `user_id`).
    ///   - tags: anything else.
    ///   - pseudonymize: applied once to the `user_id` field, here, so every form and record carries the same
    ///     id.
    ///   - policy: which fields must be present. No default: the check is the caller's explicit choice.
    ///   - ids: where the trace and leaf ids come from.
    ///   - clock: where `created_at` comes from.
    /// - Returns: a root envelope (`attempt` 1, `root_id` = `leaf_id`).
    /// - Throws: ``AttributionError``: ``AttributionError/Code/missingFields`` listing every missing
    ///   required field, or a validation error naming the bad value.
    public static func tag(
        fields: [AttributionField: String],
        tags: [String: String] = [:],
        pseudonymize: ((String) -> String)? = nil,
        policy: AttributionPolicy,
        ids: any IdentifierSource = SystemIdentifierSource(),
        clock: any AttributionClock = SystemAttributionClock()
    ) throws(AttributionError) -> AttributionEnvelope {
        let leaf = ids.nextLeafID()
        let envelope = AttributionEnvelope(
            traceID: ids.nextTraceID(),
            leafID: leaf,
            rootID: leaf,
            attempt: 1,
            // The wire form keeps milliseconds; keeping only them here makes a decoded copy equal the original.
            createdAt: UTCTimestamp(millisecondsSinceEpoch: clock.now().millisecondsSinceEpoch),
            userID: fields[.userID].map { pseudonymize?($0) ?? $0 },
            feature: fields[.feature],
            team: fields[.team],
            project: fields[.project],
            taskType: fields[.taskType],
            tool: fields[.tool],
            promptVersion: fields[.promptVersion],
            pipeline: fields[.pipeline],
            priority: fields[.priority],
            agent: fields[.agent],
            tags: tags
        )
        try policy.check(envelope)
        return envelope
    }
}
