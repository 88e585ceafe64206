import HeadScopeQA

/// Everything that decides what the intervention stage runs (recorded in the manifest and in
/// `run.json`; a resumed run must use the same settings).
public struct InterventionSettings: Sendable, Codable, Equatable {
    /// How an ablated head's `z` is removed.
    public enum Ablation: String, Sendable, Codable, CaseIterable {
        /// Multiply by `scale` (1e-4: the papers' choice).
        case scale
        case zero
        /// Replace by the head's mean `z` over the activation store.
        case mean
    }

    /// Where edits act: generated positions only (the papers) or every position.
    public enum Positions: String, Sendable, Codable, CaseIterable {
        case generated, all
    }

    /// A low-level function whose heads are ablated, and a later function scored along the chain.
    public struct HierarchyPair: Sendable, Codable, Equatable, Hashable {
        public var low: String
        public var high: String
        public init(low: String, high: String) {
            self.low = low
            self.high = high
        }
    }

    /// Functions to study (nil: every function of the probes with test subquestions).
    public var functions: [String]?
    public var headSet: ProbeResults.HeadSet = .top
    public var ablation: Ablation = .scale
    public var scale: Float = 1e-4
    public var positions: Positions = .generated
    /// Seeds of the random-heads control (one condition each).
    public var randomSeeds: [UInt64] = [42, 43, 44, 45, 46]
    /// The bottom-k control (the k lowest-ranked heads).
    public var bottomControl = true
    /// The other-function controls (each other function's heads ablated on this function).
    public var otherFunctionControls = true
    /// Positive interventions on the top set.
    public var steering = true
    /// Steering strengths (one condition each; `--alphas` sweeps).
    public var alphas: [Double] = [1]
    /// 1-based inclusive rank range of "latent" heads to steer (e.g. just below the top set).
    public var latentRanks: ClosedRange<Int>?
    /// Hierarchy pairs; `hierarchyAuto` adds every ordered pair seen in at least
    /// `hierarchyMinimumChains` test chains.
    public var hierarchy: [HierarchyPair] = []
    public var hierarchyAuto = false
    public var hierarchyMinimumChains = 5
    /// Context shown for earlier steps in the per-step conditions (none or gold; chains always
    /// use the model's own answers).
    public var context: ContextPolicy = .none
    public var testSplit = "test"
    public var directionSplit = "train"
    public var tuningSplit = "train"
    /// Rows averaged for mean ablation (nil: every row of the store).
    public var meanSplit: String?
    public var maxNewTokens = 128
    public var bootstrapSamples = 1000
    public var seed: UInt64 = 42
    /// Only the first `limit` test items.
    public var limit: Int?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case functions, headSet = "head_set", ablation, scale, positions, randomSeeds = "random_seeds"
        case bottomControl = "bottom_control", otherFunctionControls = "other_function_controls", steering, alphas
        case latentRanks = "latent_ranks", hierarchy, hierarchyAuto = "hierarchy_auto"
        case hierarchyMinimumChains = "hierarchy_minimum_chains", context, testSplit = "test_split"
        case directionSplit = "direction_split", tuningSplit = "tuning_split", meanSplit = "mean_split"
        case maxNewTokens = "max_new_tokens", bootstrapSamples = "bootstrap_samples", seed, limit
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        functions = try c.decodeIfPresent([String].self, forKey: .functions)
        headSet = try c.decode(ProbeResults.HeadSet.self, forKey: .headSet)
        ablation = try c.decode(Ablation.self, forKey: .ablation)
        scale = try c.decode(Float.self, forKey: .scale)
        positions = try c.decode(Positions.self, forKey: .positions)
        randomSeeds = try c.decode([UInt64].self, forKey: .randomSeeds)
        bottomControl = try c.decode(Bool.self, forKey: .bottomControl)
        otherFunctionControls = try c.decode(Bool.self, forKey: .otherFunctionControls)
        steering = try c.decode(Bool.self, forKey: .steering)
        alphas = try c.decode([Double].self, forKey: .alphas)
        latentRanks = try c.decodeIfPresent([Int].self, forKey: .latentRanks).flatMap { $0.count == 2 && $0[0] <= $0[1] ? $0[0]...$0[1] : nil }
        hierarchy = try c.decode([HierarchyPair].self, forKey: .hierarchy)
        hierarchyAuto = try c.decode(Bool.self, forKey: .hierarchyAuto)
        hierarchyMinimumChains = try c.decode(Int.self, forKey: .hierarchyMinimumChains)
        context = try c.decode(ContextPolicy.self, forKey: .context)
        testSplit = try c.decode(String.self, forKey: .testSplit)
        directionSplit = try c.decode(String.self, forKey: .directionSplit)
        tuningSplit = try c.decode(String.self, forKey: .tuningSplit)
        meanSplit = try c.decodeIfPresent(String.self, forKey: .meanSplit)
        maxNewTokens = try c.decode(Int.self, forKey: .maxNewTokens)
        bootstrapSamples = try c.decode(Int.self, forKey: .bootstrapSamples)
        seed = try c.decode(UInt64.self, forKey: .seed)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
    }

    /// Writes every key, nulls included, so the recorded configuration is complete.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(functions, forKey: .functions)
        try c.encode(headSet, forKey: .headSet)
        try c.encode(ablation, forKey: .ablation)
        try c.encode(scale, forKey: .scale)
        try c.encode(positions, forKey: .positions)
        try c.encode(randomSeeds, forKey: .randomSeeds)
        try c.encode(bottomControl, forKey: .bottomControl)
        try c.encode(otherFunctionControls, forKey: .otherFunctionControls)
        try c.encode(steering, forKey: .steering)
        try c.encode(alphas, forKey: .alphas)
        try c.encode(latentRanks.map { [$0.lowerBound, $0.upperBound] }, forKey: .latentRanks)
        try c.encode(hierarchy, forKey: .hierarchy)
        try c.encode(hierarchyAuto, forKey: .hierarchyAuto)
        try c.encode(hierarchyMinimumChains, forKey: .hierarchyMinimumChains)
        try c.encode(context, forKey: .context)
        try c.encode(testSplit, forKey: .testSplit)
        try c.encode(directionSplit, forKey: .directionSplit)
        try c.encode(tuningSplit, forKey: .tuningSplit)
        try c.encode(meanSplit, forKey: .meanSplit)
        try c.encode(maxNewTokens, forKey: .maxNewTokens)
        try c.encode(bootstrapSamples, forKey: .bootstrapSamples)
        try c.encode(seed, forKey: .seed)
        try c.encode(limit, forKey: .limit)
    }

    /// Refuses settings that cannot run.
    public func validate() throws {
        func bad(_ message: String) -> InterventionError { InterventionError("", message) }
        guard scale.isFinite else { throw bad("--scale must be a finite number") }
        guard maxNewTokens > 0 else { throw bad("--max-new-tokens must be at least 1 (got \(maxNewTokens))") }
        guard bootstrapSamples > 0 else { throw bad("--bootstrap must be at least 1 (got \(bootstrapSamples))") }
        guard !alphas.isEmpty, alphas.allSatisfy(\.isFinite) else { throw bad("--alphas needs at least one finite strength") }
        guard context != .model else {
            throw InterventionError("", "--context model is the hierarchy experiment, which always walks chains with the model's answers",
                                    remedy: "use --context none or gold, and --hierarchy LOW>HIGH for chains")
        }
        if let latentRanks, latentRanks.lowerBound < 1 {
            throw bad("--latent-ranks starts at rank 1 (got \(latentRanks.lowerBound))")
        }
        if let limit, limit < 1 { throw bad("--limit must be at least 1 (got \(limit))") }
        guard hierarchyMinimumChains >= 1 else { throw bad("--hierarchy-min-chains must be at least 1") }
        for pair in hierarchy where pair.low == pair.high {
            throw bad("hierarchy pair \(pair.low)>\(pair.high) names one function twice")
        }
    }

    /// Whether the activation store is needed (mean ablation, steering).
    public var needsActivations: Bool {
        ablation == .mean || steering || latentRanks != nil
    }
}
