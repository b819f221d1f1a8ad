/// The header form of the attribution envelope: W3C `traceparent` and `baggage`, for HTTP hops, message attributes
/// and OpenTelemetry interop.
///
/// - `traceparent: 00-{trace_id}-{leaf_id}-01` carries the trace and this unit's leaf id, and nothing else does.
/// - `baggage` carries every other envelope key except `v`, under the same names (`user_id`, `feature`, `team`,
///   `project`, `task_type`, `tool`, `prompt_version`, `pipeline`, `priority`, `agent`, `root_id`, `parent_id`,
///   `attempt`, `created_at`), and `tag.{key}` for each tag, values percent-encoded (a space is `%20`, a `+` is
///   `%2B`).
///
/// Members of other systems are not part of the envelope: they are read into ``foreignBaggage``, in order and as
/// their original text, and written again after the envelope's members, so passing the same headers on keeps them.
///
/// Which envelope goes in (docs/formats.md): on an HTTP hop the caller sends its own and the callee starts its unit
/// with a child of it; on a queue the producer sends the job's own envelope (a child minted at enqueue), and every
/// delivery, retries included, uses it as it is.
///
/// ```swift
/// // A callee: read the caller's envelope, start this unit as its child, and pass both on downstream.
/// var headers = try AttributionHeaders(headers: request.headerFields)
/// headers.envelope = headers.envelope.child(tool: "search")
/// for (name, value) in try headers.headerFields() { downstream.add(name: name, value: value) }
/// ```
///
/// Reading accepts what any W3C-conformant writer sends (OpenTelemetry's propagators included): whitespace around
/// members, keys, values and properties; header names in any case; several `baggage` lines (joined with commas);
/// a `traceparent` of a later version, read by its prefix. An absent `root_id` with no `parent_id` means a root
/// (`root_id` = `leaf_id`); a `parent_id` without `root_id` is refused; an absent `attempt` means 1. Properties on
/// the envelope's own members are opaque to this library and are ignored. Values are validated exactly as the
/// JSON form validates them, errors naming the baggage key.
///
/// When a tracer owns `traceparent` (its span id is the parent-id there), the envelope's own `leaf_id` travels in
/// baggage as `leaf_id` (``baggage(carryingLeafID:)`` writes it) and a reader prefers it to the traceparent's
/// parent-id; `trace_id` stays shared with the tracer, so cost records join the traces. A `trace_id` in baggage is
/// refused.
///
/// The header form carries no ``AttributionEnvelope/unknownFields``: those are JSON texts of keys this version does
/// not know, and baggage values are strings, so they are not written and an envelope read from headers has none.
/// Use the JSON form where they must survive.
public struct AttributionHeaders: Sendable, Hashable {
    /// The limits of the header form, as named constants.
    public enum Limits {
        /// The most baggage members written, the envelope's and other systems' together (the W3C minimum).
        public static let maxBaggageMembers = 64
        /// The largest `baggage` value written or read, in bytes (the W3C minimum), spaces and tabs around it (or
        /// around each of its lines) not counted. A longer one is refused before it is parsed.
        public static let maxBaggageBytes = 8192
        /// The longest `traceparent` value read, in bytes, spaces and tabs around it not counted. Version 00 is 55;
        /// the bound leaves a later version room to extend it while refusing a hostile value before it is copied.
        public static let maxTraceparentBytes = 512
    }

    /// The `traceparent` header's name, lowercase as the W3C spec recommends writing it.
    public static let traceparentName = "traceparent"
    /// The `baggage` header's name, lowercase as the W3C spec recommends writing it.
    public static let baggageName = "baggage"

    /// The envelope the headers carry.
    public var envelope: AttributionEnvelope
    /// The baggage members of other systems, in the order they arrived, written after the envelope's members.
    public var foreignBaggage: [BaggageMember]

    /// Pairs an envelope with the baggage of other systems to pass on beside it.
    ///
    /// Nothing is checked here; ``baggage()`` validates when it writes.
    public init(envelope: AttributionEnvelope, foreignBaggage: [BaggageMember] = []) {
        self.envelope = envelope
        self.foreignBaggage = foreignBaggage
    }

