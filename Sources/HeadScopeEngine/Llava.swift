import Foundation

// LLaVA (`LlavaForConditionalGeneration`): a vision tower, a two-layer projector, and a language
// decoder whose image-token positions receive the projected image features. Also loads text-only
// Llama/Mistral/Qwen2 checkpoints (no tower).

// MARK: - Configuration

extension VisionConfiguration {
    var geometry: TowerGeometry {
        TowerGeometry(layers: numHiddenLayers, queryHeads: numAttentionHeads, kvHeads: numAttentionHeads, headDim: headDim)
    }
}

// MARK: - Model

/// The LLaVA projector: `linear_2(act(linear_1(features)))`, plus, when the connector stores
/// `multi_modal_projector.position_embedding` `[tokens, hidden]`, a learnt embedding per image
/// token added to its output (the token's place in the grid; HeadScope's built-in connector).
struct Projector {
    let linear1, linear2: Linear
    let activation: Activation
    let positionEmbedding: Tensor?

    static let positionEmbeddingName = "multi_modal_projector.position_embedding"

    /// Adds row k of the position embedding to output row k; the image must give as many tokens
    /// as the embedding has rows.
    func addPositions(_ out: inout [Float], rows: Int, width: Int) throws {
        guard let positionEmbedding else { return }
        guard positionEmbedding.shape[0] == rows else {
            throw EngineError(.input, "the connector's position embedding has \(positionEmbedding.shape[0]) rows but the image gives \(rows) image tokens; use the image size the model was trained at")
        }
        let p = positionEmbedding.pointer
        for i in 0..<(rows * width) { out[i] += p[i] }
    }
}

/// A loaded vision-language model (or a text-only decoder): the entry point for runs.
///
/// Weights are read-only after loading and every run allocates its own buffers, so runs may come
/// from several threads; each run already parallelises (OpenBLAS threads for GEMMs, attention
/// heads across cores), so one run at a time is the efficient use.
public final class VisionLanguageModel: @unchecked Sendable {
    public let configuration: ModelConfiguration
    let decoder: LanguageDecoder
    let vision: VisionTransformer?
    let projector: Projector?
    /// Hidden-state indices feeding the projector (0: tower input, i: after layer i), in order.
    let featureLayers: [Int]
    let dropsClassToken: Bool
    let pixelShuffle: Int
    /// Cells per patch side of the patch colours appended to each patch's features (0: none).
    let colorCells: Int
    /// The vision tower and merger of Qwen2-VL / Qwen2.5-VL checkpoints (`Qwen2VL.swift`).
    let qwenTower: QwenVisionTower?

    /// Loads a Hugging Face checkpoint folder (`config.json` and single or sharded safetensors) or
    /// a `.gguf` file holding a Llama or Qwen2 decoder (the block types `HeadScopeWeights` reads,
    /// k-quants included).
    public static func load(from directory: URL) throws -> VisionLanguageModel {
        if directory.pathExtension.lowercased() == "gguf" {
            let gguf = try GGUFDecoder(directory)
            return try VisionLanguageModel(try gguf.configuration(), gguf)
        }
        let config = try ModelConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let store = try TensorStore(directory: directory)
        return try VisionLanguageModel(config, store)
    }

    /// Builds a model from a configuration and weights assembled in code (e.g. a GGUF decoder, a
    /// vision tower converted from another format and a connector, in a `WeightCollection`).
    public convenience init(configuration: ModelConfiguration, weights: any WeightProvider) throws {
        try configuration.validate(weights.configLocation)
        try self.init(configuration, weights)
    }

    /// The decoder configuration and weights of a `.gguf` file (architectures llama, qwen2), to
    /// combine with other parts.
    public static func ggufDecoder(at url: URL) throws -> (text: TextConfiguration, weights: any WeightProvider) {
        let gguf = try GGUFDecoder(url)
        return (try gguf.configuration().textConfig, gguf)
    }

