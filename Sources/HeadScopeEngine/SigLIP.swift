// SigLIP vision tower (`siglip_vision_model`): no class token, learned positions, no pre-norm.

// MARK: - Vision

extension VisionTransformer {
    /// A SigLIP-ViT: patches plus position embeddings. The image must have the trained size (as in
    /// transformers' LLaVA, which does not interpolate). The pooling head is not used by LLaVA.
    static func siglip(_ store: any WeightProvider, _ c: VisionConfiguration) throws -> VisionTransformer {
        let d = c.hiddenSize, n = (c.imageSize / c.patchSize) * (c.imageSize / c.patchSize)
        let projection = try patchProjection(store, "vision_tower.embeddings.patch_embedding", c, bias: true)
        let positions = try store.load("vision_tower.embeddings.position_embedding.weight", shape: [n, d])
        let names = VisionLayerNames(layerPrefix: "encoder.layers", norm1: "layer_norm1", norm2: "layer_norm2",
                                     attention: "self_attn", output: "out_proj", layerScale: false)
        return try VisionTransformer(store, c, names: names, qkvBias: true) { pixels in
            guard pixels.height == c.imageSize, pixels.width == c.imageSize else {
                throw EngineError(.input, "SigLIP expects \(c.imageSize)x\(c.imageSize) pixels, got \(pixels.height)x\(pixels.width)")
            }
            let (x, _, _) = try patchEmbed(pixels, projection: projection, patch: c.patchSize)
            for i in 0..<(n * d) { x.pointer[i] += positions.pointer[i] }
            return (x, n)
        }
    }
}
