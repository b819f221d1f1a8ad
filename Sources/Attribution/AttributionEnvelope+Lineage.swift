extension AttributionEnvelope {
    /// The envelope of this unit's next try: `attempt + 1`, nothing else changed.
    ///
    /// Nothing is read from the ambient context: whoever triggers the retry (an operator, a scheduler, code
    /// running under another user's envelope) never replaces the original `user_id` or `trace_id`.
    /// At the largest attempt (2³¹−1) it stays there rather than overflow.
    public func retried() -> AttributionEnvelope {
        var next = self
        next.attempt = attempt < Limits.maxAttempt ? attempt + 1 : attempt
        return next
    }

    /// The envelope of a unit this one creates: a new `leaf_id`, `parent_id` = this `leaf_id`, the same
    /// trace and root, `attempt` 1, this unit's attribution with the given fields overridden.
    ///
    /// ```swift
    /// let search = envelope.child(tool: "web_search", taskType: "retrieval")
    /// ```
    ///
    /// This only mints the envelope: it checks no policy and announces nothing. For a job's unit use
    /// ``AttributionJobMiddleware/jobEnvelope(parent:customize:)`` or
    /// ``AttributionJobMiddleware/prepare(payload:parent:customize:)``, which do both.
    ///
    /// - Parameters:
    ///   - userID: overrides `user_id` when given.
    ///   - feature: overrides `feature` when given.
    ///   - team: overrides `team` when given.
    ///   - project: overrides `project` when given.
    ///   - taskType: overrides `task_type` when given.
    ///   - tool: overrides `tool` when given.
    ///   - promptVersion: overrides `prompt_version` when given.
    ///   - pipeline: overrides `pipeline` when given.
    ///   - priority: overrides `priority` when given.
    ///   - agent: overrides `agent` when given.
    ///   - tags: merged over this unit's tags.
    ///   - ids: where the new leaf id comes from.
    /// - Returns: the child's envelope.
    public func child(
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
        ids: any IdentifierSource = SystemIdentifierSource()
    ) -> AttributionEnvelope {
        var next = self
        next.leafID = ids.nextLeafID()
        next.parentID = leafID
        next.rootID = rootID
        next.attempt = 1
        let overrides: [(AttributionField, String?)] = [
            (.userID, userID), (.feature, feature), (.team, team), (.project, project), (.taskType, taskType),
            (.tool, tool), (.promptVersion, promptVersion), (.pipeline, pipeline), (.priority, priority),
            (.agent, agent),
        ]
        for (field, value) in overrides where value != nil {
            next[field] = value
        }
        next.tags.merge(tags) { _, new in new }
        return next
    }

    /// The envelopes of `count` children of this unit, in order, with distinct leaf ids; `customize` sets
    /// each child's own fields from its index. Nothing is announced: announce each one (the metering layer's
    /// `CostMeter.announce`) or run them with ``mapChildren(_:maxConcurrency:ids:announcer:retryPolicy:sleep:customize:body:)``.
    ///
    /// ```swift
    /// let shards = envelope.children(count: 3) { index, child in child.tags["shard"] = String(index) }
    /// ```
    ///
    /// - Parameters:
    ///   - count: how many children (none when zero or negative).
    ///   - ids: where the new leaf ids come from.
    ///   - customize: sets the child at an index's own fields (`tool`, `task_type`, tags).
    /// - Returns: the children, in index order.
    public func children(
        count: Int,
        ids: any IdentifierSource = SystemIdentifierSource(),
        customize: (Int, inout AttributionEnvelope) -> Void = { _, _ in }
    ) -> [AttributionEnvelope] {
        var seen: Set<LeafID> = [leafID]
        var children: [AttributionEnvelope] = []
        children.reserveCapacity(max(0, count))
        var index = 0
        while index < count {
            var next = child(ids: ids)
            // Random 64-bit ids collide with negligible probability; a deterministic test source may repeat.
            guard seen.insert(next.leafID).inserted else { continue }
            customize(index, &next)
            children.append(next)
            index += 1
        }
        return children
    }

    /// The envelopes of one child of this unit per input, in input order, with distinct leaf ids;
    /// `customize` sets each child's own fields from its input.
    ///
    /// ```swift
    /// let calls = envelope.children(for: queries) { query, child in child.tags["query"] = query.kind }
    /// ```
    ///
    /// - Parameters:
    ///   - inputs: one child per element.
    ///   - ids: where the new leaf ids come from.
    ///   - customize: sets the child of an input's own fields.
    /// - Returns: the children, in input order.
    public func children<Inputs: Sequence>(
        for inputs: Inputs,
        ids: any IdentifierSource = SystemIdentifierSource(),
        customize: (Inputs.Element, inout AttributionEnvelope) -> Void
    ) -> [AttributionEnvelope] {
        let inputs = Array(inputs)
        return children(count: inputs.count, ids: ids) { index, child in customize(inputs[index], &child) }
    }

    /// The envelopes of one child of this unit per value, in order, with distinct leaf ids; each child's
    /// `field` is set to its value.
    ///
    /// ```swift
    /// let calls = envelope.children(for: ["web_search", "fetch", "rank"], setting: \.tool)
    /// ```
    ///
    /// - Parameters:
    ///   - values: one child per value.
    ///   - field: the field each child's value goes into (`\.tool`, `\.taskType`, `\.agent`).
    ///   - ids: where the new leaf ids come from.
    /// - Returns: the children, in the values' order.
    public func children<Values: Sequence<String>>(
        for values: Values,
        setting field: WritableKeyPath<AttributionEnvelope, String?>,
        ids: any IdentifierSource = SystemIdentifierSource()
    ) -> [AttributionEnvelope] {
        children(for: values, ids: ids) { value, child in child[keyPath: field] = value }
    }
}
