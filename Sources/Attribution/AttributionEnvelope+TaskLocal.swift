extension AttributionEnvelope {
    @TaskLocal private static var taskLocal: AttributionEnvelope?

    /// The envelope bound by the nearest enclosing ``withAttribution(_:operation:)``, if any.
    ///
    /// A convenience for code inside one unit of work. Its limit is the reason the envelope is carried in
    /// job payloads: a task-local value does not reach `Task.detached`, callbacks run by other threads, or
    /// another process.
    public static var current: AttributionEnvelope? { taskLocal }

    /// Runs `operation` with `envelope` as ``current``.
    public static func withAttribution<Result, Failure: Error>(
        _ envelope: AttributionEnvelope,
        operation: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        do {
            return try await $taskLocal.withValue(envelope) { () async throws -> Result in try await operation() }
        } catch {
            throw error as! Failure
        }
    }

    /// Runs synchronous `operation` with `envelope` as ``current``.
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

/// Runs `operation` with `envelope` bound as ``AttributionEnvelope/current``.
public func withAttribution<Result, Failure: Error>(
    _ envelope: AttributionEnvelope,
    operation: () async throws(Failure) -> Result
) async throws(Failure) -> Result {
    try await AttributionEnvelope.withAttribution(envelope, operation: operation)
}
