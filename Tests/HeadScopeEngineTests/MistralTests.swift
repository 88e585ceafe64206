import Foundation
import HeadScopeEngine
import Testing
import TestSupport

@Suite("Mistral (sliding window)")
struct MistralTests {
    @Test("a text-only MistralForCausalLM with a 6-token window matches transformers, past the window too")
    func slidingWindow() throws {
        let directory = EngineFixture.directory.appendingPathComponent("mistral_text")
        let model = try VisionLanguageModel.load(from: directory)
        let golden = try GoldenTensors("engine/mistral_text/golden.safetensors")
        let prompt = try golden.tensor("input_ids").int64Values.map(Int.init)
        let plan = InterpretabilityPlan(zCaptures: [CaptureRequest(positions: .all)], attentionCaptures: [CaptureRequest(positions: .all)])
        let result = try model.forward(tokens: prompt, plan: plan)
        expectClose(result.logits, try golden.tensor("logits").values, relative: 1e-4, absolute: 2e-5, label: "logits")
        for l in 0..<2 {
            expectClose(layerSlice(result.captures.z[0], layer: l), try golden.tensor("z.L\(l)").values,
                        relative: 1e-4, absolute: 2e-5, label: "z layer \(l)")
            expectClose(attentionSlice(result.captures.attention[0], layer: l), try golden.tensor("attn.L\(l)").values,
                        relative: 1e-4, absolute: 2e-5, label: "attention layer \(l)")
        }
        // The last query sees only the 6 most recent keys.
        let row = try #require(result.captures.attention[0].row(query: prompt.count - 1, layer: 0, head: 0))
        #expect(row.prefix(prompt.count - 6).allSatisfy { $0 == 0 } && row.suffix(6).allSatisfy { $0 > 0 })
        let generated = try model.generate(prompt: prompt, options: .init(maxNewTokens: 8))
        #expect(generated.tokens == (try golden.tensor("generated").int64Values.map(Int.init)))
    }
}
