import Foundation
import HeadScopeEngine
import Testing
import TestSupport

/// A golden fixture written by scripts/fixtures/engine.py: checkpoint, inputs and reference outputs.
struct EngineFixture {
    let name: String
    let model: VisionLanguageModel
    let golden: GoldenTensors
    let prompt: [Int]
    let pixels: PixelValues
    let plans: [String: InterpretabilityPlan]

    static var directory: URL { TestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/engine") }

    init(_ name: String) throws {
        self.name = name
        model = try VisionLanguageModel.load(from: Self.directory.appendingPathComponent(name))
        golden = try GoldenTensors("engine/\(name)/golden.safetensors")
        prompt = try golden.tensor("input_ids").int64Values.map(Int.init)
        let p = try golden.tensor("pixel_values")
        pixels = try PixelValues(channels: p.shape[0], height: p.shape[1], width: p.shape[2], values: p.values)
        struct Metadata: Decodable { var plans: [String: InterpretabilityPlan] }
        let json = golden.metadata["fixture"] ?? #"{"plans": {}}"#
        plans = try JSONDecoder().decode(Metadata.self, from: Data(json.utf8)).plans
    }

    var language: (layers: Int, heads: Int) {
        (model.configuration.textConfig.numHiddenLayers, model.configuration.textConfig.numAttentionHeads)
    }
    var vision: (layers: Int, heads: Int) {
        (model.configuration.visionConfig!.numHiddenLayers, model.configuration.visionConfig!.numAttentionHeads)
    }
}

extension GoldenTensors {
    func tensor(_ name: String) throws -> Tensor {
        guard let t = self[name] else { throw TestSupportError("golden tensor \(name) is missing") }
        return t
    }
}

/// Rearranges a z capture `[positions, layers, heads, hd]` (all of them) into layer `l`'s
/// `[positions, heads, hd]`, the layout of the golden `z.L<l>`.
func layerSlice(_ z: HeadActivations, layer l: Int) -> [Float] {
    let nl = z.layers.count, nh = z.heads.count, d = z.headDim
    var out: [Float] = []
    for p in 0..<z.positions.count {
        let start = ((p * nl + l) * nh) * d
        out += z.values[start..<(start + nh * d)]
    }
    return out
}

/// Rearranges an attention capture `[queries, layers, heads, keys]` into layer `l`'s
/// `[heads, queries, keys]`, the layout of the golden `attn.L<l>`.
func attentionSlice(_ a: AttentionProbabilities, layer l: Int) -> [Float] {
    let nl = a.layers.count, nh = a.heads.count, k = a.keyCount
    var out: [Float] = []
    for h in 0..<nh {
        for q in 0..<a.queryPositions.count {
            let start = ((q * nl + l) * nh + h) * k
            out += a.values[start..<(start + k)]
        }
    }
    return out
}

/// Records an issue naming the worst element when `actual` and `expected` differ beyond tolerance.
func expectClose(_ actual: [Float], _ expected: [Float], relative: Float, absolute: Float, label: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    if let message = mismatch(actual, expected, relative: relative, absolute: absolute, label: label) {
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}
