import Foundation
import HeadScopeActivations

/// The work of one extraction run, shared by its workers: runs of consecutive chains about one
/// image (the unit a worker takes, answered in one session), handed out in dataset order, and the
/// shards they fill. The worker that finishes a shard's last run gets the shard's rows, in item
/// order, to write. After the first error no run is handed out; shards already written stay, as
/// after any interruption.
final class ExtractWork: @unchecked Sendable {
    struct Run {
        var shard: Int
        var items: ArraySlice<PreparedDataset.Item>
    }

    let runs: [Run]
    private let lock = NSLock()
    private var next = 0
    /// Per shard: the rows of its finished runs by run number, and how many runs are still out.
    private var assembly: [Int: (rows: [Int: [ActivationRow]], remaining: Int)] = [:]
    private(set) var shards = 0
    private(set) var rows = 0
    private(set) var tally: [String: (correct: Int, total: Int)] = [:]
    private(set) var error: (any Error)?

    init(shards: [(index: Int, items: ArraySlice<PreparedDataset.Item>)]) {
        var runs: [Run] = []
        for (index, items) in shards {
            let first = runs.count
            var start = items.startIndex
            while start < items.endIndex {
                let image = items[start].imageID
                let end = items[start...].firstIndex { $0.imageID != image } ?? items.endIndex
                runs.append(Run(shard: index, items: items[start..<end]))
                start = end
            }
            assembly[index] = ([:], runs.count - first)
        }
        self.runs = runs
    }

    /// The next run to answer, or nil when all are handed out or a worker failed.
    func take() -> Int? {
        lock.withLock {
            guard error == nil, next < runs.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    /// Records run `index`'s rows; returns its shard's rows when this was the shard's last run.
    func finish(_ index: Int, rows: [ActivationRow]) -> [ActivationRow]? {
        let shard = runs[index].shard
        return lock.withLock {
            guard error == nil, var entry = assembly[shard] else { return nil }
            entry.rows[index] = rows
            entry.remaining -= 1
            guard entry.remaining == 0 else {
                assembly[shard] = entry
                return nil
            }
            assembly[shard] = nil
            return entry.rows.keys.sorted().flatMap { entry.rows[$0]! }
        }
    }

    /// Counts a written shard's rows and verdicts.
    func written(_ shardRows: [ActivationRow]) {
        lock.withLock {
            shards += 1
            rows += shardRows.count
            for row in shardRows where row.tokenIndex <= 0 {
                tally[row.function, default: (0, 0)].total += 1
                if row.correct { tally[row.function, default: (0, 0)].correct += 1 }
            }
        }
    }

    /// Stops the run: no further runs are handed out and unfinished shards are dropped.
    func fail(_ failure: any Error) {
        lock.withLock { if error == nil { error = failure } }
    }
}
