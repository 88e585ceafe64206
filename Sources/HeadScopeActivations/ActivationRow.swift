/// One row of the activation store: a judged subquestion (or one answer token of it) and the
/// per-head outputs `z` recorded while the model answered it. See docs/activation-format.md.
public struct ActivationRow: Sendable, Equatable {
    public var itemID: String
    public var step: Int
    public var function: String
    public var subquestion: String
    public var referenceAnswer: String
    public var modelAnswer: String
    public var rawOutput: String
    public var correct: Bool
    /// Position of the first generated token in the sequence.
    public var answerStart: Int
    /// Number of generated tokens pooled into `z` (0 for the last-prompt-token policy).
    public var answerLength: Int
    /// For the all-tokens policy, the token's index in the answer; -1 otherwise.
    public var tokenIndex: Int
    /// Image path relative to `prepared/`.
    public var image: String
    public var split: String
    /// `[layers, heads, headDim]`, row-major.
    public var z: [Float]

    public init(itemID: String, step: Int, function: String, subquestion: String, referenceAnswer: String,
                modelAnswer: String, rawOutput: String, correct: Bool, answerStart: Int, answerLength: Int,
                tokenIndex: Int = -1, image: String, split: String, z: [Float]) {
        self.itemID = itemID
        self.step = step
        self.function = function
        self.subquestion = subquestion
        self.referenceAnswer = referenceAnswer
        self.modelAnswer = modelAnswer
        self.rawOutput = rawOutput
        self.correct = correct
        self.answerStart = answerStart
        self.answerLength = answerLength
        self.tokenIndex = tokenIndex
        self.image = image
        self.split = split
        self.z = z
    }
}

/// Where the recorded `z` comes from in the answer (`--positions`).
public enum PositionPolicy: String, Codable, Sendable, CaseIterable {
    /// Mean over the generated answer tokens (the default, as the papers do).
    case mean
    /// The last prompt token, before any answer token (as ITI does).
    case lastPrompt = "last-prompt"
    /// The first generated answer token.
    case firstAnswer = "first-answer"
    /// Every generated answer token, one row each.
    case allTokens = "all-tokens"
}

/// Provenance and geometry shared by every file of a store (root attributes).
public struct StoreAttributes: Sendable, Equatable {
    public static let schemaVersion = "headscope-activations/1"

    public var toolVersion: String
    public var modelID: String
    public var modelSHA256: String
    public var layers: Int
    public var heads: Int
    public var headDim: Int
    public var promptTemplate: String
    public var contextPolicy: String
    public var positionPolicy: String
    public var judge: String
    /// Store `z` as IEEE half instead of float32.
    public var half: Bool

    public init(toolVersion: String, modelID: String, modelSHA256: String, layers: Int, heads: Int, headDim: Int,
                promptTemplate: String, contextPolicy: String, positionPolicy: String, judge: String, half: Bool = false) {
        self.toolVersion = toolVersion
        self.modelID = modelID
        self.modelSHA256 = modelSHA256
        self.layers = layers
        self.heads = heads
        self.headDim = headDim
        self.promptTemplate = promptTemplate
        self.contextPolicy = contextPolicy
        self.positionPolicy = positionPolicy
        self.judge = judge
        self.half = half
    }

    /// Values per row of `z`.
    public var rowWidth: Int { layers * heads * headDim }

    /// The first attribute on which two stores disagree, as "name: a vs b", or nil when they are
    /// compatible (same model, geometry, prompt and policies; the tool version may differ).
    public func incompatibility(with other: StoreAttributes) -> String? {
        let pairs: [(String, String, String)] = [
            ("model_id", modelID, other.modelID), ("model_sha256", modelSHA256, other.modelSHA256),
            ("num_layers", "\(layers)", "\(other.layers)"), ("num_heads", "\(heads)", "\(other.heads)"),
            ("head_dim", "\(headDim)", "\(other.headDim)"), ("prompt_template", promptTemplate, other.promptTemplate),
            ("context_policy", contextPolicy, other.contextPolicy), ("position_policy", positionPolicy, other.positionPolicy),
            ("judge", judge, other.judge), ("dtype", half ? "float16" : "float32", other.half ? "float16" : "float32"),
        ]
        return pairs.first { $0.1 != $0.2 }.map { "\($0.0): \($0.1) vs \($0.2)" }
    }
}
