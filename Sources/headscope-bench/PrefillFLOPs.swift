import HeadScopeEngine

/// The floating-point operations of one prefill (image encoding + one decoder pass over every
/// token with logits at every position), counting only the matrix products: `2 * in * out` per
/// token for every linear layer (patch embedding, projections, MLPs, projector, LM head) and the
/// attention products `Q K^T` and `P V` over the keys each query sees (half the square for
/// causal decoders). Norms, softmax and activations are left out (they are a few percent).
struct PrefillFLOPs {
    var vision = 0.0
    var text = 0.0
    var total: Double { vision + text }

    init(_ config: ModelConfiguration, tokens: Int, imageTokens: Int) {
        let t = config.textConfig
        let d = Double(t.hiddenSize), hd = Double(t.headDim ?? t.hiddenSize / t.numAttentionHeads)
        let hq = Double(t.numAttentionHeads) * hd, hkv = Double(t.numKeyValueHeads ?? t.numAttentionHeads) * hd
        let perTokenLayer = d * (hq + 2 * hkv) + hq * d + 3 * d * Double(t.intermediateSize)
        let n = Double(tokens)
        text = 2 * n * (Double(t.numHiddenLayers) * perTokenLayer + d * Double(t.vocabSize))
        // Causal: query i sees i + 1 keys; two products of head_dim each per query head and key.
        text += Double(t.numHiddenLayers) * 2 * 2 * hq * (n * (n + 1) / 2)

        guard let v = config.visionConfig else { return }
        let vd = Double(v.hiddenSize), inner = Double(v.intermediateSize ?? Int(Double(v.hiddenSize) * (v.mlpRatio ?? 4)))
        let patches = Double((v.imageSize / v.patchSize) * (v.imageSize / v.patchSize))
        let seq = patches + 1   // CLS (CLIP, DINOv2)
        let channels = Double(v.numChannels ?? 3), p = Double(v.patchSize)
        vision = 2 * patches * channels * p * p * vd
        // The engine runs the tower only as deep as the deepest selected feature layer.
        let count = v.numHiddenLayers + 1
        let layers = (config.visionFeatureLayer?.values ?? [-2]).map { ($0 + count) % count }.max() ?? v.numHiddenLayers
        vision += Double(layers) * (2 * seq * (4 * vd * vd + 2 * vd * inner) + 2 * 2 * seq * seq * vd)
        let colors = Double(3 * (config.patchColorCells ?? 0) * (config.patchColorCells ?? 0))
        let selected = Double(config.visionFeatureLayer?.values.count ?? 1) * vd + colors
        let shuffle = Double(config.projectorPixelShuffle ?? 1)
        let projected = Double(imageTokens)
        vision += 2 * projected * (selected * shuffle * shuffle * d + d * d)
    }
}
