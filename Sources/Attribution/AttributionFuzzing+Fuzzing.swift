// The entry points of the fuzz targets (Fuzz/, a nested package that sees only products) and of the tests that
// replay their corpus and regressions (FuzzRegressionTests). Each takes arbitrary bytes, runs one decoder and
// checks the properties that must hold for every input; none is public API (`@_spi(Fuzzing)`).

/// What one fuzz input did to a decoder.
@_spi(Fuzzing) public enum FuzzVerdict: Sendable, Hashable {
    /// Decoded, and every property held.
    case accepted
    /// Refused with an error (the input is invalid); nothing else is checked.
    case rejected
    /// A property failed: what, and with which values. A fuzz target traps on this.
    case broken(String)
}

/// The envelope's decoders under fuzzing: its JSON form, its header form and its payload embedding.
@_spi(Fuzzing) public enum AttributionFuzzing {
    /// The JSON form: the public decoder, the canonical fast path and the general decoder agree (the fast path
    /// accepts only what the general decoder reads to the same value); a decoded envelope validates, encodes to
    /// its canonical form, which decodes to the same envelope (also on the fast path, when it has no unknown
    /// fields) and encodes to the same bytes again.
    public static func envelopeJSON(_ bytes: [UInt8]) -> FuzzVerdict {
        let general = Result { () throws(AttributionError) in try AttributionEnvelope.generalDecode(json: bytes) }
        let decoded = Result { () throws(AttributionError) in try AttributionEnvelope(json: bytes) }
        if let fast = AttributionEnvelope.fastDecode(json: bytes) {
            guard case .success(let slow) = general, slow == fast else {
                return .broken("the fast path read \(fast), the general decoder \(general)")
            }
        }
        switch (decoded, general) {
        case (.success(let a), .success(let b)) where a == b: break
        case (.failure(let a), .failure(let b)) where a == b: return .rejected
        default: return .broken("the decoder gave \(decoded), the general decoder \(general)")
        }
        guard case .success(let envelope) = decoded else { return .rejected }
        return canonicalRoundTrip(envelope, from: "the JSON form")
    }

    /// The header form: fields are read from `name: value` lines (split at the first colon). Decoded headers
    /// write their fields again, with the foreign baggage and without, unless what is written would exceed the
    /// documented limits (64 members, 8192 bytes: `tooLarge`); what is written reads back to the same envelope
    /// and foreign baggage and is written the same again; the envelope also has a canonical JSON form that reads
    /// back to it.
    public static func headers(_ bytes: [UInt8]) -> FuzzVerdict {
        let headers: AttributionHeaders
        do {
            headers = try AttributionHeaders(headers: headerLines(bytes))
        } catch {
            return .rejected
        }
        for passed in [headers, AttributionHeaders(envelope: headers.envelope)] {
            if case .broken(let why) = headerRoundTrip(passed) { return .broken(why) }
        }
        return canonicalRoundTrip(headers.envelope, from: "the header form")
    }

    /// Headers write, read back the same and write the same again, or are refused as too large to write.
    static func headerRoundTrip(_ headers: AttributionHeaders) -> FuzzVerdict {
        let written: [(name: String, value: String)]
        do {
            written = try headers.headerFields()
        } catch {
            if error.code == .tooLarge { return .rejected }
            return .broken("read \(headers) from headers but cannot write them again: \(error)")
        }
        let again: AttributionHeaders
        do {
            again = try AttributionHeaders(headers: written)
        } catch {
            return .broken("cannot read back the written headers \(written): \(error)")
        }
        guard again.envelope == headers.envelope, again.foreignBaggage == headers.foreignBaggage else {
            return .broken("headers \(written) read back as \(again), not \(headers)")
        }
        guard let rewritten = try? again.headerFields(), rewritten.elementsEqual(written, by: ==) else {
            return .broken("headers \(written) are not written the same way twice")
        }
        return .accepted
    }

