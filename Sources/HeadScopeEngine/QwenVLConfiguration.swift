import Foundation

/// The vision tower of a Qwen2-VL (`qwen2_vl`) or Qwen2.5-VL (`qwen2_5_vl`) checkpoint: a ViT over
/// 14 x 14 (x 2 frames) patches with 2-D rotary embeddings and a patch merger into the decoder width.
///
/// Qwen2-VL names its width `embed_dim` and the merger's output `hidden_size`; Qwen2.5-VL names
/// them `hidden_size` and `out_hidden_size` (and adds window attention and SwiGLU blocks).
public struct QwenVisionConfiguration: Codable, Sendable {
    public var depth: Int
    public var embedDim: Int?
    public var hiddenSize: Int
    public var outHiddenSize: Int?
    public var numHeads: Int
    public var mlpRatio: Double?
    public var intermediateSize: Int?
    public var patchSize: Int?
    public var spatialMergeSize: Int?
    public var temporalPatchSize: Int?
    public var inChannels: Int?
    public var inChans: Int?
    public var windowSize: Int?
    public var fullattBlockIndexes: [Int]?
    public var hiddenAct: String?
    public var ropeParameters: RopeParameters?

    enum CodingKeys: String, CodingKey {
        case depth, embedDim = "embed_dim", hiddenSize = "hidden_size", outHiddenSize = "out_hidden_size"
        case numHeads = "num_heads", mlpRatio = "mlp_ratio", intermediateSize = "intermediate_size"
        case patchSize = "patch_size", spatialMergeSize = "spatial_merge_size", temporalPatchSize = "temporal_patch_size"
        case inChannels = "in_channels", inChans = "in_chans", windowSize = "window_size"
        case fullattBlockIndexes = "fullatt_block_indexes", hiddenAct = "hidden_act", ropeParameters = "rope_parameters"
    }
}

/// Which Qwen vision-language family a checkpoint belongs to.
public enum QwenVLFamily: String, Sendable {
    /// `Qwen2VLForConditionalGeneration`: LayerNorm blocks, fc1/fc2 MLP, full attention per image.
    case qwen2VL = "qwen2_vl"
    /// `Qwen2_5_VLForConditionalGeneration`: RMSNorm blocks, SwiGLU MLP, window attention except
    /// on `fullatt_block_indexes`.
    case qwen25VL = "qwen2_5_vl"
}

/// The resolved geometry of a Qwen vision tower, the same for both families once names are read.
public struct QwenVisionGeometry: Sendable, Equatable {
    public var family: QwenVLFamily
    public var layers: Int
    public var width: Int
    public var heads: Int
    public var headDim: Int
    public var mlpWidth: Int
    public var outWidth: Int
    public var patchSize: Int
    public var mergeSize: Int
    public var temporalPatchSize: Int
    public var channels: Int
    /// Window side in pixels (Qwen2.5-VL), nil for full attention everywhere.
    public var windowSize: Int?
    /// Layers with full attention (Qwen2.5-VL); every layer for Qwen2-VL.
    public var fullAttentionLayers: Set<Int>
    public var hiddenAct: String
    public var ropeTheta: Double
}

extension QwenVisionConfiguration {
    /// The tower geometry for `family`, checking that the numbers fit together.
    func geometry(_ family: QwenVLFamily, location: String) throws -> QwenVisionGeometry {
        let width = family == .qwen2VL ? (embedDim ?? hiddenSize) : hiddenSize
        let out = family == .qwen2VL ? hiddenSize : (outHiddenSize ?? hiddenSize)
        guard depth > 0, depth <= 1 << 12, width > 0, width <= 1 << 20, numHeads > 0, width % numHeads == 0 else {
            throw EngineError(.configuration, "vision_config: depth \(depth), width \(width) and num_heads \(numHeads) do not give whole heads", location: location)
        }
        let headDim = width / numHeads
        guard headDim % 4 == 0 else {
            throw EngineError(.configuration, "vision head_dim \(headDim) must be a multiple of 4 (2-D rotary embedding over height and width)", location: location)
        }
        let mlp = family == .qwen2VL ? Int(Double(width) * (mlpRatio ?? 4)) : (intermediateSize ?? 0)
        guard mlp > 0, out > 0 else {
            throw EngineError(.configuration, "vision_config: missing the MLP width (mlp_ratio / intermediate_size) or the output width", location: location)
        }
        let patch = patchSize ?? 14, merge = spatialMergeSize ?? 2, temporal = temporalPatchSize ?? 2
        guard patch > 0, merge > 0, temporal > 0 else {
            throw EngineError(.configuration, "vision_config: patch_size, spatial_merge_size and temporal_patch_size must be positive", location: location)
        }
        var window: Int? = nil, full = Set(0..<depth)
        if family == .qwen25VL {
            let w = windowSize ?? 112
            guard w >= patch * merge, w % (patch * merge) == 0 else {
                throw EngineError(.configuration, "vision_config.window_size \(w) must be a multiple of patch_size x spatial_merge_size (\(patch * merge))", location: location)
            }
            window = w
            full = Set(fullattBlockIndexes ?? [])
            if let bad = full.first(where: { $0 < 0 || $0 >= depth }) {
                throw EngineError(.configuration, "vision_config.fullatt_block_indexes holds \(bad), outside 0..<\(depth)", location: location)
            }
        }
        return QwenVisionGeometry(family: family, layers: depth, width: width, heads: numHeads, headDim: headDim,
                                  mlpWidth: mlp, outWidth: out, patchSize: patch, mergeSize: merge,
                                  temporalPatchSize: temporal, channels: inChannels ?? inChans ?? 3,
                                  windowSize: window, fullAttentionLayers: full,
                                  hiddenAct: hiddenAct ?? (family == .qwen2VL ? "quick_gelu" : "silu"),
                                  ropeTheta: ropeParameters?.ropeTheta ?? 10000)
    }
}

