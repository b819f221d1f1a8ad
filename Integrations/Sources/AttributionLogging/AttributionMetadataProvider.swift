import Attribution
public import Logging

extension Logger.MetadataProvider {
    /// The metadata keys ``attribution(pseudonymize:)`` adds, named as in the envelope (docs/formats.md).
    public enum AttributionKey {
        /// The unit's trace id.
        public static let traceID = "trace_id"
        /// Who the work is for, as the envelope carries it (pseudonymized when it was tagged).
        public static let userID = "user_id"
        /// The product feature.
        public static let feature = "feature"
        /// The kind of task.
        public static let taskType = "task_type"
    }

    /// A metadata provider that adds the attributed unit's `trace_id`, `user_id`, `feature` and `task_type` to
    /// every log line inside the unit (``AttributionEnvelope/current``, bound by `withAttribution`), and nothing
    /// outside one.
    ///
    /// ```swift
    /// LoggingSystem.bootstrap(StreamLogHandler.standardOutput, metadataProvider: .attribution())
    /// try await withAttribution(envelope) {
    ///     logger.info("summarizing")  // trace_id=… user_id=… feature=summarize task_type=summarize
    /// }
    /// ```
    ///
    /// The user id is logged as the envelope carries it: pseudonymized when the envelope was tagged with
    /// `pseudonymize:`. Where envelopes carry raw ids, pass `pseudonymize` so no log line holds one; a field the
    /// envelope lacks is not logged.
    ///
    /// - Parameter pseudonymize: applied to the user id before it is logged; nil logs it as carried.
    /// - Returns: the provider.
    public static func attribution(pseudonymize: (@Sendable (String) -> String)? = nil) -> Logger.MetadataProvider {
        Logger.MetadataProvider {
            guard let envelope = AttributionEnvelope.current else { return [:] }
            var metadata: Logger.Metadata = [AttributionKey.traceID: .string(envelope.traceID.description)]
            if let user = envelope.userID {
                metadata[AttributionKey.userID] = .string(pseudonymize?(user) ?? user)
            }
            if let feature = envelope.feature { metadata[AttributionKey.feature] = .string(feature) }
            if let taskType = envelope.taskType { metadata[AttributionKey.taskType] = .string(taskType) }
            return metadata
        }
    }
}