    /// Payload embedding: an extracted envelope embeds back into the payload, which then extracts to it and
    /// embeds to the same bytes; a fixed envelope embedded into any payload that takes it extracts back, and
    /// embedding it twice changes nothing.
    public static func payload(_ bytes: [UInt8]) -> FuzzVerdict {
        var accepted = false
        if let envelope = try? AttributionEnvelope.extract(from: bytes) {
            accepted = true
            if case .broken(let why) = canonicalRoundTrip(envelope, from: "the payload") { return .broken(why) }
            do {
                let embedded = try envelope.embed(into: bytes)
                let extracted = try AttributionEnvelope.extract(from: embedded)
                guard extracted == envelope else {
                    return .broken("re-embedded payload extracts as \(extracted), not \(envelope)")
                }
                guard try envelope.embed(into: embedded) == embedded else {
                    return .broken("embedding the extracted envelope again changes the payload")
                }
            } catch {
                return .broken("extracted \(envelope) but cannot embed it back: \(error)")
            }
        }
        if let embedded = try? fixedEnvelope.embed(into: bytes) {
            accepted = true
            do {
                let extracted = try AttributionEnvelope.extract(from: embedded)
                guard extracted == fixedEnvelope else {
                    return .broken("embedded \(fixedEnvelope), extracted \(extracted)")
                }
                guard try fixedEnvelope.embed(into: embedded) == embedded else {
                    return .broken("embedding twice is not embedding once")
                }
            } catch {
                return .broken("embedded payload does not read back: \(error)")
            }
        }
        return accepted ? .accepted : .rejected
    }

    /// An envelope with every kind of field, embedded by ``payload(_:)``.
    static let fixedEnvelope: AttributionEnvelope = {
        var envelope = AttributionEnvelope(
            traceID: TraceID(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736)!,
            leafID: LeafID(rawValue: 0x00f0_67aa_0ba9_02b7)!
        )
        envelope.userID = "u_42"
        envelope.feature = "fuzz"
        envelope.tags = ["env": "test"]
        return envelope
    }()

    /// Splits `name: value` lines (a line without a colon is a name with an empty value).
    static func headerLines(_ bytes: [UInt8]) -> [(name: String, value: String)] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                return (String(decoding: line, as: UTF8.self), "")
            }
            return (
                String(decoding: line[..<colon], as: UTF8.self),
                String(decoding: line[(colon + 1)...], as: UTF8.self)
            )
        }
    }

    /// A decoded envelope validates, and its canonical form reads back to it and is written the same again.
    static func canonicalRoundTrip(_ envelope: AttributionEnvelope, from form: String) -> FuzzVerdict {
        do {
            try envelope.validate()
        } catch {
            return .broken("\(form) decoded \(envelope), which does not validate: \(error)")
        }
        let canonical: [UInt8]
        do {
            canonical = try envelope.canonicalJSON()
        } catch {
            return .broken("\(form) decoded \(envelope), which has no canonical form: \(error)")
        }
        guard let again = try? AttributionEnvelope(json: canonical), again == envelope else {
            return .broken("the canonical form \(String(decoding: canonical, as: UTF8.self)) does not read back")
        }
        guard (try? again.canonicalJSON()) == canonical else {
            return .broken("the canonical form is not stable: \(String(decoding: canonical, as: UTF8.self))")
        }
        // The fast path reads the canonical form that has no unknown fields and no escaped character (longer
        // input is left to the general decoder's size check).
        if envelope.unknownFields.isEmpty, !canonical.contains(UInt8(ascii: "\\")),
            canonical.count <= AttributionEnvelope.Limits.maxCanonicalBytes - 8,
            AttributionEnvelope.fastDecode(json: canonical) != envelope
        {
            return .broken(
                "the fast path declines its own canonical form \(String(decoding: canonical, as: UTF8.self))"
            )
        }
        return .accepted
    }
}
