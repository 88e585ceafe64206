import Foundation
import HeadScopeEngine
import HeadScopePreprocess
import HeadScopeWeights

/// HeadScope's built-in model, described by `data/builtin-model/model.json`: SmolLM2-135M-Instruct
/// (GGUF) as the decoder, DINOv2-S/14 (read from an ONNX export) as the vision tower, hidden
/// states [4, 12] concatenated with the class token dropped (and, when `patch_color_cells` is set,
/// each patch's mean colours), a 2 x 2 pixel shuffle and a trained
/// two-layer GELU connector (`connector.safetensors`, `multi_modal_projector.*`, with a learnt
/// position embedding per image token when it stores one) and, when the
/// description names one, a LoRA adapter of the decoder merged at load time
/// (`decoder-lora.safetensors`), as `scripts/builtin/train_projector.py` trains them.
public enum BuiltinModel {
    /// The name `--model builtin` selects.
    public static let name = "builtin"

    /// `model.json`: which files make the model and how they fit together. Decoder and vision
    /// paths are relative to the repository root (`make setup` puts them under .cache/weights);
    /// the connector is relative to the folder of `model.json`.
    public struct Description: Codable, Sendable {
        public var format: String
        public var id: String
        public var decoderGGUF: String
        public var visionONNX: String
        public var visionONNXPrefix: String?
        public var visionConfig: VisionConfiguration
        public var visionFeatureLayer: [Int]
        public var visionFeatureSelectStrategy: String
        public var projectorPixelShuffle: Int
        public var projectorHiddenAct: String
        /// Cells per patch side of the mean colours the connector reads beside the tower's
        /// features (`patch_color_cells`; absent: none).
        public var patchColorCells: Int?
        public var connector: String
        /// A LoRA adapter of the decoder (relative to the folder of `model.json`), merged at load.
        public var decoderLoRA: String?
        /// The adapter's `alpha` (its scale is alpha / rank).
        public var decoderLoRAAlpha: Float?
        public var imagePlaceholder: String
        public var imageTokenId: Int
        public var preprocessor: ImageProcessorConfig

        enum CodingKeys: String, CodingKey {
            case format, id, connector, preprocessor
            case decoderGGUF = "decoder_gguf", visionONNX = "vision_onnx", visionONNXPrefix = "vision_onnx_prefix"
            case visionConfig = "vision_config", visionFeatureLayer = "vision_feature_layer"
            case visionFeatureSelectStrategy = "vision_feature_select_strategy"
            case projectorPixelShuffle = "projector_pixel_shuffle", projectorHiddenAct = "projector_hidden_act"
            case patchColorCells = "patch_color_cells"
            case imagePlaceholder = "image_placeholder", imageTokenId = "image_token_id"
            case decoderLoRA = "decoder_lora", decoderLoRAAlpha = "decoder_lora_alpha"
        }

        public static let formatID = "headscope-builtin-model-v1"

        /// Reads and checks `model.json`.
        public static func read(_ url: URL) throws -> Description {
            guard let data = try? Data(contentsOf: url) else {
                throw RuntimeError("cannot read the built-in model description", location: url.path)
            }
            let description: Description
            do {
                description = try JSONDecoder().decode(Description.self, from: data)
            } catch let error as DecodingError {
                throw RuntimeError.decoding(error, what: "not a valid built-in model description", location: url.path)
            }
            guard description.format == formatID else {
                throw RuntimeError("format is \"\(description.format)\", expected \"\(formatID)\"", location: url.path)
            }
            return description
        }
    }

    /// The description in a repository checkout.
    public static func descriptionURL(repositoryRoot: URL) -> URL {
        repositoryRoot.appendingPathComponent("data/builtin-model/model.json")
    }

    /// Loads the built-in model of the checkout at `repositoryRoot`.
    public static func load(repositoryRoot: URL) throws -> EngineRuntime {
        try load(description: descriptionURL(repositoryRoot: repositoryRoot), repositoryRoot: repositoryRoot)
    }

