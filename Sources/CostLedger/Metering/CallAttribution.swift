public import Attribution

/// Which attribution a metered call carries, chosen at the call: a given envelope, the task-local one by name,
/// or explicitly none. A set that may grow.
///
/// There is no default and no fallback: ``envelope(_:)`` with nil means *no envelope*, never "whatever
/// `AttributionEnvelope.current` holds". A worker that fails to decode its job's envelope therefore cannot
/// bill the operator whose context happens to be bound around it: strict mode refuses the call, lenient mode
/// records it unattributed.
///
/// ```swift
/// let job = try? AttributionEnvelope.extract(from: payload)
/// try await meter.callJSON(adapter: .openAIResponses, requestBody: body, attribution: .envelope(job)) { … }
///
/// try await withAttribution(request) {
///     try await meter.callJSON(adapter: .openAIResponses, requestBody: body, attribution: .current) { … }
/// }
/// ```
public struct CallAttribution: Sendable, Hashable, CustomStringConvertible {
    private enum Base: Sendable, Hashable {
        case envelope(AttributionEnvelope?)
        case current
        case unattributed
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// The call carries `envelope`; nil means the call has none (refused in strict mode, recorded
    /// unattributed in lenient mode), whatever `AttributionEnvelope.current` holds.
    public static func envelope(_ envelope: AttributionEnvelope?) -> CallAttribution {
        CallAttribution(.envelope(envelope))
    }

    /// The call carries the task-local `AttributionEnvelope.current` (bound by `withAttribution`), read when
    /// the call starts; none when nothing is bound.
    public static var current: CallAttribution { CallAttribution(.current) }

    /// The call carries no attribution, said explicitly: refused in strict mode, recorded unattributed in
    /// lenient mode.
    public static var unattributed: CallAttribution { CallAttribution(.unattributed) }

    /// The envelope the call carries, reading the task-local one for ``current``.
    public var resolved: AttributionEnvelope? {
        switch base {
        case .envelope(let envelope): return envelope
        case .current: return AttributionEnvelope.current
        case .unattributed: return nil
        }
    }

    /// `envelope(LEAF_ID)`, `envelope(none)`, `current` or `unattributed`.
    public var description: String {
        switch base {
        case .envelope(let envelope?): return "envelope(\(envelope.leafID))"
        case .envelope(nil): return "envelope(none)"
        case .current: return "current"
        case .unattributed: return "unattributed"
        }
    }
}
