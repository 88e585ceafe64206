import Foundation
import HeadScopeCore
import HeadScopeBLAS
import HeadScopeEngine

/// The sgemm time of a prefill's linear layers at the model's own shapes: each distinct product
/// (tokens x out x in) is timed alone (best of three, random data) and counted as often as the
/// model runs it. Its FLOP rate is the roof a prefill can reach with this BLAS at these shapes
/// (small widths run well below the large square product's rate).
struct ShapeRoof {
    var seconds = 0.0
    var flops = 0.0
    var gflops: Double { flops / seconds / 1e9 }

    init(_ config: ModelConfiguration, tokens: Int, imageTokens: Int) {
        var shapes: [(m: Int, n: Int, k: Int, count: Int)] = []
        let t = config.textConfig
        let hd = t.headDim ?? t.hiddenSize / t.numAttentionHeads
        let hq = t.numAttentionHeads * hd, hkv = (t.numKeyValueHeads ?? t.numAttentionHeads) * hd
        let d = t.hiddenSize, l = t.numHiddenLayers
        shapes += [(tokens, hq + 2 * hkv, d, l), (tokens, d, hq, l), (tokens, 2 * t.intermediateSize, d, l),
                   (tokens, d, t.intermediateSize, l), (tokens, t.vocabSize, d, 1)]
        if let v = config.visionConfig {
            let vd = v.hiddenSize, inner = v.intermediateSize ?? Int(Double(vd) * (v.mlpRatio ?? 4))
            let patches = (v.imageSize / v.patchSize) * (v.imageSize / v.patchSize), seq = patches + 1
            let count = v.numHiddenLayers + 1
            let layers = (config.visionFeatureLayer?.values ?? [-2]).map { ($0 + count) % count }.max() ?? v.numHiddenLayers
            let shuffle = config.projectorPixelShuffle ?? 1
            let colors = 3 * (config.patchColorCells ?? 0) * (config.patchColorCells ?? 0)
            let selected = ((config.visionFeatureLayer?.values.count ?? 1) * vd + colors) * shuffle * shuffle
            shapes += [(patches, vd, (v.numChannels ?? 3) * v.patchSize * v.patchSize, 1),
                       (seq, 3 * vd, vd, layers), (seq, vd, vd, layers), (seq, inner, vd, layers), (seq, vd, inner, layers),
                       (imageTokens, d, selected, 1), (imageTokens, d, d, 1)]
        }
        var generator = SplitMix64(seed: 3)
        for s in shapes {
            let a = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.k)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: s.n * s.k)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.n)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            for i in 0..<(s.m * s.k) { a[i] = generator.nextFloat() - 0.5 }
            for i in 0..<(s.n * s.k) { b[i] = generator.nextFloat() - 0.5 }
            let best = (0..<3).map { _ in
                headscope_bench.seconds { BLAS.sgemm(.none, .transposed, m: s.m, n: s.n, k: s.k, a: a, b: b, beta: 0, c: c) }
            }.min() ?? 0
            seconds += best * Double(s.count)
            flops += 2 * Double(s.m) * Double(s.n) * Double(s.k) * Double(s.count)
        }
    }
}
