import Foundation
import HeadScopeCore
import HeadScopeRuntime

/// Throughput of the attribution loop, for `make bench`.
public enum AttributionBench {
    public struct Result: Sendable, Codable {
        /// Keep-mask runs per second (best of the repeats).
        public var modelRunsPerSecond: Double
        public var runs: Int
        public var heads: Int
        enum CodingKeys: String, CodingKey { case modelRunsPerSecond = "model_runs_per_second", runs, heads }
    }

    /// Times `runs` keep-mask runs (keep probability `keepProbability`) on one image, `repeats`
    /// times, and reports the best rate. The image is its own baseline (only the cost matters here).
    public static func modelRunsPerSecond(runtime: any VLMRuntime, image: URL, userText: String, runs: Int = 20,
                                          repeats: Int = 3, keepProbability: Double = 0.9, seed: UInt64 = 42) throws -> Result {
        let grid = HeadGrid(layers: runtime.geometry.layers, heads: runtime.geometry.heads)
        let baseline = try BaselineKV.capture(runtime: runtime, images: [image], userText: userText, assistantPrefix: "")
        let session = try runtime.session(image: image)
        let masks = KeepMaskSampler(keepProbability: keepProbability, seed: seed).masks(count: runs, heads: grid.count, stream: "bench")
        var best = 0.0
        for _ in 0..<max(1, repeats) {
            let start = ProgressReporter.monotonicSeconds()
            for i in 0..<runs {
                _ = try session.lastPositionLogits(userText: userText, assistantPrefix: "",
                                                   plan: baseline.plan(keep: masks[(i * grid.count)..<((i + 1) * grid.count)]))
            }
            let elapsed = ProgressReporter.monotonicSeconds() - start
            if elapsed > 0 { best = max(best, Double(runs) / elapsed) }
        }
        return Result(modelRunsPerSecond: best, runs: runs, heads: grid.count)
    }
}
