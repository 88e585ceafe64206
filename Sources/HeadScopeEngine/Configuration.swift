import Foundation

/// An integer or a list of integers, as `vision_feature_layer` and `eos_token_id` may be either.
public enum IntOrList: Codable, Sendable, Equatable {
    case single(Int)
    case list([Int])

    public var values: [Int] {
        switch self {
        case .single(let v): return [v]
        case .list(let v): return v
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let v = try? container.decode(Int.self) { self = .single(v) } else { self = .list(try container.decode([Int].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .single(let v): try container.encode(v)
        case .list(let v): try container.encode(v)
        }
    }
}

/// RoPE parameters: `rope_parameters` (transformers 5) or the older `rope_scaling`.
public struct RopeParameters: Codable, Sendable, Equatable {
    public var ropeType: String?
    public var type: String?
    public var ropeTheta: Double?
    public var factor: Double?
    public var lowFreqFactor: Double?
    public var highFreqFactor: Double?
    public var originalMaxPositionEmbeddings: Int?
    public var partialRotaryFactor: Double?
    /// Qwen2-VL's M-RoPE sections (temporal, height, width frequency counts).
    public var mropeSection: [Int]?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", type, ropeTheta = "rope_theta", factor
        case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case partialRotaryFactor = "partial_rotary_factor"
        case mropeSection = "mrope_section"
    }
}

/// The language decoder's `text_config` (Llama, Mistral, Qwen2). Keys without a default in every
/// checkpoint transformers writes (sizes, layer and head counts) are required.
public struct TextConfiguration: Codable, Sendable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int?
    public var headDim: Int?
    public var rmsNormEps: Double?
    public var ropeTheta: Double?
    public var ropeParameters: RopeParameters?
    public var ropeScaling: RopeParameters?
    public var attentionBias: Bool?
    public var mlpBias: Bool?
    public var hiddenAct: String?
    public var tieWordEmbeddings: Bool?
    public var eosTokenId: IntOrList?
    public var bosTokenId: IntOrList?
    public var maxPositionEmbeddings: Int?
    public var slidingWindow: Int?
    public var useSlidingWindow: Bool?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta"
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias", mlpBias = "mlp_bias", hiddenAct = "hidden_act"
        case tieWordEmbeddings = "tie_word_embeddings", eosTokenId = "eos_token_id"
        case bosTokenId = "bos_token_id", maxPositionEmbeddings = "max_position_embeddings"
        case slidingWindow = "sliding_window", useSlidingWindow = "use_sliding_window"
    }

    /// Families whose decoder this engine runs.
    public static let supportedModelTypes = ["llama", "mistral", "qwen2"]

    var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    var resolvedHeadDim: Int { headDim ?? hiddenSize / numAttentionHeads }
    /// Qwen2 always has q/k/v biases (and no o_proj bias); Llama/Mistral follow `attention_bias`.
    var qkvBias: Bool { modelType == "qwen2" ? true : (attentionBias ?? false) }
    var outputBias: Bool { modelType == "qwen2" ? false : (attentionBias ?? false) }
}

/// The vision tower's `vision_config` (CLIP, SigLIP or DINOv2 vision models).
public struct VisionConfiguration: Codable, Sendable {
    public var modelType: String
    public var hiddenSize: Int
    public var intermediateSize: Int?
    public var mlpRatio: Double?
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var imageSize: Int
    public var patchSize: Int
    public var numChannels: Int?
    public var layerNormEps: Double?
    public var hiddenAct: String?
    public var layerscaleValue: Double?
    public var qkvBias: Bool?
    public var useSwigluFfn: Bool?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case mlpRatio = "mlp_ratio", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", imageSize = "image_size", patchSize = "patch_size"
        case numChannels = "num_channels", layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act"
        case layerscaleValue = "layerscale_value", qkvBias = "qkv_bias", useSwigluFfn = "use_swiglu_ffn"
    }

    /// A vision configuration built in code (e.g. for a tower converted from another format).
    public init(modelType: String, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                imageSize: Int, patchSize: Int, intermediateSize: Int? = nil, mlpRatio: Double? = nil,
                numChannels: Int? = nil, layerNormEps: Double? = nil, hiddenAct: String? = nil,
                layerscaleValue: Double? = nil, qkvBias: Bool? = nil, useSwigluFfn: Bool? = nil) {
        self.modelType = modelType; self.hiddenSize = hiddenSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.imageSize = imageSize; self.patchSize = patchSize
        self.intermediateSize = intermediateSize; self.mlpRatio = mlpRatio; self.numChannels = numChannels
        self.layerNormEps = layerNormEps; self.hiddenAct = hiddenAct; self.layerscaleValue = layerscaleValue
        self.qkvBias = qkvBias; self.useSwigluFfn = useSwigluFfn
    }

    /// Vision towers this engine runs (`clip_vision_model`, `siglip_vision_model`, `dinov2`).
    public static let supportedModelTypes = ["clip_vision_model", "siglip_vision_model", "dinov2"]

    var headDim: Int { hiddenSize / numAttentionHeads }
}

