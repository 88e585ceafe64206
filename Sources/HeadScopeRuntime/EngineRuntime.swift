import Foundation
import HeadScopeEngine
import HeadScopePreprocess
import HeadScopeTokenizer

/// `VLMRuntime` over HeadScope's engine: a LLaVA or Qwen2-VL / Qwen2.5-VL checkpoint folder or
/// the built-in model, with its tokenizer, chat template and image processor.
public final class EngineRuntime: VLMRuntime, @unchecked Sendable {
    public let identity: ModelIdentity
    public let geometry: DecoderGeometry
    /// The engine model (for callers that need more than the seam, e.g. plans on the vision tower).
    public let model: VisionLanguageModel
    public let tokenizer: Tokenizer
    let format: PromptFormat
    let imageInput: any ImageInput
    /// Ids that end generation: the config's `eos_token_id` and the tokenizer's EOS.
    let endOfSequence: [Int]

    init(identity: ModelIdentity, model: VisionLanguageModel, tokenizer: Tokenizer, format: PromptFormat,
         imageInput: any ImageInput) {
        self.identity = identity
        self.model = model
        self.tokenizer = tokenizer
        self.format = format
        self.imageInput = imageInput
        geometry = DecoderGeometry(model.configuration)
        var eos = model.configuration.eosTokenIds
        if let id = tokenizer.eosTokenID, !eos.contains(id) { eos.append(id) }
        endOfSequence = eos
    }

    /// Loads a Hugging Face checkpoint folder: `config.json`, safetensors, `tokenizer.json`
    /// (+ `tokenizer_config.json`, chat template), `preprocessor_config.json`. LLaVA folders: the
    /// image placeholder `<image>` must be the tokenizer's token for `image_token_index`.
    /// Qwen2-VL / Qwen2.5-VL folders (`model_type` `qwen2_vl`, `qwen2_5_vl`): see
    /// `EngineRuntime+Qwen.swift`. `hashes` caches the weight files' digests (the identity).
    public static func load(folder: URL, hashes: FileHashCache = FileHashCache(url: nil)) throws -> EngineRuntime {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuntimeError("model folder not found", location: folder.path,
                               hint: "pass a Hugging Face LLaVA or Qwen2-VL / Qwen2.5-VL checkpoint folder, or `builtin`")
        }
        let model = try VisionLanguageModel.load(from: folder)
        if model.configuration.qwenFamily != nil { return try loadQwenVL(folder: folder, model: model, hashes: hashes) }
        let config = model.configuration
        guard let vision = config.visionConfig, let imageToken = config.imageToken else {
            throw RuntimeError("the checkpoint has no vision tower (a text-only decoder)", location: folder.appendingPathComponent("config.json").path)
        }
        let tokenizer = try Tokenizer(directory: folder)
        let placeholder = "<image>"
        guard tokenizer.tokenToID(placeholder) == imageToken else {
            throw RuntimeError("the tokenizer's \(placeholder) token is \(tokenizer.tokenToID(placeholder).map(String.init) ?? "missing"), but image_token_index is \(imageToken)",
                               location: folder.appendingPathComponent("tokenizer.json").path)
        }
        let preprocessorURL = folder.appendingPathComponent("preprocessor_config.json")
        guard FileManager.default.fileExists(atPath: preprocessorURL.path) else {
            throw RuntimeError("missing preprocessor_config.json", location: folder.path,
                               hint: "save the image processor with the checkpoint (processor.save_pretrained)")
        }
        let defaultClass: String = vision.modelType == "siglip_vision_model" ? "SiglipImageProcessor"
            : vision.modelType == "dinov2" ? "BitImageProcessor" : "CLIPImageProcessor"
        let processor = try ImageProcessor(contentsOf: preprocessorURL, className: defaultClass)
        let format = PromptFormat(tokenizer: tokenizer, template: try tokenizer.recognizedChatTemplate(),
                                  placeholder: placeholder, imageTokenId: imageToken, tokenization: .processor)
        let input = PatchImageInput(processor: processor, patchSize: vision.patchSize,
                                    hasClassToken: vision.modelType != "siglip_vision_model",
                                    dropsFirstToken: (config.visionFeatureSelectStrategy ?? "default") == "default",
                                    pixelShuffle: config.projectorPixelShuffle ?? 1)
        let weights = try weightFiles(in: folder)
        let identity = ModelIdentity(id: folder.standardizedFileURL.lastPathComponent,
                                     sha256: try hashes.combinedSHA256(of: weights))
        return EngineRuntime(identity: identity, model: model, tokenizer: tokenizer, format: format, imageInput: input)
    }

    /// The files holding a folder's weights (safetensors and their index), sorted by name.
    static func weightFiles(in folder: URL) throws -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let files = names.filter { $0.hasSuffix(".safetensors") || $0 == "model.safetensors.index.json" }.sorted()
        guard !files.isEmpty else { throw RuntimeError("no safetensors weights", location: folder.path) }
        return files.map { folder.appendingPathComponent($0) }
    }

    public func session(image: URL) throws -> any VLMSession {
        try EngineSession(runtime: self, image: image)
    }

    public func decode(_ ids: [Int]) -> String {
        tokenizer.decode(ids, skipSpecialTokens: true)
    }

    public func encodeContinuation(_ text: String) -> [Int] {
        tokenizer.encode(text, addSpecialTokens: false)
    }
}
