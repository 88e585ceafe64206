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

    /// Prefills `prompt[cache.count...]` and decodes greedily (a batch of one).
    func decode(prompt: [Int], cache: KVCache, features: [Float], featureRows: Int, runtime: PlanRuntime,
                options: GenerationOptions, reusedLength: Int = 0, reused: Bool = false) throws -> GenerationResult {
        cache.reserve(prompt.count + options.maxNewTokens)
        return try decodeBatch(prompts: [prompt], caches: [cache], runtimes: [runtime], features: features,
                               featureRows: featureRows, options: options, reusedLength: reusedLength, reused: reused)[0]
    }

    /// Greedy decoding of several prompts at once, each continuing its own cache (which already
    /// holds the prompt's first `cache.count` positions) under its own plan: the prompts' new
    /// positions are prefilled in one pass, then every step feeds one token per unfinished prompt
    /// through one batched decoder pass. A prompt stops at an end-of-sequence id, when
    /// `options.stop` says so, or at `maxNewTokens`; it gets the same tokens as decoding it alone
    /// (values agree to float rounding: the matrix products run over more rows).
    func decodeBatch(prompts: [[Int]], caches: [KVCache], runtimes: [PlanRuntime], features: [Float], featureRows: Int,
                     options: GenerationOptions, reusedLength: Int, reused: Bool) throws -> [GenerationResult] {
        let d = configuration.textConfig.hiddenSize, vocab = configuration.textConfig.vocabSize
        let n = prompts.count
        let newRows = zip(prompts, caches).map { $0.count - $1.count }
        let x = UnsafeMutablePointer<Float>.allocate(capacity: max(newRows.reduce(0, +), n, 1) * d)
        defer { x.deallocate() }
        var row = 0
        for (prompt, cache) in zip(prompts, caches) {
            try embed(prompt, range: cache.count..<prompt.count, features: features, featureRows: featureRows, into: x + row * d)
            row += prompt.count - cache.count
        }
        var logits = try decoder.forward(x, segments: (0..<n).map {
            DecoderSegment(rows: newRows[$0], cache: caches[$0], runtime: runtimes[$0], logitRows: 1)
        })
        let promptLogits = logits
        let eos = Set(options.eosTokenIds ?? configuration.eosTokenIds)
        var generated = [[Int]](repeating: [], count: n)
        var reasons = [StopReason](repeating: .maxTokens, count: n)
        var active = options.maxNewTokens > 0 ? Array(0..<n) : []
        while !active.isEmpty {
            // Each unfinished prompt picks its token; those going on feed it back with logits,
            // those done feed it without (feedLastToken) or leave.
            var feed: [(index: Int, token: Int, goesOn: Bool)] = []
            for i in active {
                var best = 0
                for v in 1..<vocab where logits[i][v] > logits[i][best] { best = v }
                generated[i].append(best)
                var done = generated[i].count >= options.maxNewTokens
                if eos.contains(best) { reasons[i] = .endOfSequence; done = true }
                else if let stop = options.stop, stop(generated[i]) { reasons[i] = .stopPredicate; done = true }
                if !done || options.feedLastToken { feed.append((i, best, !done)) }
            }
            guard !feed.isEmpty else { break }
            for (r, f) in feed.enumerated() { try decoder.embed([f.token][0..<1], into: x + r * d) }
            let out = try decoder.forward(x, segments: feed.map {
                DecoderSegment(rows: 1, cache: caches[$0.index], runtime: runtimes[$0.index], logitRows: $0.goesOn ? 1 : 0)
            })
            for (f, l) in zip(feed, out) where f.goesOn { logits[f.index] = l }
            active = feed.filter(\.goesOn).map(\.index)
        }
        return (0..<n).map { i in
            GenerationResult(tokens: generated[i], promptLength: prompts[i].count, promptLogits: promptLogits[i],
                             captures: runtimes[i].finish(), stopReason: reasons[i], reusedLength: reusedLength, reusedPrefix: reused)
        }
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
        try prefillPlain(prefix, from: start, to: end)
    }

    /// Computes plain (plan-free) keys and values of `tokens` at positions `start..<end` after the
    /// first `start` (the cache is cut to `start` first; `tokens` must begin with the cached ones).
    private func prefillPlain(_ tokens: [Int], from start: Int, to end: Int) throws {
        cache.truncate(to: start)
        plain = Array(tokens[..<start])
        guard start < end else { return }
        let d = model.configuration.textConfig.hiddenSize
        let x = UnsafeMutablePointer<Float>.allocate(capacity: (end - start) * d)
        defer { x.deallocate() }
        try model.embed(tokens, range: start..<end, features: features, featureRows: featureRows, into: x)
        _ = try model.decoder.forward(x, rows: end - start, cache: cache, runtime: nil, logitRows: 0)
        plain = Array(tokens[..<end])
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

    /// Generates for `prefix + continuation` of every continuation at once, each under its plan:
    /// the positions all prompts share (beyond the prefix too, e.g. a common instruction) are
    /// computed once, then each prompt continues its own copy of the cache and every decoding
    /// step feeds all unfinished prompts through one batched pass, reading the weights once for
    /// all of them. Gives what calling `generate` for each in turn gives (the same tokens; values
    /// within float rounding). Plans that change the decoder or touch the vision tower, and
    /// multimodal-RoPE models, run one at a time.
    public func generateBatch(continuations: [[Int]], plans: [InterpretabilityPlan]? = nil,
                              options: GenerationOptions = .init()) throws -> [GenerationResult] {
        let plans = plans ?? Array(repeating: InterpretabilityPlan(), count: continuations.count)
        guard plans.count == continuations.count else {
            throw EngineError(.input, "\(continuations.count) continuations but \(plans.count) plans")
        }
        if continuations.count < 2 || cache.mropePositions != nil
            || plans.contains(where: { $0.touchesVision || $0.changesLanguageComputation }) {
            return try zip(continuations, plans).map { try generate(continuation: $0, plan: $1, options: options) }
        }
        guard continuations.allSatisfy({ !$0.isEmpty }) else {
            throw EngineError(.input, "empty continuation: the last prompt token must be new")
        }
        let prompts = continuations.map { prefix + $0 }
        // Shared: what every prompt has in common, short of each one's last position (its logits
        // start its generation) and of the first position its plan observes.
        var shared = prompts[0].count
        for (prompt, plan) in zip(prompts, plans) {
            let limit = min(prompt.count - 1, plan.firstLanguagePosition(promptLength: prompt.count) ?? prompt.count)
            shared = min(shared, limit, zip(prompts[0], prompt).prefix { $0.0 == $0.1 }.count)
        }
        var reuse = zip(plain, prompts[0]).prefix(shared).prefix { $0.0 == $0.1 }.count
        let prefixNeeded = min(prefix.count, shared)
        if reuse < prefixNeeded {
            try prefillPrefix(from: reuse, to: prefixNeeded)
            reuse = prefixNeeded
        }
        try prefillPlain(prompts[0], from: reuse, to: shared)
        let caches = prompts.map { cache.copy(capacity: $0.count + 8) }
        let runtimes = try zip(plans, prompts).map { try PlanRuntime($0, geometry: model.geometry, promptLength: $1.count) }
        return try model.decodeBatch(prompts: prompts, caches: caches, runtimes: runtimes, features: features,
                                     featureRows: featureRows, options: options, reusedLength: shared,
                                     reused: shared >= prefix.count)
    }
}
