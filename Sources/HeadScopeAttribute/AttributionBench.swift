import Foundation
import HeadScopeCore
import HeadScopeRuntime

/// Throughput of the attribution loop on one image, for `make bench` (`headscope-bench attribution`).
///
/// What is timed is exactly what `ImageAttributor.sampleRuns` does per keep-mask: build the plan
/// (baseline keys and values at the image positions for every head the mask drops) and run the
/// prompt under it for the last position's logits. Not timed: loading the model, capturing the
/// baseline, opening the session (image encoding, prefill of the shared prefix) and one unablated
/// warm-up run.
public enum AttributionBench {
    public struct Result: Sendable, Codable {
        /// Keep-mask runs per second: the median over the repeats.
        public var modelRunsPerSecond: Double
        /// The fastest repeat's rate.
        public var bestRunsPerSecond: Double
        /// Keep-mask runs per repeat.
        public var runs: Int
        public var repeats: Int
        /// Decoder heads (layers x query heads), the width of a keep-mask.
        public var heads: Int
        /// Wall-clock seconds of every timed run together.
        public var wallSeconds: Double
        /// Seconds of each repeat.
        public var repeatSeconds: [Double]
        /// Prompt length and where the image tokens sit in it.
        public var promptTokens: Int
        public var imageTokens: Int
        public var firstImagePosition: Int
        /// SHA-256 of the prompt's token ids joined by commas, to check another implementation ran the same prompt.
        public var promptSHA256: String
        public var targetToken: Int
        /// The target's logit in the unablated warm-up run.
        public var fullLogit: Float
        /// The target's logit of each keep-mask run of the first repeat, in mask order.
        public var targetLogits: [Float]
        /// Kept heads summed over the masks (a cheap check that another implementation drew the same masks).
        public var keptHeads: Int

        enum CodingKeys: String, CodingKey {
            case modelRunsPerSecond = "model_runs_per_second", bestRunsPerSecond = "best_runs_per_second", runs, repeats, heads
            case wallSeconds = "wall_s", repeatSeconds = "repeat_s", promptTokens = "prompt_tokens", imageTokens = "image_tokens"
            case firstImagePosition = "first_image_position", promptSHA256 = "prompt_sha256", targetToken = "target_token"
            case fullLogit = "full_logit", targetLogits = "target_logits", keptHeads = "kept_heads"
        }
    }

    /// The keep-mask stream the bench draws from (`KeepMaskSampler` with this stream name), so a
    /// reference implementation can draw the same masks from the seed.
    public static let maskStream = "bench"

    /// Times `runs` keep-mask runs (keep probability `keepProbability`, masks from `seed` and
    /// `maskStream`) on one image, `repeats` times; the same masks in every repeat.
    ///
    /// - Parameters:
    ///   - baselineImages: the images whose keys and values replace an ablated head's view of the
    ///     image (their position-wise mean; one blank image for the stage's `--baseline blank`).
    ///   - target: the token whose logit is recorded (the first token of the answer).
    public static func modelRunsPerSecond(runtime: any VLMRuntime, image: URL, userText: String, assistantPrefix: String = "",
                                          target: Int, baselineImages: [URL], runs: Int = 20, repeats: Int = 3,
                                          keepProbability: Double = 0.9, seed: UInt64 = 42) throws -> Result {
        guard runs > 0, repeats > 0 else { throw AttributionError("bench: runs (\(runs)) and repeats (\(repeats)) must be positive") }
        let grid = HeadGrid(layers: runtime.geometry.layers, heads: runtime.geometry.heads)
        let baseline = try BaselineKV.capture(runtime: runtime, images: baselineImages, userText: userText,
                                              assistantPrefix: assistantPrefix)
        let session = try runtime.session(image: image)
        let layout = try session.layout(userText: userText, assistantPrefix: assistantPrefix)
        try baseline.requireMatches(layout, imageID: image.lastPathComponent)
        let masks = KeepMaskSampler(keepProbability: keepProbability, seed: seed).masks(count: runs, heads: grid.count, stream: maskStream)

        // Warm-up: the unablated run (caches, page faults), also a logit to compare.
        let full = try AnswerOutcome(logits: session.lastPositionLogits(userText: userText, assistantPrefix: assistantPrefix,
                                                                        plan: .init()).logits, target: target)
        var times: [Double] = []
        var logits: [Float] = []
        for repeatIndex in 0..<repeats {
            let start = ProgressReporter.monotonicSeconds()
            for i in 0..<runs {
                let scored = try session.lastPositionLogits(userText: userText, assistantPrefix: assistantPrefix,
                                                            plan: baseline.plan(keep: masks[(i * grid.count)..<((i + 1) * grid.count)]))
                // Reading the outcome is part of every attribution run (as in `sampleRuns`).
                let outcome = try AnswerOutcome(logits: scored.logits, target: target)
                if repeatIndex == 0 { logits.append(outcome.logit) }
            }
            times.append(ProgressReporter.monotonicSeconds() - start)
        }
        let rates = times.map { $0 > 0 ? Double(runs) / $0 : .infinity }.sorted()
        let median = rates.count % 2 == 1 ? rates[rates.count / 2] : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
        return Result(modelRunsPerSecond: median, bestRunsPerSecond: rates.last ?? .nan, runs: runs, repeats: repeats,
                      heads: grid.count, wallSeconds: times.reduce(0, +), repeatSeconds: times,
                      promptTokens: layout.ids.count, imageTokens: layout.imagePositions.count,
                      firstImagePosition: layout.imagePositions.first ?? -1,
                      promptSHA256: try ContentHash.sha256(layout.ids.map(String.init).joined(separator: ",")),
                      targetToken: target, fullLogit: full.logit, targetLogits: logits,
                      keptHeads: masks.reduce(0) { $0 + Int($1) })
    }
}
