/// A parsed JSON value that keeps what a lossy model would lose: member order, duplicate detection, the exact
/// text of numbers (so prices parse exactly, never through `Double`) and the byte range of every value (so
/// unknown keys are written back as their original text).
///
/// The tree form of the project's JSON reader: price files, provider responses, usage exports and the
/// ledger's strict path read it through ``JSONParser``, which, like the streaming ``JSONScanner``, is a thin
/// use of the one reader core (`JSONTokenizer` in the WireFormat module).
package enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number, as its exact source text (`-12.50e3`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A short name of the value's type, for error messages.
    package var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    package var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    package var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    package var numberText: String? {
        if case .number(let n) = self { return n }
        return nil
    }

    package var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The value as an integer when its text is an integer literal (no fraction, no exponent) that fits.
    package var integerValue: Int? {
        guard case .number(let text) = self else { return nil }
        return JSONValue.integer(fromLiteral: text)
    }

    package static func integer(fromLiteral text: String) -> Int? {
        var utf8 = text.utf8[...]
        var negative = false
        if utf8.first == UInt8(ascii: "-") {
            negative = true
            utf8 = utf8.dropFirst()
        }
        guard !utf8.isEmpty, utf8.count <= 19 else { return nil }
        var value = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = s
        }
        return negative ? -value : value
    }
}

/// A JSON object's members in input order.
package struct JSONObject: Sendable, Hashable {
    package struct Member: Sendable, Hashable {
        package var key: String
        package var value: JSONValue
        /// The value's exact source text (empty for values built in code).
        package var rawText: String

        /// Creates a member; `rawText` empty for a value built in code.
        package init(key: String, value: JSONValue, rawText: String = "") {
            self.key = key
            self.value = value
            self.rawText = rawText
        }
    }

    package var members: [Member]

    package init(members: [Member] = []) { self.members = members }

    /// The value of `key`, if present.
    package subscript(key: String) -> JSONValue? {
        for member in members where member.key == key { return member.value }
        return nil
    }

    package var count: Int { members.count }
}