    init(_ config: ModelConfiguration, _ store: any WeightProvider) throws {
        configuration = config
        let location = store.configLocation
        // As LlavaConfig: either the top-level or the text config's flag ties the LM head.
        let tie = (config.tieWordEmbeddings ?? false) || (config.textConfig.tieWordEmbeddings ?? false)
        decoder = try LanguageDecoder(store, config.textConfig, tieEmbeddings: tie)
        qwenTower = try Self.qwenTower(config, store, decoder)
        guard let v = config.visionConfig else {
            vision = nil; projector = nil; featureLayers = []; dropsClassToken = false; pixelShuffle = 1; colorCells = 0
            return
        }
        switch v.modelType {
        case "clip_vision_model": vision = try .clip(store, v)
        case "siglip_vision_model": vision = try .siglip(store, v)
        default: vision = try .dinov2(store, v)
        }
        let count = v.numHiddenLayers + 1
        let requested = config.visionFeatureLayer?.values ?? [-2]
        featureLayers = try requested.map { i in
            guard i >= -count && i < count else {
                throw EngineError(.configuration, "vision_feature_layer \(i) is out of range for \(v.numHiddenLayers) layers", location: location)
            }
            return (i + count) % count
        }
        dropsClassToken = (config.visionFeatureSelectStrategy ?? "default") == "default"
        pixelShuffle = config.projectorPixelShuffle ?? 1
        colorCells = config.patchColorCells ?? 0
        guard config.imageToken != nil else {
            throw EngineError(.configuration, "missing required key \"image_token_index\"", location: location)
        }
        let bias = config.multimodalProjectorBias ?? true, t = config.textConfig.hiddenSize
        projector = Projector(
            linear1: try Linear(store, "multi_modal_projector.linear_1",
                                in: Self.patchWidth(v, layers: featureLayers.count, colorCells: colorCells) * pixelShuffle * pixelShuffle,
                                out: projectorWidth(store, t), bias: bias),
            linear2: try Linear(store, "multi_modal_projector.linear_2", in: projectorWidth(store, t), out: t, bias: bias),
            activation: try Activation(named: config.projectorHiddenAct ?? "gelu", location: location),
            positionEmbedding: try Self.positionEmbedding(store, width: t))
    }

    /// The connector's optional position embedding, `[tokens, text width]`.
    private static func positionEmbedding(_ store: any WeightProvider, width: Int) throws -> Tensor? {
        guard let shape = store.shape(of: Projector.positionEmbeddingName) else { return nil }
        guard shape.count == 2, shape[1] == width, shape[0] > 0 else {
            throw EngineError(.shape, "tensor \(Projector.positionEmbeddingName) has shape \(shape), expected [image tokens, \(width)]", location: store.location)
        }
        return try store.load(Projector.positionEmbeddingName, shape: shape)
    }

    /// Features per patch before the pixel shuffle: the selected hidden states, then the colours.
    private static func patchWidth(_ v: VisionConfiguration, layers: Int, colorCells: Int) -> Int {
        v.hiddenSize * layers + (colorCells > 0 ? PatchColors.width(cells: colorCells) : 0)
    }

    var geometry: [Tower: TowerGeometry] {
        var g: [Tower: TowerGeometry] = [.language: configuration.textConfig.geometry]
        if let v = configuration.visionConfig { g[.vision] = v.geometry }
        if let q = qwenTower { g[.vision] = q.towerGeometry }
        return g
    }

    /// Image features after the projector for each image, concatenated: `[images * n, hidden]`.
    func encode(_ images: [PixelValues], runtime: PlanRuntime?) throws -> (features: [Float], rows: Int) {
        guard !images.isEmpty else { return ([], 0) }
        if qwenTower != nil { return try encodeQwen(images, runtime: runtime) }
        guard let vision, let projector else {
            throw EngineError(.input, "this model has no vision tower but \(images.count) image(s) were given")
        }
        if images.count > 1, runtime?.plan.touchesVision ?? false {
            throw EngineError(.plan, "plans addressing the vision tower need a single image per run (got \(images.count))")
        }
        let d = vision.config.hiddenSize, t = configuration.textConfig.hiddenSize
        var all: [Float] = [], total = 0
        for pixels in images {
            let states = try vision.hiddenStates(pixels, indices: featureLayers, runtime: runtime)
            guard let first = states[featureLayers[0]] else {
                throw EngineError(.input, "vision tower produced no hidden state \(featureLayers[0])")
            }
            let tokens = first.shape[0]
            let skip = dropsClassToken ? 1 : 0
            var n = tokens - skip
            guard n > 0 else { throw EngineError(.input, "the image gives no patch tokens (\(tokens) tokens before selection)") }
            let width = Self.patchWidth(vision.config, layers: featureLayers.count, colorCells: colorCells)
            var selected = [Float](repeating: 0, count: n * width)
            for (i, layer) in featureLayers.enumerated() {
                guard let s = states[layer]?.pointer else { continue }
                for r in 0..<n { for j in 0..<d { selected[r * width + i * d + j] = s[(r + skip) * d + j] } }
            }
            if colorCells > 0 {
                let patch = vision.config.patchSize
                guard (pixels.height / patch) * (pixels.width / patch) == n else {
                    throw EngineError(.input, "patch colours need one patch token per \(patch)-pixel patch; the image gives \(n) tokens for \(pixels.width) x \(pixels.height) pixels")
                }
                try selected.withUnsafeMutableBufferPointer {
                    try PatchColors.write(pixels, patch: patch, cells: colorCells, into: $0.baseAddress!,
                                          stride: width, offset: d * featureLayers.count)
                }
            }
            if pixelShuffle > 1 { (selected, n) = try shuffle(selected, tokens: n, width: width) }
            let inner = projector.linear1.outFeatures
            var hidden = [Float](repeating: 0, count: n * inner), out = [Float](repeating: 0, count: n * t)
            selected.withUnsafeBufferPointer { projector.linear1($0.baseAddress!, rows: n, into: &hidden) }
            hidden.withUnsafeMutableBufferPointer { projector.activation.apply($0.baseAddress!, count: n * inner) }
            hidden.withUnsafeBufferPointer { projector.linear2($0.baseAddress!, rows: n, into: &out) }
            try projector.addPositions(&out, rows: n, width: t)
            all += out
            total += n
        }
        return (all, total)
    }

