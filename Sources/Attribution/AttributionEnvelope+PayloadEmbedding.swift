public import Foundation
import WireFormat

extension AttributionEnvelope {
    /// The limits on a job payload that carries an envelope under `attribution`.
    public enum PayloadLimits {
        /// The key the envelope lives under.
        public static let key = "attribution"
        /// Largest payload read or written, in bytes (16 MiB). Larger input is refused before it is read.
        public static let maxPayloadBytes = 16 * 1024 * 1024
        /// Deepest nesting of the payload, its top-level object counting as one.
        public static let maxPayloadDepth = 256
        /// Largest `attribution` value, in bytes: the envelope's own input limit.
        public static let maxEnvelopeBytes = Limits.maxInputBytes
    }

    /// Sets the `attribution` key of a JSON object held as bytes to this envelope's canonical form, leaving
    /// every other byte of the object as it was.
    ///
    /// An existing `attribution` value is replaced where it stands; otherwise the key is inserted as the
    /// object's first member. The rest of the object (its other keys, their order, their whitespace and
    /// escapes) is copied byte for byte, so a queue's opaque payload keeps its shape.
    ///
    /// ```swift
    /// let payload = try envelope.embed(into: Array(#"{"document_id":42}"#.utf8))
    /// // {"attribution":{"v":1,...},"document_id":42}
    /// ```
    ///
    /// - Parameter jsonObjectBytes: UTF-8 JSON text holding one object, at most
    ///   ``PayloadLimits/maxPayloadBytes``.
    /// - Returns: the object with the envelope embedded.
    /// - Throws: ``AttributionError``: ``AttributionError/Code/tooLarge`` for an oversized payload,
    ///   ``AttributionError/Code/malformedJSON`` or ``AttributionError/Code/invalidType`` when the bytes are not
    ///   one JSON object, ``AttributionError/Code/duplicateKey`` when `attribution` appears twice, or the
    ///   envelope's own validation error.
    public func embed(into jsonObjectBytes: some Collection<UInt8>) throws(AttributionError) -> [UInt8] {
        try embedBytes(jsonObjectBytes)
    }

    private func embedBytes(_ jsonObjectBytes: some Collection<UInt8>) throws(AttributionError) -> [UInt8] {
        try Self.withPayload(jsonObjectBytes) { (buffer) throws(AttributionError) -> [UInt8] in
            let layout = try PayloadLayout.scan(buffer)
            var out: [UInt8] = []
            out.reserveCapacity(buffer.count &+ 1024)
            if let value = layout.attribution {
                out.append(contentsOf: buffer[..<value.lowerBound])
                try writeCanonical(into: &out)
                out.append(contentsOf: buffer[value.upperBound...])
            } else {
                let afterBrace = layout.openingBrace &+ 1
                out.append(contentsOf: buffer[..<afterBrace])
                out.append(contentsOf: Array("\"attribution\":".utf8))
                try writeCanonical(into: &out)
                if !layout.isEmpty { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: buffer[afterBrace...])
            }
            return out
        }
    }

    /// ``embed(into:)-(Collection<UInt8>)`` for a payload held as `Data`.
    /// - Throws: as ``embed(into:)-(Collection<UInt8>)``.
    public func embed(into jsonObject: Data) throws(AttributionError) -> Data {
        Data(try embedBytes(jsonObject))
    }

    /// Reads the envelope under `attribution` in a JSON object held as bytes, with every rule of
    /// ``init(json:)-(Collection<UInt8>)``. The rest of the object is checked to be well-formed JSON but not
    /// otherwise interpreted.
    ///
    /// ```swift
    /// let envelope = try AttributionEnvelope.extract(from: job.payload)
    /// ```
    ///
    /// - Parameter jsonObjectBytes: UTF-8 JSON text holding one object, at most
    ///   ``PayloadLimits/maxPayloadBytes``.
    /// - Returns: the validated envelope.
    /// - Throws: ``AttributionError/Code/missingEnvelope`` when the object has no `attribution` key;
    ///   ``AttributionError/Code/invalidType`` when its value is not an object; the envelope decoder's errors;
    ///   or the payload's size and syntax errors as in ``embed(into:)-(Collection<UInt8>)``.
    public static func extract(
        from jsonObjectBytes: some Collection<UInt8>
    ) throws(AttributionError)
        -> AttributionEnvelope
    {
        try extractBytes(jsonObjectBytes)
    }

