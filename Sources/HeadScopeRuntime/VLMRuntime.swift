import Foundation
import HeadScopeEngine

/// A loaded vision-language model ready to answer questions about images: the engine's model,
/// its tokenizer and chat template, and its image processor, behind one seam.
///
/// Stages (extract, intervene, attribute) talk to models only through `VLMRuntime` and
/// `VLMSession`, so they can be tested with small fakes, and so that supporting a new model family
/// means implementing this seam once. Prompts are always one user turn: the image first, then the
/// text, then the assistant turn (optionally primed with `assistantPrefix`).
public protocol VLMRuntime: AnyObject, Sendable {
    /// The model's name (folder or built-in id) and a content hash of its weights.
    var identity: ModelIdentity { get }
    /// Geometry of the language decoder's heads.
    var geometry: DecoderGeometry { get }
    /// Opens a session about one image: the image is preprocessed and encoded once, and the prompt
    /// prefix every question shares (chat template up to and including the image) is prefilled once.
    func session(image: URL) throws -> any VLMSession
    /// Text of token ids (special tokens skipped).
    func decode(_ ids: [Int]) -> String
    /// The token ids of `text` as it would appear at the start of the assistant turn (no special
    /// tokens added); attribution uses the first id of an answer word as its target.
    func encodeContinuation(_ text: String) -> [Int]
}

/// The model's name and the content hash of its weights, recorded in every artifact.
public struct ModelIdentity: Sendable, Equatable, Codable {
    public var id: String
    public var sha256: String
    public init(id: String, sha256: String) {
        self.id = id
        self.sha256 = sha256
    }
}

/// Layer and head counts of the language decoder, and the width of one head's `z`.
public struct DecoderGeometry: Sendable, Equatable, Codable {
    public var layers: Int
    public var heads: Int
    public var headDim: Int
    public init(layers: Int, heads: Int, headDim: Int) {
        self.layers = layers
        self.heads = heads
        self.headDim = headDim
    }

    /// The decoder geometry of a checkpoint's configuration (query heads: one `z` slice each, also
    /// under grouped-query attention), as every runtime over the engine reports it.
    public init(_ configuration: ModelConfiguration) {
        let g = configuration.decoderAttentionGeometry
        self.init(layers: g.layers, heads: g.queryHeads, headDim: g.headDim)
    }
}

/// Questions about one image.
public protocol VLMSession: AnyObject {
    /// The token layout of the prompt for one user turn, without running the model.
    func layout(userText: String, assistantPrefix: String) throws -> PromptLayout
    /// Greedy generation for one user turn under `plan` (positions in the plan are absolute
    /// positions of `layout(userText:assistantPrefix:)`'s sequence, then the generated tokens).
    func generate(userText: String, assistantPrefix: String, plan: InterpretabilityPlan,
                  maxNewTokens: Int, stopAfter: String?) throws -> GeneratedTurn
    /// One forward pass over the prompt under `plan`: the logits at the last prompt position
    /// (the distribution of the first answer token), plus the plan's captures.
    func lastPositionLogits(userText: String, assistantPrefix: String,
                            plan: InterpretabilityPlan) throws -> ScoredPrompt
    /// `generate` for several user turns, `plans[i]` for `userTexts[i]`: the same turns as
    /// generating them one by one, possibly faster (the engine decodes them together).
    func generateAll(userTexts: [String], assistantPrefix: String, plans: [InterpretabilityPlan],
                     maxNewTokens: Int, stopAfter: String?) throws -> [GeneratedTurn]
}

extension VLMSession {
    /// One turn at a time.
    public func generateAll(userTexts: [String], assistantPrefix: String, plans: [InterpretabilityPlan],
                            maxNewTokens: Int, stopAfter: String?) throws -> [GeneratedTurn] {
        try zip(userTexts, plans).map {
            try generate(userText: $0, assistantPrefix: assistantPrefix, plan: $1, maxNewTokens: maxNewTokens, stopAfter: stopAfter)
        }
    }
}

/// Where things are in a prompt's token sequence.
public struct PromptLayout: Sendable, Equatable {
    /// The whole prompt, ending with the assistant prefix's tokens.
    public var ids: [Int]
    /// Positions of the image tokens, in the order the model's image features fill them (patch
    /// grid row-major, after any pooling).
    public var imagePositions: [Int]
    /// The image features' grid (rows x columns): image token k covers grid cell
    /// (k / columns, k % columns).
    public var imageGrid: (rows: Int, columns: Int)
    /// Positions of the user's text tokens (after the image).
    public var userTextPositions: Range<Int>
    /// Positions of the tokens that open the assistant turn (the role markers, e.g.
    /// `<|im_start|>assistant\n` or `ASSISTANT:`), before the assistant prefix.
    public var rolePositions: [Int]

    public init(ids: [Int], imagePositions: [Int], imageGrid: (rows: Int, columns: Int),
                userTextPositions: Range<Int>, rolePositions: [Int]) {
        self.ids = ids
        self.imagePositions = imagePositions
        self.imageGrid = imageGrid
        self.userTextPositions = userTextPositions
        self.rolePositions = rolePositions
    }

    public static func == (a: PromptLayout, b: PromptLayout) -> Bool {
        a.ids == b.ids && a.imagePositions == b.imagePositions && a.imageGrid.rows == b.imageGrid.rows
            && a.imageGrid.columns == b.imageGrid.columns && a.userTextPositions == b.userTextPositions
            && a.rolePositions == b.rolePositions
    }

    /// Position of the last prompt token (where the first answer token is predicted).
    public var lastPosition: Int { ids.count - 1 }
}

/// A generated answer.
public struct GeneratedTurn: Sendable {
    /// Generated text (after the assistant prefix), special tokens skipped.
    public var text: String
    /// Generated token ids.
    public var tokens: [Int]
    /// Length of the prompt; generated token i sits at position promptLength + i.
    public var promptLength: Int
    /// What the plan captured.
    public var captures: Captures

    public init(text: String, tokens: [Int], promptLength: Int, captures: Captures) {
        self.text = text
        self.tokens = tokens
        self.promptLength = promptLength
        self.captures = captures
    }
}

/// The result of scoring a prompt.
public struct ScoredPrompt: Sendable {
    /// Logits over the vocabulary at the last prompt position.
    public var logits: [Float]
    public var captures: Captures

    public init(logits: [Float], captures: Captures) {
        self.logits = logits
        self.captures = captures
    }
}
