import Foundation
import HeadScopeActivations

/// Per-head statistics streamed from the activation store, one layer at a time: the mean `z` of
/// every head (mean ablation) and ITI-style steering directions (METHODS 1.7).
public struct ActivationStatistics: Sendable {
    public let layers: Int
    public let heads: Int
    public let headDim: Int
    /// `[L, H, headDim]` mean over the rows of `meanSplit` (every row when nil).
    public let means: [Float]

    /// The mean `z` of one head.
    public func mean(_ head: HeadRef) -> [Float] {
        let start = head.index(heads: heads) * headDim
        return Array(means[start..<(start + headDim)])
    }

    /// Computes the per-head means over the rows of `split` (all rows when nil).
    public init(reader: ActivationReader, split: String? = nil) throws {
        let a = reader.attributes
        layers = a.layers; heads = a.heads; headDim = a.headDim
        let splits = try reader.strings("split")
        let rows = (0..<reader.rows).filter { split == nil || splits[$0] == split }
        guard !rows.isEmpty else {
            throw InterventionError(reader.url.path, "no rows\(split.map { " in split `\($0)`" } ?? "") to average for mean ablation",
                                    remedy: "use --ablation scale or zero, or re-run `make extract`")
        }
        var means = [Float](repeating: 0, count: layers * heads * headDim)
        let width = heads * headDim
        for layer in 0..<layers {
            let z = try reader.layer(layer)
            var sum = [Double](repeating: 0, count: width)
            for row in rows {
                let base = row * width
                for i in 0..<width { sum[i] += Double(z[base + i]) }
            }
            for i in 0..<width { means[layer * width + i] = Float(sum[i] / Double(rows.count)) }
        }
        self.means = means
    }

    /// A steering direction for one head: unit vector and the spread of projections onto it.
    public struct Direction: Sendable, Equatable, Codable {
        public var head: HeadRef
        /// Unit length: mean over correct rows minus mean over incorrect rows, normalised.
        public var vector: [Float]
        /// Population standard deviation of the tuning rows' projections onto `vector`.
        public var sigma: Double
    }

    /// ITI directions of `function` for `heads`.
    ///
    /// Direction = mean `z` over the function's correctly answered rows of `directionSplit` minus
    /// the mean over its incorrectly answered rows there, scaled to unit length; sigma = standard
    /// deviation of the projections of the function's rows in `tuningSplit` (correct and
    /// incorrect) onto it. Refuses a function without both kinds of rows, or a zero difference.
    public static func directions(reader: ActivationReader, function: String, heads selected: [HeadRef],
                                  directionSplit: String, tuningSplit: String) throws -> [Direction] {
        let a = reader.attributes
        let functions = try reader.strings("function"), splits = try reader.strings("split")
        let correct = try reader.correct()
        let rows = 0..<reader.rows
        let positives = rows.filter { functions[$0] == function && splits[$0] == directionSplit && correct[$0] }
        let negatives = rows.filter { functions[$0] == function && splits[$0] == directionSplit && !correct[$0] }
        let tuning = rows.filter { functions[$0] == function && splits[$0] == tuningSplit }
        guard !positives.isEmpty, !negatives.isEmpty else {
            throw InterventionError(reader.url.path, "function `\(function)` has \(positives.count) correct and \(negatives.count) incorrect rows in split `\(directionSplit)`; a steering direction needs both",
                                    remedy: "choose another --direction-split, or leave the function out of steering with --no-steer")
        }
        guard tuning.count >= 2 else {
            throw InterventionError(reader.url.path, "function `\(function)` has \(tuning.count) rows in the tuning split `\(tuningSplit)`; sigma needs at least 2",
                                    remedy: "choose another --tuning-split")
        }
        let width = a.heads * a.headDim
        var byLayer: [Int: [HeadRef]] = [:]
        for head in selected { byLayer[head.layer, default: []].append(head) }
        var result: [HeadRef: Direction] = [:]
        for layer in byLayer.keys.sorted() {
            let z = try reader.layer(layer)
            for head in byLayer[layer] ?? [] {
                let offset = head.head * a.headDim
                func mean(_ rows: [Int]) -> [Double] {
                    var sum = [Double](repeating: 0, count: a.headDim)
                    for r in rows { for d in 0..<a.headDim { sum[d] += Double(z[r * width + offset + d]) } }
                    return sum.map { $0 / Double(rows.count) }
                }
                let (p, n) = (mean(positives), mean(negatives))
                let diff = zip(p, n).map { $0 - $1 }
                let norm = diff.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 0, norm.isFinite else {
                    throw InterventionError(reader.url.path, "function `\(function)`, head \(head): correct and incorrect rows have the same mean, so there is no direction",
                                            remedy: "leave the function out of steering with --no-steer")
                }
                let unit = diff.map { $0 / norm }
                let projections = tuning.map { r in (0..<a.headDim).reduce(0.0) { $0 + Double(z[r * width + offset + $1]) * unit[$1] } }
                let m = projections.reduce(0, +) / Double(projections.count)
                let variance = projections.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(projections.count)
                result[head] = Direction(head: head, vector: unit.map { Float($0) }, sigma: variance.squareRoot())
            }
        }
        return selected.compactMap { result[$0] }
    }
}
