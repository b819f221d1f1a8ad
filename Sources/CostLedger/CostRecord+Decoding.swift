import Attribution

// Reading ledger lines: the scanner fast path and the strict reference path (see CostRecord+JSON.swift).

/// What one ledger line holds, as a reader counts it (docs/ledger.md).
package enum CostRecordLineOutcome: Sendable {
    /// A valid record.
    case record(CostRecord)
    /// Not one complete JSON object (a torn last line, say): counted in `skipped_lines`.
    case malformed(CostLedgerError)
    /// A complete object that breaks the table: counted in `invalid_records`, with the field named.
    case invalid(CostLedgerError)
    /// A record of a kind this version does not read: skipped and counted.
    case otherKind(String)
}

extension CostRecord {
    /// ``decodeStrict(_:location:)`` on a line's bytes, its newline already trimmed.
    static func decodeStrictBody(_ body: some Collection<UInt8>, location: String?) -> CostRecordLineOutcome {
        let suffix = LineEncoding.suffix(location)
        let value: JSONValue
        do {
            value = try JSONParser.parse(
                body,
                limits: JSONParser.Limits(
                    maxBytes: LineLimits.maxLineBytes,
                    maxDepth: LineLimits.maxDepth + 1,
                    rejectDuplicateKeys: true
                )
            )
        } catch {
            if error.code == .duplicateKey {
                return .invalid(CostLedgerError(.invalidRecord, field: error.field, reason: error.reason + suffix))
            }
            return .malformed(
                CostLedgerError(
                    .invalidRecord,
                    field: error.field,
                    reason: "not one complete JSON object: \(error.reason)" + suffix
                )
            )
        }
        guard case .object(let object) = value else {
            return .malformed(
                CostLedgerError(.invalidRecord, reason: "expected one JSON object, got \(value.typeName)" + suffix)
            )
        }
        do {
            return try StrictDecoder(object: object, suffix: suffix, location: location).decode()
        } catch {
            return .invalid(error)
        }
    }
}

/// The strict path's field readers.
private struct StrictDecoder {
    let object: JSONObject
    let suffix: String
    let location: String?

    func fail(_ field: String, _ reason: String) -> CostLedgerError {
        CostLedgerError(.invalidRecord, field: field, reason: reason + suffix)
    }

    func fail(_ key: LedgerKey, _ reason: String) -> CostLedgerError { fail(key.name, reason) }

    /// The member named `key`, if present.
    func member(_ key: LedgerKey) -> JSONValue? { object[key.name] }

    func string(_ key: LedgerKey) throws(CostLedgerError) -> String? {
        guard let value = member(key) else { return nil }
        guard case .string(let text) = value else { throw fail(key, "expected a string, got \(value.typeName)") }
        return text
    }

    func integer(_ key: LedgerKey) throws(CostLedgerError) -> Int64? {
        guard let value = member(key) else { return nil }
        guard case .number(let text) = value else { throw fail(key, "expected an integer, got \(value.typeName)") }
        guard let int = JSONValue.integer(fromLiteral: text) else {
            if Self.isIntegerLiteral(text) {
                throw fail(key, "out of range: expected an integer that fits in 64 bits, got \(Self.excerpt(text))")
            }
            throw fail(key, "expected an integer, got the non-integer \(Self.excerpt(text))")
        }
        return Int64(int)
    }

