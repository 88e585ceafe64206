import Foundation
import HeadScopeEngine
import HeadScopePreprocess
import HeadScopeTokenizer

// MARK: - Qwen2-VL / Qwen2.5-VL folders

extension EngineRuntime {
    /// The text the Qwen chat templates write for an image, between `<|vision_start|>` and
    /// `<|vision_end|>`; the processor repeats it once per merged patch.
    static let qwenImagePlaceholder = "<|image_pad|>"

    /// Loads a Qwen2-VL / Qwen2.5-VL folder whose engine model is already built: prompts are made
    /// as `Qwen2VLProcessor` / `Qwen2_5_VLProcessor` make them. The ChatML template renders
    /// `[image, text]` as `<|vision_start|><|image_pad|><|vision_end|>text`, `<|image_pad|>` is
    /// repeated `grid_t * grid_h * grid_w / merge^2` times for the image's grid, and the text is
    /// tokenized whole (the Qwen tokenizers add no BOS). The M-RoPE ids follow from the ids and the
    /// grid inside the engine, so sessions, plans and captures work as for LLaVA.
    static func loadQwenVL(folder: URL, model: VisionLanguageModel, hashes: FileHashCache) throws -> EngineRuntime {
        let config = model.configuration
        let configPath = folder.appendingPathComponent("config.json").path
        guard let vision = model.qwenVisionGeometry, let imageToken = config.imageToken else {
            throw RuntimeError("a \(config.modelType) checkpoint without its vision tower", location: configPath)
        }
        let tokenizer = try Tokenizer(directory: folder)
        let placeholder = qwenImagePlaceholder
        guard tokenizer.tokenToID(placeholder) == imageToken else {
            throw RuntimeError("the tokenizer's \(placeholder) token is \(tokenizer.tokenToID(placeholder).map(String.init) ?? "missing"), but image_token_id is \(imageToken)",
                               location: folder.appendingPathComponent("tokenizer.json").path,
                               hint: "use the tokenizer saved with the checkpoint")
        }
        let template = try tokenizer.recognizedChatTemplate()
        guard template.family == .chatML, template.supportsImages else {
            throw RuntimeError("the chat template has no <|vision_start|><|image_pad|><|vision_end|> slot for images (family \(template.family.rawValue))",
                               location: folder.path, hint: "use the Qwen2-VL / Qwen2.5-VL chat template saved with the checkpoint")
        }
        let preprocessorURL = folder.appendingPathComponent("preprocessor_config.json")
        guard FileManager.default.fileExists(atPath: preprocessorURL.path) else {
            throw RuntimeError("missing preprocessor_config.json", location: folder.path,
                               hint: "save the image processor with the checkpoint (processor.save_pretrained)")
        }
        let processor = try QwenVLImageProcessor(configuration: preprocessorURL)
        guard processor.patchSize == vision.patchSize, processor.mergeSize == vision.mergeSize,
              processor.temporalPatchSize == vision.temporalPatchSize else {
            throw RuntimeError("the image processor's patch_size \(processor.patchSize), merge_size \(processor.mergeSize) and temporal_patch_size \(processor.temporalPatchSize) differ from the vision tower's \(vision.patchSize), \(vision.mergeSize) and \(vision.temporalPatchSize)",
                               location: preprocessorURL.path)
        }
        let format = PromptFormat(tokenizer: tokenizer, template: template, placeholder: placeholder,
                                  imageTokenId: imageToken, tokenization: .processor)
        let identity = ModelIdentity(id: folder.standardizedFileURL.lastPathComponent,
                                     sha256: try hashes.combinedSHA256(of: try weightFiles(in: folder)))
        return EngineRuntime(identity: identity, model: model, tokenizer: tokenizer, format: format,
                             imageInput: QwenImageInput(processor: processor))
    }
}
