import Foundation
@testable import HeadScopeEngine
import Testing
import TestSupport

@Suite("GGUF checkpoints")
struct GGUFTests {
    static var file: URL { EngineFixture.directory.appendingPathComponent("gguf_llama/tiny-llama.gguf") }

    @Test("Q8_0/Q4_0/Q4_1/F16 tensors dequantize, and llama q/k rows un-interleave, as transformers does")
    func weights() throws {
        let model = try VisionLanguageModel.load(from: Self.file)
        let golden = try GoldenTensors("engine/gguf_llama/golden.safetensors")
        let q = try golden.tensor("q_proj.L0")             // [heads * hd, d], Hugging Face order
        let fused = model.decoder.layers[0].qkv.weight     // [q | k | v] rows
        expectClose(Array(fused.storage.prefix(q.values.count)), q.values, relative: 0, absolute: 0, label: "q_proj (Q4_1)")
        let embed = try golden.tensor("embed_tokens")
        expectClose(model.decoder.embeddings.values, embed.values, relative: 0, absolute: 0, label: "token_embd (Q8_0)")
        #expect(model.configuration.textConfig.numKeyValueHeads == 2 && model.configuration.textConfig.headDim == 16)
    }

    @Test("logits and greedy continuation match transformers loading the same GGUF")
    func parity() throws {
        let model = try VisionLanguageModel.load(from: Self.file)
        let golden = try GoldenTensors("engine/gguf_llama/golden.safetensors")
        let prompt = try golden.tensor("input_ids").int64Values.map(Int.init)
        let result = try model.forward(tokens: prompt)
        expectClose(result.logits, try golden.tensor("logits").values, relative: 1e-4, absolute: 2e-5, label: "logits")
        let generated = try model.generate(prompt: prompt, options: .init(maxNewTokens: 8))
        #expect(generated.tokens == (try golden.tensor("generated").int64Values.map(Int.init)))
    }

    @Test("a truncated or foreign GGUF file is refused with the reason")
    func broken() throws {
        let data = try Data(contentsOf: Self.file)
        let scratch = try TestSupport.scratchDirectory("gguf")
        let truncated = scratch.appendingPathComponent("truncated.gguf")
        try data.prefix(data.count - 100).write(to: truncated)
        do { _ = try VisionLanguageModel.load(from: truncated); Issue.record("truncated file loaded") }
        catch let error as EngineError { #expect(error.description.contains("truncated") && error.description.contains("truncated.gguf"), "\(error)") }
        let header = scratch.appendingPathComponent("header.gguf")
        try data.prefix(40).write(to: header)
        do { _ = try VisionLanguageModel.load(from: header); Issue.record("cut header loaded") }
        catch let error as EngineError { #expect(error.description.contains("header truncated"), "\(error)") }
        let foreign = scratch.appendingPathComponent("foreign.gguf")
        try Data("GGML not really".utf8).write(to: foreign)
        do { _ = try VisionLanguageModel.load(from: foreign); Issue.record("foreign file loaded") }
        catch let error as EngineError { #expect(error.description.contains("not a GGUF file"), "\(error)") }
    }
}
