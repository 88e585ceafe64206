import Foundation

/// One head and its score.
public struct RankedHead: Sendable, Equatable, Codable {
    public var layer: Int
    public var head: Int
    public var score: Double
}

/// The functional heads of one function and the analyses of METHODS 1.5.
public struct FunctionalHeadSet: Sendable, Equatable, Codable {
    public var function: String
    /// The top `k` heads by the ranking score, best first (ties: lower layer, then lower head).
    public var top: [RankedHead]
    /// Heads scoring strictly above the threshold, best first.
    public var aboveThreshold: [RankedHead]
    /// Number of top heads in each layer.
    public var layerHistogram: [Int]
    /// Heads scoring above each sparsity threshold (keys are the thresholds as text).
    public var sparsity: [String: Int]
    /// Mean ranking score over all heads, and of the permutation baseline (null without it).
    public var meanScore: Double?
    public var meanPermutationScore: Double?
    public var trainRows: Int
    public var testRows: Int

    enum CodingKeys: String, CodingKey {
        case function, top
        case aboveThreshold = "above_threshold"
        case layerHistogram = "layer_histogram"
        case sparsity
        case meanScore = "mean_score"
        case meanPermutationScore = "mean_permutation_score"
        case trainRows = "train_rows"
        case testRows = "test_rows"
    }

    /// Encodes absent means as `null`, so every function's entry has the same keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(function, forKey: .function)
        try c.encode(top, forKey: .top)
        try c.encode(aboveThreshold, forKey: .aboveThreshold)
        try c.encode(layerHistogram, forKey: .layerHistogram)
        try c.encode(sparsity, forKey: .sparsity)
        try c.encode(meanScore, forKey: .meanScore)
        try c.encode(meanPermutationScore, forKey: .meanPermutationScore)
        try c.encode(trainRows, forKey: .trainRows)
        try c.encode(testRows, forKey: .testRows)
    }
}

/// `functional_heads.json`: the sets of every function and their pairwise Jaccard overlaps.
public struct FunctionalHeadsReport: Sendable, Equatable, Codable {
    public static let schemaVersion = "headscope-functional-heads/1"
    public var schemaVersion: String
    public var rankBy: ScoreKind
    public var topK: Int
    public var threshold: Double
    public var numLayers: Int
    public var numHeads: Int
    public var functions: [FunctionalHeadSet]
    /// Function names in matrix order.
    public var jaccardFunctions: [String]
    /// `|A ∩ B| / |A ∪ B|` of the top sets.
    public var jaccard: [[Double]]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case rankBy = "rank_by"
        case topK = "top_k"
        case threshold
        case numLayers = "num_layers"
        case numHeads = "num_heads"
        case functions
        case jaccardFunctions = "jaccard_functions"
        case jaccard
    }

    /// The number of top heads: `topK` if given, else `ceil(topRatio * L * H)`, at most L x H.
    public static func topCount(options: ProbeOptions, geometry: HeadGeometry) -> Int {
        let cells = geometry.layers * geometry.heads
        let k = options.topK ?? Int((options.topRatio * Double(cells) - 1e-9).rounded(.up))
        return max(1, min(cells, k))
    }

    /// Selects the heads of every function from `results`.
    public init(results: ProbeResults, design: ProbeDesign, options: ProbeOptions) {
        let geometry = results.geometry
        let k = FunctionalHeadsReport.topCount(options: options, geometry: geometry)
        schemaVersion = FunctionalHeadsReport.schemaVersion
        rankBy = options.rankBy
        topK = k
        threshold = options.threshold
        numLayers = geometry.layers
        numHeads = geometry.heads
        functions = zip(results.functions, design.functions).map { r, rows in
            let scores = r.scores(options.rankBy)
            let ranked = FunctionalHeadsReport.rank(scores, heads: geometry.heads)
            let top = Array(ranked.prefix(k))
            var histogram = [Int](repeating: 0, count: geometry.layers)
            for head in top { histogram[head.layer] += 1 }
            var sparsity: [String: Int] = [:]
            for t in options.sparsityThresholds {
                sparsity[FunctionalHeadsReport.key(t)] = scores.filter { $0 > t }.count
            }
            let permutation: [Double]
            switch options.rankBy {
            case .recall: permutation = r.permutationRecall
            case .balancedAccuracy, .accuracy: permutation = r.permutationBalancedAccuracy
            case .auc: permutation = r.permutationAUC
            }
            return FunctionalHeadSet(function: r.function, top: top,
                                     aboveThreshold: ranked.filter { $0.score > options.threshold },
                                     layerHistogram: histogram, sparsity: sparsity,
                                     meanScore: FunctionalHeadsReport.finiteMean(scores),
                                     meanPermutationScore: FunctionalHeadsReport.finiteMean(permutation),
                                     trainRows: rows.trainRows.count, testRows: rows.testRows.count)
        }
        jaccardFunctions = functions.map(\.function)
        let sets = functions.map { Set($0.top.map { $0.layer * geometry.heads + $0.head }) }
        jaccard = sets.map { a in
            sets.map { b in
                let union = a.union(b).count
                return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
            }
        }
    }

    /// Heads by descending score; NaN scores last; ties broken by (layer, head).
    static func rank(_ scores: [Double], heads: Int) -> [RankedHead] {
        scores.indices.sorted { a, b in
            let (sa, sb) = (scores[a], scores[b])
            if sa.isNaN != sb.isNaN { return !sa.isNaN }
            if sa != sb && !sa.isNaN { return sa > sb }
            return a < b
        }.map { RankedHead(layer: $0 / heads, head: $0 % heads, score: scores[$0]) }
    }

    static func key(_ threshold: Double) -> String {
        String(format: "%g", threshold)
    }

    static func finiteMean(_ values: [Double]) -> Double? {
        let finite = values.filter(\.isFinite)
        return finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count)
    }
}
