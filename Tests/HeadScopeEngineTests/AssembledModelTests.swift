import Foundation
@testable import HeadScopeEngine
import Testing
import TestSupport

@Suite("Models assembled from parts")
struct AssembledModelTests {
    /// The built-in model's layout: decoder + connector in one file, the vision tower (bare
    /// `Dinov2Model` names) in another, combined in code; `first` providers are searched before them.
    static func model(_ fixture: String = "shuffle_dinov2_llama", first: [any WeightProvider] = []) throws -> VisionLanguageModel {
        let directory = EngineFixture.directory.appendingPathComponent(fixture)
        let configuration = try ModelConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let vision = try GoldenTensors("engine/\(fixture)/vision_tower.safetensors")
        let named = try NamedTensors(vision.tensors.mapValues { ($0.shape, $0.values) }, prefix: "vision_tower.", location: "vision_tower.safetensors")
        return try VisionLanguageModel(configuration: configuration,
                                       weights: WeightCollection(first + [try TensorStore(directory: directory), named]))
    }

    @Test("pixel shuffle connector (with and without patch colours, with a position embedding): image features, logits and greedy tokens match the PyTorch composition",
          arguments: ["shuffle_dinov2_llama", "shuffle_color_dinov2_llama", "shuffle_position_dinov2_llama"])
    func pixelShuffle(fixture: String) throws {
        let model = try Self.model(fixture)
        let golden = try GoldenTensors("engine/\(fixture)/golden.safetensors")
        let prompt = try golden.tensor("input_ids").int64Values.map(Int.init)
        let p = try golden.tensor("pixel_values")
        let pixels = try PixelValues(height: p.shape[1], width: p.shape[2], values: p.values)
        let result = try model.forward(tokens: prompt, images: [pixels])
        expectClose(result.imageFeatures, try golden.tensor("image_features").values, relative: 1e-4, absolute: 2e-5, label: "image features")
        expectClose(result.logits, try golden.tensor("logits").values, relative: 1e-4, absolute: 2e-5, label: "logits")
        let generated = try model.generate(prompt: prompt, images: [pixels], options: .init(maxNewTokens: 8))
        #expect(generated.tokens == (try golden.tensor("generated").int64Values.map(Int.init)))
    }

    @Test("a position embedding refuses an image giving another number of tokens, and a stored shape that is not [tokens, hidden]")
    func positionEmbeddingMismatch() throws {
        let model = try Self.model("shuffle_position_dinov2_llama")
        // 48 x 48 pixels: 6 x 6 patches, 9 image tokens after the shuffle; the embedding has 4 rows.
        let pixels = try PixelValues(height: 48, width: 48, values: [Float](repeating: 0.1, count: 3 * 48 * 48))
        do {
            _ = try model.imageFeatures(pixels)
            Issue.record("9 image tokens were given a 4-row position embedding")
        } catch let error as EngineError {
            #expect(error.kind == .input && error.description.contains("4 rows") && error.description.contains("9 image tokens"), "\(error)")
        }
        let wrong = try NamedTensors(["multi_modal_projector.position_embedding": ([4, 31], [Float](repeating: 0, count: 4 * 31))])
        do {
            _ = try Self.model("shuffle_position_dinov2_llama", first: [wrong])
            Issue.record("a [4, 31] position embedding loaded for a decoder of width 32")
        } catch let error as EngineError {
            #expect(error.kind == .shape && error.description.contains("[4, 31]"), "\(error)")
        }
    }

    @Test("patch colours: each patch's cells in (row, column, channel) order, out of range sizes refused")
    func patchColors() throws {
        // A linear image, value = x + 100 y + 10000 c: a cell's mean is the value at its centre.
        let side = 16, patch = 8, cells = 2, cell = patch / cells
        var values = [Float](repeating: 0, count: 3 * side * side)
        for c in 0..<3 { for y in 0..<side { for x in 0..<side { values[(c * side + y) * side + x] = Float(x + 100 * y + 10000 * c) } } }
        let pixels = try PixelValues(height: side, width: side, values: values)
        let width = PatchColors.width(cells: cells), stride = width + 5
        var out = [Float](repeating: -1, count: 4 * stride)
        try out.withUnsafeMutableBufferPointer {
            try PatchColors.write(pixels, patch: patch, cells: cells, into: $0.baseAddress!, stride: stride, offset: 5)
        }
        for py in 0..<2 { for px in 0..<2 { for cy in 0..<cells { for cx in 0..<cells { for c in 0..<3 {
            let x = Double(px * patch + cx * cell) + 1.5, y = Double(py * patch + cy * cell) + 1.5
            let got = out[(py * 2 + px) * stride + 5 + (cy * cells + cx) * 3 + c]
            #expect(abs(Double(got) - (x + 100 * y + 10000 * Double(c))) < 1e-3, "patch (\(py), \(px)) cell (\(cy), \(cx)) channel \(c)")
        } } } } }
        #expect(out[0..<5].allSatisfy { $0 == -1 }, "values before the offset are left alone")
        #expect(throws: EngineError.self) {
            try out.withUnsafeMutableBufferPointer { try PatchColors.write(pixels, patch: patch, cells: 3, into: $0.baseAddress!, stride: stride, offset: 0) }
        }
    }

    @Test("configurations built in code equal the JSON ones")
    func configurationInCode() throws {
        let directory = EngineFixture.directory.appendingPathComponent("shuffle_dinov2_llama")
        let json = try ModelConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let vision = VisionConfiguration(modelType: "dinov2", hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4,
                                         imageSize: 32, patchSize: 8, mlpRatio: 2, layerNormEps: 1e-6, hiddenAct: "gelu",
                                         layerscaleValue: 0.5, qkvBias: true)
        let config = ModelConfiguration(text: json.textConfig, vision: vision, imageTokenId: 96, projectorHiddenAct: "gelu",
                                        visionFeatureLayer: .list([1, 2]), visionFeatureSelectStrategy: "default",
                                        projectorPixelShuffle: 2)
        let vt = try GoldenTensors("engine/shuffle_dinov2_llama/vision_tower.safetensors")
        let weights = WeightCollection([try TensorStore(directory: directory),
                                        try NamedTensors(vt.tensors.mapValues { ($0.shape, $0.values) }, prefix: "vision_tower.")])
        let a = try VisionLanguageModel(configuration: config, weights: weights)
        let golden = try GoldenTensors("engine/shuffle_dinov2_llama/golden.safetensors")
        let prompt = try golden.tensor("input_ids").int64Values.map(Int.init)
        let p = try golden.tensor("pixel_values")
        let pixels = try PixelValues(height: p.shape[1], width: p.shape[2], values: p.values)
        #expect(try a.forward(tokens: prompt, images: [pixels]).logits == (try Self.model().forward(tokens: prompt, images: [pixels]).logits))
    }

    @Test("a missing part is reported with every place searched")
    func missingPart() throws {
        let directory = EngineFixture.directory.appendingPathComponent("shuffle_dinov2_llama")
        let configuration = try ModelConfiguration.load(from: directory.appendingPathComponent("config.json"))
        do {
            _ = try VisionLanguageModel(configuration: configuration, weights: WeightCollection([try TensorStore(directory: directory)]))
            Issue.record("a model without its vision tower loaded")
        } catch let error as EngineError {
            #expect(error.kind == .missingTensor && error.description.contains("vision_tower.embeddings"), "\(error)")
        }
        #expect(throws: EngineError.self) { try NamedTensors(["x": ([2, 2], [1, 2, 3])]) }
    }
}