    private static func extractBytes(
        _ jsonObjectBytes: some Collection<UInt8>
    ) throws(AttributionError)
        -> AttributionEnvelope
    {
        try withPayload(jsonObjectBytes) { (buffer) throws(AttributionError) -> AttributionEnvelope in
            let layout = try PayloadLayout.scan(buffer)
            guard let value = layout.attribution else {
                throw AttributionError(
                    .missingEnvelope,
                    field: PayloadLimits.key,
                    reason: "no attribution envelope in this payload"
                )
            }
            guard buffer[value.lowerBound] == UInt8(ascii: "{") else {
                var scanner = JSONScanner(buffer, range: value)
                let kind = try scanner.skipValue(depth: 0, maxDepth: 1, field: PayloadLimits.key)
                throw AttributionError(
                    .invalidType,
                    field: PayloadLimits.key,
                    reason: "expected an object, got \(kind == .null ? "null" : kind.name)"
                )
            }
            guard value.count <= PayloadLimits.maxEnvelopeBytes else {
                throw AttributionError(
                    .tooLarge,
                    field: PayloadLimits.key,
                    reason: "an envelope of \(value.count) bytes exceeds the limit of \(Limits.maxInputBytes) bytes"
                )
            }
            return try EnvelopeJSONDecoder.decode(buffer, range: value)
        }
    }

    /// ``extract(from:)-(Collection<UInt8>)`` for a payload held as `Data`.
    /// - Throws: as ``extract(from:)-(Collection<UInt8>)``.
    public static func extract(from jsonObject: Data) throws(AttributionError) -> AttributionEnvelope {
        try extractBytes(jsonObject)
    }

    /// Runs `body` over the payload's bytes, as an array, after the size check.
    private static func withPayload<R>(
        _ bytes: some Collection<UInt8>,
        _ body: ([UInt8]) throws(AttributionError) -> R
    ) throws(AttributionError) -> R {
        let count = bytes.count
        guard count <= PayloadLimits.maxPayloadBytes else {
            throw AttributionError(
                .tooLarge,
                field: nil,
                reason: "a payload of \(count) bytes exceeds the limit of \(PayloadLimits.maxPayloadBytes) bytes"
            )
        }
        return try body(Array(bytes))
    }
}

/// Where the parts of a payload object are: its opening brace, whether it has members, and the byte range of
/// the `attribution` member's value.
struct PayloadLayout {
    var openingBrace: Int
    var isEmpty: Bool
    var attribution: Range<Int>?

    /// Scans a whole payload, checking it is one well-formed JSON object within the payload limits.
    static func scan(_ buffer: [UInt8]) throws(AttributionError) -> PayloadLayout {
        var scanner = JSONScanner(buffer)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else {
            if scanner.isAtEnd { throw scanner.failure("expected a JSON object, got no input", field: nil) }
            let kind = try scanner.skipValue(
                depth: 0,
                maxDepth: AttributionEnvelope.PayloadLimits.maxPayloadDepth,
                field: nil
            )
            throw AttributionError(
                .invalidType,
                field: nil,
                reason: "the payload must be a JSON object, got \(kind.name)"
            )
        }
        var layout = PayloadLayout(openingBrace: scanner.index, isEmpty: true, attribution: nil)
        scanner.index += 1
        if !scanner.consume(UInt8(ascii: "}")) {
            layout.isEmpty = false
            while true {
                scanner.skipWhitespace()
                guard scanner.peek == 0x22 else { throw scanner.failure("expected a string key", field: nil) }
                let token = try scanner.readString(field: nil)
                let isAttribution = scanner.equals(token, "attribution")
                let key = isAttribution ? AttributionEnvelope.PayloadLimits.key : nil
                try scanner.expect(UInt8(ascii: ":"), "':' after a key", field: key)
                scanner.skipWhitespace()
                let start = scanner.index
                try scanner.skipValue(depth: 1, maxDepth: AttributionEnvelope.PayloadLimits.maxPayloadDepth, field: key)
                if isAttribution {
                    if layout.attribution != nil {
                        throw AttributionError(.duplicateKey, field: key, reason: "the key appears more than once")
                    }
                    layout.attribution = start..<scanner.index
                }
                if scanner.consume(UInt8(ascii: ",")) { continue }
                if scanner.consume(UInt8(ascii: "}")) { break }
                throw scanner.failure("expected ',' or '}' in an object", field: nil)
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.failure("unexpected text after the JSON object", field: nil) }
        return layout
    }
}