    /// Loads the model `description` describes; `connector` overrides its connector file (tests
    /// use a random one of the right shape). Identity digests are cached under the root's .cache.
    public static func load(description url: URL, repositoryRoot: URL, connector: URL? = nil) throws -> EngineRuntime {
        let d = try Description.read(url)
        let gguf = repositoryRoot.appendingPathComponent(d.decoderGGUF)
        let onnx = repositoryRoot.appendingPathComponent(d.visionONNX)
        let connectorURL = connector ?? url.deletingLastPathComponent().appendingPathComponent(d.connector)
        for (file, what) in [(gguf, "decoder GGUF"), (onnx, "vision ONNX")] where !FileManager.default.fileExists(atPath: file.path) {
            throw RuntimeError("the built-in model's \(what) is missing", location: file.path,
                               hint: "run `make setup` to download the pretrained towers into .cache/weights")
        }
        guard FileManager.default.fileExists(atPath: connectorURL.path) else {
            throw RuntimeError("the built-in model's connector is missing", location: connectorURL.path,
                               hint: "train it with scripts/builtin/train_projector.py --prepared <cogshapes prepared/> --out data/builtin-model (the script header says how), which writes data/builtin-model/connector.safetensors")
        }
        let loraURL = d.decoderLoRA.map { url.deletingLastPathComponent().appendingPathComponent($0) }
        if let loraURL, !FileManager.default.fileExists(atPath: loraURL.path) {
            throw RuntimeError("the built-in model's decoder adapter is missing", location: loraURL.path,
                               hint: "it is trained with the connector by scripts/builtin/train_projector.py --lora-rank 8; restore it from git (`git checkout data/builtin-model`) or retrain")
        }
        let decoder = try GGUFDecoder(gguf)
        let text = try decoder.configuration().textConfig
        let tokenizer = try GGUFTokenizer.load(decoder.file)
        let tower: NamedTensors
        do {
            let tensors = try DINOv2ONNXWeights.load(ONNXModel(path: onnx.path), prefix: d.visionONNXPrefix ?? "backbone")
            tower = try NamedTensors(tensors.mapValues { (shape: $0.shape, values: $0.values) }, prefix: "vision_tower.", location: onnx.path)
        } catch let error as ONNXError {
            throw RuntimeError("cannot read the vision tower: \(error.message)", location: onnx.path)
        }
        let projector = try TensorStore(file: connectorURL)
        let config = ModelConfiguration(text: text, vision: d.visionConfig, imageTokenId: d.imageTokenId,
                                        projectorHiddenAct: d.projectorHiddenAct, visionFeatureLayer: .list(d.visionFeatureLayer),
                                        visionFeatureSelectStrategy: d.visionFeatureSelectStrategy,
                                        projectorPixelShuffle: d.projectorPixelShuffle, patchColorCells: d.patchColorCells)
        var decoderWeights: any WeightProvider = decoder
        if let loraURL {
            decoderWeights = try LoRAMergedWeights(base: decoder, adapter: TensorStore(file: loraURL), alpha: d.decoderLoRAAlpha ?? 16)
        }
        let model = try VisionLanguageModel(configuration: config, weights: WeightCollection([decoderWeights, tower, projector]))
        let processor = try ImageProcessor(config: d.preprocessor, file: url.path)
        let format = PromptFormat(tokenizer: tokenizer, template: try tokenizer.recognizedChatTemplate(),
                                  placeholder: d.imagePlaceholder, imageTokenId: d.imageTokenId, tokenization: .spliced)
        let input = PatchImageInput(processor: processor, patchSize: d.visionConfig.patchSize, hasClassToken: true,
                                    dropsFirstToken: d.visionFeatureSelectStrategy == "default", pixelShuffle: d.projectorPixelShuffle)
        let hashes = FileHashCache.under(repositoryRoot)
        let identity = ModelIdentity(id: d.id, sha256: try hashes.combinedSHA256(of: [url, gguf, onnx, connectorURL] + (loraURL.map { [$0] } ?? [])))
        return EngineRuntime(identity: identity, model: model, tokenizer: tokenizer, format: format, imageInput: input)
    }
}
