import Foundation

/// How logits come back from a forward pass.
public enum LogitSelection: Sendable {
    /// Every position: `[tokens, vocab]`.
    case all
    /// The last position only: `[vocab]`.
    case last
}

/// The outputs of one forward pass over a full sequence.
public struct ForwardResult: Sendable {
    public var logits: [Float]
    public var captures: Captures
    /// Projected image features, `[rows, hidden]`.
    public var imageFeatures: [Float]
}

/// Greedy decoding settings.
public struct GenerationOptions: Sendable {
    public var maxNewTokens: Int
    /// Ids that end generation (included in the output); nil: the config's `eos_token_id`.
    public var eosTokenIds: [Int]?
    /// Sees the generated ids after each step; true stops (stop strings need the tokenizer, so
    /// the caller decides).
    public var stop: (@Sendable ([Int]) -> Bool)?
    /// Also feed the last generated token through the model (its logits are discarded), so plans
    /// capture and edit it like the other generated tokens; without this the last token, which
    /// decoding never needs to feed back, has no activations.
    public var feedLastToken: Bool

    public init(maxNewTokens: Int = 128, eosTokenIds: [Int]? = nil, stop: (@Sendable ([Int]) -> Bool)? = nil,
                feedLastToken: Bool = false) {
        self.maxNewTokens = maxNewTokens; self.eosTokenIds = eosTokenIds; self.stop = stop
        self.feedLastToken = feedLastToken
    }
}

/// Why generation ended.
public enum StopReason: String, Sendable { case endOfSequence, stopPredicate, maxTokens }

/// The result of a generation run.
public struct GenerationResult: Sendable {
    /// Generated ids, in order (an end-of-sequence id that stopped the run included).
    public var tokens: [Int]
    public var promptLength: Int
    /// Logits at the last prompt position (what chose the first generated token).
    public var promptLogits: [Float]
    public var captures: Captures
    public var stopReason: StopReason
    /// How many cached positions a session reused (its prefix, and possibly more of the previous
    /// plan-free run); 0 outside sessions.
    public var reusedLength: Int
    /// Whether a session's whole cached prefix was reused.
    public var reusedPrefix: Bool
}

extension VisionLanguageModel {
    /// One forward pass over `tokens` (no cache reuse) under `plan`; `promptLength` says where
    /// generated positions start for the plan's selectors (default: all tokens are prompt).
    public func forward(tokens: [Int], images: [PixelValues] = [], plan: InterpretabilityPlan = .init(),
                        promptLength: Int? = nil, logits: LogitSelection = .all) throws -> ForwardResult {
        guard !tokens.isEmpty else { throw EngineError(.input, "no tokens to run") }
        let runtime = try PlanRuntime(plan, geometry: geometry, promptLength: promptLength ?? tokens.count)
        let (features, rows) = try encode(images, runtime: runtime)
        let d = configuration.textConfig.hiddenSize
        let x = UnsafeMutablePointer<Float>.allocate(capacity: tokens.count * d)
        defer { x.deallocate() }
        try embed(tokens, range: 0..<tokens.count, features: features, featureRows: rows, into: x)
        let cache = try newCache(capacity: tokens.count, tokens: tokens, images: images)
        let out = try decoder.forward(x, rows: tokens.count, cache: cache, runtime: runtime,
                                      logitRows: logits == .all ? tokens.count : 1)
        return ForwardResult(logits: out, captures: runtime.finish(), imageFeatures: features)
    }

    /// Greedy generation from `prompt` under `plan` (image encoding, prefill, then one token at a
    /// time through the KV cache).
    public func generate(prompt: [Int], images: [PixelValues] = [], plan: InterpretabilityPlan = .init(),
                         options: GenerationOptions = .init()) throws -> GenerationResult {
        guard !prompt.isEmpty else { throw EngineError(.input, "empty prompt") }
        let runtime = try PlanRuntime(plan, geometry: geometry, promptLength: prompt.count)
        let (features, rows) = try encode(images, runtime: runtime)
        let cache = try newCache(capacity: prompt.count + options.maxNewTokens, tokens: prompt, images: images)
        return try decode(prompt: prompt, cache: cache, features: features, featureRows: rows,
                          runtime: runtime, options: options)
    }

    /// Prefills `prompt[cache.count...]` and decodes greedily.
    func decode(prompt: [Int], cache: KVCache, features: [Float], featureRows: Int, runtime: PlanRuntime,
                options: GenerationOptions, reusedLength: Int = 0, reused: Bool = false) throws -> GenerationResult {
        let d = configuration.textConfig.hiddenSize, vocab = configuration.textConfig.vocabSize
        let start = cache.count
        let x = UnsafeMutablePointer<Float>.allocate(capacity: max(prompt.count - start, 1) * d)
        defer { x.deallocate() }
        try embed(prompt, range: start..<prompt.count, features: features, featureRows: featureRows, into: x)
        cache.reserve(prompt.count + options.maxNewTokens)
        var logits = try decoder.forward(x, rows: prompt.count - start, cache: cache, runtime: runtime, logitRows: 1)
        let promptLogits = logits
        let eos = Set(options.eosTokenIds ?? configuration.eosTokenIds)
        var generated: [Int] = []
        var reason = StopReason.maxTokens
        while generated.count < options.maxNewTokens {
            var best = 0
            for i in 1..<vocab where logits[i] > logits[best] { best = i }
            generated.append(best)
            if eos.contains(best) { reason = .endOfSequence; break }
            if let stop = options.stop, stop(generated) { reason = .stopPredicate; break }
            if generated.count == options.maxNewTokens { break }
            try decoder.embed([best][0..<1], into: x)
            logits = try decoder.forward(x, rows: 1, cache: cache, runtime: runtime, logitRows: 1)
        }
        if options.feedLastToken, let last = generated.last {
            try decoder.embed([last][0..<1], into: x)
            _ = try decoder.forward(x, rows: 1, cache: cache, runtime: runtime, logitRows: 0)
        }
        return GenerationResult(tokens: generated, promptLength: prompt.count, promptLogits: promptLogits,
                                captures: runtime.finish(), stopReason: reason, reusedLength: reusedLength, reusedPrefix: reused)
    }

