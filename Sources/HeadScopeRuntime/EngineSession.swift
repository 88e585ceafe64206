import Foundation
import HeadScopeEngine
import HeadScopeTokenizer

/// Questions about one image through the engine's `PrefixSession`: the image is encoded and the
/// prompt up to and including its tokens prefilled once; each question runs from there.
final class EngineSession: VLMSession {
    let runtime: EngineRuntime
    let pixels: PixelValues
    let imageTokens: Int
    let grid: (rows: Int, columns: Int)
    let prefix: PrefixSession

    init(runtime: EngineRuntime, image: URL) throws {
        guard FileManager.default.fileExists(atPath: image.path) else {
            throw RuntimeError("image not found", location: image.path)
        }
        self.runtime = runtime
        pixels = try runtime.imageInput.pixels(of: image)
        (imageTokens, grid) = try runtime.imageInput.tokens(height: pixels.height, width: pixels.width)
        // Every question shares the prompt up to the image's last token.
        let probe = try runtime.format.layout(userText: "?", assistantPrefix: "", imageTokens: imageTokens, grid: grid)
        guard let last = probe.imagePositions.last else { throw RuntimeError("the prompt has no image tokens") }
        prefix = try runtime.model.session(prefix: Array(probe.ids[...last]), images: [pixels])
    }

    func layout(userText: String, assistantPrefix: String) throws -> PromptLayout {
        try runtime.format.layout(userText: userText, assistantPrefix: assistantPrefix, imageTokens: imageTokens, grid: grid)
    }

    /// Runs `ids` under `plan`: through the prefix session when the prompt starts with its prefix
    /// (it always does unless the tokenizer merges across the image boundary), else from scratch.
    private func run(_ ids: [Int], plan: InterpretabilityPlan, options: GenerationOptions) throws -> GenerationResult {
        if ids.count > prefix.prefix.count, ids.starts(with: prefix.prefix) {
            return try prefix.generate(continuation: Array(ids[prefix.prefix.count...]), plan: plan, options: options)
        }
        return try runtime.model.generate(prompt: ids, images: [pixels], plan: plan, options: options)
    }

    func generate(userText: String, assistantPrefix: String, plan: InterpretabilityPlan,
                  maxNewTokens: Int, stopAfter: String?) throws -> GeneratedTurn {
        let layout = try layout(userText: userText, assistantPrefix: assistantPrefix)
        return turn(try run(layout.ids, plan: plan, options: options(maxNewTokens: maxNewTokens, stopAfter: stopAfter)))
    }

    /// Through the prefix session's batched decoding when every prompt starts with its prefix.
    func generateAll(userTexts: [String], assistantPrefix: String, plans: [InterpretabilityPlan],
                     maxNewTokens: Int, stopAfter: String?) throws -> [GeneratedTurn] {
        let ids = try userTexts.map { try layout(userText: $0, assistantPrefix: assistantPrefix).ids }
        let options = options(maxNewTokens: maxNewTokens, stopAfter: stopAfter)
        guard ids.allSatisfy({ $0.count > prefix.prefix.count && $0.starts(with: prefix.prefix) }) else {
            return try zip(ids, plans).map { turn(try run($0, plan: $1, options: options)) }
        }
        return try prefix.generateBatch(continuations: ids.map { Array($0[prefix.prefix.count...]) }, plans: plans,
                                        options: options).map(turn)
    }

    /// Greedy settings: the model's end-of-sequence ids, and a stop once the text holds `stopAfter`.
    private func options(maxNewTokens: Int, stopAfter: String?) -> GenerationOptions {
        let tokenizer = runtime.tokenizer
        var stop: (@Sendable ([Int]) -> Bool)? = nil
        if let marker = stopAfter, !marker.isEmpty {
            stop = { ids in tokenizer.decode(ids, skipSpecialTokens: true).contains(marker) }
        }
        return GenerationOptions(maxNewTokens: maxNewTokens, eosTokenIds: runtime.endOfSequence, stop: stop)
    }

    private func turn(_ result: GenerationResult) -> GeneratedTurn {
        GeneratedTurn(text: runtime.decode(result.tokens), tokens: result.tokens,
                      promptLength: result.promptLength, captures: result.captures)
    }

    func lastPositionLogits(userText: String, assistantPrefix: String, plan: InterpretabilityPlan) throws -> ScoredPrompt {
        let layout = try layout(userText: userText, assistantPrefix: assistantPrefix)
        // One new token: the prompt is prefilled under the plan and nothing is fed back.
        let result = try run(layout.ids, plan: plan, options: GenerationOptions(maxNewTokens: 1, eosTokenIds: runtime.endOfSequence))
        return ScoredPrompt(logits: result.promptLogits, captures: result.captures)
    }
}
