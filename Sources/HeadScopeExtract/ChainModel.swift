import Foundation
import HeadScopeActivations

/// What the extract stage needs from a model: answer subquestions about one image at a time and
/// report every language-decoder head's `z` while answering.
///
/// The seam keeps the stage independent of how prompts become tokens (tokenizer, chat template,
/// image placeholder expansion) and of the engine's session mechanics; `EngineChainModel`
/// implements it on HeadScope's engine, tests implement it with a deterministic fake.
public protocol ChainModel: Sendable {
    /// The model's name (or folder) and a content hash of its weights, for provenance.
    var identity: (id: String, sha256: String) { get }
    /// Geometry of `z`: decoder layers, query heads per layer, head dimension.
    var geometry: (layers: Int, heads: Int, headDim: Int) { get }
    /// Starts answering questions about one image; the session may reuse the image encoding and
    /// the shared prompt prefix across its questions.
    func session(image: URL) throws -> any ChainSession
}

/// Questions about one image.
public protocol ChainSession {
    /// Generates the answer to one user turn (the image comes first, as the chat template places
    /// it) and returns `z` pooled by `positions`.
    func answer(_ userText: String, positions: PositionPolicy) throws -> AnsweredTurn
    /// `answer` for several independent user turns: the same turns, possibly faster (answered
    /// together).
    func answerAll(_ userTexts: [String], positions: PositionPolicy) throws -> [AnsweredTurn]
}

extension ChainSession {
    /// One turn at a time.
    public func answerAll(_ userTexts: [String], positions: PositionPolicy) throws -> [AnsweredTurn] {
        try userTexts.map { try answer($0, positions: positions) }
    }
}

/// One answered turn: the generated text and the `z` rows of the answer.
public struct AnsweredTurn: Sendable {
    /// The generated text (after the primed answer prefix), decoded.
    public var generated: String
    /// Sequence position of the first generated token.
    public var answerStart: Int
    /// Number of generated tokens that `z` was pooled over (0 for `last-prompt`).
    public var answerLength: Int
    /// `[layers * heads * headDim]` per row: one row for pooled policies, one per answer token
    /// for `all-tokens`.
    public var z: [[Float]]

    public init(generated: String, answerStart: Int, answerLength: Int, z: [[Float]]) {
        self.generated = generated
        self.answerStart = answerStart
        self.answerLength = answerLength
        self.z = z
    }
}
