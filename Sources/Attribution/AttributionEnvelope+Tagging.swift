extension AttributionEnvelope {
    /// Tags an originating request: mints a new trace and root unit carrying the business fields, stamped
    /// with the time, and refuses when the policy's required fields are missing (fail closed).
    ///
    /// ```swift
    /// let envelope = try AttributionEnvelope.tag(
    ///     userID: request.userID, feature: "summarize", team: "growth",
    ///     project: "assistant", taskType: "summarize", pseudonymize: { hmac($0) })
    /// ```
    ///
    /// - Parameters:
    ///   - pseudonymize: applied once to `userID`, here, so every form and record carries the same id.
    ///   - policy: which fields must be present.
    ///   - ids: where the trace and leaf ids come from.
    ///   - clock: where `created_at` comes from.
    /// - Returns: a root envelope (`attempt` 1, `root_id` = `leaf_id`).
    /// - Throws: ``AttributionError/Code/missingFields`` listing every missing required field, or a
    ///   validation error naming the bad value.
    public static func tag(
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
        pseudonymize: ((String) -> String)? = nil,
        policy: AttributionPolicy = .default,
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
            userID: userID.map { pseudonymize?($0) ?? $0 },
            feature: feature,
            team: team,
            project: project,
            taskType: taskType,
            tool: tool,
            promptVersion: promptVersion,
            pipeline: pipeline,
            priority: priority,
            agent: agent,
            tags: tags
        )
        try policy.check(envelope)
        return envelope
    }
}
