// CLIP vision tower (`clip_vision_model`): class embedding, learned positions, pre-layernorm.

// MARK: - Vision

extension VisionTransformer {
    /// A CLIP-ViT: `[CLS] + patches`, plus position embeddings, then `pre_layrnorm`. As in
    /// transformers' LLaVA (which does not pass `interpolate_pos_encoding`), the image must have
    /// the trained size.
    static func clip(_ store: any WeightProvider, _ c: VisionConfiguration) throws -> VisionTransformer {
        let d = c.hiddenSize, n = (c.imageSize / c.patchSize) * (c.imageSize / c.patchSize)
        let projection = try patchProjection(store, "vision_tower.embeddings.patch_embedding", c, bias: false)
        let cls = try store.load("vision_tower.embeddings.class_embedding", shape: [d])
        let positions = try store.load("vision_tower.embeddings.position_embedding.weight", shape: [n + 1, d])
        let preNorm = try LayerNorm(store, "vision_tower.pre_layrnorm", dim: d, eps: Float(c.layerNormEps ?? 1e-5))
        let names = VisionLayerNames(layerPrefix: "encoder.layers", norm1: "layer_norm1", norm2: "layer_norm2",
                                     attention: "self_attn", output: "out_proj", layerScale: false)
        return try VisionTransformer(store, c, names: names, qkvBias: true) { pixels in
            guard pixels.height == c.imageSize, pixels.width == c.imageSize else {
                throw EngineError(.input, "CLIP expects \(c.imageSize)x\(c.imageSize) pixels, got \(pixels.height)x\(pixels.width)")
            }
            let (patches, _, _) = try patchEmbed(pixels, projection: projection, patch: c.patchSize)
            let x = Tensor(shape: [n + 1, d])
            x.pointer.update(from: cls.pointer, count: d)
            (x.pointer + d).update(from: patches.pointer, count: n * d)
            for i in 0..<((n + 1) * d) { x.pointer[i] += positions.pointer[i] }
            preNorm(x.pointer, rows: n + 1, into: x.pointer)
            return (x, n + 1)
        }
    }
}
