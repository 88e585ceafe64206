/// One point of a faithfulness or completeness curve.
public struct CurvePoint: Codable, Sendable, Equatable {
    /// Number of top heads kept (faithfulness) or ablated (completeness).
    public var n: Int
    public var outcome: AnswerOutcome
}

/// Faithfulness and completeness of one head ranking on one image.
public struct RankingCurves: Codable, Sendable, Equatable {
    /// `regression`, `single_head` or `attention`.
    public var ranking: String
    /// Only the top-n heads keep image access.
    public var faithfulness: [CurvePoint]
    /// The top-n heads are ablated, the rest keep image access.
    public var completeness: [CurvePoint]
}

/// The answer under one attention knockout.
public struct KnockoutResult: Codable, Sendable, Equatable {
    public var edge: KnockoutEdge
    public var layerStart: Int
    /// Exclusive.
    public var layerEnd: Int
    public var outcome: AnswerOutcome
    /// Unblocked minus blocked target logit (> 0: blocking hurt the answer).
    public var logitDrop: Float

    enum CodingKeys: String, CodingKey {
        case edge, layerStart = "layer_start", layerEnd = "layer_end", outcome, logitDrop = "logit_drop"
    }
}

/// Everything attribution found for one image (written as results/<image id>.json).
public struct ImageResult: Codable, Sendable, Equatable {
    public var imageID: String
    public var itemID: String
    public var answer: String
    public var tags: [String: String]
    public var targetToken: Int
    public var full: AnswerOutcome
    public var empty: AnswerOutcome
    /// Fits of both outcomes; `attribution` is the one named by the config's outcome.
    public var logitFit: HeadAttribution
    public var marginFit: HeadAttribution
    public var outcome: OutcomeKind
    public var topHeads: [HeadID]
    /// Outcome drop when only that head loses image access (grid order); empty when not evaluated.
    public var singleHeadEffects: [Double]
    /// Attention mass from the last position to the image tokens, per head (grid order).
    public var attentionScores: [Double]
    public var curves: [RankingCurves]
    public var knockout: [KnockoutResult]
    /// Image tokens on the object and on the background.
    public var objectTokens: Int
    public var backgroundTokens: Int
    public var fingerprint: String

    enum CodingKeys: String, CodingKey {
        case imageID = "image_id", itemID = "item_id", answer, tags, targetToken = "target_token", full, empty
        case logitFit = "logit_fit", marginFit = "margin_fit", outcome, topHeads = "top_heads"
        case singleHeadEffects = "single_head_effects", attentionScores = "attention_scores", curves, knockout
        case objectTokens = "object_tokens", backgroundTokens = "background_tokens", fingerprint
    }

    public var attribution: HeadAttribution { outcome == .logit ? logitFit : marginFit }
}
