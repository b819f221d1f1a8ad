/// Bytes of a span read eight at a time, for the word-at-a-time readers (the JSON core's string scan, the
/// ledger line's key, id and timestamp reads).
public enum SpanWords {
    /// The eight bytes at `offset` as one word, the first byte in the least significant bits; 0 when they are
    /// not all inside `span` (a NUL, which no reader accepts, so callers check the bounds they need anyway).
    /// Safe code: the optimizer reads the word with one load once the bounds are checked.
    @inlinable
    @inline(__always)
    public static func word(_ span: Span<UInt8>, _ offset: Int) -> UInt64 {
        guard offset >= 0, offset <= span.count &- 8 else { return 0 }
        return UInt64(span[offset]) | UInt64(span[offset &+ 1]) &<< 8 | UInt64(span[offset &+ 2]) &<< 16
            | UInt64(span[offset &+ 3]) &<< 24 | UInt64(span[offset &+ 4]) &<< 32 | UInt64(span[offset &+ 5]) &<< 40
            | UInt64(span[offset &+ 6]) &<< 48 | UInt64(span[offset &+ 7]) &<< 56
    }
}
