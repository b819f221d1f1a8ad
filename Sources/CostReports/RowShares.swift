import Attribution
import Dispatch

/// The dataset's rows split in shares read on threads of their own, as the audit's phases split theirs: a report
/// over many rows groups each share on its own thread and merges the shares' groups.
enum RowShares {
    /// Threads a large dataset is read on: the audit's own default (``CostAudit/AuditConfiguration/readerThreads``).
    static let threads = 2
    /// Fewer rows than this are read on one thread: starting a second costs more than it saves.
    static let minimumRowsPerShare = 65_536

    /// How many shares `rows` rows are read in: 1 unless `parallel` and there are enough rows.
    static func count(_ rows: Int, parallel: Bool = true) -> Int {
        guard parallel else { return 1 }
        return max(1, min(threads, rows / minimumRowsPerShare))
    }

    /// Share `share` of `0..<rows` split evenly in `shares`.
    static func range(_ share: Int, of shares: Int, rows: Int) -> Range<Int> {
        (rows * share / shares)..<(rows * (share + 1) / shares)
    }

    /// `body` of each share of `0..<rows`, in the shares' order; the shares run at once when there are several.
    static func map<Result: Sendable>(
        _ rows: Int,
        shares: Int,
        _ body: @Sendable (Range<Int>) -> Result
    ) -> [Result] {
        if shares <= 1 { return [body(0..<rows)] }
        let results = Lock<[Result?]>([Result?](repeating: nil, count: shares))
        DispatchQueue.concurrentPerform(iterations: shares) { share in
            let result = body(range(share, of: shares, rows: rows))
            results.withLock { $0[share] = result }
        }
        return results.withLock { results in results.compactMap { $0 } }
    }
}
