import Foundation
import HeadScopeEngine
import Testing
import TestSupport

@Suite("Text-only decoders")
struct TextOnlyTests {
    /// Rewrites the LLaVA fixture as a text-only checkpoint (`model.*`, `lm_head.*` keys, the text
    /// config at the root): safetensors offsets are relative to the data, so a new header suffices.
    static func textOnlyCheckpoint(modelType: String) throws -> URL {
        let source = EngineFixture.directory.appendingPathComponent("llava_clip_llama")
        let target = try TestSupport.scratchDirectory("engine-text")
        let data = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        var renamed: [String: Any] = [:]
        for (key, value) in header where key.hasPrefix("language_model.") {
            renamed[key.replacingOccurrences(of: "language_model.model.", with: "model.")
                .replacingOccurrences(of: "language_model.lm_head.", with: "lm_head.")] = value
        }
        var newHeader = try JSONSerialization.data(withJSONObject: renamed)
        while newHeader.count % 8 != 0 { newHeader.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(newHeader.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(newHeader)
        out.append(data.subdata(in: (8 + headerLength)..<data.count))
        try out.write(to: target.appendingPathComponent("model.safetensors"))
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        var text = try #require(config["text_config"] as? [String: Any])
        text["model_type"] = modelType
        try JSONSerialization.data(withJSONObject: text).write(to: target.appendingPathComponent("config.json"))
        return target
    }

    @Test("a text-only Llama or Mistral checkpoint runs the same decoder as LLaVA without images", arguments: ["llama", "mistral"])
    func textOnly(modelType: String) throws {
        let model = try VisionLanguageModel.load(from: Self.textOnlyCheckpoint(modelType: modelType))
        let f = try EngineFixture("llava_clip_llama")
        let tokens = [1, 17, 33, 5, 60, 2, 71, 12]
        let text = try model.forward(tokens: tokens)
        let llava = try f.model.forward(tokens: tokens)
        #expect(text.logits.count == tokens.count * 96)
        #expect(text.logits == llava.logits)
        let generated = try model.generate(prompt: tokens, options: .init(maxNewTokens: 5))
        #expect(generated.tokens == (try f.model.generate(prompt: tokens, options: .init(maxNewTokens: 5))).tokens)
        #expect(throws: EngineError.self) { try model.forward(tokens: tokens, images: [f.pixels]) }
        #expect(throws: EngineError.self) {
            try model.forward(tokens: tokens, plan: InterpretabilityPlan(zCaptures: [CaptureRequest(tower: .vision, positions: .all)]))
        }
    }
}
