/// Everything the probes of one function produced, as `[layers * heads]` arrays in
/// (layer, head) row-major order, plus the probes' weights.
public struct FunctionProbeResults: Sendable, Equatable {
    public var function: String
    public var recall: [Double]
    public var balancedAccuracy: [Double]
    public var accuracy: [Double]
    public var auc: [Double]
    /// Means over the permutation-baseline probes (NaN without permutations).
    public var permutationRecall: [Double]
    public var permutationBalancedAccuracy: [Double]
    public var permutationAUC: [Double]
    /// `(1 + #permutations scoring at least the real probe) / (1 + #permutations)`, on the
    /// ranking score.
    public var permutationPValue: [Double]
    /// Cross-validation means and standard deviations over folds (NaN without CV).
    public var cvRecallMean: [Double], cvRecallStd: [Double]
    public var cvBalancedAccuracyMean: [Double], cvBalancedAccuracyStd: [Double]
    public var cvAUCMean: [Double], cvAUCStd: [Double]
    /// Probe coefficients `[layers, heads, features]`.
    public var weights: [Float]
    public var bias: [Float]
    public var iterations: [Int32]
    public var converged: [Int8]

    init(function: String, cells: Int, features: Int) {
        self.function = function
        let nan = [Double](repeating: .nan, count: cells)
        recall = nan; balancedAccuracy = nan; accuracy = nan; auc = nan
        permutationRecall = nan; permutationBalancedAccuracy = nan; permutationAUC = nan; permutationPValue = nan
        cvRecallMean = nan; cvRecallStd = nan; cvBalancedAccuracyMean = nan; cvBalancedAccuracyStd = nan
        cvAUCMean = nan; cvAUCStd = nan
        weights = [Float](repeating: 0, count: cells * features)
        bias = [Float](repeating: 0, count: cells)
        iterations = [Int32](repeating: 0, count: cells)
        converged = [Int8](repeating: 0, count: cells)
    }

    /// The array of a score kind.
    public func scores(_ kind: ScoreKind) -> [Double] {
        switch kind {
        case .recall: recall
        case .balancedAccuracy: balancedAccuracy
        case .accuracy: accuracy
        case .auc: auc
        }
    }
}

/// The outcome of one (function, layer, head): filled by a worker, stored by the trainer.
struct ProbeCellResult: Sendable {
    var scores: ClassificationScores
    var fit: LogisticFit
    var permutation: ClassificationScores?
    var permutationPValue: Double
    var cvMean: ClassificationScores?
    var cvStd: ClassificationScores?
}

/// All functions' results.
public struct ProbeResults: Sendable, Equatable {
    public var geometry: HeadGeometry
    /// Features per probe (2 x head_dim or head_dim).
    public var featureCount: Int
    public var functions: [FunctionProbeResults]
    /// Fits done (main, permutation and cross-validation probes).
    public var fits: Int
    /// Probes whose Newton solve hit the iteration cap.
    public var unconverged: Int

    init(geometry: HeadGeometry, featureCount: Int, functionNames: [String]) {
        self.geometry = geometry
        self.featureCount = featureCount
        let cells = geometry.layers * geometry.heads
        functions = functionNames.map { FunctionProbeResults(function: $0, cells: cells, features: featureCount) }
        fits = 0
        unconverged = 0
    }

    mutating func store(_ cell: ProbeCellResult, function f: Int, layer: Int, head: Int) {
        let index = layer * geometry.heads + head
        if !cell.fit.converged { unconverged += 1 }
        let features = featureCount
        // In place (through inout), so the large weight arrays are not copied per cell.
        func update(_ r: inout FunctionProbeResults) {
        r.recall[index] = cell.scores.recall
        r.balancedAccuracy[index] = cell.scores.balancedAccuracy
        r.accuracy[index] = cell.scores.accuracy
        r.auc[index] = cell.scores.auc
        if let p = cell.permutation {
            r.permutationRecall[index] = p.recall
            r.permutationBalancedAccuracy[index] = p.balancedAccuracy
            r.permutationAUC[index] = p.auc
            r.permutationPValue[index] = cell.permutationPValue
        }
        if let mean = cell.cvMean, let std = cell.cvStd {
            r.cvRecallMean[index] = mean.recall; r.cvRecallStd[index] = std.recall
            r.cvBalancedAccuracyMean[index] = mean.balancedAccuracy; r.cvBalancedAccuracyStd[index] = std.balancedAccuracy
            r.cvAUCMean[index] = mean.auc; r.cvAUCStd[index] = std.auc
        }
        for j in 0..<features { r.weights[index * features + j] = cell.fit.coefficients[j] }
        r.bias[index] = cell.fit.intercept
        r.iterations[index] = Int32(cell.fit.iterations)
        r.converged[index] = cell.fit.converged ? 1 : 0
        }
        update(&functions[f])
    }
}