extension ModelConfiguration {
    /// The `model_type` values of Qwen vision-language checkpoints.
    static let qwenModelTypes = ["qwen2_vl", "qwen2_5_vl"]

    /// Decodes a Qwen2-VL / Qwen2.5-VL config: transformers 5 nests the decoder in `text_config`;
    /// checkpoints published earlier keep its fields at the root, with `rope_scaling` of type
    /// "mrope". Either way the decoder is a Qwen2 decoder with M-RoPE sections.
    static func decodeQwen(_ decoder: Decoder, type: String) throws -> ModelConfiguration {
        enum Keys: String, CodingKey {
            case textConfig = "text_config", visionConfig = "vision_config", imageTokenId = "image_token_id"
            case tieWordEmbeddings = "tie_word_embeddings"
        }
        let c = try decoder.container(keyedBy: Keys.self)
        var text = try c.decodeIfPresent(TextConfiguration.self, forKey: .textConfig) ?? TextConfiguration(from: decoder)
        text.modelType = "qwen2"
        for keyPath in [\TextConfiguration.ropeParameters, \TextConfiguration.ropeScaling] {
            guard var p = text[keyPath: keyPath] else { continue }
            if p.type == "mrope" { p.type = "default" }
            if p.ropeType == "mrope" { p.ropeType = "default" }
            text[keyPath: keyPath] = p
        }
        var config = ModelConfiguration(text: text)
        config.modelType = type
        config.qwenVision = try c.decode(QwenVisionConfiguration.self, forKey: .visionConfig)
        config.imageTokenId = try c.decodeIfPresent(Int.self, forKey: .imageTokenId) ?? 151655
        let tie = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings)
        config.tieWordEmbeddings = tie ?? text.tieWordEmbeddings
        return config
    }

    /// The Qwen family of this configuration, nil for other models.
    public var qwenFamily: QwenVLFamily? { QwenVLFamily(rawValue: modelType) }

    /// M-RoPE sections `[temporal, height, width]` (frequency counts, summing to head_dim / 2);
    /// transformers' default is [16, 24, 24].
    public var mropeSection: [Int] {
        textConfig.ropeParameters?.mropeSection ?? textConfig.ropeScaling?.mropeSection ?? [16, 24, 24]
    }

    func validateQwen(_ location: String) throws {
        guard let family = qwenFamily, let vision = qwenVision else { return }
        let g = try vision.geometry(family, location: location)
        guard g.outWidth == textConfig.hiddenSize else {
            throw EngineError(.configuration, "the vision merger outputs \(g.outWidth) values but the decoder's hidden_size is \(textConfig.hiddenSize)", location: location)
        }
        let sections = mropeSection
        guard sections.count == 3, sections.allSatisfy({ $0 >= 0 }), sections.reduce(0, +) == textConfig.resolvedHeadDim / 2 else {
            throw EngineError(.configuration, "mrope_section \(sections) must be three counts summing to head_dim / 2 = \(textConfig.resolvedHeadDim / 2)", location: location)
        }
    }
}

/// The decoder's attention geometry as the engine derives it from a configuration.
public struct DecoderAttentionGeometry: Sendable, Equatable {
    public var layers: Int
    public var queryHeads: Int
    public var keyValueHeads: Int
    public var headDim: Int

    public init(layers: Int, queryHeads: Int, keyValueHeads: Int, headDim: Int) {
        self.layers = layers; self.queryHeads = queryHeads; self.keyValueHeads = keyValueHeads; self.headDim = headDim
    }
}

extension ModelConfiguration {
    /// Layers, query heads, key/value heads and head size of the language decoder.
    public var decoderAttentionGeometry: DecoderAttentionGeometry {
        let g = textConfig.geometry
        return DecoderAttentionGeometry(layers: g.layers, queryHeads: g.queryHeads, keyValueHeads: g.kvHeads, headDim: g.headDim)
    }

    /// The Qwen vision tower's geometry (nil for other models), validated.
    public func qwenVisionGeometry() throws -> QwenVisionGeometry? {
        guard let family = qwenFamily, let vision = qwenVision else { return nil }
        return try vision.geometry(family, location: "config.json")
    }
}