    /// Space-to-depth on a square token grid: `[side * side, width]` -> `[(side/s)^2, s * s * width]`,
    /// block `(gy, gx)` holding patches `(gy*s + dy, gx*s + dx)` in `(dy, dx)` order.
    func shuffle(_ x: [Float], tokens n: Int, width: Int) throws -> ([Float], Int) {
        let s = pixelShuffle, side = Int(Double(n).squareRoot().rounded())
        guard side * side == n, side % s == 0 else {
            throw EngineError(.input, "pixel shuffle \(s) needs a square patch grid divisible by \(s); the image gives \(n) patches")
        }
        let outSide = side / s
        var out = [Float](repeating: 0, count: n * width)
        for gy in 0..<outSide { for gx in 0..<outSide { for dy in 0..<s { for dx in 0..<s {
            let source = ((gy * s + dy) * side + gx * s + dx) * width
            let target = ((gy * outSide + gx) * s * s + dy * s + dx) * width
            for j in 0..<width { out[target + j] = x[source + j] }
        } } } }
        return (out, outSide * outSide)
    }

    /// The vision features after the projector, `[n, hidden]` row-major, for one image.
    public func imageFeatures(_ pixels: PixelValues, plan: InterpretabilityPlan = .init()) throws -> (features: [Float], captures: Captures) {
        let runtime = try PlanRuntime(plan, geometry: geometry, promptLength: 0)
        let result = try encode([pixels], runtime: runtime)
        return (result.features, runtime.finish())
    }

    /// Token embeddings of `tokens[range]` with image features placed at image-token positions
    /// (the k-th image token of the whole prompt takes feature row k).
    func embed(_ tokens: [Int], range: Range<Int>, features: [Float], featureRows: Int, into x: UnsafeMutablePointer<Float>) throws {
        let d = configuration.textConfig.hiddenSize
        let imageToken = configuration.imageToken ?? -1
        let imageCount = tokens.filter { $0 == imageToken }.count
        if imageToken >= 0, imageCount != featureRows {
            throw EngineError(.input, "the prompt has \(imageCount) image tokens (id \(imageToken)) but the images give \(featureRows) feature rows")
        }
        var k = tokens[..<range.lowerBound].filter { $0 == imageToken }.count
        for p in range {
            let row = x + (p - range.lowerBound) * d
            if tokens[p] == imageToken {
                features.withUnsafeBufferPointer { row.update(from: $0.baseAddress! + k * d, count: d) }
                k += 1
            } else {
                try decoder.embed(tokens[p..<(p + 1)], into: row)
            }
        }
    }
}

/// The projector's inner width: `linear_1`'s output size as stored (LLaVA uses the text width;
/// connectors trained with another width store it in their weights).
private func projectorWidth(_ store: any WeightProvider, _ textWidth: Int) -> Int {
    store.shape(of: "multi_modal_projector.linear_1.weight")?.first ?? textWidth
}

extension Linear {
    /// Convenience for array outputs.
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: inout [Float]) {
        y.withUnsafeMutableBufferPointer { self(x, rows: rows, into: $0.baseAddress!) }
    }
}
