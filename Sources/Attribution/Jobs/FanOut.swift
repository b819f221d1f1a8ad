extension AttributionEnvelope {
    /// Runs `body` once per input, concurrently (at most `maxConcurrency` at once), each under its own child
    /// envelope (new leaf, parent = this leaf, same trace and root), and returns the outputs in input order.
    ///
    /// Every child is minted (as ``children(for:ids:customize:)`` does) and announced before any runs (a
    /// `unit` record when `announcer` is the metering layer's meter), so lineage holds even when this parent
    /// makes no model call. Each child runs with its envelope bound as ``current`` and passed in. A child that
    /// fails is retried under its own envelope (`attempt + 1`) as `retryPolicy` says; when it fails for good,
    /// the children still running are cancelled and its error is thrown.
    ///
    /// ```swift
    /// let answers = try await envelope.mapChildren(
    ///     queries, maxConcurrency: 4, announcer: meter, customize: { _, child in child.tool = "web_search" }
    /// ) { query, child in
    ///     try await search(query, attribution: child)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - inputs: one child per element.
    ///   - maxConcurrency: the most children running at once (at least one).
    ///   - ids: where the children's leaf ids come from.
    ///   - announcer: records each child's creation, when set.
    ///   - retryPolicy: when a failed child is tried again (never, by default).
    ///   - sleep: how to wait between tries (tests pass one that returns at once).
    ///   - customize: sets the child of an input's own fields (`tool`, `task_type`, tags).
    ///   - body: the child's work, given its input and its envelope.
    /// - Returns: one output per input, in input order.
    /// - Throws: the first error a child fails with for good (the others are cancelled and their outputs
    ///   dropped), or the announcer's error (then no child runs).
    public func mapChildren<Input: Sendable, Output: Sendable>(
        _ inputs: some Sequence<Input>,
        maxConcurrency: Int = 8,
        ids: any IdentifierSource = SystemIdentifierSource(),
        announcer: (any UnitAnnouncer)? = nil,
        retryPolicy: RetryPolicy = .never,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        customize: (Input, inout AttributionEnvelope) -> Void = { _, _ in },
        body: @escaping @Sendable (Input, AttributionEnvelope) async throws -> Output
    ) async throws -> [Output] {
        let inputs = Array(inputs)
        let children = children(for: inputs, ids: ids, customize: customize)
        if let announcer {
            for child in children { try announcer.announce(child) }
        }
        let limit = max(1, maxConcurrency)
        var outputs = [Output?](repeating: nil, count: inputs.count)
        try await withThrowingTaskGroup(of: (Int, Output).self) { group in
            var next = 0
            func start(_ index: Int) {
                let input = inputs[index]
                let child = children[index]
                group.addTask {
                    let output = try await child.withRetries(policy: retryPolicy, sleep: sleep) { tryEnvelope in
                        try await body(input, tryEnvelope)
                    }
                    return (index, output)
                }
            }
            while next < inputs.count, next < limit {
                start(next)
                next += 1
            }
            do {
                while let (index, output) = try await group.next() {
                    outputs[index] = output
                    if next < inputs.count {
                        start(next)
                        next += 1
                    }
                }
            } catch {
                // The first child to fail for good: stop the others and report it, not their cancellations.
                group.cancelAll()
                throw error
            }
        }
        var results: [Output] = []
        results.reserveCapacity(outputs.count)
        for output in outputs {
            // Every child finished without an error, so each slot is filled; a cancelled parent still ends here.
            guard let output else { throw CancellationError() }
            results.append(output)
        }
        return results
    }
}
