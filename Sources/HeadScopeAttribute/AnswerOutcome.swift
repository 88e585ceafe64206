/// What one run says about the target answer token at the last prompt position.
public struct AnswerOutcome: Codable, Sendable, Equatable {
    /// The target token's logit.
    public var logit: Float
    /// Target logit minus the largest other logit (> 0: the target is the greedy answer).
    public var margin: Float

    public init(logit: Float, margin: Float) {
        self.logit = logit
        self.margin = margin
    }

    /// Reads the target's logit and margin from a logit vector.
    public init(logits: [Float], target: Int) throws {
        guard logits.indices.contains(target) else {
            throw AttributionError("target token \(target) is outside the vocabulary of \(logits.count) logits",
                                   remedy: "check that the runtime's tokenizer matches its model")
        }
        var best = -Float.infinity
        for (i, v) in logits.enumerated() where i != target && v > best { best = v }
        logit = logits[target]
        margin = logits[target] - best
    }

    public func value(_ kind: OutcomeKind) -> Float { kind == .logit ? logit : margin }

    /// Whether the target is the top token.
    public var isTop: Bool { margin > 0 }
}
