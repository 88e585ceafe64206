import HeadScopeEngine
import HeadScopeRuntime

/// Attribution of one image: random keep-mask runs, the fits, the evaluation curves and the
/// attention knockout, all through one model session.
public struct ImageAttributor {
    public let session: any VLMSession
    public let layout: PromptLayout
    public let userText: String
    public let config: AttributionConfig
    public let baseline: BaselineKV
    public let target: Int
    public var grid: HeadGrid { baseline.grid }
    /// Called once per model run (progress).
    public var onRun: () -> Void = {}

    public init(session: any VLMSession, userText: String, config: AttributionConfig, baseline: BaselineKV,
                target: Int, imageID: String) throws {
        self.session = session
        self.userText = userText
        self.config = config
        self.baseline = baseline
        self.target = target
        self.layout = try session.layout(userText: userText, assistantPrefix: config.assistantPrefix)
        try baseline.requireMatches(layout, imageID: imageID)
    }

    /// One forward pass under `plan`.
    public func run(_ plan: InterpretabilityPlan) throws -> (AnswerOutcome, Captures) {
        let scored = try session.lastPositionLogits(userText: userText, assistantPrefix: config.assistantPrefix, plan: plan)
        onRun()
        return (try AnswerOutcome(logits: scored.logits, target: target), scored.captures)
    }

    /// Outcome when exactly `ablated` lose image access.
    public func outcome(ablating ablated: [HeadID]) throws -> AnswerOutcome {
        try run(baseline.plan(ablating: ablated)).0
    }

    /// Runs the keep-masks drawn for this image.
    public func sampleRuns(imageID: String, itemID: String, fingerprint: String) throws -> ImageRuns {
        let k = grid.count
        let masks = KeepMaskSampler(keepProbability: config.keepProbability, seed: config.seed)
            .masks(count: config.masks, heads: k, stream: imageID)
        var logits: [Float] = [], margins: [Float] = []
        logits.reserveCapacity(config.masks)
        margins.reserveCapacity(config.masks)
        for i in 0..<config.masks {
            let o = try run(baseline.plan(keep: masks[(i * k)..<((i + 1) * k)])).0
            logits.append(o.logit)
            margins.append(o.margin)
        }
        let full = try outcome(ablating: [])
        let empty = try outcome(ablating: grid.all)
        return ImageRuns(imageID: imageID, itemID: itemID, targetToken: target, grid: grid, masks: masks,
                         logits: logits, margins: margins, full: full, empty: empty, fingerprint: fingerprint)
    }

    /// Outcome drop when each head alone loses image access (`full - ablated`, grid order).
    public func singleHeadEffects(full: AnswerOutcome) throws -> [Double] {
        try grid.all.map { Double(full.value(config.outcome) - (try outcome(ablating: [$0])).value(config.outcome)) }
    }

    /// Attention mass each head gives the image tokens from the last prompt position, unablated.
    public func attentionScores() throws -> [Double] {
        let plan = InterpretabilityPlan(attentionCaptures: [CaptureRequest(tower: .language, positions: .list([layout.lastPosition]))])
        let captures = try run(plan).1
        guard let attention = captures.attention.first else {
            throw AttributionError("the run returned no attention capture", remedy: "the runtime must honour plan.attentionCaptures")
        }
        return try grid.all.map { id in
            guard let row = attention.row(query: layout.lastPosition, layer: id.layer, head: id.head) else {
                throw AttributionError("attention capture lacks layer \(id.layer) head \(id.head)")
            }
            var s = 0.0
            for p in layout.imagePositions where p < row.count { s += Double(row[row.startIndex + p]) }
            return s
        }
    }

    /// Faithfulness and completeness of a ranking over `sizes`.
    public func curves(name: String, ranking: [HeadID], sizes: [Int], full: AnswerOutcome, empty: AnswerOutcome) throws -> RankingCurves {
        var faith: [CurvePoint] = [], comp: [CurvePoint] = []
        for n in sizes {
            let top = Array(ranking.prefix(n))
            let topSet = Set(top)
            let rest = grid.all.filter { !topSet.contains($0) }
            faith.append(CurvePoint(n: n, outcome: n == 0 ? empty : (n == grid.count ? full : try outcome(ablating: rest))))
            comp.append(CurvePoint(n: n, outcome: n == 0 ? full : (n == grid.count ? empty : try outcome(ablating: top))))
        }
        return RankingCurves(ranking: name, faithfulness: faith, completeness: comp)
    }

    /// Knockout of every configured edge in every layer window.
    public func knockout(groups: TokenGroups, topHeads: [HeadID], full: AnswerOutcome) throws -> [KnockoutResult] {
        var out: [KnockoutResult] = []
        for window in AttentionKnockout.windows(layers: grid.layers, width: config.knockoutWindow, stride: config.knockoutStride) {
            for edge in config.knockoutEdges {
                guard let plan = AttentionKnockout.plan(edge: edge, groups: groups, window: window,
                                                        heads: config.knockoutTopHeadsOnly ? topHeads : nil) else { continue }
                let o = try run(plan).0
                out.append(KnockoutResult(edge: edge, layerStart: window.lowerBound, layerEnd: window.upperBound,
                                          outcome: o, logitDrop: full.logit - o.logit))
            }
        }
        return out
    }
}