    /// Reads the envelope from the values of a `traceparent` and an optional `baggage` header.
    ///
    /// - Parameters:
    ///   - traceparent: the `traceparent` value.
    ///   - baggage: the `baggage` value, nil when there was none; several header lines joined with commas.
    /// - Throws: ``AttributionError`` with code ``AttributionError/Code/malformedHeader`` when a header breaks
    ///   the W3C grammar, ``AttributionError/Code/invalidIdentifier`` for a bad id,
    ///   ``AttributionError/Code/invalidValue`` or ``AttributionError/Code/tooLarge`` for a bad value,
    ///   ``AttributionError/Code/tooLarge`` for a `baggage` value over ``Limits/maxBaggageBytes`` or a
    ///   `traceparent` over ``Limits/maxTraceparentBytes``,
    ///   ``AttributionError/Code/duplicateKey`` when an envelope key appears twice, and
    ///   ``AttributionError/Code/invalidLineage`` when the lineage ids contradict each other. The error names the
    ///   header or baggage key and the offending value.
    public init(traceparent: String, baggage: String?) throws(AttributionError) {
        var bytes: ArraySlice<UInt8>?
        if let baggage {
            let line = Self.trimmedUTF8(baggage)
            guard line.count <= Limits.maxBaggageBytes else { throw Self.baggageTooLarge(line.count) }
            bytes = Array(line)[...]
        }
        try self.init(traceparent: traceparent, baggageBytes: bytes)
    }

    /// Reads the envelope from a list of header fields; names are matched case-insensitively and other headers are
    /// ignored.
    ///
    /// Exactly one `traceparent` is required. `baggage` may come in several lines, which are combined as the W3C
    /// spec says (joined with commas; a line holding only whitespace adds nothing); the combined value may be at
    /// most ``Limits/maxBaggageBytes`` bytes.
    ///
    /// - Parameter headers: the header fields, in the order they arrived.
    /// - Throws: ``AttributionError/Code/missingEnvelope`` when there is no `traceparent`,
    ///   ``AttributionError/Code/malformedHeader`` when there are several, and otherwise as
    ///   ``init(traceparent:baggage:)``.
    public init(headers: some Sequence<(name: String, value: String)>) throws(AttributionError) {
        // The first traceparent and how many there were: memory stays bounded however many lines come.
        var traceparent: String?
        var traceparentCount = 0
        var baggage: [UInt8] = []
        var sawBaggage = false
        for (name, value) in headers {
            if Self.nameMatches(name, Self.traceparentName) {
                if traceparent == nil { traceparent = value }
                traceparentCount += 1
            } else if Self.nameMatches(name, Self.baggageName) {
                sawBaggage = true
                // Measured before it is copied: an oversized line is refused without being read.
                let line = Self.trimmedUTF8(value)
                if line.isEmpty { continue }
                let combined = baggage.count + (baggage.isEmpty ? 0 : 1) + line.count
                guard combined <= Limits.maxBaggageBytes else { throw Self.baggageTooLarge(combined) }
                if !baggage.isEmpty { baggage.append(UInt8(ascii: ",")) }
                baggage.append(contentsOf: line)
            }
        }
        guard let traceparent else {
            throw AttributionError(.missingEnvelope, field: "traceparent", reason: "no traceparent header")
        }
        guard traceparentCount == 1 else {
            throw AttributionError(
                .malformedHeader,
                field: "traceparent",
                reason: "\(traceparentCount) traceparent headers; W3C Trace Context allows exactly one"
            )
        }
        try self.init(traceparent: traceparent, baggageBytes: sawBaggage ? baggage[...] : nil)
    }

    /// The `traceparent` value: `00-{trace_id}-{leaf_id}-01`.
    public var traceparent: String {
        TraceParent(traceID: envelope.traceID, parentID: envelope.leafID).description
    }

