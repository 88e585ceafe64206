import Foundation

// Qwen2-VL and Qwen2.5-VL (`Qwen2VLForConditionalGeneration`, `Qwen2_5_VLForConditionalGeneration`)
// as `VisionLanguageModel`s: the Qwen vision tower and merger (`QwenVisionTransformer.swift`)
// replace LLaVA's tower and projector, the decoder is the Qwen2 decoder with multimodal RoPE
// (`MRoPE.swift`), whose ids travel with the KV cache. Image features fill the image-pad tokens
// (`image_token_id`) in order, as for LLaVA; each image needs `(H/28) * (W/28)` of them (for
// patch 14, merge 2) between `<|vision_start|>` and `<|vision_end|>`.

extension VisionLanguageModel {
    /// Builds the Qwen tower for Qwen configurations (nil otherwise) and gives the decoder its
    /// M-RoPE sections.
    static func qwenTower(_ config: ModelConfiguration, _ store: any WeightProvider,
                          _ decoder: LanguageDecoder) throws -> QwenVisionTower? {
        guard let family = config.qwenFamily, let vision = config.qwenVision else { return nil }
        try config.validateQwen(store.configLocation)
        decoder.mropeSections = config.mropeSection
        return try QwenVisionTower(store, try vision.geometry(family, location: store.configLocation))
    }

    /// The Qwen vision tower's geometry, nil for other models.
    public var qwenVisionGeometry: QwenVisionGeometry? { qwenTower?.geometry }

    /// Merged features of every image, concatenated in order.
    func encodeQwen(_ images: [PixelValues], runtime: PlanRuntime?) throws -> (features: [Float], rows: Int) {
        guard let tower = qwenTower else { return ([], 0) }
        if images.count > 1, runtime?.plan.touchesVision ?? false {
            throw EngineError(.plan, "plans addressing the vision tower need a single image per run (got \(images.count))")
        }
        var all: [Float] = [], total = 0
        for pixels in images {
            let (features, rows) = try tower.encode(pixels, runtime: runtime)
            all += features
            total += rows
        }
        return (all, total)
    }

    /// The M-RoPE ids of `tokens` with `images` (Qwen models; nil for others), as transformers'
    /// `get_rope_index` computes them.
    public func mropePositions(tokens: [Int], images: [PixelValues]) throws -> MRoPEPositions? {
        guard let tower = qwenTower, let imageToken = configuration.imageToken else { return nil }
        let m = tower.geometry.mergeSize
        let grids = try images.map { pixels -> (rows: Int, columns: Int) in
            let g = try tower.grid(pixels)
            return (g.rows / m, g.columns / m)
        }
        return try MRoPEPositions(tokens: tokens, imageToken: imageToken, grids: grids)
    }

    /// A decoder cache for a run over `tokens` (and what follows them), carrying the M-RoPE ids
    /// for Qwen models.
    func newCache(capacity: Int, tokens: [Int], images: [PixelValues]) throws -> KVCache {
        let cache = decoder.newCache(capacity: capacity)
        cache.mropePositions = try mropePositions(tokens: tokens, images: images)
        return cache
    }
}