/// A LLaVA `config.json` (`LlavaForConditionalGeneration`), or a text-only decoder config, whose
/// fields then sit at the root.
public struct ModelConfiguration: Codable, Sendable {
    public var modelType: String
    public var textConfig: TextConfiguration
    public var visionConfig: VisionConfiguration?
    public var imageTokenIndex: Int?
    public var imageTokenId: Int?
    public var projectorHiddenAct: String?
    public var visionFeatureLayer: IntOrList?
    public var visionFeatureSelectStrategy: String?
    public var multimodalProjectorBias: Bool?
    public var tieWordEmbeddings: Bool?
    /// A space-to-depth factor `s` applied to the selected patch grid before the projector (not a
    /// transformers LLaVA key; HeadScope's built-in model uses it): each `s x s` block of patches
    /// becomes one token whose features are the block's patches in (row, column) order.
    public var projectorPixelShuffle: Int?
    /// When set to `c`, each patch's features are followed by its mean normalised colour over a
    /// `c x c` grid of cells (`PatchColors`; not a transformers key: HeadScope's built-in model
    /// uses it because DINOv2 features carry little colour).
    public var patchColorCells: Int?
    /// The vision tower of a Qwen2-VL / Qwen2.5-VL checkpoint (`vision_config` there); see
    /// `QwenVLConfiguration.swift`.
    public var qwenVision: QwenVisionConfiguration?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", textConfig = "text_config", visionConfig = "vision_config"
        case imageTokenIndex = "image_token_index", imageTokenId = "image_token_id"
        case projectorHiddenAct = "projector_hidden_act", visionFeatureLayer = "vision_feature_layer"
        case visionFeatureSelectStrategy = "vision_feature_select_strategy"
        case multimodalProjectorBias = "multimodal_projector_bias", tieWordEmbeddings = "tie_word_embeddings"
        case projectorPixelShuffle = "projector_pixel_shuffle", patchColorCells = "patch_color_cells"
    }

    enum RootKeys: String, CodingKey { case modelType = "model_type" }

    /// A configuration assembled in code: a text-only decoder when `vision` is nil, else a LLaVA
    /// model (`model_type` "llava").
    public init(text: TextConfiguration, vision: VisionConfiguration? = nil, imageTokenId: Int? = nil,
                projectorHiddenAct: String? = nil, visionFeatureLayer: IntOrList? = nil,
                visionFeatureSelectStrategy: String? = nil, projectorPixelShuffle: Int? = nil,
                patchColorCells: Int? = nil, multimodalProjectorBias: Bool? = nil) {
        modelType = vision == nil ? text.modelType : "llava"
        textConfig = text
        visionConfig = vision
        self.imageTokenId = imageTokenId
        self.projectorHiddenAct = projectorHiddenAct
        self.visionFeatureLayer = visionFeatureLayer
        self.visionFeatureSelectStrategy = visionFeatureSelectStrategy
        self.projectorPixelShuffle = projectorPixelShuffle
        self.patchColorCells = patchColorCells
        self.multimodalProjectorBias = multimodalProjectorBias
        tieWordEmbeddings = text.tieWordEmbeddings
    }

    public init(from decoder: Decoder) throws {
        let root = try decoder.container(keyedBy: RootKeys.self)
        let type = try root.decode(String.self, forKey: .modelType)
        if Self.qwenModelTypes.contains(type) {
            self = try Self.decodeQwen(decoder, type: type)
            return
        }
        if TextConfiguration.supportedModelTypes.contains(type) {
            modelType = type
            textConfig = try TextConfiguration(from: decoder)
            tieWordEmbeddings = textConfig.tieWordEmbeddings
            return
        }
        guard type == "llava" else {
            throw EngineError(.unsupported, "model_type \"\(type)\" is not supported; supported: llava, qwen2_vl, qwen2_5_vl, \(TextConfiguration.supportedModelTypes.joined(separator: ", "))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = type
        textConfig = try c.decode(TextConfiguration.self, forKey: .textConfig)
        visionConfig = try c.decode(VisionConfiguration.self, forKey: .visionConfig)
        imageTokenIndex = try c.decodeIfPresent(Int.self, forKey: .imageTokenIndex)
        imageTokenId = try c.decodeIfPresent(Int.self, forKey: .imageTokenId)
        projectorHiddenAct = try c.decodeIfPresent(String.self, forKey: .projectorHiddenAct)
        visionFeatureLayer = try c.decodeIfPresent(IntOrList.self, forKey: .visionFeatureLayer)
        visionFeatureSelectStrategy = try c.decodeIfPresent(String.self, forKey: .visionFeatureSelectStrategy)
        multimodalProjectorBias = try c.decodeIfPresent(Bool.self, forKey: .multimodalProjectorBias)
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings)
        projectorPixelShuffle = try c.decodeIfPresent(Int.self, forKey: .projectorPixelShuffle)
        patchColorCells = try c.decodeIfPresent(Int.self, forKey: .patchColorCells)
    }

    /// Reads and validates `config.json`, turning decoding failures into messages naming the key.
    public static func load(from url: URL) throws -> ModelConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EngineError(.io, "cannot read config.json", location: url.path)
        }
        let config: ModelConfiguration
        do {
            config = try JSONDecoder().decode(ModelConfiguration.self, from: data)
        } catch let error as EngineError {
            throw EngineError(error.kind, error.message, location: url.path)
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw EngineError(.configuration, "missing required key \"\(path)\"", location: url.path)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw EngineError(.configuration, "key \"\(path)\" has the wrong type (\(context.debugDescription))", location: url.path)
        } catch {
            throw EngineError(.configuration, "not a valid config: \(error)", location: url.path)
        }
        try config.validate(url.path)
        return config
    }

    func validate(_ location: String) throws {
        let t = textConfig
        try validateQwen(location)
        guard TextConfiguration.supportedModelTypes.contains(t.modelType) else {
            throw EngineError(.unsupported, "text_config.model_type \"\(t.modelType)\" is not supported; supported: \(TextConfiguration.supportedModelTypes.joined(separator: ", "))", location: location)
        }
        for (key, value) in [("vocab_size", t.vocabSize), ("hidden_size", t.hiddenSize), ("intermediate_size", t.intermediateSize),
                             ("num_hidden_layers", t.numHiddenLayers), ("num_attention_heads", t.numAttentionHeads)] where value <= 0 || value > 1 << 22 {
            throw EngineError(.configuration, "text_config.\(key) must be between 1 and \(1 << 22), found \(value)", location: location)
        }
        guard t.resolvedHeadDim > 0, t.resolvedHeadDim % 2 == 0 else {
            throw EngineError(.configuration, "head_dim \(t.resolvedHeadDim) must be a positive even number (RoPE rotates pairs)", location: location)
        }
        guard t.numAttentionHeads > 0, t.kvHeads > 0, t.numAttentionHeads % t.kvHeads == 0 else {
            throw EngineError(.configuration, "num_attention_heads \(t.numAttentionHeads) is not a multiple of num_key_value_heads \(t.kvHeads)", location: location)
        }
        if let v = visionConfig {
            guard VisionConfiguration.supportedModelTypes.contains(v.modelType) else {
                throw EngineError(.unsupported, "vision_config.model_type \"\(v.modelType)\" is not supported; supported: \(VisionConfiguration.supportedModelTypes.joined(separator: ", "))", location: location)
            }
            for (key, value) in [("hidden_size", v.hiddenSize), ("num_hidden_layers", v.numHiddenLayers),
                                 ("image_size", v.imageSize), ("patch_size", v.patchSize)] where value <= 0 || value > 1 << 20 {
                throw EngineError(.configuration, "vision_config.\(key) must be between 1 and \(1 << 20), found \(value)", location: location)
            }
            if let s = projectorPixelShuffle, s < 1 {
                throw EngineError(.configuration, "projector_pixel_shuffle must be at least 1, found \(s)", location: location)
            }
            if let c = patchColorCells, c < 1 || v.patchSize % c != 0 {
                throw EngineError(.configuration, "patch_color_cells must divide patch_size \(v.patchSize), found \(c)", location: location)
            }
            if let layers = visionFeatureLayer?.values, layers.isEmpty {
                throw EngineError(.configuration, "vision_feature_layer is an empty list", location: location)
            }
            guard v.numAttentionHeads > 0, v.hiddenSize % v.numAttentionHeads == 0 else {
                throw EngineError(.configuration, "vision hidden_size \(v.hiddenSize) is not a multiple of num_attention_heads \(v.numAttentionHeads)", location: location)
            }
            let strategy = visionFeatureSelectStrategy ?? "default"
            guard strategy == "default" || strategy == "full" else {
                throw EngineError(.configuration, "vision_feature_select_strategy \"\(strategy)\" is not one of default, full", location: location)
            }
        }
    }

    /// The token id whose positions receive image features.
    public var imageToken: Int? { imageTokenId ?? imageTokenIndex }
    /// End-of-sequence ids from the text config.
    public var eosTokenIds: [Int] { textConfig.eosTokenId?.values ?? [] }
}
