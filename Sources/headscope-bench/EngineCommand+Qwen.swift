import ArgumentParser
import Foundation
import HeadScopeCore
import HeadScopeEngine

// MARK: - Qwen2-VL / Qwen2.5-VL prefill

extension EngineCommand {
    /// Prefill timings of a Qwen2-VL / Qwen2.5-VL checkpoint, measured as
    /// `scripts/bench/qwen_reference.py` measures transformers: one forward pass over
    /// 8 text tokens, the image's `(side / 28)^2` image-pad tokens and the remaining text tokens,
    /// logits at every position, for a `side x side` image (random pixels). Decode is not timed.
    func runQwen(_ vlm: VisionLanguageModel, loadSeconds: Double, name: String) throws {
        let config = vlm.configuration
        guard let vision = try config.qwenVisionGeometry(), let imageToken = config.imageToken else {
            throw ValidationError("\(model) is not a Qwen-VL checkpoint with a vision tower")
        }
        let factor = vision.patchSize * vision.mergeSize
        guard imageSize % factor == 0 else {
            throw ValidationError("--image-size must be a multiple of patch x merge = \(factor) for \(model)")
        }
        let merged = imageSize / factor, imageTokens = merged * merged

        var generator = SplitMix64(seed: 1)
        // Text ids below the Qwen special tokens (151643 and up) and the image token.
        let textVocab = min(config.textConfig.vocabSize, 151643, imageToken)
        let text = (0..<textTokens).map { _ in Int(generator.next() % UInt64(textVocab)) }
        let ids = Array(text[..<8]) + Array(repeating: imageToken, count: imageTokens) + Array(text[8...])
        let pixels = try PixelValues(height: imageSize, width: imageSize,
                                     values: (0..<(3 * imageSize * imageSize)).map { _ in generator.nextNormal() })

        var prefill: [Double] = []
        var firstToken = -1
        for _ in 0..<repeats {
            var result: ForwardResult?
            prefill.append(try seconds { result = try vlm.forward(tokens: ids, images: [pixels], logits: .all) })
            if let logits = result?.logits {
                let vocab = config.textConfig.vocabSize, last = (ids.count - 1) * vocab
                var best = 0
                for i in 1..<vocab where logits[last + i] > logits[last + best] { best = i }
                firstToken = best
            }
        }
        let flops = QwenPrefillFLOPs(config, vision: vision, tokens: ids.count, patches: imageTokens * vision.mergeSize * vision.mergeSize)
        let prefillSeconds = Statistics.median(prefill)
        printJSON([("impl", "headscope"), ("name", name), ("threads", threads),
                   ("tokens", ids.count), ("image_tokens", imageTokens), ("image_size", imageSize),
                   ("text_layers", config.textConfig.numHiddenLayers), ("vision_layers", vision.layers),
                   ("load_s", loadSeconds),
                   ("prefill_s", prefillSeconds), ("prefill_best_s", prefill.min() ?? .nan),
                   ("prefill_tokens_per_s", Double(ids.count) / prefillSeconds),
                   ("prefill_gflop", flops.total / 1e9),
                   ("prefill_gflop_vision", flops.vision / 1e9), ("prefill_gflop_text", flops.text / 1e9),
                   ("prefill_gflops", flops.total / prefillSeconds / 1e9),
                   ("prefill_best_gflops", flops.total / (prefill.min() ?? .nan) / 1e9),
                   ("first_token", firstToken)])
    }
}

/// Matrix-product FLOPs of a Qwen-VL prefill, counted as `PrefillFLOPs` counts LLaVA's: the patch
/// embedding, every vision block's qkv / proj / SwiGLU or fc1-fc2 and its attention products (full
/// layers over all patches, window layers within windows), the merger, then the decoder over every
/// token and the LM head at every position.
struct QwenPrefillFLOPs {
    var vision = 0.0
    var text = 0.0
    var total: Double { vision + text }

    init(_ config: ModelConfiguration, vision g: QwenVisionGeometry, tokens: Int, patches: Int) {
        text = PrefillFLOPs(config, tokens: tokens, imageTokens: 0).text
        let n = Double(patches), d = Double(g.width), inner = Double(g.mlpWidth)
        let patchInput = Double(g.channels * g.temporalPatchSize * g.patchSize * g.patchSize)
        vision = 2 * n * patchInput * d
        let mlp = g.family == .qwen25VL ? 3 * d * inner : 2 * d * inner
        // Patches per window (Qwen2.5-VL): (window / patch)^2, at most the whole image.
        let window = g.windowSize.map { min(n, Double(($0 / g.patchSize) * ($0 / g.patchSize))) } ?? n
        for layer in 0..<g.layers {
            let keys = g.fullAttentionLayers.contains(layer) ? n : window
            vision += 2 * n * (4 * d * d + mlp) + 2 * 2 * n * keys * d
        }
        let m = Double(g.mergeSize * g.mergeSize), merged = n / m, wide = d * m
        vision += 2 * merged * (wide * wide + wide * Double(g.outWidth))
    }
}
