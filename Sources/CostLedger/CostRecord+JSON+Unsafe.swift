import Attribution

// The cost record's line encoder where it meets raw memory: the entry points that hand ``LineWriter`` a pointer
// to write at, and the reordering of the attribution members in place. What keeps it safe: every line is
// written into room of at least ``CostRecord/encodedLineBound`` bytes (checked in ``encodeJSONLine(into:)``,
// reserved by the callers of ``encodeLine(into:)``, or ``CostRecord/maxCheckedLineBytes`` for a checked call
// line, whose writer writes no string over the limits that bound is built on: it marks the line invalid), and
// ``encodedLineBound`` is never below what ``LineWriter`` writes (`FastLineEncodingTests`). The attribution
// spans noted in `encodeAttribution` lie inside the region just written, and are copied back over it once.

extension CostRecord {
    /// The record as one ledger line: a compact JSON object followed by `\n`.
    ///
    /// ```swift
    /// let line = record.jsonLine()   // {"v":1,"record_id":"r1","ts":"2026-11-24T16:02:00.123Z",…}\n
    /// ```
    /// - Returns: the line's UTF-8 bytes, newline included.
    public func jsonLine() -> [UInt8] {
        let bound = encodedLineBound
        return unsafe [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            guard let base = buffer.baseAddress else { return }
            count = unsafe encodeLine(into: UnsafeMutableRawPointer(base))
        }
    }

    /// Appends ``jsonLine()`` to `out`.
    package func appendJSONLine(to out: inout [UInt8]) {
        unsafe withUnsafeTemporaryAllocation(byteCount: encodedLineBound, alignment: 8) { buffer in
            guard let base = buffer.baseAddress else { return }
            let count = unsafe encodeLine(into: base)
            unsafe out.append(contentsOf: UnsafeRawBufferPointer(start: base, count: count))
        }
    }

    /// Writes ``jsonLine()``'s bytes at the start of `buffer` without allocating, for callers that keep their
    /// own buffers.
    ///
    /// ```swift
    /// let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
    /// if let count = record.encodeJSONLine(into: buffer) { send(buffer[..<count]) }
    /// ```
    /// - Returns: the number of bytes written, or nil (and nothing written) when `buffer` is smaller than
    ///   ``encodedLineBound``.
    public func encodeJSONLine(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard let base = buffer.baseAddress, buffer.count >= encodedLineBound else { return nil }
        return unsafe encodeLine(into: base)
    }

    /// Writes ``jsonLine()``'s bytes at `start`, which must have room for ``encodedLineBound`` bytes, and returns
    /// how many it wrote. No allocation: the ledger writer encodes straight into its batch buffer.
    package func encodeLine(into start: UnsafeMutableRawPointer) -> Int {
        var w = unsafe LineWriter(start)
        encodeLine(&w)
        return unsafe w.cursor - start
    }

    /// ``validate()`` and ``encodeLine(into:)`` in one pass, for call records: the line is written at `start`
    /// (which must have room for ``maxCheckedLineBytes``) while each string is checked as it is written.
    /// - Returns: the line's length, or nil when the record is not a call or may break a rule (the bytes written
    ///   are then to be discarded, and ``validate()`` names the fault).
    package func encodeCheckedCallLine(into start: UnsafeMutableRawPointer) -> Int? {
        guard kind == .call, provider != nil, model != nil, tags.count <= LineLimits.maxTags else { return nil }
        let u = usage
        let (cachedAndWrite, o1) = u.cachedInput.addingReportingOverflow(u.cacheWrite)
        let (subsets, o2) = cachedAndWrite.addingReportingOverflow(u.cacheWrite1h)
        guard
            u.input >= 0 && u.output >= 0 && u.cachedInput >= 0 && u.cacheWrite >= 0 && u.cacheWrite1h >= 0
                && u.reasoning >= 0 && !o1 && !o2 && subsets <= u.input && u.reasoning <= u.output
        else { return nil }
        if let attempt, attempt < 1 || attempt > Int(Int32.max) { return nil }
        if let costUSD, costUSD.attodollars < 0 { return nil }
        var w = unsafe LineWriter(start)
        w.checking = true
        encodeLine(&w)
        return unsafe w.valid ? w.cursor - start : nil
    }

    /// The attribution members in canonical order: written in the table's own order, each one's span noted,
    /// then put in order with one copy when the table's order differed (no hashing, no string copies).
    static func encodeAttribution(_ attribution: [AttributionField: String], _ w: inout LineWriter) {
        let regionStart = unsafe w.cursor
        unsafe withUnsafeTemporaryAllocation(of: Int.self, capacity: 20) { spans in
            var present: UInt16 = 0
            var inOrder = true
            var highest = -1
            for (field, value) in attribution {
                let order = field.order
                guard order >= 0 && order < 10 else { continue }
                if order < highest { inOrder = false } else { highest = order }
                present |= 1 << UInt16(order)
                unsafe spans.initializeElement(at: order &* 2, to: w.cursor - regionStart)
                w.member(index: LedgerKey.userID.index &+ order)
                w.value(value)
                unsafe spans.initializeElement(at: order &* 2 &+ 1, to: w.cursor - regionStart)
            }
            guard !inOrder else { return }
            let length = unsafe w.cursor - regionStart
            unsafe withUnsafeTemporaryAllocation(byteCount: length, alignment: 8) { copy in
                guard let source = copy.baseAddress else { return }
                unsafe source.copyMemory(from: regionStart, byteCount: length)
                var out = unsafe regionStart
                for order in 0..<10 where present & (1 << UInt16(order)) != 0 {
                    let start = unsafe spans[order &* 2]
                    let count = unsafe spans[order &* 2 &+ 1] - start
                    unsafe out.copyMemory(from: source + start, byteCount: count)
                    unsafe out += count
                }
            }
        }
    }
}
