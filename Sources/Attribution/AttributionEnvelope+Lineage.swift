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
    /// - Parameters:
    ///   - tool: overrides `tool` when given; likewise the other fields.
    ///   - tags: merged over this unit's tags.
    ///   - ids: where the new leaf id comes from.
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

    /// The envelopes of `count` children with distinct leaf ids, in order, each overridden by `customize`.
    ///
    /// ```swift
    /// let children = envelope.fanOut(3) { index, child in child.tool = tools[index] }
    /// ```
    public func fanOut(
        _ count: Int,
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
}
