import Attribution
import Dispatch

/// The dataset's rows split in shares read on threads of their own, as the audit's phases split theirs: a report
/// over many rows groups each share on its own thread and merges the shares' groups.
package enum RowShares {
    /// Threads a large dataset is read on: the audit's own default (``CostAudit/AuditConfiguration/readerThreads``).
    static let threads = 2
    /// Fewer rows than this are read on one thread: starting a second costs more than it saves.
    static let minimumRowsPerShare = 65_536

    /// How many shares `rows` rows are read in: 1 unless `parallel` and there are enough rows.
    package static func count(_ rows: Int, parallel: Bool = true) -> Int {
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

extension RowShares {
    /// `first()` and `second()`, run at once on two threads when `parallel`, else one after the other.
    static func both<First: Sendable, Second: Sendable>(
        parallel: Bool = true,
        _ first: @Sendable () -> First,
        _ second: @Sendable () -> Second
    ) -> (First, Second) {
        guard parallel else { return (first(), second()) }
        let results = Lock<(First?, Second?)>((nil, nil))
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            if index == 0 {
                let result = first()
                results.withLock { $0.0 = result }
            } else {
                let result = second()
                results.withLock { $0.1 = result }
            }
        }
        let (a, b) = results.withLock { $0 }
        // Both ran to the end before `concurrentPerform` returned.
        guard let a, let b else { return (first(), second()) }
        return (a, b)
    }
}
