/// Everything that shapes an attribution run (recorded in the manifest).
public struct AttributionConfig: Codable, Sendable, Equatable {
    /// Keep-masks per image.
    public var masks: Int
    /// Probability that a head keeps image access in a random mask.
    public var keepProbability: Double
    public var seed: UInt64
    /// The outcome the attributions, curves and rankings use (both are fitted and stored).
    public var outcome: OutcomeKind
    public var fit: FitSettings
    /// Size of each image's top set (nil: ceil(0.1 * layers * heads)).
    public var topK: Int?
    /// Set sizes for the faithfulness/completeness curves (nil: 0, 1, 2, 4, ... up to all heads).
    public var curveSizes: [Int]?
    public var baseline: BaselineKind
    /// Reference images for the mean baseline.
    public var referenceImages: Int
    /// Knockout: layer window width and stride, and whether to block inside the top heads only.
    public var knockoutWindow: Int
    public var knockoutStride: Int
    public var knockoutTopHeadsOnly: Bool
    public var knockoutEdges: [KnockoutEdge]
    /// Share of a grid cell the main object must cover for the cell to count as object.
    public var objectThreshold: Double
    /// Whether to run the evaluation (curves) and knockout stages.
    public var evaluate: Bool
    public var knockout: Bool
    /// Limit on images (nil: all), and the split to use (nil: all).
    public var maxImages: Int?
    public var split: String?
    public var assistantPrefix: String

    enum CodingKeys: String, CodingKey {
        case masks, keepProbability = "keep_probability", seed, outcome, fit, topK = "top_k"
        case curveSizes = "curve_sizes", baseline, referenceImages = "reference_images"
        case knockoutWindow = "knockout_window", knockoutStride = "knockout_stride"
        case knockoutTopHeadsOnly = "knockout_top_heads_only", knockoutEdges = "knockout_edges"
        case objectThreshold = "object_threshold", evaluate, knockout, maxImages = "max_images", split
        case assistantPrefix = "assistant_prefix"
    }

    public init(masks: Int = 1000, keepProbability: Double = 0.9, seed: UInt64 = 42, outcome: OutcomeKind = .logit,
                fit: FitSettings = FitSettings(), topK: Int? = nil, curveSizes: [Int]? = nil,
                baseline: BaselineKind = .mean, referenceImages: Int = 8, knockoutWindow: Int = 3,
                knockoutStride: Int = 1, knockoutTopHeadsOnly: Bool = true,
                knockoutEdges: [KnockoutEdge] = KnockoutEdge.standard, objectThreshold: Double = 0.5,
                evaluate: Bool = true, knockout: Bool = true, maxImages: Int? = nil, split: String? = nil,
                assistantPrefix: String = "") {
        self.masks = masks; self.keepProbability = keepProbability; self.seed = seed; self.outcome = outcome
        self.fit = fit; self.topK = topK; self.curveSizes = curveSizes; self.baseline = baseline
        self.referenceImages = referenceImages; self.knockoutWindow = knockoutWindow
        self.knockoutStride = knockoutStride; self.knockoutTopHeadsOnly = knockoutTopHeadsOnly
        self.knockoutEdges = knockoutEdges; self.objectThreshold = objectThreshold; self.evaluate = evaluate
        self.knockout = knockout; self.maxImages = maxImages; self.split = split; self.assistantPrefix = assistantPrefix
    }

    /// Checks the settings, naming the first bad one.
    public func validate() throws {
        func bad(_ what: String) -> AttributionError { AttributionError("attribution setting \(what)") }
        guard masks >= 10 else { throw bad("masks = \(masks): need at least 10 masks per image") }
        guard keepProbability > 0, keepProbability < 1 else { throw bad("keep_probability = \(keepProbability): must be strictly between 0 and 1") }
        guard fit.heldOutFraction >= 0, fit.heldOutFraction < 0.9 else { throw bad("held_out_fraction = \(fit.heldOutFraction): must be in [0, 0.9)") }
        guard fit.ridgeLambda >= 0 else { throw bad("ridge_lambda = \(fit.ridgeLambda): must be >= 0") }
        guard fit.lassoMinRatio > 0, fit.lassoMinRatio < 1 else { throw bad("lasso_min_ratio = \(fit.lassoMinRatio): must be in (0, 1)") }
        guard referenceImages >= 1 else { throw bad("reference_images = \(referenceImages): must be >= 1") }
        guard knockoutWindow >= 1, knockoutStride >= 1 else { throw bad("knockout window/stride must be >= 1") }
        guard objectThreshold > 0, objectThreshold <= 1 else { throw bad("object_threshold = \(objectThreshold): must be in (0, 1]") }
        if let topK, topK < 1 { throw bad("top_k = \(topK): must be >= 1") }
        if let maxImages, maxImages < 1 { throw bad("max_images = \(maxImages): must be >= 1") }
    }

    /// The top-set size for a grid.
    public func topSize(_ grid: HeadGrid) -> Int {
        min(grid.count, topK ?? Int((0.1 * Double(grid.count)).rounded(.up)))
    }

    /// Curve set sizes for a grid.
    public func sizes(_ grid: HeadGrid) -> [Int] {
        if let curveSizes { return Array(Set(curveSizes.filter { $0 >= 0 && $0 <= grid.count })).sorted() }
        var s = [0]
        var n = 1
        while n < grid.count { s.append(n); n *= 2 }
        s.append(grid.count)
        return s
    }
}
