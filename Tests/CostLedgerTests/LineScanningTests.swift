import Foundation
import Testing

@testable import CostLedger

/// What a scan of a file reports: every line passed on (its bytes, number and offset) and the counts.
private struct ScanResult: Equatable {
    struct Line: Equatable {
        var bytes: [UInt8]
        var number: Int
        var offset: Int64
    }

    var lines: [Line] = []
    var numbered = 0
    var counted = 0
    var skipped = 0
    var oversized = 0
    var bytes: Int64 = 0
}

private func scan(
    _ path: String,
    range: Range<Int64>? = nil,
    chunkBytes: Int = LedgerReader.chunkSize,
    lineBase: Int = 0
) throws -> ScanResult {
    var result = ScanResult()
    var stats = LedgerReadStats()
    result.numbered = unsafe try LedgerReader.scanLines(path, range: range, chunkBytes: chunkBytes, stats: &stats) {
        line,
        number,
        offset,
        _ in
        unsafe result.lines.append(.init(bytes: Array(line), number: number + lineBase, offset: offset))
    }
    result.counted = stats.lines
    result.skipped = stats.skippedLines
    result.oversized = stats.oversizedLines
    result.bytes = stats.bytes
    return result
}

/// A file's bytes: lines of every length from empty to past the 64 KiB limit, in a seeded order.
private func mixedLines(seed: UInt64, count: Int, finalNewline: Bool) -> (bytes: [UInt8], newlines: [Int]) {
    var state = seed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let limit = CostRecord.LineLimits.maxLineBytes
    var bytes: [UInt8] = []
    var newlines: [Int] = []
    for n in 0..<count {
        let length: Int
        switch next() % 10 {
        case 0: length = 0
        case 1: length = limit - Int(next() % 3)  // at the limit and just under it
        case 2: length = limit + 1 + Int(next() % 5_000)  // oversized
        default: length = Int(next() % 2_000) + 1
        }
        let letter = UInt8(ascii: "a") + UInt8(n % 26)
        bytes += [UInt8](repeating: letter, count: length)
        if n < count - 1 || finalNewline {
            newlines.append(bytes.count)
            bytes.append(0x0A)
        }
    }
    return (bytes, newlines)
}

@Suite("Scanning ledger lines: read chunks of any size and byte ranges agree")
struct LineScanningTests {
    @Test(
        "reads of any chunk size give the same lines, numbers, offsets and counts, with or without a last newline",
        arguments: [true, false]
    )
    func chunkSizesAgree(finalNewline: Bool) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (bytes, _) = mixedLines(seed: finalNewline ? 1 : 2, count: 400, finalNewline: finalNewline)
        try dir.write("mixed.jsonl", bytes)
        let path = dir.file("mixed.jsonl")
        let read = try scan(path, chunkBytes: 16 << 20)
        #expect(read.bytes == Int64(bytes.count))
        #expect(read.oversized > 0)
        #expect(read.numbered == 400)
        // Small chunks put many lines, oversized ones included, across chunk ends.
        for chunk in [7, 4096, 100_000, LedgerReader.chunkSize] {
            #expect(try scan(path, chunkBytes: chunk) == read, "chunk \(chunk)")
        }
    }

    @Test("a file read as byte ranges cut at newlines gives the whole file's lines, offsets and counts")
    func rangesEqualWhole() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (bytes, newlines) = mixedLines(seed: 3, count: 300, finalNewline: false)
        try dir.write("ranges.jsonl", bytes)
        let path = dir.file("ranges.jsonl")
        let whole = try scan(path)
        for (cuts, chunk) in [(3, 7), (17, LedgerReader.chunkSize), (60, 4096)] {
            // Range ends just after chosen newlines; the last range ends at the end of the file.
            var ends = stride(from: 0, to: newlines.count, by: max(1, newlines.count / cuts)).map {
                Int64(newlines[$0] + 1)
            }
            ends.append(Int64(bytes.count))
            var joined = ScanResult()
            var start: Int64 = 0
            for end in ends where end > start {
                let part = try scan(path, range: start..<end, chunkBytes: chunk, lineBase: joined.numbered)
                joined.lines += part.lines
                joined.numbered += part.numbered
                joined.counted += part.counted
                joined.skipped += part.skipped
                joined.oversized += part.oversized
                joined.bytes += part.bytes
                start = end
            }
            #expect(joined == whole, "\(cuts) cuts, chunk \(chunk)")
        }
    }

    @Test("a file truncated while it is read is an error for that file, not a crash (no mapped pages to fault on)")
    func truncatedWhileRead() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (bytes, _) = mixedLines(seed: 4, count: 200, finalNewline: true)
        try dir.write("rotated.jsonl", bytes)
        let path = dir.file("rotated.jsonl")
        var stats = LedgerReadStats()
        var seen = 0
        let error = try #require(throws: CostLedgerError.self) {
            try unsafe LedgerReader.scanLines(path, range: nil, chunkBytes: 4096, stats: &stats) { _, _, _, _ in
                seen += 1
                // copytruncate: another process empties the file under the reader.
                if seen == 1 { unsafe truncate(path, 0) }
            }
        }
        #expect(error.code == .fileChanged)
        #expect(error.field == path)
        #expect(seen >= 1)
    }

    @Test("a byte range past the end of a file that shrank since it was planned is an error for that file")
    func rangePastShrunkenEnd() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("short.jsonl", "{}\n")
        var stats = LedgerReadStats()
        let error = try #require(throws: CostLedgerError.self) {
            try unsafe LedgerReader.scanLines(dir.file("short.jsonl"), range: 0..<1000, stats: &stats) { _, _, _, _ in }
        }
        #expect(error.code == .fileChanged)
    }
}