    /// The `baggage` value: the envelope's members, then ``foreignBaggage``.
    ///
    /// The envelope's members come in a fixed order: the attribution fields in canonical order, `root_id` (always,
    /// so a reader behind a hop that rewrites `traceparent` still finds the root), `parent_id`, `attempt` (always),
    /// `created_at` (UTC, milliseconds), then `tag.{key}` sorted bytewise by key. No whitespace is written.
    ///
    /// - Returns: at most ``Limits/maxBaggageMembers`` members in at most ``Limits/maxBaggageBytes`` bytes.
    /// - Throws: a validation error when the envelope is invalid, ``AttributionError/Code/tooLarge`` when the
    ///   result would break a limit (never a truncation), ``AttributionError/Code/duplicateKey`` when a foreign
    ///   member uses a key the envelope writes, ``AttributionError/Code/malformedHeader`` when it uses `trace_id` or
    ///   `leaf_id`.
    public func baggage() throws(AttributionError) -> String {
        try baggage(carryingLeafID: false)
    }

    /// The `baggage` value, with the envelope's `leaf_id` as its first member when `carryingLeafID`: the form for
    /// a hop whose `traceparent` a tracer writes, its span id in place of the leaf id (docs/formats.md). A reader
    /// prefers a `leaf_id` in baggage to the traceparent's parent-id.
    ///
    /// - Parameter carryingLeafID: whether `leaf_id` is written, first.
    /// - Returns: as ``baggage()``, one member more when `carryingLeafID`.
    /// - Throws: as ``baggage()``.
    public func baggage(carryingLeafID: Bool) throws(AttributionError) -> String {
        try envelope.validate()
        var members: [(key: String, value: String)] = []
        members.reserveCapacity(15 + envelope.tags.count)
        if carryingLeafID { members.append((EnvelopeKey.leafID.name, envelope.leafID.description)) }
        for field in AttributionField.all {
            if let value = envelope[field] { members.append((field.name, value)) }
        }
        members.append((EnvelopeKey.rootID.name, envelope.rootID.description))
        if let parentID = envelope.parentID { members.append((EnvelopeKey.parentID.name, parentID.description)) }
        members.append((EnvelopeKey.attempt.name, String(envelope.attempt)))
        if let createdAt = envelope.createdAt { members.append((EnvelopeKey.createdAt.name, createdAt.description)) }
        let tags = envelope.tags.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for (key, value) in tags { members.append((EnvelopeKey.tagPrefix + key, value)) }

        for member in foreignBaggage {
            if EnvelopeKey.isTraceparentKey(member.key) {
                throw AttributionError(
                    .malformedHeader,
                    field: member.key,
                    reason: "travels in traceparent, not as a baggage member: \(AttributionError.quote(member.text))"
                )
            }
            if EnvelopeKey.isBaggageKey(member.key) {
                throw AttributionError(
                    .duplicateKey,
                    field: member.key,
                    reason: "a foreign baggage member uses a key the envelope writes: "
                        + AttributionError.quote(member.text)
                )
            }
        }
        let count = members.count + foreignBaggage.count
        guard count <= Limits.maxBaggageMembers else {
            throw AttributionError(
                .tooLarge,
                field: "baggage",
                reason: "at most \(Limits.maxBaggageMembers) members, got \(count) "
                    + "(\(members.count) of the envelope, \(foreignBaggage.count) of other systems)"
            )
        }

        var out: [UInt8] = []
        out.reserveCapacity(512)
        for (key, value) in members {
            if !out.isEmpty { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: key.utf8)
            out.append(UInt8(ascii: "="))
            PercentEncoding.encode(value, into: &out)
        }
        for member in foreignBaggage {
            if !out.isEmpty { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: member.text.utf8)
        }
        guard out.count <= Limits.maxBaggageBytes else {
            throw AttributionError(
                .tooLarge,
                field: "baggage",
                reason: "at most \(Limits.maxBaggageBytes) bytes, got \(out.count)"
            )
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Both header fields, `traceparent` first, names lowercase.
    /// - Throws: as ``baggage()``.
    public func headerFields() throws(AttributionError) -> [(name: String, value: String)] {
        [(Self.traceparentName, traceparent), (Self.baggageName, try baggage())]
    }
}

extension AttributionHeaders {
    /// Reads from header values already separated by name.
    init(traceparent: String, baggageBytes: ArraySlice<UInt8>?) throws(AttributionError) {
        let parent = try TraceParent(parsing: traceparent)
        var envelope = AttributionEnvelope(traceID: parent.traceID, leafID: parent.parentID)
        var foreign: [BaggageMember] = []
        if let baggageBytes {
            guard baggageBytes.count <= Limits.maxBaggageBytes else {
                throw Self.baggageTooLarge(baggageBytes.count)
            }
            var rootID: LeafID?
            var seen: Set<String> = []
            for member in try BaggageGrammar.parse(baggageBytes) {
                // A tracer that owns `traceparent` leaves the unit's own leaf id here; it wins over the parent-id.
                if member.key == EnvelopeKey.leafID.name {
                    guard seen.insert(member.key).inserted else {
                        throw AttributionError(
                            .duplicateKey,
                            field: member.key,
                            reason: "appears more than once in baggage: \(AttributionError.quote(member.text))"
                        )
                    }
                    let value = try Self.decodedValue(of: member)
                    envelope.leafID = try LeafID(utf8: Array(value.utf8), field: member.key)
                    continue
                }
                if EnvelopeKey.isTraceparentKey(member.key) {
                    throw AttributionError(
                        .malformedHeader,
                        field: member.key,
                        reason: "travels in traceparent, not in baggage: \(AttributionError.quote(member.text))"
                    )
                }
                guard EnvelopeKey.isBaggageKey(member.key) else {
                    foreign.append(member)
                    continue
                }
                guard seen.insert(member.key).inserted else {
                    throw AttributionError(
                        .duplicateKey,
                        field: member.key,
                        reason: "appears more than once in baggage: \(AttributionError.quote(member.text))"
                    )
                }
                let value = try Self.decodedValue(of: member)
                try Self.apply(key: member.key, value: value, to: &envelope, rootID: &rootID)
            }
            if envelope.parentID != nil {
                guard let rootID else {
                    throw AttributionError(
                        .invalidLineage,
                        field: EnvelopeKey.rootID.name,
                        reason: "baggage has parent_id \(envelope.parentID.map(\.description) ?? "") but no root_id"
                    )
                }
                envelope.rootID = rootID
            } else {
                envelope.rootID = rootID ?? envelope.leafID
            }
        }
        try envelope.validate()
        self.init(envelope: envelope, foreignBaggage: foreign)
    }

    /// The UTF-8 of `value` without the spaces and tabs at either end, not copied.
    static func trimmedUTF8(_ value: String) -> Substring.UTF8View {
        let utf8 = value.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, BaggageGrammar.isOWS(utf8[start]) { utf8.formIndex(after: &start) }
        while end > start, BaggageGrammar.isOWS(utf8[utf8.index(before: end)]) { utf8.formIndex(before: &end) }
        return value[start..<end].utf8
    }

    static func baggageTooLarge(_ count: Int) -> AttributionError {
        AttributionError(
            .tooLarge,
            field: "baggage",
            reason: "at most \(Limits.maxBaggageBytes) bytes are read, got \(count)"
        )
    }

    /// ASCII case-insensitive equality with a lowercase name.
    static func nameMatches(_ name: String, _ lowercase: String) -> Bool {
        let a = name.utf8
        let b = lowercase.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            (x >= UInt8(ascii: "A") && x <= UInt8(ascii: "Z") ? x | 0x20 : x) == y
        }
    }

    /// The strictly percent-decoded value of one of the envelope's members.
    static func decodedValue(of member: BaggageMember) throws(AttributionError) -> String {
        switch PercentEncoding.decode(Array(member.encodedValue.utf8)[...]) {
        case .success(let value):
            return value
        case .failure(.badEscape(let offset)):
            throw AttributionError(
                .malformedHeader,
                field: member.key,
                reason: "a '%' must start a %XX escape (offset \(offset)), got "
                    + AttributionError.quote(member.encodedValue)
            )
        case .failure(.notUTF8):
            throw AttributionError(
                .invalidValue,
                field: member.key,
                reason: "the percent-decoded value is not UTF-8: \(AttributionError.quote(member.encodedValue))"
            )
        }
    }

    /// Sets the envelope field a baggage key names, validating the value as the JSON form does.
    static func apply(
        key: String,
        value: String,
        to envelope: inout AttributionEnvelope,
        rootID: inout LeafID?
    ) throws(AttributionError) {
        if let field = AttributionField(name: key) {
            try AttributionEnvelope.validateValue(value, field: key)
            envelope[field] = value
            return
        }
        switch EnvelopeKey(name: key) {
        case .rootID:
            rootID = try LeafID(utf8: Array(value.utf8), field: key)
        case .parentID:
            envelope.parentID = try LeafID(utf8: Array(value.utf8), field: key)
        case .attempt:
            envelope.attempt = try parseAttempt(value)
        case .createdAt:  // As the JSON form reads it: kept to the millisecond the wire carries, years 0000 to 9999.
            let ms = try UTCTimestamp(utf8: Array(value.utf8), field: key).millisecondsSinceEpoch
            guard AttributionEnvelope.createdAtRange.contains(ms) else {
                throw AttributionError(
                    .invalidValue,
                    field: key,
                    reason: "must fall in the years 0000 to 9999 UTC, got \(AttributionError.quote(value))"
                )
            }
            envelope.createdAt = UTCTimestamp(millisecondsSinceEpoch: ms)
        default:
            // Only `tag.{key}` remains: isBaggageKey admitted nothing else.
            let tagKey = String(key.dropFirst(EnvelopeKey.tagPrefix.utf8.count))
            do {
                try AttributionEnvelope.validateTagKey(tagKey)
            } catch {
                throw AttributionError(error.code, field: key, reason: error.reason)
            }
            try AttributionEnvelope.validateValue(value, field: key)
            envelope.tags[tagKey] = value
        }
    }

    /// Parses `attempt`: a decimal integer in minimal form, from 1 to 2³¹−1.
    static func parseAttempt(_ text: String) throws(AttributionError) -> Int {
        let bytes = Array(text.utf8)
        let digitsOnly = bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let minimal = bytes.count == 1 || bytes.first != UInt8(ascii: "0")
        // Ten digits hold every allowed value; longer text cannot be in range and is not converted at all.
        if digitsOnly, minimal, !bytes.isEmpty, bytes.count <= 10 {
            var value = 0
            for byte in bytes { value = value &* 10 &+ Int(byte &- UInt8(ascii: "0")) }
            if (1...AttributionEnvelope.Limits.maxAttempt).contains(value) { return value }
        }
        throw AttributionError(
            .invalidValue,
            field: EnvelopeKey.attempt.name,
            reason:
                "must be an integer from 1 to \(AttributionEnvelope.Limits.maxAttempt) in minimal decimal form, got "
                + AttributionError.quote(text)
        )
    }
}

extension AttributionEnvelope {
    /// Reads an envelope from header fields (`traceparent` and `baggage`, names in any case).
    ///
    /// Baggage members of other systems are dropped; read ``AttributionHeaders`` instead to pass them on.
    /// - Throws: as ``AttributionHeaders/init(headers:)``.
    public init(headers: some Sequence<(name: String, value: String)>) throws(AttributionError) {
        self = try AttributionHeaders(headers: headers).envelope
    }

    /// Reads an envelope from the values of a `traceparent` and an optional `baggage` header.
    /// - Throws: as ``AttributionHeaders/init(traceparent:baggage:)``.
    public init(traceparent: String, baggage: String?) throws(AttributionError) {
        self = try AttributionHeaders(traceparent: traceparent, baggage: baggage).envelope
    }

    /// This envelope's header form: `traceparent`, then `baggage`.
    ///
    /// ``unknownFields`` are not written: the header form carries none (see ``AttributionHeaders``).
    /// - Throws: as ``AttributionHeaders/baggage()``.
    public func headerFields() throws(AttributionError) -> [(name: String, value: String)] {
        try AttributionHeaders(envelope: self).headerFields()
    }
}
