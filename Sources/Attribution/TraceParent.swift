import WireFormat

/// The W3C Trace Context `traceparent` header: `{version}-{trace-id}-{parent-id}-{trace-flags}`.
///
/// Parsing follows Trace Context level 2: optional whitespace around the value is trimmed; every field is
/// lowercase hex; version `ff` is invalid; version `00` is exactly 55 characters; a later version is parsed by its
/// first 55 characters, and may be longer only when the 56th is `-`. All-zero ids are invalid.
struct TraceParent: Sendable, Hashable {
    /// Length of a version-00 value.
    static let length = 55

    /// The version byte.
    var version: UInt8
    /// The trace id.
    var traceID: TraceID
    /// The caller's span, which the header form reads as the envelope's `leaf_id`.
    var parentID: LeafID
    /// The trace flags (bit 0: sampled).
    var flags: UInt8

    init(version: UInt8 = 0, traceID: TraceID, parentID: LeafID, flags: UInt8 = 1) {
        self.version = version
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
    }

    /// The version-00 wire form.
    var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(Self.length)
        out.append(contentsOf: "00-".utf8)
        traceID.appendHex(to: &out)
        out.append(UInt8(ascii: "-"))
        parentID.appendHex(to: &out)
        out.append(UInt8(ascii: "-"))
        Hex.append(byte: flags, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func malformed(_ text: some Collection<UInt8>, _ why: String) -> AttributionError {
        AttributionError(
            .malformedHeader,
            field: "traceparent",
            reason: "\(why), got \(AttributionError.quote(bytes: text))"
        )
    }

    /// Parses a header value.
    /// - Throws: ``AttributionError/Code/malformedHeader`` when the structure is wrong (length, separators, version,
    ///   flags), ``AttributionError/Code/invalidIdentifier`` naming `trace_id` or `leaf_id` when an id is not
    ///   lowercase hex or is all zero, ``AttributionError/Code/tooLarge`` over
    ///   ``AttributionHeaders/Limits/maxTraceparentBytes``.
    init(parsing text: String) throws(AttributionError) {
        let trimmed = AttributionHeaders.trimmedUTF8(text)
        guard trimmed.count <= AttributionHeaders.Limits.maxTraceparentBytes else {
            throw AttributionError(
                .tooLarge,
                field: "traceparent",
                reason:
                    "at most \(AttributionHeaders.Limits.maxTraceparentBytes) bytes are read, got \(trimmed.count): "
                    + AttributionError.quote(bytes: Array(trimmed.prefix(80)))
            )
        }
        let value = Array(trimmed)[...]
        guard value.count >= Self.length else {
            throw Self.malformed(value, "expected 55 characters 00-{32 hex}-{16 hex}-{2 hex}")
        }
        let s = value.startIndex
        guard let versionHigh = Hex.digitValue(value[s]), let versionLow = Hex.digitValue(value[s + 1])
        else {
            throw Self.malformed(value, "the version must be 2 lowercase hex digits")
        }
        let version = UInt8(versionHigh << 4 | versionLow)
        guard version != 0xFF else {
            throw Self.malformed(value, "version ff is invalid")
        }
        if version == 0 {
            guard value.count == Self.length else {
                throw Self.malformed(value, "a version 00 traceparent is exactly 55 characters")
            }
        } else if value.count > Self.length, value[s + Self.length] != UInt8(ascii: "-") {
            throw Self.malformed(value, "a later version may extend the 55-character prefix only after a '-'")
        }
        let dash = UInt8(ascii: "-")
        guard value[s + 2] == dash, value[s + 35] == dash, value[s + 52] == dash else {
            throw Self.malformed(value, "expected '-' after the version, the trace-id and the parent-id")
        }
        let traceID = try TraceID(utf8: value[(s + 3)..<(s + 35)], field: EnvelopeKey.traceID.name)
        let parentID = try LeafID(utf8: value[(s + 36)..<(s + 52)], field: EnvelopeKey.leafID.name)
        guard let flagsHigh = Hex.digitValue(value[s + 53]), let flagsLow = Hex.digitValue(value[s + 54])
        else {
            throw Self.malformed(value, "the trace flags must be 2 lowercase hex digits")
        }
        self.init(version: version, traceID: traceID, parentID: parentID, flags: UInt8(flagsHigh << 4 | flagsLow))
    }
}
