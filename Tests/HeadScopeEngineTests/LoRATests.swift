import Foundation
import HeadScopeEngine
import Testing
import TestSupport

@Suite("LoRA adapters merged at load")
struct LoRATests {
    static let base = EngineFixture.directory.appendingPathComponent("shuffle_dinov2_llama")
    static let adapter = EngineFixture.directory.appendingPathComponent("lora/adapter.safetensors")

    static func model(adapted: Bool) throws -> VisionLanguageModel {
        let configuration = try ModelConfiguration.load(from: base.appendingPathComponent("config.json"))
        let vision = try GoldenTensors("engine/shuffle_dinov2_llama/vision_tower.safetensors")
        let named = try NamedTensors(vision.tensors.mapValues { ($0.shape, $0.values) }, prefix: "vision_tower.")
        var decoder: any WeightProvider = try TensorStore(directory: base)
        if adapted {
            decoder = try LoRAMergedWeights(base: decoder, adapter: TensorStore(file: adapter), alpha: 8)
        }
        return try VisionLanguageModel(configuration: configuration, weights: WeightCollection([decoder, named]))
    }

    @Test("merged weights give PyTorch's logits and the greedy tokens of the unmerged adapter")
    func parity() throws {
        let golden = try GoldenTensors("engine/lora/golden.safetensors")
        let prompt = try golden.tensor("input_ids").int64Values.map(Int.init)
        let expected = try golden.tensor("logits").values
        let adapted = try Self.model(adapted: true).forward(tokens: prompt, images: [])
        expectClose(adapted.logits, expected, relative: 1e-4, absolute: 2e-5, label: "adapted logits (merged in torch)")
        // Merging changes the summation order only: within float rounding of the unmerged pass.
        expectClose(adapted.logits, try golden.tensor("logits_unmerged").values, relative: 1e-3, absolute: 1e-3,
                    label: "adapted logits (unmerged in torch)")
        let generated = try Self.model(adapted: true).generate(prompt: prompt, images: [], options: .init(maxNewTokens: 8))
        #expect(generated.tokens == (try golden.tensor("generated").int64Values.map(Int.init)))
        // The adapter must matter: the base model's logits are far from the adapted ones.
        let plain = try Self.model(adapted: false).forward(tokens: prompt, images: [])
        let gap = zip(plain.logits, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(gap > 0.05, "the adapter changed the logits by at most \(gap)")
    }

    @Test("an adapter for another model is refused, naming the module")
    func mismatch() throws {
        let dir = try TestSupport.scratchDirectory("lora")
        // An adapter whose lora_A is as wide as the vocabulary fits no projection of the decoder.
        let file = dir.appendingPathComponent("bad.safetensors")
        try writeSafetensors(file, [("model.layers.0.self_attn.q_proj.lora_A.weight", [2, 96]),
                                    ("model.layers.0.self_attn.q_proj.lora_B.weight", [32, 2])])
        let error = try #require(throws: EngineError.self) {
            _ = try LoRAMergedWeights(base: TensorStore(directory: Self.base), adapter: TensorStore(file: file), alpha: 8)
        }
        #expect(error.description.contains("layers.0.self_attn.q_proj") && error.description.contains("do not fit"), "\(error)")

        let stray = dir.appendingPathComponent("stray.safetensors")
        try writeSafetensors(stray, [("model.layers.99.mlp.up_proj.lora_A.weight", [2, 32]),
                                     ("model.layers.99.mlp.up_proj.lora_B.weight", [64, 2])])
        let missing = try #require(throws: EngineError.self) {
            _ = try LoRAMergedWeights(base: TensorStore(directory: Self.base), adapter: TensorStore(file: stray), alpha: 8)
        }
        #expect(missing.description.contains("does not have"), "\(missing)")
    }

    /// A float32 safetensors file of zeros with the given tensor shapes.
    func writeSafetensors(_ url: URL, _ tensors: [(String, [Int])]) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, shape) in tensors {
            let bytes = shape.reduce(1, *) * 4
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(Data(count: offset))
        try data.write(to: url)
    }
}
