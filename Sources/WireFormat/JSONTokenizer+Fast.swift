// The JSON reader core's inner loops: whitespace, punctuation, the string scan, numbers, and the word loads of
// the word-at-a-time readers (``SpanWords``). The tree parser (through a tokenizer value) and the ledger line's
// fast scanner both read through these; everything else of the core is in JSONTokenizer.swift.
//
// Unsafe code, and the invariant that keeps it safe: every read here is `span[unchecked: i]` or an unchecked
// eight-byte load at `i ..< i + 8`, and comes right after a comparison that puts it inside the span: each
// function returns or fails at once when `index` is negative, and otherwise reads a byte at `index` only after
// `index < span.count` (it only ever moves `index` forward), and a word at `offset` only after
// `0 <= offset <= span.count - 8`. With checked reads the optimizer kept a bounds check per byte of every
// word load (seven compares and branches for each of the scanner's words) and a sign check per byte read.

extension JSONTokenizer {
    /// Skips JSON whitespace from `index`.
    @inlinable
    @inline(__always)
    public static func skipWhitespace(_ span: Span<UInt8>, _ index: inout Int) {
        guard index >= 0 else { return }
        let n = span.count
        while index < n {
            let b = unsafe span[unchecked: index]
            // Every byte above the space is not whitespace: one comparison for the compact form.
            guard b <= 0x20, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            index &+= 1
        }
    }

    /// Consumes `byte` after optional whitespace when it is next.
    @inlinable
    @inline(__always)
    public static func consume(_ byte: UInt8, _ span: Span<UInt8>, _ index: inout Int) -> Bool {
        skipWhitespace(span, &index)
        guard index >= 0, index < span.count, unsafe span[unchecked: index] == byte else { return false }
        index &+= 1
        return true
    }

    /// Reads a string's content from `index` up to the next `"` or `\`, where it leaves `index`: the one
    /// string scan of the reader. Control characters are refused and UTF-8 is validated as it is met
    /// (``utf8SequenceLength(_:_:)``); `ascii` is cleared when a byte ≥ 0x80 appears. Fails, with `index` at the
    /// fault, on a control character, invalid UTF-8 or the end of the span.
    @inlinable
    @inline(__always)
    public static func scanStringContent(
        _ span: Span<UInt8>,
        _ index: inout Int,
        ascii: inout Bool
    ) throws(JSONSyntaxError) {
        let n = span.count
        guard index >= 0 else { throw JSONSyntaxError(message: "unterminated string", offset: index) }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        while true {
            // Eight bytes at a time while none is a quote, a backslash, a control character or ≥ 0x80 (SWAR
            // zero-byte tests; the lowest flagged byte is a true hit, since a borrow only flags bytes above it).
            while index <= n &- 8 {
                let x = UInt64(
                    littleEndian: unsafe span.bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: index, as: UInt64.self)
                )
                let quote = x ^ (ones &* 0x22)
                let backslash = x ^ (ones &* 0x5C)
                let stop =
                    ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((x &- ones &* 0x20) & ~x) | x
                let found = stop & tops
                if found != 0 {
                    index &+= found.trailingZeroBitCount &>> 3
                    break
                }
                index &+= 8
            }
            guard index < n else { throw JSONSyntaxError(message: "unterminated string", offset: index) }
            let b = unsafe span[unchecked: index]
            if b == 0x22 || b == 0x5C { return }
            if b >= 0x20, b < 0x80 {
                index &+= 1
            } else {
                try stepOverSpecialByte(span, &index)
                ascii = false
            }
        }
    }

    /// Reads a number whose first byte is at `index` and returns its text's range.
    @inlinable
    public static func readNumber(_ span: Span<UInt8>, _ index: inout Int) throws(JSONSyntaxError) -> Range<Int> {
        let first = index
        if let fault = scanNumber(span, &index) { throw numberFailure(fault, index) }
        return first..<index
    }

    /// Reads a number whose first byte is at `index`, leaving `index` past it: nil when it is well formed, else
    /// what is wrong (with `index` at the fault). The number grammar of the reader; ``readNumber(_:_:)`` words
    /// its faults, and the ledger line's scanner, which only needs to know, calls this (a call that cannot
    /// throw stays inline in the scanner's loop).
    // Always inlined: left to the optimizer, the scanner called it for each of a record's numbers (2.2% of the
    // audit's samples on the benchmark ledger).
    @inlinable
    @inline(__always)
    public static func scanNumber(_ span: Span<UInt8>, _ index: inout Int) -> NumberFault? {
        let n = span.count
        guard index >= 0 else { return .end }
        if index < n, unsafe span[unchecked: index] == UInt8(ascii: "-") { index &+= 1 }
        guard index < n else { return .end }
        let lead = unsafe span[unchecked: index]
        if lead == UInt8(ascii: "0") {
            index &+= 1
            if index < n, isDigit(unsafe span[unchecked: index]) { return .leadingZero }
        } else if isDigit(lead) {
            skipDigits(span, &index)
        } else {
            return .digit
        }
        if index < n, unsafe span[unchecked: index] == UInt8(ascii: ".") {
            index &+= 1
            guard index < n, isDigit(unsafe span[unchecked: index]) else { return .fractionDigit }
            skipDigits(span, &index)
        }
        if index < n, unsafe span[unchecked: index] | 0x20 == UInt8(ascii: "e") {
            index &+= 1
            if index < n {
                let sign = unsafe span[unchecked: index]
                if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index &+= 1 }
            }
            guard index < n, isDigit(unsafe span[unchecked: index]) else { return .exponent }
            skipDigits(span, &index)
        }
        return nil
    }

    /// Steps over digits from `index`.
    @inlinable
    static func skipDigits(_ span: Span<UInt8>, _ index: inout Int) {
        guard index >= 0 else { return }
        let n = span.count
        while index < n, isDigit(unsafe span[unchecked: index]) { index &+= 1 }
    }
}

/// Bytes of a span read eight at a time, for the word-at-a-time readers (the JSON core's string scan, the
/// ledger line's key, id and timestamp reads).
public enum SpanWords {
    /// The eight bytes at `offset` as one word, the first byte in the least significant bits; 0 when they are
    /// not all inside `span` (a NUL, which no reader accepts, so callers check the bounds they need anyway).
    @inlinable
    @inline(__always)
    public static func word(_ span: Span<UInt8>, _ offset: Int) -> UInt64 {
        guard offset >= 0, offset <= span.count &- 8 else { return 0 }
        return UInt64(
            littleEndian: unsafe span.bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: offset, as: UInt64.self)
        )
    }
}
