/// Every setting of the probe stage, with the defaults of METHODS 1.5. Recorded whole in the
/// manifest, so a result can be traced to exactly how it was made.
public struct ProbeOptions: Sendable, Equatable, Codable {
    /// Which rows are used.
    public enum RowFilter: String, Sendable, Codable, CaseIterable {
        /// Only subquestions the judge marked correct (the papers').
        case correct
        case all
    }

    /// Where the train/test split comes from.
    public enum SplitSource: String, Sendable, Codable, CaseIterable {
        /// The store's `split` column when it has one, else `seeded`.
        case auto
        /// The store's `split` column (refused if absent).
        case column
        /// A seeded random split of main questions (`testFraction` of them held out).
        case seeded
    }

    /// The feature vector of a head.
    public enum Features: String, Sendable, Codable, CaseIterable {
        /// `[z[l,h] ; mean over heads of z[l,·]]`, 2 x head_dim (the papers').
        case zAndLayerMean = "z-and-layer-mean"
        /// `z[l,h]` alone, head_dim.
        case z
    }

    public var rowFilter: RowFilter = .correct
    public var split: SplitSource = .auto
    /// Fraction of main questions held out by a seeded split.
    public var testFraction: Double = 0.2
    public var features: Features = .zAndLayerMean
    public var seed: UInt64 = 42
    public var logistic = LogisticRegressionOptions()
    /// k of grouped k-fold cross-validation on the train rows; 0 or 1 turns it off.
    public var crossValidationFolds: Int = 0
    /// Probes trained on shuffled labels per (function, layer, head), for the chance baseline.
    public var permutations: Int = 1
    /// A function needs at least this many train positives (after filtering).
    public var minTrainRows: Int = 10
    /// … and at least this many test positives.
    public var minTestRows: Int = 1
    /// Leave out (with a warning) functions below the minimums instead of refusing.
    public var skipSmallFunctions: Bool = false
    /// Score that ranks heads into functional-head sets.
    public var rankBy: ScoreKind = .recall
    /// Functional heads = top `ceil(topRatio * L * H)` heads (unless `topK` is set).
    public var topRatio: Double = 0.1
    public var topK: Int?
    /// The alternative rule: heads scoring above this.
    public var threshold: Double = 0.85
    /// Thresholds at which sparsity (heads passing) is counted.
    public var sparsityThresholds: [Double] = [0.6, 0.7, 0.8, 0.85, 0.9, 0.95]
    /// Worker threads (probes are trained in parallel, BLAS single-threaded in each).
    public var threads: Int = 1

    public init() {}

    /// Checks ranges; throws `ProbeError.invalidOption` naming the flag.
    public func validate() throws {
        guard testFraction > 0 && testFraction < 1 else {
            throw ProbeError.invalidOption(name: "test-fraction", value: "\(testFraction)", expected: "a number between 0 and 1 (exclusive)")
        }
        guard logistic.c > 0, logistic.c.isFinite else {
            throw ProbeError.invalidOption(name: "c", value: "\(logistic.c)", expected: "a positive number")
        }
        guard logistic.maxIterations >= 1 else {
            throw ProbeError.invalidOption(name: "max-iterations", value: "\(logistic.maxIterations)", expected: "at least 1")
        }
        guard crossValidationFolds >= 0, crossValidationFolds != 1 else {
            throw ProbeError.invalidOption(name: "cv-folds", value: "\(crossValidationFolds)", expected: "0 (off) or at least 2")
        }
        guard permutations >= 0 else {
            throw ProbeError.invalidOption(name: "permutations", value: "\(permutations)", expected: "0 or more")
        }
        guard minTrainRows >= 1, minTestRows >= 1 else {
            throw ProbeError.invalidOption(name: "min-train-rows", value: "\(minTrainRows)/\(minTestRows)", expected: "at least 1")
        }
        guard topRatio > 0 && topRatio <= 1 else {
            throw ProbeError.invalidOption(name: "top-ratio", value: "\(topRatio)", expected: "a number in (0, 1]")
        }
        if let topK, topK < 1 {
            throw ProbeError.invalidOption(name: "top-k", value: "\(topK)", expected: "at least 1")
        }
        guard threads >= 1 else {
            throw ProbeError.invalidOption(name: "threads", value: "\(threads)", expected: "at least 1")
        }
    }

    enum CodingKeys: String, CodingKey {
        case rowFilter = "rows", split, testFraction = "test_fraction", features, seed, logistic
        case crossValidationFolds = "cv_folds", permutations
        case minTrainRows = "min_train_rows", minTestRows = "min_test_rows"
        case skipSmallFunctions = "skip_small_functions", rankBy = "rank_by"
        case topRatio = "top_ratio", topK = "top_k", threshold
        case sparsityThresholds = "sparsity_thresholds", threads
    }

    /// Encodes every setting, an unset `top_k` as `null`, so manifests list the full configuration.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rowFilter, forKey: .rowFilter)
        try c.encode(split, forKey: .split)
        try c.encode(testFraction, forKey: .testFraction)
        try c.encode(features, forKey: .features)
        try c.encode(seed, forKey: .seed)
        try c.encode(logistic, forKey: .logistic)
        try c.encode(crossValidationFolds, forKey: .crossValidationFolds)
        try c.encode(permutations, forKey: .permutations)
        try c.encode(minTrainRows, forKey: .minTrainRows)
        try c.encode(minTestRows, forKey: .minTestRows)
        try c.encode(skipSmallFunctions, forKey: .skipSmallFunctions)
        try c.encode(rankBy, forKey: .rankBy)
        try c.encode(topRatio, forKey: .topRatio)
        try c.encode(topK, forKey: .topK)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(sparsityThresholds, forKey: .sparsityThresholds)
        try c.encode(threads, forKey: .threads)
    }
}
