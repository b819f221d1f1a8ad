extension AttributionEnvelope {
    @TaskLocal private static var taskLocal: AttributionEnvelope?

    /// The envelope bound by the nearest enclosing ``withAttribution(_:isolation:operation:)``, if any.
    ///
    /// A convenience for code inside one unit of work. Its limit is the reason the envelope is carried in
    /// job payloads: a task-local value does not reach `Task.detached`, callbacks run by other threads, or
    /// another process.
    public static var current: AttributionEnvelope? { taskLocal }

    /// Runs `operation` with `envelope` as ``current``, on the caller's actor.
    ///
    /// ```swift
    /// static func withAttribution<Result, Failure: Error>(
    ///     _ envelope: AttributionEnvelope,
    ///     isolation: isolated (any Actor)? = #isolation,
    ///     operation: () async throws(Failure) -> Result
    /// ) async throws(Failure) -> Result
    /// ```
    ///
    /// `operation` runs isolated to `isolation` (by default the caller's actor, `@MainActor` included), so it
    /// need not be `Sendable`: it may read and change the actor's state, as in `TaskLocal.withValue` and
    /// `ServiceContext.withValue(_:isolation:operation:)`.
    ///
    /// ```swift
    /// actor Summarizer {
    ///     var calls = 0
    ///     func run(_ job: AttributionEnvelope) async {
    ///         await AttributionEnvelope.withAttribution(job) { calls += 1 }
    ///     }
    /// }
    /// ```
    /// - Parameters:
    ///   - envelope: the envelope bound as ``current`` while `operation` runs.
    ///   - isolation: the actor `operation` runs on; leave it to its default, the caller's.
    ///   - operation: the work.
    /// - Returns: what `operation` returns.
    /// - Throws: what `operation` throws.
    public static func withAttribution<Result, Failure: Error>(
        _ envelope: AttributionEnvelope,
        isolation: isolated (any Actor)? = #isolation,
        operation: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        do {
            return try await $taskLocal.withValue(
                envelope,
                operation: { () async throws -> Result in try await operation() },
                isolation: isolation
            )
        } catch {
            // `operation` is the only thing that throws here, and it throws `Failure`.
            throw error as! Failure
        }
    }

    /// Runs synchronous `operation` with `envelope` as ``current``.
    ///
    /// ```swift
    /// static func withAttribution<Result, Failure: Error>(
    ///     _ envelope: AttributionEnvelope,
    ///     operation: () throws(Failure) -> Result
    /// ) throws(Failure) -> Result
    /// ```
    ///
    /// A synchronous call runs where it is called, so it needs no isolation parameter: from an actor or
    /// `@MainActor`, `operation` may touch the actor's state.
    /// - Parameters:
    ///   - envelope: the envelope bound as ``current`` while `operation` runs.
    ///   - operation: the work.
    /// - Returns: what `operation` returns.
    /// - Throws: what `operation` throws.
    public static func withAttribution<Result, Failure: Error>(
        _ envelope: AttributionEnvelope,
        operation: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        do {
            return try $taskLocal.withValue(envelope) { () throws -> Result in try operation() }
        } catch {
            throw error as! Failure
        }
    }
}

/// Runs `operation` with `envelope` bound as ``AttributionEnvelope/current``, on the caller's actor: the free
/// form of ``AttributionEnvelope/withAttribution(_:isolation:operation:)``.
///
/// ```swift
/// func withAttribution<Result, Failure: Error>(
///     _ envelope: AttributionEnvelope,
///     isolation: isolated (any Actor)? = #isolation,
///     operation: () async throws(Failure) -> Result
/// ) async throws(Failure) -> Result
/// ```
/// - Parameters:
///   - envelope: the envelope bound as ``AttributionEnvelope/current`` while `operation` runs.
///   - isolation: the actor `operation` runs on; leave it to its default, the caller's.
///   - operation: the work; it need not be `Sendable`.
/// - Returns: what `operation` returns.
/// - Throws: what `operation` throws.
public func withAttribution<Result, Failure: Error>(
    _ envelope: AttributionEnvelope,
    isolation: isolated (any Actor)? = #isolation,
    operation: () async throws(Failure) -> Result
) async throws(Failure) -> Result {
    try await AttributionEnvelope.withAttribution(envelope, isolation: isolation, operation: operation)
}
