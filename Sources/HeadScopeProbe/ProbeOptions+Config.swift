import HeadScopeCore

extension ProbeOptions {
    /// The keys a pipeline's `probe:` section may hold (the manifest's configuration names).
    public static let configKeys = [
        "rows", "split", "test_fraction", "features", "seed", "c", "max_iterations", "cv_folds",
        "permutations", "min_train_rows", "min_test_rows", "skip_small_functions", "rank_by",
        "top_ratio", "top_k", "threshold", "sparsity_thresholds", "threads",
    ]

    /// Options from a pipeline's `probe:` mapping; absent keys keep their defaults, unknown keys
    /// and bad values are refused with the file, line and key.
    public init(config node: ConfigNode) throws {
        self.init()
        try node.rejectUnknownKeys(allowed: ProbeOptions.configKeys)
        rowFilter = try node.enumValue("rows", default: rowFilter)
        split = try node.enumValue("split", default: split)
        testFraction = try node.double("test_fraction", default: testFraction, in: 1e-9...(1 - 1e-9))
        features = try node.enumValue("features", default: features)
        seed = UInt64(try node.int("seed", default: Int(seed), in: 0...Int.max))
        logistic.c = try node.double("c", default: logistic.c, in: 1e-12...Double.greatestFiniteMagnitude)
        logistic.maxIterations = try node.int("max_iterations", default: logistic.maxIterations, in: 1...Int.max)
        crossValidationFolds = try node.int("cv_folds", default: crossValidationFolds, in: 0...Int.max)
        permutations = try node.int("permutations", default: permutations, in: 0...Int.max)
        minTrainRows = try node.int("min_train_rows", default: minTrainRows, in: 1...Int.max)
        minTestRows = try node.int("min_test_rows", default: minTestRows, in: 1...Int.max)
        skipSmallFunctions = try node.bool("skip_small_functions", default: skipSmallFunctions)
        rankBy = try node.enumValue("rank_by", default: rankBy)
        topRatio = try node.double("top_ratio", default: topRatio, in: 1e-12...1)
        topK = try node.optionalInt("top_k", in: 1...Int.max)
        threshold = try node.double("threshold", default: threshold)
        if let list = try node.optional("sparsity_thresholds") {
            sparsityThresholds = try list.asList().map { try $0.asDouble() }
        }
        threads = try node.int("threads", default: threads, in: 1...4096)
        if node["cv_folds"] != nil, crossValidationFolds == 1, let entry = node["cv_folds"] {
            throw entry.error("cv_folds 1 is not cross-validation: use 0 (off) or at least 2")
        }
    }
}
