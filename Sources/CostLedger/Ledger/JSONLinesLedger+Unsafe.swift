#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The ledger writer's byte I/O: records encoded into its buffers, batches copied between buffers and written
// to a file, each behind a signature that holds no pointer. The writer (`JSONLinesLedger.swift`) names a batch
// as a buffer and a range of its committed bytes (``LedgerBatchBytes``), never by address.
//
// What keeps it safe: a batch is read only when used, and only within the committed bytes its buffer holds
// then (its range is clamped to them); a copy reserves room in the target first and only then takes the
// source's address, so a buffer copied into itself is read where its bytes are after growing; a line is
// encoded at the end of a buffer only into room reserved for it, ``CostRecord/maxCheckedLineBytes`` for a call
// record checked while encoded, else the record's `validatedLineBound()`, which the caller passes and which
// bounds the bytes the encoder writes (the scratch line is used only for a bound within its capacity); the
// write hook gets the address of a batch's bytes only for the length of its call.

/// Committed bytes of a ledger buffer: a batch to write, sync or keep. It holds the buffer, not an address in
/// it; whoever holds it keeps those bytes in place until done (the writer's I/O lock, or the batch's owner).
struct LedgerBatchBytes {
    let buffer: LedgerByteBuffer
    let range: Range<Int>

    /// All of `buffer`'s committed bytes.
    init(_ buffer: LedgerByteBuffer) {
        self.buffer = buffer
        range = 0..<buffer.count
    }

    /// `range` of `buffer`'s committed bytes.
    init(_ buffer: LedgerByteBuffer, _ range: Range<Int>) {
        self.buffer = buffer
        self.range = range
    }

    var count: Int { range.count }
    var isEmpty: Bool { range.isEmpty }

    /// Writes the batch from byte `from` to `fd`, looping on short writes and `EINTR`, with `hook` in place of
    /// `write(2)` when given. Returns the bytes written and the failure that stopped it, if any, with its `errno`.
    func write(
        to fd: Int32,
        from: Int,
        hook: LedgerWriteHook?,
        path: String?
    ) -> (Int, CostLedgerError?, code: Int32) {
        let range = range.clamped(to: 0..<buffer.count)
        guard let start = unsafe buffer.base else { return (0, nil, 0) }
        let base = unsafe start + range.lowerBound
        var written = from
        while written < range.count {
            let n =
                unsafe hook.map { unsafe $0.write(fd, base + written, range.count - written) }
                ?? LedgerIO.write(fd, base + written, range.count - written)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                let error = CostLedgerError(.io, field: path, reason: "write failed: \(LedgerIO.errnoText(code))")
                return (written - from, error, code)
            }
            written += n
        }
        return (written - from, nil, 0)
    }
}

extension LedgerBatchBytes {
    /// A copy of the batch's first line, without its newline (at most `limit` bytes: a longer line is cut there).
    func firstLine(limit: Int) -> [UInt8] {
        let range = range.clamped(to: 0..<buffer.count)
        guard !range.isEmpty, let start = unsafe buffer.base else { return [] }
        let bytes = unsafe UnsafeRawBufferPointer(start: start + range.lowerBound, count: Swift.min(range.count, limit))
        let end = unsafe bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        return unsafe Array(bytes[..<end])
    }
}

extension LedgerByteBuffer {
    /// Appends a copy of `batch`'s bytes.
    func append(_ batch: LedgerBatchBytes) {
        let range = batch.range.clamped(to: 0..<batch.buffer.count)
        guard !range.isEmpty else { return }
        // Room first: growing may move the source's bytes when it is this buffer.
        let target = unsafe reserve(range.count)
        guard let source = unsafe batch.buffer.base else { return }
        unsafe target.copyMemory(from: source + range.lowerBound, byteCount: range.count)
        commit(range.count)
    }

    /// Encodes `record`'s line after the committed bytes, without committing it: with `lineBound`, the
    /// record's `validatedLineBound()`, for a record already checked; with nil, a call record checked while it
    /// is encoded. Returns the line's length, or nil when the record was to be checked and may break a rule.
    func encodeUncommitted(_ record: CostRecord, lineBound: Int?) -> Int? {
        if let lineBound { return unsafe record.encodeLine(into: reserve(lineBound)) }
        return unsafe record.encodeCheckedCallLine(into: reserve(CostRecord.maxCheckedLineBytes))
    }

    /// Copies the first `count` bytes of `scratch` (a line encoded there) after the committed bytes, without
    /// committing them.
    func copyUncommitted(_ scratch: LedgerScratchLine, count: Int) {
        let count = Swift.min(Swift.max(0, count), scratch.capacity)
        unsafe reserve(count).copyMemory(from: scratch.base, byteCount: count)
    }
}

extension LedgerScratchLine {
    /// Encodes `record`'s line into the scratch line, as ``LedgerByteBuffer/encodeUncommitted(_:lineBound:)``
    /// does into a buffer; a `lineBound` must be within ``capacity``. Returns the line's length, or nil when the
    /// record was to be checked and may break a rule.
    func encode(_ record: CostRecord, lineBound: Int?) -> Int? {
        if lineBound != nil { return unsafe record.encodeLine(into: base) }
        return unsafe record.encodeCheckedCallLine(into: base)
    }
}

/// The test hook that replaces `write(2)` of batches (``JSONLinesLedger/Configuration/writeOverride``).
// @safe: the hook is called only by ``LedgerBatchBytes/write(to:from:hook:path:)``, with the address and count
// of bytes of a batch that stay in place for the call.
@safe struct LedgerWriteHook: Sendable {
    let write: @Sendable (Int32, UnsafeRawPointer, Int) -> Int
}

extension JSONLinesLedger.Configuration {
    /// Replaces `write(2)` of batches (tests inject short writes and `ENOSPC`): descriptor, bytes, count;
    /// returns what `write(2)` would, setting `errno` on -1.
    var writeOverride: (@Sendable (Int32, UnsafeRawPointer, Int) -> Int)? {
        get { unsafe writeHook?.write }
        set { writeHook = unsafe newValue.map { unsafe LedgerWriteHook(write: $0) } }
    }
}
