extension AttributionEnvelope {
    /// Runs one child unit per input, concurrently (at most `maxConcurrency` at once), each under its own
    /// child envelope (new leaf, parent = this leaf, same trace and root), and returns each child's outcome in
    /// input order.
    ///
    /// Each child is announced before it runs (a `unit` record when `announcer` is the metering layer's
    /// meter), so lineage holds even when this parent makes no model call. A child that fails is retried
    /// under its own envelope (`attempt + 1`) as `retryPolicy` says; its failures stay its own.
    ///
    /// ```swift
    /// let results = try await envelope.fanOut(queries, maxConcurrency: 4, announcer: meter,
    ///     customize: { _, query, child in child.tool = "web_search" }) { query, child in
    ///         try await search(query, envelope: child)
    /// }
    /// ```
    /// - Returns: one `Result` per input, in input order.
    /// - Throws: only when announcing a child fails (no child runs unannounced).
    public func fanOut<Input: Sendable, Output: Sendable>(
        _ inputs: [Input],
        maxConcurrency: Int = 8,
        ids: any IdentifierSource = SystemIdentifierSource(),
        announcer: (any UnitAnnouncer)? = nil,
        retryPolicy: RetryPolicy = .never,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        customize: (Int, Input, inout AttributionEnvelope) -> Void = { _, _, _ in },
        operation: @escaping @Sendable (Input, AttributionEnvelope) async throws -> Output
    ) async throws -> [Result<Output, any Error>] {
        var children = fanOut(inputs.count, ids: ids)
        for index in children.indices {
            customize(index, inputs[index], &children[index])
        }
        if let announcer {
            for child in children { try announcer.announce(child) }
        }
        let limit = max(1, maxConcurrency)
        var results = [Result<Output, any Error>?](repeating: nil, count: inputs.count)
        await withTaskGroup(of: (Int, Result<Output, any Error>).self) { group in
            var next = 0
            func start(_ index: Int) {
                let input = inputs[index]
                let child = children[index]
                group.addTask {
                    do {
                        let output = try await child.withRetries(policy: retryPolicy, sleep: sleep) { tryEnvelope in
                            try await operation(input, tryEnvelope)
                        }
                        return (index, .success(output))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            while next < inputs.count, next < limit {
                start(next)
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < inputs.count {
                    start(next)
                    next += 1
                }
            }
        }
        return results.map { $0 ?? .failure(CancellationError()) }
    }
}