    /// Whether a JSON number's text is an integer (`-`, then digits only), however long.
    static func isIntegerLiteral(_ text: String) -> Bool {
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        return !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// A number's text for an error: whole when short, else its first 20 characters, `…` and its length, so
    /// a 60,000-digit value gives a one-line message.
    static func excerpt(_ text: String) -> String {
        let count = text.utf8.count
        guard count > 24 else { return text }
        return String(decoding: text.utf8.prefix(20), as: UTF8.self) + "… (\(count) characters)"
    }

    func count(_ key: LedgerKey, required: Bool) throws(CostLedgerError) -> Int64 {
        guard let value = try integer(key) else {
            if required { throw fail(key, "required for a call record") }
            return 0
        }
        if value < 0 { throw fail(key, "must be ≥ 0, got \(value)") }
        return value
    }

    func timestamp(_ key: LedgerKey) throws(CostLedgerError) -> UTCTimestamp? {
        guard let text = try string(key) else { return nil }
        let parsed: UTCTimestamp
        do {
            parsed = try UTCTimestamp(rfc3339: text, field: key.name)
        } catch {
            throw fail(key, error.reason)
        }
        return parsed.ledgerMillisecond
    }

    func readLeafID(_ key: LedgerKey) throws(CostLedgerError) -> LeafID? {
        guard let text = try string(key) else { return nil }
        do {
            return try LeafID(utf8: Array(text.utf8), field: key.name)
        } catch {
            throw fail(key, error.reason)
        }
    }

    func decode() throws(CostLedgerError) -> CostRecordLineOutcome {
        guard let version = member(.v) else { throw fail(.v, "required") }
        guard case .number(let versionText) = version else {
            throw fail(.v, "expected an integer, got \(version.typeName)")
        }
        guard let v = JSONValue.integer(fromLiteral: versionText) else {
            if Self.isIntegerLiteral(versionText) {
                throw fail(
                    .v,
                    "version \(Self.excerpt(versionText)) is out of range (this reader reads 1)"
                )
            }
            throw fail(.v, "expected an integer, got the non-integer \(Self.excerpt(versionText))")
        }
        guard v == CostRecord.LineLimits.version else {
            throw fail(.v, "version \(v) is not one this reader reads (it reads 1)")
        }
        var kind = CostRecord.Kind.call
        if let name = try string(.kind) {
            guard let known = CostRecord.Kind(name: name) else { return .otherKind(name) }
            kind = known
        }
        guard let recordID = try string(.recordID) else { throw fail(.recordID, "required") }
        guard let ts = try timestamp(.ts) else { throw fail(.ts, "required") }
        let startedAt = try timestamp(.startedAt)
        let provider = try string(.provider)
        let model = try string(.model)
        let apiKeyID = try string(.apiKeyID)
        let serviceTier = try string(.serviceTier)
        let isCall = kind == .call
        if isCall, provider == nil { throw fail(.provider, "required for a call record") }
        if isCall, model == nil { throw fail(.model, "required for a call record") }
        let usage = TokenUsage(
            input: try count(.inputTokens, required: isCall),
            output: try count(.outputTokens, required: isCall),
            cachedInput: try count(.cachedInputTokens, required: false),
            cacheWrite: try count(.cacheWriteTokens, required: false),
            cacheWrite1h: try count(.cacheWrite1hTokens, required: false),
            reasoning: try count(.reasoningTokens, required: false)
        )
        var cost: Money?
        if let value = member(.costUSD) {
            guard case .number(let text) = value else {
                throw fail(.costUSD, "expected a number, got \(value.typeName)")
            }
            guard let money = Money.parse(decimal: text, shift: 0) else {
                throw fail(.costUSD, "expected an exact decimal of at most 18 places that fits, got \(text)")
            }
            // Spend is never negative (docs/ledger.md): such a record is invalid, never a refund.
            if money.attodollars < 0 { throw fail(.costUSD, "must be ≥ 0, got \(text)") }
            cost = money
        }
        let priceSource = try string(.priceSource)
        var status = CostRecord.Status.ok
        if let name = try string(.status) {
            guard let known = CostRecord.Status(name: name) else {
                throw fail(.status, "expected \"ok\" or \"error\", got \(AttributionError.quote(name))")
            }
            status = known
        }
        var traceID: TraceID?
        if let text = try string(.traceID) {
            do {
                traceID = try TraceID(utf8: Array(text.utf8), field: LedgerKey.traceID.name)
            } catch {
                throw fail(.traceID, error.reason)
            }
        }
        let leafID = try readLeafID(.leafID)
        let parentID = try readLeafID(.parentID)
        let rootID = try readLeafID(.rootID)
        var attempt: Int?
        if let value = try integer(.attempt) {
            guard value >= 1, value <= Int64(Int32.max) else {
                throw fail(.attempt, "must be an integer from 1 to \(Int32.max), got \(value)")
            }
            attempt = Int(value)
        }
        var attribution: [AttributionField: String] = [:]
        for field in AttributionField.all {
            if let value = try string(LedgerKey(field)) { attribution[field] = value }
        }
        var tags: [String: String] = [:]
        if let value = member(.tags) {
            guard case .object(let tagObject) = value else {
                throw fail(.tags, "expected an object, got \(value.typeName)")
            }
            for member in tagObject.members {
                guard case .string(let text) = member.value else {
                    throw fail(
                        "\(LedgerKey.tags.name).\(member.key)",
                        "expected a string, got \(member.value.typeName)"
                    )
                }
                tags[member.key] = text
            }
        }
        let record = CostRecord(
            recordID: recordID,
            kind: kind,
            timestamp: ts,
            startedAt: startedAt,
            provider: provider,
            model: model,
            apiKeyID: apiKeyID,
            serviceTier: serviceTier,
            usage: usage,
            costUSD: cost,
            priceSource: priceSource,
            status: status,
            traceID: traceID,
            leafID: leafID,
            parentID: parentID,
            rootID: rootID,
            attempt: attempt,
            attribution: attribution,
            tags: tags
        )
        try record.validate(location: location)
        return .record(record)
    }
}

/// The line format's shared rules and locations.
extension UTCTimestamp {
    /// This instant to the whole millisecond (rounded down), as a ledger line writes it, so that a line read and
    /// written again reads back the same (docs/ledger.md). Always representable for a parsed time: the RFC 3339
    /// reader keeps nothing before 1677-09-21T00:12:44Z, a whole second (the instant itself otherwise).
    var ledgerMillisecond: UTCTimestamp {
        let (nanoseconds, overflow) = millisecondsSinceEpoch.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? self : UTCTimestamp(nanosecondsSinceEpoch: nanoseconds)
    }
}

enum LineEncoding {
    static func location(_ file: String?, _ line: Int?) -> String? {
        switch (file, line) {
        case (let file?, let line?): return "\(file):\(line)"
        case (let file?, nil): return file
        case (nil, let line?): return "line \(line)"
        case (nil, nil): return nil
        }
    }

    static func suffix(_ location: String?) -> String {
        location.map { " (at \($0))" } ?? ""
    }
}
