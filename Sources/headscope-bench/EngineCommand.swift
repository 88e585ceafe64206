import ArgumentParser
import Foundation
import HeadScopeCore
import HeadScopeBLAS
import HeadScopeEngine

/// `headscope-bench engine`: prefill and decode timings of a LLaVA checkpoint, measured as
/// `scripts/bench/engine_reference.py` measures transformers: prefill is one forward pass over
/// image + text (logits at every position), decode is a greedy generation of `decode + 1` tokens
/// minus that prefill time, per decoded token. Qwen2-VL / Qwen2.5-VL checkpoints: prefill only
/// (`EngineCommand+Qwen.swift`).
struct EngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Prefill tokens/s, decode ms/token and achieved prefill GFLOP/s of a checkpoint.")

    @Option(help: "Checkpoint folder (config.json + safetensors), e.g. .cache/bench/llava-1b.") var model: String
    @Option(help: "Text tokens around the image tokens.") var textTokens = 64
    @Option(help: "Decoded tokens timed per repeat.") var decodeTokens = 16
    @Option(help: "Timed repeats (medians are reported).") var repeats = 3
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Option(help: "A name for the report.") var name: String?
    @Option(help: "Image side in pixels for Qwen-VL checkpoints (a multiple of 28).") var imageSize = 224

    func validate() throws {
        guard textTokens >= 8, decodeTokens > 0, repeats > 0, threads > 0 else {
            throw ValidationError("--text-tokens must be at least 8; --decode-tokens, --repeats and --threads positive")
        }
    }

    func run() throws {
        BLAS.threadCount = threads
        let url = URL(commandLinePath: model)
        var loaded: VisionLanguageModel?
        let loadSeconds = try seconds { loaded = try VisionLanguageModel.load(from: url) }
        guard let vlm = loaded else { return }
        let config = vlm.configuration
        if config.qwenFamily != nil {
            return try runQwen(vlm, loadSeconds: loadSeconds, name: name ?? url.lastPathComponent)
        }
        guard let vision = config.visionConfig, let imageToken = config.imageTokenIndex ?? config.imageTokenId else {
            throw ValidationError("\(model) is not a LLaVA checkpoint with a vision tower")
        }
        let side = vision.imageSize, grid = side / vision.patchSize
        let shuffle = config.projectorPixelShuffle ?? 1
        let imageTokens = (grid / shuffle) * (grid / shuffle)

        // Same layout as the reference: 8 text tokens, the image, the remaining text tokens.
        var generator = SplitMix64(seed: 1)
        let vocab = config.textConfig.vocabSize
        let text = (0..<textTokens).map { _ in Int(generator.next() % UInt64(vocab - 2)) }
        let ids = Array(text[..<8]) + Array(repeating: imageToken, count: imageTokens) + Array(text[8...])
        let pixels = try PixelValues(height: side, width: side,
                                     values: (0..<(3 * side * side)).map { _ in generator.nextNormal() })

        var prefill: [Double] = [], decode: [Double] = [], steps: [Double] = []
        var firstToken = -1
        for _ in 0..<repeats {
            let p = try seconds { _ = try vlm.forward(tokens: ids, images: [pixels], logits: .all) }
            prefill.append(p)
            // The stop predicate sees every generated token as it comes: its clock gives the pure
            // per-step decode time next to the reference's (generate - prefill) estimate.
            let clock = StepClock()
            var result: GenerationResult?
            let total = try seconds {
                result = try vlm.generate(prompt: ids, images: [pixels],
                                          options: .init(maxNewTokens: decodeTokens + 1, eosTokenIds: [],
                                                         stop: { _ in clock.tick(); return false }))
            }
            decode.append((total - p) / Double(decodeTokens))
            steps.append(clock.secondsPerStep)
            firstToken = result?.tokens.first ?? -1
        }
        let flops = PrefillFLOPs(config, tokens: ids.count, imageTokens: imageTokens)
        let roof = ShapeRoof(config, tokens: ids.count, imageTokens: imageTokens)
        let prefillSeconds = Statistics.median(prefill)
        printJSON([("impl", "headscope"), ("name", name ?? url.lastPathComponent), ("threads", threads),
                   ("tokens", ids.count), ("image_tokens", imageTokens), ("load_s", loadSeconds),
                   ("prefill_s", prefillSeconds), ("prefill_best_s", prefill.min() ?? .nan),
                   ("prefill_tokens_per_s", Double(ids.count) / prefillSeconds),
                   ("decode_ms_per_token", 1000 * Statistics.median(decode)),
                   ("decode_step_ms", 1000 * Statistics.median(steps)),
                   ("prefill_gflop", flops.total / 1e9),
                   ("prefill_gflop_vision", flops.vision / 1e9), ("prefill_gflop_text", flops.text / 1e9),
                   ("prefill_gflops", flops.total / prefillSeconds / 1e9),
                   ("prefill_best_gflops", flops.total / (prefill.min() ?? .nan) / 1e9),
                   ("linear_gemm_s", roof.seconds), ("linear_gemm_gflops", roof.gflops),
                   ("first_token", firstToken)])
    }
}

/// Timestamps of generated tokens (first to last), for the per-step decode time.
final class StepClock: @unchecked Sendable {
    private let lock = NSLock()
    private var first: UInt64?
    private var last: UInt64 = 0
    private var count = 0

    func tick() {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock(); defer { lock.unlock() }
        if first == nil { first = now }
        last = now
        count += 1
    }

    /// Seconds between the first and the last token over the steps in between.
    var secondsPerStep: Double {
        lock.lock(); defer { lock.unlock() }
        guard let first, count > 1 else { return .nan }
        return Double(last - first) / 1e9 / Double(count - 1)
    }
}
