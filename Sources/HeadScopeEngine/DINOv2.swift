// DINOv2 vision tower (`dinov2`): class token, layer scale, position embeddings interpolated to
// the image's patch grid.

// MARK: - Vision

extension VisionTransformer {
    /// A DINOv2-ViT: `[CLS] + patches` plus position embeddings resized (bicubic, as transformers)
    /// to the image's grid whenever it differs from the trained one; any image size works.
    static func dinov2(_ store: any WeightProvider, _ c: VisionConfiguration) throws -> VisionTransformer {
        let d = c.hiddenSize, n = (c.imageSize / c.patchSize) * (c.imageSize / c.patchSize)
        let projection = try patchProjection(store, "vision_tower.embeddings.patch_embeddings.projection", c, bias: true)
        let cls = try store.load("vision_tower.embeddings.cls_token", shape: [1, 1, d])
        let positions = try store.load("vision_tower.embeddings.position_embeddings", shape: [1, n + 1, d])
        let names = VisionLayerNames(layerPrefix: "encoder.layer", norm1: "norm1", norm2: "norm2",
                                     attention: "attention", output: "o_proj", layerScale: true)
        return try VisionTransformer(store, c, names: names, qkvBias: c.qkvBias ?? true) { pixels in
            let (patches, gh, gw) = try patchEmbed(pixels, projection: projection, patch: c.patchSize)
            let tokens = gh * gw + 1
            let grid = gridPositionEmbeddings(positions.pointer + d, trained: n, dim: d, gridHeight: gh, gridWidth: gw,
                                              square: pixels.height == pixels.width)
            let x = Tensor(shape: [tokens, d])
            for j in 0..<d { x.pointer[j] = cls.pointer[j] + positions.pointer[j] }
            for i in 0..<(gh * gw * d) { x.pointer[d + i] = patches.pointer[i] + grid[i] }
            return (x, tokens)
        }
    }
}