    /// Starts a session whose prompts all begin with `prefix` (e.g. system text and the image):
    /// the image is encoded and the prefix prefilled once.
    public func session(prefix: [Int], images: [PixelValues] = []) throws -> PrefixSession {
        try PrefixSession(model: self, prefix: prefix, images: images)
    }
}

/// Several prompts sharing a prefix: the image encoding and the prefix's KV cache are computed
/// once; each run truncates the cache back to what it shares with the tokens already there and
/// continues from there.
///
/// Beyond the fixed prefix, a run also reuses what it has in common with the previous plan-free
/// run (questions that begin alike, or one asked twice), as long as that run's plan only observed
/// (captures): then the cache holds plain keys and values for its prompt and fed-back tokens.
///
/// Plans are honoured exactly: attention is causal, so a plan can only change positions from the
/// first one it addresses (`InterpretabilityPlan.firstLanguagePosition`); the session reuses the
/// cache up to there and recomputes the rest under the plan (`reusedLength` says how much was
/// reused). A later run first restores the plain prefix. A plan addressing the vision tower
/// re-encodes the image and recomputes everything. Not safe for concurrent use.
public final class PrefixSession {
    public let model: VisionLanguageModel
    public let prefix: [Int]
    let images: [PixelValues]
    let features: [Float]
    let featureRows: Int
    let cache: KVCache
    /// The tokens at cache positions 0..<plain.count, whose keys and values are the plain
    /// (plan-free) ones.
    private var plain: [Int] = []

    init(model: VisionLanguageModel, prefix: [Int], images: [PixelValues]) throws {
        guard !prefix.isEmpty else { throw EngineError(.input, "empty prefix") }
        self.model = model
        self.prefix = prefix
        self.images = images
        (features, featureRows) = try model.encode(images, runtime: nil)
        let imageToken = model.configuration.imageToken ?? -1
        let inPrefix = prefix.filter { $0 == imageToken }.count
        guard inPrefix == featureRows else {
            throw EngineError(.input, "the prefix must hold every image token: it has \(inPrefix), the images give \(featureRows) feature rows")
        }
        cache = try model.newCache(capacity: prefix.count * 2, tokens: prefix, images: images)
        try prefillPrefix(from: 0, to: prefix.count)
    }

    /// Computes the plain prefix at positions `start..<end` (the cache is cut to `start` first).
    private func prefillPrefix(from start: Int, to end: Int) throws {
        cache.truncate(to: start)
        plain = Array(prefix[..<start])
        guard start < end else { return }
        let d = model.configuration.textConfig.hiddenSize
        let x = UnsafeMutablePointer<Float>.allocate(capacity: (end - start) * d)
        defer { x.deallocate() }
        try model.embed(prefix, range: start..<end, features: features, featureRows: featureRows, into: x)
        _ = try model.decoder.forward(x, rows: end - start, cache: cache, runtime: nil, logitRows: 0)
        plain = Array(prefix[..<end])
    }

    /// Generates for `prefix + continuation` under `plan`.
    public func generate(continuation: [Int], plan: InterpretabilityPlan = .init(),
                         options: GenerationOptions = .init()) throws -> GenerationResult {
        guard !continuation.isEmpty else { throw EngineError(.input, "empty continuation: the last prompt token must be new") }
        let prompt = prefix + continuation
        if plan.touchesVision {
            return try model.generate(prompt: prompt, images: images, plan: plan, options: options)
        }
        let runtime = try PlanRuntime(plan, geometry: model.geometry, promptLength: prompt.count)
        // Reusable: positions before the plan's first, and never the last prompt position (its
        // logits start the generation).
        let limit = min(prompt.count - 1, plan.firstLanguagePosition(promptLength: prompt.count) ?? prompt.count)
        var reuse = zip(plain, prompt).prefix(limit).prefix { $0.0 == $0.1 }.count
        let prefixNeeded = min(prefix.count, limit)
        if reuse < prefixNeeded {
            try prefillPrefix(from: reuse, to: prefixNeeded)   // an earlier plan changed part of the prefix
            reuse = prefixNeeded
        }
        cache.truncate(to: reuse)
        plain = Array(prompt[..<reuse])   // from here on the cache holds this run's positions
        let result = try model.decode(prompt: prompt, cache: cache, features: features, featureRows: featureRows,
                                      runtime: runtime, options: options, reusedLength: reuse, reused: reuse >= prefix.count)
        if !plan.changesLanguageComputation {
            plain = Array((prompt + result.tokens).prefix(cache.count))
        }
        return result
    }
}
